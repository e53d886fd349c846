"""bayeslogit's NUTS under control (issue 12): resumable blocks that give the same draws, a
progress bar, Ctrl-C within about a second, dispersed starts that let R-hat see, and a numba
cache that works on read-only installs."""

from __future__ import annotations

import _thread
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.fit.nuts import density, driver, kernel


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"x1": rng.normal(size=150), "x2": rng.normal(size=150)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-(0.3 + df.x1 - 0.5 * df.x2))))
    model = bl.LogitModel("y ~ x1 + x2", df)
    dens = density.LogDensity.from_model(model)
    return model, dens, density.newton_mode(dens)


@pytest.mark.parametrize("block", [1, 7, None])
def test_blocks_of_any_size_give_the_draws_of_one_run(small, block):
    """Same chain state, same generator: splitting the run into blocks changes nothing, also
    across the covariance windows (adapt_metric) where the metric is re-estimated."""
    _, dens, mode = small
    tune, draws = 120, 60
    win_start, ends = driver._windows(tune)
    win_ends = np.asarray(ends, dtype=np.int64)
    args = (
        dens.X,
        dens.y,
        dens.m,
        dens.T,
        dens.family.astype(np.int64),
        dens.mu,
        dens.sigma,
        dens.nu,
        dens.kernel_groups(),
        mode.beta,
        mode.cov,
    )
    u0 = np.array([0.5, -1.0, 2.0])
    ref = driver._outputs(1, draws, 3)
    kernel.run_chain(
        *args,
        u0,
        np.random.default_rng(3),
        tune,
        draws,
        0.8,
        10,
        win_start,
        win_ends,
        16.0,
        ref[0][0],
        ref[1][0],
        ref[2][0],
    )
    out = driver._outputs(1, draws, 3)
    st = driver._ChainState(3)
    rng = np.random.default_rng(3)
    kernel.init_chain(*args, u0, rng, *st.init_arrays())
    size = block or tune + draws
    for it in range(0, tune + draws, size):
        kernel.run_block(
            *args,
            rng,
            tune,
            draws,
            0.8,
            10,
            win_start,
            win_ends,
            16.0,
            *st.block_arrays(),
            it,
            min(tune + draws, it + size),
            out[0][0],
            out[1][0],
            out[2][0],
        )
    for a, b in zip(ref, out):
        np.testing.assert_array_equal(a, b)
    assert len(ends) >= 2  # the windows were crossed


def test_same_seed_same_draws_whatever_the_threads(small):
    _, dens, mode = small
    kw = dict(draws=80, tune=80, chains=3, random_seed=11)
    a = driver.sample_nuts(dens, mode, threads=1, **kw)
    b = driver.sample_nuts(dens, mode, threads=3, **kw)
    np.testing.assert_array_equal(a.beta, b.beta)
    assert not np.array_equal(a.beta[0], a.beta[1])


def test_progress_reports_draws_and_divergences(small, capfd):
    model, _, _ = small
    infos = []
    post = model.sample(draws=300, tune=200, chains=2, random_seed=1, progressbar=infos.append)
    last = infos[-1]
    assert last.done == last.total == 2 * 500
    assert last.divergences == int(post.idata.sample_stats.diverging.sum())
    assert all(a.done <= b.done for a, b in zip(infos, infos[1:]))
    capfd.readouterr()
    model.sample(draws=100, tune=100, chains=2, random_seed=1, progressbar=True)
    err = capfd.readouterr().err
    assert "Sampling 2 chains: 100 warm-up + 100 draws each" in err and "divergences" in err
    model.sample(draws=100, tune=100, chains=2, random_seed=1, progressbar=False)
    assert capfd.readouterr().err == ""


def test_ctrl_c_stops_sampling_within_seconds():
    rng = np.random.default_rng(0)
    n, p = 20_000, 8
    df = pd.DataFrame(rng.normal(size=(n, p)), columns=[f"x{i}" for i in range(p)])
    df["y"] = rng.binomial(1, 0.5, n)
    model = bl.LogitModel("y ~ " + " + ".join(df.columns[:p]), df)
    model.sample(draws=5, tune=5, chains=1, progressbar=False)  # compiled before the clock starts
    timer = threading.Timer(1.0, _thread.interrupt_main)
    t0 = time.perf_counter()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        model.sample(draws=200_000, tune=1000, chains=4, random_seed=1, progressbar=False)
    took = time.perf_counter() - t0
    assert took < 4.0, took
    time.sleep(2.0)
    alive = [t.name for t in threading.enumerate() if t.name.startswith("bayeslogit-nuts")]
    assert not alive, alive


