"""The README's seed-example table is what the code computes (no stale numbers)."""

import re
from pathlib import Path

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed

README = Path(__file__).resolve().parents[1] / "README.md"


def _table():
    text = README.read_text()
    block = text.split("<!-- seed-table -->")[1].split("<!-- /seed-table -->")[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = [tuple(float(v) for v in re.findall(r"-?\d+\.\d+", c)) for c in cells[1:]]
    return rows


def test_readme_mle_and_map_numbers():
    rows = _table()
    m = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1))
    mle = m.fit_mle()
    map_ = m.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False))
    assert list(rows) == ["Intercept", "x1", "x2"]
    for term, (mle_cell, map_cell, _) in rows.items():
        assert mle_cell == pytest.approx((mle.params[term], mle.bse[term]), abs=5e-5)
        assert map_cell == pytest.approx((map_.params[term], map_.bse[term]), abs=5e-5)
    assert mle.llf == pytest.approx(-115.915, abs=5e-4)
    assert mle.prsquared == pytest.approx(0.406, abs=5e-4)


def test_readme_posterior_numbers():
    rows = _table()
    post = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1)).sample(
        draws=1000, chains=4, random_seed=1, progressbar=False)
    for term, (_, _, (mean, sd)) in rows.items():
        # rounded to 2 decimals in the README; MC error of the mean ~0.01
        assert abs(post.params[term] - mean) < 0.03
        assert abs(post.bse[term] - sd) < 0.02
