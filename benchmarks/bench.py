"""Side-by-side benchmark: bayeslogit's ``sample()`` against plain PyMC, in one process.

Both fit the same model (formula ``y ~ x1 + x2 [+ z1..z20]`` over
:func:`bayeslogit.datasets.simulate_seed`, bayeslogit's default priors written directly in
PyMC for the baseline), alternating runs so that the shared machine's load hits both alike.
For every run it records the wall time of the fit call (model construction included, for
both), the minimum bulk ESS over the coefficients, min ESS per second, and the max R-hat; the
table and the JSON give the ratios bayeslogit / PyMC from the same run.

Usage::

    python benchmarks/bench.py --size S          # seed setting, n=500, p=3
    python benchmarks/bench.py --size L          # n=100,000, p=23 (baseline gets fewer draws)
    python benchmarks/bench.py --size all --out benchmarks/results/bench.json
    python benchmarks/bench.py --quick           # smoke check, under a minute
    python benchmarks/bench.py --size pipeline   # large data: n=100,000, p=10, whole pipeline
    python benchmarks/bench.py --size cli        # `bayeslogit fit` vs statsmodels, whole processes
    python benchmarks/bench.py --size laplace-loo  # corrected Laplace LOO vs NUTS; PSIS vs ArviZ's loop
    python benchmarks/bench.py --size grad       # kernel gradient, float64 vs float32 X (n=100,000)
    python benchmarks/bench.py --size dask       # 3e7 rows from Parquet under a 3 GB cap (bench_dask.py)
    python benchmarks/bench.py --size groups     # group models: bayeslogit's NUTS vs nutpie (groups.py)
    python benchmarks/bench.py --size categorical  # multinomial/ordinal: wine, 1e5 x 10 x 5 vs nutpie

The ``pipeline`` section (issue 11) runs each scenario in a fresh subprocess that records its
own peak resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``) and the seconds of every step:
``sample()`` with the defaults (4 chains x 1000 draws), ``diagnostics()``, ``report()``,
``save()``, ``load()`` and ``predict()`` of 1,000 new rows, plus the saved file's size. The
child runs under an address-space limit (``RLIMIT_AS``), so a regression fails instead of
swapping the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bayeslogit as bl  # noqa: E402
from bayeslogit.datasets import simulate_seed  # noqa: E402

SIZES = {
    # name: (n, n_noise, reps, baseline draws, baseline tune)
    "S": dict(n=500, n_noise=0, reps=3, pymc_draws=1000, pymc_tune=1000),
    "L": dict(n=100_000, n_noise=20, reps=1, pymc_draws=300, pymc_tune=1000),
}
QUICK = {
    "S": dict(n=500, n_noise=0, reps=1, pymc_draws=1000, pymc_tune=1000),
    "L": dict(n=20_000, n_noise=20, reps=1, pymc_draws=100, pymc_tune=200),
}
CHAINS = 4


def formula_for(n_noise: int) -> str:
    return "y ~ x1 + x2" + "".join(f" + z{k}" for k in range(1, n_noise + 1))


def diagnostics(beta: np.ndarray, seconds: float) -> dict:
    """beta: (chain, draw, coef) -> min ESS_bulk, min ESS_bulk/s, max R-hat (ArviZ)."""
    import arviz as az

    ess = np.asarray(az.ess(beta, method="bulk"))
    rhat = np.asarray(az.rhat(beta))
    return {
        "seconds": seconds,
        "min_ess_bulk": float(ess.min()),
        "min_ess_bulk_per_s": float(ess.min() / seconds),
        "max_r_hat": float(rhat.max()),
        "draws_per_chain": int(beta.shape[1]),
        "mean": beta.reshape(-1, beta.shape[-1]).mean(axis=0).tolist(),
    }


def run_bayeslogit(df, formula, *, seed, **kw) -> dict:
    t0 = time.perf_counter()
    model = bl.LogitModel(formula, df)
    post = model.sample(chains=CHAINS, random_seed=seed, progressbar=False, **kw)
    seconds = time.perf_counter() - t0
    beta = post.idata.posterior["beta"].transpose("chain", "draw", "coef").values
    out = diagnostics(beta, seconds)
    out["sampler"] = post.sampler
    attrs = post.idata.posterior.attrs
    if "gradient_evaluations_per_chain" in attrs:  # bayeslogit's NUTS: gradients per effective draw
        out["grads_per_ess"] = CHAINS * attrs["gradient_evaluations_per_chain"] / out["min_ess_bulk"]
    if "pareto_k" in attrs:
        out["pareto_k"] = float(attrs["pareto_k"])
    return out


def pymc_model(df, formula):
    """bayeslogit's default priors written directly in PyMC (centred intercept ~ N(0, 2.5),
    slopes ~ N(0, 2.5 / sd(x)))."""
    import pymc as pm
    import pytensor.tensor as pt

    cols = [c.strip() for c in formula.split("~")[1].split("+")]
    X = df[cols].to_numpy(float)
    xbar, sd = X.mean(axis=0), X.std(axis=0)
    with pm.Model() as model:
        alpha_c = pm.Normal("alpha_c", 0.0, 2.5)
        b = pm.Normal("b", 0.0, 2.5 / sd, shape=len(cols))
        eta = alpha_c + pt.dot(X - xbar, b)
        pm.Bernoulli("y", logit_p=eta, observed=df["y"].to_numpy())
        pm.Deterministic("beta", pt.concatenate([(alpha_c - pt.dot(xbar, b))[None], b]))
    return model


def run_pymc(df, formula, *, seed, draws, tune) -> dict:
    import pymc as pm

    t0 = time.perf_counter()
    model = pymc_model(df, formula)
    idata = pm.sample(
        draws=draws,
        tune=tune,
        chains=CHAINS,
        random_seed=seed,
        progressbar=False,
        nuts_sampler="pymc",
        model=model,
        compute_convergence_checks=False,
    )
    seconds = time.perf_counter() - t0
    beta = idata.posterior["beta"].transpose("chain", "draw", ...).values
    out = diagnostics(beta, seconds)
    out["sampler"] = "pymc"
    out["tune"] = tune
    return out


def gradient_time(df, formula, *, repeats: int = 50) -> dict:
    """Seconds per log-density + gradient evaluation: PyMC's compiled function, and bayeslogit's."""
    out = {}
    model = pymc_model(df, formula)
    f = model.logp_dlogp_function(ravel_inputs=True)
    f.set_extra_values({})
    x0 = np.zeros(sum(int(np.prod(v.shape)) for v in model.initial_point().values()))
    f(x0)
    t0 = time.perf_counter()
    for _ in range(repeats):
        f(x0)
    out["pymc_logp_dlogp_s"] = (time.perf_counter() - t0) / repeats
    from bayeslogit.fit.nuts import density, kernel

    m = bl.LogitModel(formula, df)
    dens = density.LogDensity.from_model(m)
    args = (dens.X, dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma, dens.nu)
    beta, g = np.zeros(dens.dim), np.empty(dens.dim)
    kernel.logp_grad(beta, *args, g)
    t0 = time.perf_counter()
    for _ in range(repeats):
        kernel.logp_grad(beta, *args, g)
    out["bayeslogit_logp_grad_s"] = (time.perf_counter() - t0) / repeats
    return out


def mle_time(df, formula, *, repeats: int = 3) -> dict | None:
    """bayeslogit's MLE against statsmodels' Logit on the same design (best of ``repeats``)."""
    try:
        import bayeslogit.results.point  # noqa: F401
    except ImportError:
        return None
    import statsmodels.api as sm

    model = bl.LogitModel(formula, df)
    X, y = model.design.X, model.design.y
    bl_t, sm_t = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fit = model.fit_mle()
        bl_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = sm.Logit(y, X).fit(disp=0)
        sm_t.append(time.perf_counter() - t0)
    diff = float(np.max(np.abs(np.asarray(fit.params) - ref.params)))
    return {
        "bayeslogit_s": min(bl_t),
        "statsmodels_s": min(sm_t),
        "ratio": min(bl_t) / min(sm_t),
        "max_abs_param_diff": diff,
    }


def bench_size(name: str, cfg: dict, *, contestants: dict[str, dict]) -> dict:
    """Alternate every bayeslogit contestant (label -> sample() options) with pm.sample()."""
    df = simulate_seed(cfg["n"], random_seed=0, n_noise=cfg["n_noise"])
    formula = formula_for(cfg["n_noise"])
    runs = {label: [] for label in contestants} | {"pymc": []}
    for rep in range(cfg["reps"]):  # alternate, so machine load hits both alike
        seed = 1000 + rep
        for label, kw in contestants.items():
            r = run_bayeslogit(df, formula, seed=seed, **kw)
            runs[label].append(r)
            print(
                f"  [{name} rep {rep}] {label} ({r['sampler']}): {r['seconds']:.2f} s, "
                f"min ESS {r['min_ess_bulk']:.0f}, R-hat {r['max_r_hat']:.3f}",
                flush=True,
            )
        r = run_pymc(df, formula, seed=seed, draws=cfg["pymc_draws"], tune=cfg["pymc_tune"])
        runs["pymc"].append(r)
        print(
            f"  [{name} rep {rep}] pm.sample: {r['seconds']:.2f} s, "
            f"min ESS {r['min_ess_bulk']:.0f}, R-hat {r['max_r_hat']:.3f}",
            flush=True,
        )
    keys = ("seconds", "min_ess_bulk", "min_ess_bulk_per_s", "max_r_hat")
    med = {k: {m: float(np.median([r[m] for r in v])) for m in keys} for k, v in runs.items()}
    p = med["pymc"]
    result = {
        "n": cfg["n"],
        "p": 3 + cfg["n_noise"],
        "chains": CHAINS,
        "formula": formula,
        "runs": runs,
        "median": med,
        "ratios": {
            label: {
                "speedup_wall": p["seconds"] / med[label]["seconds"],
                "ess_per_s": med[label]["min_ess_bulk_per_s"] / p["min_ess_bulk_per_s"],
            }
            for label in contestants
        },
        "pymc_draws": cfg["pymc_draws"],
        "pymc_tune": cfg["pymc_tune"],
    }
    if name == "L":
        result["gradient"] = gradient_time(df, formula)
        # the issue-11 target: min ESS/s within 1.5x of the gradient floor (4 gradients per
        # effective draw, at this run's gradient time, on the sampler's threads)
        threads = min(CHAINS, os.cpu_count() or 1)
        floor = threads / (4 * result["gradient"]["bayeslogit_logp_grad_s"])
        ours = med["bayeslogit"]["min_ess_bulk_per_s"]
        result["floor"] = {
            "threads": threads,
            "floor_ess_per_s": floor,
            "bayeslogit_ess_per_s": ours,
            "x_floor": floor / ours,
            "grads_per_ess": float(np.median([r["grads_per_ess"] for r in runs["bayeslogit"] if "grads_per_ess" in r])),
        }
    mle = mle_time(df, formula)
    if mle is not None:
        result["mle"] = mle
    return result


def print_table(results: dict) -> None:
    print()
    print(f"{'size':<5}{'fit':<22}{'wall s':>9}{'min ESS':>9}{'ESS/s':>9}{'max R-hat':>10}{'x wall':>8}{'x ESS/s':>9}")
    for size, res in results["sizes"].items():
        for who, m in res["median"].items():
            r = res["ratios"].get(who)
            extra = f"{r['speedup_wall']:>8.1f}{r['ess_per_s']:>9.1f}" if r else ""
            print(
                f"{size:<5}{who:<22}{m['seconds']:>9.2f}{m['min_ess_bulk']:>9.0f}"
                f"{m['min_ess_bulk_per_s']:>9.1f}{m['max_r_hat']:>10.3f}{extra}"
            )
        print("      (x wall = PyMC wall / bayeslogit wall; x ESS/s = bayeslogit / PyMC min ESS per s)")
        if "gradient" in res:
            g = res["gradient"]
            for k, v in g.items():
                print(f"      gradient {k}: {v * 1e3:.2f} ms")
            f = res["floor"]  # computed once, in bench_size
            print(
                f"      bayeslogit: {f['grads_per_ess']:.1f} gradients per effective draw (warm-up included); "
                f"gradient-time floor at 4 per effective draw on {f['threads']} "
                f"threads: {f['floor_ess_per_s']:.0f} ESS/s; bayeslogit's min ESS/s is {f['x_floor']:.2f}x "
                "below it (target <= 1.5x)"
            )
        if "mle" in res:
            m = res["mle"]
            print(
                f"      MLE: bayeslogit {m['bayeslogit_s'] * 1e3:.1f} ms, statsmodels "
                f"{m['statsmodels_s'] * 1e3:.1f} ms (ratio {m['ratio']:.2f}, max |diff| "
                f"{m['max_abs_param_diff']:.1e})"
            )


PIPELINE = {
    # name: rows, noise columns (p = 3 + n_noise coefficients), RLIMIT_AS of the child (GiB)
    "P100k": dict(n=100_000, n_noise=7, limit_gb=12),
}
PIPELINE_QUICK = {"P100k": dict(n=20_000, n_noise=7, limit_gb=12)}

BIG = {
    # name: rows, noise columns (p = 3 + n_noise), RLIMIT_AS of the child (GiB), free memory
    # needed before starting (GiB; the scenario is skipped, and says so, when less is available)
    "N1M": dict(n=1_000_000, n_noise=17, limit_gb=16, need_gb=4, target_gb=3.0),
    "Lap10M": dict(n=10_000_000, n_noise=17, limit_gb=16, need_gb=7, target_gb=6.0),
}
BIG_QUICK = {
    "N1M": dict(n=50_000, n_noise=17, limit_gb=12, need_gb=2, target_gb=3.0),
    "Lap10M": dict(n=500_000, n_noise=17, limit_gb=12, need_gb=2, target_gb=6.0),
}


def _rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def big_child(name: str, n: int, n_noise: int, workdir: str) -> dict:
    """One big scenario in this (fresh) process: ``N1M`` = default ``sample()`` + ``report()``;
    ``Lap10M`` = ``sample(method="laplace")`` + ``coef_table()``. Seconds per step, peak RSS."""
    import tempfile
    import warnings

    out: dict = {"n": n, "p": 3 + n_noise}
    t = time.perf_counter()
    df = simulate_seed(n, random_seed=21, n_noise=n_noise)
    out["data_s"] = time.perf_counter() - t
    out["rss_after_data_mb"] = _rss_mb()
    t = time.perf_counter()
    model = bl.LogitModel(formula_for(n_noise), df)
    out["model_s"] = time.perf_counter() - t
    out["rss_after_model_mb"] = _rss_mb()
    kw = {"method": "laplace"} if name.startswith("Lap") else {}
    t = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        post = model.sample(random_seed=1, progressbar=False, **kw)
    out["sample_s"] = time.perf_counter() - t
    out["warnings"] = [str(w.message)[:300] for w in caught]
    out["sampler"] = post.method_label
    out["rss_after_sample_mb"] = _rss_mb()
    t = time.perf_counter()
    table = post.coef_table()
    out["coef_table_s"] = time.perf_counter() - t
    out["min_ess"] = float(np.min(table["ess_bulk"] if "ess_bulk" in table else table.filter(like="ess").iloc[:, 0]))
    out["min_ess_per_s"] = out["min_ess"] / out["sample_s"]
    attrs = post.idata.posterior.attrs
    for key in ("pareto_k", "ess_importance"):
        if key in attrs:
            out[key] = float(attrs[key])
    truth = {"Intercept": -3.0, "x1": 2.0, "x2": -1.5}
    mean = table["mean"]
    out["max_abs_err_vs_truth_in_sd"] = float(
        max(abs(mean[k] - truth.get(k, 0.0)) / table["sd"][k] for k in mean.index)
    )
    if not name.startswith("Lap"):
        path = Path(tempfile.mkdtemp(dir=workdir))
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            post.report(path / "report.html", progress=False)
        out["report_s"] = time.perf_counter() - t
        out["loo_method"] = post.diagnostics().loo_method
    out["peak_rss_mb"] = _rss_mb()
    return out


def _available_gb() -> float:
    try:
        with open("/proc/meminfo") as fh:
            info = {ln.split(":")[0]: ln.split()[1] for ln in fh}
        return int(info["MemAvailable"]) / 2**20
    except (OSError, KeyError, ValueError):  # not Linux: no check
        return float("inf")


def _run_child(call: str, limit_gb: float) -> tuple[dict | None, str]:
    """``call`` (an expression of module ``bench`` returning a dict) in a fresh interpreter under
    ``RLIMIT_AS = limit_gb``; its JSON result or None, and the tail of its stderr."""
    import subprocess

    limit = int(limit_gb * 2**30)
    code = (
        "import json, resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
        f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
        "import bench; "
        f"print('RESULT ' + json.dumps({call}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        return None, f"exit {proc.returncode}: " + proc.stderr[-2000:]
    return json.loads(line[0][7:]), proc.stderr[-500:]


def bench_big(quick: bool, only: list[str] | None = None) -> dict:
    """N1M and Lap10M, each in a fresh guarded subprocess (free memory checked first)."""
    import tempfile

    res = {}
    for name, cfg in (BIG_QUICK if quick else BIG).items():
        if only and name not in only:
            continue
        avail = _available_gb()
        print(f"big {name}: {cfg} (available memory {avail:.1f} GiB)", flush=True)
        if avail < cfg["need_gb"]:
            res[name] = {"skipped": f"only {avail:.1f} GiB available, {cfg['need_gb']} GiB needed"}
            print(f"  skipped: {res[name]['skipped']}", flush=True)
            continue
        t = time.perf_counter()
        out, err = _run_child(
            f"bench.big_child({name!r}, {cfg['n']}, {cfg['n_noise']}, {tempfile.gettempdir()!r})", cfg["limit_gb"]
        )
        wall = time.perf_counter() - t
        res[name] = out if out is not None else {"error": err}
        res[name]["process_wall_s"] = wall
        if out is not None:
            res[name]["meets_target"] = out["peak_rss_mb"] / 1024 <= cfg["target_gb"]
        print(json.dumps(res[name], indent=1), flush=True)
    return res


CLI_STATSMODELS = """import pandas as pd, statsmodels.formula.api as smf, sys
df = pd.read_csv(sys.argv[1])
fit = smf.logit("y ~ x1 + x2", data=df).fit(disp=0)
print(fit.summary())
"""


def bench_cli(reps: int = 11) -> dict:
    """The small end as whole processes, side by side, alternating (median and best of ``reps``
    after a warm-up round): ``bayeslogit fit seed.csv "y ~ x1 + x2"`` against a four-line
    statsmodels script."""
    import statistics
    import subprocess
    import tempfile

    tmp = Path(tempfile.mkdtemp())
    csv = tmp / "seed.csv"
    simulate_seed(500, random_seed=0).to_csv(csv, index=False)
    script = tmp / "sm_logit.py"
    script.write_text(CLI_STATSMODELS)
    exe = Path(sys.executable).with_name("bayeslogit")
    cmds = {
        "bayeslogit fit": [str(exe), "fit", str(csv), "y ~ x1 + x2"],
        "statsmodels smf.logit": [sys.executable, str(script), str(csv)],
        # the default before tune=None (200 warm-up iterations for bayeslogit's NUTS)
        "bayeslogit fit --tune 1000": [str(exe), "fit", str(csv), "y ~ x1 + x2", "--tune", "1000"],
        "bayeslogit --help": [str(exe), "--help"],
        # the same fit with numba imported first, so that no warm sampler process is forked
        # (bayeslogit/fit/nuts/warm.py): the kernel loads in-process, as before that change
        "bayeslogit fit, in-process kernel": [
            sys.executable,
            "-c",
            "import sys, numba; from bayeslogit.cli import main; sys.exit(main(sys.argv[1:]))",
            "fit",
            str(csv),
            "y ~ x1 + x2",
        ],
    }
    import resource

    times = {k: [] for k in cmds}
    cpu = {k: [] for k in cmds}  # user + system CPU seconds of the child: less sensitive to load
    for rep in range(reps + 1):  # the first round warms the page cache (and numba's disk cache)
        for label, cmd in cmds.items():
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, text=True)
            dt = time.perf_counter() - t
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode != 0:
                raise RuntimeError(f"{label} failed: {proc.stderr[-1000:]}")
            if rep:
                times[label].append(dt)
                cpu[label].append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    best = {k: min(v) for k, v in times.items()}
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    out = {
        "median_s": med,
        "best_s": best,
        "all_s": times,
        "median_cpu_s": med_cpu,
        "all_cpu_s": cpu,
        "ratio_cpu_fit_vs_statsmodels": med_cpu["bayeslogit fit"] / med_cpu["statsmodels smf.logit"],
        "load_avg": os.getloadavg(),
        "ratio_fit_vs_statsmodels": med["bayeslogit fit"] / med["statsmodels smf.logit"],
        "ratio_fit_tune1000_vs_statsmodels": med["bayeslogit fit --tune 1000"] / med["statsmodels smf.logit"],
        "ratio_cpu_fit_tune1000_vs_statsmodels": (
            med_cpu["bayeslogit fit --tune 1000"] / med_cpu["statsmodels smf.logit"]
        ),
        "ratio_fit_vs_statsmodels_best": best["bayeslogit fit"] / best["statsmodels smf.logit"],
        "ratio_in_process_vs_statsmodels": med["bayeslogit fit, in-process kernel"] / med["statsmodels smf.logit"],
        "ratio_cpu_in_process_vs_statsmodels": (
            med_cpu["bayeslogit fit, in-process kernel"] / med_cpu["statsmodels smf.logit"]
        ),
    }
    print(json.dumps(out, indent=1), flush=True)
    return out


def levels_child(n: int, levels: int) -> dict:
    """Time to build (or refuse) ``y ~ x1 + C(g)`` with a ``levels``-level factor."""
    import pandas as pd

    rng = np.random.default_rng(5)
    df = pd.DataFrame(
        {"y": rng.integers(0, 2, n), "x1": rng.normal(size=n), "g": rng.integers(0, levels, n).astype(str)}
    )
    t = time.perf_counter()
    try:
        bl.LogitModel("y ~ x1 + C(g)", df)
        outcome = "built"
    except bl.DesignError as exc:
        outcome = f"DesignError: {exc}"[:400]
    return {"n": n, "levels": levels, "seconds": time.perf_counter() - t, "outcome": outcome, "peak_rss_mb": _rss_mb()}


def pipeline_child(n: int, n_noise: int, workdir: str) -> dict:
    """One large-data scenario, in this (fresh) process: times per step, file size, peak RSS."""
    import resource
    import tempfile
    import warnings

    df = simulate_seed(n, random_seed=11, n_noise=n_noise)
    new = simulate_seed(1000, random_seed=12, n_noise=n_noise).drop(columns="y")
    out: dict = {"n": n, "p": 3 + n_noise}
    t = time.perf_counter()
    model = bl.LogitModel(formula_for(n_noise), df)
    out["model_s"] = time.perf_counter() - t
    t = time.perf_counter()
    post = model.sample(random_seed=1, progressbar=False)
    out["sample_s"] = time.perf_counter() - t
    out["sampler"] = post.method_label
    out["rss_after_sample_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path = Path(tempfile.mkdtemp(dir=workdir))
    steps = {
        "diagnostics": lambda: post.diagnostics(),
        "report": lambda: post.report(path / "report.html", progress=False),
        "save": lambda: post.save(path / "fit.nc"),
        "load": lambda: bl.load(path / "fit.nc"),
    }
    results = {}
    for name, fn in steps.items():
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results[name] = fn()
        out[f"{name}_s"] = time.perf_counter() - t
    t = time.perf_counter()
    results["load"].predict(new)
    out["predict_s"] = time.perf_counter() - t
    diag = results["diagnostics"]
    out["loo_method"] = diag.loo_method
    out["elpd_loo"] = float(diag.loo.elpd) if diag.loo is not None else None
    out["min_ess_bulk"] = float(diag.per_coef["ess_bulk"].min())
    out["max_rhat"] = float(diag.per_coef["r_hat"].max())
    out["file_mb"] = (path / "fit.nc").stat().st_size / 1e6
    out["after_sampling_s"] = sum(out[f"{k}_s"] for k in ("diagnostics", "report", "save", "load", "predict"))
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def bench_pipeline(quick: bool) -> dict:
    """Each scenario in a fresh subprocess (its own peak RSS), under an address-space limit."""
    import subprocess
    import tempfile

    res = {}
    for name, cfg in (PIPELINE_QUICK if quick else PIPELINE).items():
        limit = int(cfg["limit_gb"] * 2**30)
        code = (
            "import json, resource, sys; "
            f"resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit})); "
            f"sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
            "import bench; "
            f"print('RESULT ' + json.dumps(bench.pipeline_child({cfg['n']}, {cfg['n_noise']}, {tempfile.gettempdir()!r})))"
        )
        print(f"pipeline {name}: {cfg}", flush=True)
        t = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        if proc.returncode != 0 or not line:
            res[name] = {"error": proc.stderr[-2000:], "wall_s": time.perf_counter() - t}
        else:
            res[name] = json.loads(line[0][7:])
        print(json.dumps(res[name], indent=1), flush=True)
    return res


def bench_laplace_loo(quick: bool = False) -> dict:
    """Laplace LOO with the approximate-posterior correction against NUTS's PSIS-LOO on the same
    model and data (n = 10,000, p = 20: exact LOO by row blocks for both), and the vectorised PSIS
    (``bayeslogit._psis``) against ArviZ's per-observation loop on one 2,000-row block of the
    NUTS fit's log-likelihood (64 MB)."""
    import warnings

    from arviz_stats.base import array_stats

    from bayeslogit import _psis
    from bayeslogit.interpret.loo import psis_loo

    n, n_noise = (2_000, 17) if quick else (10_000, 17)
    df = simulate_seed(n, random_seed=31, n_noise=n_noise)
    formula = "y ~ " + " + ".join(c for c in df.columns if c != "y")
    model = bl.LogitModel(formula, df)
    out = {"n": n, "p": 3 + n_noise}
    t = time.perf_counter()
    nuts = model.sample(random_seed=1, progressbar=False)
    out["nuts_sample_s"] = time.perf_counter() - t
    t = time.perf_counter()
    lap = model.sample(method="laplace", random_seed=1, progressbar=False)
    out["laplace_sample_s"] = time.perf_counter() - t
    for name, fit in (("nuts", nuts), ("laplace", lap)):
        t = time.perf_counter()
        res = psis_loo(fit)
        e = res.elpd_data
        out[name] = {
            "loo_s": time.perf_counter() - t,
            "elpd": e.elpd,
            "se": e.se,
            "p": e.p,
            "max_k": float(np.nanmax(e.pareto_k.values)),
            "label": res.label,
        }
    out["elpd_diff_laplace_minus_nuts"] = out["laplace"]["elpd"] - out["nuts"]["elpd"]
    out["p_diff_laplace_minus_nuts"] = out["laplace"]["p"] - out["nuts"]["p"]
    m = min(n, 2_000)
    ll = nuts.design.response_family.loglik_rows(nuts.design, slice(0, m), nuts.draws())
    C, D = nuts.n_chains, nuts.n_draws
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        ref = array_stats.loo(ll.reshape(m, C, D), chain_axis=1, draw_axis=2, r_eff=1.0)
        t_arviz = time.perf_counter() - t
        t = time.perf_counter()
        got = _psis.loo_rows(ll, r_eff=1.0)
        t_ours = time.perf_counter() - t
    out["psis_block"] = {
        "rows": m,
        "draws": C * D,
        "arviz_loop_s": t_arviz,
        "vectorised_s": t_ours,
        "speedup": t_arviz / t_ours,
        "max_rel_diff_elpd_i": float(np.max(np.abs(got[0] - ref[0]) / np.abs(ref[0]))),
    }
    print(json.dumps(out, indent=1), flush=True)
    return out


