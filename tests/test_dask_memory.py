"""Out of core (issue 25): a Parquet data set whose design matrix is larger than the memory a
capped process may still allocate is fitted from dask, in that process.

The child process imports everything, starts its thread pools (pyarrow's, dask's: a thread
cannot be started under the cap), reads its own address-space size ``V``, caps itself at
``V + HEADROOM`` bytes (``RLIMIT_AS``: every further allocation and file read must fit in the
headroom; pyarrow's system allocator, one malloc arena and a fixed mmap threshold, so that
address space reserved but unused is not what runs out) and fits ``fit_mle()`` on ``dd.read_parquet`` with the threads scheduler,
then ``sample(method="laplace")``, its ``loo()`` (rows subsampled across the partitions), its
``report()`` and ``save()``. The design matrix alone (``rows x columns x 8`` bytes) is larger than the
headroom, so holding the data would fail (checked: reading the file with pandas in the same
capped child raises ``MemoryError``). The reference is the in-memory fit of the same rows in
this (uncapped) process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

pytest.importorskip("dask.dataframe")
pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")

ROWS, PREDICTORS, ROW_GROUP = 5_000_000, 6, 100_000
HEADROOM = 192 * 2**20
FORMULA = "y ~ " + " + ".join(f"x{j}" for j in range(PREDICTORS))

CHILD = textwrap.dedent(
    """
    import json, resource, sys
    import numpy as np, pandas as pd, dask, dask.dataframe as dd, pyarrow, pyarrow.parquet as pq
    import bayeslogit as bl
    import bayeslogit.fit.distributed, bayeslogit.results.distributed, scipy.linalg
    import bayeslogit.check.dask_report, bayeslogit.io, matplotlib.figure, os, tempfile

    def vm(key):
        return next(int(l.split()[1]) * 1024 for l in open("/proc/self/status") if l.startswith(key))

    path, formula, headroom, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    pyarrow.set_cpu_count(1)
    pyarrow.set_io_thread_count(1)
    pq.ParquetFile(path).read_row_group(0).to_pandas()  # the thread pools exist before the cap
    with dask.config.set(scheduler="threads", num_workers=2):
        dd.read_parquet(path, split_row_groups=True).partitions[:2].x0.sum().compute()
    base = vm("VmSize:")
    resource.setrlimit(resource.RLIMIT_AS, (base + headroom, base + headroom))
    if mode == "pandas":
        try:
            pd.read_parquet(path)
        except MemoryError:
            print(json.dumps({"memory_error": True}))
        else:
            print(json.dumps({"memory_error": False}))
        sys.exit(0)
    if mode == "laplace":  # the Laplace fit, its LOO on rows subsampled across the partitions, report, file
        with dask.config.set(scheduler="threads", num_workers=2):
            model = bl.LogitModel(formula, dd.read_parquet(path, split_row_groups=True))
            post = model.sample(method="laplace", draws=100, chains=2, random_seed=4)
            loo = post.loo(observations=500, seed=1).elpd_data
            where = tempfile.mkdtemp()
            post.report(os.path.join(where, "r.html"), observations=500, seed=1)
            post.save(os.path.join(where, "p.nc"))
            html = open(os.path.join(where, "r.html")).read()
        print(json.dumps({"loo": [loo.elpd, loo.se, loo.subsampling_se], "laplace": post.params.tolist(),
                          "report_names_subsample": "subsample of 500 of 5,000,000 rows (seed 1)" in html,
                          "file_bytes": os.path.getsize(os.path.join(where, "p.nc"))}))
        sys.exit(0)
    with dask.config.set(scheduler="threads", num_workers=2):
        fit = bl.LogitModel(formula, dd.read_parquet(path, split_row_groups=True)).fit_mle()
    print(json.dumps({"params": fit.params.tolist(), "bse": fit.bse.tolist(), "n": fit.nobs,
                      "base": base, "peak": vm("VmPeak:")}))
    """
)


def _child(path, mode):
    env = dict(
        os.environ,
        ARROW_DEFAULT_MEMORY_POOL="system",
        MALLOC_ARENA_MAX="1",
        MALLOC_MMAP_THRESHOLD_="131072",
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), FORMULA, str(HEADROOM), mode],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status: Linux")
def test_parquet_larger_than_the_cap_fits(tmp_path):
    rng = np.random.default_rng(25)
    X = rng.standard_normal((ROWS, PREDICTORS)).astype(np.float64)
    beta = np.linspace(-0.5, 0.5, PREDICTORS)
    y = (rng.random(ROWS) < 1 / (1 + np.exp(-(0.2 + X @ beta)))).astype(np.int64)
    table = pa.table({**{f"x{j}": X[:, j] for j in range(PREDICTORS)}, "y": y})
    path = tmp_path / "big.parquet"
    pq.write_table(table, path, row_group_size=ROW_GROUP)
    del table
    design_bytes = ROWS * (PREDICTORS + 1) * 8
    assert design_bytes > 1.3 * HEADROOM  # the design alone (1.39x) does not fit in what the child may allocate

    assert _child(path, "pandas")["memory_error"]  # holding the data in the capped child fails
    got = _child(path, "dask")  # under the same cap: completes

    model = bl.LogitModel(FORMULA, pd.DataFrame({**{f"x{j}": X[:, j] for j in range(PREDICTORS)}, "y": y}))
    ref = model.fit_mle()
    np.testing.assert_allclose(got["params"], ref.params.to_numpy(), rtol=0, atol=1e-8)
    np.testing.assert_allclose(got["bse"], ref.bse.to_numpy(), rtol=0, atol=1e-10)
    assert got["n"] == ROWS
    # the Laplace fit, LOO (subsampled across the partitions) and the report under the same cap:
    # the in-memory Laplace fit and its subsampled LOO of the same rows and seeds
    got = _child(path, "laplace")
    post = model.sample(method="laplace", draws=100, chains=2, random_seed=4, progressbar=False)
    np.testing.assert_allclose(got["laplace"], post.params.to_numpy(), rtol=0, atol=1e-8)
    loo = post.loo(method="subsample", observations=500, seed=1).elpd_data
    np.testing.assert_allclose(got["loo"], [loo.elpd, loo.se, loo.subsampling_se], rtol=0, atol=1e-6)  # elpd ~ -3e6
    assert got["report_names_subsample"] and got["file_bytes"] < 1e6  # no rows in the file
