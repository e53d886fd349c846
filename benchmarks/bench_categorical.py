"""The categorical families' targets (issue 23), from one run: bayeslogit's NUTS against nutpie.

- **wine** (scikit-learn's ``load_wine``: 178 rows, 13 standardized predictors, 3 outcomes;
  separated, so only the MAP and the posterior exist): the MAP under ``sklearn_prior(C=1)``,
  then the posterior (4 chains x 1000 draws, ``sample()``'s defaults) with bayeslogit's NUTS,
  cold (compiling or loading the kernel) and warm; target: warm under 1 s. nutpie's warm run
  on PyMC's model beside it.
- **UCLA ordinal** (400 rows, statsmodels' test data): the MLE and the posterior.
- **100,000 rows x 10 predictors x 5 outcomes** (simulated): min bulk ESS over the parameters
  per wall second of ``sample()`` (model compile and warm-up included, 4 x 1000 draws each,
  each sampler's default warm-up), bayeslogit's NUTS and nutpie in the same process, one after
  the other; target: at least 5x nutpie's. Also per CPU second of the process (all threads),
  which a shared machine's changing load distorts less.

Run: ``python benchmarks/bench_categorical.py`` (or ``python benchmarks/bench.py --size
categorical``, which ``make bench`` includes); ``--quick`` shrinks the large data to 10,000
rows. The figures are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings

import numpy as np
import pandas as pd


def _ess_min(post) -> float:
    import arviz as az

    return float(az.ess(post.idata.posterior["theta"], method="bulk").min())


def _timed_sample(model, **kw) -> dict:
    """Wall seconds of ``sample()`` and, less sensitive to a shared machine's load, the process's
    CPU seconds (all threads: the chains', nutpie's Rust threads)."""
    t, c = time.perf_counter(), time.process_time()
    post = model.sample(draws=1000, chains=4, random_seed=1, progressbar=False, **kw)
    took, cpu = time.perf_counter() - t, time.process_time() - c
    ess = _ess_min(post)
    return {
        "seconds": took,
        "cpu_seconds": cpu,
        "ess_bulk_min": ess,
        "ess_per_s": ess / took,
        "ess_per_cpu_s": ess / cpu,
        "sampler": post.sampler,
    }


def wine() -> dict:
    from sklearn.datasets import load_wine

    import bayeslogit as bl

    data = load_wine(as_frame=True)
    X = (data.data - data.data.mean()) / data.data.std()
    X.columns = [f"x{j}" for j in range(X.shape[1])]
    df = X.assign(y=data.target_names[data.target])
    model = bl.LogitModel("y ~ " + " + ".join(X.columns), df, family="multinomial")
    out: dict = {}
    t = time.perf_counter()
    model.fit_map(priors=bl.sklearn_prior(1.0))
    out["map_sklearn_s"] = time.perf_counter() - t
    out["bayeslogit_cold"] = _timed_sample(model)
    out["bayeslogit_warm"] = min((_timed_sample(model) for _ in range(3)), key=lambda r: r["seconds"])
    _timed_sample(model, sampler="nutpie")  # nutpie compiles PyMC's model on each call: warm its caches
    out["nutpie_warm"] = _timed_sample(model, sampler="nutpie")
    out["target_s"] = 1.0
    out["target_ratio"] = out["target_s"] / out["bayeslogit_warm"]["seconds"]  # > 1: met
    return out


def ucla() -> dict:
    import statsmodels.miscmodels.tests.results as sm_results

    import bayeslogit as bl

    df = pd.read_csv(os.path.join(os.path.dirname(sm_results.__file__), "ologit_ucla.csv"))
    df["apply"] = pd.Categorical(df["apply"], ["unlikely", "somewhat likely", "very likely"], ordered=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = bl.LogitModel("apply ~ pared + public + gpa", df)
    t = time.perf_counter()
    model.fit_mle()
    return {"mle_s": time.perf_counter() - t, "bayeslogit": _timed_sample(model)}


def large(n: int = 100_000) -> dict:
    import bayeslogit as bl

    rng = np.random.default_rng(0)
    big = pd.DataFrame(rng.normal(size=(n, 10)), columns=[f"z{j}" for j in range(10)])
    B = rng.normal(scale=0.3, size=(10, 4))
    eta = np.c_[np.zeros(n), big.to_numpy() @ B]
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    big["y"] = np.array(list("abcde"))[(P.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)]
    model = bl.LogitModel("y ~ " + " + ".join(f"z{j}" for j in range(10)), big, family="multinomial")
    t = time.perf_counter()
    model.fit_mle()
    out: dict = {"n": n, "mle_s": time.perf_counter() - t}
    out["bayeslogit"] = _timed_sample(model)
    out["nutpie"] = _timed_sample(model, sampler="nutpie")
    out["ess_per_s_ratio"] = out["bayeslogit"]["ess_per_s"] / out["nutpie"]["ess_per_s"]
    out["ess_per_cpu_s_ratio"] = out["bayeslogit"]["ess_per_cpu_s"] / out["nutpie"]["ess_per_cpu_s"]
    out["target_ratio"] = 5.0
    return out


def bench_categorical(quick: bool = False) -> dict:
    """Every figure above, with the machine's load before and after each part."""
    res: dict = {"cpus": os.cpu_count()}
    for name, fn in (("wine", wine), ("ucla", ucla), ("large", lambda: large(10_000 if quick else 100_000))):
        load0 = os.getloadavg()[0]
        res[name] = fn()
        res[name]["load_avg"] = [load0, os.getloadavg()[0]]
        print(name, json.dumps(res[name], indent=1), flush=True)
    w, big = res["wine"], res["large"]
    print(
        f"\nwine posterior warm: {w['bayeslogit_warm']['seconds']:.2f} s (target 1 s: "
        f"{w['target_ratio']:.1f}x under it; nutpie {w['nutpie_warm']['seconds']:.1f} s)\n"
        f"{big['n']:,} x 10 x 5: ESS/s bayeslogit {big['bayeslogit']['ess_per_s']:.1f}, nutpie "
        f"{big['nutpie']['ess_per_s']:.1f}: {big['ess_per_s_ratio']:.1f}x (target 5x); per CPU second "
        f"{big['ess_per_cpu_s_ratio']:.1f}x",
        flush=True,
    )
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="10,000 rows for the large data")
    ap.add_argument("--out", default=None, help="JSON output path")
    args = ap.parse_args()
    res = bench_categorical(args.quick)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
