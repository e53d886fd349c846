"""Pareto-smoothed importance sampling for many observations at once (PSIS-LOO by row blocks).

The same computation as ArviZ's (``arviz_stats``) PSIS-LOO per observation, ``_psislw`` ->
``_ps_tail`` -> ``_gpdfit`` -> ``_gpinv`` and ``_loo`` / ``_loo_approximate_posterior``
(Vehtari et al. 2017, 2024; the approximate-posterior correction of Magnusson et al. 2019),
written for a ``rows x draws`` block of log-likelihoods instead of one observation.

Why hand-written: ArviZ runs its PSIS once per observation in a Python loop (its ``make_ufunc``
over the observation axis): about 2 ms per observation at 4,000 draws, so the 500 rows of a
small data set cost ~1 s, most of ``bayeslogit fit``'s printed diagnostics on the command line,
and 10,000 rows cost ~20 s. The statistics here are ArviZ's, step for step, in numpy over all
rows of a block at once (a partition per row, the generalized Pareto fit's ``m_est x tail`` grid
per row as a 3-d array). The results equal ArviZ's to rounding (tests/test_psis.py: 1e-10
relative, in practice ~1e-15). Rows outside the ordinary path (a Pareto fit that fails or gives
a non-finite k, a non-positive scale, an exactly zero k, tied tail values) are handed to
ArviZ's own per-observation routine, so every edge case behaves as ArviZ's does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["tail_length", "psislw_rows", "loo_rows"]

_PRIOR_BS = 3
_PRIOR_K = 10
CACHE_CELLS = 256_000
"""Rows x draws cells handled at once by :func:`loo_rows` (2 MB per temporary)."""
_CHUNK_CELLS = 2_000_000
"""Rows per chunk of the generalized Pareto grid: ``rows x m_est x tail`` float64 cells (16 MB)."""


def _logsumexp(a: np.ndarray, b: float | None = None) -> np.ndarray:
    """``log(sum(b * exp(a)))`` along the last axis (rows of finite maxima; scipy's
    ``logsumexp`` is ~5x slower on these sizes)."""
    amax = np.max(a, axis=-1, keepdims=True)
    s = np.sum(np.exp(a - amax), axis=-1)
    if b is not None:
        s *= b
    return np.log(s) + amax[..., 0]


def tail_length(n_draws: int, r_eff: float = 1.0) -> int:
    """Draws in the right tail that PSIS fits (ArviZ's ``_get_ps_tails``, one tail)."""
    if n_draws * r_eff > 225:
        return int(np.floor(3 * (n_draws / r_eff) ** 0.5))
    return int(np.floor(n_draws / 5))


def _gpdfit_rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Generalized Pareto fit of every row of ``x`` (sorted ascending, ``rows x tail``):
    ``(kappa, sigma, ordinary)``; ``ordinary`` is False where ArviZ's ``_gpdfit`` takes a
    special branch (first quartile not above the minimum, NaN kappa)."""
    m, n = x.shape
    m_est = 30 + int(n**0.5)
    xstar = x[:, int((n / 4 + 0.5) - 1)]
    ordinary = xstar > x[:, 0]
    b0 = 1 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    b = b0[None, :] / (_PRIOR_BS * xstar)[:, None]
    b += 1 / x[:, -1:]
    k_ary = np.empty((m, m_est))
    rows = max(1, _CHUNK_CELLS // (m_est * n))
    for start in range(0, m, rows):
        sl = slice(start, start + rows)
        k_ary[sl] = np.mean(np.log1p(-b[sl, :, None] * x[sl, None, :]), axis=2)
    len_scale = n * (np.log(-b / k_ary) - k_ary - 1)
    w = np.exp(len_scale - _logsumexp(len_scale)[:, None])
    w[w < 10 * np.finfo(float).eps] = 0.0  # ArviZ drops negligible weights
    w /= w.sum(axis=1, keepdims=True)
    b_post = np.sum(b * w, axis=1)
    kappa = np.mean(np.log1p(-b_post[:, None] * x), axis=1)
    sigma = -kappa / b_post
    kappa = (n * kappa + _PRIOR_K * 0.5) / (n + _PRIOR_K)
    ordinary &= np.isfinite(kappa)
    return kappa, sigma, ordinary


def psislw_rows(log_ratios: np.ndarray, r_eff: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pareto-smoothed, normalised log weights of each row of ``log_ratios`` (``rows x draws``).

    ArviZ's ``_psislw`` of ``-log_ratios`` row by row (right tail, ``log_weights=True``).

    Returns
    -------
    log_weights : ndarray (rows, draws)
    k : ndarray (rows,)
        Pareto k per row.
    ordinary : ndarray of bool (rows,)
        False for rows whose values must come from ArviZ's routine instead (see the module
        docstring); their entries here are not meaningful.
    """
    a = np.array(log_ratios, dtype=float)
    m, S = a.shape
    M = tail_length(S, r_eff)
    if M < 5 or S - M - 1 < 0:
        return a, np.full(m, np.nan), np.zeros(m, dtype=bool)
    a -= np.max(a, axis=1, keepdims=True)
    # the M largest values in ascending order and the next one below them (the cutoff): a
    # partition and a sort of M + 1 values per row instead of ArviZ's sort of all S (the same
    # values; among exactly tied draws the smoothed weights may go to another of the tied draws,
    # which changes nothing in elpd_i, k or p_loo_i, as tied draws have equal log-likelihoods)
    top = np.argpartition(a, S - M - 1, axis=1)[:, S - M - 1 :]
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(a, top, axis=1), axis=1), axis=1)
    tail_idx = top[:, 1:]
    tail = np.take_along_axis(a, tail_idx, axis=1)
    cutoff = np.take_along_axis(a, top[:, :1], axis=1)[:, 0]
    max_tail = tail.max(axis=1)
    ordinary = np.abs(max_tail - tail.min(axis=1)) >= np.finfo(float).tiny
    with np.errstate(all="ignore"):
        ecut = np.exp(cutoff)
        kappa, sigma, ok = _gpdfit_rows(np.exp(tail) - ecut[:, None])
        ordinary &= ok & (sigma > 0) & (kappa != 0)
        p = np.arange(0.5, M) / M
        q = ecut[:, None] + sigma[:, None] * np.expm1(-kappa[:, None] * np.log1p(-p)[None, :]) / kappa[:, None]
        smoothed = np.log(q)
    smoothed = np.where(smoothed > max_tail[:, None], max_tail[:, None], smoothed)
    np.put_along_axis(a, tail_idx, smoothed, axis=1)
    a -= _logsumexp(a)[:, None]
    return a, kappa, ordinary


