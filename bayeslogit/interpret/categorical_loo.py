"""PSIS-LOO of a multinomial or ordinal posterior, exact by row blocks or subsampled at large n.

The same statistics as binary fits' :func:`bayeslogit.interpret.loo.psis_loo` (ArviZ's,
computed by :mod:`bayeslogit._psis` for a block of rows at once), on the per-row categorical
log-likelihood ``w_i log P(y_i | theta)`` (a weighted row is one group of ``w_i`` rows):

- **exact** (rows x draws up to the ``loo_exact_max_cells`` option): every row, by row blocks;
  equal to ``arviz.loo`` on the materialised log-likelihood.
- **subsampled** (larger): exact PSIS on a random subsample of rows and the point-estimate
  (plpd) difference estimator of Magnusson et al. (2019) around
  ``log P(y_i | posterior mean theta)`` for every row: ``arviz_stats.loo_subsample(method="plpd")``'s
  computation (:func:`bayeslogit.interpret.loo.subsample_elpd`). Its standard error includes the
  subsampling error, also reported alone.
- **Laplace fits** (``method="laplace"``): on the raw Student-t proposals kept in the fit's
  ``importance`` group, with the approximate-posterior correction (ArviZ's
  ``loo_approximate_posterior``), as for binary Laplace fits; proposals of posterior density 0
  (ordinal cutpoints out of order) are left out.

Memory: one block of rows x draws at a time (:mod:`bayeslogit._blocks`), never draws x rows x
outcomes.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import pandas as pd

from .. import _blocks, _psis
from .._options import options
from .._validation import check_choice, check_int
from ..errors import ArgumentError
from ..results.categorical import CategoricalPosterior
from .loo import LOO_SUBSAMPLE, LooResult, exact_elpd, loo_label, subsample_elpd, subsample_rows

__all__ = ["categorical_loo", "categorical_psis_loo", "loo_draws"]


def loo_draws(post: CategoricalPosterior) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(theta draws, log_p, log_q)``: a Laplace fit's proposals with the target's and the
    proposal's log densities, else the posterior draws and ``None, None``.

    Proposals outside the parameter space (an ordinal model's cutpoints out of order: the
    posterior density is 0, ``log_p = -inf``) have importance weight 0 and no defined
    likelihood, so they are left out (the ratios of the others are unchanged)."""
    if post.sampler == "laplace+psis" and "importance" in post.idata.children:
        imp = post.idata["importance"]
        log_p = np.asarray(imp["log_p"].values, dtype=float)
        keep = np.isfinite(log_p)
        return (
            np.asarray(imp["proposal"].values, dtype=float)[keep],
            log_p[keep],
            np.asarray(imp["log_q"].values, dtype=float)[keep],
        )
    return post.draws(), None, None


def _loglik_blocks(post: CategoricalPosterior, draws: np.ndarray, rows: np.ndarray):
    """``(positions, rows x draws log-likelihood)`` for ``rows`` by row blocks."""
    d, fam = post.design, post.family
    step = _blocks.block_rows(draws.shape[0] * (fam.n_outcomes + 1))  # the family's rows x draws x outcomes
    for sl in _blocks.row_slices(rows.size, step):
        idx = rows[sl]
        ob = None if d.offset is None else d.offset[idx]
        yield sl, fam.take(idx).loglik_rows_draws(d.X[idx], d.y[idx], draws, ob)


def _psis_values(post: CategoricalPosterior, rows: np.ndarray):
    """Exact PSIS per row of ``rows``: ``(elpd_i, k, p_i, number of draws, log_p, log_q)``."""
    from arviz_stats.loo.loo_helper import _get_r_eff

    draws, log_p, log_q = loo_draws(post)
    S = draws.shape[0]
    r_eff = 1.0 if log_p is not None else float(_get_r_eff(post.idata, S))
    m = rows.size
    elpd_i, k, p_i = np.empty(m), np.empty(m), np.empty(m)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # high Pareto k is reported by the callers, in words
        for sl, ll in _loglik_blocks(post, draws, rows):
            elpd_i[sl], k[sl], p_i[sl] = _psis.loo_rows(ll, r_eff=r_eff, log_p=log_p, log_q=log_q)
    return elpd_i, k, p_i, S, log_p, log_q


def _plpd(post: CategoricalPosterior) -> np.ndarray:
    """``w_i log P(y_i | posterior mean theta)`` for every row (an ordinal model's mean
    cutpoints are ordered, as every draw's are), by row blocks."""
    d, fam = post.design, post.family
    theta = post.draws().mean(axis=0)
    out = np.empty(d.n_obs)
    for sl in _blocks.row_slices(d.n_obs, _blocks.block_rows(fam.n_outcomes)):
        ob = None if d.offset is None else d.offset[sl]
        out[sl] = fam.take(sl).loglik_rows_theta(d.X[sl], d.y[sl], theta, ob)
    return out


