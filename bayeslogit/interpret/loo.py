"""PSIS-LOO at any size, and model comparison by it (``bl.compare_models``).

The statistics are ArviZ's (``arviz_stats``): Pareto-smoothed importance sampling per
observation (``array_stats.loo``, computed for a block of rows at once by
:mod:`bayeslogit._psis`, equal to ArviZ's to rounding), the approximate-posterior correction
(``loo_approximate_posterior``), the subsampling estimator (``loo_subsample``) and the
ranking (``arviz.compare``). What is ours is *how the pointwise log-likelihood reaches them*:
ArviZ wants it as a materialised ``(chain, draw, obs)`` array, which is 3.2 GB at 100,000 rows
and 4,000 draws. Here it never exists whole:

- **exact** (``n x draws`` up to the ``loo_exact_max_cells`` option, 4e7; see
  :mod:`bayeslogit._options`): the log-likelihood is computed by row
  blocks (:mod:`bayeslogit._blocks`) and each block goes through the per-observation
  computation ``arviz.loo`` does, with the same relative efficiency ``r_eff``; the result equals
  ``arviz.loo`` on the materialised array to 1e-10 (tests/interpret/test_loo.py) and is
  wrapped as ArviZ's own ``ELPDDataLOO``, so ``arviz.compare`` and ``arviz.plot_khat`` take it.
- **subsampled** (larger): PSIS-LOO on ``LOO_SUBSAMPLE`` rows drawn at random, with the
  difference estimator of Magnusson et al. (2019) around the point-estimate approximation
  ``log p(y_i | posterior mean)``: ArviZ's ``loo_subsample(method="plpd")`` computation, with
  ArviZ's estimators (``diff_srs_estimator``, ``srs_estimator``) and result class, but with the
  subsample's PSIS done by row blocks (ArviZ's own function needs the log-likelihood group of
  all n rows and holds several draws x m copies). Equal to ``loo_subsample`` on the
  materialised group for the same rows (tests/interpret/test_loo.py). Its standard error
  includes the subsampling error, reported separately as ``subsampling_se``.

- **Laplace fits** (``method="laplace"``): the resampled draws are not posterior draws (they
  repeat proposals), so PSIS-LOO on them would treat an importance-weighted sample as a
  posterior one. Instead LOO runs on the raw Laplace proposals kept in the fit's ``importance``
  group, with the approximate-posterior correction of Magnusson et al. (2019), ArviZ's
  ``loo_approximate_posterior``: per observation, importance ratios
  ``p(beta | y) / (q(beta) p(y_i | beta))`` from the unnormalised log posterior ``log_p`` and
  the proposal's log density ``log_q`` at each proposal, Pareto-smoothed. Equal to
  ``loo_approximate_posterior`` on the materialised log-likelihood of the proposals to 1e-10
  (tests), exact or subsampled as above. A Laplace fit without the ``importance`` group (saved
  by an earlier version) falls back to the resampled draws, and its label says so.

Every result carries a label saying which was used (shown in the diagnostics, the report and
``compare_models``' ``loo_method`` column).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .. import _blocks, _psis
from .._options import options
from .._validation import check_choice, check_int
from ..errors import ArgumentError, ParetoKWarning
from ..results.categorical import CategoricalPosterior
from ..results.posterior import PosteriorResults

if TYPE_CHECKING:  # pragma: no cover
    from ..results.categorical import CategoricalPosterior

__all__ = [
    "compare_models",
    "psis_loo",
    "LooResult",
    "LOO_SUBSAMPLE",
    "exact_elpd",
    "subsample_elpd",
    "subsample_rows",
]

_METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")

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
    approx_posterior : bool
        True when computed on a Laplace fit's proposals with the approximate-posterior
        correction (``loo_approximate_posterior``).
    """

    elpd_data: Any
    method: str
    label: str
    rows: np.ndarray
    approx_posterior: bool = False

    def __repr__(self) -> str:
        """One line: elpd, its SE, the effective number of parameters, the method and the
        Pareto k counts (never the per-row arrays)."""
        e = self.elpd_data
        k = np.asarray(getattr(e, "pareto_k", np.array([])), dtype=float).ravel()
        k = k[np.isfinite(k)]
        good = float(getattr(e, "good_k", 0.7))
        counts = (
            f"Pareto k: {int((k <= good).sum())} good (<= {good:.2f}), "
            f"{int(((k > good) & (k <= 1)).sum())} bad, {int((k > 1).sum())} very bad (> 1)"
        )
        return (
            f"<LooResult elpd={float(e.elpd):.2f} (se {float(e.se):.2f}), p={float(e.p):.2f}, "
            f"{self.method} ({self.short_label}); {counts}>"
        )

    @property
    def short_label(self) -> str:
        """``"exact"`` or ``"subsampled, 2,000 of 100,000 rows"`` (plus ``", approximate-posterior
        corrected"`` for Laplace fits)."""
        if self.method == "exact":
            text = "exact"
        else:
            text = f"subsampled, {self.rows.size:,} of {int(self.elpd_data.n_data_points):,} rows"
        return text + (", approximate-posterior corrected" if self.approx_posterior else "")


