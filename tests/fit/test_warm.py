"""The command line's warm sampler process (bayeslogit/fit/nuts/warm.py): the same draws as
sampling in-process, used only when it suits, a clean fall-back when the child is gone, errors
and Ctrl-C passed on, no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed
from bayeslogit.fit.nuts import warm

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the warm process: Linux only")


def _cli(code: str, *args: str):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT
    )


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("warm") / "seed.csv"
    simulate_seed(300, random_seed=4).to_csv(path, index=False)
    return path


RUN = (
    "import sys\nfrom bayeslogit.cli import main\nrc = main(sys.argv[1:])\n"
    "print('numba loaded here:', 'numba' in sys.modules, file=sys.stderr)\nsys.exit(rc)\n"
)


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_cli_samples_in_the_warm_process_and_prints_the_in_process_results(csv):
    argv = ("fit", str(csv), "y ~ x1 + x2", "--seed", "11", "--quiet")
    warm_run = _cli(RUN, *argv)
    # numba imported first: nothing to hide, so the same command samples in-process
    here = _cli("import numba\n" + RUN, *argv)
    assert warm_run.returncode == 0, warm_run.stderr[-2000:]
    assert here.returncode == 0, here.stderr[-2000:]
    assert "numba loaded here: False" in warm_run.stderr  # the child sampled
    assert "numba loaded here: True" in here.stderr
    assert "Min ESS (bulk)" in warm_run.stdout
    assert warm_run.stdout == here.stdout  # every printed number, draws for draws


@pytest.fixture(scope="module")
def model():
    return bl.LogitModel("y ~ x1 + x2", simulate_seed(200, random_seed=5))


def _forced(monkeypatch):
    """warm_kernel() starts the sampler process even here (numba is loaded in the test process)."""
    monkeypatch.setattr(warm.WarmKernel, "start", classmethod(lambda cls: cls._spawn()))


def test_the_child_gives_the_in_process_draws_and_is_reaped(model, monkeypatch):
    ref = model.sample(draws=300, chains=2, random_seed=8, progressbar=False)
    _forced(monkeypatch)
    with warm.warm_kernel() as child:
        pid = child.pid
        post = model.sample(draws=300, chains=2, random_seed=8, progressbar=False)
        assert warm._ACTIVE is None  # used once
    np.testing.assert_array_equal(post.idata.posterior["beta"].values, ref.idata.posterior["beta"].values)
    np.testing.assert_array_equal(post.idata.sample_stats["n_steps"].values, ref.idata.sample_stats["n_steps"].values)
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left


def test_a_dead_child_means_sampling_in_process(model, monkeypatch):
    ref = model.sample(draws=200, chains=2, random_seed=9, progressbar=False)
    _forced(monkeypatch)
    with warm.warm_kernel() as child:
        os.kill(child.pid, signal.SIGKILL)
        time.sleep(0.2)
        post = model.sample(draws=200, chains=2, random_seed=9, progressbar=False)
    np.testing.assert_array_equal(post.idata.posterior["beta"].values, ref.idata.posterior["beta"].values)


def test_large_jobs_and_progress_callbacks_stay_in_process(model, monkeypatch):
    _forced(monkeypatch)
    monkeypatch.setattr(warm, "MAX_BYTES", 10_000)
    with warm.warm_kernel() as child:
        big = model.sample(draws=200, chains=2, random_seed=1, progressbar=False)  # 2*200*11*8 B > 10 kB
        assert warm._ACTIVE is child  # not used
        monkeypatch.setattr(warm, "MAX_BYTES", 64 * 2**20)
        seen = []
        model.sample(draws=50, chains=2, random_seed=1, progressbar=seen.append)  # a callable cannot travel
        assert warm._ACTIVE is child and seen
    assert big.idata.posterior["beta"].shape == (2, 200, 3)


def test_an_error_in_the_child_is_raised_in_the_parent(model, monkeypatch):
    from bayeslogit.fit.nuts.density import LogDensity, newton_mode

    dens = LogDensity.from_model(model)
    mode = newton_mode(dens)
    child = warm.WarmKernel._spawn()
    try:
        with pytest.raises(TypeError):
            child.run(dens, mode, draws=10, tune=10, chains=1, random_seed=0, no_such_option=1)
    finally:
        child.close()


def test_ctrl_c_while_the_child_samples_exits_130_and_leaves_no_process(csv, tmp_path):
    code = "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler)\n" + RUN
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            code,
            "fit",
            str(csv),
            "y ~ x1 + x2",
            "--draws",
            "100000",
            "--report",
            str(tmp_path / "out.html"),
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "Sampling" in line or not line:
            break
    assert any("Sampling" in s for s in seen), "".join(seen)
    children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1, children  # the warm child is sampling
    time.sleep(1.0)
    t0 = time.monotonic()
    proc.send_signal(signal.SIGINT)  # the parent only, as `kill -INT` would
    rc = proc.wait(timeout=30)
    err = "".join(seen) + proc.stderr.read()
    assert rc == 130, err[-2000:]
    assert time.monotonic() - t0 < 5
    assert "interrupted; no output file was written" in err and "Traceback" not in err
    assert not (tmp_path / "out.html").exists()
    time.sleep(0.5)
    assert not Path(f"/proc/{children[0]}").exists()  # killed and reaped, not orphaned


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def _running(pid: int) -> bool:
    """Alive and not a zombie (a zombie has stopped sampling; its new parent reaps it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_sigterm_or_sigkill_of_the_command_leaves_no_sampler_running(csv, tmp_path, sig):
    """`timeout`, a container stop or a CI cancel: the child used to sample on for up to 145 s."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, "fit", str(csv), "y ~ x1 + x2", "--draws", "150000"],  # small enough for the child
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "Sampling" in line or not line:
            break
    assert any("Sampling" in s for s in seen), "".join(seen)
    children = _descendants(proc.pid)
    assert len(children) == 1, children  # the warm child is sampling
    time.sleep(1.0)
    proc.send_signal(sig)  # the parent only, as `timeout` or `kill` would
    proc.wait(timeout=30)
    deadline = time.monotonic() + 5
    while _running(children[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _running(children[0])
    if alive:
        os.kill(children[0], signal.SIGKILL)
    assert not alive, "the sampler process outlived the command"


THREADED = (
    "import _thread, sys, time\nimport numpy as np\n"
    "def blas():\n"
    "    a = np.random.default_rng(0).normal(size=(300, 300))\n"
    "    while True:\n"
    "        a = a @ a.T / 300.0\n"
    "def chatter():\n"
    "    while True:\n"
    "        sys.stderr.write('.' * 200 + '\\n')\n"
    "        time.sleep(0.0005)\n"
    # threads threading.active_count() does not see, as a C extension's would be
    "_thread.start_new_thread(blas, ())\n_thread.start_new_thread(chatter, ())\ntime.sleep(0.2)\n"
    "import os\nfrom bayeslogit.cli import main\nrc = main(sys.argv[1:])\nsys.stdout.flush()\n"
    # one write(2), so that the chattering thread cannot split the line
    "os.write(2, f'numba loaded here: {\"numba\" in sys.modules}\\n'.encode())\nos._exit(rc)\n"
)


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_the_cli_called_from_a_threaded_process_does_not_hang(csv):
    """``cli.main(["fit", ...])`` from a process whose other threads are busy in numpy products
    and in writes to stderr: a forked sampler hung on a futex (inherited locks) in 1 of 6 and
    2 of 3 tries. The sampler process is a fresh interpreter: every try ends, with the draws of
    sampling in-process."""
    argv = ("fit", str(csv), "y ~ x1 + x2", "--seed", "11", "--quiet")
    here = _cli("import numba\n" + RUN, *argv)
    assert here.returncode == 0, here.stderr[-2000:]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for _ in range(4):
        try:
            r = subprocess.run(
                [sys.executable, "-c", THREADED, *argv], capture_output=True, text=True, timeout=90, env=env, cwd=ROOT
            )
        except subprocess.TimeoutExpired:
            pytest.fail("bayeslogit fit hung in a process with busy threads")
        assert r.returncode == 0, r.stderr[-2000:]
        assert "numba loaded here: False" in r.stderr  # the warm process sampled
        assert r.stdout == here.stdout
