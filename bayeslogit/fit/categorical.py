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

Priors with a kink (Laplace, elastic net: scikit-learn's L1 and elastic-net penalties) go
through L-BFGS-B on a split of the kinked parameters, then Newton off the kinks, as
:mod:`bayeslogit.fit.penalized` does for binary responses.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PriorError
from ..priors import ResolvedPriors
from .newton import NewtonResult

__all__ = ["CategoricalMode", "categorical_mode", "log_prior", "to_reference"]


@dataclass
class CategoricalMode:
    """The mode (``fit``: ``beta`` full length, ``neg_hessian`` of the ``free`` parameters
    only) and which parameters are free (neither held fixed nor at a prior's kink)."""

    fit: NewtonResult
    free: np.ndarray

    @property
    def beta(self) -> np.ndarray:
        return self.fit.beta


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
) -> CategoricalMode:
    """Maximise the log posterior (log-likelihood when ``priors`` is None) of a categorical
    family's parameters; ``fixed`` (boolean per parameter) holds some at 0.

    The result's ``neg_hessian`` is that of the free parameters (those neither fixed nor at a
    prior's kink), ``beta`` the full vector. Under priors with a kink (Laplace, elastic net)
    the mode is found as :mod:`bayeslogit.fit.penalized` finds it for binary responses:
    L-BFGS-B on the split ``theta_i - mu_i = u_i - v_i``, then Newton off the kinks and the
    optimality (KKT) conditions at them.

    Raises
    ------
    PriorError
        A kinked prior on a quantity that is not one parameter (e.g. on the centred intercept).
    """
    p = X.shape[1]
    blocks = family.prior_blocks(p)
    theta = family.start(X, y)
    fixed = np.zeros(theta.size, dtype=bool) if fixed is None else np.asarray(fixed, dtype=bool)
    theta[fixed] = 0.0
    if priors is None or not priors.has_kink:
        return CategoricalMode(_newton(family, X, y, priors, blocks, theta, ~fixed, offset, tol, max_iter), ~fixed)
    kinked, mu, l1 = _kinks(priors, blocks, theta.size)
    kinked &= ~fixed
    smooth = priors.smooth_part()

    def smooth_value_grad(t):
        ll, g, _ = family.loglik_grad_hess(X, y, t, offset, hessian=False)
        if not np.isfinite(ll):
            return -np.inf, np.zeros_like(t)
        lp, gp, _ = log_prior(smooth, blocks, t)
        return ll + lp, g + gp

    theta = _lbfgs_split(smooth_value_grad, theta, ~fixed & ~kinked, kinked, mu, l1)
    at_kink = kinked & np.isclose(theta, mu, rtol=0, atol=1e-7 * (1 + np.abs(mu)))
    fit = None
    for _ in range(2 * theta.size + 2):
        theta[at_kink] = mu[at_kink]
        fit = _newton(family, X, y, priors, blocks, theta, ~fixed & ~at_kink, offset, tol, max_iter)
        crossed = kinked & ~at_kink & (np.sign(fit.beta - mu) != np.sign(theta - mu))
        if crossed.any():
            theta = np.where(crossed, mu, fit.beta)
            at_kink |= crossed
            continue
        theta = fit.beta
        _, g = smooth_value_grad(theta)
        violated = at_kink & (np.abs(g) > l1 * (1 + 1e-7) + 1e-9)
        if not violated.any():
            break
        j = int(np.argmax(np.where(violated, np.abs(g) - l1, -np.inf)))  # release the worst one
        at_kink[j] = False
        theta[j] = mu[j] + 1e-8 * np.sign(g[j])
    assert fit is not None
    return CategoricalMode(fit, ~fixed & ~at_kink)


def _kinks(priors: ResolvedPriors, blocks, m: int):
    """Per parameter: whether a kinked prior applies to it, where the kink is and its L1 weight."""
    names = list(priors.priors)
    T = priors.centring_map()
    kinked, mu, l1 = np.zeros(m, dtype=bool), np.zeros(m), np.zeros(m)
    for J, include in blocks:
        M = T @ J
        for j in include:
            prior = priors.priors[names[j]]
            if not prior.has_kink:
                continue
            nz = np.flatnonzero(M[j])
            if len(nz) != 1 or abs(M[j, nz[0]]) != 1.0:
                raise PriorError(
                    f"the prior {prior} on {names[j]!r} has a kink at a combination of parameters "
                    "(a centred intercept); give the intercept a smooth prior such as bl.Normal(0, 2.5)"
                )
            i, sign = int(nz[0]), float(M[j, nz[0]])
            kinked[i], mu[i], l1[i] = True, sign * float(prior.kink_location or 0.0), prior.l1_weight
    return kinked, mu, l1


def _lbfgs_split(smooth_value_grad, theta0, free, kinked, mu, l1) -> np.ndarray:
    """scipy's L-BFGS-B over ``(free parameters, u, v)`` with ``theta_kinked = mu + u - v``."""
    from scipy.optimize import minimize

    q, k = int(free.sum()), int(kinked.sum())

    def unpack(x):
        t = theta0.copy()
        t[free] = x[:q]
        t[kinked] = mu[kinked] + x[q : q + k] - x[q + k :]
        return t

    def f(x):
        val, g = smooth_value_grad(unpack(x))
        if not np.isfinite(val):
            return np.inf, np.zeros_like(x)
        gk = -g[kinked]
        grad = np.concatenate([-g[free], gk + l1[kinked], -gk + l1[kinked]])
        return -val + float(l1[kinked] @ (x[q : q + k] + x[q + k :])), grad

    d = theta0[kinked] - mu[kinked]
    x0 = np.concatenate([theta0[free], np.maximum(d, 0), np.maximum(-d, 0)])
    bounds = [(None, None)] * q + [(0.0, None)] * (2 * k)
    res = minimize(
        f,
        x0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 20000, "maxcor": 30, "ftol": 1e-15, "gtol": 1e-11},
    )
    return unpack(res.x)


def _newton(family, X, y, priors, blocks, theta, free, offset, tol, max_iter) -> NewtonResult:
    """Damped Newton on the ``free`` parameters from ``theta`` (the others held)."""
    theta = theta.copy()

    def objective(t):
        ll, g, H = family.loglik_grad_hess(X, y, t, offset)
        if not np.isfinite(ll):
            return -np.inf, None, None
        lp, gp, hp = log_prior(priors, blocks, t)
        return ll + lp, g + gp, H + hp

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
