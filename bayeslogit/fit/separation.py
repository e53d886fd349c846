"""Separation (Albert & Anderson 1984), detected exactly by a linear program (Konis 2007).

A direction ``d`` with ``(2y-1) x_i'd >= 0`` for every row and ``> 0`` for some means the
likelihood keeps rising along ``d`` and the MLE does not exist. Only the MLE is affected; a
proper prior keeps the MAP and the posterior finite.
"""

from __future__ import annotations

import numpy as np

__all__ = ["detect_separation"]


def detect_separation(X: np.ndarray, y: np.ndarray, trials: np.ndarray | None = None):
    """Check for complete or quasi-complete separation with Konis's linear program.

    Returns
    -------
    (kind, direction) : tuple
        ``kind`` is ``None``, ``"complete"`` or ``"quasi-complete"``; ``direction`` is the
        recession direction of the log-likelihood (None when there is none).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [-2.0, -1.0, 1.0, 2.0]])
    >>> detect_separation(X, np.array([0, 0, 1, 1]))[0]
    'complete'
    """
    from scipy.optimize import linprog

    n_trials = np.ones_like(y) if trials is None else trials
    s_pos = y >= n_trials  # all successes: x'd >= 0
    s_neg = y <= 0  # all failures: x'd <= 0
    mixed = ~(s_pos | s_neg)
    sign = np.where(s_pos, 1.0, -1.0)
    norms = np.maximum(np.linalg.norm(X, axis=0), 1e-300)
    A = X / norms
    p = X.shape[1]
    sA = sign[~mixed, None] * A[~mixed]
    # Sparsest (L1-minimal) direction d = u - v with every margin s_i x_i'd >= 0, their sum >= 1,
    # and x_i'd = 0 for rows with both outcomes. Feasible iff the data are separated.
    A_ub = np.vstack([np.hstack([-sA, sA]), np.r_[-sA.sum(axis=0), sA.sum(axis=0)]])
    b_ub = np.r_[np.zeros(sA.shape[0]), -1.0]
    A_eq = np.hstack([A[mixed], -A[mixed]]) if mixed.any() else None
    const = np.ptp(X, axis=0) == 0  # the intercept: free, so the cost counts predictors only
    cost = np.where(const, 1e-6, 1.0)
    res = linprog(
        np.r_[cost, cost], A_ub=A_ub, b_ub=b_ub, A_eq=A_eq,
        b_eq=None if A_eq is None else np.zeros(A_eq.shape[0]), bounds=(0, None), method="highs",
    )
    if res.status != 0:
        return None, None
    d = (res.x[:p] - res.x[p:]) / norms
    if mixed.any():
        return "quasi-complete", d
    # Complete separation iff some direction gives every row a strictly positive margin t.
    p = X.shape[1]
    strict = linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=np.column_stack([-sA, np.ones(sA.shape[0])]), b_ub=np.zeros(sA.shape[0]),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)], method="highs",
    )
    if strict.status == 0 and -strict.fun > 1e-9:
        return "complete", d
    return "quasi-complete", d
