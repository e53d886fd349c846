"""Point fits of a model over a dask DataFrame (:mod:`bayeslogit.fit.distributed`) as results.

:class:`DaskMLEResults` and :class:`DaskMAPResults` are the in-memory classes with the
per-row statistics replaced by what the data passes reduced: the log-likelihood at the
estimate, the null log-likelihood (a Newton fit of the intercept, with the offset), and the
separation check run on the compressed patterns when they fit in memory. ``fittedvalues`` is a
lazy dask Series; the per-row residuals are not offered.

:func:`sample_dask` is ``sample()`` on dask data: :func:`laplace_dask` (the Laplace
approximation corrected by Pareto-smoothed importance sampling, each proposal's log posterior
summed per partition) as :class:`DaskLaplaceResults`, or, for NUTS, a refusal naming
``method="laplace"`` and ``compress()``. The Laplace fit's ``loo``, ``diagnostics`` and
``report`` work on a row subsample drawn across the partitions
(:class:`~bayeslogit.results.shortcuts.DaskPosteriorShortcuts`), ``save`` stores no rows
(:mod:`bayeslogit.io_dask`); the shortcuts that read every training row (``marginal_effects``,
``posterior_predictive``...) are refused by name with the way out, and a point fit's ``loo``,
``diagnostics`` and ``report`` point to ``sample(method="laplace")``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np
import pandas as pd

from .._options import options
from .._validation import check_int, check_number
from ..design.dask import DaskDesign
from ..errors import ArgumentError, DataError, SamplerError, SeparationWarning
from ..fit.distributed import compress, final_stats, newton_dask
from ..fit.separation import detect_separation
from ..priors import resolve_priors
from ..summary import Summary
from .base import DEFAULT_CI_PROB, Results
from .point import MAPResults, MLEResults
from .shortcuts import DaskPosteriorShortcuts

__all__ = [
    "DaskMLEResults",
    "DaskMAPResults",
    "DaskLaplaceResults",
    "fit_mle_dask",
    "fit_map_dask",
    "sample_dask",
    "laplace_dask",
    "predict_dask",
]


def _in_memory_only(name: str):
    def refuse(self, *args, **kwargs):
        raise ArgumentError(
            f"{name}() needs the rows in memory, and this fit's rows are in a dask DataFrame; "
            "compress them (model.compress(), exact when predictors repeat) and fit that model, or "
            "fit an in-memory sample of the rows"
        )

    refuse.__name__ = name
    refuse.__doc__ = f"Not offered on dask data: raises :class:`~bayeslogit.ArgumentError` ({name} reads every row)."
    return refuse


class _NotOnDask:
    """The shortcuts that read every training row: refused by name, with the way out."""

    loo = _in_memory_only("loo")
    diagnostics = _in_memory_only("diagnostics")
    report = _in_memory_only("report")
    marginal_effects = _in_memory_only("marginal_effects")
    posterior_predictive = _in_memory_only("posterior_predictive")
    sample_posterior_predictive = _in_memory_only("sample_posterior_predictive")
    to_arviz = _in_memory_only("to_arviz")


class _DaskPoint(_NotOnDask):
    """What the dask point fits share: the stored log-likelihood, lazy fitted values."""

    _llf: float

    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate (summed over the partitions)."""
        return self._llf

    @property
    def fittedvalues(self):
        """Fitted probabilities per row: a lazy dask Series (``.compute()`` materialises it)."""
        return predict_dask(self.dask_design, self._newton.beta)  # type: ignore[attr-defined]

    @property
    def dask_design(self) -> DaskDesign:
        """The model's design (:class:`~bayeslogit.design.dask.DaskDesign`)."""
        return cast(DaskDesign, self.model.design)  # type: ignore[attr-defined]

    def predict(
        self, new_df=None, *, kind="prob", ci_prob=None, offset=None, new_groups="population", random_seed=None
    ):
        """``P(y = 1)`` of rows at the estimate (the in-memory ``predict()``'s ``estimate``
        column; ``kind="prob"`` only, no intervals): a lazy dask Series for a dask DataFrame
        (the training rows when ``new_df`` is None), a pandas Series for a pandas DataFrame."""
        from ..fit.distributed import predict_partition

        if kind != "prob" or ci_prob is not None or offset is not None:
            raise ArgumentError(
                "predict() of a dask fit gives the probabilities only: leave kind, ci_prob and offset out"
            )
        d = self.dask_design
        beta = self._newton.beta  # type: ignore[attr-defined]
        if new_df is None or not isinstance(new_df, pd.DataFrame):
            return predict_dask(d, beta, new_df)
        return predict_partition(new_df, d.recipe, beta)

    def diagnostics(self, *args, **kwargs):
        """Not offered: the diagnostics and the report are a posterior's."""
        raise ArgumentError(
            "diagnostics() and report() are for posterior fits; on dask data run "
            "sample(method='laplace') and call its diagnostics() or report(path, fits=(this fit,))"
        )

    report = diagnostics

    def loo(self, *args, **kwargs):
        """Not offered: LOO averages over a posterior, and a point fit has no draws."""
        raise ArgumentError(
            "loo() needs a posterior (PSIS-LOO averages over draws) and a point fit has none; on dask "
            "data run sample(method='laplace') and call its loo() (subsampled across the partitions)"
        )

    def _per_row(self, *args, **kwargs):
        raise ArgumentError("per-row residuals of dask data are not computed; use predict() on the rows you need")

    resid_deviance = property(_per_row)
    resid_pearson = property(_per_row)


