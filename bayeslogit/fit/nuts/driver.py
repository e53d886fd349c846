"""bayeslogit's own NUTS (``sampler="bayeslogit"``): compiled once, generic in the data.

Why: for a logistic regression the posterior is close to Gaussian, and PyMC's per-iteration
Python overhead (~1 ms) and process start dominate small problems, while at large n the cost
is the warm-up spent learning scales from an identity mass matrix. This sampler

- starts every chain from a draw of the Laplace approximation widened to twice its sd (Newton
  mode, inverse negative Hessian; under Student-t/Cauchy priors, which can make the posterior
  bimodal, also at a second mode found from the prior's centre, chains round-robin), so that
  R-hat can flag chains that do not mix; and works in the coordinates ``u`` with ``beta = mode + L u`` (``L`` the Cholesky
  factor of the covariance), i.e. a dense mass matrix from the first iteration;
- adapts the step size by Stan's dual averaging (from Stan's doubling heuristic); the dense
  metric stays the Laplace covariance unless ``adapt_metric=True`` (Stan-style windows);
- runs multinomial NUTS (Betancourt 2017: biased progressive sampling between subtrees,
  U-turn checks on every balanced subtree, divergence at an energy error above 1000), one
  chain per thread, in a numba kernel (:mod:`bayeslogit.fit.nuts.kernel`) that is compiled once
  per machine and cached on disk, not once per model; in blocks of iterations, so that a
  progress bar is shown and Ctrl-C stops sampling within about a second.

Chain ``c`` draws from the ``c``-th child of ``numpy.random.SeedSequence(random_seed)``: the
same seed gives identical draws.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ...errors import SamplerError
from . import warm
from .density import LogDensity, Mode, column_scales, newton_mode, no_groups, other_modes, rescaled
from .progress import Progress, ProgressSpec

if TYPE_CHECKING:
    from .categorical_density import CategoricalDensity
    from .group_density import GroupDensity


@dataclass
class NutsResult:
    """Kept draws and per-draw sampler statistics, each of shape ``(chains, draws, ...)``."""

    beta: np.ndarray
    stats: dict[str, np.ndarray]
    n_grad: int  # gradient evaluations per chain, warm-up included
    compile_s: float = 0.0  # seconds numba spent compiling the kernel first (0.0: it was ready)


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


#: Warm-up iterations per chain that ``tune=None`` (the default of ``LogitModel.sample``) gives
#: bayeslogit's NUTS, which starts every chain near the posterior mode with the Laplace covariance
#: as its dense metric: warm-up then only adapts the step size (the metric stays fixed), and
#: benchmarks/README.md ("Warm-up length") measured that 1000 iterations spent gradients without
#: changing the posterior. Other samplers (PyMC, nutpie, numpyro) start from an identity metric and
#: get :data:`DEFAULT_TUNE_OTHER`.
DEFAULT_TUNE_AT_MODE = 200
DEFAULT_TUNE_OTHER = 1000
#: Warm-up iterations per chain for a model with group terms on bayeslogit's NUTS: the chains do
#: not start at a mode with a known metric (the group sds' posterior is far from normal), so the
#: dense metric is learnt in Stan's windows; benchmarks/README.md ("Group models") measured the
#: divergences, R-hat and ESS of shorter warm-ups.
DEFAULT_TUNE_GROUPS = 1000
#: The largest position (group model) sampled with a dense metric; larger ones get a diagonal
#: metric (O(dim) instead of O(dim^2) per leapfrog step and memory). benchmarks/README.md
#: ("Dense or diagonal metric") measured the crossover in ESS per second.
DENSE_MAX_DIM = 100

_COMPILED = False


def ensure_compiled(kernel) -> float:
    """Compile the kernel (or load it from numba's disk cache) on a tiny problem, in a daemon
    thread, and return the seconds numba spent compiling (0.0 when it loaded the cache, or when
    this process has done this already). The message "compiling the sampler" is printed only
    when numba really compiles (its ``numba:compile`` event fires; loading the cache fires
    none), however long loading takes. The main thread waits in short joins, so Ctrl-C works
    during the compile."""
    global _COMPILED
    if _COMPILED:
        return 0.0
    import sys
    import threading
    import time

    from numba.core import event

    class CompileWatch(event.Listener):
        """Sets ``started`` when numba starts compiling any function (not on a cache load)."""

        def __init__(self) -> None:
            self.started = threading.Event()
            self.at: float | None = None

        def on_start(self, ev) -> None:
            if self.at is None:
                self.at = time.perf_counter()
            self.started.set()

        def on_end(self, ev) -> None:
            pass

    done = threading.Event()
    errors: list[BaseException] = []

    def work():
        try:
            X = np.ones((2, 1))
            y = np.array([0.0, 1.0])
            args = (
                X,
                y,
                np.ones(2),
                np.eye(1),
                np.zeros(1, np.int64),
                np.zeros(1),
                np.ones(1),
                np.ones(1),
                no_groups(2),
                np.zeros(1),
                np.eye(1),
            )
            st = _ChainState(1)
            rng = np.random.default_rng(0)
            kernel.init_chain(*args, np.zeros(1), rng, *st.init_arrays())
            out = _outputs(1, 1)
            kernel.run_block(
                *args,
                rng,
                1,
                1,
                0.8,
                2,
                1,
                np.zeros(0, np.int64),
                1.0,
                *st.block_arrays(),
                0,
                2,
                out[0][0],
                out[1][0],
                out[2][0],
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)
        finally:
            done.set()

    watch = CompileWatch()
    event.register("numba:compile", watch)
    try:
        thread = threading.Thread(target=work, daemon=True, name="bayeslogit-nuts-compile")
        thread.start()
        told = False
        while not done.is_set():
            thread.join(0.2)
            if watch.started.is_set() and not told and not done.is_set():
                told = True
                print(
                    "bayeslogit: compiling the sampler for this machine (first use only, about 15-30 s)...",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        event.unregister("numba:compile", watch)
    if errors:
        raise errors[0]
    compiled = 0.0 if watch.at is None else time.perf_counter() - watch.at
    if told:
        print(f"bayeslogit: sampler compiled in {compiled:.0f} s", file=sys.stderr, flush=True)
    _COMPILED = True
    return compiled


class _ChainState:
    """One chain's state between blocks of iterations (owned by the driver, filled by the kernel).

    ``diag=True``: a diagonal metric, O(d) per leapfrog step; ``L`` and the window's sums of
    squares are then ``(d, 1)`` and ``ist[3] = 1`` tells the kernel."""

    def __init__(self, d: int, diag: bool = False) -> None:
        w = 1 if diag else d
        self.L = np.zeros((d, w))
        self.q = np.zeros(d)
        self.g = np.zeros(d)
        self.fst = np.zeros(5)
        self.ist = np.zeros(4, dtype=np.int64)
        self.ist[3] = int(diag)
        self.w_mean = np.zeros(d)
        self.w_m2 = np.zeros((d, w))

    def init_arrays(self):
        return self.L, self.q, self.g, self.fst, self.ist

    def block_arrays(self):
        return self.L, self.q, self.g, self.fst, self.ist, self.w_mean, self.w_m2


def _outputs(chains: int, draws: int, d: int = 1):
    # zeros, not empty: the main thread reads the divergences of finished draws while sampling
    return (np.zeros((chains, draws, d)), np.zeros((chains, draws, 4), dtype=np.int64), np.zeros((chains, draws, 4)))


def start_points(mode: Mode, chains: int, rngs, *, spread: float = 2.0, modes: list[Mode] | None = None):
    """Chain starts in the kernel's coordinates ``u`` (``beta = mode.beta + L u``): draws from
    the Laplace approximation with ``spread`` times its sd, so that R-hat can see chains that
    do not mix. With several modes, chains go round-robin to them (each from its own Laplace
    approximation)."""
    d = mode.beta.shape[0]
    modes = modes or [mode]
    L = np.linalg.cholesky(mode.cov) if len(modes) > 1 else None
    out = []
    for c in range(chains):
        z = spread * rngs[c].standard_normal(d)
        m = modes[c % len(modes)]
        if m is mode:
            out.append(z)
        else:
            start = m.beta + np.linalg.cholesky(m.cov) @ z
            out.append(np.linalg.solve(L, start - mode.beta))  # type: ignore[arg-type]
    return out


def sample_nuts(
    dens: LogDensity | GroupDensity | CategoricalDensity,
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
    progressbar: ProgressSpec = False,
    modes: list[Mode] | None = None,
    spread: float = 2.0,
    metric: str = "dense",
) -> NutsResult:
    """Run ``chains`` NUTS chains of the compiled kernel, on threads; return the kept draws.

    ``metric="diag"``: a diagonal mass matrix (O(dim) per leapfrog step instead of O(dim^2)),
    starting from the diagonal of ``mode.cov`` (or ``mode.cov`` itself when it is the vector of
    variances); with ``adapt_metric=True`` its windows estimate
    variances regularized as Stan's, ``(n / (n + 5)) var + 1e-3 * 5 / (n + 5)`` (``shrink`` is
    not used). Only a single start mode is supported with it.

    The mass matrix is the Laplace covariance throughout; ``adapt_metric=True`` re-estimates it
    in Stan's warm-up windows (shrunk towards Laplace by ``shrink`` pseudo-draws, default
    ``10 + 2p``). Measured (benchmarks/README.md) that costs ESS per gradient on these
    near-Gaussian posteriors, because window estimates are noisy and the final step-size phase
    is short, so it is off by default.

    Chain ``c`` draws its randomness from the ``c``-th child of ``SeedSequence(random_seed)``,
    so the draws do not depend on the number of threads, their timing, or the block sizes.
    The chains run in blocks of iterations sized to take about 0.15 s, so the progress bar
    (``progressbar``: True, False, or a callable taking a :class:`ProgressInfo`) is updated
    and Ctrl-C stops sampling within about a second (or one iteration, if one takes longer):
    ``KeyboardInterrupt`` is raised and nothing partial is returned.
    """
    import queue
    import threading
    import time

    child = warm.job_for(dens, chains=chains, draws=draws, progressbar=progressbar)
    if child is not None:  # the command line's warm sampler process (warm.py)
        res = child.run(
            dens,
            mode,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            max_depth=max_depth,
            threads=threads,
            shrink=shrink,
            adapt_metric=adapt_metric,
            progressbar=progressbar,
            modes=modes,
            spread=spread,
            metric=metric,
        )
        if res is not None:
            return res
    from . import kernel  # numba: imported on first use, to keep `import bayeslogit` light

    compile_s = ensure_compiled(kernel)
    d = dens.dim
    diag = metric == "diag"
    if diag and modes is not None and len(modes) > 1:
        raise SamplerError("metric='diag' starts every chain at one mode: pass modes=None")
    seeds = np.random.SeedSequence(random_seed).spawn(chains)
    rngs = [np.random.default_rng(s) for s in seeds]
    u0 = start_points(mode, chains, rngs, modes=modes, spread=spread)
    win_start, ends = _windows(tune)
    win_ends = np.asarray(ends if adapt_metric else [], dtype=np.int64)
    shrink = 10.0 + 2.0 * d if shrink is None else shrink
    out_beta, out_int, out_float = _outputs(chains, draws, d)

    def arrays(*a):
        return tuple(np.require(x, requirements=["C", "W"]) for x in a)

    args = (
        arrays(
            dens.kernel_X(),
            np.asarray(dens.y, float),
            np.asarray(dens.m, float),
            dens.T,
            dens.family.astype(np.int64),
            dens.mu,
            dens.sigma,
            dens.nu,
        )
        + (arrays(*dens.kernel_groups()),)
        + arrays(mode.beta, (mode.cov if mode.cov.ndim == 1 else np.diag(mode.cov))[:, None] if diag else mode.cov)
    )
    total = tune + draws
    done = np.zeros(chains, dtype=np.int64)
    n_grad = np.zeros(chains, dtype=np.int64)
    stop = threading.Event()
    errors: list[BaseException] = []
    todo: queue.SimpleQueue = queue.SimpleQueue()
    for c in range(chains):
        todo.put(c)

    def worker() -> None:
        while not stop.is_set():
            try:
                c = todo.get_nowait()
            except queue.Empty:
                return
            try:
                st = _ChainState(d, diag)
                kernel.init_chain(*args, np.ascontiguousarray(u0[c]), rngs[c], *st.init_arrays())
                it, block = 0, 10
                while it < total and not stop.is_set():
                    t0 = time.perf_counter()
                    nxt = min(total, it + block)
                    kernel.run_block(
                        *args,
                        rngs[c],
                        tune,
                        draws,
                        target_accept,
                        max_depth,
                        win_start,
                        win_ends,
                        float(shrink),
                        *st.block_arrays(),
                        it,
                        nxt,
                        out_beta[c],
                        out_int[c],
                        out_float[c],
                    )
                    it = done[c] = nxt
                    took = max(time.perf_counter() - t0, 1e-6)
                    block = max(1, min(1000, int(block * 0.15 / took)))
                n_grad[c] = st.ist[0]
            except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
                errors.append(exc)
                stop.set()
                return

    threads = min(chains, os.cpu_count() or 1) if threads is None else max(1, min(threads, chains))
    description = (
        f"Sampling {chains} chain{'s' if chains > 1 else ''}: {tune} warm-up + {draws} draws "
        f"each (bayeslogit NUTS, {threads} thread{'s' if threads > 1 else ''})"
    )
    workers = [threading.Thread(target=worker, daemon=True, name=f"bayeslogit-nuts-{i}") for i in range(threads)]
    with Progress(progressbar, total=chains * total, description=description) as bar:
        for w in workers:
            w.start()
        try:
            while any(w.is_alive() for w in workers):
                for w in workers:
                    w.join(0.1)  # short joins: Ctrl-C reaches the main thread
                bar.update(int(done.sum()), _divergences(out_int, done, tune))
            bar.update(int(done.sum()), _divergences(out_int, done, tune))
        except BaseException:
            stop.set()  # workers stop after their current block; a 2nd Ctrl-C is not waited on
            for w in workers:
                w.join(2.0)
            raise
    if errors:
        raise errors[0]
    stats = {
        "tree_depth": out_int[..., 0],
        "n_steps": out_int[..., 1],
        "diverging": out_int[..., 2].astype(bool),
        "reached_max_treedepth": out_int[..., 3].astype(bool),
        "acceptance_rate": out_float[..., 0],
        "energy": out_float[..., 1],
        "lp": out_float[..., 2],
        "step_size": out_float[..., 3],
    }
    return NutsResult(out_beta, stats, int(n_grad.max()), compile_s)


def _divergences(out_int: np.ndarray, done: np.ndarray, tune: int) -> int:
    return int(out_int[..., 2].sum())  # rows not yet drawn are zeros


def to_datatree(model, beta: np.ndarray, *, sample_stats: dict | None = None):
    """An ArviZ ``DataTree`` laid out like PyMC's: ``posterior.beta`` (dims ``coef``),
    ``sample_stats``, ``observed_data.y`` and ``constant_data`` (``X``, ``trials``)."""
    from arviz_base import from_dict  # not all of arviz: its plotting half (matplotlib) costs ~1 s

    d = model.design
    constant = {"X": d.X, **d.response_family.constant_data()}
    if getattr(d, "offset", None) is not None:
        constant["offset"] = d.offset
    groups = {"posterior": {"beta": beta}, "observed_data": {"y": d.y}, "constant_data": constant}
    if sample_stats is not None:
        groups["sample_stats"] = sample_stats
    return from_dict(
        groups,
        coords={"coef": list(d.column_names), "obs": np.arange(d.n_obs)},
        dims={"beta": ["coef"], "y": ["obs"], "X": ["obs", "coef"], "trials": ["obs"], "offset": ["obs"]},
    )


def tag_run(tree, res: NutsResult, *, tune: int, source: str, **extra) -> None:
    """Write what every bayeslogit NUTS run records on its DataTree: the warm-up length and
    where it came from, the library, gradients per chain, the compile time of a first run on
    this machine (the report's run time counts it apart), plus ``extra`` posterior attrs."""
    tree.posterior.attrs.update(
        tuning_steps=tune,
        tuning_steps_source=source,
        sampling_library="bayeslogit (numba NUTS)",
        gradient_evaluations_per_chain=res.n_grad,
        **extra,
    )
    tree.sample_stats.attrs.update(tuning_steps=tune, tuning_steps_source=source)
    if res.compile_s > 0:
        tree.posterior.attrs["compile_time"] = float(res.compile_s)


def sample_model(
    model,
    *,
    draws: int,
    tune: int | None,
    chains: int,
    random_seed,
    target_accept: float,
    dens: LogDensity | None = None,
    mode: Mode | None = None,
    progressbar: ProgressSpec = False,
):
    """Sample a :class:`~bayeslogit.LogitModel` and return an ArviZ ``DataTree`` shaped like
    PyMC's (see :func:`to_datatree`). ``tune=None``: :data:`DEFAULT_TUNE_AT_MODE`; the warm-up
    used is in the ``tuning_steps`` attribute of ``posterior`` and ``sample_stats``, and
    ``tuning_steps_source`` says ``"auto"`` or ``"explicit"``."""
    source = "auto" if tune is None else "explicit"
    tune = DEFAULT_TUNE_AT_MODE if tune is None else tune
    dens = LogDensity.from_model(model) if dens is None else dens
    s = column_scales(dens.X)
    mode = newton_mode(dens, scale=s) if mode is None else mode
    modes = [mode] + other_modes(dens, mode)
    if np.any(s != 1.0):  # sample coefficients of ordinary size; report on the original scale
        dens, mode = rescaled(dens, mode, s)
        modes = [mode] + [rescaled(dens, m, s)[1] for m in modes[1:]]
    res = sample_nuts(
        dens,
        mode,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        target_accept=target_accept,
        progressbar=progressbar,
        modes=modes,
    )
    tree = to_datatree(model, res.beta / s, sample_stats=res.stats)
    tag_run(tree, res, tune=tune, source=source, start_modes=len(modes))
    if np.any(s != 1.0):
        tree.posterior.attrs["internal_column_scale"] = [float(v) for v in s]
    return tree


def try_sample(
    model,
    *,
    draws: int,
    tune: int | None,
    chains: int,
    random_seed,
    target_accept: float,
    required: bool,
    progressbar: ProgressSpec = False,
):
    """Sample with bayeslogit's NUTS when the posterior mode is found; else ``None`` (the caller
    falls back to PyMC), or, when ``required``, a :class:`~bayeslogit.SamplerError`."""
    dens = LogDensity.from_model(model)
    mode = newton_mode(dens, scale=column_scales(dens.X))
    if not mode.converged:
        if required:
            raise SamplerError(
                "sampler='bayeslogit' starts from the posterior mode, and Newton's method did not "
                "find one (the coefficients run off to infinity: separation under flat priors?); "
                "use proper priors, or sampler='pymc'"
            )
        return None
    return sample_model(
        model,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        target_accept=target_accept,
        dens=dens,
        mode=mode,
        progressbar=progressbar,
    )


def sample_group_model(
    model,
    *,
    draws: int,
    tune: int | None,
    chains: int,
    random_seed,
    target_accept: float,
    progressbar: ProgressSpec = False,
    metric: str | None = None,
):
    """Sample a model with group terms (:mod:`.group_density`) and return an ArviZ ``DataTree``
    with the variables, dims and coords of PyMC's model of it, the sampler statistics of
    :func:`sample_nuts`, ``observed_data`` and ``constant_data`` as :func:`to_datatree`.
    ``tune=None``: :data:`DEFAULT_TUNE_GROUPS`; the metric is adapted in Stan's windows,
    starting from :meth:`.group_density.GroupDensity.start`: dense up to
    :data:`DENSE_MAX_DIM` parameters, diagonal above (``metric``: ``"dense"`` or ``"diag"``
    overrides; the choice is in the ``metric`` attribute of ``posterior``)."""
    from arviz_base import from_dict

    from .group_density import GroupDensity

    source = "auto" if tune is None else "explicit"
    tune = DEFAULT_TUNE_GROUPS if tune is None else tune
    dens = GroupDensity.from_model(model)
    metric = ("dense" if dens.dim <= DENSE_MAX_DIM else "diag") if metric is None else metric
    mode = dens.start(model, diag=metric == "diag")
    res = sample_nuts(
        dens,
        mode,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        target_accept=target_accept,
        progressbar=progressbar,
        adapt_metric=True,
        spread=1.0,
        metric=metric,
    )
    d = model.design
    values, dims, coords = dens.posterior(res.beta, model.priors, list(d.column_names))
    constant = {"X": d.X, **d.response_family.constant_data()}
    if getattr(d, "offset", None) is not None:
        constant["offset"] = d.offset
    coords["obs"] = np.arange(d.n_obs)
    dims.update({"y": ["obs"], "X": ["obs", "coef"], "trials": ["obs"], "offset": ["obs"]})
    tree = from_dict(
        {"posterior": values, "sample_stats": res.stats, "observed_data": {"y": d.y}, "constant_data": constant},
        coords=coords,
        dims=dims,
    )
    tag_run(tree, res, tune=tune, source=source, metric=metric)
    return tree
