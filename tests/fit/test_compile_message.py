"""Issue 26: "compiling the sampler for this machine" is printed only when numba compiles the
kernel, not when loading its disk cache takes over a second; ensure_compiled says how long the
compile took (0.0 from the cache), so that the run time can count it apart."""

import os
import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import os, time
    from numba.core import caching

    load = caching.Cache.load_overload

    def slow_load(self, *args, **kwargs):  # a slow disk: loading the cache takes 1.5 s
        time.sleep(float(os.environ["SLOW_LOAD"]))
        return load(self, *args, **kwargs)

    caching.Cache.load_overload = slow_load
    from bayeslogit.fit.nuts import driver, kernel

    print(repr(driver.ensure_compiled(kernel)))
    print(repr(driver.ensure_compiled(kernel)))  # once per process
    """
)


def _run(cache_dir, slow_load):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), SLOW_LOAD=str(slow_load))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    first, second = (float(v) for v in out.stdout.split())
    return first, second, out.stderr


@pytest.mark.slow  # compiles the kernel into an empty cache (15-60 s)
def test_compile_message_only_when_numba_compiles(tmp_path):
    compiled, again, err = _run(tmp_path, 0)
    assert "compiling the sampler for this machine" in err and "sampler compiled in" in err
    assert compiled > 0 and again == 0.0
    # the cache now exists: a slow load is no compile
    loaded, again, err = _run(tmp_path, 1.5)
    assert "compiling" not in err and "compiled" not in err, err
    assert loaded == 0.0 and again == 0.0


def test_run_time_counts_the_compile_apart(seed_df, monkeypatch):
    import bayeslogit as bl
    from bayeslogit.check.sections import run_information
    from bayeslogit.fit.nuts import driver

    monkeypatch.setattr(driver, "ensure_compiled", lambda kernel: 17.25)  # as on a first use
    post = bl.LogitModel("y ~ x1", seed_df).sample(draws=50, chains=2, random_seed=1, progressbar=False)
    assert post.idata.posterior.attrs["compile_time"] == 17.25
    rows = dict(run_information(post))
    assert "17.2 s compiling the sampler (first use)" in rows["Run time:"]
    cli_line = "3.1 s (sampling, this run); plus 17.2 s compiling the sampler (first use)"
    assert dict(run_information(post, {"run time": cli_line}))["Run time:"] == cli_line
    monkeypatch.setattr(driver, "ensure_compiled", lambda kernel: 0.0)  # the kernel was ready
    post = bl.LogitModel("y ~ x1", seed_df).sample(draws=50, chains=2, random_seed=1, progressbar=False)
    assert "compile_time" not in post.idata.posterior.attrs
    assert "compiling" not in dict(run_information(post))["Run time:"]
