"""Group models (issue 22): bayeslogit's own NUTS against nutpie, in one process, and its warm-up.

Models: the BUGS Seeds model ``r ~ x1 * x2 + (1 | plate)`` (21 rows, ``trials="n"``), lme4's
``cbpp`` model ``incidence ~ period + (1 | herd)`` (56 rows, ``trials="size"``; the data are
lme4's, written by ``write.csv(lme4::cbpp)`` into benchmarks/data/cbpp.csv), and a correlated
varying slope on simulated data (``y ~ x + (1 + x | g)``, 30 groups x 20 rows), and the
regularized horseshoe on 20 slopes, 3 of them non-zero, 200 simulated rows
(``bl.Horseshoe(expected_nonzero=3)``, no group terms; its default target_accept 0.99 on both
samplers; ESS and R-hat also over ``hs_tau``).

``compare``: each model is fitted once by each sampler first (numba's kernel loaded or compiled,
nutpie's model compiled and kept by the model object), then ``reps`` alternating warm fits of ``LogitModel.sample`` with the
defaults (4 chains x 1000 draws; ``sampler="auto"``, which is bayeslogit's NUTS, against
``sampler="nutpie"``): wall time of the call, minimum bulk ESS and maximum R-hat over ``beta``
and the group sds, divergences. The ratios are nutpie / bayeslogit (time) and bayeslogit /
nutpie (ESS per second), from the same run.

``metric``: the correlated varying slope with 25 to 200 levels (20 rows each), bayeslogit's
NUTS with the dense and with the diagonal metric, ``seeds`` runs each: min bulk ESS per second
(the measurement behind ``DENSE_MAX_DIM``).

``large``: ``y ~ x + (1 + x | g)`` with ``--rows`` rows (default 100,000) over ``--levels``
levels (default 1,000; simulated), one default fit each of bayeslogit's NUTS (diagonal metric
above ``DENSE_MAX_DIM``) and nutpie, each after a first fit that compiles (nutpie's model) or
loads the kernel; wall time, min bulk ESS per second, the leapfrog steps (gradients) of the
kept draws and the peak resident memory above the process's before the call (polled every
20 ms). ``bench.py --size groups`` runs it at 100,000 x 1,000 after ``compare``.

``grad``: one log density and gradient of the ``large`` model at a fixed point, 200 calls: the
group kernel, the fixed-effects kernel on the same rows, nutpie's compiled PyMC function.

``tune``: bayeslogit's NUTS with warm-ups of 150 to 1000 iterations, ``seeds`` runs each:
divergences, max R-hat, min bulk ESS (the measurement behind ``DEFAULT_TUNE_GROUPS``).

Usage::

    python benchmarks/groups.py compare [--reps 5] [--models horseshoe]
    python benchmarks/groups.py tune [--seeds 5]
    python benchmarks/groups.py metric [--seeds 2 --sweep 25,50,100,200]
    python benchmarks/groups.py large [--rows 100000 --levels 1000]
    python benchmarks/groups.py grad [--rows 100000 --levels 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bayeslogit as bl  # noqa: E402
from bayeslogit.datasets import bugs_seeds  # noqa: E402

HERE = Path(__file__).resolve().parent


def cbpp() -> pd.DataFrame:
    df = pd.read_csv(HERE / "data" / "cbpp.csv", dtype={"herd": str, "period": str})
    return df


def slopes() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    g = np.repeat(np.arange(30), 20)
    x = rng.normal(size=g.size)
    b = rng.multivariate_normal([0, 0], [[0.5, 0.2], [0.2, 0.3]], size=30)
    eta = -0.3 + 0.8 * x + b[g, 0] + b[g, 1] * x
    y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


def sparse() -> pd.DataFrame:
    rng = np.random.default_rng(14)
    X = rng.normal(size=(200, 20))
    eta = 0.3 + X[:, :3] @ np.array([1.5, -1.0, 0.8])
    df = pd.DataFrame(X, columns=[f"x{j:02d}" for j in range(20)])
    return df.assign(y=rng.binomial(1, 1 / (1 + np.exp(-eta))))


MODELS = {
    "seeds": lambda: bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n"),
    "cbpp": lambda: bl.LogitModel("incidence ~ period + (1 | herd)", cbpp(), trials="size"),
    "slopes": lambda: bl.LogitModel("y ~ x + (1 + x | g)", slopes()),
    "horseshoe": lambda: bl.LogitModel("y ~ .", sparse(), priors=bl.Horseshoe(expected_nonzero=3)),
}


def diagnostics(post, seconds: float) -> dict:
    import arviz_stats

    ds = post.idata.posterior.to_dataset()
    names = ["beta"] + [v for v in ds.data_vars if v.startswith("sd_") or v == "hs_tau"]
    sub = ds[names]
    ess = arviz_stats.ess(sub, method="bulk")
    rhat = arviz_stats.rhat(sub)
    min_ess = min(float(ess[v].min()) for v in names)
    return {
        "seconds": seconds,
        "min_ess_bulk": min_ess,
        "ess_per_s": min_ess / seconds,
        "max_rhat": max(float(rhat[v].max()) for v in names),
        "divergences": int(post.idata.sample_stats["diverging"].sum()),
        # leapfrog steps (gradients) over the kept draws, all chains: ESS per gradient
        "draw_gradients": int(post.idata.sample_stats["n_steps"].sum())
        if "n_steps" in post.idata.sample_stats
        else None,
        "sampler": post.sampler,
        "metric": post.idata.posterior.attrs.get("metric"),
    }


def fit(model, *, seed: int, **kw) -> dict:
    t = time.perf_counter()
    post = model.sample(random_seed=seed, progressbar=False, **kw)
    return diagnostics(post, time.perf_counter() - t)


def compare(reps: int) -> dict:
    out = {}
    for name, make in MODELS.items():
        model = make()
        first = {"bayeslogit": fit(model, seed=0), "nutpie": fit(model, seed=0, sampler="nutpie")}
        runs: dict[str, list] = {"bayeslogit": [], "nutpie": []}
        for r in range(reps):
            runs["bayeslogit"].append(fit(model, seed=r + 1))
            runs["nutpie"].append(fit(model, seed=r + 1, sampler="nutpie"))  # its compiled model reused
        med = {
            k: {s: float(np.median([x[s] for x in v])) for s in ("seconds", "ess_per_s", "min_ess_bulk")}
            for k, v in runs.items()
        }
        res = {
            "first_fit": first,
            "runs": runs,
            "median": med,
            "time_ratio_nutpie_over_bayeslogit": med["nutpie"]["seconds"] / med["bayeslogit"]["seconds"],
            "ess_per_s_ratio": med["bayeslogit"]["ess_per_s"] / med["nutpie"]["ess_per_s"],
            "max_rhat": {k: max(x["max_rhat"] for x in v) for k, v in runs.items()},
            "divergences": {k: sum(x["divergences"] for x in v) for k, v in runs.items()},
        }
        out[name] = res
        print(
            f"{name:7s} warm fit: bayeslogit {med['bayeslogit']['seconds']:.2f} s, nutpie "
            f"{med['nutpie']['seconds']:.2f} s (x{res['time_ratio_nutpie_over_bayeslogit']:.1f}); ESS/s ratio "
            f"{res['ess_per_s_ratio']:.1f}; max R-hat {res['max_rhat']}; divergences {res['divergences']}",
            flush=True,
        )
    return out


def sim_slopes(rows: int, levels: int, seed: int = 22) -> pd.DataFrame:
    """``y ~ x + (1 + x | g)`` data: ``rows`` rows spread evenly over ``levels`` levels."""
    rng = np.random.default_rng(seed)
    g = np.arange(rows) % levels
    x = rng.normal(size=rows)
    b = rng.multivariate_normal([0, 0], [[0.5, 0.2], [0.2, 0.3]], size=levels)
    eta = -0.3 + 0.8 * x + b[g, 0] + b[g, 1] * x
    y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def fit_with_memory(model, *, seed: int, **kw) -> dict:
    """:func:`fit`, plus the peak resident memory above the process's at the call (MB)."""
    import threading

    base, peak, stop = _rss(), [0], threading.Event()

    def poll() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss())
            stop.wait(0.02)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        res = fit(model, seed=seed, **kw)
    finally:
        stop.set()
        t.join()
    res["peak_rss_above_start_mb"] = (max(peak[0], _rss()) - base) / 2**20
    return res


