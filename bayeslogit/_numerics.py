"""Numerically stable pieces of the logistic model, in numpy (no PyMC).

The response families (:mod:`bayeslogit.response`) choose among the log-likelihood pieces
here; :func:`log_likelihood` is the older entry point that picks by ``trials``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import chdtrc, expit, gammaln, ndtr, ndtri


def inv_logit(eta):
    """P(y=1) = 1 / (1 + exp(-eta)), stable for any finite or infinite eta."""
    return expit(eta)


def softplus(eta: np.ndarray) -> np.ndarray:
    """``log(1 + e^eta)`` as ``max(eta, 0) + log1p(exp(-|eta|))``, in place in one new array
    (equal to ``np.logaddexp(0, eta)`` to rounding and 2-4x faster)."""
    out = np.abs(eta)
    np.negative(out, out=out)
    np.exp(out, out=out)
    np.log1p(out, out=out)
    out += np.maximum(eta, 0.0)
    return out


def log_binomial_coefficient(trials, y):
    """``log C(trials, y)`` (as floats; the constant of the binomial log-likelihood)."""
    return gammaln(trials + 1.0) - gammaln(y + 1.0) - gammaln(trials - y + 1.0)


def bernoulli_loglik(eta, y) -> np.ndarray:
    """Bernoulli log-likelihood ``y eta - log(1 + e^eta)``, broadcasting ``eta`` (..., n)
    against ``y`` (n,); ``logaddexp`` keeps |eta| in the thousands finite."""
    eta = np.asarray(eta, dtype=float)
    return y * eta - np.logaddexp(0.0, eta)


def binomial_loglik(eta, y, trials) -> np.ndarray:
    """Binomial log-likelihood ``y eta - m log(1 + e^eta) + log C(m, y)`` (matches PyMC's
    ``Binomial.logp``), broadcasting as :func:`bernoulli_loglik`."""
    eta = np.asarray(eta, dtype=float)
    const = log_binomial_coefficient(trials, y)
    return y * eta - trials * np.logaddexp(0.0, eta) + const


def log_likelihood(eta: np.ndarray, y: np.ndarray, trials: np.ndarray | None = None) -> np.ndarray:
    """Pointwise log-likelihood, broadcasting ``eta`` (..., n) against ``y`` (n,).

    Bernoulli (``trials=None``, :func:`bernoulli_loglik`) or binomial
    (:func:`binomial_loglik`). New code asks the response family
    (:meth:`bayeslogit.response.ResponseFamily.loglik`).
    """
    if trials is None:
        return bernoulli_loglik(eta, y)
    return binomial_loglik(eta, y, trials)


def normal_quantile(p):
    """Standard normal quantile (``scipy.stats.norm.ppf`` without importing scipy.stats)."""
    return ndtri(p)


def normal_sf(x):
    """Standard normal upper tail probability."""
    return ndtr(-np.asarray(x, dtype=float))


def chi2_sf(x, df):
    """Upper tail probability of a chi-square distribution with ``df`` degrees of freedom."""
    return chdtrc(df, x)
