"""Numerically stable pieces of the logistic model, in numpy (no PyMC)."""

from __future__ import annotations

import numpy as np
from scipy.special import chdtrc, expit, gammaln, ndtr, ndtri


def inv_logit(eta):
    """P(y=1) = 1 / (1 + exp(-eta)), stable for any finite or infinite eta."""
    return expit(eta)


def log_likelihood(eta: np.ndarray, y: np.ndarray, trials: np.ndarray | None = None) -> np.ndarray:
    """Pointwise log-likelihood, broadcasting ``eta`` (..., n) against ``y`` (n,).

    Bernoulli: ``y*eta - log(1 + exp(eta))``; Binomial adds the log binomial coefficient
    (so it matches PyMC's ``Binomial.logp``). Uses ``logaddexp`` so |eta| in the thousands
    gives finite values.
    """
    eta = np.asarray(eta, dtype=float)
    if trials is None:
        return y * eta - np.logaddexp(0.0, eta)
    const = gammaln(trials + 1.0) - gammaln(y + 1.0) - gammaln(trials - y + 1.0)
    return y * eta - trials * np.logaddexp(0.0, eta) + const


def normal_quantile(p):
    """Standard normal quantile (``scipy.stats.norm.ppf`` without importing scipy.stats)."""
    return ndtri(p)


def normal_sf(x):
    """Standard normal upper tail probability."""
    return ndtr(-np.asarray(x, dtype=float))


def chi2_sf(x, df):
    """Upper tail probability of a chi-square distribution with ``df`` degrees of freedom."""
    return chdtrc(df, x)
