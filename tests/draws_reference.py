"""The models whose draws were recorded before the families refactor (issue 21), and how to redo them.

``python tests/draws_reference.py`` records ``tests/data/recorded_draws.npz`` (run it only to
record a deliberate change of the draws, and say so in the commit); ``tests/test_draws_recorded.py``
reruns every case and compares with the file to 1e-12. Each case is a short run: the point is
that the same seed gives the same numbers, not a good posterior.

The draws depend on the machine code numba and nutpie generate, so the file stores the host CPU
and the versions of numba, nutpie and PyMC; the test skips (saying why) where those differ.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

PATH = Path(__file__).parent / "data" / "recorded_draws.npz"

SHORT = {"draws": 40, "tune": 60, "chains": 2, "progressbar": False}


def _data() -> pd.DataFrame:
    from bayeslogit.datasets import simulate_seed

    df = simulate_seed(150, random_seed=11)
    rng = np.random.default_rng(5)
    df["g"] = np.array(["a", "b", "c", "d", "e"])[rng.integers(0, 5, len(df))]
    df["hours"] = rng.uniform(0.5, 2.0, len(df))
    df["w"] = rng.integers(1, 4, len(df))
    return df


def _binomial() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    n = rng.integers(1, 12, 40)
    k = rng.binomial(n, 1 / (1 + np.exp(-(0.3 + 0.9 * x))))
    return pd.DataFrame({"k": k, "n": n, "x": x})


def _posterior(post) -> dict[str, np.ndarray]:
    out = {}
    for name, var in post.idata.posterior.data_vars.items():
        out[name] = np.asarray(var.values, dtype=float)
    return out


def _prior(tree) -> dict[str, np.ndarray]:
    out = {f"prior/{k}": np.asarray(v.values, dtype=float) for k, v in tree["prior"].data_vars.items()}
    if "prior_predictive" in tree.children:
        out["prior_predictive/y"] = np.asarray(tree["prior_predictive"]["y"].values, dtype=float)
    return out


def cases() -> dict[str, tuple[bool, Callable[[], dict[str, np.ndarray]]]]:
    """name -> (slow, function returning the arrays to compare)."""
    import bayeslogit as bl

    df = _data()

    def nuts(formula="y ~ x1 + x2", data=None, seed=1, **kw):
        sample_kw = {k: kw.pop(k) for k in ("method", "sampler", "target_accept") if k in kw}
        model = bl.LogitModel(formula, df if data is None else data, **kw)
        return lambda: _posterior(model.sample(**SHORT, random_seed=seed, **sample_kw))

    def prior(formula="y ~ x1 + x2", **kw):
        model = bl.LogitModel(formula, df, **kw)
        return lambda: _prior(model.sample_prior_predictive(30, random_seed=4))

    out: dict[str, tuple[bool, Callable[[], dict[str, np.ndarray]]]] = {
        "nuts_default": (False, nuts()),
        "nuts_normal": (False, nuts(priors=bl.Normal(0, 1))),
        "nuts_studentt": (False, nuts(priors=bl.StudentT(3, 0, 1))),
        "nuts_cauchy_far_centre": (False, nuts(priors={"x1": bl.Cauchy(-6, 0.3), "x2": bl.Cauchy(0, 2.5)})),
        "nuts_laplace": (False, nuts(priors=bl.Laplace(0, 0.5))),
        "nuts_elasticnet": (False, nuts(priors=bl.ElasticNet(0, 0.5, 1.0))),
        "nuts_sklearn_flat_intercept": (False, nuts(priors=bl.sklearn_prior(C=1.0))),
        "nuts_flat": (False, nuts(priors={"Intercept": bl.Flat(), "x1": bl.Flat(), "x2": bl.Flat()})),
        "nuts_factor_interaction": (False, nuts("y ~ x1 * C(g)")),
        "nuts_offset": (False, nuts("y ~ x1 + offset(np.log(hours))")),
        "nuts_weights": (False, nuts(weights="w")),
        "nuts_trials": (False, nuts("k ~ x", data=_binomial(), trials="n")),
        "laplace_default": (False, nuts(method="laplace")),
        "laplace_trials": (False, nuts("k ~ x", data=_binomial(), trials="n", method="laplace")),
        "prior_default": (False, prior()),
        "prior_families": (False, prior(priors={"x1": bl.StudentT(3, 0, 1), "x2": bl.ElasticNet(0, 1, 2)})),
        "prior_laplace_cauchy": (False, prior(priors={"x1": bl.Laplace(0, 1), "x2": bl.Cauchy(0, 2)})),
        "prior_hier_normal": (False, prior(priors=bl.Normal(0, bl.HalfNormal(1)))),
        "prior_horseshoe": (False, prior("y ~ x1 + x2 + C(g)", priors=bl.Horseshoe(expected_nonzero=2))),
        "prior_groups": (False, prior("y ~ x1 + (1 + x1 | g)")),
        "pymc_families": (True, nuts(priors={"x1": bl.StudentT(3, 0, 1), "x2": bl.Laplace(0, 1)}, sampler="pymc")),
        "nutpie_hier_normal": (True, nuts(priors=bl.Normal(0, bl.HalfNormal(1)), sampler="nutpie")),
        "nutpie_horseshoe": (
            True,
            nuts("y ~ x1 + x2 + C(g)", priors=bl.Horseshoe(expected_nonzero=2), sampler="nutpie"),
        ),
        "nutpie_groups": (True, nuts("y ~ x1 + (1 + x1 | g)", sampler="nutpie")),
    }
    return out


def environment() -> dict[str, str]:
    """What the draws depend on besides the code: the CPU numba compiles for, and versions."""
    import llvmlite.binding
    import numba
    import pymc

    try:
        import nutpie

        nutpie_version = nutpie.__version__
    except ImportError:  # pragma: no cover
        nutpie_version = "none"
    return {
        "cpu": llvmlite.binding.get_host_cpu_name(),
        "numba": numba.__version__,
        "nutpie": nutpie_version,
        "pymc": pymc.__version__,
        "numpy": np.__version__,
    }


def run_case(name: str) -> dict[str, np.ndarray]:
    """One case's arrays. The PyMC and nutpie cases (``slow``) run in a fresh interpreter: nutpie's
    draws were seen to depend on what the process compiled before (3e-4 apart), not on the seed alone."""
    slow, run = cases()[name]
    if not slow:
        return run()
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "case.npz"
        subprocess.run(
            [sys.executable, __file__, "--case", name, str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with np.load(out) as f:
            return {k: f[k] for k in f.files}


def record(path: Path = PATH) -> None:
    arrays: dict[str, np.ndarray] = {}
    for name in cases():
        print(name, file=sys.stderr, flush=True)
        for key, value in run_case(name).items():
            arrays[f"{name}::{key}"] = value
    for key, value in environment().items():
        arrays[f"env::{key}"] = np.array(value)
    path.parent.mkdir(exist_ok=True)
    np.savez_compressed(path, **arrays)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--case"]:  # one case, in this fresh interpreter (see run_case)
        np.savez(sys.argv[3], **cases()[sys.argv[2]][1]())
    else:
        record()
