"""Point fits of a model over a dask DataFrame (:mod:`bayeslogit.fit.distributed`) as results.

:class:`DaskMLEResults` and :class:`DaskMAPResults` are the in-memory classes with the
per-row statistics replaced by what the data passes reduced: the log-likelihood at the
estimate, the null log-likelihood (a Newton fit of the intercept, with the offset), and the
separation check run on the compressed patterns when they fit in memory. ``fittedvalues`` is a
lazy dask Series; the per-row residuals are not offered.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import cast

import numpy as np
import pandas as pd

from .._validation import check_int, check_number
from ..design.dask import DaskDesign
from ..errors import ArgumentError, DataError, SamplerError, SeparationWarning
from ..fit.distributed import compress, final_stats, newton_dask
from ..fit.separation import detect_separation
from ..priors import resolve_priors
from ..summary import Summary
from .base import DEFAULT_CI_PROB
from .point import MAPResults, MLEResults

__all__ = ["DaskMLEResults", "DaskMAPResults", "fit_mle_dask", "fit_map_dask", "refuse_sample", "predict_dask"]


class _DaskPoint:
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


def fit_mle_dask(model, *, tol: float = 1e-10, max_iter: int = 100, max_patterns: int = 200_000) -> DaskMLEResults:
    """The MLE of a dask model (see :meth:`LogitModel.fit_mle`). When the estimate looks
    separated (not converged, ``|eta| > 15`` or ``p (1 - p) < 1e-8`` somewhere: the in-memory
    path's trigger), the exact separation check runs on the compressed patterns (at most
    ``max_patterns`` of them); with more, a warning says that separation could not be checked."""
    tol, max_iter = _options(tol, max_iter)
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


def refuse_sample(model, method: str):
    """``sample()`` on dask data: NUTS needs every row at every gradient, so it is refused."""
    raise SamplerError(
        f"sample(method={method!r}) on a dask DataFrame is not run: exact NUTS would read every row "
        "at every gradient (thousands of passes over the data), and no approximation is labelled "
        "as NUTS. Compress the rows to their distinct patterns and sample in memory "
        "(model.compress().sample(), exact when predictors repeat: factors, binned values), or use "
        "fit_map() for the mode with Laplace standard deviations"
    )


def predict_dask(design, beta: np.ndarray, data=None):
    """Probabilities of the rows of a dask DataFrame (the training data by default) at ``beta``,
    as a lazy dask Series: each partition encoded with the training design when computed."""
    from ..design.dask import is_dask_frame
    from ..fit.distributed import predict_partition

    frame = design.frame if data is None else data
    if not is_dask_frame(frame):
        raise DataError(f"predict_dask needs a dask DataFrame, got {type(frame).__name__}")
    b = np.asarray(beta, dtype=float)
    return frame.map_partitions(predict_partition, design.recipe, b, meta=("estimate", "f8"))