def metric_sweep(seeds: int, sweep: tuple[int, ...] = (25, 50, 100, 200)) -> dict:
    from bayeslogit.fit.nuts import driver

    out: dict = {}
    model = bl.LogitModel("y ~ x + (1 + x | g)", sim_slopes(500, 25))
    fit(model, seed=0, tune=100, draws=100)  # the kernel loaded
    orig = driver.sample_group_model
    for levels in sweep:
        model = bl.LogitModel("y ~ x + (1 + x | g)", sim_slopes(20 * levels, levels))
        out[levels] = {}
        for metric in ("dense", "diag"):
            driver.sample_group_model = lambda *a, _m=metric, **k: orig(*a, metric=_m, **k)
            try:
                rows = [fit(model, seed=s) for s in range(seeds)]
            finally:
                driver.sample_group_model = orig
            summary = {
                "dim": 5 + 2 * levels,
                "median_ess_per_s": float(np.median([r["ess_per_s"] for r in rows])),
                "median_seconds": float(np.median([r["seconds"] for r in rows])),
                "median_min_ess": float(np.median([r["min_ess_bulk"] for r in rows])),
                "max_rhat": max(r["max_rhat"] for r in rows),
                "divergences": [r["divergences"] for r in rows],
            }
            out[levels][metric] = summary
            print(f"levels={levels:4d} {metric:5s}: {summary}", flush=True)
    return out