def _r_eff(post: PosteriorResults) -> float:
    """Relative efficiency of the draws, exactly as ``arviz.loo`` computes it."""
    from arviz_stats.loo.loo_helper import _get_r_eff

    return float(_get_r_eff(post.idata, post.n_chains * post.n_draws))


def _loo_draws(post: PosteriorResults) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """The draws LOO runs on, ``(B, log_p, log_q)``: a Laplace fit's raw proposals with the
    target's and proposal's log densities (approximate-posterior correction), else the
    posterior draws and ``None, None``."""
    if post.sampler == "laplace+psis" and "importance" in post.idata.children:
        imp = post.idata["importance"]
        return (
            np.asarray(imp["proposal"].values, dtype=float),
            np.asarray(imp["log_p"].values, dtype=float),
            np.asarray(imp["log_q"].values, dtype=float),
        )
    return post.draws(), None, None


def loo_label(
    post: PosteriorResults | CategoricalPosterior,
    method: str,
    n: int,
    m: int,
    sub_se: float | None,
    proposals: int | None = None,
) -> str:
    """The sentence saying how a LOO was computed (binary and categorical posteriors).
    ``proposals``: the Laplace proposals it used (default: all kept in ``importance``)."""
    if method == "exact":
        text = f"PSIS-LOO, exact (all {n:,} rows)"
    else:
        text = (
            f"PSIS-LOO with subsampling: {m:,} of {n:,} rows, point-estimate (plpd) difference "
            f"estimator (Magnusson et al. 2019); the SE includes a subsampling SE of {sub_se:.3f}"
        )
    if post.sampler == "laplace+psis":
        if "importance" in post.idata.children:
            S = int(post.idata["importance"].sizes["sample"]) if proposals is None else proposals
            text += (
                f"; on the {S:,} Laplace proposals with the approximate-posterior correction "
                "(ratios p / (q p(y_i)), Magnusson et al. 2019; arviz_stats.loo_approximate_posterior)"
            )
        else:
            text += "; computed on the resampled Laplace + PSIS draws (no approximate-posterior correction)"
    return text