def categorical_psis_loo(
    post: CategoricalPosterior,
    *,
    method: Literal["auto", "exact", "subsample"] = "auto",
    observations: Any = None,
    seed: int = 0,
) -> LooResult:
    """PSIS-LOO of a categorical posterior as the binary fits' :class:`~bayeslogit.interpret.loo.LooResult`
    (ArviZ's ``ELPDData``, the method, its label, the rows with an exact PSIS value), which
    :func:`bayeslogit.compare_models` ranks; arguments as :func:`categorical_loo`."""
    if not isinstance(post, CategoricalPosterior):
        raise ArgumentError(f"post must be a multinomial or ordinal posterior, got {type(post).__name__}")
    check_choice("method", method, ("auto", "exact", "subsample"))
    seed = check_int("seed", seed)
    n = post.design.n_obs
    S = loo_draws(post)[0].shape[0]
    if method == "auto":
        method = "exact" if n * S <= options["loo_exact_max_cells"] else "subsample"
    if method == "exact":
        if observations is not None:
            raise ArgumentError(
                "observations= picks a LOO subsample; exact LOO uses every row: drop observations= "
                "or pass method='subsample'"
            )
        elpd_i, k, p_i, S, log_p, _ = _psis_values(post, np.arange(n))
        res = exact_elpd(elpd_i, k, p_i, n_samples=S, approx_posterior=log_p is not None)
        rows, sub_se = np.arange(n), None
    else:
        rows = subsample_rows(n, min(n, LOO_SUBSAMPLE) if observations is None else observations, seed)
        elpd_s, k_s, p_s, S, log_p, log_q = _psis_values(post, rows)
        if not np.all(np.isfinite(elpd_s)):
            raise FloatingPointError("the pointwise LOO predictive density is not finite for some rows")
        res = subsample_elpd(elpd_s, k_s, p_s, rows=rows, approx=_plpd(post), n_samples=S, log_p=log_p, log_q=log_q)
        sub_se = float(res.subsampling_se)
    label = loo_label(post, method, n, rows.size, sub_se, proposals=S)
    return LooResult(res, method, label, rows, bool(res.approx_posterior))


def categorical_loo(
    post: CategoricalPosterior,
    *,
    method: Literal["auto", "exact", "subsample"] = "auto",
    observations: Any = None,
    seed: int = 0,
) -> pd.Series:
    """PSIS-LOO of a categorical posterior (see the module docstring).

    Parameters
    ----------
    post : CategoricalPosterior
    method : {"auto", "exact", "subsample"}
        ``"auto"``: exact when rows x draws is at most the ``loo_exact_max_cells`` option
        (``bl.options``), else subsampled.
    observations : int or array of int, optional
        Subsampling only: the subsample's size (default ``min(n, 2000)``) or its row indices.
    seed : int
        Seed of the subsample draw.

    Returns
    -------
    pandas.Series
        ``elpd_loo``, ``se``, ``p_loo``, ``n_obs``, ``max_k`` and ``n_k_above_0.7`` (over the
        rows with an exact PSIS value), ``subsample_size`` and ``subsampling_se`` (0 when
        exact); ``attrs``: ``method`` (``"exact"`` or ``"subsample"``), ``label`` (one
        sentence saying how it was computed) and ``approx_posterior`` (True for a Laplace
        fit's corrected LOO). :func:`categorical_psis_loo` gives ArviZ's object.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
    >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
    ...     draws=300, chains=2, random_seed=1, method="laplace")
    >>> categorical_loo(post, method="subsample", observations=40).attrs["method"]
    'subsample'
    """
    res = categorical_psis_loo(post, method=method, observations=observations, seed=seed)
    e = res.elpd_data
    k = np.asarray(e.pareto_k.values, dtype=float)[res.rows]
    out = pd.Series(
        {
            "elpd_loo": float(e.elpd),
            "se": float(e.se),
            "p_loo": float(e.p),
            "n_obs": int(e.n_data_points),
            "max_k": float(np.max(k)),
            "n_k_above_0.7": int(np.sum(k > 0.7)),
            "subsample_size": int(res.rows.size),
            "subsampling_se": float(getattr(e, "subsampling_se", 0.0)) if res.method == "subsample" else 0.0,
        },
        name="loo",
    )
    out.attrs.update(method=res.method, label=res.label, approx_posterior=res.approx_posterior)
    return out
