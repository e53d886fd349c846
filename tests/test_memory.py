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

bl.options["block_bytes"] = 8 * 2**20
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
    code = (
        SETUP.replace("__LIMIT__", str(int(limit_gb * 2**30))).replace("__DRAWS__", str(draws)).replace("__N__", str(n))
    )
    code += textwrap.dedent(body)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_diagnostics_loo_save_load_predict_at_100k_rows_hold_no_draws_x_rows_array(tmp_path):
    res = _run(
        f"""
        tracemalloc.start()
        t0 = time.perf_counter()
        diag = post.diagnostics()
        loo = post.loo()
        post.save({str(tmp_path / "fit.nc")!r})
        loaded = bl.load({str(tmp_path / "fit.nc")!r})
        pred = loaded.predict(new)
        peak = tracemalloc.get_traced_memory()[1]
        print(json.dumps(dict(peak=peak, seconds=time.perf_counter() - t0, method=loo.method,
                              m=int(loo.rows.size), k_checks=diag.to_frame().loc["Pareto k (PSIS-LOO)", "value"],
                              largest=_blocks.largest_block_cells, nrows=len(pred),
                              size=__import__("os").path.getsize({str(tmp_path / "fit.nc")!r}))))
    """,
        n=100_000,
        draws=250,
    )
    one_array = 100_000 * 1000 * 8  # 800 MB
    assert res["method"] == "subsample" and res["m"] == 2000 and res["nrows"] == 1000
    assert res["largest"] * 8 <= 8 * 2**20, res
    # ArviZ's loo_subsample holds a few copies of draws x subsample (1,000 x 2,000 x 8 B = 16 MB):
    # ~130 MB; one materialised draws x rows array alone would be 800 MB
    assert res["peak"] < 200e6, (
        f"traced peak {res['peak'] / 1e6:.0f} MB (one draws x rows array is {one_array / 1e6:.0f} MB)"
    )
    assert res["size"] < 8e6, res  # data (5 columns x 100,000 rows) + draws, compressed


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_report_at_20k_rows_holds_no_draws_x_rows_array(tmp_path):
    res = _run(
        f"""
        tracemalloc.start()
        t0 = time.perf_counter()
        post.report({str(tmp_path / "r.html")!r}, progress=False)
        peak = tracemalloc.get_traced_memory()[1]
        page = open({str(tmp_path / "r.html")!r}).read()
        print(json.dumps(dict(peak=peak, seconds=time.perf_counter() - t0, largest=_blocks.largest_block_cells,
                              binned="binned into 1,000 groups of about 20 rows" in page,
                              pav="Drawn from the 2,000 rows of the LOO subsample (of 20,000)" in page,
                              method="PSIS-LOO with subsampling: 2,000 of 20,000 rows" in page,
                              resid="cut into 50 bins of about 400 rows" in page,
                              ppc="from 500 evenly spaced of the 4,000 draws" in page,
                              oos="2,000 rows of the LOO subsample (of 20,000)" in page,
                              ame="random subsample of 2,000 of the 20,000 training rows" in page, sections=all(f"id='{{a}}'" in page for a in ("ppc", "pairs", "effects", "run")))))
    """,
        n=20_000,
        draws=1000,
    )
    assert res["binned"] and res["pav"] and res["method"], res  # per-row plots say how they reduce rows
    assert res["resid"] and res["ppc"] and res["oos"] and res["ame"] and res["sections"], res  # the new sections too
    one_array = 20_000 * 4000 * 8  # 640 MB
    assert res["largest"] * 8 <= 8 * 2**20, res
    assert res["peak"] < 160e6, (
        f"traced peak {res['peak'] / 1e6:.0f} MB (one draws x rows array is {one_array / 1e6:.0f} MB)"
    )