def _bimodal_model():
    """A Student-t prior centred far from the data's estimate: modes at 0.20 and 1.08 with a
    valley ~1e-4 of the lower peak between them, about half the mass in each (checked on a grid
    when the case was chosen)."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=400)})
    df["y"] = rng.binomial(1, 0.5, 400)
    return bl.LogitModel("y ~ 0 + x", df, priors={"x": bl.StudentT(10, 1.08, 0.0065)})


def test_r_hat_flags_chains_stuck_in_different_modes():
    post = _bimodal_model().sample(chains=4, draws=500, tune=500, random_seed=0, progressbar=False)
    assert post.idata.posterior.attrs["start_modes"] == 2
    means = post.idata.posterior["beta"].mean("draw").values.ravel()
    assert sorted(np.round(means, 1)) == [0.2, 0.2, 1.1, 1.1]
    diag = post.diagnostics()
    assert not diag.ok
    import arviz as az

    assert float(az.rhat(post.idata.posterior["beta"]).max()) > 1.1


def test_the_old_single_mode_start_hides_the_second_mode(monkeypatch):
    """What the dispersed, multi-mode starts fix: all chains around Newton's one mode agree
    (R-hat ~ 1) while about half the posterior mass is missed."""
    import arviz as az

    single = driver.start_points
    monkeypatch.setattr(driver, "other_modes", lambda dens, mode: [])
    monkeypatch.setattr(driver, "start_points", lambda mode, chains, rngs, **k: single(mode, chains, rngs, spread=1.0))
    post = _bimodal_model().sample(chains=4, draws=500, tune=500, random_seed=0, progressbar=False)
    assert float(az.rhat(post.idata.posterior["beta"]).max()) < 1.05
    assert abs(float(post.idata.posterior["beta"].mean()) - 0.2) < 0.05


def test_normal_priors_look_for_no_second_mode(small):
    _, dens, mode = small
    assert density.other_modes(dens, mode) == []


def test_numba_cache_falls_back_on_a_read_only_install(tmp_path):
    """A read-only package folder and an unwritable home: numba alone raises RuntimeError at
    import; bayeslogit caches in a private temporary folder instead."""
    pkg = tmp_path / "pkg"
    shutil.copytree(Path(bl.__file__).parent, pkg / "bayeslogit", ignore=shutil.ignore_patterns("__pycache__"))
    (pkg / "bayeslogit" / "fit" / "nuts" / "__pycache__").write_text("not a folder")
    (tmp_path / "home").write_text("not a folder either")
    tmpdir = tmp_path / "t"
    tmpdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_", "XDG_"))}
    env.update(HOME=str(tmp_path / "home" / "h"), TMPDIR=str(tmpdir), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(pkg))
    code = (
        "import numpy as np\n"
        "from bayeslogit.fit.nuts import kernel\n"
        "g = np.zeros(1)\n"
        "lp = kernel.logp_grad(np.zeros(1), np.ones((2, 1)), np.array([0., 1.]), np.ones(2), np.eye(1),\n"
        "                      np.zeros(1, np.int64), np.zeros(1), np.ones(1), np.ones(1), g)\n"
        "assert abs(lp + 2 * np.log(2)) < 1e-12, lp\n"
        "print(kernel.__file__)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert str(pkg) in r.stdout
    assert list(tmpdir.glob("bayeslogit-numba-*/**/kernel.logp_grad*.nbi")), list(tmpdir.rglob("*"))


def test_numba_cache_compiles_in_memory_when_nothing_is_writable(tmp_path, monkeypatch):
    from bayeslogit.fit.nuts import cache

    mod = tmp_path / "m"
    mod.mkdir()
    (mod / "__pycache__").write_text("not a folder")
    (mod / "kern.py").write_text("def f(x):\n    return x + 1\n")
    (tmp_path / "home").write_text("")
    monkeypatch.setenv("HOME", str(tmp_path / "home" / "h"))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setattr(cache, "_private_tmp", lambda: (_ for _ in ()).throw(OSError("no")))
    import numba.core.config as config

    monkeypatch.setattr(config, "CACHE_DIR", "")
    import importlib.util

    spec = importlib.util.spec_from_file_location("bl_test_kern", mod / "kern.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    f = cache.cached_njit()(m.f)
    assert f(1) == 2
    assert type(f._cache).__name__ == "NullCache"


@pytest.mark.parametrize("factor", [1e-90, 1e90])
def test_columns_of_extreme_magnitude_are_sampled_on_an_internal_scale(factor):
    """A predictor scaled by 1e-90 used to send sample() to PyMC, off by ~1e99 (issue 12); it is
    now rescaled internally (by a power of two) and reported on the original scale."""
    from bayeslogit.datasets import simulate_seed

    df = simulate_seed(300, random_seed=2)
    ref = bl.LogitModel("y ~ x1 + x2", df).sample(draws=500, tune=300, random_seed=1, progressbar=False)
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore", RuntimeWarning)  # ArviZ's moments of 1e90 draws
        post = bl.LogitModel("y ~ x1 + x2", df.assign(x1=df.x1 * factor)).sample(
            draws=500, tune=300, random_seed=1, progressbar=False
        )
        assert post.sampler == "bayeslogit" and post.diagnostics().ok
    assert "internal_column_scale" in post.idata.posterior.attrs
    ours = post.idata.posterior["beta"].sel(coef="x1") * factor
    theirs = ref.idata.posterior["beta"].sel(coef="x1")
    sd = float(theirs.std())
    assert abs(float(ours.mean()) - float(theirs.mean())) < 0.1 * sd
    assert abs(float(ours.std()) / sd - 1) < 0.1


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_FSIZE and SIGXFSZ: Linux")
def test_numba_cache_on_a_full_disk_compiles_in_memory(tmp_path):
    """Writing numba's cache fails ([Errno 28] on a full disk; here RLIMIT_FSIZE = 0 gives
    [Errno 27]): the sampler used to abort; it compiles in memory instead."""
    import resource
    import signal

    def no_room():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, not kills
        resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    env.update(NUMBA_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1", PYTHONPATH=str(root))
    code = (
        "import numpy as np\n"
        "from bayeslogit.fit.nuts import kernel\n"
        "g = np.zeros(1)\n"
        "lp = kernel.logp_grad(np.zeros(1), np.ones((2, 1)), np.array([0., 1.]), np.ones(2), np.eye(1),\n"
        "                      np.zeros(1, np.int64), np.zeros(1), np.ones(1), np.ones(1), g)\n"
        "assert abs(lp + 2 * np.log(2)) < 1e-12, lp\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=no_room,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert not [p for p in (tmp_path / "cache").rglob("*") if p.is_file() and p.stat().st_size]