def loo_rows(
    ll: np.ndarray, *, r_eff: float = 1.0, log_p: np.ndarray | None = None, log_q: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PSIS-LOO of each row of a ``rows x draws`` log-likelihood block: ``(elpd_i, k, p_loo_i)``.

    Without ``log_p``/``log_q``: ArviZ's ``array_stats.loo`` per row (draws from the posterior,
    relative efficiency ``r_eff``). With them (the target's and the proposal's log density at
    each draw, draws from an approximation ``q``): ArviZ's ``loo_approximate_posterior`` per row,
    whose importance ratios ``p(theta) / (q(theta) p(y_i | theta))`` correct for the draws not
    coming from the posterior (``r_eff`` is then 1, as there).

    Examples
    --------
    >>> import numpy as np
    >>> ll = np.random.default_rng(0).normal(-0.7, 0.1, size=(3, 1000))
    >>> elpd, k, p = loo_rows(ll)
    >>> elpd.shape, bool(np.all(k < 0.7))
    ((3,), True)
    """
    ll = np.asarray(ll, dtype=float)
    rows = max(1, CACHE_CELLS // max(1, ll.shape[1]))
    if ll.shape[0] > rows:  # chunks of rows that stay in cache (several temporaries each)
        parts = [loo_rows(ll[i : i + rows], r_eff=r_eff, log_p=log_p, log_q=log_q) for i in range(0, ll.shape[0], rows)]
        k, loo, weights = (np.concatenate([part[j] for part in parts]) for j in range(3))
        return k, loo, weights
    S = ll.shape[1]
    approx = log_p is not None or log_q is not None
    if approx:
        corr = np.asarray(log_p, dtype=float).ravel() - np.asarray(log_q, dtype=float).ravel()
        corr = corr - corr.max()
        lr = -ll + corr
        lr = lr - lr.max(axis=1, keepdims=True)
        r_eff = 1.0
    else:
        lr = -ll
    lw, k, ordinary = psislw_rows(lr, r_eff)
    lw += ll
    elpd = _logsumexp(lw)
    lppd = _logsumexp(ll, b=1 / S)
    p_loo = lppd - elpd
    odd = np.flatnonzero(~ordinary)
    if odd.size:  # ArviZ's own routine for the rows off the ordinary path
        from arviz_stats.base import array_stats

        for i in odd:
            if approx:
                e, kk, pp = array_stats._loo_approximate_posterior(ll[i], log_p, log_q)
            else:
                e, kk, pp = array_stats._loo(ll[i], r_eff=r_eff)
            elpd[i], k[i], p_loo[i] = e, kk, pp
    return elpd, k, p_loo
