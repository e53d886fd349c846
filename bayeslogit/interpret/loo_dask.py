"""PSIS-LOO of a Laplace fit of a dask DataFrame, on a subsample of rows drawn across the partitions.

The in-memory subsampled LOO (:func:`bayeslogit.interpret.loo.psis_loo` with
``method="subsample"``, ArviZ's ``loo_subsample(method="plpd")`` computation) over rows that
stay in their partitions:

1. **one pass** over the partitions: per partition, its row count and the sum and sum of
   squares of the point-estimate approximation ``log p(y_i | posterior mean)`` (plpd), which is
   all the difference estimator needs of the rows outside the subsample;
2. the subsample: ``m`` row indices drawn from ``0 .. n - 1`` exactly as the in-memory LOO
   draws them (``numpy.random.default_rng(seed).choice(n, m, replace=False)``, sorted), a row's
   index being its position in the data after missing rows are dropped (partitions in order).
   So the same seed picks the same rows as ``psis_loo`` of an in-memory fit of the same data;
3. **one more pass** that reads only the partitions holding subsampled rows and returns those
   ``m`` rows' design values (``m x p`` numbers);
4. exact PSIS on the ``m`` rows by row blocks, on the Laplace proposals kept in the fit with the
   approximate-posterior correction (Magnusson et al. 2019; ArviZ's
   ``loo_approximate_posterior``), as the in-memory Laplace fit does; then ArviZ's estimators:
   the difference estimator for elpd (written here from the two sums, the same formula as
   ``arviz_stats``' ``diff_srs_estimator``, which wants all ``n`` values) and the simple random
   sampling estimator for ``p_loo``.

Nothing of size ``n`` reaches the client; the result's ``elpd_i`` and ``pareto_k`` hold the
subsampled rows only (their coordinate ``obs`` is the rows' indices).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import _blocks, _psis
from .._validation import check_int
from ..design.dask import import_dask, partition_arrays
from ..errors import ArgumentError, DataError
from ..response import as_response
from ..results.cache import pass_rows
from .loo import LOO_SUBSAMPLE, LooResult

__all__ = [
    "RowSubsample",
    "draw_subsample",
    "dask_loo",
    "plpd_sums",
    "subsample_rows",
    "diff_estimator_from_sums",
]


def _plpd_part(part: pd.DataFrame, recipe, beta: np.ndarray) -> np.ndarray:
    """``[rows, sum, sum of squares]`` of one partition's plpd values at ``beta``."""
    a = partition_arrays(part, recipe)
    if len(a.y) == 0:
        return np.zeros(3)
    eta = _blocks.linear_predictor(a.X, beta, a.offset)
    v = a.family.loglik_draws(eta[:, None], a.y_fit)[:, 0]
    return np.array([float(len(v)), float(np.sum(v)), float(np.sum(v * v))])


def plpd_sums(design, beta: np.ndarray) -> tuple[np.ndarray, float, float]:
    """One pass: the rows per partition, and the sum and sum of squares over all rows of
    ``log p(y_i | beta)`` (the plpd approximation at ``beta``)."""
    dask, _ = import_dask()
    b = np.asarray(beta, dtype=float)
    out = dask.compute(*[dask.delayed(_plpd_part)(p, design.recipe, b) for p in design.partitions()])
    table = np.stack(out) if out else np.zeros((0, 3))
    return table[:, 0].astype(np.int64), float(table[:, 1].sum()), float(table[:, 2].sum())


def _rows_part(part: pd.DataFrame, recipe, local: np.ndarray) -> dict[str, Any]:
    """The design values of the rows ``local`` (positions after dropping missing rows)."""
    a = partition_arrays(part, recipe)
    pick = lambda v: None if v is None else np.asarray(v)[local]  # noqa: E731
    return {"X": a.X[local], "y": pick(a.y_fit), "trials": pick(a.trials_fit), "offset": pick(a.offset)}


