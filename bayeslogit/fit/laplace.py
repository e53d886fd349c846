"""Laplace approximation corrected by Pareto-smoothed importance sampling (``method="laplace"``).

For large n the posterior of a logistic regression is very nearly Gaussian. This path draws
``chains * draws`` independent proposals from a multivariate Student-t with
:data:`PROPOSAL_DF` degrees of freedom centred at the Newton mode with the Laplace covariance
(inverse negative Hessian) as its scale, weights each by ``p(beta | y) / q(beta)``, smooths the
weights with PSIS (ArviZ's ``psislw``) and resamples (systematic resampling) to equally
weighted draws. The t proposal has heavier tails than the posterior of a well-posed logistic
regression, so the weights stay bounded where a Gaussian proposal's would not.

Honesty rules (an audit found the Gaussian version returning truncated draws with a
confident-looking Pareto k on heavy-tailed posteriors):

- **No Laplace on separated data.** Under (quasi-)separation the posterior has a tail along
  the separating direction that only the prior bounds (polynomially, for Student-t or Cauchy
  priors); no proposal centred at the mode covers it reliably, and k estimated from a few
  thousand proposals understates it. The separation check (one-pass certificate, linear
  program if inconclusive; :func:`bayeslogit.fit.separation.check_separation`) runs first,
  and separated or unchecked data fall back to NUTS with a warning.
- **Pareto k > 0.7**: fall back to NUTS (Vehtari et al. 2024).
- **Precision**: the resampled draws are not as informative as their number suggests. The
  importance-sampling effective sample size ``1 / sum w^2`` and, per coefficient, the
  self-normalised IS Monte Carlo standard error ``sqrt(sum w^2 (beta - mu)^2)`` and ESS
  ``var_w(beta) / mcse^2`` are stored in the ``importance`` group and reported by
  ``coef_table``/``diagnostics`` in place of MCMC ESS/R-hat of the resampled draws.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .nuts.density import LogDensity, Mode, newton_mode
from .nuts.driver import to_datatree

K_THRESHOLD = 0.7
"""Pareto k above which importance sampling is not reliable (Vehtari et al. 2024)."""
PROPOSAL_DF = 7
"""Degrees of freedom of the multivariate Student-t proposal."""


@dataclass
class LaplaceDraws:
    """Resampled draws, shape ``(chains, draws, p)``, and the importance-sampling diagnostics."""

    beta: np.ndarray
    pareto_k: float
    ess_is: float  # importance-sampling effective sample size, 1 / sum(w^2)
    proposal: np.ndarray | None = None  # (S, p) proposals
    log_p: np.ndarray | None = None  # unnormalised log posterior at the proposals
    log_q: np.ndarray | None = None  # proposal log density (up to a constant)
    weight: np.ndarray | None = None  # normalised smoothed importance weights
    mcse: np.ndarray | None = None  # per coefficient: self-normalised IS Monte Carlo SE of the mean
    ess_coef: np.ndarray | None = None  # per coefficient: var_w / mcse^2


def log_density(dens: LogDensity, B: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Log density at each row of ``B``, with the compiled kernel on threads."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .nuts import kernel  # numba: imported on first use

    args = (dens.kernel_X(), dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma, dens.nu)
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


def log_density_blocks(
    dens: LogDensity, B: np.ndarray, *, threads: int | None = None, block_bytes: int = 8 * 2**20
) -> np.ndarray:
    """Log density at each row of ``B`` (the same value as :func:`log_density`), by row blocks.

    ``log p = log prior(B) + (y' X) B' + y' offset - sum_i m_i log(1 + exp(x_i' B' + offset_i))``: the linear term is
    one pass over ``X``; the softplus term is a map over row blocks (``X_b B'`` by BLAS, a
    ``rows x draws`` array of at most ``block_bytes``, reduced to a ``draws`` vector by
    ``m_b' softplus``), so ``X`` is read once for all draws instead of once per draw, memory
    is O(block + draws x p), and no gradient is computed. Blocks are shared among ``threads``
    (numpy's ufuncs and BLAS release the GIL).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    from .._blocks import block_rows, linear_predictor, one_blas_thread, row_slices

    B = np.asarray(B, dtype=float)
    lp, _ = dens._prior(B)
    X, m, off = dens.X, dens.m, dens.offset
    Bt = np.ascontiguousarray(B.T)
    rows = block_rows(B.shape[0], block_bytes=block_bytes)
    slices = list(row_slices(X.shape[0], rows))
    threads = max(1, min(threads or min(4, os.cpu_count() or 1), len(slices)))

    def run(share: list[slice]) -> np.ndarray:
        total = np.zeros(B.shape[0])
        A = np.empty((rows, B.shape[0]))
        for sl in share:
            E = linear_predictor(X[sl], Bt, None if off is None else off[sl])  # (rows, S)
            a = A[: E.shape[0]]
            # softplus(E) = max(E, 0) + log1p(exp(-|E|)), in place (np.logaddexp is ~7x slower)
            np.abs(E, out=a)
            np.negative(a, out=a)
            np.exp(a, out=a)
            np.log1p(a, out=a)
            np.maximum(E, 0.0, out=E)
            total += m[sl] @ E
            total += m[sl] @ a
        return total

    with one_blas_thread(), ThreadPoolExecutor(threads) as pool:
        softplus = sum(pool.map(run, [slices[i::threads] for i in range(threads)]))
    return lp + (dens.y @ X) @ Bt + (0.0 if off is None else float(dens.y @ off)) - softplus


def sample_laplace(
    dens: LogDensity | None,
    mode: Mode,
    *,
    draws: int,
    chains: int,
    random_seed,
    df: int | None = PROPOSAL_DF,
    log_posterior=None,
) -> LaplaceDraws:
    """Student-t (``df``; None: Gaussian) proposals at the Laplace approximation, PSIS weights,
    systematic resampling (see the module docstring). ``log_posterior(B)``, when given, is the
    unnormalised log posterior of each row of ``B`` in place of ``dens``'s (the dask fits sum
    it over partitions: :mod:`bayeslogit.fit.distributed`)."""
    from arviz_stats.base import array_stats

    rng = np.random.default_rng(random_seed)
    S, d = chains * draws, mode.beta.size
    L = np.linalg.cholesky(mode.cov)
    Z = rng.standard_normal((S, d))
    if df:
        T = Z / np.sqrt(rng.chisquare(df, size=S) / df)[:, None]
        log_q = -0.5 * (df + d) * np.log1p(np.einsum("sd,sd->s", T, T) / df)  # up to a constant
    else:
        T = Z
        log_q = -0.5 * np.einsum("sd,sd->s", Z, Z)
    B = mode.beta + T @ L.T
    if log_posterior is not None:
        log_p = np.asarray(log_posterior(B), dtype=float)
    else:
        assert dens is not None
        log_p = log_density_blocks(dens, B)
    log_ratio = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    # ArviZ's psislw follows the LOO convention (it is given log-likelihoods, whose negatives
    # are the log ratios), hence the minus sign.
    log_w, k = array_stats.psislw(-(log_ratio - np.max(log_ratio)))
    w = np.exp(log_w - np.logaddexp.reduce(log_w))
    ess = float(1.0 / np.sum(w**2))
    mu = w @ B
    dev = B - mu
    mcse = np.sqrt((w**2) @ dev**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        ess_coef = (w @ dev**2) / mcse**2
    # systematic resampling: one uniform, S evenly spaced points on the weights' CDF
    cdf = np.cumsum(w)
    cdf[-1] = 1.0
    idx = np.searchsorted(cdf, (rng.random() + np.arange(S)) / S)
    idx = rng.permutation(idx)
    return LaplaceDraws(
        B[idx].reshape(chains, draws, d),
        float(k),
        ess,
        proposal=B,
        log_p=log_p,
        log_q=log_q,
        weight=w,
        mcse=mcse,
        ess_coef=ess_coef,
    )


def try_laplace(model, *, draws: int, chains: int, random_seed):
    """``(DataTree, None)`` from the PSIS-corrected Laplace approximation, or ``(None, why)``
    when it is not trusted: ``why`` says why (no posterior mode, or Pareto k above 0.7), or is
    None when a warning naming the separating columns was already given."""
    import warnings

    import xarray as xr

    from ..errors import BayeslogitWarning
    from .separation import check_separation

    dens = LogDensity.from_model(model)
    mode = newton_mode(dens)
    if not mode.converged:
        return None, "Newton's method found no posterior mode"
    d = model.design
    kind, direction = check_separation(d.X, d.y, d.trials, mode.beta, d.offset)
    if kind is not None:
        cols = (
            ""
            if direction is None
            else ", ".join(
                c
                for c, v in zip(d.column_names, np.abs(direction) * d.X.std(axis=0))
                if v > 1e-8 * max(np.max(np.abs(direction) * d.X.std(axis=0)), 1e-300)
            )
        )
        what = (
            "separation could not be ruled out (one-pass certificate inconclusive, too many rows "
            "for the linear program)"
            if kind == "not checked"
            else f"the data are {kind}ly separated" + (f" along {cols}" if cols else "")
        )
        warnings.warn(
            f"method='laplace': {what}: the posterior has a heavy tail that only the prior bounds, "
            "which a proposal at the mode cannot cover (its Pareto k would be underestimated); "
            "sampling with NUTS instead",
            BayeslogitWarning,
            stacklevel=4,  # here, fit.sampling.sample_posterior, LogitModel.sample, the user's call
        )
        return None, None
    res = sample_laplace(dens, mode, draws=draws, chains=chains, random_seed=random_seed)
    if not res.pareto_k <= K_THRESHOLD:
        return None, f"Pareto k = {res.pareto_k:.2f} exceeds {K_THRESHOLD}"
    tree = to_datatree(model, res.beta)
    tree.posterior.attrs.update(
        tuning_steps=0, pareto_k=res.pareto_k, ess_importance=res.ess_is, sampling_library="bayeslogit (Laplace + PSIS)"
    )
    coef = list(d.column_names)
    assert res.proposal is not None  # sample_laplace keeps its proposals
    tree["importance"] = xr.Dataset(
        {
            "proposal": (("sample", "coef"), res.proposal),
            "log_p": ("sample", res.log_p),
            "log_q": ("sample", res.log_q),
            "weight": ("sample", res.weight),
            "mcse_mean": ("coef", res.mcse),
            "ess": ("coef", res.ess_coef),
        },
        coords={"coef": coef, "sample": np.arange(res.proposal.shape[0])},
        attrs={
            "pareto_k": res.pareto_k,
            "ess_is": res.ess_is,
            "proposal": f"multivariate Student-t, {PROPOSAL_DF} df, at the Laplace approximation",
        },
    )
    return tree, res.pareto_k
