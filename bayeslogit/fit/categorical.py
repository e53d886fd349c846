"""MLE and MAP of the categorical families (multinomial, ordinal) by Newton's method.

The same method as :mod:`bayeslogit.fit.newton` (damped Newton with a backtracking line
search, the negative Hessian at the optimum as the covariance's inverse), on the family's
parameter vector: the family gives the log-likelihood with its analytic gradient and Hessian
(:meth:`~bayeslogit.response_categorical.CategoricalFamily.loglik_grad_hess`) and how the
design columns' priors apply to its parameters
(:meth:`~bayeslogit.response_categorical.CategoricalFamily.prior_blocks`); nothing here
depends on which family it is. An ordinal model's cutpoints stay ordered: a step that would
cross two of them has a log-likelihood of ``-inf`` and is halved.

The symmetric multinomial parameterization (scikit-learn's, every level with coefficients)
is fitted with the coefficients whose prior is improper (an unpenalised intercept) fixed at 0
for the reference level, which changes no probability; it is converted back to the
reference parameterization by :func:`to_reference`.

Priors with a kink (Laplace, elastic net) are not supported here yet: see
:func:`categorical_mode`.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from ..errors import PriorError
from ..priors import ResolvedPriors
from .newton import NewtonResult

__all__ = ["categorical_mode", "log_prior", "to_reference"]


def log_prior(priors: ResolvedPriors | None, blocks, theta: np.ndarray):
    """Value, gradient and Hessian of the log prior of ``theta`` (see ``prior_blocks``)."""
    m = theta.size
    if priors is None:
        return 0.0, np.zeros(m), np.zeros((m, m))
    names = list(priors.priors)
    T = priors.centring_map()
    val, g, H = 0.0, np.zeros(m), np.zeros((m, m))
    for J, include in blocks:
        M = T @ J
        a = M @ theta
        d1, d2 = np.zeros(len(names)), np.zeros(len(names))
        for j in include:
            v, d1[j], d2[j] = priors.priors[names[j]].derivs(a[j])
            val += v
        g += M.T @ d1
        H += M.T @ (d2[:, None] * M)
    return val, g, H


def categorical_mode(
    family,
    X: np.ndarray,
    y: np.ndarray,
    priors: ResolvedPriors | None,
    *,
    offset: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    tol: float = 1e-10,
    max_iter: int = 100,
) -> NewtonResult:
    """Maximise the log posterior (log-likelihood when ``priors`` is None) of a categorical
    family's parameters; ``fixed`` (boolean per parameter) holds some at 0.

    The result's ``neg_hessian`` is that of the free parameters, ``beta`` the full vector.

    Raises
    ------
    PriorError
        Under priors with a kink (Laplace, elastic net): not supported for categorical
        responses yet.
    """
    if priors is not None and priors.has_kink:
        raise PriorError(
            "Laplace and elastic-net priors (L1 penalties) are not supported for multinomial and "
            "ordinal responses yet; use Normal or Student-t priors (or sklearn_prior with l1_ratio=0)"
        )
    p = X.shape[1]
    blocks = family.prior_blocks(p)
    theta = family.start(X, y)
    free = np.ones(theta.size, dtype=bool) if fixed is None else ~np.asarray(fixed, dtype=bool)
    theta[~free] = 0.0

    def objective(t, hessian=True):
        ll, g, H = family.loglik_grad_hess(X, y, t, offset, hessian=hessian)
        if not np.isfinite(ll):
            return -np.inf, None, None
        lp, gp, hp = log_prior(priors, blocks, t)
        return ll + lp, g + gp, (H + hp if hessian else None)

    f, g, H = objective(theta)
    converged, it = False, 0
    for it in range(1, max_iter + 1):
        gf, Hf = g[free], -H[np.ix_(free, free)]
        step = _solve(Hf, gf)
        decrement = float(gf @ step) / 2.0
        t = 1.0
        while t >= 1e-10:
            cand = theta.copy()
            cand[free] += t * step
            f_new, g_new, H_new = objective(cand)
            if np.isfinite(f_new) and f_new >= f - 1e-12 * abs(f):
                break
            t /= 2.0
        if t < 1e-10:  # no ascent along the Newton direction: at the optimum numerically
            converged = decrement < 1e-6
            break
        theta, f, g, H = cand, f_new, g_new, H_new
        if decrement < tol:
            converged = True
            break
    else:
        it = max_iter
    return NewtonResult(beta=theta, neg_hessian=-H[np.ix_(free, free)], logpost=f, iterations=it, converged=converged)


def to_reference(family, theta: np.ndarray, cov: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """The symmetric multinomial parameters (and their covariance, full length) as the
    reference parameterization's: ``beta_k - beta_ref`` for every other level."""
    K, r = family.n_outcomes, family.reference
    others = [k for k in range(K) if k != r]
    L = np.zeros(((K - 1) * p, K * p))
    for a, k in enumerate(others):
        L[a * p : (a + 1) * p, k * p : (k + 1) * p] = np.eye(p)
        L[a * p : (a + 1) * p, r * p : (r + 1) * p] -= np.eye(p)
    return L @ theta, L @ cov @ L.T


def _solve(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``H x = g`` for a (nearly) positive definite ``H``, damping it if needed."""
    scale = max(float(np.max(np.abs(np.diag(H)))), 1e-300) if H.size else 1.0
    lam = 0.0
    for _ in range(60):
        try:
            L = np.linalg.cholesky(H + lam * np.eye(len(g)))
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            lam = scale * 1e-10 if lam == 0.0 else lam * 10.0
    return np.linalg.lstsq(H, g, rcond=None)[0]  # pragma: no cover - last resort
