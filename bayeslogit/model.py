"""The model specification: formula + data + priors. Fitting it returns a results object.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, Literal, cast

import pandas as pd
import patsy

from ._options import options
from ._validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_probability,
    check_seed,
    renamed_arguments,
)
from .design import Design, rebuild_design
from .design.builder import build_design_with_rows
from .design.dask import DaskDesign, build_dask_design, is_dask_frame
from .errors import ArgumentError, BayeslogitWarning, DesignError
from .fit import prior_predictive, pymc_model, sampling
from .fit.categorical_laplace import laplace_categorical
from .fit.categorical_pymc import sample_categorical
from .fit.categorical_separation import warn_if_improper
from .fit.prior_predictive_categorical import categorical_prior_predictive_tree
from .model_state import model_getstate, model_setstate, training_rows
from .priors import PriorSpec, ResolvedPriors, resolve_group_priors, resolve_priors, split_prior_spec
from .results.categorical import CategoricalPosterior, fit_categorical
from .results.distributed import fit_map_dask, fit_mle_dask, sample_dask
from .results.glmm import GLMMResults, fit_glmm_mle
from .results.point import MAPResults, MLEResults, fit_map, fit_mle
from .results.posterior import PosteriorResults
from .summary import Summary, shorten

__all__ = ["LogitModel", "training_rows"]


class LogitModel:
    """Bayesian logistic regression specified by a patsy formula over a DataFrame.

    Parameters
    ----------
    formula : str
        Patsy formula, e.g. ``"y ~ x1 + C(group) + x1:x2"``. The response is 0/1, boolean,
        or a two-level string/categorical column (see ``event``); with ``trials`` it is the
        number of successes. Its expressions are Python code evaluated in the caller's frame
        (``np.log(x)``, your own functions): use only formulas you wrote. (:func:`bayeslogit.load`
        checks a formula read from a file against a safe grammar instead.) Group terms in
        lme4's syntax, ``(1 | g)``, ``(1 + x | g)``, ``(x || g)``, ``(1 | g1/g2)``, make it a
        multilevel model (see :mod:`bayeslogit.design.group_terms` and :mod:`bayeslogit.priors.groups`).
    data : pandas.DataFrame or dask.dataframe.DataFrame
        The data. A dask DataFrame (``dd.read_parquet(path)``; the extra
        ``pip install 'bayeslogit[dask]'``) stays on its workers: ``fit_mle``, ``fit_map``
        (smooth priors) and ``sample(method="laplace")`` reduce each partition, NUTS is refused
        (see :meth:`compress`), and the formula may use the columns, numpy's functions and
        ``C()``/``I()`` only (README, "Data larger than memory").
    priors : Prior or dict, optional
        Coefficient priors. ``None`` (default): rstanarm-style weakly-informative priors,
        ``Normal(0, 2.5/sd(x))`` on slopes and ``Normal(0, 2.5)`` on the intercept at centred
        predictors. One prior (``bl.Normal(0, 1)``): for every slope. A dict keyed by design
        column or term name (``{"x1": bl.Normal(0, 1), "Intercept": bl.Flat()}``): per term.
        Keys holding ``|`` set the priors of group terms: ``"1|g"`` (the sd of g's varying
        intercept), ``"x|g"``, ``"|g"`` (every sd of g's terms) with ``bl.HalfNormal(s)`` or
        ``bl.HalfStudentT(nu, s)`` (default ``HalfStudentT(3, 2.5)``), ``"cor|g"`` with
        ``bl.LKJ(eta)`` (default ``LKJ(1)``). See :meth:`prior_summary`.
    event : scalar, optional
        The response value counted as a success. Default: 1, ``True``, or the last level of a
        two-level string/categorical response (R's convention: the first level is failure).
    trials : str, optional
        Column with the number of trials per row: aggregated binomial data.
    weights : str, optional
        Column of frequency weights (whole numbers >= 1): a row of weight ``w`` counts as ``w``
        identical rows, exactly, in every fit (MLE, MAP, NUTS, Laplace; statsmodels'
        ``GLM(freq_weights=)``). The default priors are scaled by the weighted sds. Per-row
        quantities (LOO, posterior predictive draws of the training rows) treat a weighted row
        as one group of ``w`` rows.
        If any weight is not a whole number, the weights (> 0) are *likelihood weights*, as
        brms' ``weights()`` and scikit-learn's ``sample_weight`` (0/1 responses only, not with
        ``trials=``): each row's log-likelihood is multiplied by its weight, in every fit
        (MLE and MAP equal statsmodels' ``GLM(var_weights=)`` and scikit-learn's
        ``LogisticRegression(sample_weight=)``). The posterior is then that of a weighted
        pseudo-likelihood: it is *not* a calibrated Bayesian posterior for survey or
        importance weights, and its intervals treat the weights as counts (rescaling the
        weights rescales the information). A replicated row is ``w`` times a 0/1 draw.
    offset : str or array-like, optional
        A column (or one number per row of ``data``) added to the linear predictor with its
        coefficient fixed at 1, ``eta = X @ beta + offset``, in every fit, prediction and
        check (R's ``glm(offset=)``, statsmodels' ``GLM(offset=)``), e.g. the log of an exposure.
        The formula may hold offsets too, as terms ``offset(np.log(exposure))``; all are summed.
        New data for ``predict()`` need the same column (an array: pass ``offset=`` there). The
        offset is not a coefficient and has no prior. Non-numeric or non-finite values raise a
        :class:`~bayeslogit.DesignError`; missing values follow ``missing``.
    missing : {"raise", "drop"}, default "raise"
        Rows with missing values in the model's columns raise an error naming the columns;
        ``"drop"`` drops them with a warning giving the count.
    family : {"auto", "bernoulli", "binomial", "multinomial", "ordinal"}, default "auto"
        The response family. ``"auto"``: two outcomes are binary (Bernoulli; Binomial with
        ``trials=``), three or more unordered outcomes multinomial, an ordered pandas
        Categorical with three or more levels ordinal; a one-line note on stderr says which
        categorical family was chosen. ``"multinomial"``: softmax over the outcomes with the
        ``reference`` level's coefficients fixed at 0 (statsmodels' ``MNLogit``,
        ``nnet::multinom``). ``"ordinal"``: cumulative logit with proportional odds,
        ``P(y <= k) = expit(cutpoint_k - x'beta)``, the cutpoints named ``"Low|Medium"``
        (``MASS::polr``, statsmodels' ``OrderedModel(distr="logit")``); the formula's intercept
        is replaced by the cutpoints. Categorical models support MLE and MAP (``fit_mle``,
        ``fit_map`` under fixed-scale priors, ``bl.sklearn_prior`` with L2, L1 or elastic net) and
        ``sample()`` through PyMC's model (nutpie or PyMC's NUTS; bayeslogit's built-in sampler
        for these families comes later); not yet: group terms, hierarchical/horseshoe priors,
        save/load, the report, diagnostics (the posterior has ``loo()``). ``method="laplace"`` works as for binary models (t proposals at
        the mode, PSIS, NUTS when k > 0.7 or when a linear program finds an outcome pair separated).
    reference : scalar, optional
        The baseline level of a multinomial response (default: the first level, as ``MNLogit``,
        ``nnet::multinom`` and brms).

    Attributes
    ----------
    design : Design
        Response, design matrix, column names and the patsy ``DesignInfo``.
    priors : ResolvedPriors
        The prior of every coefficient.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)})
    >>> df["y"] = rng.binomial(1, 1 / (1 + np.exp(-(0.5 + df.x))))
    >>> model = bl.LogitModel("y ~ x", data=df)
    >>> model.design.column_names
    ['Intercept', 'x']
    >>> post = model.sample(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    >>> list(post.params.index)
    ['Intercept', 'x']
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        priors: PriorSpec = None,
        event: Any = None,
        trials: str | None = None,
        weights: str | None = None,
        offset: Any = None,
        missing: Literal["raise", "drop"] = "raise",
        family: Literal["auto", "bernoulli", "binomial", "multinomial", "ordinal"] = "auto",
        reference: Any = None,
    ) -> None:
        if is_dask_frame(data):  # rows left on the workers: bayeslogit.design.dask
            self._init_dask(
                formula, data, priors, event=event, trials=trials, weights=weights, offset=offset, missing=missing
            )
            return
        self.design: Design
        self.design, rows = build_design_with_rows(
            formula,
            data,
            event=event,
            trials=trials,
            weights=weights,
            offset=offset,
            missing=missing,
            eval_env=patsy.EvalEnvironment.capture(1),
            family=family,
            reference=reference,
        )
        self.formula = self.design.formula  # with R's "." expanded to the columns
        fixed_priors, group_priors = split_prior_spec(priors)  # keys with '|': group sds, LKJ
        self.priors: ResolvedPriors = resolve_priors(fixed_priors, self.design)
        if self.design.groups is not None or group_priors:
            self.priors = replace(self.priors, groups=resolve_group_priors(group_priors, self.design.groups))
        self._pymc_model = None
        # A fit is a snapshot: the rows and columns the design was built from, which the
        # caller's later edits of `data` cannot change (a lazy copy under pandas' copy-on-write).
        self._data: pd.DataFrame | None = rows

    def _init_dask(self, formula, data, priors, **options) -> None:
        """A model over a dask DataFrame: its :class:`~bayeslogit.design.dask.DaskDesign`."""
        self.design = build_dask_design(formula, data, **options)  # type: ignore[assignment]
        self.formula = self.design.formula
        fixed_priors, group_priors = split_prior_spec(priors)
        if group_priors:
            raise ArgumentError("group-term priors need group terms, which dask data do not support yet")
        self.priors = resolve_priors(fixed_priors, self.design)  # type: ignore[arg-type]
        self._pymc_model = None
        self._data = None

    def compress(self, *, max_rows: int | None = None) -> LogitModel:
        """The model of a dask DataFrame on its distinct rows, in memory: every method runs on it.

        Rows sharing every design value, the offset, the response (and trials) become one row
        weighted by their count (weights summed): exactly the same likelihood, so the same
        MLE, MAP and posterior, NUTS included. The summary says how many rows became how many
        patterns. The priors are the dask model's (scaled by the sds of the original rows).

        Parameters
        ----------
        max_rows : int, optional
            The most patterns to accept (default: the option ``max_patterns``, 1,000,000); more
            raise a :class:`~bayeslogit.DataError` (continuous predictors rarely repeat: fit the
            dask model with ``fit_mle``/``fit_map`` instead).

        Returns
        -------
        LogitModel
            An in-memory model (its design holds the patterns; its fits' ``save()`` stores the
            patterns and the dask design's recipe, never the rows).

        Examples
        --------
        >>> import numpy as np, pandas as pd, dask.dataframe as dd, bayeslogit as bl
        >>> df = pd.DataFrame({"g": ["a", "b"] * 50, "y": [0, 1, 1, 1] * 25})
        >>> small = bl.LogitModel("y ~ g", dd.from_pandas(df, npartitions=2)).compress()
        >>> small.design.n_obs, int(small.design.weights.sum())
        (3, 100)
        """
        from .fit.distributed import compress

        if not isinstance(self.design, DaskDesign):
            raise ArgumentError("compress() is for models of dask DataFrames; this model's rows are in memory")
        max_rows = options["max_patterns"] if max_rows is None else check_int("max_rows", max_rows, low=1)
        small = LogitModel._from_parts(compress(self.design, max_rows=max_rows).design, self.priors)
        small._compressed_from = self.design  # type: ignore[attr-defined]  # its fits save the patterns + recipe
        return small

    @classmethod
    def _from_parts(cls, design: Design, priors: ResolvedPriors) -> LogitModel:
        """Rebuild a model from a stored design and priors (used by persistence)."""
        self = cls.__new__(cls)
        self.formula = design.formula
        self.design = design
        self.priors = priors
        self._pymc_model = None
        self._data = None
        return self

    def __getstate__(self):
        # patsy's DesignInfo cannot be pickled: the design is rebuilt from the training rows.
        return model_getstate(self)

    def __setstate__(self, state):
        model_setstate(self, state)

    def __repr__(self) -> str:
        d = self.design
        off = f", offset {shorten(d.offset_label, 40)}" if d.offset_label else ""
        return f"<LogitModel {shorten(self.formula)!r}: n={d.n_obs}, {d.n_coef} coef, {d.family}{off}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks: formula, rows, likelihood and the prior of every term."""
        d = self.design
        info = [
            ("Formula:", d.formula),
            ("Observations:", str(d.n_obs)),
            ("Likelihood:", f"{d.family.capitalize()}, logit link"),
        ]
        if d.offset_label:
            info.append(("Offset:", d.offset_label))
        return Summary("LogitModel", info, [self.prior_summary()]).as_html()

    @property
    def coef_names(self) -> list[str]:
        """Design column names, in coefficient order."""
        return list(self.design.column_names)

    def prior_summary(self) -> pd.DataFrame:
        """The prior on every coefficient, where it came from and what it applies to.

        Returns
        -------
        pandas.DataFrame
            Indexed by design column name, with columns ``prior``, ``applies to`` and ``source``.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1], "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
        >>> bl.LogitModel("y ~ x", df).prior_summary()["prior"].tolist()
        ['Normal(0, 2.5)', 'Normal(0, 1.58114)']
        """
        return self.priors.table()

    @property
    def pymc_model(self):
        """The PyMC model (built on first access; importing PyMC takes a few seconds)."""
        if self._pymc_model is None:
            self._pymc_model = pymc_model.build_model(self.design, self.priors)
        return self._pymc_model

    def sample(
        self,
        *,
        draws: int = 1000,
        tune: int | None = None,
        chains: int = 4,
        random_seed: int | None = None,
        sampler: Literal["auto", "bayeslogit", "pymc", "nutpie", "numpyro"] = "auto",
        target_accept: float | None = None,
        progressbar: bool = True,
        log_likelihood: bool = False,
        method: Literal["nuts", "laplace"] = "nuts",
    ) -> PosteriorResults:
        """Draw from the posterior with NUTS.

        Parameters
        ----------
        draws, chains : int
            Kept draws per chain, number of chains.
        tune : int or None
            Warm-up iterations per chain. ``None`` (default): 200 for bayeslogit's own NUTS,
            which starts at the posterior mode with the Laplace covariance as its metric and so
            only adapts its step size (``benchmarks/README.md``, "Warm-up length": 1000 spent
            1.7x the gradients per effective draw for the same posterior), 1000 for it on a
            model with group terms or sampled scales (its metric is learnt in warm-up), and 1000 for PyMC,
            nutpie and numpyro. An integer is used as given, whichever the sampler. The warm-up used is in
            ``idata.sample_stats.attrs["tuning_steps"]`` (and ``"tuning_steps_source"``:
            ``"auto"`` or ``"explicit"``) and in the summary's run settings.
        random_seed : int, optional
            Same seed -> identical draws.
        sampler : {"auto", "bayeslogit", "pymc", "nutpie", "numpyro"}
            NUTS implementation. ``"bayeslogit"``: bayeslogit's own NUTS (compiled once per
            machine with numba, chains on threads, started at dispersed draws around the
            posterior mode with the Laplace covariance as a dense mass matrix; see
            ``benchmarks/README.md``).
            ``"auto"`` (default) uses it whenever Newton's method finds the posterior mode,
            and PyMC's NUTS otherwise (separation under flat priors; the ``Horseshoe``, which
            it does not take). A model with group terms or with ``Normal(mu, HalfNormal(s))``
            (a sampled scale) runs on it too (non-centred, warm-up adapting a dense metric,
            diagonal over 100 parameters, 1000 iterations), unless its position has over 5000
            parameters or it also has a
            horseshoe: then ``"auto"`` runs nutpie when installed, else PyMC's NUTS, and says
            so on stderr; ``method="laplace"`` raises a ``SamplerError`` with group terms.
        target_accept : float or None
            NUTS target acceptance rate in (0, 1); raise it (e.g. 0.95) after divergences.
            ``None`` (default): 0.8, or what the priors need (the horseshoe: 0.99, as rstanarm's
            ``hs()``); the rate used is in ``idata.sample_stats.attrs["target_accept"]`` and in
            the summary.
        progressbar : bool or callable
            Show a progress bar on stderr (terminals and notebooks): draws done, divergences
            so far, time left. bayeslogit's NUTS also accepts a callable, called with a
            ``ProgressInfo(done, total, divergences, elapsed)`` at each update. The first run on
            a machine compiles the sampler (15-30 s) and says so once.
        log_likelihood : bool
            Also store the pointwise log-likelihood as the ArviZ group ``log_likelihood``
            (for raw ArviZ functions). Default False: LOO, the diagnostics and the report
            compute it by row blocks when they need it, so memory stays about the size of the
            data plus the draws. True costs ``chains x draws x rows x 8`` bytes (3.2 GB at the
            default 4 x 1000 draws and 100,000 rows) and warns with the size above 1 GB; it is
            never saved by ``save()``.
        method : {"nuts", "laplace"}
            ``"laplace"``: ``chains * draws`` independent draws from the Laplace approximation
            at the posterior mode, corrected by Pareto-smoothed importance sampling (fast for
            large n). Its Pareto k is in ``idata.posterior.attrs["pareto_k"]``; when k > 0.7 the
            approximation is not trusted and NUTS runs instead, with a warning.

        Returns
        -------
        PosteriorResults

        Raises
        ------
        KeyboardInterrupt
            On Ctrl-C: sampling stops within about a second (bayeslogit's NUTS) and no partial
            posterior is returned, whichever the sampler.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.idata.posterior["beta"].shape
        (2, 100, 2)
        """
        draws = check_int("draws", draws, low=1)
        tune = None if tune is None else check_int("tune", tune, low=0)  # None: chosen per sampler
        chains = check_int("chains", chains, low=1)
        random_seed = check_seed(random_seed)
        source = "auto" if target_accept is None else "explicit"
        target_accept = (
            self.priors.target_accept if target_accept is None else check_probability("target_accept", target_accept)
        )
        check_choice("sampler", sampler, pymc_model.SAMPLERS)
        check_choice("method", method, ("nuts", "laplace"))
        if isinstance(self.design, DaskDesign):  # Laplace + PSIS by partitions, or a refusal
            return sample_dask(self, method=method, draws=draws, chains=chains, random_seed=random_seed)  # type: ignore[return-value]
        if self.design.categorical is not None:  # multinomial, ordinal: PyMC's model for now
            warn_if_improper(self, stacklevel=2)  # Flat priors on separated data
            if method == "laplace":
                tree, why = laplace_categorical(self, draws=draws, chains=chains, random_seed=random_seed)
                if tree is not None:
                    return cast(Any, CategoricalPosterior(self, tree, sampler="laplace+psis", random_seed=random_seed))
                warnings.warn(
                    f"method='laplace': {why}, so the Laplace approximation is not trusted; sampling with NUTS instead",
                    BayeslogitWarning,
                    stacklevel=2,
                )
            cat_idata, cat_used = sample_categorical(
                self,
                draws=draws,
                tune=tune,
                chains=chains,
                random_seed=random_seed,
                sampler=sampler,
                target_accept=target_accept,
                progressbar=progressbar,
            )
            return cast(Any, CategoricalPosterior(self, cat_idata, sampler=cat_used, random_seed=random_seed))
        idata, used = sampling.sample_posterior(
            self,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            sampler=sampler,
            target_accept=target_accept,
            progressbar=progressbar,
            method=method,
        )
        if used != "laplace+psis":  # NUTS: the target acceptance rate used, and who chose it
            for group in ("posterior", "sample_stats"):
                if group in idata.children:
                    idata[group].attrs.update(target_accept=target_accept, target_accept_source=source)
        # what bl.kfold refits each fold with (not saved to files: read from the fit there)
        settings = dict(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            sampler=sampler,
            target_accept=None if source == "auto" else target_accept,
            method=method,
        )
        return PosteriorResults(
            self,
            idata,
            sampler=used,
            random_seed=random_seed,
            log_likelihood=log_likelihood,
            sample_settings=settings,
        )

    def sample_prior_predictive(self, draws: int = 500, *, random_seed: int | None = None, predictive: bool = True):
        """Draw coefficients from the priors and outcomes from them: what the priors imply.

        The counterpart of PyMC's ``pm.sample_prior_predictive`` and bambi's
        ``model.prior_predictive``, and laid out like PyMC's: the same group, variable and
        dimension names, so ArviZ's plots take it unchanged (``az.plot_ppc_dist(tree,
        group="prior_predictive")``). The draws are exact numpy draws from the documented
        priors (see :mod:`bayeslogit.fit.prior_predictive`; no PyMC model is compiled); with
        a centred intercept its prior is on the log-odds at the predictor means, and ``beta``
        holds the original-scale coefficients. To add these groups to a posterior fit (for
        ``az.plot_prior_posterior``) use :meth:`PosteriorResults.sample_prior_predictive`.
        A multinomial or ordinal model's ``prior`` group holds ``theta`` (dims ``param``, labelled
        as the fits' ``params``) and its outcomes are level codes (the levels in the groups'
        ``levels`` attribute); see :mod:`bayeslogit.fit.prior_predictive_categorical`.

        Parameters
        ----------
        draws : int
            Number of draws (one chain), default 500 as in PyMC.
        random_seed : int, optional
            Same seed -> identical draws.
        predictive : bool
            Also simulate outcomes for every training row (default, the ``prior_predictive``
            group: ``draws x rows`` integers, int8 for 0/1 data, with a warning giving the size
            above 1 GB). False: the ``prior`` group only.

        Returns
        -------
        xarray.DataTree
            Groups ``prior`` (``beta`` with dims ``coef``, plus the free variables of
            :attr:`pymc_model`, e.g. ``beta_normal``, ``tau``), ``prior_predictive`` (the
            outcomes with dims ``obs``, named as the response: ``admit`` for ``admit ~ gpa``),
            ``observed_data`` (the same name) and ``constant_data``; every group has
            ``chain`` (one) and ``draw`` dims where it has draws.

        Raises
        ------
        PriorError
            If a coefficient has a ``Flat`` prior (improper: nothing to draw).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> prior = bl.LogitModel("y ~ x", df).sample_prior_predictive(200, random_seed=1)
        >>> sorted(prior.children)
        ['constant_data', 'observed_data', 'prior', 'prior_predictive']
        >>> prior.prior_predictive["y"].shape, str(prior.prior_predictive["y"].dtype)
        ((1, 200, 6), 'int8')
        """
        draws = check_int("draws", draws, low=1)
        random_seed = check_seed(random_seed)
        check_bool("predictive", predictive)
        if self.design.categorical is not None:  # theta (dims param) and outcome codes
            return categorical_prior_predictive_tree(
                self.design, self.priors, draws=draws, random_seed=random_seed, predictive=predictive
            )
        return prior_predictive.prior_predictive_tree(
            self.design, self.priors, draws=draws, random_seed=random_seed, predictive=predictive
        )

    def fit_mle(
        self,
        *,
        tol: float = 1e-10,
        max_iter: int = 100,
        pooling: Literal["complete", "none"] | None = None,
        nAGQ: int = 1,
    ) -> MLEResults | GLMMResults:
        """Maximum-likelihood fit: Newton's method (what statsmodels ``Logit`` reports), or for a
        model with group terms the GLMM maximum likelihood (what lme4's ``glmer`` reports).

        Separated data (the MLE does not exist) give a :class:`~bayeslogit.SeparationWarning`
        naming the columns, and the result's ``separation`` attribute is set; the fit never
        ends in a ``LinAlgError``.

        Parameters
        ----------
        tol : float
            Convergence tolerance on the Newton decrement (fixed-effects and pooled fits).
        max_iter : int
            Maximum Newton iterations (fixed-effects and pooled fits); for the GLMM, the
            maximum outer (L-BFGS-B) iterations is ``5 * max_iter``.
        pooling : {"complete", "none"}, optional
            Models with group terms only: fit one of the two pooled extremes instead of the GLMM.
        nAGQ : int
            Models with group terms only: 1 (default) integrates the group effects out by the
            Laplace approximation (glmer's default); ``nAGQ > 1`` by adaptive Gauss-Hermite
            quadrature with that many nodes per level, for a single scalar group term such as
            ``(1 | g)`` (glmer's ``nAGQ``).

        Returns
        -------
        MLEResults or GLMMResults

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> bl.LogitModel("y ~ x", df).fit_mle().converged
        True

        A model with group terms (``(1 | g)``) gets the GLMM maximum likelihood, a
        :class:`~bayeslogit.GLMMResults`: the group effects ``b_j ~ N(0, Sigma)`` integrated out
        of the likelihood (Laplace, or ``nAGQ`` quadrature nodes), maximised over the population
        coefficients and the covariance parameters (lme4's ``theta``); see
        :mod:`bayeslogit.fit.glmm`. ``pooling`` fits one of the two extremes instead, which
        shown next to the posterior (``bl.compare``) tell the partial-pooling story:
        ``"complete"`` drops the group terms; ``"none"`` fits every level's own coefficients
        as fixed effects, sum-to-zero coded (``C(g, Sum)``, ``C(g, Sum):x``) so that
        ``Intercept`` and ``x`` stay averages over the levels. The result's ``label`` says
        which: ``"MLE (GLMM, Laplace)"``, ``"MLE (complete pooling)"``, ``"MLE (no pooling)"``.
        (Before issue 22, ``fit_mle()`` of such a model was the complete-pooling fit.)

        >>> from bayeslogit.datasets import bugs_seeds
        >>> m = bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n")
        >>> m.fit_mle().label, m.fit_mle(pooling="complete").label
        ('MLE (GLMM, Laplace)', 'MLE (complete pooling)')
        """
        tol = check_number("tol", tol, low=0, high=1)
        max_iter = check_int("max_iter", max_iter, low=1)
        nAGQ = check_int("nAGQ", nAGQ, low=1)
        if isinstance(self.design, DaskDesign) and pooling is None:
            if nAGQ != 1:
                raise ArgumentError(
                    f"nAGQ={nAGQ} needs group terms like (1 | g); a model on dask data has none: leave nAGQ at 1"
                )
            return fit_mle_dask(self, tol=tol, max_iter=max_iter)
        if self.design.categorical is not None:  # multinomial, ordinal: bayeslogit.results.categorical
            # a CategoricalResults (typed as the binary results, whose interface it shares)
            return cast(Any, fit_categorical(self, mle=True, tol=tol, max_iter=max_iter))
        if pooling is not None or (self.design.groups is None and nAGQ != 1):
            if nAGQ != 1:
                raise ArgumentError(
                    f"nAGQ={nAGQ} integrates group effects out of the GLMM likelihood; it needs group terms "
                    "like (1 | g) and no pooling= (a pooled fit has no group effects); leave nAGQ at 1"
                )
            sub, how = _pooled_model(self, pooling, "fit_mle")
            return fit_mle(sub, tol=tol, max_iter=max_iter, label=f"MLE ({how})", population_names=self.coef_names)
        if self.design.groups is not None:
            return fit_glmm_mle(self, nAGQ=nAGQ, max_iter=5 * max_iter)
        return fit_mle(self, tol=tol, max_iter=max_iter)

    @renamed_arguments(prior="priors")
    def fit_map(
        self,
        *,
        priors: PriorSpec = None,
        tol: float = 1e-10,
        max_iter: int = 100,
        pooling: Literal["complete", "none"] | None = None,
    ) -> MAPResults:
        """Posterior mode by Newton's method, with Laplace (inverse-Hessian) standard deviations.

        Parameters
        ----------
        priors : Prior, dict or SklearnPrior, optional
            Priors for this fit, with the same rules as the model's ``priors`` (one prior ->
            every slope; a dict -> per term; :func:`bayeslogit.sklearn_prior` -> sklearn's
            penalty). Default: the model's own priors, i.e. the mode of ``sample()``'s posterior.
        tol, max_iter
            As for :meth:`fit_mle`.
        prior : Prior, dict or SklearnPrior, optional
            Deprecated alias of ``priors`` (FutureWarning); removed in the next release.

        Returns
        -------
        MAPResults

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> fit = bl.LogitModel("y ~ x", df).fit_map(priors=bl.Normal(0, 1))
        >>> fit.label
        'MAP Normal(0, 1)'
        """
        tol = check_number("tol", tol, low=0, high=1)
        max_iter = check_int("max_iter", max_iter, low=1)
        if isinstance(self.design, DaskDesign) and pooling is None:
            return fit_map_dask(self, priors, tol=tol, max_iter=max_iter)
        if self.design.categorical is not None:
            return cast(Any, fit_categorical(self, priors, mle=False, tol=tol, max_iter=max_iter))
        if pooling is not None or self.design.groups is not None:  # as fit_mle(pooling=...)
            sub, how = _pooled_model(self, pooling, "fit_map")
            return fit_map(  # no group sds in the pooled model
                sub,
                split_prior_spec(priors)[0],
                tol=tol,
                max_iter=max_iter,
                label_suffix=f", {how}",
                population_names=self.coef_names,
            )
        return fit_map(self, priors, tol=tol, max_iter=max_iter)