def psis_loo(
    post: PosteriorResults,
    *,
    method: Literal["auto", "exact", "subsample"] = "auto",
    observations: int | np.ndarray | None = None,
    seed: int = 0,
) -> LooResult:
    """PSIS-LOO of a posterior fit, by row blocks (exact) or on a subsample (large n).

    Parameters
    ----------
    post : PosteriorResults
        The fit.
    method : {"auto", "exact", "subsample"}
        ``"auto"``: exact when ``rows x draws`` is at most the ``loo_exact_max_cells`` option
        (4e7, ``bl.options``), else subsampled.
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
    check_choice("method", method, ("auto", "exact", "subsample"))
    seed = check_int("seed", seed)
    n = post.design.n_obs
    S = post.n_chains * post.n_draws
    if method == "auto":
        method = "exact" if n * S <= options["loo_exact_max_cells"] else "subsample"
    if observations is None or isinstance(observations, (int, np.integer)):  # kept on the fit
        key = (method, None if observations is None else int(observations), seed)
        return post._cache.loo(key, lambda: _psis_loo(post, method, observations, seed))
    return _psis_loo(post, method, observations, seed)


def _psis_loo(post: PosteriorResults, method: str, observations, seed: int) -> LooResult:
    n = post.design.n_obs
    if method == "exact":
        res = _exact(post)
        out = LooResult(res, "exact", loo_label(post, "exact", n, n, None), np.arange(n), bool(res.approx_posterior))
    else:
        if observations is None:
            observations = min(n, LOO_SUBSAMPLE)
        res = _subsample(post, observations, seed)
        rows = np.asarray(res.loo_subsample_observations, dtype=np.int64)
        out = LooResult(
            res,
            "subsample",
            loo_label(post, "subsample", n, rows.size, float(res.subsampling_se)),
            rows,
            bool(res.approx_posterior),
        )
    return out


def _exact(post: PosteriorResults):
    """Exact PSIS-LOO by row blocks, as ArviZ's ``ELPDDataLOO`` (no draws x rows array kept)."""
    n = post.design.n_obs
    B, log_p, log_q = _loo_draws(post)
    S = B.shape[0]
    reff = 1.0 if log_p is not None else _r_eff(post)
    elpd_i, k, p_i = np.empty(n), np.empty(n), np.empty(n)
    # the fit's own draws (B None): the pass also gives each draw's total log-likelihood, which
    # prior sensitivity needs, to the fit's cache (the same numbers as a pass of their own)
    own = log_p is None
    passes = post._cache.loglik_pass(None if own else B, None if own else post.group_draws())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported, in words, by the callers
        for sl, ll in passes:
            elpd_i[sl], k[sl], p_i[sl] = _psis.loo_rows(ll, r_eff=reff, log_p=log_p, log_q=log_q)
    return exact_elpd(elpd_i, k, p_i, n_samples=S, approx_posterior=log_p is not None)


def exact_elpd(elpd_i: np.ndarray, k: np.ndarray, p_i: np.ndarray, *, n_samples: int, approx_posterior: bool):
    """ArviZ's ``ELPDDataLOO`` from the per-row PSIS values of every row (``elpd_i``, Pareto
    ``k``, ``p_loo_i``, as :func:`bayeslogit._psis.loo_rows` gives them), totalled as
    ``arviz.loo`` totals them."""
    import xarray as xr
    from arviz_stats.base import array_stats
    from arviz_stats.loo.loo_helper import _warn_pareto_k
    from arviz_stats.utils import ELPDDataLOO

    if not np.all(np.isfinite(elpd_i)):
        raise FloatingPointError("the pointwise LOO predictive density is not finite for some rows")
    n = elpd_i.size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpd, se, p_loo, _ = array_stats.loo_summary(elpd_i, p_i)
    coords = {"obs": np.arange(n)}
    kda = xr.DataArray(k, dims="obs", coords=coords, name="y")
    warn, good_k = _warn_pareto_k(kda, n_samples, suppress=True)
    return ELPDDataLOO(
        elpd=float(elpd),
        se=float(se),
        p=float(p_loo),
        n_samples=n_samples,
        n_data_points=n,
        scale="log",
        warning=bool(warn),
        good_k=float(good_k),
        elpd_i=kda.copy(data=elpd_i),
        pareto_k=kda,
        approx_posterior=approx_posterior,
    )


