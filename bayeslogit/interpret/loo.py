"""PSIS-LOO at any size, and model comparison by it (``bl.compare_models``).

The statistics are ArviZ's (``arviz_stats``): Pareto-smoothed importance sampling per
observation (``array_stats.loo``), the subsampling estimator (``loo_subsample``) and the
ranking (``arviz.compare``). What is ours is *how the pointwise log-likelihood reaches them*:
ArviZ wants it as a materialised ``(chain, draw, obs)`` array, which is 3.2 GB at 100,000 rows
and 4,000 draws. Here it never exists whole:

- **exact** (``n x draws <= LOO_EXACT_MAX_CELLS``): the log-likelihood is computed by row
  blocks (:mod:`bayeslogit._blocks`) and each block goes through the same per-observation
  routine ``arviz.loo`` uses, with the same relative efficiency ``r_eff``; the result is
  bit-identical to ``arviz.loo`` on the materialised array (tests/interpret/test_loo.py) and is
  wrapped as ArviZ's own ``ELPDDataLOO``, so ``arviz.compare`` and ``arviz.plot_khat`` take it.
- **subsampled** (larger): PSIS-LOO on ``LOO_SUBSAMPLE`` rows with the difference estimator of
  Magnusson et al. (2019) around the point-estimate approximation ``log p(y_i | posterior
  mean)`` (``arviz_stats.loo_subsample(method="plpd")``). ArviZ reads the log-likelihood only
  at the subsampled rows, through a lazily computed group (an xarray backend array), so the
  cost is ``draws x m`` instead of ``draws x n``. Its standard error includes the subsampling
  error, reported separately as ``subsampling_se``.

Every result carries a label saying which of the two was used (shown in the diagnostics, the
report and ``compare_models``' ``loo_method`` column). Draws from ``method="laplace"`` are the
resampled Laplace + PSIS draws; LOO is computed on them as on any posterior draws and the label
says so.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Mapping

import numpy as np
import pandas as pd

from .. import _blocks
from ..errors import ArgumentError, ParetoKWarning
from ..results.posterior import PosteriorResults

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["compare_models", "psis_loo", "LooResult", "LOO_EXACT_MAX_CELLS", "LOO_SUBSAMPLE"]

_METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")

LOO_EXACT_MAX_CELLS = 40_000_000
"""Exact PSIS-LOO up to this many rows x draws (10,000 rows at 4,000 draws); subsampled above."""
LOO_SUBSAMPLE = 2_000
"""Rows in the LOO subsample (Magnusson et al. 2019 find a few thousand enough for SE < 0.5)."""


@dataclass(frozen=True)
class LooResult:
    """PSIS-LOO of one fit and how it was computed.

    Attributes
    ----------
    elpd_data : arviz_stats ELPDDataLOO or ELPDDataLOOSubsample
        ArviZ's result: ``elpd``, ``se``, ``p``, ``pareto_k`` and ``elpd_i`` per observation
        (NaN outside the subsample), and for subsampling ``subsampling_se``.
    method : {"exact", "subsample"}
    label : str
        One sentence naming the method, for every output.
    rows : numpy.ndarray
        The observations with an exact PSIS value (all rows, or the subsample).
    """

    elpd_data: Any
    method: str
    label: str
    rows: np.ndarray

    @property
    def short_label(self) -> str:
        """``"exact"`` or ``"subsampled, 2,000 of 100,000 rows"``."""
        if self.method == "exact":
            return "exact"
        return f"subsampled, {self.rows.size:,} of {int(self.elpd_data.n_data_points):,} rows"


def _r_eff(post: PosteriorResults) -> float:
    """Relative efficiency of the draws, exactly as ``arviz.loo`` computes it."""
    from arviz_stats.loo.loo_helper import _get_r_eff

    return float(_get_r_eff(post.idata, post.n_chains * post.n_draws))


def _label(post: PosteriorResults, method: str, n: int, m: int, sub_se: float | None) -> str:
    if method == "exact":
        text = f"PSIS-LOO, exact (all {n:,} rows)"
    else:
        text = (f"PSIS-LOO with subsampling: {m:,} of {n:,} rows, point-estimate (plpd) difference "
                f"estimator (Magnusson et al. 2019); the SE includes a subsampling SE of {sub_se:.3f}")
    if post.sampler == "laplace+psis":
        text += "; computed on the resampled Laplace + PSIS draws (no approximate-posterior correction)"
    return text


def psis_loo(post: PosteriorResults, *, method: Literal["auto", "exact", "subsample"] = "auto",
             observations: int | np.ndarray | None = None, seed: int = 0) -> LooResult:
    """PSIS-LOO of a posterior fit, by row blocks (exact) or on a subsample (large n).

    Parameters
    ----------
    post : PosteriorResults
        The fit.
    method : {"auto", "exact", "subsample"}
        ``"auto"``: exact when ``rows x draws <= LOO_EXACT_MAX_CELLS`` (4e7), else subsampled.
    observations : int or array of int, optional
        Subsample: its size (default ``min(n, LOO_SUBSAMPLE)``) or the row indices to use.
    seed : int
        Seed of the subsample draw.

    Returns
    -------
    LooResult
        Cached on the fit for the default arguments (diagnostics and the report reuse it).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> post = bl.LogitModel("y ~ x1 + x2", simulate_seed(200, random_seed=1)).sample(
    ...     draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    >>> psis_loo(post).method
    'exact'
    """
    if not isinstance(post, PosteriorResults):
        raise ArgumentError(f"PSIS-LOO needs a posterior fit, got {type(post).__name__}")
    if method not in ("auto", "exact", "subsample"):
        raise ArgumentError(f"method must be 'auto', 'exact' or 'subsample', got {method!r}")
    n = post.design.n_obs
    S = post.n_chains * post.n_draws
    if method == "auto":
        method = "exact" if n * S <= LOO_EXACT_MAX_CELLS else "subsample"
    key = None
    if observations is None or isinstance(observations, (int, np.integer)):
        key = ("loo", method, None if observations is None else int(observations), int(seed))
        if key in post._cache:
            return post._cache[key]
    if method == "exact":
        res = _exact(post)
        out = LooResult(res, "exact", _label(post, "exact", n, n, None), np.arange(n))
    else:
        if observations is None:
            observations = min(n, LOO_SUBSAMPLE)
        res = _subsample(post, observations, seed)
        rows = np.asarray(res.loo_subsample_observations, dtype=np.int64)
        out = LooResult(res, "subsample", _label(post, "subsample", n, rows.size, float(res.subsampling_se)), rows)
    if key is not None:
        post._cache[key] = out
    return out


def _exact(post: PosteriorResults):
    """Exact PSIS-LOO by row blocks, as ArviZ's ``ELPDDataLOO`` (no draws x rows array kept)."""
    import xarray as xr
    from arviz_stats.base import array_stats
    from arviz_stats.loo.loo_helper import _warn_pareto_k
    from arviz_stats.utils import ELPDDataLOO

    d = post.design
    C, D, n = post.n_chains, post.n_draws, d.n_obs
    S = C * D
    B = post.draws()
    reff = _r_eff(post)
    elpd_i, k, p_i = np.empty(n), np.empty(n), np.empty(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported, in words, by the callers
        for sl in _blocks.row_slices(n, _blocks.block_rows(S)):
            ll = _blocks.loglik_block(d.X[sl], d.y[sl], None if d.trials is None else d.trials[sl], B)
            e, kk, pp = array_stats.loo(ll.reshape(-1, C, D), chain_axis=1, draw_axis=2, r_eff=reff)
            elpd_i[sl], k[sl], p_i[sl] = e, kk, pp
        elpd, se, p_loo, _ = array_stats.loo_summary(elpd_i, p_i)
    if not np.all(np.isfinite(elpd_i)):
        raise FloatingPointError("the pointwise LOO predictive density is not finite for some rows")
    coords = {"obs": np.arange(n)}
    kda = xr.DataArray(k, dims="obs", coords=coords, name="y")
    warn, good_k = _warn_pareto_k(kda, S, suppress=True)
    return ELPDDataLOO(elpd=float(elpd), se=float(se), p=float(p_loo), n_samples=S, n_data_points=n,
                       scale="log", warning=bool(warn), good_k=float(good_k),
                       elpd_i=kda.copy(data=elpd_i), pareto_k=kda, approx_posterior=False)


def _lazy_tree(post: PosteriorResults):
    """A DataTree whose ``log_likelihood`` group is computed only where it is read."""
    import xarray as xr
    from xarray.backends import BackendArray
    from xarray.core import indexing

    d = post.design
    C, D, n = post.n_chains, post.n_draws, d.n_obs
    B3 = post.idata.posterior["beta"].transpose("chain", "draw", "coef").values
    X, y, t = d.X, d.y, d.trials

    def as_index(k, size):
        if isinstance(k, slice):
            return np.arange(*k.indices(size))
        return np.asarray(k, dtype=np.int64)

    class LazyLogLik(BackendArray):
        shape = (C, D, n)
        dtype = np.dtype(np.float64)

        def __getitem__(self, key):
            return indexing.explicit_indexing_adapter(key, self.shape, indexing.IndexingSupport.OUTER, self._raw)

        def _raw(self, key):
            ck, dk, ok = key
            ci, di, oi = as_index(ck, C), as_index(dk, D), as_index(ok, n)
            Bs = B3[np.ix_(np.atleast_1d(ci), np.atleast_1d(di))]
            c1, d1 = Bs.shape[:2]
            Bs = Bs.reshape(c1 * d1, -1)
            obs = np.atleast_1d(oi)
            out = np.empty((c1 * d1, obs.size))
            for sl in _blocks.row_slices(obs.size, _blocks.block_rows(c1 * d1)):
                rows = obs[sl]
                out[:, sl] = _blocks.loglik_block(X[rows], y[rows], None if t is None else t[rows], Bs).T
            out = out.reshape(c1, d1, obs.size)
            return out[tuple(0 if np.ndim(i) == 0 else slice(None) for i in (ci, di, oi))]

    var = xr.Variable(("chain", "draw", "obs"), indexing.LazilyIndexedArray(LazyLogLik()))
    post_ds = post.idata.posterior.to_dataset()
    coords = {"chain": post_ds["chain"].values, "draw": post_ds["draw"].values, "obs": np.arange(n)}
    return xr.DataTree.from_dict({
        "posterior": post_ds,
        "observed_data": xr.Dataset({"y": ("obs", np.asarray(y))}, coords={"obs": np.arange(n)}),
        "log_likelihood": xr.Dataset({"y": xr.DataArray(var, coords=coords)}),
    })


def _subsample(post: PosteriorResults, observations, seed: int):
    import arviz_stats as azs

    d = post.design

    def plpd(observed, data):  # log p(y_i | posterior mean), all rows: O(n p)
        bbar = np.asarray(data.posterior["beta"].values, dtype=float).reshape(1, -1)
        return _blocks.map_rows(lambda Xb, yb, tb: _blocks.loglik_block(Xb, yb, tb, bbar)[:, 0],
                                (d.X, d.y, d.trials), cells_per_row=d.n_coef)

    if not isinstance(observations, (int, np.integer)):
        observations = np.asarray(observations, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported, in words, by the callers
        return azs.loo_subsample(_lazy_tree(post), observations=observations, var_name="y", method="plpd",
                                 log_lik_fn=plpd, pointwise=True, seed=seed, reff=_r_eff(post))


def compare_models(fits: Mapping[str, "PosteriorResults"], *, method: str = "stacking") -> pd.DataFrame:
    """Compare posterior fits of the same data by PSIS-LOO expected log predictive density.

    Each fit's PSIS-LOO is computed by :func:`psis_loo` (exact by row blocks, or subsampled
    for large data: then every fit uses the *same* subsample, as the difference estimator
    needs); ``arviz.compare`` ranks them. Observations whose Pareto k exceeds ArviZ's threshold
    (the LOO estimate is then unreliable for them) are reported with a
    :class:`~bayeslogit.ParetoKWarning` that names the model and the rows, and counted in the
    ``n_high_pareto_k`` column.

    Parameters
    ----------
    fits : dict of str -> PosteriorResults
        At least two posterior fits of the same observations (same response values, in the
        same order), keyed by the names to show.
    method : {"stacking", "bb-pseudo-bma", "pseudo-bma"}
        How ArviZ computes the model weights.

    Returns
    -------
    pandas.DataFrame
        ArviZ's table, best model first: ``rank``, ``elpd_diff`` (vs the best), ``dse`` (its
        standard error), ``p_worse``, ``diag_diff``, ``diag_elpd``, ``p`` (effective number of
        parameters), ``elpd``, ``se``, ``weight`` (and ``subsampling_dse`` when subsampled);
        plus ``n_high_pareto_k`` and ``loo_method`` (which PSIS-LOO was used).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> df = simulate_seed(200, random_seed=1)
    >>> kw = dict(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    >>> full = bl.LogitModel("y ~ x1 + x2", df).sample(**kw)
    >>> small = bl.LogitModel("y ~ x1", df).sample(**kw)
    >>> bl.compare_models({"full": full, "x1 only": small}).index[0]
    'full'
    """
    import arviz as az

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise ArgumentError(
            "fits must be a dict of at least two named posterior fits, e.g. "
            "bl.compare_models({'m1': post1, 'm2': post2})"
        )
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ArgumentError(f"method must be one of {_METHODS}, got {method!r}")
    first_name, first = next(iter(fits.items()))
    for name, fit in fits.items():
        if not isinstance(fit, PosteriorResults):
            raise ArgumentError(
                f"fits[{name!r}] is a {type(fit).__name__}; LOO comparison needs posterior fits "
                "(model.sample(...))"
            )
        same = fit.design.n_obs == first.design.n_obs and np.array_equal(fit.design.y, first.design.y)
        if not same:
            raise ArgumentError(
                f"fits[{name!r}] and fits[{first_name!r}] were fitted to different observations; "
                "LOO comparison needs the same rows and response in every model"
            )
    n = first.design.n_obs
    subsample = any(n * fit.n_chains * fit.n_draws > LOO_EXACT_MAX_CELLS for fit in fits.values())
    if subsample:  # one subsample for all, as the difference estimator needs
        rows = np.sort(np.random.default_rng(0).choice(n, size=min(n, LOO_SUBSAMPLE), replace=False))
    loos, high, labels = {}, {}, {}
    for name, fit in fits.items():
        res = psis_loo(fit, method="subsample", observations=rows) if subsample else psis_loo(fit, method="exact")
        elpd = res.elpd_data
        k = np.asarray(elpd.pareto_k.values).ravel()
        finite = np.isfinite(k)
        bad = np.flatnonzero(finite & (np.nan_to_num(k, nan=-np.inf) > elpd.good_k))
        high[name] = int(bad.size)
        labels[name] = res.label
        if bad.size:
            shown = ", ".join(str(int(i)) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
            of = f"{int(finite.sum())} subsampled observations" if subsample else f"{k.size} observations"
            warnings.warn(
                f"model {name!r}: {bad.size} of {of} have Pareto k > "
                f"{elpd.good_k:.2f} (rows {shown}; max k = {np.nanmax(k):.2f}), so its PSIS-LOO estimate "
                "is unreliable; these are influential observations: run more draws, use a more "
                "robust model, or cross-validate exactly (k-fold)",
                ParetoKWarning,
                stacklevel=2,
            )
        loos[name] = elpd
    table = az.compare(loos, method=method, round_to="none")
    table["n_high_pareto_k"] = [high[name] for name in table.index]
    table["loo_method"] = [labels[name] for name in table.index]
    return table
