"""The posterior mode under priors with a kink: Laplace (L1, lasso) and elastic net.

Under a ``Laplace`` or ``ElasticNet`` prior the log posterior is concave but not
differentiable where a coefficient equals its prior's location ``mu``, and the mode often
sits exactly there (the lasso's zeros). Newton's method alone does not apply, so two
established steps, neither hand-tuned:

1. **L-BFGS-B on the split** (scipy): write ``b_j - mu_j = u_j - v_j`` with ``u_j, v_j >= 0``
   for every kinked coefficient; ``|b_j - mu_j|`` becomes the linear ``u_j + v_j`` and the
   problem is smooth with bound constraints (the standard reformulation of the lasso as a
   bound-constrained smooth problem). This finds the support: which coefficients sit at
   their kink.
2. **Newton on the support, then the optimality conditions**: away from its kink each
   coefficient's log prior is smooth, so :func:`bayeslogit.fit.newton.newton` polishes the
   coefficients off the kink to its usual precision (and gives the Hessian there); then the
   Karush-Kuhn-Tucker conditions are checked at the kinks: a coefficient may stay at ``mu_j``
   only if the gradient of the smooth part there is at most its L1 weight ``l1_j`` in
   magnitude. A coefficient that violates them is released, one that crossed its kink during
   Newton is fixed there, and step 2 repeats until neither happens.

Written here because no library in the stack computes a MAP under arbitrary mixed priors
(scikit-learn's solvers only take its own penalties, and without its priors' locations or
the centred intercept); the pieces it is made of are scipy's L-BFGS-B and our Newton.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._blocks import linear_predictor
from ..priors import ResolvedPriors
from ..response import ResponseFamily, as_response
from .newton import NewtonResult, neg_hessian, newton, prior_terms

__all__ = ["PenalizedMode", "has_kink", "penalized_mode"]


@dataclass
class PenalizedMode:
    """The mode (``fit``, full length; ``neg_hessian`` zero in the rows/columns at a kink) and
    which coefficients sit exactly at their prior's kink."""

    fit: NewtonResult
    at_kink: np.ndarray


def has_kink(priors: ResolvedPriors) -> bool:
    """True when some coefficient's prior has a kink (Laplace, elastic net): :attr:`ResolvedPriors.has_kink`."""
    return priors.has_kink


