"""A small NUTS that runs all chains at once on a numpy log density (``sampler="bayeslogit"``).

Why: for a logistic regression the posterior is close to Gaussian, and PyMC's per-iteration
Python overhead (~1 ms) and process start dominate small problems, while at large n the cost
is the warm-up spent learning scales from an identity mass matrix. This sampler

- starts every chain from a draw of the Laplace approximation (Newton mode, inverse negative
  Hessian), and works in the coordinates ``u`` with ``beta = mode + L u`` (``L`` the Cholesky
  factor of the covariance), i.e. a dense mass matrix from the first iteration;
- re-estimates that dense covariance in Stan-style doubling warm-up windows (pooled over
  chains, shrunk towards the Laplace covariance), with per-chain dual-averaging step sizes;
- runs multinomial NUTS (Betancourt 2017: biased progressive sampling between subtrees,
  U-turn checks on every balanced subtree, divergence at an energy error above 1000) in
  lock-step over chains, so one matrix product evaluates every chain's gradient.

The randomness comes from one ``numpy.random.Generator`` seeded by ``random_seed``: the same
seed gives identical draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._density import LogDensity, Mode

MAX_DELTA_H = 1000.0


@dataclass
class NutsResult:
    """Kept draws and per-draw sampler statistics, each of shape ``(chains, draws, ...)``."""

    beta: np.ndarray
    stats: dict[str, np.ndarray]
    n_grad: int  # gradient evaluations per chain, warm-up included


class _Target:
    """The log density in whitened coordinates ``u``: ``beta = center + u @ Lt``."""

    def __init__(self, dens: LogDensity, center: np.ndarray, cov: np.ndarray):
        self.dens = dens
        self.center = center
        self.set_cov(cov)
        self.n_calls = 0

    def set_cov(self, cov: np.ndarray) -> None:
        self.cov = cov
        self.Lt = np.linalg.cholesky(cov).T  # beta = center + u @ Lt

    def to_beta(self, U: np.ndarray) -> np.ndarray:
        return self.center + U @ self.Lt

    def to_u(self, B: np.ndarray) -> np.ndarray:
        return np.linalg.solve(self.Lt.T, (B - self.center).T).T

    def __call__(self, U: np.ndarray):
        self.n_calls += 1
        with np.errstate(over="ignore", invalid="ignore"):
            lp, g = self.dens.logp_grad(self.to_beta(U))
        g = g @ self.Lt.T
        bad = ~np.isfinite(lp) | ~np.all(np.isfinite(g), axis=1)
        if bad.any():
            lp = np.where(bad, -np.inf, lp)
            g = np.where(bad[:, None], 0.0, g)
        return lp, g


def _uturn(p_a: np.ndarray, p_b: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """True where the span with end momenta ``p_a``, ``p_b`` and momentum sum ``rho`` turned."""
    return (np.einsum("cd,cd->c", p_a, rho) <= 0) | (np.einsum("cd,cd->c", p_b, rho) <= 0)


def _nuts_step(target: _Target, q, lp, g, eps, rng, max_depth):
    """One NUTS transition for every chain (rows). Returns the new state and statistics."""
    C, d = q.shape
    p0 = rng.standard_normal((C, d))
    H0 = -lp + 0.5 * np.einsum("cd,cd->c", p0, p0)
    # Tree ends: [0] = backward (left) end, [1] = forward (right) end.
    ends_q = [q.copy(), q.copy()]
    ends_p = [p0.copy(), p0.copy()]
    ends_g = [g.copy(), g.copy()]
    rho = p0.copy()
    log_w = np.zeros(C)
    prop_q, prop_lp, prop_g = q.copy(), lp.copy(), g.copy()
    active = np.ones(C, bool)
    depth = np.zeros(C, int)
    n_steps = np.zeros(C, int)
    sum_accept = np.zeros(C)
    diverging = np.zeros(C, bool)
    for j in range(max_depth):
        if not active.any():
            break
        direction = np.where(rng.random(C) < 0.5, -1.0, 1.0)
        fwd = direction > 0
        # Subtree of 2**j leapfrog steps from the end in `direction`.
        sq = np.where(fwd[:, None], ends_q[1], ends_q[0])
        sp = np.where(fwd[:, None], ends_p[1], ends_p[0])
        sg = np.where(fwd[:, None], ends_g[1], ends_g[0])
        size = 2**j
        cum = np.zeros((size + 1, C, d))  # prefix sums of momenta along the subtree
        first_p = np.empty((size, C, d))
        sub_log_w = np.full(C, -np.inf)
        sub_q, sub_lp, sub_g = sq.copy(), np.zeros(C), sg.copy()
        working = active.copy()  # chains still building this subtree validly
        signed_eps = (eps * direction)[:, None]
        for k in range(size):
            idx = np.flatnonzero(working)
            if idx.size == 0:
                break
            ph = sp[idx] + 0.5 * signed_eps[idx] * sg[idx]
            qn = sq[idx] + signed_eps[idx] * ph
            lpn, gn = target(qn)
            pn = ph + 0.5 * signed_eps[idx] * gn
            sq[idx], sp[idx], sg[idx] = qn, pn, gn
            n_steps[idx] += 1
            H = -lpn + 0.5 * np.einsum("cd,cd->c", pn, pn)
            dH = np.where(np.isfinite(H), H - H0[idx], np.inf)
            sum_accept[idx] += np.minimum(1.0, np.exp(np.minimum(-dH, 0.0)))
            div = dH > MAX_DELTA_H
            diverging[idx] |= div
            # progressive multinomial sampling inside the subtree
            lw = -dH
            new_log_w = np.logaddexp(sub_log_w[idx], lw)
            take = np.log(rng.random(idx.size)) < lw - new_log_w
            t = idx[take]
            sub_q[t], sub_lp[t], sub_g[t] = qn[take], lpn[take], gn[take]
            sub_log_w[idx] = new_log_w
            cum[k + 1, idx] = cum[k, idx] + pn
            first_p[k, idx] = pn
            # U-turn checks on every balanced sub-subtree that ends at this step
            turned = np.zeros(idx.size, bool)
            span = 2
            while (k + 1) % span == 0 and span <= size:
                a = k + 1 - span
                turned |= _uturn(first_p[a, idx], pn, cum[k + 1, idx] - cum[a, idx])
                span *= 2
            stop = div | turned
            working[idx[stop]] = False
            active[idx[stop]] = False  # an invalid subtree ends the trajectory, unmerged
        # Merge the valid subtrees into their trees (biased progressive sampling).
        ok = active.copy()
        if not ok.any():
            break
        accept = np.log(rng.random(C)) < sub_log_w - log_w
        t = ok & accept
        prop_q[t], prop_lp[t], prop_g[t] = sub_q[t], sub_lp[t], sub_g[t]
        log_w = np.where(ok, np.logaddexp(log_w, sub_log_w), log_w)
        rho = np.where(ok[:, None], rho + cum[size], rho)
        for side, mask in ((1, ok & fwd), (0, ok & ~fwd)):
            ends_q[side][mask], ends_p[side][mask], ends_g[side][mask] = sq[mask], sp[mask], sg[mask]
        depth[ok] = j + 1
        turned = _uturn(ends_p[0], ends_p[1], rho)
        active &= ~turned
    stats = {
        "tree_depth": depth,
        "n_steps": n_steps,
        "acceptance_rate": sum_accept / np.maximum(n_steps, 1),
        "diverging": diverging,
        "reached_max_treedepth": active & (depth >= max_depth),
        "energy": H0,
    }
    return prop_q, prop_lp, prop_g, stats


class _DualAveraging:
    """Stan's step-size adaptation (Hoffman & Gelman 2014), one per chain."""

    def __init__(self, eps0: np.ndarray, target: float):
        self.target = target
        self.restart(eps0)

    def restart(self, eps0: np.ndarray) -> None:
        self.mu = np.log(10 * eps0)
        self.h_bar = np.zeros_like(eps0)
        self.log_eps_bar = np.zeros_like(eps0)
        self.t = 0

    def update(self, accept: np.ndarray) -> np.ndarray:
        self.t += 1
        t, t0, gamma, kappa = self.t, 10.0, 0.05, 0.75
        self.h_bar = (1 - 1 / (t + t0)) * self.h_bar + (self.target - accept) / (t + t0)
        log_eps = self.mu - np.sqrt(t) / gamma * self.h_bar
        w = t ** (-kappa)
        self.log_eps_bar = w * log_eps + (1 - w) * self.log_eps_bar
        return np.exp(log_eps)

    @property
    def final(self) -> np.ndarray:
        return np.exp(self.log_eps_bar)


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
) -> NutsResult:
    """Run ``chains`` NUTS chains in lock-step; return the kept draws of ``beta``."""
    rng = np.random.default_rng(random_seed)
    d = dens.dim
    target = _Target(dens, mode.beta, mode.cov)
    U = rng.standard_normal((chains, d))  # start at draws from the Laplace approximation
    lp, g = target(U)
    for _ in range(100):  # a start with infinite density (extreme data): shrink towards the mode
        bad = ~np.isfinite(lp)
        if not bad.any():
            break
        U[bad] *= 0.5
        lp, g = target(U)
    eps = np.full(chains, 0.9 / d**0.25)
    da = _DualAveraging(eps, target_accept)
    window_start, ends = _windows(tune)
    window: list[np.ndarray] = []
    out_beta = np.empty((chains, draws, d))
    keys = ("tree_depth", "n_steps", "acceptance_rate", "diverging", "reached_max_treedepth", "energy")
    out_stats = {k: np.empty((chains, draws), dtype=float) for k in keys}
    out_stats["lp"] = np.empty((chains, draws))
    out_stats["step_size"] = np.empty((chains, draws))
    for it in range(tune + draws):
        U, lp, g, st = _nuts_step(target, U, lp, g, eps, rng, max_depth)
        if it < tune:
            eps = da.update(st["acceptance_rate"])
            if window_start <= it < (ends[-1] if ends else 0):
                window.append(target.to_beta(U))
            if it + 1 in ends:
                B = np.concatenate(window)
                n = B.shape[0]
                S = np.cov(B, rowvar=False).reshape(d, d)
                shrink = 10.0 * chains
                cov = (n * S + shrink * mode.cov) / (n + shrink)
                beta_now = target.to_beta(U)
                target.set_cov(cov)
                U = target.to_u(beta_now)
                lp, g = target(U)
                window = []
                da.restart(eps)
            if it + 1 == tune:
                eps = da.final
        else:
            k = it - tune
            out_beta[:, k] = target.to_beta(U)
            for key in keys:
                out_stats[key][:, k] = st[key]
            out_stats["lp"][:, k] = lp
            out_stats["step_size"][:, k] = eps
    for key in ("tree_depth", "n_steps"):
        out_stats[key] = out_stats[key].astype(np.int64)
    for key in ("diverging", "reached_max_treedepth"):
        out_stats[key] = out_stats[key].astype(bool)
    return NutsResult(out_beta, out_stats, target.n_calls)