def _psis_rows(post: PosteriorResults, rows: np.ndarray, reff: float):
    """Exact PSIS per observation on ``rows``, by row blocks: ``(elpd_i, pareto_k, p_loo_i)``."""
    B, log_p, log_q = _loo_draws(post)
    m = rows.size
    elpd_i, k, p_i = np.empty(m), np.empty(m), np.empty(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported, in words, by the callers
        for sl, ll in post._cache.loglik_pass(B, post.group_draws(), rows=rows):
            elpd_i[sl], k[sl], p_i[sl] = _psis.loo_rows(ll, r_eff=reff, log_p=log_p, log_q=log_q)
    return elpd_i, k, p_i


def subsample_rows(n: int, observations, seed: int) -> np.ndarray:
    """The sorted rows of a LOO subsample: ``observations`` rows drawn at random with ``seed``
    (an int), or the given row indices; an ``ArgumentError`` naming the range otherwise."""
    if isinstance(observations, (int, np.integer)):
        if not 1 <= int(observations) <= n:
            raise ArgumentError(f"observations must be between 1 and {n}, got {observations}")
        return np.sort(np.random.default_rng(seed).choice(n, size=int(observations), replace=False))
    rows = np.unique(np.asarray(observations, dtype=np.int64))
    if rows.size == 0 or rows[0] < 0 or rows[-1] >= n:
        raise ArgumentError(f"observations must be row indices in [0, {n})")
    return rows


def _subsample(post: PosteriorResults, observations, seed: int):
    """PSIS-LOO on a subsample with the point-estimate (plpd) difference estimator.

    The same computation as ``arviz_stats.loo_subsample(method="plpd")`` (and the same
    estimators: ``diff_srs_estimator`` for elpd, ``srs_estimator`` for p_loo), but the
    subsample's log-likelihood is made by row blocks instead of as one draws x m array
    ArviZ copies several times (512 MB at 4,000 draws x 2,000 rows).
    """
    d = post.design
    n = d.n_obs
    rows = subsample_rows(n, observations, seed)
    # point-estimate approximation log p(y_i | posterior mean) for every row: O(n p)
    bbar = post.draws().mean(axis=0).reshape(1, -1)
    G = post.group_draws()
    gbar = None if G is None else [g.mean(axis=0)[None] for g in G]  # group effects at their means
    approx = np.concatenate(
        [d.response_family.loglik_rows(d, sl, bbar, gbar)[:, 0] for sl in _blocks.row_slices(n, _blocks.block_rows(1))]
    )
    B, log_p, log_q = _loo_draws(post)
    elpd_s, k_s, p_s = _psis_rows(post, rows, 1.0 if log_p is not None else _r_eff(post))
    return subsample_elpd(elpd_s, k_s, p_s, rows=rows, approx=approx, n_samples=B.shape[0], log_p=log_p, log_q=log_q)


def subsample_elpd(
    elpd_s: np.ndarray,
    k_s: np.ndarray,
    p_s: np.ndarray,
    *,
    rows: np.ndarray,
    approx: np.ndarray,
    n_samples: int,
    log_p: np.ndarray | None = None,
    log_q: np.ndarray | None = None,
):
    """ArviZ's ``ELPDDataLOOSubsample`` from the exact PSIS values of the subsample ``rows``
    (``elpd_s``, ``k_s``, ``p_s``) and the point-estimate approximation ``approx`` of every
    row's log predictive density: ``arviz_stats.loo_subsample(method="plpd")``'s estimators
    (``diff_srs_estimator`` for elpd, ``srs_estimator`` for p_loo). ``log_p``/``log_q``: the
    target's and proposal's log densities when the draws are an approximation's proposals."""
    import xarray as xr
    from arviz_stats.loo.loo_helper import _prepare_full_arrays, _warn_pareto_k
    from arviz_stats.utils import ELPDDataLOOSubsample

    n = approx.size
    S = n_samples
    approx_all = xr.DataArray(approx, dims="obs", coords={"obs": np.arange(n)}, name="y")
    approx_sample = xr.DataArray(approx[rows], dims="__obs__")
    elpd_da = xr.DataArray(elpd_s, dims="__obs__")
    k_da = xr.DataArray(k_s, dims="__obs__")
    warn, good_k = _warn_pareto_k(k_da, S, suppress=True)
    elpd, sub_se, se = elpd_da.azstats.diff_srs_estimator(
        lpd_approx_sample=approx_sample, lpd_approx_all=approx_all, n_data_points=n
    )
    p_loo, _, _ = xr.DataArray(p_s, dims="__obs__").azstats.srs_estimator(n_data_points=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        elpd_full, k_full = _prepare_full_arrays(elpd_da, k_da, approx_all, rows, ["obs"], None)
    # arviz_stats annotates these fields without None although None is their default (e.g.
    # ``log_p: DataArray | np.ndarray = None``): hence the ignores below
    return ELPDDataLOOSubsample(
        elpd=float(elpd),
        se=float(se),
        p=float(p_loo),
        n_samples=S,
        n_data_points=n,
        scale="log",
        warning=bool(warn),
        good_k=float(good_k),
        elpd_i=elpd_full.rename("y"),
        pareto_k=k_full.rename("y"),
        approx_posterior=log_p is not None,
        subsampling_se=float(sub_se),
        subsample_size=int(rows.size),
        log_p=log_p,  # type: ignore[arg-type]  # None: arviz_stats' default
        log_q=log_q,  # type: ignore[arg-type]  # None: arviz_stats' default
        thin_factor=None,  # type: ignore[arg-type]  # None: arviz_stats' default
        log_weights=None,  # type: ignore[arg-type]  # None: arviz_stats' default
        loo_subsample_observations=rows,
        elpd_loo_approx=approx_all,
        log_jacobian=None,  # type: ignore[arg-type]  # None: arviz_stats' default
    )


def compare_models(
    fits: Mapping[str, PosteriorResults | CategoricalPosterior], *, method: str = "stacking"
) -> pd.DataFrame:
    """Compare posterior fits of the same data by PSIS-LOO expected log predictive density.

    Each fit's PSIS-LOO is computed by :func:`psis_loo` (exact by row blocks, or subsampled
    for large data: then every fit uses the *same* subsample, as the difference estimator
    needs); ``arviz.compare`` ranks them. Observations whose Pareto k exceeds ArviZ's threshold
    (the LOO estimate is then unreliable for them) are reported with a
    :class:`~bayeslogit.ParetoKWarning` that names the model and the rows, and counted in the
    ``n_high_pareto_k`` column.

    Parameters
    ----------
    fits : dict of str -> PosteriorResults or CategoricalPosterior
        At least two posterior fits of the same observations (same response values, in the
        same order), keyed by the names to show; multinomial and ordinal posteriors too (their
        PSIS-LOO by :func:`bayeslogit.interpret.categorical_loo.categorical_psis_loo`).
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
    if not (isinstance(method, str) and method.lower() in _METHODS):  # any case, as ArviZ
        check_choice("method", method, _METHODS)
    from .categorical_loo import categorical_psis_loo  # multinomial, ordinal (it imports this module)

    first_name, first = next(iter(fits.items()))
    for name, fit in fits.items():
        if not isinstance(fit, (PosteriorResults, CategoricalPosterior)):
            raise ArgumentError(
                f"fits[{name!r}] is a {type(fit).__name__}; LOO comparison needs posterior fits (model.sample(...))"
            )
        same = fit.design.n_obs == first.design.n_obs and np.array_equal(fit.design.y, first.design.y)
        if not same:
            raise ArgumentError(
                f"fits[{name!r}] and fits[{first_name!r}] were fitted to different observations; "
                "LOO comparison needs the same rows and response in every model"
            )
    n = first.design.n_obs
    subsample = any(n * fit.n_chains * fit.n_draws > options["loo_exact_max_cells"] for fit in fits.values())
    if subsample:  # one subsample for all, as the difference estimator needs
        rows = np.sort(np.random.default_rng(0).choice(n, size=min(n, LOO_SUBSAMPLE), replace=False))
    loos, high, labels = {}, {}, {}
    for name, fit in fits.items():
        loo_of: Any = psis_loo if isinstance(fit, PosteriorResults) else categorical_psis_loo
        res = loo_of(fit, method="subsample", observations=rows) if subsample else loo_of(fit, method="exact")
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
