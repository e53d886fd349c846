"""Same seed, same draws: every model's draws equal those recorded before the families refactor.

The refactor of issue 21 moved every prior and response family's math into its class; it was to
change no number. ``tests/data/recorded_draws.npz`` holds short runs of each sampler path (the
compiled NUTS under every prior family, offsets, weights, trials; the Laplace method; the exact
prior draws; PyMC and nutpie for hierarchical, horseshoe and group models), recorded by
``tests/draws_reference.py`` on the code before the change. Each is rerun and compared to 1e-12.
"""

from __future__ import annotations

import draws_reference as ref
import numpy as np
import pytest

RECORDED = np.load(ref.PATH) if ref.PATH.exists() else None
CASES = ref.cases() if RECORDED is not None else {}


def _skip_if_environment_differs() -> None:
    env = ref.environment()
    recorded = {k.split("::", 1)[1]: str(RECORDED[k]) for k in RECORDED.files if k.startswith("env::")}
    differs = {k: (recorded.get(k), v) for k, v in env.items() if recorded.get(k) != v}
    if differs:
        pytest.skip(f"the draws were recorded on another CPU or other versions {differs}: machine code differs")


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=[pytest.mark.slow] if slow else []) for n, (slow, _) in CASES.items()],
)
def test_draws_equal_the_recorded_ones(name):
    _skip_if_environment_differs()
    got = ref.run_case(name)
    keys = sorted(k.split("::", 1)[1] for k in RECORDED.files if k.startswith(f"{name}::"))
    assert keys, f"nothing recorded for {name}"
    assert sorted(got) == keys
    for key in keys:
        np.testing.assert_allclose(
            got[key], RECORDED[f"{name}::{key}"], rtol=1e-12, atol=1e-12, err_msg=f"{name} {key}"
        )


def test_every_case_was_recorded():
    assert RECORDED is not None, f"{ref.PATH} is missing: run python tests/draws_reference.py"
    recorded = {k.split("::", 1)[0] for k in RECORDED.files} - {"env"}
    assert recorded == set(CASES)
