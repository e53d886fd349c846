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

``tune``: bayeslogit's NUTS with warm-ups of 150 to 1000 iterations, ``seeds`` runs each:
divergences, max R-hat, min bulk ESS (the measurement behind ``DEFAULT_TUNE_GROUPS``).

Usage::

    python benchmarks/groups.py compare [--reps 5] [--models horseshoe]
    python benchmarks/groups.py tune [--seeds 5]
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
        "sampler": post.sampler,
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
    ap.add_argument("what", choices=["compare", "tune"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--out", default=None, help="JSON output path")
    ap.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ", ".join(MODELS))
    args = ap.parse_args(argv)
    import pymc  # noqa: F401  (imported up front: not part of either fit's time)

    for name in set(MODELS) - set(args.models.split(",")):
        del MODELS[name]
    res = compare(args.reps) if args.what == "compare" else tune_sweep(args.seeds)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
