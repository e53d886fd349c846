"""Issue 25's targets: fits of Parquet data larger than memory, with dask.

``python benchmarks/bench.py --size dask`` (or ``python benchmarks/bench_dask.py``) writes
``rows x 8`` standard-normal predictors and a 0/1 outcome to Parquet (row groups of 250,000
rows, written in chunks so that the writer never holds the table), then in a fresh
subprocess capped at ``--cap-gb`` of address space (``RLIMIT_AS``; default 3 GB, the issue's
target) runs ``fit_mle()`` and ``sample(method="laplace")`` (then its subsampled ``loo()``,
``report()`` and ``save()`` + ``bl.load()``) on ``dd.read_parquet`` with the threads scheduler,
recording the seconds of each step, the number of data passes and the peak
resident memory (``ru_maxrss``). dask-ml's ``LogisticRegression`` (a point estimate without
standard errors) is timed in the same child when it is installed (with the largest difference of
its coefficients from ``fit_mle()``'s); otherwise the result says so.
A second check fits the first ``--cluster-rows`` rows on the threads scheduler and on a
``distributed.LocalCluster`` of two worker processes and reports the largest difference of
the coefficients and standard errors. A third writes ``--factor-rows`` rows of four two-level
factors and a ten-level factor (default the issue's 10^8), ``compress()``es them to their
patterns in a capped child and samples NUTS (the defaults) on them in memory.

Defaults: the issue's 3 x 10^7 rows (``--rows``); ``--quick``: 10^6 rows for both.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREDICTORS = 8
ROW_GROUP = 250_000
FORMULA = "y ~ " + " + ".join(f"x{j}" for j in range(PREDICTORS))


def write_parquet(path: Path, rows: int, *, seed: int = 25) -> float:
    """``rows`` rows of ``x0..x7 ~ N(0, 1)`` and ``y ~ Bernoulli(logit^-1(0.2 + x beta))``,
    written chunk by chunk; returns the seconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    beta = np.linspace(-0.4, 0.4, PREDICTORS)
    schema = pa.schema([(f"x{j}", pa.float64()) for j in range(PREDICTORS)] + [("y", pa.int64())])
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, ROW_GROUP):
            n = min(ROW_GROUP, rows - start)
            X = rng.standard_normal((n, PREDICTORS))
            y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + X @ beta)))).astype(np.int64)
            writer.write_table(pa.table({**{f"x{j}": X[:, j] for j in range(PREDICTORS)}, "y": y}, schema=schema))
    return time.perf_counter() - t