def test_newton_by_row_blocks_equals_one_block_and_holds_no_weighted_copy_of_x(monkeypatch):
    """Newton's ``X'WX`` by row blocks: the same mode and Hessian (to 1e-10) as one block, and
    no ``n x p`` temporary (the weighted copy of the design the unblocked product made)."""
    import tracemalloc

    import numpy as np

    import bayeslogit as bl
    from bayeslogit import _blocks
    from bayeslogit.datasets import simulate_seed
    from bayeslogit.fit.newton import newton

    df = simulate_seed(60_000, random_seed=4, n_noise=17)
    model = bl.LogitModel("y ~ x1 + x2 + " + " + ".join(f"z{k}" for k in range(1, 18)), df)
    X, y = np.ascontiguousarray(model.design.X), model.design.y
    one = newton(X, y, None, model.priors)  # 60,000 x 20 x 8 B = 9.6 MB: one block
    assert X.nbytes < bl.options["block_bytes"]
    # the unblocked product, written out: the reference for the single block
    w = np.exp(X @ one.beta) / (1 + np.exp(X @ one.beta)) ** 2
    np.testing.assert_allclose(_blocks.weighted_gram(X, w), (X * w[:, None]).T @ X, rtol=1e-13)
    monkeypatch.setitem(bl.options, "block_bytes", 64 * 2**10)  # 409 rows per block: 147 blocks
    tracemalloc.start()
    blocked = newton(X, y, None, model.priors)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(blocked.beta, one.beta, rtol=0, atol=1e-10)
    np.testing.assert_allclose(blocked.neg_hessian, one.neg_hessian, rtol=1e-10)
    assert blocked.converged and blocked.iterations == one.iterations
    # n-vectors (eta, mu, w, log-likelihood terms: ~0.5 MB each) and 64 kB blocks; the weighted
    # copy of X alone would be 9.6 MB
    assert peak < 0.5 * X.nbytes, f"traced peak {peak / 1e6:.1f} MB vs X {X.nbytes / 1e6:.1f} MB"


def test_laplace_log_density_by_row_blocks_equals_the_compiled_kernel():
    """The Laplace path's log densities by row blocks (one product ``X_b B'`` for all draws)
    equal the compiled per-draw kernel's, with Student-t and Cauchy priors and binomial rows
    (collapsed duplicates), for block sizes that do not divide the rows."""
    import numpy as np
    import pandas as pd

    import bayeslogit as bl
    from bayeslogit.fit import laplace
    from bayeslogit.fit.nuts.density import LogDensity, newton_mode

    rng = np.random.default_rng(7)
    n = 3001
    df = pd.DataFrame({"x1": rng.normal(size=n), "g": rng.choice(list("abc"), n), "m": rng.integers(1, 6, n)})
    df["y"] = rng.binomial(df["m"], 1 / (1 + np.exp(-(0.3 + 0.8 * df["x1"]))))
    model = bl.LogitModel("y ~ x1 + g", df, trials="m", priors={"x1": bl.StudentT(3, 0, 2), "g[T.b]": bl.Cauchy(0, 1)})
    dens = LogDensity.from_model(model)
    mode = newton_mode(dens)
    B = mode.beta + rng.standard_normal((257, dens.dim)) @ np.linalg.cholesky(mode.cov).T * 3
    ref = laplace.log_density(dens, B)
    for block_bytes, threads in ((8 * 257 * 7, 1), (8 * 257 * 1000, 2), (2**30, 3)):
        got = laplace.log_density_blocks(dens, B, block_bytes=block_bytes, threads=threads)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-9)


@pytest.mark.slow  # over 3 s: `make test` stays under 5 minutes on 2 cores
def test_laplace_at_200k_rows_holds_no_draws_x_rows_array():
    """``sample(method="laplace")`` at 200,000 rows, 4,000 proposals: one draws x rows array
    would be 6.4 GB; the traced peak stays near the data (X 8 MB) plus the 8 MiB blocks."""
    res = _run(
        """
        from bayeslogit.fit import laplace
        df = simulate_seed(200_000, random_seed=3, n_noise=2)
        model = bl.LogitModel("y ~ x1 + x2 + z1 + z2", df)
        tracemalloc.start()
        lap = model.sample(method="laplace", random_seed=2, progressbar=False)
        peak = tracemalloc.get_traced_memory()[1]
        print(json.dumps(dict(peak=peak, sampler=lap.sampler, k=float(lap.idata.posterior.attrs["pareto_k"]))))
    """,
        n=2000,
        draws=10,
    )
    assert res["sampler"] == "laplace+psis" and res["k"] < 0.7, res
    assert res["peak"] < 150e6, f"traced peak {res['peak'] / 1e6:.0f} MB (one draws x rows array is 6,400 MB)"


def _pivoted_qr_rank(X):
    """The rank decision of the unblocked check: a pivoted QR of X scaled by column max-abs."""
    import numpy as np
    from scipy.linalg import qr

    scale = np.abs(X).max(axis=0)
    _, R, piv = qr(X / scale, mode="economic", pivoting=True)
    diag = np.abs(np.diag(R))
    rank = int(np.sum(diag > diag.max() * max(X.shape) * np.finfo(float).eps * 10))
    return rank, sorted(piv[rank:])