def bench_gradient_variants(quick: bool = False, repeats: int = 200) -> dict:
    """The NUTS kernel's log density + gradient at n = 100,000, p = 23 (benchmark L's design):
    float64 X (the kernel's) against a float32 copy of X (float64 accumulation), on one thread
    and on two threads at once (as the sampler runs 4 chains on 2 cores); alternating rounds,
    medians, ratios within this run."""
    import threading

    from bayeslogit.fit.nuts import density, kernel

    n = 20_000 if quick else 100_000
    df = simulate_seed(n, random_seed=0, n_noise=20)
    formula = "y ~ " + " + ".join(c for c in df.columns if c != "y")
    dens = density.LogDensity.from_model(bl.LogitModel(formula, df))
    rest = (dens.y, dens.m, dens.T, dens.family.astype(np.int64), dens.mu, dens.sigma, dens.nu)
    Xs = {"float64": dens.X, "float32": dens.X.astype(np.float32)}
    beta = np.full(dens.dim, 0.01)

    def run(X, times):
        g = np.empty(dens.dim)
        t = time.perf_counter()
        for _ in range(repeats):
            kernel.logp_grad(beta, X, *rest, g)
        times.append((time.perf_counter() - t) / repeats)

    for X in Xs.values():
        run(X, [])  # compile / load both specialisations
    res = {k: {"1 thread": [], "2 threads": []} for k in Xs}
    for _ in range(3 if quick else 5):
        for k, X in Xs.items():
            run(X, res[k]["1 thread"])
            both: list = []
            ths = [threading.Thread(target=run, args=(X, both)) for _ in range(2)]
            [th.start() for th in ths]
            [th.join() for th in ths]
            res[k]["2 threads"].append(float(np.mean(both)))
    med = {k: {t: float(np.median(v)) for t, v in d.items()} for k, d in res.items()}
    g64, g32 = np.empty(dens.dim), np.empty(dens.dim)
    lp64 = kernel.logp_grad(beta, Xs["float64"], *rest, g64)
    lp32 = kernel.logp_grad(beta, Xs["float32"], *rest, g32)
    out = {
        "n": n,
        "p": dens.dim,
        "median_s": med,
        "all_s": res,
        "ratio_float32_vs_float64": {t: med["float32"][t] / med["float64"][t] for t in ("1 thread", "2 threads")},
        "abs_logp_diff": float(abs(lp64 - lp32)),
        "max_abs_grad_diff": float(np.max(np.abs(g64 - g32))),
    }
    print(json.dumps({k: v for k, v in out.items() if k != "all_s"}, indent=1), flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--size",
        choices=[
            "S",
            "L",
            "pipeline",
            "big",
            "N1M",
            "Lap10M",
            "cli",
            "levels",
            "laplace-loo",
            "grad",
            "dask",
            "groups",
            "glmm",
            "categorical",
            "all",
        ],
        default="all",
    )
    ap.add_argument("--quick", action="store_true", help="small, one repetition: a smoke check")
    ap.add_argument("--out", default="benchmarks/results/bench.json", help="JSON output path")
    ap.add_argument(
        "--extra",
        action="store_true",
        help="also time bayeslogit with sampler='nutpie' and 'pymc' (S) and method='laplace'",
    )
    args = ap.parse_args(argv)
    cfgs = QUICK if args.quick else SIZES
    sizes = ["S", "L"] if args.size == "all" else ([args.size] if args.size in ("S", "L") else [])
    t0 = time.perf_counter()
    import pymc  # noqa: F401  (imported up front: the import is not part of either fit's time)

    results = {
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_avg_start": os.getloadavg(),
        },
        "versions": {"bayeslogit": bl.__version__, "pymc": pymc.__version__},
        "quick": args.quick,
        "sizes": {},
    }
    for size in sizes:
        print(f"size {size}: {cfgs[size]}", flush=True)
        contestants = {"bayeslogit": {}}
        if args.extra:
            contestants["bayeslogit laplace"] = {"method": "laplace"}
            if size == "S":
                contestants["bayeslogit[nutpie]"] = {"sampler": "nutpie"}
                contestants["bayeslogit[pymc]"] = {"sampler": "pymc"}
        results["sizes"][size] = bench_size(size, cfgs[size], contestants=contestants)
    if args.size in ("pipeline", "all"):
        results["pipeline"] = bench_pipeline(args.quick)
    if args.size in ("cli", "all"):
        print("cli: whole processes, bayeslogit fit vs statsmodels, on the seed's 500 rows", flush=True)
        results["cli"] = bench_cli()
    if args.size in ("laplace-loo", "all"):
        print("laplace-loo: corrected Laplace LOO vs NUTS PSIS-LOO; vectorised PSIS vs ArviZ's loop", flush=True)
        results["laplace_loo"] = bench_laplace_loo(args.quick)
    if args.size in ("grad", "all"):
        print("grad: the kernel's gradient at n = 100,000, p = 23, float64 vs float32 X", flush=True)
        results["gradient_variants"] = bench_gradient_variants(args.quick)
    if args.size in ("glmm", "all"):
        print(
            "glmm: fit_mle() with group terms (Laplace, nAGQ=25) on cbpp, Seeds, 100,000 rows x 1,000 levels",
            flush=True,
        )
        from bench_glmm import bench_glmm  # benchmarks/ is on sys.path when this file runs as a script

        results["glmm"] = bench_glmm(args.quick)
    if args.size in ("groups", "all"):
        print(
            "groups: Seeds, cbpp, a correlated slope, the horseshoe; warm fits, bayeslogit's NUTS vs nutpie", flush=True
        )
        from groups import compare, large  # benchmarks/groups.py

        results["groups"] = compare(1 if args.quick else 5)
        rows, levels = (5_000, 100) if args.quick else (100_000, 1000)
        print(f"groups: y ~ x + (1 + x | g), {rows:,} rows x {levels:,} levels, ESS/s vs nutpie", flush=True)
        results["groups"]["large"] = large(rows, levels)
    if args.size in ("categorical", "all"):  # issue 23 (bench_categorical.py)
        print("categorical: wine posterior warm; 100,000 x 10 x 5 ESS/s, bayeslogit's NUTS vs nutpie", flush=True)
        from bench_categorical import bench_categorical

        results["categorical"] = bench_categorical(args.quick)
    if args.size in ("levels", "all"):
        print("levels: y ~ x1 + C(g), g with 5,000 levels, 100,000 rows", flush=True)
        out, err = _run_child("bench.levels_child(100_000, 5000)", 8)
        results["levels"] = out if out is not None else {"error": err}
        print(json.dumps(results["levels"], indent=1), flush=True)
    if args.size in ("big", "N1M", "Lap10M", "all"):
        results["big"] = bench_big(args.quick, None if args.size in ("big", "all") else [args.size])
    if args.size in ("dask", "all"):  # issue 25: 3e7 rows from Parquet under a 3 GB cap (bench_dask.py)
        from bench_dask import bench_dask

        n = 1_000_000 if args.quick else None
        results["dask"] = bench_dask(
            rows=n or 30_000_000, cap_gb=3.0, cluster_rows=1_000_000, factor_rows=n or 100_000_000
        )
    results["machine"]["load_avg_end"] = os.getloadavg()
    results["total_seconds"] = time.perf_counter() - t0
    if sizes:
        print_table(results)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"\nwrote {out} ({results['total_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