class DaskMLEResults(_DaskPoint, MLEResults):
    """:class:`~bayeslogit.results.point.MLEResults` of a dask design."""

    def __init__(self, model, fit, *, llf: float, **kwargs) -> None:
        super().__init__(model, fit, **kwargs)
        self._llf = llf
        self._llnull: float | None = None

    @property
    def llnull(self) -> float:
        """Log-likelihood of the intercept-only model (with the offset): Newton over the data."""
        if self._llnull is None:
            self._llnull = newton_dask(self.dask_design, None, intercept_only=True).logpost
        return self._llnull

    @property
    def nobs(self) -> int:
        d = self.dask_design
        return int(round(d.total_weight)) if d.weights_name is not None and not d.recipe.likelihood_weights else d.n_obs

    @property
    def deviance(self) -> float:
        d = self.dask_design
        if d.binomial:
            raise ArgumentError("the deviance of binomial dask rows is not computed; compare llf instead")
        return -2.0 * self.llf

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        d = self.dask_design
        info = [
            ("Dep. Variable:", d.response),
            ("Data:", f"dask DataFrame, {d.n_obs} rows in {d.n_partitions} partitions"),
            *([("Offset:", d.offset_label or "")] if d.has_offset else []),
            ("Method:", "MLE (Newton, one pass per iteration)"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            ("No. Observations:", str(self.nobs)),
            ("Df Residuals:", str(self.df_resid)),
            ("Df Model:", str(self.df_model)),
            ("Pseudo R-squ.:", f"{self.prsquared:.4f}"),
            ("Log-Likelihood:", f"{self.llf:.3f}"),
            ("LL-Null:", f"{self.llnull:.3f}"),
            ("LLR p-value:", f"{self.llr_pvalue:.4g}"),
            ("AIC:", f"{self.aic:.3f}"),
            ("BIC:", f"{self.bic:.3f}"),
        ]
        notes = [self._separation_note] if self._separation_note else []
        return Summary("Logit Regression Results (maximum likelihood)", info, [self.coef_table(ci_prob=ci_prob)], notes)

    _separation_note: str = ""


class DaskMAPResults(_DaskPoint, MAPResults):
    """:class:`~bayeslogit.results.point.MAPResults` of a dask design."""

    def __init__(self, model, fit, priors, *, llf: float, prior_label: str) -> None:
        super().__init__(model, fit, priors, prior_label=prior_label)
        self._llf = llf

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        d = self.dask_design
        info = [
            ("Formula:", d.formula),
            ("Data:", f"dask DataFrame, {d.n_obs} rows in {d.n_partitions} partitions"),
            ("Method:", "MAP (Newton, one pass per iteration), Laplace sd"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            ("Log-Likelihood:", f"{self.llf:.3f}"),
            ("Log posterior:", f"{self.log_posterior:.3f}"),
        ]
        notes = [f"Intervals are {ci_prob:.0%} Laplace (Gaussian at the mode) intervals."]
        return Summary(
            f"Logistic regression, posterior mode ({self.prior_label})",
            info,
            [self.coef_table(ci_prob=ci_prob), self.priors.table()],
            notes,
        )


def _options(tol, max_iter):
    return check_number("tol", tol, low=0, high=1), check_int("max_iter", max_iter, low=1)


def fit_mle_dask(model, *, tol: float = 1e-10, max_iter: int = 100) -> DaskMLEResults:
    """The MLE of a dask model (see :meth:`LogitModel.fit_mle`). When the estimate looks
    separated (not converged, ``|eta| > 15`` or ``p (1 - p) < 1e-8`` somewhere: the in-memory
    path's trigger), the exact separation check runs on the compressed patterns (at most the
    option ``max_patterns`` of them); with more, a warning says that separation was not checked."""
    tol, max_iter = _options(tol, max_iter)
    max_patterns = options["max_patterns"]
    d = model.design
    fit = newton_dask(d, None, tol=tol, max_iter=max_iter)
    stats = final_stats(d, fit.beta)
    kind, cols, note = None, [], ""
    if (not fit.converged) or stats.max_abs_eta > 15 or stats.min_weight < 1e-8:
        try:
            small = compress(d, max_rows=max_patterns).design
        except DataError:
            note = (
                f"the fit looks separated (|eta| up to {stats.max_abs_eta:.3g}) but the rows have more than "
                f"{max_patterns} distinct patterns, so the exact separation check was not run"
            )
            warnings.warn(note + "; use fit_map() with a proper prior", SeparationWarning, stacklevel=3)
        else:
            kind, direction = detect_separation(small.X, small.y, small.trials)
            if kind is not None:
                big = np.abs(direction) > 1e-6 * np.max(np.abs(direction))
                cols = [n for n, b in zip(d.column_names, big) if b and n != "Intercept"] or [
                    n for n, b in zip(d.column_names, big) if b
                ]
                note = (
                    f"WARNING: {kind} separation along {cols}: the MLE does not exist; estimates and "
                    "standard errors are where Newton stopped and are not meaningful."
                )
                warnings.warn(
                    f"{kind} separation: the outcome is perfectly predicted along {cols}, so the MLE "
                    "does not exist (coefficients diverge; standard errors are meaningless). Use "
                    "fit_map() or sample() with a proper prior, or drop/merge those columns.",
                    SeparationWarning,
                    stacklevel=3,
                )
                fit.converged = False
    res = DaskMLEResults(model, fit, llf=stats.loglik, separation=kind, separating_columns=cols)
    res._separation_note = note
    return res


def fit_map_dask(model, spec=None, *, tol: float = 1e-10, max_iter: int = 100) -> DaskMAPResults:
    """The posterior mode of a dask model under smooth priors (see :meth:`LogitModel.fit_map`)."""
    from .point import describe_spec

    tol, max_iter = _options(tol, max_iter)
    d = model.design
    priors = model.priors if spec is None else resolve_priors(spec, d)
    if priors.has_kink or priors.sampled_scale:
        raise ArgumentError(
            "on dask data fit_map() takes smooth priors with fixed scales (Normal, Student-t, "
            "Cauchy, Flat, sklearn_prior with l1_ratio=0); for Laplace/elastic-net or a sampled "
            "scale, compress the rows first (model.compress()) and fit in memory"
        )
    fit = newton_dask(d, priors, tol=tol, max_iter=max_iter)
    label = "model priors" if spec is None else describe_spec(spec)
    return DaskMAPResults(model, fit, priors, llf=final_stats(d, fit.beta).loglik, prior_label=label)


def sample_dask(model, *, method: str, draws: int, chains: int, random_seed) -> DaskLaplaceResults:
    """``sample()`` on dask data: ``method="laplace"`` runs (:func:`laplace_dask`); NUTS, which
    needs every row at every gradient, is refused with the alternatives."""
    if method != "laplace":
        raise SamplerError(
            f"sample(method={method!r}) on a dask DataFrame is not run: exact NUTS would read every "
            "row at every gradient (thousands of passes over the data), and no approximation is "
            "labelled as NUTS. Use sample(method='laplace') (the Laplace approximation corrected by "
            "Pareto-smoothed importance sampling, with its Pareto k), or compress the rows to their "
            "distinct patterns and sample in memory (model.compress().sample(), exact when "
            "predictors repeat: factors, binned values)"
        )
    return laplace_dask(model, draws=draws, chains=chains, random_seed=random_seed)


def laplace_dask(model, *, draws: int, chains: int, random_seed) -> DaskLaplaceResults:
    """The mode and curvature by :func:`~bayeslogit.fit.distributed.newton_dask`, Student-t
    proposals, each proposal's log posterior summed over the partitions (one pass for all of
    them: draws x partitions numbers), PSIS weights and resampling
    (:func:`bayeslogit.fit.laplace.sample_laplace`). Refused (:class:`~bayeslogit.SamplerError`,
    with advice) when the data look separated or Pareto k exceeds 0.7."""
    from ..fit.distributed import log_posterior_draws
    from ..fit.laplace import K_THRESHOLD, sample_laplace
    from ..fit.newton import covariance
    from ..fit.nuts.density import Mode

    d = cast(DaskDesign, model.design)
    priors = model.priors
    if priors.has_kink or priors.sampled_scale:
        raise SamplerError(
            "sample(method='laplace') on dask data needs smooth priors with fixed scales; compress "
            "the rows (model.compress()) and sample in memory"
        )
    fit = newton_dask(d, priors)
    if not fit.converged:
        raise SamplerError(
            "sample(method='laplace'): Newton's method found no posterior mode; check the data with fit_mle()"
        )
    stats = final_stats(d, fit.beta)
    if stats.max_abs_eta > 15 or stats.min_weight < 1e-8:
        try:
            small = compress(d, max_rows=options["max_patterns"]).design
            kind, _ = detect_separation(small.X, small.y, small.trials)
        except DataError:
            kind = "not checked"
        if kind is not None:
            raise SamplerError(
                f"sample(method='laplace'): the data look separated ({kind}; |eta| reaches "
                f"{stats.max_abs_eta:.3g} at the mode): the posterior has a tail only the prior bounds, "
                "which a proposal at the mode cannot cover. Compress the rows and sample with NUTS in "
                "memory (model.compress().sample()), or drop/merge the separating columns"
            )
    mode = Mode(beta=fit.beta, cov=covariance(fit.neg_hessian), converged=True, n_iter=fit.iterations)
    res = sample_laplace(
        None, mode, draws=draws, chains=chains, random_seed=random_seed,
        log_posterior=lambda B: log_posterior_draws(d, priors, B),
    )  # fmt: skip
    if not res.pareto_k <= K_THRESHOLD:
        raise SamplerError(
            f"sample(method='laplace'): Pareto k = {res.pareto_k:.2f} exceeds {K_THRESHOLD}, so the "
            "importance-weighted Laplace approximation is not trusted (importance-sampling ESS "
            f"{res.ess_is:.0f} of {draws * chains}). Compress the rows and sample with NUTS in "
            "memory (model.compress().sample()), or report fit_map()'s mode and Laplace sds as such"
        )
    return DaskLaplaceResults(model, res, random_seed=random_seed)


class DaskLaplaceResults(DaskPosteriorShortcuts, _NotOnDask, Results):
    """Draws of the PSIS-corrected Laplace approximation of a dask model's posterior.

    Attributes
    ----------
    idata : xarray.DataTree
        ``posterior.beta`` (dims ``chain``, ``draw``, ``coef``: the resampled draws) and
        ``importance`` (the proposals, their log posterior and log proposal density, the
        smoothed weights, and per coefficient the importance-sampling MCSE and ESS).
    pareto_k, ess_importance : float
        The Pareto k of the importance weights (<= 0.7 here) and their ESS, ``1 / sum w^2``.
    """

    method = "laplace"

    def __init__(self, model, res, *, random_seed) -> None:
        import xarray as xr
        from arviz_base import from_dict

        from ..fit.laplace import PROPOSAL_DF

        self._init_results(model, label="Posterior (Laplace + PSIS)")
        coef = list(model.design.column_names)
        tree = from_dict({"posterior": {"beta": res.beta}}, coords={"coef": coef}, dims={"beta": ["coef"]})
        tree.posterior.attrs.update(
            pareto_k=res.pareto_k, ess_importance=res.ess_is, sampling_library="bayeslogit (Laplace + PSIS, dask)"
        )
        tree["importance"] = xr.Dataset(
            {
                "proposal": (("sample", "coef"), res.proposal),
                "log_p": ("sample", res.log_p),
                "log_q": ("sample", res.log_q),
                "weight": ("sample", res.weight),
                "mcse_mean": ("coef", res.mcse),
                "ess": ("coef", res.ess_coef),
            },
            coords={"coef": coef, "sample": np.arange(res.proposal.shape[0])},
            attrs={"proposal": f"multivariate Student-t, {PROPOSAL_DF} df, at the Laplace approximation"},
        )
        self.idata = tree
        self.pareto_k = float(res.pareto_k)
        self.ess_importance = float(res.ess_is)
        self.random_seed = random_seed
        self._draws = res.beta.reshape(-1, len(coef))

    @property
    def params(self) -> pd.Series:
        """Posterior means."""
        return pd.Series(self._draws.mean(axis=0), index=self.coef_names, name="mean")

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """mean, sd, the equal-tailed ``ci_prob`` interval, and the importance-sampling MCSE of
        the mean and ESS per coefficient (in place of MCMC's: the draws are resampled)."""
        lo, hi = np.quantile(self._draws, [(1 - ci_prob) / 2, (1 + ci_prob) / 2], axis=0)
        imp = self.idata["importance"]
        table = pd.DataFrame(
            {
                "mean": self.params,
                "sd": self._draws.std(axis=0, ddof=1),
                f"eti{ci_prob:.0%}_lb": lo,
                f"eti{ci_prob:.0%}_ub": hi,
                "mcse_mean": np.asarray(imp["mcse_mean"]),
                "ess_is": np.asarray(imp["ess"]),
            },
            index=self.coef_names,
        )
        table.index.name = "term"
        return table

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        d = cast(DaskDesign, self.model.design)
        info = [
            ("Formula:", d.formula),
            ("Data:", f"dask DataFrame, {d.n_obs} rows in {d.n_partitions} partitions"),
            ("Method:", "Laplace approximation + Pareto-smoothed importance sampling"),
            ("Draws:", str(self._draws.shape[0])),
            ("Pareto k:", f"{self.pareto_k:.3f} (trusted below 0.7)"),
            ("IS ESS:", f"{self.ess_importance:.0f}"),
        ]
        notes = [
            "Draws resampled from Student-t proposals at the posterior mode, each weighted by its "
            "log posterior summed over the partitions; the MCSE and ESS are importance sampling's."
        ]
        return Summary(
            "Logistic regression, posterior (Laplace + PSIS)", info, [self.coef_table(ci_prob=ci_prob)], notes
        )

    def predict(self, *args, **kwargs):
        raise ArgumentError("predict() of a dask posterior is not offered; use fit_map().predict(ddf) for the mode")


def predict_dask(design, beta: np.ndarray, data=None):
    """Probabilities of the rows of a dask DataFrame (the training data by default) at ``beta``,
    as a lazy dask Series: each partition encoded with the training design when computed."""
    from ..design.dask import is_dask_frame
    from ..fit.distributed import predict_partition

    if data is None and design.frame is None:
        design.partitions()  # a fit loaded without its rows: raises, saying so
    frame = design.frame if data is None else data
    if not is_dask_frame(frame):
        raise DataError(f"predict_dask needs a dask DataFrame, got {type(frame).__name__}")
    b = np.asarray(beta, dtype=float)
    return frame.map_partitions(predict_partition, design.recipe, b, meta=("estimate", "f8"))