def sample_model(model, *, draws: int, tune: int, chains: int, random_seed, target_accept: float,
                 dens: LogDensity | None = None, mode: Mode | None = None):
    """Sample a :class:`~bayeslogit.LogitModel` and return an ArviZ ``DataTree`` shaped like
    PyMC's (``posterior.beta`` with dims ``coef``; ``sample_stats``; ``observed_data``)."""
    import arviz as az

    from ._density import newton_mode

    dens = LogDensity.from_model(model) if dens is None else dens
    mode = newton_mode(dens) if mode is None else mode
    res = sample_nuts(dens, mode, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                      target_accept=target_accept)
    d = model.design
    observed = {"y": d.y}
    if d.trials is not None:
        observed["trials"] = d.trials
    tree = az.from_dict(
        {"posterior": {"beta": res.beta}, "sample_stats": res.stats, "observed_data": observed},
        coords={"coef": list(d.column_names), "obs": np.arange(d.n_obs)},
        dims={"beta": ["coef"], "y": ["obs"], "trials": ["obs"]},
        attrs={"tuning_steps": tune, "sampling_library": "bayeslogit (numpy NUTS)",
               "gradient_evaluations_per_chain": res.n_grad},
    )
    tree.posterior.attrs["tuning_steps"] = tune
    return tree
