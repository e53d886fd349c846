"""Memory stays bounded: nothing of size draws x rows is ever held whole.

A synthetic posterior (no sampling: Laplace draws around the posterior mode, wrapped like a
NUTS fit) with 100,000 rows and 1,000 draws: one float64 draws x rows array would be 800 MB.
Diagnostics, LOO (subsampled at this size), fit quality, save + load and predict run under
``tracemalloc`` with the row blocks capped at 8 MiB; the traced peak must stay far below one
such array (the largest piece left is ArviZ's subsampled LOO, a few draws x 2,000 arrays), and
no kernel may build a block above the cap.

Each scenario runs in a fresh subprocess under an address-space limit, so a regression fails
with a ``MemoryError`` instead of taking the machine down.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SETUP = """
import json, resource, sys, time, tracemalloc, warnings
resource.setrlimit(resource.RLIMIT_AS, (__LIMIT__, __LIMIT__))
import numpy as np
import bayeslogit as bl
from bayeslogit import _blocks
from bayeslogit.datasets import simulate_seed
from bayeslogit.fit.nuts.driver import to_datatree
from bayeslogit.results.posterior import PosteriorResults

_blocks.BLOCK_BYTES = 8 * 2**20
df = simulate_seed(__N__, random_seed=1, n_noise=2)
model = bl.LogitModel("y ~ x1 + x2 + z1 + z2", df)
mode = model.fit_map()
cov = np.asarray(mode.cov_params())
rng = np.random.default_rng(0)
beta = mode.params.to_numpy() + rng.standard_normal((4, __DRAWS__, cov.shape[0])) @ np.linalg.cholesky(cov).T
post = PosteriorResults(model, to_datatree(model, beta), sampler="bayeslogit", random_seed=0)
new = df.iloc[:1000].drop(columns="y")
"""


def _run(body: str, *, n: int, draws: int, limit_gb: float = 6.0) -> dict:
    code = (SETUP.replace("__LIMIT__", str(int(limit_gb * 2**30))).replace("__DRAWS__", str(draws))
            .replace("__N__", str(n)))
    code += textwrap.dedent(body)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_diagnostics_loo_save_load_predict_at_100k_rows_hold_no_draws_x_rows_array(tmp_path):
    res = _run(f"""
        tracemalloc.start()
        t0 = time.perf_counter()
        diag = post.diagnostics()
        loo = post.loo()
        post.save({str(tmp_path / 'fit.nc')!r})
        loaded = bl.load({str(tmp_path / 'fit.nc')!r})
        pred = loaded.predict(new)
        peak = tracemalloc.get_traced_memory()[1]
        print(json.dumps(dict(peak=peak, seconds=time.perf_counter() - t0, method=loo.method,
                              m=int(loo.rows.size), k_checks=diag.to_frame().loc["Pareto k (PSIS-LOO)", "value"],
                              largest=_blocks.largest_block_cells, nrows=len(pred),
                              size=__import__("os").path.getsize({str(tmp_path / 'fit.nc')!r}))))
    """, n=100_000, draws=250)
    one_array = 100_000 * 1000 * 8  # 800 MB
    assert res["method"] == "subsample" and res["m"] == 2000 and res["nrows"] == 1000
    assert res["largest"] * 8 <= 8 * 2**20, res
    # ArviZ's loo_subsample holds a few copies of draws x subsample (1,000 x 2,000 x 8 B = 16 MB):
    # ~130 MB; one materialised draws x rows array alone would be 800 MB
    assert res["peak"] < 200e6, f"traced peak {res['peak'] / 1e6:.0f} MB (one draws x rows array is {one_array / 1e6:.0f} MB)"
    assert res["size"] < 8e6, res  # data (5 columns x 100,000 rows) + draws, compressed


def test_report_at_20k_rows_holds_no_draws_x_rows_array(tmp_path):
    res = _run(f"""
        tracemalloc.start()
        t0 = time.perf_counter()
        post.report({str(tmp_path / 'r.html')!r}, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        page = open({str(tmp_path / 'r.html')!r}).read()
        print(json.dumps(dict(peak=peak, seconds=time.perf_counter() - t0, largest=_blocks.largest_block_cells,
                              binned="binned into 1,000 groups of about 20 rows" in page,
                              pav="Drawn from the 2,000 rows of the LOO subsample (of 20,000)" in page,
                              method="PSIS-LOO with subsampling: 2,000 of 20,000 rows" in page,
                              resid="cut into 50 bins of about 400 rows" in page,
                              ppc="from 500 evenly spaced of the 4,000 draws" in page,
                              oos="2,000 rows of the LOO subsample (of 20,000)" in page,
                              ame="random subsample of 2,000 of the 20,000 training rows" in page, sections=all(f"id='{{a}}'" in page for a in ("ppc", "pairs", "effects", "run")))))
    """, n=20_000, draws=1000)
    assert res["binned"] and res["pav"] and res["method"], res  # per-row plots say how they reduce rows
    assert res["resid"] and res["ppc"] and res["oos"] and res["ame"] and res["sections"], res  # the new sections too
    assert res["seconds"] < 90, res  # ~13 s on a loaded 2-core machine
    one_array = 20_000 * 4000 * 8  # 640 MB
    assert res["largest"] * 8 <= 8 * 2**20, res
    assert res["peak"] < 160e6, f"traced peak {res['peak'] / 1e6:.0f} MB (one draws x rows array is {one_array / 1e6:.0f} MB)"
