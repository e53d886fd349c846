"""Newton's method for the maximum likelihood and the posterior mode (MAP).

Both maximise ``log L(beta) + log p(beta)`` (the prior term is zero for the MLE) with
damped Newton steps and a backtracking line search, on the design matrix directly. The
log-likelihood uses ``logaddexp`` so it stays finite for any linear predictor. The negative
Hessian at the optimum gives the standard errors (the observed information for the MLE; the
Laplace approximation for the MAP).

Written by hand, not with ``scipy.optimize``: the logistic log posterior is concave (for the
priors offered) with an analytic Hessian, so Newton converges in a handful of steps to 1e-10,
and the Hessian it ends with is the covariance the results need.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._blocks import linear_predictor
from ..errors import ArgumentError
from ..priors import ResolvedPriors
from ..response import ResponseFamily, as_response

__all__ = ["NewtonResult", "newton", "neg_hessian", "check_newton_args", "prior_terms", "solve_pd"]


@dataclass
class NewtonResult:
    beta: np.ndarray
    neg_hessian: np.ndarray
    logpost: float
    iterations: int
    converged: bool


def prior_terms(priors: ResolvedPriors | None, beta: np.ndarray):
    """Value, gradient and Hessian of the joint log prior at ``beta`` (original scale)."""
    p = beta.size
    if priors is None:
        return 0.0, np.zeros(p), np.zeros((p, p))
    names = list(priors.priors)
    T = priors.centring_map()
    a = T @ beta
    val, d1, d2 = 0.0, np.zeros(p), np.zeros(p)
    for j, name in enumerate(names):
        v, g, h = priors.priors[name].derivs(a[j])  # each family's own (bayeslogit.priors)
        val, d1[j], d2[j] = val + v, g, h
    return val, T.T @ d1, T.T @ (d2[:, None] * T)


def newton(
    X: np.ndarray,
    y: np.ndarray,
    trials: ResponseFamily | np.ndarray | None,
    priors: ResolvedPriors | None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    beta0: np.ndarray | None = None,
    offset: np.ndarray | None = None,
) -> NewtonResult:
    """Maximise the log posterior (log-likelihood when ``priors`` is None) by damped Newton.

    The linear predictor is ``X @ beta + offset`` (:func:`bayeslogit._blocks.linear_predictor`);
    the likelihood is the response family's (``trials``: a
    :class:`~bayeslogit.response.ResponseFamily`, or the trials per row, None for Bernoulli rows;
    :func:`bayeslogit.response.as_response`). Converged when the Newton decrement
    ``g' H^-1 g / 2`` falls below ``tol``. Never raises ``LinAlgError``: a singular or
    indefinite Hessian is regularised (Levenberg damping).
    """
    family = as_response(trials)
    yf = y.astype(float)

    def objective(b):
        eta = linear_predictor(X, b, offset)
        ll = float(np.sum(family.loglik(eta, yf)))
        lp, gp, hp = prior_terms(priors, b)
        return ll + lp, eta, gp, hp

    beta = np.zeros(X.shape[1]) if beta0 is None else np.asarray(beta0, dtype=float).copy()
    f, eta, gp, hp = objective(beta)
    converged = False
    H = np.eye(X.shape[1])
    it = 0
    for it in range(1, max_iter + 1):
        mu, w = family.mean_weight(eta)
        g = X.T @ (yf - mu) + gp
        H = _gram(X, w) - hp
        step = _solve_pd(H, g)
        decrement = float(g @ step) / 2.0
        t = 1.0
        while True:
            cand = beta + t * step
            f_new, eta_new, gp_new, hp_new = objective(cand)
            if np.isfinite(f_new) and f_new >= f - 1e-12 * abs(f):
                break
            t /= 2.0
            if t < 1e-10:
                break
        if t < 1e-10:  # no ascent possible along the Newton direction: at the optimum numerically
            converged = decrement < 1e-6
            break
        beta, f, eta, gp, hp = cand, f_new, eta_new, gp_new, hp_new
        if decrement < tol:  # the step just taken was tiny: quadratic convergence is done
            converged = True
            break
    else:
        it = max_iter
    _, w = family.mean_weight(eta)
    H = _gram(X, w) - hp
    return NewtonResult(beta=beta, neg_hessian=H, logpost=f, iterations=it, converged=converged)


def neg_hessian(
    X: np.ndarray,
    trials: ResponseFamily | np.ndarray | None,
    beta: np.ndarray,
    priors: ResolvedPriors | None,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """Negative Hessian of the log posterior at ``beta``: ``X' W X`` minus the log prior's
    Hessian (under Laplace / elastic-net priors, their smooth part off the kink)."""
    w = as_response(trials).weight(linear_predictor(X, beta, offset))
    _, _, hp = prior_terms(priors, beta)
    return _gram(X, w) - hp


def _gram(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``X' diag(w) X`` by row blocks (:func:`bayeslogit._blocks.weighted_gram`): memory
    O(block x p), never a weighted ``n x p`` copy of the design; one block (the same product
    as before, bit for bit) whenever ``n x p`` fits in the ``block_bytes`` option (:mod:`bayeslogit._options`)."""
    from .._blocks import weighted_gram

    return weighted_gram(X, w)


def _solve_pd(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``H x = g`` for a (nearly) positive definite ``H``, damping it if needed."""
    scale = max(float(np.max(np.abs(np.diag(H)))), 1e-300)
    lam = 0.0
    for _ in range(60):
        try:
            L = np.linalg.cholesky(H + lam * np.eye(len(g)))
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            lam = scale * 1e-10 if lam == 0.0 else lam * 10.0
    return np.linalg.lstsq(H, g, rcond=None)[0]  # pragma: no cover - last resort


solve_pd = _solve_pd  # the public name (the dask fits' Newton, bayeslogit.fit.distributed)


def covariance(neg_hessian: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(neg_hessian)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(neg_hessian)


def check_newton_args(tol: float, max_iter: int) -> None:
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise ArgumentError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ArgumentError(f"max_iter must be an integer >= 1, got {max_iter!r}")