def large(rows: int, levels: int) -> dict:
    model = bl.LogitModel("y ~ x + (1 + x | g)", sim_slopes(rows, levels))
    fit(model, seed=0, tune=20, draws=20)  # the kernel loaded
    fit(model, seed=0, tune=20, draws=20, sampler="nutpie")  # nutpie's model compiled
    out: dict = {"rows": rows, "levels": levels}
    for name, kw in (("bayeslogit", {}), ("nutpie", {"sampler": "nutpie"})):
        res = fit_with_memory(model, seed=1, **kw)
        out[name] = res
        print(f"{name:10s}: {res}", flush=True)
    out["ess_per_s_ratio"] = out["bayeslogit"]["ess_per_s"] / out["nutpie"]["ess_per_s"]
    out["time_ratio_nutpie_over_bayeslogit"] = out["nutpie"]["seconds"] / out["bayeslogit"]["seconds"]
    print(f"ESS/s ratio bayeslogit / nutpie: {out['ess_per_s_ratio']:.2f}", flush=True)
    return out


def gradients(rows: int, levels: int, calls: int = 200) -> dict:
    """Time one log density + gradient of ``y ~ x + (1 + x | g)`` at a fixed point: the group
    kernel, the fixed-effects kernel on the same rows (``p = 2``, no group term) and nutpie's
    compiled PyMC function (its numba backend, as ``sampler="nutpie"`` runs it)."""
    from nutpie.compile_pymc import _make_functions
    from pymc.initial_point import make_initial_point_fn

    from bayeslogit.fit.nuts.group_density import GroupDensity
    from bayeslogit.fit.nuts.group_kernel import group_logp_grad
    from bayeslogit.fit.nuts.kernel import logp_grad

    model = bl.LogitModel("y ~ x + (1 + x | g)", sim_slopes(rows, levels))
    dens = GroupDensity.from_model(model)
    X = dens.kernel_X()
    theta = np.random.default_rng(0).normal(size=dens.dim) * 0.1
    fixed = (X, dens.y, dens.m, dens.T, dens.family, dens.mu, dens.sigma, dens.nu)

    def timed(f) -> float:
        f()
        t = time.perf_counter()
        for _ in range(calls):
            f()
        return (time.perf_counter() - t) / calls

    out = {"rows": rows, "levels": levels, "dim": dens.dim}
    g = np.zeros(dens.dim)
    out["group_kernel_s"] = timed(lambda: group_logp_grad(theta, *fixed, dens.grp, g))
    g2 = np.zeros(2)
    out["fixed_kernel_p2_s"] = timed(lambda: logp_grad(theta[:2], *fixed, g2))
    pm_model = model.pymc_model
    ipf = make_initial_point_fn(model=pm_model, return_transformed=True)
    n_free, _, logp_fn, *_ = _make_functions(
        pm_model, mode="NUMBA", compute_grad=True, join_expanded=True, pymc_initial_point_fn=ipf
    )
    x = np.random.default_rng(0).normal(size=n_free) * 0.1
    out["nutpie_s"] = timed(lambda: logp_fn(x))
    for key in ("group_kernel_s", "fixed_kernel_p2_s", "nutpie_s"):
        print(f"{key[:-2]:18s} {out[key] * 1e3:.3f} ms a call, {out[key] / rows * 1e9:.1f} ns a row", flush=True)
    return out


def tune_sweep(seeds: int) -> dict:
    out: dict = {}
    for name, make in MODELS.items():
        model = make()
        fit(model, seed=0, tune=100, draws=100)  # the kernel loaded
        out[name] = {}
        for tune in (150, 200, 300, 500, 1000):
            rows = [fit(model, seed=s, tune=tune) for s in range(seeds)]
            summary = {
                "divergences": [r["divergences"] for r in rows],
                "max_rhat": max(r["max_rhat"] for r in rows),
                "median_min_ess": float(np.median([r["min_ess_bulk"] for r in rows])),
                "min_min_ess": min(r["min_ess_bulk"] for r in rows),
                "median_seconds": float(np.median([r["seconds"] for r in rows])),
            }
            out[name][tune] = summary
            print(f"{name:7s} tune={tune:5d}: {summary}", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["compare", "tune", "metric", "large", "grad"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--levels", type=int, default=1000)
    ap.add_argument("--sweep", default="25,50,100,200", help="metric: levels to measure, comma-separated")
    ap.add_argument("--out", default=None, help="JSON output path")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    args = ap.parse_args(argv)
    import pymc  # noqa: F401  (imported up front: not part of either fit's time)

    for name in set(MODELS) - set(args.models.split(",")):
        del MODELS[name]
    if args.what == "compare":
        res = compare(args.reps)
    elif args.what == "metric":
        res = metric_sweep(args.seeds, tuple(int(v) for v in args.sweep.split(",")))
    elif args.what == "large":
        res = large(args.rows, args.levels)
    elif args.what == "grad":
        res = gradients(args.rows, args.levels)
    else:
        res = tune_sweep(args.seeds)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
