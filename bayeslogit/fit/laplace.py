"""Laplace approximation corrected by Pareto-smoothed importance sampling (``method="laplace"``).

For large n the posterior of a logistic regression is very nearly Gaussian. This path draws
``chains * draws`` independent proposals from the Laplace approximation ``N(mode, cov)``
(Newton mode, inverse negative Hessian), weights each by ``p(beta | y) / q(beta)``, smooths
the weights with PSIS (ArviZ's ``psislw``) and resamples (systematic resampling) to equally
weighted draws. Its Pareto ``k`` says whether that is trustworthy: above 0.7 the importance
weights have too heavy a tail and :meth:`bayeslogit.LogitModel.sample` falls back to NUTS
with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nuts.density import LogDensity, Mode, newton_mode
from .nuts.driver import to_datatree

K_THRESHOLD = 0.7
"""Pareto k above which importance sampling is not reliable (Vehtari et al. 2024)."""


@dataclass
class LaplaceDraws:
    """Resampled draws, shape ``(chains, draws, p)``, and the importance-sampling diagnostics."""

    beta: np.ndarray
    pareto_k: float
    ess_is: float  # importance-sampling effective sample size, 1 / sum(w^2)


def log_density(dens: LogDensity, B: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Log density at each row of ``B``, with the compiled kernel on threads."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .nuts import kernel  # numba: imported on first use

    args = (dens.X, dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma, dens.nu)
    out = np.empty(B.shape[0])

    def run(rows: range) -> None:
        g = np.empty(dens.dim)
        for i in rows:
            out[i] = kernel.logp_grad(B[i], *args, g)

    threads = threads or min(4, os.cpu_count() or 1)
    chunks = [range(i, B.shape[0], threads) for i in range(threads)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, chunks))
    return out


def sample_laplace(dens: LogDensity, mode: Mode, *, draws: int, chains: int, random_seed) -> LaplaceDraws:
    """Laplace proposals, PSIS weights, systematic resampling (see the module docstring)."""
    from arviz_stats.base import array_stats

    rng = np.random.default_rng(random_seed)
    S, d = chains * draws, dens.dim
    L = np.linalg.cholesky(mode.cov)
    Z = rng.standard_normal((S, d))
    B = mode.beta + Z @ L.T
    log_q = -0.5 * np.einsum("sd,sd->s", Z, Z)  # up to a constant, which PSIS ignores
    log_p = log_density(dens, B)
    log_ratio = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    # ArviZ's psislw follows the LOO convention (it is given log-likelihoods, whose negatives
    # are the log ratios), hence the minus sign.
    log_w, k = array_stats.psislw(-(log_ratio - np.max(log_ratio)))
    w = np.exp(log_w - np.logaddexp.reduce(log_w))
    ess = float(1.0 / np.sum(w**2))
    # systematic resampling: one uniform, S evenly spaced points on the weights' CDF
    cdf = np.cumsum(w)
    cdf[-1] = 1.0
    idx = np.searchsorted(cdf, (rng.random() + np.arange(S)) / S)
    idx = rng.permutation(idx)
    return LaplaceDraws(B[idx].reshape(chains, draws, d), float(k), ess)


def try_laplace(model, *, draws: int, chains: int, random_seed):
    """``(DataTree, pareto_k)`` from the PSIS-corrected Laplace approximation, or
    ``(None, k)`` when the mode is not found (``k = nan``) or ``k > 0.7``."""

    dens = LogDensity.from_model(model)
    mode = newton_mode(dens)
    if not mode.converged:
        return None, float("nan")
    res = sample_laplace(dens, mode, draws=draws, chains=chains, random_seed=random_seed)
    if not res.pareto_k <= K_THRESHOLD:
        return None, res.pareto_k
    tree = to_datatree(model, res.beta)
    tree.posterior.attrs.update(tuning_steps=0, pareto_k=res.pareto_k, ess_importance=res.ess_is,
                                sampling_library="bayeslogit (Laplace + PSIS)")
    return tree, res.pareto_k
