"""Separation (Albert & Anderson 1984), detected exactly by a linear program (Konis 2007).

Separation is a property of ``X`` and ``y`` alone: an offset (a fixed term of the linear
predictor) only shifts ``eta`` and cannot make a direction ``d`` along which the likelihood
rises forever, nor remove one, so :func:`detect_separation` takes no offset. The one-pass
certificate below takes it (``offset=``) only so that its residuals are those at the model's
mode, where it is most often conclusive.

A direction ``d`` with ``(2y-1) x_i'd >= 0`` for every row and ``> 0`` for some means the
likelihood keeps rising along ``d`` and the MLE does not exist. Only the MLE is affected; a
proper prior keeps the MAP and the posterior finite.

The linear program holds a dense copy of the design and takes seconds at 100,000 rows, so
:func:`check_separation` first tries a certificate of *no* separation that costs one pass
over the rows (Stiemke's lemma, the dual of Konis's program): the data are not separated iff
there are multipliers ``mu_i > 0`` on the rows with one outcome (and of any sign on rows with
both) such that ``sum_i s_i mu_i x_i = 0`` (``s_i = +1`` for successes, ``-1`` for failures).
At any ``beta`` (e.g. a posterior mean or the mode), ``lam = y - m expit(X beta)`` gives
``X' lam = g`` with ``s_i lam_i = |lam_i| = a_i > 0``; correcting by ``u = (X' diag(a) X)^-1 g``
and ``r = X u``, the multipliers ``mu_i = a_i (1 - s_i r_i)`` satisfy the equation exactly and
are positive whenever ``|r_i| < 1``. Near the mode ``g`` is small and so is ``r``; when the
certificate fails (``max |r_i| >= 0.9``: separation, or just inconclusive) the exact linear
program decides, up to :data:`LP_MAX_ROWS` rows.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from ..response import as_response

__all__ = [
    "detect_separation",
    "improper_separation",
    "mean_undefined",
    "mean_undefined_columns",
    "no_separation_certificate",
    "check_separation",
    "LP_MAX_ROWS",
]

LP_MAX_ROWS = 200_000
"""Above this many rows an inconclusive certificate is not followed by the (dense) linear program."""


def no_separation_certificate(
    X: np.ndarray, y: np.ndarray, trials: np.ndarray | None, beta: np.ndarray, offset: np.ndarray | None = None
) -> float:
    """``max |r_i|`` over the rows with one outcome (see the module docstring): below 1 proves
    that the data are not separated (below 0.9 is used, for rounding); ``inf`` if degenerate.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(6), [-2.0, -1.0, 0.5, -0.5, 1.0, 2.0]])
    >>> y = np.array([0, 0, 0, 1, 1, 1])
    >>> no_separation_certificate(X, y, None, np.zeros(2)) < 1
    True
    """
    from scipy.special import expit

    from .._blocks import linear_predictor, map_rows, weighted_gram

    m = as_response(trials).kernel_trials(len(y))
    yf = np.asarray(y, dtype=float)
    beta = np.asarray(beta, dtype=float)
    eta = map_rows(lambda Xb, ob: linear_predictor(Xb, beta, ob), (X, offset), cells_per_row=X.shape[1])
    # |lam| without cancellation: successes m expit(-eta), failures m expit(eta)
    lam = np.where(yf >= m, m * expit(-eta), np.where(yf <= 0, -m * expit(eta), yf - m * expit(eta)))
    pure = (yf >= m) | (yf <= 0)
    a = np.abs(lam)
    if not np.all(np.isfinite(a)) or np.any(a[pure] <= 0):
        return float("inf")
    g = X.T @ lam
    G = weighted_gram(X, a)
    try:
        u = np.linalg.solve(G, g)
    except np.linalg.LinAlgError:
        return float("inf")
    r = map_rows(lambda Xb: Xb @ u, (X,), cells_per_row=X.shape[1])
    return float(np.max(np.abs(r[pure]))) if pure.any() else 0.0


def check_separation(
    X: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray | None = None,
    beta: np.ndarray | None = None,
    offset: np.ndarray | None = None,
):
    """``(kind, direction)`` like :func:`detect_separation`, certificate first (module docstring).

    ``kind`` is None (certified or LP: not separated), ``"complete"``, ``"quasi-complete"``, or
    ``"not checked"`` when the certificate is inconclusive and the data have more than
    :data:`LP_MAX_ROWS` rows.
    """
    if beta is not None and no_separation_certificate(X, y, trials, beta, offset) < 0.9:
        return None, None
    if X.shape[0] > LP_MAX_ROWS:
        return "not checked", None
    return detect_separation(X, y, trials)


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

    n_trials = as_response(trials).kernel_trials(len(y))
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
        np.r_[cost, cost],
        A_ub=A_ub,
        b_ub=b_ub,
        A_eq=A_eq,
        b_eq=None if A_eq is None else np.zeros(A_eq.shape[0]),
        bounds=(0, None),
        method="highs",
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
        A_ub=np.column_stack([-sA, np.ones(sA.shape[0])]),
        b_ub=np.zeros(sA.shape[0]),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)],
        method="highs",
    )
    if strict.status == 0 and -strict.fun > 1e-9:
        return "complete", d
    return "quasi-complete", d


def improper_separation(X: np.ndarray, y: np.ndarray, trials, priors) -> tuple[str | None, list[int]]:
    """Separation along the directions that only improper (Flat) priors govern.

    A proper prior keeps the posterior finite along any direction it constrains, so only the
    Flat columns matter: a free coefficient moves ``eta`` along its column, centred when the
    intercept's prior is centred (``priors.x_mean`` is zero otherwise). Returns ``(kind,
    flat)``: ``kind`` as :func:`detect_separation` gives it (None when there is no Flat
    column or no separation among them) and the indices of the Flat columns.
    """
    flat = [j for j, p in enumerate(priors.priors.values()) if p.improper]
    if not flat:
        return None, flat
    return detect_separation(X[:, flat] - priors.x_mean[flat], y, trials)[0], flat


def mean_undefined(X: np.ndarray, y: np.ndarray, trials, priors) -> list[int]:
    """Coefficients whose posterior mean does not exist: heavy-tailed prior (Cauchy, or
    Student-t with ``nu <= 1``) and a separating direction along that coefficient alone.

    If moving ``beta_j`` (with the other proper-prior coefficients held still, in the priors'
    coordinates: predictors centred when the intercept's prior is, and the Flat ones free)
    never lowers the likelihood, the posterior of ``beta_j`` keeps the prior's tail on that
    side, at least; a Cauchy tail (``nu <= 1``) has no mean (Ghosh, Li & Mitra 2018, on
    Cauchy priors under separation). The check is a small linear program per heavy-tailed
    column and sign: ``s_i x_i'd >= 0`` on rows with one outcome, ``x_i'd = 0`` on rows with
    both, ``d_j = +-1``, ``d_k = 0`` for the other proper priors. Returns those ``j`` (sorted).

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 0, 1, 1], "x": [-2.0, -1.0, 1.0, 2.0]})
    >>> m = bl.LogitModel("y ~ x", df, priors=bl.Cauchy(0, 2.5))
    >>> mean_undefined(m.design.X, m.design.y, m.design.trials, m.priors)
    [1]
    """
    from scipy.optimize import linprog

    values = list(priors.priors.values())
    heavy = [j for j, p in enumerate(values) if p.mean_free_tail]
    if not heavy:
        return []
    Xc = X - priors.x_mean  # the priors' coordinates (x_mean is zero without centring)
    n_trials = as_response(trials).kernel_trials(len(y))
    s_pos, s_neg = y >= n_trials, y <= 0
    mixed = ~(s_pos | s_neg)
    sign = np.where(s_pos, 1.0, -1.0)
    flat = [k for k, p in enumerate(values) if p.improper]
    out = []
    for j in heavy:
        free = [k for k in flat if k != j]
        for side in (1.0, -1.0):
            base = side * Xc[:, j]  # eta's change per unit step of beta_j, the free ones aside
            if not free:
                ok = np.all(sign[~mixed] * base[~mixed] >= -1e-12) and np.all(np.abs(base[mixed]) <= 1e-12)
            else:
                F = Xc[:, free]
                sF = sign[~mixed, None] * F[~mixed]
                res = linprog(
                    np.zeros(len(free)),
                    A_ub=-sF,
                    b_ub=sign[~mixed] * base[~mixed],
                    A_eq=F[mixed] if mixed.any() else None,
                    b_eq=-base[mixed] if mixed.any() else None,
                    bounds=(None, None),
                    method="highs",
                )
                ok = res.status == 0
            if ok:
                out.append(j)
                break
    return out


def mean_undefined_columns(model) -> list[str]:
    """The design columns whose posterior mean does not exist under the model's priors
    (:func:`mean_undefined`)."""
    d = model.design
    return [d.column_names[j] for j in mean_undefined(d.X, d.y, d.trials, model.priors)]