def _pooled_model(model: LogitModel, pooling, where: str) -> tuple[LogitModel, str]:
    """The complete-pooling (group terms dropped) or no-pooling (group terms as sum-to-zero
    coded fixed effects) model of a model with group terms, and its name."""
    from .design.group_terms import split_group_terms

    if model.design.groups is None:
        raise ArgumentError(f"{where}(pooling={pooling!r}) needs group terms like (1 | g) in the formula")
    if pooling is None:
        pooling = "complete"
    if pooling not in ("complete", "none"):
        raise ArgumentError(f"pooling must be 'complete' or 'none', got {pooling!r}")
    fixed, terms = split_group_terms(model.formula)
    d = model.design
    data = training_rows(model)
    if pooling == "complete":
        sub = LogitModel._from_parts(replace(d, groups=None, formula=fixed), replace(model.priors, groups=None))
        sub._data = data
        return sub, "complete pooling"
    extra = []
    for t in terms:
        by = ":".join(f"C({f}, Sum)" for f in t.factors)
        for term in patsy.ModelDesc.from_formula(f"_y_ ~ {t.expr}").rhs_termlist:
            extra.append(":".join([f.code for f in term.factors] + [by]))
    formula = fixed + " + " + " + ".join(extra)
    try:
        design, rows = rebuild_design(
            formula, data, event=d.event, trials=d.trials_name, weights=d.weights_name, offset=d.offset_name
        )
    except DesignError as exc:
        raise DesignError(
            f"pooling='none' fits {formula!r}, which is not identified: {exc}. Population predictors "
            "that are constant within the groups (group-level predictors) cannot be told apart from "
            "the groups' own coefficients; compare with pooling='complete' only, or drop them"
        ) from None
    sub = LogitModel._from_parts(design, resolve_priors(None, design))
    sub._data = rows
    return sub, "no pooling"