def penalized_mode(
    X: np.ndarray,
    y: np.ndarray,
    trials: ResponseFamily | np.ndarray | None,
    priors: ResolvedPriors,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    offset: np.ndarray | None = None,
) -> PenalizedMode:
    """Maximise the log posterior when some priors have a kink (see the module docstring).

    The linear predictor is ``X @ beta + offset`` (:func:`bayeslogit._blocks.linear_predictor`);
    ``trials`` is the response family, or the trials per row (None: Bernoulli), as in
    :func:`bayeslogit.fit.newton.newton`. Each prior gives its kink (:attr:`Prior.has_kink`,
    :attr:`Prior.kink_location`), its L1 weight and its smooth part.

    Examples
    --------
    >>> import numpy as np, bayeslogit as bl
    >>> from bayeslogit.design import build_design
    >>> from bayeslogit.priors import resolve_priors
    >>> import pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    >>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-2 * df.x))).astype(int)
    >>> d = build_design("y ~ x + z", df)
    >>> res = penalized_mode(d.X, d.y, None, resolve_priors(bl.sklearn_prior(0.05, l1_ratio=1), d))
    >>> res.at_kink.tolist()
    [False, False, True]
    """
    names = list(priors.priors)
    p = len(names)
    kinked = np.array([priors.priors[n].has_kink for n in names])
    mu = np.array([priors.priors[n].kink_location if kinked[j] else 0.0 for j, n in enumerate(names)])
    l1 = np.array([priors.priors[n].l1_weight for n in names])
    smooth = priors.smooth_part()
    family = as_response(trials)
    yf = y.astype(float)

    def smooth_value_grad(beta):
        eta = linear_predictor(X, beta, offset)
        ll = float(np.sum(family.loglik(eta, yf)))
        g = X.T @ (yf - family.mean(eta))
        lp, gp, _ = prior_terms(smooth, beta)
        return ll + lp, g + gp

    beta = _lbfgs_split(smooth_value_grad, kinked, mu, l1, p)
    at_kink = kinked & np.isclose(beta, mu, rtol=0, atol=1e-7 * (1 + np.abs(mu)))
    fit = None
    for _ in range(2 * p + 2):
        beta[at_kink] = mu[at_kink]
        fit = _newton_off_kink(X, y, family, priors, beta, at_kink, mu, tol=tol, max_iter=max_iter, offset=offset)
        if fit is None:  # a fixed coefficient has mu != 0: no offset in Newton, keep L-BFGS-B's mode
            break
        crossed = kinked & ~at_kink & (np.sign(fit.beta - mu) != np.sign(beta - mu))
        if crossed.any():
            beta = np.where(crossed, mu, fit.beta)
            at_kink = at_kink | crossed
            continue
        beta = fit.beta
        _, g = smooth_value_grad(beta)
        violated = at_kink & (np.abs(g) > l1 * (1 + 1e-7) + 1e-9)
        if not violated.any():
            break
        j = int(np.argmax(np.where(violated, np.abs(g) - l1, -np.inf)))  # release the worst one
        at_kink[j] = False
        beta[j] = mu[j] + 1e-8 * np.sign(g[j])
    if fit is None:
        H = _hessian(X, family, beta, priors, at_kink, offset)
        fit = NewtonResult(beta=beta, neg_hessian=H, logpost=np.nan, iterations=0, converged=True)
    eta = linear_predictor(X, fit.beta, offset)
    logpost = float(np.sum(family.loglik(eta, yf))) + priors.logpdf(fit.beta)
    return PenalizedMode(replace(fit, logpost=logpost), at_kink)


def _lbfgs_split(smooth_value_grad, kinked, mu, l1, p) -> np.ndarray:
    """scipy's L-BFGS-B over ``(free coefficients, u, v)`` with ``b_kinked = mu + u - v``."""
    from scipy.optimize import minimize

    free = ~kinked
    q, k = int(free.sum()), int(kinked.sum())

    def unpack(x):
        beta = np.empty(p)
        beta[free] = x[:q]
        beta[kinked] = mu[kinked] + x[q : q + k] - x[q + k :]
        return beta

    def f(x):
        val, g = smooth_value_grad(unpack(x))
        s = x[q : q + k] + x[q + k :]
        gk = -g[kinked]
        grad = np.concatenate([-g[free], gk + l1[kinked], -gk + l1[kinked]])
        return -val + float(l1[kinked] @ s), grad

    x0 = np.zeros(q + 2 * k)
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


def _newton_off_kink(X, y, trials, priors, beta, at_kink, mu, *, tol, max_iter, offset=None) -> NewtonResult | None:
    """Newton on the coefficients off their kink (the others fixed at ``mu = 0``); the result
    has full length, with zero rows/columns of the negative Hessian at the kinks."""
    if np.any(mu[at_kink] != 0):
        return None
    free = ~at_kink
    names = [n for n, f in zip(priors.priors, free) if f]
    sub = ResolvedPriors(
        priors={n: priors.priors[n] for n in names},
        centered_intercept=priors.centered_intercept and "Intercept" in names,
        x_mean=priors.x_mean[free],
        sources={n: priors.sources[n] for n in names},
    )
    res = newton(X[:, free], y, trials, sub, tol=tol, max_iter=max_iter, beta0=beta[free], offset=offset)
    full = np.zeros_like(beta)
    full[free] = res.beta
    H = np.zeros((beta.size, beta.size))
    H[np.ix_(free, free)] = res.neg_hessian
    return replace(res, beta=full, neg_hessian=H)


def _hessian(X, family, beta, priors, at_kink, offset=None) -> np.ndarray:
    """Negative Hessian of the log posterior off the kinks (used when Newton could not run)."""
    H = neg_hessian(X, family, beta, priors, offset)
    H[at_kink, :] = 0.0
    H[:, at_kink] = 0.0
    return H