CHILD = """
import json, resource, sys, time
import numpy as np, dask, dask.dataframe as dd, pyarrow, pyarrow.parquet as pq
import bayeslogit as bl
import bayeslogit.fit.distributed as fd, bayeslogit.results.distributed

path, formula, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
laplace_draws = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
pyarrow.set_cpu_count(1); pyarrow.set_io_thread_count(1)
with dask.config.set(scheduler="threads", num_workers=2):   # thread pools started before the cap
    dd.read_parquet(path, split_row_groups=True).partitions[:2].x0.sum().compute()
import bayeslogit.check.dask_report, bayeslogit.io, matplotlib.figure  # the report's modules, before the cap
try:  # dask-ml (optional) imported before the cap too, as bayeslogit is
    from dask_ml.linear_model import LogisticRegression
    dask_ml_missing = None
except ImportError as exc:
    dask_ml_missing = f"not installed ({exc})"
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
passes = {"n": 0}
real = fd.data_pass
def counted(*a, **k):
    passes["n"] += 1
    return real(*a, **k)
fd.data_pass = counted
out = {}
with dask.config.set(scheduler="threads", num_workers=2):
    ddf = dd.read_parquet(path, split_row_groups=True)
    t = time.perf_counter(); model = bl.LogitModel(formula, ddf); out["design_s"] = time.perf_counter() - t
    t = time.perf_counter(); mle = model.fit_mle(); out["fit_mle_s"] = time.perf_counter() - t
    out["fit_mle_passes"] = passes["n"]; out["fit_mle_iterations"] = mle.iterations
    out["params"] = mle.params.tolist(); out["bse"] = mle.bse.tolist()
    if laplace_draws:
        t = time.perf_counter()
        post = model.sample(method="laplace", draws=laplace_draws, chains=4, random_seed=1)
        out["laplace_s"] = time.perf_counter() - t
        out["pareto_k"] = post.pareto_k; out["ess_importance"] = post.ess_importance
        import os, tempfile
        where = tempfile.mkdtemp()
        t = time.perf_counter(); loo = post.loo(); out["loo_s"] = time.perf_counter() - t
        out["loo_subsampling_se"] = loo.elpd_data.subsampling_se
        t = time.perf_counter(); post.report(os.path.join(where, "r.html")); out["report_s"] = time.perf_counter() - t
        t = time.perf_counter(); post.save(os.path.join(where, "p.nc")); bl.load(os.path.join(where, "p.nc"))
        out["save_load_s"] = time.perf_counter() - t
    else:
        out["laplace"] = "skipped (--laplace-draws 0)"
    if dask_ml_missing:
        out["dask_ml"] = dask_ml_missing
    else:  # one array of the same frame: projected separately, X and y can come out in different partitions
        try:
            t = time.perf_counter()
            cols = [c for c in ddf.columns if c != "y"]
            arr = ddf[cols + ["y"]].to_dask_array(lengths=True)
            lr = LogisticRegression(penalty="none", solver="newton").fit(arr[:, : len(cols)], arr[:, len(cols)])
            out["dask_ml_s"] = time.perf_counter() - t
            theirs = np.concatenate([[lr.intercept_], np.ravel(lr.coef_)])
            out["dask_ml_max_abs_diff_params"] = float(np.max(np.abs(theirs - np.asarray(out["params"]))))
        except Exception as exc:  # a failure of dask-ml is reported, not the end of the run
            out["dask_ml"] = f"failed: {type(exc).__name__}: {str(exc)[:300]}"
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def fit_capped(path: Path, cap_gb: float, laplace_draws: int = 1000) -> dict:
    return _capped_child(CHILD, path, FORMULA, cap_gb, str(laplace_draws))


def _capped_child(code: str, path: Path, formula: str, cap_gb: float, *extra: str) -> dict:
    env = dict(
        os.environ,
        ARROW_DEFAULT_MEMORY_POOL="system",
        MALLOC_ARENA_MAX="1",
        MALLOC_MMAP_THRESHOLD_="131072",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path), formula, str(int(cap_gb * 2**30)), *extra],
        capture_output=True,
        text=True,
        env=env,
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        return {"error": f"exit {proc.returncode}: {proc.stderr[-2000:]}"}
    out = json.loads(line[0][7:])
    out["process_wall_s"] = time.perf_counter() - t
    return out


def cluster_check(path: Path, rows: int) -> dict:
    """The same fit on threads and on a LocalCluster of two worker processes."""
    import dask
    import dask.dataframe as dd
    import distributed

    import bayeslogit as bl

    ddf = dd.read_parquet(path, split_row_groups=True).partitions[: max(1, rows // ROW_GROUP)]
    with dask.config.set(scheduler="threads"):
        a = bl.LogitModel(FORMULA, ddf).fit_mle()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        with distributed.Client(lc) as client, client.as_current():
            t = time.perf_counter()
            b = bl.LogitModel(FORMULA, ddf).fit_mle()
            seconds = time.perf_counter() - t
    return {
        "rows": int(a.nobs),
        "local_cluster_s": seconds,
        "max_abs_diff_params": float(np.max(np.abs(a.params - b.params))),
        "max_abs_diff_bse": float(np.max(np.abs(a.bse - b.bse))),
    }


FACTOR_FORMULA = "y ~ C(a) + C(b) + C(c) + C(d) + C(g)"


def write_factor_parquet(path: Path, rows: int, *, seed: int = 26) -> float:
    """Four two-level factors and a ten-level factor (160 cells), int8 columns, 0/1 outcome."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = time.perf_counter()
    rng = np.random.default_rng(seed)
    effects = rng.normal(0, 0.5, size=10)
    with pq.ParquetWriter(path, pa.schema([(c, pa.int8()) for c in "abcdgy"])) as writer:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            cols = {c: rng.integers(0, 2, n, dtype=np.int8) for c in "abcd"}
            cols["g"] = rng.integers(0, 10, n, dtype=np.int8)
            eta = -1 + 0.3 * cols["a"] - 0.2 * cols["b"] + 0.1 * cols["c"] + effects[cols["g"]]
            cols["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.int8)
            writer.write_table(pa.table(cols))
    return time.perf_counter() - t


COMPRESS_CHILD = """
import json, resource, sys, time
import dask, dask.dataframe as dd, pyarrow
import bayeslogit as bl
import bayeslogit.fit.distributed
path, formula, cap = sys.argv[1], sys.argv[2], int(sys.argv[3])
pyarrow.set_cpu_count(1); pyarrow.set_io_thread_count(1)
with dask.config.set(scheduler="threads", num_workers=2):
    dd.read_parquet(path, split_row_groups=True).partitions[:2].a.sum().compute()
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
out = {}
with dask.config.set(scheduler="threads", num_workers=2):
    t = time.perf_counter(); model = bl.LogitModel(formula, dd.read_parquet(path, split_row_groups=True))
    out["design_s"] = time.perf_counter() - t
    t = time.perf_counter(); small = model.compress(); out["compress_s"] = time.perf_counter() - t
out["patterns"] = small.design.n_obs
t = time.perf_counter(); post = small.sample(random_seed=1, progressbar=False); out["nuts_s"] = time.perf_counter() - t
import arviz as az
out["min_ess_bulk"] = float(az.ess(post.idata.posterior["beta"].values, method="bulk").min())
out["summary_says"] = [l.strip() for l in str(post.summary()).splitlines() if "patterns" in l][:1]
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
"""


def compress_and_sample(path: Path, cap_gb: float) -> dict:
    """``compress()`` the factor data and sample NUTS on the patterns, in a capped child."""
    return _capped_child(COMPRESS_CHILD, path, FACTOR_FORMULA, cap_gb)


def bench_dask(
    *, rows: int, cap_gb: float, cluster_rows: int, factor_rows: int | None = None, laplace_draws: int = 1000
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.parquet"
        print(f"dask: writing {rows:,} rows x {PREDICTORS} predictors to Parquet", flush=True)
        res: dict = {"rows": rows, "predictors": PREDICTORS, "cap_gb": cap_gb, "write_s": write_parquet(path, rows)}
        res["parquet_mb"] = path.stat().st_size / 2**20
        res["design_mb"] = rows * (PREDICTORS + 1) * 8 / 2**20
        print(f"dask: fit_mle and method='laplace' under RLIMIT_AS = {cap_gb} GB", flush=True)
        res["capped"] = fit_capped(path, cap_gb, laplace_draws)
        print(json.dumps(res["capped"], indent=1), flush=True)
        res["local_cluster"] = cluster_check(path, min(rows, cluster_rows))
        print(json.dumps(res["local_cluster"], indent=1), flush=True)
        path.unlink()
        if factor_rows:
            fpath = Path(tmp) / "factors.parquet"
            print(f"dask: {factor_rows:,} rows of five factors, compressed, NUTS on the patterns", flush=True)
            res["compressed"] = {"rows": factor_rows, "write_s": write_factor_parquet(fpath, factor_rows)}
            res["compressed"].update(compress_and_sample(fpath, cap_gb))
            print(json.dumps(res["compressed"], indent=1), flush=True)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=30_000_000)
    ap.add_argument("--quick", action="store_true", help="10^6 rows")
    ap.add_argument("--cap-gb", type=float, default=3.0)
    ap.add_argument("--cluster-rows", type=int, default=1_000_000)
    ap.add_argument("--factor-rows", type=int, default=100_000_000, help="the compression scenario (0: skip)")
    ap.add_argument("--laplace-draws", type=int, default=1000, help="per chain, 4 chains (0: skip the Laplace fit)")
    ap.add_argument("--out", default="benchmarks/results/bench_dask.json")
    args = ap.parse_args(argv)
    res = bench_dask(
        rows=1_000_000 if args.quick else args.rows,
        cap_gb=args.cap_gb,
        cluster_rows=args.cluster_rows,
        factor_rows=1_000_000 if args.quick and args.factor_rows else args.factor_rows,
        laplace_draws=args.laplace_draws,
    )
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
