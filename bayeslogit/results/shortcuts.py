"""Shortcuts from a results object to the later stages: interpret, check and io.

statsmodels and ArviZ users expect ``fit.predict(...)``, ``post.diagnostics()`` and
``fit.save(path)`` on the results themselves, although prediction, diagnostics and files are
stages *after* the results in the flow (see ARCHITECTURE.md). This module is the one place
where the package imports up its flow: each method imports its stage when called, and does
nothing but hand ``self`` over. ``tests/test_layout.py`` allows such deferred imports here
and nowhere else.

These classes are mixed into :class:`~bayeslogit.results.base.Results` only, and every fit is a
:class:`~bayeslogit.results.point.PointResults` or a
:class:`~bayeslogit.results.posterior.PosteriorResults`; the type checker cannot see that from
here (the results modules import this one), so each method hands ``self`` over with a
``typing.cast`` to the kind of fit its stage takes (a no-op at run time).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, cast

import pandas as pd

from .._validation import renamed_arguments

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from .base import Results
    from .categorical import CategoricalPosterior
    from .point import PointResults
    from .posterior import PosteriorResults

__all__ = [
    "ResultsShortcuts",
    "PosteriorShortcuts",
    "CategoricalShortcuts",
    "CategoricalPosteriorShortcuts",
    "DaskPosteriorShortcuts",
]


class ResultsShortcuts:
    """``predict``, ``odds_ratios``, ``marginal_effects`` and ``save`` for every fit."""

    @renamed_arguments(interval="ci_prob")
    def predict(
        self,
        new_df: pd.DataFrame | None = None,
        *,
        kind: Literal["prob", "linear", "draws"] = "prob",
        ci_prob: float | None = None,
        offset=None,
        new_groups: Literal["population", "sample"] = "population",
        random_seed: int | None = None,
    ):
        """Predicted probabilities (or log-odds) with intervals, for new or the training data.

        Parameters
        ----------
        new_df : pandas.DataFrame, optional
            Rows to predict, with every predictor the formula uses (the response is not
            needed). Default: the training rows.
        kind : {"prob", "linear", "draws"}
            ``"prob"``: P(event); ``"linear"``: the log-odds ``X beta``; ``"draws"``
            (posterior only): the probability for every draw, an ``xarray.DataArray`` with
            dims ``(chain, draw, obs)``.
        ci_prob : float, optional
            Interval probability; default 0.95 (``bayeslogit.results.base.DEFAULT_CI_PROB``) for
            every fit: the equal-tailed interval of the draws for posteriors, the delta method on
            the log-odds scale (mapped through the inverse logit for probabilities) for point fits.
        interval : float, optional
            Deprecated alias of ``ci_prob`` (FutureWarning); removed in the next release.
        offset : str or array-like, optional
            For a model with an offset: the ``offset=`` part of the new rows' offset, a column
            of ``new_df`` or one number per row. By default it is read from ``new_df``'s column
            of the name the model was given; a model whose offset was an array needs it here.
            The formula's ``offset(...)`` terms are always evaluated on ``new_df``.
        new_groups : {"population", "sample"}
            Models with group terms (``(1 | g)``): a level of a grouping factor not seen in
            training is not an error; ``"population"`` (default) gives it zero group effects
            (the population-level prediction), ``"sample"`` draws a new effect per posterior
            draw from the fitted group distribution (wider intervals). Seen levels always use
            their own effects. See :mod:`bayeslogit.interpret.group_predict`.
        random_seed : int, optional
            Seed of the new effects drawn by ``new_groups="sample"``.

        Returns
        -------
        pandas.DataFrame or xarray.DataArray
            Indexed like ``new_df``. Posterior: columns ``mean``, ``sd``, ``eti95_lb``,
            ``eti95_ub``. Point fit: ``estimate``, ``se`` (delta method, on the scale asked
            for), ``ci95_lb``, ``ci95_ub``.

        Raises
        ------
        DataError
            If ``new_df`` lacks a predictor (or the offset column), has missing values in one,
            or holds a factor level not seen in training.
        ArgumentError
            If the model's offset was an array and ``offset`` is not given for ``new_df``.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.predict(pd.DataFrame({"x": [0.5, 3.5]})).columns.tolist()
        ['mean', 'sd', 'eti95_lb', 'eti95_ub']
        """
        from ..interpret.predict import predict

        return predict(
            cast("PointResults | PosteriorResults", self),
            new_df,
            kind=kind,
            ci_prob=ci_prob,
            offset=offset,
            new_groups=new_groups,
            random_seed=random_seed,
        )

    @renamed_arguments(interval="ci_prob")
    def odds_ratios(self, *, ci_prob: float | None = None, per: float | dict | None = None) -> pd.DataFrame:
        """Odds ratios ``exp(coef)`` with intervals, one row per coefficient.

        Parameters
        ----------
        ci_prob : float, optional
            Interval probability, default 0.95: the equal-tailed interval of the transformed
            draws (posterior) or ``exp`` of the Wald interval (point fits).
        per : float or dict, optional
            Units of change: ``per=10`` gives ``exp(10 * coef)``, the odds ratio per 10 units,
            for every coefficient but the intercept (which stays ``exp(Intercept)``, the
            baseline odds); a dict ``{"age": 10, "income": 1000}`` scales the named
            coefficients only. Default: 1 unit.
        interval : float, optional
            Deprecated alias of ``ci_prob`` (FutureWarning); removed in the next release.

        Returns
        -------
        pandas.DataFrame
            Posterior: ``mean``, ``median``, ``sd``, ``eti95_lb``, ``eti95_ub`` of
            ``exp(beta)`` over the draws. Point fit: ``estimate``, ``ci95_lb``, ``ci95_ub``.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.odds_ratios().columns.tolist()
        ['mean', 'median', 'sd', 'eti95_lb', 'eti95_ub']
        """
        from ..interpret.effects import odds_ratios

        return odds_ratios(cast("PointResults | PosteriorResults", self), ci_prob=ci_prob, per=per)

    @renamed_arguments(interval="ci_prob")
    def marginal_effects(
        self,
        *,
        data: pd.DataFrame | None = None,
        ci_prob: float | None = None,
        offset=None,
    ) -> pd.DataFrame:
        """Average marginal effects on P(event): dP/dx for numbers, discrete changes for factors.

        See :mod:`bayeslogit.interpret.effects` for the definitions. For a model whose numeric
        variables each enter through one column, the point-fit values equal statsmodels'
        ``get_margeff(at="overall")``. For a model with group terms (``(1 + x | g)``) they are
        population-level effects: of the population coefficients, with the group effects at
        zero (lme4's ``re.form = NA``).

        Parameters
        ----------
        data : pandas.DataFrame, optional
            Rows to average over; default the training rows.
        ci_prob : float, optional
            Interval probability, default 0.95 (equal-tailed for posteriors, delta method for
            point fits).
        interval : float, optional
            Deprecated alias of ``ci_prob`` (FutureWarning); removed in the next release.
        offset : str or array-like, optional
            With ``data`` and a model offset given as an array: the rows' offset (as in
            :meth:`predict`). An offset is not a variable: it gets no effect of its own.

        Returns
        -------
        pandas.DataFrame
            One row per numeric variable (``x1``) and per non-first factor level
            (``g[b vs a]``); columns ``type`` then ``mean``, ``sd``, ``eti95_lb``,
            ``eti95_ub`` (posterior) or ``estimate``, ``se``, ``ci95_lb``, ``ci95_ub`` (point).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5],
        ...                    "g": ["a", "b", "a", "b", "a", "b"]})
        >>> post = bl.LogitModel("y ~ x + g", df).sample(draws=100, tune=100, chains=2,
        ...                                             random_seed=3, progressbar=False)
        >>> post.marginal_effects().index.tolist()
        ['x', 'g[b vs a]']
        """
        from ..interpret.effects import marginal_effects

        return marginal_effects(
            cast("PointResults | PosteriorResults", self), data=data, ci_prob=ci_prob, offset=offset
        )

    def save(self, path) -> None:
        """Write the fit, its formula, design, response coding and priors to a netCDF file.

        Load it back with :func:`bayeslogit.load`; see :mod:`bayeslogit.io`.
        """
        from ..io import save

        save(cast("Results", self), path)


class CategoricalShortcuts:
    """``save`` for multinomial and ordinal fits (point fits and posteriors)."""

    def save(self, path) -> None:
        """Write the fit, its formula, family, reference level, design and priors to a netCDF
        file; load it back with :func:`bayeslogit.load` (see :mod:`bayeslogit.io`).

        Examples
        --------
        >>> import os, tempfile, numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> fit = bl.LogitModel("y ~ x", df, family="multinomial").fit_mle()
        >>> path = os.path.join(tempfile.mkdtemp(), "fit.nc")
        >>> fit.save(path)
        >>> bool((bl.load(path).params == fit.params).all())
        True
        """
        from ..io import save

        save(cast("Results", self), path)


class CategoricalPosteriorShortcuts(CategoricalShortcuts):
    """``save``, ``loo``, ``diagnostics`` and ``report`` for multinomial and ordinal posteriors."""

    def loo(self, *, method: Literal["auto", "exact", "subsample"] = "auto", observations=None, seed: int = 0):
        """PSIS-LOO from the per-row categorical log-likelihood (a weighted row is one group of
        ``w`` rows), by row blocks: exact (``arviz.loo``'s numbers) when rows x draws is at most
        the ``loo_exact_max_cells`` option, else on a subsample of 2,000 rows with the
        point-estimate difference estimator (``arviz_stats.loo_subsample(method="plpd")``'s).
        A ``method="laplace"`` fit's LOO runs on its proposals with the approximate-posterior
        correction. See :func:`bayeslogit.interpret.categorical_loo.categorical_loo`.

        Returns
        -------
        pandas.Series
            ``elpd_loo``, ``se``, ``p_loo``, ``n_obs``, ``max_k``, ``n_k_above_0.7``,
            ``subsample_size``, ``subsampling_se``; ``attrs["label"]`` says how it was computed.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
        ...     draws=300, chains=2, random_seed=1, method="laplace")
        >>> post.loo().index.tolist()[:3]
        ['elpd_loo', 'se', 'p_loo']
        """
        from ..interpret.categorical_loo import categorical_loo

        return categorical_loo(cast("CategoricalPosterior", self), method=method, observations=observations, seed=seed)

    def diagnostics(self):
        """Convergence checks with verdicts (R-hat, bulk and tail ESS, divergences, tree depth,
        E-BFMI; the proposal's Pareto k for ``method="laplace"``) and PSIS-LOO's Pareto k, with
        the per-parameter statistics; see :mod:`bayeslogit.check.categorical`.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
        ...     draws=300, chains=2, random_seed=1, method="laplace")
        >>> post.diagnostics().ok
        True
        """
        from ..check.categorical import diagnose_categorical

        return diagnose_categorical(self)

    def report(self, path, *, fits=(), title: str | None = None, run_info: dict | None = None, progress: bool = False):
        """Write a self-contained HTML report: the model, the estimates next to ``fits`` (MLE,
        MAP of the same model) with a per-outcome forest plot, the diagnostics, odds ratios and
        average marginal effects per outcome, the confusion matrix, per-outcome calibration,
        the cumulative-probability plot (ordinal) and PSIS-LOO; see
        :mod:`bayeslogit.check.categorical_report`. Returns the path written.

        Examples
        --------
        >>> import os, tempfile, numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
        ...     draws=300, chains=2, random_seed=1, method="laplace")
        >>> out = post.report(os.path.join(tempfile.mkdtemp(), "r.html"))
        >>> out.read_text().startswith("<!DOCTYPE html>")
        True
        """
        from ..check.categorical_report import write_categorical_report

        return write_categorical_report(self, path, fits=fits, title=title, run_info=run_info, progress=progress)


class PosteriorShortcuts:
    """``posterior_predictive``, ``sample_posterior_predictive``, ``loo``, ``diagnostics`` and
    ``report`` for posterior fits."""

    def posterior_predictive(
        self,
        new_df: pd.DataFrame | None = None,
        *,
        random_seed: int | None = None,
        offset=None,
        new_groups: Literal["population", "sample"] = "population",
    ) -> xr.DataArray:
        """Replicated outcomes: one 0/1 outcome (or binomial count) per row for every draw.

        Parameters
        ----------
        new_df : pandas.DataFrame, optional
            Rows to simulate; default the training rows. For a binomial model (``trials=``)
            it must hold the trials column.
        random_seed : int, optional
            Same seed -> identical replicates.
        offset : str or array-like, optional
            The new rows' offset, as in :meth:`predict`.
        new_groups : {"population", "sample"}
            Unseen levels of a grouping factor, as for :meth:`predict`.

        Returns
        -------
        xarray.DataArray
            Integer outcomes named ``y`` with dims ``(chain, draw, obs)``: ``draws x rows``
            values, int8 for 0/1 outcomes (the smallest integer type holding the trials for a
            binomial model); above 1 GB a :class:`~bayeslogit.BayeslogitWarning` says the size.
            Not stored on the fit: :meth:`sample_posterior_predictive` adds the training rows'
            replicates to :attr:`idata` for ArviZ.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.posterior_predictive(random_seed=1).dims
        ('chain', 'draw', 'obs')
        """
        from ..interpret.predict import posterior_predictive

        return posterior_predictive(
            cast("PosteriorResults", self), new_df, random_seed=random_seed, offset=offset, new_groups=new_groups
        )

    def sample_posterior_predictive(self, *, random_seed: int | None = None, extend: bool = True) -> xr.DataTree:
        """Replicate the training outcomes from every draw and put them in :attr:`idata`.

        PyMC's ``pm.sample_posterior_predictive(idata, extend_inferencedata=True)`` and bambi's
        ``model.predict(idata, kind="response")``: afterwards ``post.idata`` has a
        ``posterior_predictive`` group (``y`` with dims ``(chain, draw, obs)``, the same
        ``obs`` coordinates as ``observed_data``), so ArviZ's predictive checks take it
        unchanged, e.g. ``azp.plot_ppc_dist(post.idata, kind="hist")`` or
        ``azp.plot_ppc_rootogram(post.idata)``. It holds ``draws x rows`` integers (int8 for
        0/1 outcomes; 4 MB at 4 x 1000 draws and 1,000 rows), made only here, on request;
        above 1 GB a :class:`~bayeslogit.BayeslogitWarning` gives the size first. ``save()``
        keeps the group. For new rows, use :meth:`posterior_predictive`.

        Parameters
        ----------
        random_seed : int, optional
            Same seed -> identical replicates.
        extend : bool
            True (default): store the group in ``post.idata`` (replacing an earlier one) and
            return ``post.idata``. False: leave the fit alone and return a new ``DataTree``
            with the groups ``posterior_predictive`` and ``observed_data``.

        Returns
        -------
        xarray.DataTree

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.sample_posterior_predictive(random_seed=1).posterior_predictive["y"].shape
        (2, 100, 6)
        """
        from ..interpret.predict import sample_posterior_predictive

        return sample_posterior_predictive(cast("PosteriorResults", self), random_seed=random_seed, extend=extend)

    def loo(self, *, method: Literal["auto", "exact", "subsample"] = "auto", observations=None, seed: int = 0):
        """PSIS-LOO cross-validation, exact by row blocks or subsampled for large data.

        See :func:`bayeslogit.interpret.loo.psis_loo`: exact (bit-identical to ``arviz.loo``)
        when rows x draws <= 4e7, else PSIS-LOO on a subsample of 2,000 rows with the
        difference estimator of Magnusson et al. (2019). No draws x rows array is held.

        Returns
        -------
        bayeslogit.interpret.loo.LooResult
            ``elpd_data`` (ArviZ's ELPDData), ``method``, ``label`` (say which was used).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.loo().label
        'PSIS-LOO, exact (all 6 rows)'
        """
        from ..interpret.loo import psis_loo

        return psis_loo(cast("PosteriorResults", self), method=method, observations=observations, seed=seed)

    def to_arviz(self, *, log_likelihood: bool = True, log_prior: bool = True) -> xr.DataTree:
        """A copy of :attr:`idata` with the groups raw ArviZ functions need, added on request.

        ``arviz_stats.loo``, ``arviz_stats.compare`` and ``arviz_plots.plot_loo_pit`` need the
        ``log_likelihood`` group; ``arviz_stats.psense_summary`` needs ``log_likelihood`` and
        ``log_prior``. ``post.idata`` holds neither (bayeslogit computes what it needs by row
        blocks); this copy does, and ``post.idata`` is left unchanged.

        Parameters
        ----------
        log_likelihood : bool
            Add the pointwise log-likelihood ``(chain, draw, obs)``, materialised
            (:meth:`log_likelihood`: it warns with its size above the
            ``log_likelihood_warn_bytes`` option).
        log_prior : bool
            Add the log prior density of every draw per free variable, named as
            ``pm.compute_log_prior`` names them (``beta`` per coefficient for closed-form
            priors; ``tau``, ``z_hiernormal``, ``hs_*``... for hierarchical ones; ``sd_g``,
            ``z_g`` and ``L_g``, one number per draw, for a group term's).

        Returns
        -------
        xarray.DataTree

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> tree = post.to_arviz()
        >>> {"log_likelihood", "log_prior"} <= set(tree.children), "log_prior" in post.idata.children
        (True, False)
        """
        from ..check.sensitivity import arviz_log_prior

        post = cast("PosteriorResults", self)
        tree = post.idata.copy()  # new nodes, shared arrays: post.idata keeps its groups
        if log_likelihood and "log_likelihood" not in tree.children:
            tree["log_likelihood"] = post.log_likelihood().to_dataset()
        if log_prior:
            tree["log_prior"] = arviz_log_prior(post)
        return tree

    def diagnostics(self):
        """Convergence checks with verdicts (R-hat, ESS, MCSE, divergences, tree depth, E-BFMI),
        PSIS-LOO and fit quality (Brier, log score, AUC, PAV calibration).

        Returns
        -------
        bayeslogit.check.diagnostics.Diagnostics
            Text (``str``), HTML (notebooks) and DataFrame (``to_frame()``) forms.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> "verdict" in post.diagnostics().to_frame().columns
        True
        """
        from ..check.diagnostics import diagnose

        return diagnose(cast("PosteriorResults", self))

    def report(
        self,
        path,
        *,
        fits=(),
        title: str | None = None,
        progress: bool = True,
        run_info: dict | None = None,
        effects=None,
    ):
        """Write a self-contained HTML report (model, comparison, diagnostics, plots, LOO).

        See :func:`bayeslogit.check.report.write_report` for the parameters.
        """
        from ..check.report import write_report

        return write_report(
            cast("PosteriorResults", self),
            path,
            fits=fits,
            title=title,
            progress=progress,
            run_info=run_info,
            effects=effects,
        )


class DaskPosteriorShortcuts:
    """``loo``, ``diagnostics`` and ``report`` for the Laplace fit of a dask DataFrame (rows left
    in their partitions)."""

    def diagnostics(self, *, observations: int | None = None, seed: int = 0):
        """Importance sampling's Pareto k and ESS, and PSIS-LOO and the fit-quality scores on a
        row subsample (the LOO's; say so in their notes). See
        :func:`bayeslogit.check.dask_report.dask_diagnose`.

        Parameters
        ----------
        observations : int, optional
            Rows in the subsample (default 2,000, or all rows when fewer).
        seed : int
            Seed of the subsample (the same rows as ``loo(seed=seed)``).

        Returns
        -------
        bayeslogit.check.diagnostics.Diagnostics

        Examples
        --------
        >>> import numpy as np, pandas as pd, dask, dask.dataframe as dd, bayeslogit as bl
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=400)})
        >>> df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x)))
        >>> with dask.config.set(scheduler="threads"):
        ...     post = bl.LogitModel("y ~ x", dd.from_pandas(df, npartitions=4)).sample(
        ...         method="laplace", draws=200, chains=2, random_seed=1)
        ...     diag = post.diagnostics(observations=100)
        >>> diag.to_frame().index[0]
        'Pareto k (importance sampling)'
        """
        from ..check.dask_report import dask_diagnose

        return dask_diagnose(self, observations=observations, seed=seed)

    def report(
        self,
        path,
        *,
        fits=(),
        title: str | None = None,
        run_info: dict | None = None,
        observations: int | None = None,
        seed: int = 0,
        progress: bool = False,
    ):
        """Write a self-contained HTML report: the model, the posterior, the diagnostics, the
        fit quality and binned residuals on a row subsample, the event rate over all rows (one
        pass over the partitions) and PSIS-LOO, each saying which rows it used. See
        :func:`bayeslogit.check.dask_report.write_dask_report`.

        Parameters
        ----------
        path : str or Path
            Output file (``.html``), written to a temporary file and renamed.
        fits : sequence of results
            Point fits of the same model (``fit_mle()``, ``fit_map()``) whose tables are shown too.
        title : str, optional
            Page title.
        run_info : dict, optional
            Shown under "Run information": ``"data source"`` and other facts.
        observations, seed : int
            The row subsample (as :meth:`diagnostics`).
        progress : bool
            Print a line when the file is written.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import os, tempfile, numpy as np, pandas as pd, dask, dask.dataframe as dd, bayeslogit as bl
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=400)})
        >>> df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x)))
        >>> with dask.config.set(scheduler="threads"):
        ...     post = bl.LogitModel("y ~ x", dd.from_pandas(df, npartitions=4)).sample(
        ...         method="laplace", draws=200, chains=2, random_seed=1)
        ...     out = post.report(os.path.join(tempfile.mkdtemp(), "r.html"), observations=100)
        >>> "a random subsample of 100 of 400 rows" in out.read_text()
        True
        """
        from ..check.dask_report import write_dask_report

        return write_dask_report(
            self, path, fits=fits, title=title, run_info=run_info, observations=observations, seed=seed,
            progress=progress,
        )  # fmt: skip

    def loo(self, *, observations: int | None = None, seed: int = 0):
        """PSIS-LOO on a subsample of rows drawn across the partitions (two passes over the
        data; the rows outside the subsample enter through the point-estimate approximation,
        summed per partition). See :func:`bayeslogit.interpret.loo_dask.dask_loo`.

        Parameters
        ----------
        observations : int, optional
            Rows in the subsample (default 2,000, or all rows when fewer).
        seed : int
            Seed of the subsample: the same seed picks the same rows as ``loo(method="subsample")``
            of an in-memory fit of the same rows.

        Returns
        -------
        bayeslogit.interpret.loo.LooResult
            ``elpd_data`` (ArviZ's ``ELPDDataLOOSubsample``, ``elpd_i`` and ``pareto_k`` on the
            subsampled rows only), ``label`` (says how it was computed).

        Examples
        --------
        >>> import numpy as np, pandas as pd, dask, dask.dataframe as dd, bayeslogit as bl
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=400)})
        >>> df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x)))
        >>> with dask.config.set(scheduler="threads"):
        ...     post = bl.LogitModel("y ~ x", dd.from_pandas(df, npartitions=4)).sample(
        ...         method="laplace", draws=200, chains=2, random_seed=1)
        ...     res = post.loo(observations=100, seed=1)
        >>> res.short_label
        'subsampled, 100 of 400 rows, approximate-posterior corrected'
        """
        from ..interpret.loo_dask import dask_loo

        return dask_loo(self, observations=observations, seed=seed)