@pytest.mark.parametrize("eps", [0.0, 1e-13, 1e-4])
def test_rank_check_by_blocks_decides_as_the_pivoted_qr_of_x(eps):
    """The design's rank check by a tall-skinny QR over row blocks (30,000 rows: 3 blocks)
    rejects exactly what the pivoted QR of the whole X rejects, naming the same columns."""
    import numpy as np
    import pandas as pd

    import bayeslogit as bl
    from bayeslogit.design.matrix_checks import check_rank

    rng = np.random.default_rng(2)
    n = 30_000
    df = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{j}" for j in range(6)])
    df["x6"] = df["x3"] - 2 * df["x4"] + eps * rng.normal(size=n)
    df["y"] = rng.integers(0, 2, n)
    names = ["Intercept"] + [f"x{j}" for j in range(7)]
    X = np.column_stack([np.ones(n), df[names[1:]].to_numpy()])
    rank, dependent = _pivoted_qr_rank(X)
    if rank == X.shape[1]:
        check_rank(X, names)  # no error
        bl.LogitModel("y ~ " + " + ".join(names[1:]), df)
        assert eps == 1e-4
    else:
        assert eps < 1e-4
        with pytest.raises(bl.DesignError, match="rank deficient") as err:
            check_rank(X, names)
        assert f"(rank {rank} < 8 columns)" in str(err.value)
        assert str([names[i] for i in dependent]) in str(err.value)


def test_finite_and_magnitude_checks_by_blocks_find_a_value_in_the_last_block(monkeypatch):
    import numpy as np
    import pandas as pd

    import bayeslogit as bl

    monkeypatch.setitem(bl.options, "block_bytes", 4096)
    rng = np.random.default_rng(0)
    n = 5_000
    base = pd.DataFrame({"y": rng.integers(0, 2, n), "x": rng.normal(size=n), "w": rng.normal(size=n)})
    bad = base.copy()
    bad.loc[n - 1, "w"] = np.inf
    with pytest.raises(bl.DataError, match=r"non-finite .* \['w'\]"):
        bl.LogitModel("y ~ x + w", bad)
    big = base.copy()
    big.loc[n - 2, "w"] = 1e101
    with pytest.raises(bl.DesignError, match="'w' has values of magnitude 1e\\+101"):
        bl.LogitModel("y ~ x + w", big)
    model = bl.LogitModel("y ~ x + w", base)
    from bayeslogit.priors import DEFAULT_SCALE

    np.testing.assert_allclose(model.priors.priors["w"].sigma, DEFAULT_SCALE / base["w"].std(ddof=1), rtol=1e-12)


def test_many_level_factor_is_refused_before_the_design_is_built(monkeypatch):
    """A factor above MAX_LEVELS: DesignError naming it, its levels, the dense size and the
    fix, raised before any n x levels array exists (traced memory stays far below it)."""
    import tracemalloc

    import numpy as np
    import pandas as pd

    import bayeslogit as bl

    rng = np.random.default_rng(1)
    n = 200_000
    df = pd.DataFrame(
        {"y": rng.integers(0, 2, n), "x": rng.normal(size=n), "shop": rng.integers(0, 5000, n).astype(str)}
    )
    tracemalloc.start()
    with pytest.raises(bl.DesignError) as err:
        bl.LogitModel("y ~ x + C(shop)", df)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    msg = str(err.value)
    assert "factor C(shop) has 5,000 levels (more than bl.options['max_levels'] = 1,000)" in msg
    assert "200,000 rows x 5,000+ columns x 8 B = 8.0 GB" in msg  # at least 200,000 x 5,000 x 8 B
    assert "(1|shop)" in msg and "target-encode" in msg and "fewer levels" in msg
    assert peak < 0.05 * n * 5001 * 8, f"traced peak {peak / 1e6:.0f} MB"
    # the thresholds are options: raised, the same data build
    small = df.iloc[:3000].assign(shop=lambda d: (d["shop"].astype(int) % 40).astype(str))
    monkeypatch.setitem(bl.options, "max_levels", 30)
    with pytest.raises(bl.DesignError, match="factor C\\(shop\\) has 40 levels"):
        bl.LogitModel("y ~ x + C(shop)", small)
    monkeypatch.setitem(bl.options, "max_levels", 40)
    assert bl.LogitModel("y ~ x + C(shop)", small).design.X.shape == (3000, 41)
    # an interaction of moderate factors: too many columns
    monkeypatch.setitem(bl.options, "max_columns", 100)
    inter = small.assign(g=lambda d: (np.arange(len(d)) % 5).astype(str))
    with pytest.raises(
        bl.DesignError, match=r"the design has 200 columns \(more than bl.options\['max_columns'\] = 100\)"
    ):
        bl.LogitModel("y ~ C(shop):C(g)", inter)
