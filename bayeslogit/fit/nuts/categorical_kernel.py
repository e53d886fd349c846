"""The compiled log density of a multinomial or ordinal model, for :mod:`.kernel`.

The same posterior as PyMC's model of these families
(:func:`bayeslogit.fit.categorical_pymc.build_categorical_model`; checked against its compiled
``logp`` and ``dlogp`` in the tests), over the sampler's position ``z``:

- multinomial: ``z = theta``, the coefficient vectors of the outcome levels that have them,
  outcome-major (:class:`~bayeslogit.response_categorical.Multinomial`); the other levels'
  linear predictor is 0 (the reference level; none in scikit-learn's symmetric form);
  ``log p(y_i = k) = eta_ik - logsumexp_l eta_il``;
- ordinal: ``z = [slopes, u]``, the cutpoints through PyMC's ordered transform
  (``c_1 = u_1``, ``c_k = c_{k-1} + exp(u_k)``) with its log Jacobian ``sum_{k>1} u_k``;
  ``P(y_i = k) = F(c_k - eta_i) - F(c_{k-1} - eta_i)`` (``F`` the logistic cdf,
  ``c_0 = -inf``, ``c_K = inf``), computed as
  ``log P = a + log(1 - e^{b - a}) - softplus(a) - softplus(b)`` (``a = c_k - eta_i > b``),
  stable for any gap and any size of ``eta``, with four exp/log calls a row.

Each row's log-likelihood is multiplied by its weight ``w_i`` (frequency or likelihood
weights; ones without). ``X`` has the design columns that carry coefficients (an ordinal
model's without its ``Intercept``), plus the offset as one last column when there is one,
added to every linear predictor that has coefficients.

The prior is :func:`.group_kernel.fixed_prior` at ``M theta`` (``M``: for every block of the
family's ``prior_blocks``, the rows of ``T J`` whose prior counts, stacked), so every
fixed-scale prior family of the binary sampler works here unchanged.

``cat`` (int64) describes the family: ``[kind, K, m, q, pos_0 .. pos_{K-1}]`` with ``kind``
1 multinomial, 2 ordinal (0: not categorical, the kernel's other densities), ``K`` outcomes,
``m`` coefficient vectors of ``q`` entries (ordinal: ``m = 1``), ``pos_k`` the coefficient
vector of outcome ``k`` (-1: linear predictor 0). The position's transform in numpy:
:func:`bayeslogit.fit.nuts.categorical_density.theta_of`.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from . import group_kernel
from .cache import cached_njit
from .group_kernel import fixed_prior

_FM = {"contract", "reassoc", "nsz", "arcp"}
# the compiled code holds fixed_prior's: key the cache on its file too
_DEPENDS = (group_kernel.__file__,)
# the family code of ``cat[0]`` as categorical_density.ORDINAL packs it, here as a literal (the
# kernel's cached code would not see a change of that file; the tests of the density against
# PyMC's fail if the two ever differ)
_ORDINAL = 2


@cached_njit(depends=_DEPENDS, nogil=True, fastmath=_FM, error_model="numpy")
def _multinomial(theta, X, y, w, cat, gth):
    """Softmax log-likelihood at ``theta``; adds its gradient to ``gth``."""
    K, m, q = cat[1], cat[2], cat[3]
    n = X.shape[0]
    has_offset = X.shape[1] > q
    zero_levels = K - m  # levels whose linear predictor is 0
    eta = np.empty(m)
    ex = np.empty(m)
    G = np.zeros((m, q))
    B = theta.reshape((m, q))
    lp = 0.0
    for i in range(n):
        off = X[i, q] if has_offset else 0.0
        mx = 0.0 if zero_levels > 0 else -np.inf
        for a in range(m):
            e = off
            for k in range(q):
                e += X[i, k] * B[a, k]
            eta[a] = e
            mx = max(mx, e)
        # shift by the largest linear predictor only where exp could overflow (or, without a
        # zero level, underflow): one exp a row fewer in the usual case
        shift = mx if (mx > 300.0 or (zero_levels == 0 and mx < -300.0)) else 0.0
        s = zero_levels * (np.exp(-shift) if shift != 0.0 else 1.0)
        for a in range(m):
            ex[a] = np.exp(eta[a] - shift)
            s += ex[a]
        yi = int(y[i])
        ay = cat[4 + yi]
        ey = eta[ay] if ay >= 0 else 0.0
        wi = w[i]
        lp += wi * (ey - shift - np.log(s))
        c = wi / s
        for a in range(m):
            r = -c * ex[a]
            if a == ay:
                r += wi
            for k in range(q):
                G[a, k] += r * X[i, k]
    for a in range(m):
        for k in range(q):
            gth[a * q + k] += G[a, k]
    return lp


@cached_njit(depends=_DEPENDS, nogil=True, fastmath=_FM, error_model="numpy")
def _ordinal(theta, X, y, w, cat, gth):
    """Cumulative-logit log-likelihood at ``theta = [slopes, cutpoints]``; adds its gradient
    to ``gth``."""
    K, q = cat[1], cat[3]
    n = X.shape[0]
    has_offset = X.shape[1] > q
    gs = np.zeros(q)
    lp = 0.0
    for i in range(n):
        eta = X[i, q] if has_offset else 0.0
        for k in range(q):
            eta += X[i, k] * theta[k]
        yi = int(y[i])
        wi = w[i]
        # t = e^-|x| gives both softplus(x) = max(x, 0) + log1p(t) and F(x) (one exp each)
        if yi == 0:  # log F(a) = -softplus(-a)
            a = theta[q] - eta
            ta = np.exp(-abs(a))
            lp -= wi * (max(-a, 0.0) + np.log1p(ta))
            ga = ta / (1.0 + ta) if a >= 0 else 1.0 / (1.0 + ta)  # 1 - F(a)
            gth[q] += wi * ga
            deta = -ga
        elif yi == K - 1:  # log(1 - F(b)) = -softplus(b)
            b = theta[q + K - 2] - eta
            tb = np.exp(-abs(b))
            lp -= wi * (max(b, 0.0) + np.log1p(tb))
            gb = -1.0 / (1.0 + tb) if b >= 0 else -tb / (1.0 + tb)  # -F(b)
            gth[q + K - 2] += wi * gb
            deta = -gb
        else:  # log P = a - softplus(a) - softplus(b) + log(1 - e^(b - a)), a > b
            a = theta[q + yi] - eta
            b = theta[q + yi - 1] - eta
            ta = np.exp(-abs(a))
            tb = np.exp(-abs(b))
            den = -np.expm1(b - a)  # in (0, 1] when a > b
            lp += wi * (a - max(a, 0.0) - max(b, 0.0) + np.log(den / ((1.0 + ta) * (1.0 + tb))))
            Fa = 1.0 / (1.0 + ta) if a >= 0 else ta / (1.0 + ta)
            Fb = 1.0 / (1.0 + tb) if b >= 0 else tb / (1.0 + tb)
            ga = 1.0 / den - Fa  # d log P / da
            gb = (den - 1.0) / den - Fb  # d log P / db
            gth[q + yi] += wi * ga
            gth[q + yi - 1] += wi * gb
            deta = -(ga + gb)
        r = wi * deta
        for k in range(q):
            gs[k] += r * X[i, k]
    for k in range(q):
        gth[k] += gs[k]
    return lp


@cached_njit(depends=_DEPENDS, nogil=True, fastmath=_FM, error_model="numpy")
def categorical_logp_grad(z, X, y, w, M, fam, mu, sigma, nu, cat, grad):
    """Log posterior density (up to a constant) at the position ``z`` (module docstring),
    gradient into ``grad``."""
    d = z.shape[0]
    theta = np.empty(d)
    gth = np.zeros(d)
    ordinal = cat[0] == _ORDINAL
    lp = 0.0
    if ordinal:  # PyMC's ordered transform and its log Jacobian
        q = cat[3]
        for k in range(q):
            theta[k] = z[k]
        theta[q] = z[q]
        for k in range(q + 1, d):
            theta[k] = theta[k - 1] + np.exp(z[k])
            lp += z[k]
    else:
        for k in range(d):
            theta[k] = z[k]
    lp += fixed_prior(theta, M, fam, mu, sigma, nu, gth)
    if ordinal:
        lp += _ordinal(theta, X, y, w, cat, gth)
        q = cat[3]
        for k in range(q):
            grad[k] = gth[k]
        acc = 0.0  # d/du_k = exp(u_k) * sum_{j >= k} d/dc_j (+ 1 from the Jacobian); d/du_1 = sum
        for k in range(d - 1, q, -1):
            acc += gth[k]
            grad[k] = np.exp(z[k]) * acc + 1.0
        grad[q] = acc + gth[q]
    else:
        lp += _multinomial(theta, X, y, w, cat, gth)
        for k in range(d):
            grad[k] = gth[k]
    return lp
