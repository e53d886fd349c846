"""bayeslogit's own NUTS (``sampler="bayeslogit"``): compiled once, generic in the data.

Why: for a logistic regression the posterior is close to Gaussian, and PyMC's per-iteration
Python overhead (~1 ms) and process start dominate small problems, while at large n the cost
is the warm-up spent learning scales from an identity mass matrix. This sampler

- starts every chain from a draw of the Laplace approximation (Newton mode, inverse negative
  Hessian), and works in the coordinates ``u`` with ``beta = mode + L u`` (``L`` the Cholesky
  factor of the covariance), i.e. a dense mass matrix from the first iteration;
- adapts the step size by Stan's dual averaging (from Stan's doubling heuristic); the dense
  metric stays the Laplace covariance unless ``adapt_metric=True`` (Stan-style windows);
- runs multinomial NUTS (Betancourt 2017: biased progressive sampling between subtrees,
  U-turn checks on every balanced subtree, divergence at an energy error above 1000), one
  chain per thread, in a numba kernel (:mod:`bayeslogit.fit.nuts.kernel`) that is compiled once
  per machine and cached on disk, not once per model.

Chain ``c`` draws from the ``c``-th child of ``numpy.random.SeedSequence(random_seed)``: the
same seed gives identical draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ...errors import SamplerError
from .density import LogDensity, Mode, newton_mode


@dataclass
class NutsResult:
    """Kept draws and per-draw sampler statistics, each of shape ``(chains, draws, ...)``."""

    beta: np.ndarray
    stats: dict[str, np.ndarray]
    n_grad: int  # gradient evaluations per chain, warm-up included


def _windows(tune: int) -> tuple[int, list[int]]:
    """Start and ends of the covariance-estimation windows (Stan's schedule: an initial buffer,
    doubling windows, a terminal buffer; scaled down for short warm-ups)."""
    if tune < 60:
        return tune, []
    init = max(10, min(75, int(0.15 * tune)))
    term = max(10, min(50, int(0.1 * tune)))
    ends, start, size = [], init, max(10, min(25, int(0.05 * tune)))
    while start + size <= tune - term:
        end = tune - term if start + 3 * size > tune - term else start + size
        ends.append(end)
        start, size = end, 2 * size
    return init, ends


def sample_nuts(
    dens: LogDensity,
    mode: Mode,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed,
    target_accept: float = 0.8,
    max_depth: int = 10,
    threads: int | None = None,
    shrink: float | None = None,
    adapt_metric: bool = False,
) -> NutsResult:
    """Run ``chains`` NUTS chains of the compiled kernel, on threads; return the kept draws.

    The mass matrix is the Laplace covariance throughout; ``adapt_metric=True`` re-estimates it
    in Stan's warm-up windows (shrunk towards Laplace by ``shrink`` pseudo-draws, default
    ``10 + 2p``). Measured (benchmarks/README.md) that costs ESS per gradient on these
    near-Gaussian posteriors, because window estimates are noisy and the final step-size phase
    is short, so it is off by default.

    Chain ``c`` draws its randomness from the ``c``-th child of ``SeedSequence(random_seed)``,
    so the draws do not depend on the number of threads or their timing.
    """
    from concurrent.futures import ThreadPoolExecutor

    from . import kernel  # numba: imported on first use, to keep `import bayeslogit` light

    d = dens.dim
    seeds = np.random.SeedSequence(random_seed).spawn(chains)
    rngs = [np.random.default_rng(s) for s in seeds]
    win_start, ends = _windows(tune)
    win_ends = np.asarray(ends if adapt_metric else [], dtype=np.int64)
    shrink = 10.0 + 2.0 * d if shrink is None else shrink
    out_beta = np.empty((chains, draws, d))
    out_int = np.empty((chains, draws, 4), dtype=np.int64)
    out_float = np.empty((chains, draws, 4))
    args = (dens.X, dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma,
            dens.nu, mode.beta, mode.cov)

    def run(c: int) -> int:
        u0 = rngs[c].standard_normal(d)  # start at a draw from the Laplace approximation
        return kernel.run_chain(*args, u0, rngs[c], tune, draws, target_accept, max_depth,
                                     win_start, win_ends, float(shrink), out_beta[c], out_int[c],
                                     out_float[c])

    threads = min(chains, os.cpu_count() or 1) if threads is None else threads
    if threads <= 1 or chains == 1:
        n_grad = [run(c) for c in range(chains)]
    else:
        with ThreadPoolExecutor(threads) as pool:
            n_grad = list(pool.map(run, range(chains)))
    stats = {
        "tree_depth": out_int[..., 0], "n_steps": out_int[..., 1],
        "diverging": out_int[..., 2].astype(bool), "reached_max_treedepth": out_int[..., 3].astype(bool),
        "acceptance_rate": out_float[..., 0], "energy": out_float[..., 1], "lp": out_float[..., 2],
        "step_size": out_float[..., 3],
    }
    return NutsResult(out_beta, stats, int(max(n_grad)))


def to_datatree(model, beta: np.ndarray, *, sample_stats: dict | None = None):
    """An ArviZ ``DataTree`` laid out like PyMC's: ``posterior.beta`` (dims ``coef``),
    ``sample_stats``, ``observed_data.y`` and ``constant_data`` (``X``, ``trials``)."""
    import arviz as az

    d = model.design
    constant = {"X": d.X} if d.trials is None else {"X": d.X, "trials": d.trials}
    groups = {"posterior": {"beta": beta}, "observed_data": {"y": d.y}, "constant_data": constant}
    if sample_stats is not None:
        groups["sample_stats"] = sample_stats
    return az.from_dict(
        groups,
        coords={"coef": list(d.column_names), "obs": np.arange(d.n_obs)},
        dims={"beta": ["coef"], "y": ["obs"], "X": ["obs", "coef"], "trials": ["obs"]},
    )


def sample_model(model, *, draws: int, tune: int, chains: int, random_seed, target_accept: float,
                 dens: LogDensity | None = None, mode: Mode | None = None):
    """Sample a :class:`~bayeslogit.LogitModel` and return an ArviZ ``DataTree`` shaped like
    PyMC's (see :func:`to_datatree`)."""
    dens = LogDensity.from_model(model) if dens is None else dens
    mode = newton_mode(dens) if mode is None else mode
    res = sample_nuts(dens, mode, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                      target_accept=target_accept)
    tree = to_datatree(model, res.beta, sample_stats=res.stats)
    tree.posterior.attrs.update(tuning_steps=tune, sampling_library="bayeslogit (numba NUTS)",
                                gradient_evaluations_per_chain=res.n_grad)
    return tree


def try_sample(model, *, draws: int, tune: int, chains: int, random_seed, target_accept: float,
               required: bool):
    """Sample with bayeslogit's NUTS when the posterior mode is found; else ``None`` (the caller
    falls back to PyMC), or, when ``required``, a :class:`~bayeslogit.SamplerError`."""
    dens = LogDensity.from_model(model)
    mode = newton_mode(dens)
    if not mode.converged:
        if required:
            raise SamplerError(
                "sampler='bayeslogit' starts from the posterior mode, and Newton's method did not "
                "find one (the coefficients run off to infinity: separation under flat priors?); "
                "use proper priors, or sampler='pymc'"
            )
        return None
    return sample_model(model, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                        target_accept=target_accept, dens=dens, mode=mode)
