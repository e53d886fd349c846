"""Separation under a Cauchy (or Student-t, nu <= 1) prior: the posterior is proper, but the
separating coefficient keeps the prior's Cauchy tail, so its posterior mean and sd do not exist
(Ghosh, Li & Mitra 2018). ``sample()`` warns, and ``summary()`` shows the median and intervals,
not a sample mean that varies from run to run (110-222 across runs in issue 26)."""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.fit.separation import mean_undefined

FAST = dict(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)


@pytest.fixture(scope="module")
def separated():
    rng = np.random.default_rng(2)
    n = 30
    df = pd.DataFrame(
        {"x1": np.r_[rng.uniform(-3, -0.5, n // 2), rng.uniform(0.5, 3, n // 2)], "x2": rng.normal(size=n)}
    )
    df["y"] = (df["x1"] > 0).astype(int)  # complete separation by x1
    return df


def _undefined(df, priors):
    m = bl.LogitModel("y ~ x1 + x2", df, priors=priors)
    return [m.design.column_names[j] for j in mean_undefined(m.design.X, m.design.y, m.design.trials, m.priors)]


def test_which_coefficients_lose_their_mean(separated):
    assert _undefined(separated, bl.Cauchy(0, 2.5)) == ["x1"]
    assert _undefined(separated, bl.StudentT(1, 0, 2.5)) == ["x1"]
    assert _undefined(separated, bl.StudentT(0.5, 0, 2.5)) == ["x1"]
    assert _undefined(separated, bl.StudentT(3, 0, 2.5)) == []  # nu > 1: the mean exists
    assert _undefined(separated, bl.Normal(0, 2.5)) == []
    assert _undefined(separated, {"x1": bl.Normal(0, 2.5), "x2": bl.Cauchy(0, 2.5)}) == []  # x2 does not separate
    mixed = separated.assign(y=np.r_[separated["y"].to_numpy()[:-1], 0])  # one row flipped: no separation
    assert _undefined(mixed, bl.Cauchy(0, 2.5)) == []


def test_sample_warns_and_summary_shows_medians(separated):
    model = bl.LogitModel("y ~ x1 + x2", separated, priors=bl.Cauchy(0, 2.5))
    with pytest.warns(bl.SeparationWarning, match=r"separated along \['x1'\].*posterior mean and sd do not exist"):
        post = model.sample(**FAST)
    text = str(post.summary())
    assert "median" in text and "posterior mean and sd do not exist" in text
    table = post.summary().tables[0]
    assert np.isnan(table.loc["x1", "mean"]) and np.isnan(table.loc["x1", "sd"])
    assert np.isfinite(table.loc["x2", "mean"])
    np.testing.assert_allclose(table["median"], np.median(post.draws(), axis=0))


def test_no_warning_with_a_lighter_tail(separated):
    model = bl.LogitModel("y ~ x1 + x2", separated, priors=bl.StudentT(3, 0, 2.5))
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.SeparationWarning)
        post = model.sample(**FAST)
    assert "median" not in post.summary().tables[0].columns
