"""``method="laplace"`` for multinomial and ordinal models: Student-t proposals at the
posterior mode, Pareto-smoothed importance weights, resampling.

The binary path's method (:mod:`bayeslogit.fit.laplace`) on a categorical family's parameter
vector: ``chains * draws`` multivariate Student-t proposals
(:data:`bayeslogit.fit.laplace.PROPOSAL_DF` degrees of freedom) centred at the Newton mode with
the Laplace covariance, weights ``p(theta | y) / q(theta)`` smoothed by ArviZ's ``psislw``,
systematic resampling. Its honesty rules too:

- **No Laplace on separated data.** Under (quasi-)separation of some outcome pair (multinomial)
  or of the ordered outcomes (ordinal), the posterior has a tail along the separating
  direction that only the prior bounds, which no proposal at the mode covers and whose Pareto
  k a few thousand proposals understate. The linear-programming check of
  :mod:`bayeslogit.fit.categorical_separation` runs first; separated data fall back to NUTS
  with a warning naming the outcomes and columns.
- **Pareto k > 0.7**: fall back to NUTS.
- **The proposals are kept** in the tree's ``importance`` group (``proposal`` by ``sample`` and
  ``param``, ``log_p``, ``log_q``, ``weight``), so PSIS-LOO runs on them with the
  approximate-posterior correction (:mod:`bayeslogit.interpret.categorical_loo`), as for binary
  Laplace fits.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from .. import _blocks
from .categorical import categorical_mode, log_prior
from .categorical_pymc import param_labels
from .categorical_separation import categorical_separation, describe_separation
from .laplace import K_THRESHOLD, PROPOSAL_DF
from .newton import covariance

__all__ = ["laplace_categorical", "log_likelihood"]

BATCH = 256
"""Proposals whose log-likelihood is computed in one matrix product per block of rows."""


def log_likelihood(family, X: np.ndarray, y: np.ndarray, thetas: np.ndarray, offset=None) -> np.ndarray:
    """The total (weighted) log-likelihood at each row of ``thetas`` (``-inf`` outside the
    parameter space): batches of :data:`BATCH` parameter vectors by row blocks, so memory is
    one block's rows x batch x outcomes (:mod:`bayeslogit._blocks`)."""
    S, n = thetas.shape[0], X.shape[0]
    out = np.zeros(S)
    for start in range(0, S, BATCH):
        batch = thetas[start : start + BATCH]
        step = _blocks.block_rows(batch.shape[0] * (family.n_outcomes + 1))
        for sl in _blocks.row_slices(n, step):
            ob = None if offset is None else offset[sl]
            out[start : start + batch.shape[0]] += (
                family.take(sl).loglik_rows_draws(X[sl], y[sl], batch, ob).sum(axis=0)
            )
    return out


def laplace_categorical(model, *, draws: int, chains: int, random_seed):
    """``(DataTree, None)`` from the PSIS-corrected Laplace approximation of a categorical
    model's posterior, or ``(None, why)`` when it is not trusted (``why`` says why, in words:
    a prior with a kink or a sampled scale, separated data, or Pareto k above 0.7); the caller
    then runs NUTS."""
    import arviz as az
    import xarray as xr
    from arviz_stats.base import array_stats

    d, priors = model.design, model.priors
    fam = d.response_family
    if priors.sampled_scale or priors.has_kink:
        return None, "the priors have a kink or a sampled scale, so the log posterior is not smooth in the parameters"
    mode = categorical_mode(fam, d.X, d.y, priors, offset=d.offset)
    if not mode.fit.converged:
        return None, "Newton's method found no posterior mode"
    sep = categorical_separation(fam, d.X, d.y, mode.beta, d.offset)  # certificate at the mode first
    if sep is not None:
        return None, (
            f"{describe_separation(sep, fam, d.column_names)}: the posterior has a heavy tail that only the prior "
            "bounds, which a proposal at the mode cannot cover (its Pareto k would be underestimated)"
        )
    free = mode.free
    cov = covariance(mode.fit.neg_hessian)
    rng = np.random.default_rng(random_seed)
    S, m = chains * draws, int(free.sum())
    L = np.linalg.cholesky(cov)
    Z = rng.standard_normal((S, m)) / np.sqrt(rng.chisquare(PROPOSAL_DF, size=S) / PROPOSAL_DF)[:, None]
    log_q = -0.5 * (PROPOSAL_DF + m) * np.log1p(np.einsum("sd,sd->s", Z, Z) / PROPOSAL_DF)  # up to a constant
    proposals = np.tile(mode.beta, (S, 1))
    proposals[:, free] += Z @ L.T
    log_p = log_likelihood(fam, d.X, d.y, proposals, d.offset)
    blocks = fam.prior_blocks(d.n_coef)
    for s in np.flatnonzero(np.isfinite(log_p)):
        log_p[s] += log_prior(priors, blocks, proposals[s])[0]
    log_ratio = np.where(np.isfinite(log_p), log_p - log_q, -np.inf)
    log_w, k = array_stats.psislw(-(log_ratio - np.max(log_ratio)))  # LOO's sign convention
    k = float(k)
    if not k <= K_THRESHOLD:
        return None, f"Pareto k = {k:.2f} exceeds {K_THRESHOLD}"
    w = np.exp(log_w - np.logaddexp.reduce(log_w))
    cdf = np.cumsum(w)
    cdf[-1] = 1.0
    idx = rng.permutation(np.searchsorted(cdf, (rng.random() + np.arange(S)) / S))
    labels = param_labels(fam.param_index(d.column_names))
    tree = az.from_dict(
        {"posterior": {"theta": proposals[idx].reshape(chains, draws, -1)}},
        coords={"param": labels},
        dims={"theta": ["param"]},
    )
    ess = float(1.0 / np.sum(w**2))
    tree["posterior"].attrs.update(pareto_k=k, ess_is=ess)
    tree["importance"] = xr.Dataset(
        {
            "proposal": (("sample", "param"), proposals),
            "log_p": ("sample", log_p),
            "log_q": ("sample", log_q),
            "weight": ("sample", w),
        },
        coords={"sample": np.arange(S), "param": labels},
        attrs={
            "pareto_k": k,
            "ess_is": ess,
            "proposal": f"multivariate Student-t, {PROPOSAL_DF} df, at the Laplace approximation",
        },
    )
    return tree, None