def subsample_rows(design, counts: np.ndarray, rows: np.ndarray) -> dict[str, Any]:
    """The design values (``X``, ``y`` and ``trials`` with the weights folded in, ``offset``) of
    the rows ``rows`` (sorted global indices), read from the partitions that hold them only."""
    dask, _ = import_dask()
    starts = np.concatenate([[0], np.cumsum(counts)])
    which = np.searchsorted(starts, rows, side="right") - 1
    parts = design.partitions()
    tasks = [dask.delayed(_rows_part)(parts[k], design.recipe, rows[which == k] - starts[k]) for k in np.unique(which)]
    got = dask.compute(*tasks)
    out: dict[str, Any] = {"X": np.concatenate([g["X"] for g in got])}
    for key in ("y", "trials", "offset"):
        out[key] = None if got[0][key] is None else np.concatenate([g[key] for g in got])
    return out


def diff_estimator_from_sums(
    elpd_sample: np.ndarray, approx_sample: np.ndarray, approx_sum: float, approx_sumsq: float, n: int
) -> tuple[float, float, float]:
    """``(elpd, subsampling_se, se)`` of the difference estimator (Magnusson et al. 2019) from
    the subsample and the sum and sum of squares of the approximation over all ``n`` rows:
    ``arviz_stats``' ``diff_srs_estimator`` term for term (which reads those two sums only)."""
    elpd_sample = np.asarray(elpd_sample, dtype=float)
    approx_sample = np.asarray(approx_sample, dtype=float)
    ok = np.isfinite(elpd_sample) & np.isfinite(approx_sample)
    m = int(ok.sum())
    if m == 0:
        return np.nan, np.inf, np.inf
    e, a = elpd_sample[ok], approx_sample[ok]
    diff = e - a
    scaled = n * np.mean(diff)
    elpd = approx_sum + scaled
    if m < 2:
        return float(elpd), np.inf, np.inf
    sub_var = n**2 * max(0.0, 1 - m / n) * np.var(diff, ddof=1) / m
    total = approx_sumsq + n * np.mean(e**2 - a**2) - (scaled**2 - sub_var + 2 * approx_sum * elpd - approx_sum**2) / n
    return float(elpd), float(np.sqrt(sub_var)), float(np.sqrt(max(0.0, total)))


@dataclass
class RowSubsample:
    """Rows drawn across the partitions (sorted global indices ``rows`` of ``n``) with their
    design values, and the plpd sums over all rows at ``beta`` (the posterior mean)."""

    rows: np.ndarray
    n: int
    n_partitions: int
    seed: int
    X: np.ndarray
    y: np.ndarray
    trials: np.ndarray | None
    offset: np.ndarray | None
    beta: np.ndarray
    approx_sum: float
    approx_sumsq: float

    @property
    def family(self):
        """The response family of the subsampled rows."""
        return as_response(self.trials)

    def describe(self) -> str:
        """``"a random subsample of 2,000 of 10,000,000 rows (seed 0)"``."""
        return f"a random subsample of {self.rows.size:,} of {self.n:,} rows (seed {self.seed})"


def _cache(post) -> dict:
    return post.__dict__.setdefault("_dask_cache", {})


def draw_subsample(post, *, observations: int | None = None, seed: int = 0) -> RowSubsample:
    """The subsample of :func:`dask_loo` (two passes; kept on the fit per size and seed)."""
    seed = check_int("seed", seed)
    d = post.model.design
    n = d.n_obs
    m = min(n, LOO_SUBSAMPLE) if observations is None else check_int("observations", observations)
    if not 1 <= m <= n:
        raise ArgumentError(f"observations must be between 1 and {n} (the rows), got {m}")
    key = ("subsample", m, seed)
    cache = _cache(post)
    if key in cache:
        return cache[key]
    bbar = post.params.to_numpy()  # the posterior mean, as the in-memory plpd
    counts, approx_sum, approx_sumsq = plpd_sums(d, bbar)
    if int(counts.sum()) != n:
        raise DataError(
            f"the dask DataFrame has {int(counts.sum())} usable rows now, the fit had {n}: the data "
            "changed since the fit; refit the model"
        )
    rows = np.sort(np.random.default_rng(seed).choice(n, size=m, replace=False))
    got = subsample_rows(d, counts, rows)
    cache[key] = RowSubsample(
        rows, n, d.n_partitions, seed, got["X"], got["y"], got["trials"], got["offset"], bbar, approx_sum, approx_sumsq
    )
    return cache[key]


