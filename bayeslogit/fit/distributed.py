"""Fits over a dask DataFrame: Newton's method with one pass over the data per iteration, the
compression of repeated rows to weighted patterns, and the final statistics.

Every pass maps each partition to a few small arrays (the log-likelihood, the gradient
``X'(y - mu)`` and ``X'WX`` at the current coefficients: ``1 + p + p^2`` numbers) and sums them;
the rows never reach the client, whatever the scheduler (threads, processes, a
``distributed.Client``). :func:`newton_dask` is :func:`bayeslogit.fit.newton.newton` step for
step (the same damped steps, line search, stopping rule and prior terms, which each prior family
computes in its ``derivs``), so it ends at the same coefficients and negative Hessian.

:func:`compress` groups the rows that share every design value, the offset, the response and
the trials into one row weighted by their count (the weights summed): a frequency-weighted
design whose likelihood is the original rows' exactly (constant included for 0/1 rows), so any
method, NUTS included, runs on it in memory when the patterns are few.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import _numerics
from .._blocks import linear_predictor, weighted_gram
from ..design import Design
from ..design.dask import DaskDesign, PartitionArrays, import_dask, partition_arrays, template_design
from ..errors import DataError
from ..priors import ResolvedPriors
from .newton import NewtonResult, prior_terms, solve_pd

__all__ = [
    "loglik_draws",
    "log_posterior_draws",
    "PassTotals",
    "data_pass",
    "newton_dask",
    "compress",
    "Compressed",
    "FinalStats",
    "final_stats",
    "predict_partition",
]


@dataclass
class PassTotals:
    """One pass's sums: log-likelihood, gradient and ``X'WX`` at ``beta``."""

    loglik: float
    grad: np.ndarray
    gram: np.ndarray


def _columns(a: PartitionArrays, intercept_only: bool) -> np.ndarray:
    return np.ones((len(a.y), 1)) if intercept_only else a.X


def _terms(part: pd.DataFrame, recipe, beta: np.ndarray, intercept_only: bool) -> np.ndarray:
    a = partition_arrays(part, recipe)
    X = _columns(a, intercept_only)
    p = X.shape[1]
    if len(X) == 0:
        return np.zeros(1 + p + p * p)
    y = np.asarray(a.y_fit, dtype=float)
    family = a.family
    eta = linear_predictor(X, beta, a.offset)
    mu, w = family.mean_weight(eta)
    out = np.empty(1 + p + p * p)
    out[0] = float(np.sum(family.loglik(eta, y)))
    out[1 : 1 + p] = X.T @ (y - mu)
    out[1 + p :] = weighted_gram(X, w).ravel()
    return out


def _sum(arrays) -> np.ndarray:
    return np.sum(np.stack(arrays), axis=0)


def _tree_sum(dask, values: list, fan_in: int = 16):
    """A delayed sum of delayed arrays, ``fan_in`` at a time (no task holds every partition's)."""
    while len(values) > 1:
        values = [dask.delayed(_sum)(values[i : i + fan_in]) for i in range(0, len(values), fan_in)]
    return values[0]


def data_pass(design: DaskDesign, beta: np.ndarray, *, intercept_only: bool = False) -> PassTotals:
    """One pass over the partitions at ``beta``: log-likelihood, gradient and ``X'WX``."""
    dask, _ = import_dask()
    beta = np.asarray(beta, dtype=float)
    parts = [dask.delayed(_terms)(p, design.recipe, beta, intercept_only) for p in design.partitions()]
    total = np.asarray(_tree_sum(dask, parts).compute())
    p = beta.size
    return PassTotals(float(total[0]), total[1 : 1 + p], total[1 + p :].reshape(p, p))


def newton_dask(
    design: DaskDesign,
    priors: ResolvedPriors | None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    intercept_only: bool = False,
) -> NewtonResult:
    """:func:`bayeslogit.fit.newton.newton` over a dask design: one data pass per Newton step
    (and per halving of a step the line search rejects)."""
    p = 1 if intercept_only else design.n_coef

    def evaluate(b):
        t = data_pass(design, b, intercept_only=intercept_only)
        lp, gp, hp = prior_terms(priors, b)
        return t.loglik + lp, t.grad + gp, t.gram - hp

    beta = np.zeros(p)
    f, g, H = evaluate(beta)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        step = solve_pd(H, g)
        decrement = float(g @ step) / 2.0
        t = 1.0
        while True:
            cand = beta + t * step
            f_new, g_new, H_new = evaluate(cand)
            if np.isfinite(f_new) and f_new >= f - 1e-12 * abs(f):
                break
            t /= 2.0
            if t < 1e-10:
                break
        if t < 1e-10:  # no ascent along the Newton direction: at the optimum numerically
            converged = decrement < 1e-6
            break
        beta, f, g, H = cand, f_new, g_new, H_new
        if decrement < tol:
            converged = True
            break
    else:
        it = max_iter
    return NewtonResult(beta=beta, neg_hessian=H, logpost=f, iterations=it, converged=converged)


# -- the statistics of the final coefficients ------------------------------------------------------


@dataclass
class FinalStats:
    """What a fit reports from one more pass at its estimate."""

    loglik: float
    max_abs_eta: float
    min_weight: float


def _final(part, recipe, beta) -> np.ndarray:
    a = partition_arrays(part, recipe)
    if len(a.y) == 0:
        return np.array([0.0, 0.0, np.inf])
    eta = linear_predictor(a.X, beta, a.offset)
    p = _numerics.inv_logit(eta)
    ll = float(np.sum(a.family.loglik(eta, np.asarray(a.y_fit, dtype=float))))
    return np.array([ll, float(np.max(np.abs(eta))), float(np.min(p * (1 - p)))])


def _combine_final(arrays) -> np.ndarray:
    s = np.stack(arrays)
    return np.array([s[:, 0].sum(), s[:, 1].max(), s[:, 2].min()])


def final_stats(design: DaskDesign, beta: np.ndarray) -> FinalStats:
    """Log-likelihood, the largest ``|eta|`` and the smallest ``p (1 - p)`` at ``beta``."""
    dask, _ = import_dask()
    parts = [dask.delayed(_final)(p, design.recipe, np.asarray(beta, dtype=float)) for p in design.partitions()]
    out = dask.delayed(_combine_final)(parts).compute()
    return FinalStats(float(out[0]), float(out[1]), float(out[2]))


# -- compression -----------------------------------------------------------------------------------


class TooManyPatterns(Exception):
    """More distinct patterns than the cap (internal signal)."""


def _patterns(part, recipe, cap: int) -> pd.DataFrame:
    a = partition_arrays(part, recipe)
    cols: dict[str, np.ndarray] = {f"x{j}": a.X[:, j] for j in range(a.X.shape[1])}
    cols["off"] = np.zeros(len(a.y)) if a.offset is None else a.offset
    cols["y"] = np.asarray(a.y, dtype=float)
    cols["n"] = np.ones(len(a.y)) if a.trials is None else np.asarray(a.trials, dtype=float)
    cols["w"] = np.ones(len(a.y)) if a.weights is None else np.asarray(a.weights, dtype=float)
    return _group(pd.DataFrame(cols), cap)


def _group(frame: pd.DataFrame, cap: int) -> pd.DataFrame:
    keys = [c for c in frame.columns if c != "w"]
    out = frame.groupby(keys, sort=True, as_index=False).agg(w=("w", "sum"))
    if len(out) > cap:
        raise TooManyPatterns(len(out))
    return out


def _merge(frames, cap: int) -> pd.DataFrame:
    return _group(pd.concat(frames, ignore_index=True), cap)


@dataclass
class Compressed:
    """The rows grouped to patterns: an in-memory frequency-weighted design."""

    design: Design
    n_rows: int
    n_patterns: int


def compress(design: DaskDesign, *, max_rows: int) -> Compressed:
    """The distinct rows of the design (values, offset, response, trials) with their summed
    weights, as an in-memory :class:`~bayeslogit.design.Design`; a
    :class:`~bayeslogit.DataError` when there are more than ``max_rows`` of them."""
    dask, _ = import_dask()
    parts = [dask.delayed(_patterns)(p, design.recipe, max_rows) for p in design.partitions()]
    while len(parts) > 1:
        parts = [dask.delayed(_merge)(parts[i : i + 8], max_rows) for i in range(0, len(parts), 8)]
    try:
        table = parts[0].compute()
    except TooManyPatterns as exc:
        raise DataError(
            f"the rows have more than max_rows={max_rows} distinct patterns (at least {exc.args[0]}: "
            "continuous predictors rarely repeat), so they do not compress into memory; use "
            "fit_mle(), fit_map() or sample(method='laplace') on the dask data, or round/bin the "
            "predictors"
        ) from None
    p = design.n_coef
    X = table[[f"x{j}" for j in range(p)]].to_numpy(dtype=float)
    w = table["w"].to_numpy()
    likelihood = design.recipe.likelihood_weights
    w = w if likelihood else np.round(w).astype(np.int64)
    y_unit, n_unit = table["y"].to_numpy(), table["n"].to_numpy()
    if likelihood:
        y, trials = w * y_unit, w * n_unit
    else:
        y, trials = w * np.round(y_unit).astype(np.int64), w * np.round(n_unit).astype(np.int64)
    n_rows = int(round(float(design.total_weight))) if design.weights_name is None else design.n_obs
    what = "rows" if design.weights_name is None else f"rows (weights {design.weights_name!r} summed)"
    compressed = Design(
        formula=design.formula,
        y=y,
        X=np.ascontiguousarray(X),
        column_names=list(design.column_names),
        design_info=design.design_info,
        response=design.response,
        event=design.event,
        levels=design.levels,
        trials=trials,
        trials_name=design.trials_name,
        n_dropped=design.n_dropped,
        weights=w,
        weights_name=f"the count of {what} per pattern: {n_rows} rows became {len(table)} patterns",
        offset=table["off"].to_numpy(dtype=float) if design.has_offset else None,
        offset_name=design.offset_name,
        offset_terms=design.offset_terms,
        offset_info=template_design(design.recipe).offset_info,
    )
    return Compressed(compressed, n_rows, len(table))


def predict_partition(part: pd.DataFrame, recipe, beta: np.ndarray) -> pd.Series:
    """``P(y = 1)`` of one partition of new rows (the training design encodes them)."""
    design = template_design(recipe)
    if len(part) == 0:
        return pd.Series(np.zeros(0), index=part.index, name="estimate")
    text = [c for c in recipe.categorical if c in part.columns]
    if text:
        part = part.astype({c: object for c in text})
    X = design.encode(part)
    return pd.Series(
        _numerics.inv_logit(linear_predictor(X, beta, design.encode_offset(part))), index=part.index, name="estimate"
    )


# -- per-draw log-likelihood: draws x partitions, never draws x rows ---------------------------------


def _loglik_draws(part: pd.DataFrame, recipe, B: np.ndarray) -> np.ndarray:
    """Per draw (row of ``B``), the partition's log-likelihood, by row blocks of ``rows x draws``."""
    from .._blocks import block_rows, one_blas_thread, row_slices
    from .._psis import CACHE_CELLS

    a = partition_arrays(part, recipe)
    total = np.zeros(B.shape[0])
    if len(a.y) == 0:
        return total
    family, y = a.family, np.asarray(a.y_fit, dtype=float)
    Bt = np.ascontiguousarray(B.T)
    with one_blas_thread():  # the scheduler's threads are the parallelism; a BLAS pool each is 10x slower
        # blocks of 2 MB (PSIS's size): 2x faster than 8 MB ones at 4,000 draws (in cache), and a
        # quarter of the memory per thread (the out-of-core test's Laplace fit needs it)
        for sl in row_slices(len(y), block_rows(B.shape[0], block_bytes=8 * CACHE_CELLS)):
            eta = linear_predictor(a.X[sl], Bt, None if a.offset is None else a.offset[sl])  # rows x draws
            total += family.take(sl).loglik_draws_total(eta, y[sl])
    return total


def loglik_draws(design: DaskDesign, B: np.ndarray) -> np.ndarray:
    """The log-likelihood of every draw (row of ``B``), summed over the partitions."""
    dask, _ = import_dask()
    B = np.asarray(B, dtype=float)
    parts = [dask.delayed(_loglik_draws)(p, design.recipe, B) for p in design.partitions()]
    return np.asarray(_tree_sum(dask, parts).compute())


def log_posterior_draws(design: DaskDesign, priors: ResolvedPriors, B: np.ndarray) -> np.ndarray:
    """Log-likelihood (over the partitions) + joint log prior of every draw (row of ``B``)."""
    A = np.asarray(B, dtype=float) @ priors.centring_map().T  # each family's own logpdf, vectorised
    lp = sum(np.asarray(prior.logpdf(A[:, j]), dtype=float) for j, prior in enumerate(priors.priors.values()))
    return loglik_draws(design, B) + lp