def dask_loo(post, *, observations: int | None = None, seed: int = 0) -> LooResult:
    """Subsampled PSIS-LOO of a :class:`~bayeslogit.results.distributed.DaskLaplaceResults`
    (see the module docstring): two passes over the partitions, ``observations`` rows
    (default ``min(n, LOO_SUBSAMPLE)``) drawn with ``seed``; kept on the fit."""
    sub = draw_subsample(post, observations=observations, seed=seed)
    key = ("loo", sub.rows.size, sub.seed)
    cache = _cache(post)
    if key not in cache:
        cache[key] = _loo(post, sub)
    return cache[key]


def _loo(post, sub: RowSubsample) -> LooResult:
    import xarray as xr
    from arviz_stats.base import array_stats
    from arviz_stats.loo.loo_helper import _warn_pareto_k
    from arviz_stats.utils import ELPDDataLOOSubsample

    imp = post.idata["importance"]
    B = np.asarray(imp["proposal"].values, dtype=float)
    log_p = np.asarray(imp["log_p"].values, dtype=float)
    log_q = np.asarray(imp["log_q"].values, dtype=float)
    n, m, rows, fam, y = sub.n, sub.rows.size, sub.rows, sub.family, sub.y
    approx_s = fam.loglik_draws(_blocks.linear_predictor(sub.X, sub.beta, sub.offset)[:, None], y)[:, 0]
    elpd_s, k_s, p_s = np.empty(m), np.empty(m), np.empty(m)
    Bt = np.ascontiguousarray(B.T)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported by the callers, in words
        for sl in _blocks.row_slices(m, pass_rows(B.shape[0])):
            off = None if sub.offset is None else sub.offset[sl]
            ll = fam.take(sl).loglik_draws(_blocks.linear_predictor(sub.X[sl], Bt, off), y[sl])
            elpd_s[sl], k_s[sl], p_s[sl] = _psis.loo_rows(ll, r_eff=1.0, log_p=log_p, log_q=log_q)
    elpd, sub_se, se = diff_estimator_from_sums(elpd_s, approx_s, sub.approx_sum, sub.approx_sumsq, n)
    p_loo = float(array_stats.srs_estimator(p_s, n_data_points=n)[0])
    coords = {"obs": rows}
    k_da = xr.DataArray(k_s, dims="obs", coords=coords, name="y")
    warn, good_k = _warn_pareto_k(k_da, B.shape[0], suppress=True)
    res = ELPDDataLOOSubsample(
        elpd=elpd, se=se, p=p_loo, n_samples=B.shape[0], n_data_points=n, scale="log", warning=bool(warn),
        good_k=float(good_k), elpd_i=k_da.copy(data=elpd_s), pareto_k=k_da, approx_posterior=True,
        subsampling_se=sub_se, subsample_size=m, log_p=log_p, log_q=log_q,  # type: ignore[arg-type]
        thin_factor=None, log_weights=None, loo_subsample_observations=rows,  # type: ignore[arg-type]
        elpd_loo_approx=None, log_jacobian=None,  # type: ignore[arg-type]
    )  # fmt: skip
    label = (
        f"PSIS-LOO with subsampling: {m:,} of {n:,} rows drawn across the {sub.n_partitions} partitions "
        f"(seed {sub.seed}), point-estimate (plpd) difference estimator (Magnusson et al. 2019), the plpd "
        f"summed per partition over all rows; the SE includes a subsampling SE of {sub_se:.3f}; on the "
        f"{B.shape[0]:,} Laplace proposals with the approximate-posterior correction (ratios "
        "p / (q p(y_i)), Magnusson et al. 2019; arviz_stats.loo_approximate_posterior)"
    )
    return LooResult(res, "subsample", label, rows, approx_posterior=True)
