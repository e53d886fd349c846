"""The PyMC model: structure, and its log density against scipy at fixed points."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import bayeslogit as bl


def _logp_at(model, point):
    pm_model = model.pymc_model
    return float(pm_model.compile_logp()(point))


def test_structure_and_coords(mixed_df):
    m = bl.LogitModel("y ~ x1 + C(g)", mixed_df)
    pm_model = m.pymc_model
    assert list(pm_model.coords["coef"]) == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1"]
    assert pm_model.named_vars_to_dims["beta"] == ("coef",)
    assert "X" in pm_model.named_vars  # data container, swappable for new data
    assert [v.name for v in pm_model.free_RVs] == ["beta_normal"]


def test_logp_equals_scipy_with_centred_intercept(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    raw = np.array([-2.1, 1.7, -1.2])  # alpha_c (log-odds at the means), slopes
    xbar = seed_df[["x1", "x2"]].mean().to_numpy()
    beta = np.array([raw[0] - xbar @ raw[1:], raw[1], raw[2]])
    eta = beta[0] + seed_df.x1 * beta[1] + seed_df.x2 * beta[2]
    sd = seed_df[["x1", "x2"]].std(ddof=1).to_numpy()  # R's sd(), as rstanarm
    expected = (
        stats.bernoulli(1 / (1 + np.exp(-eta))).logpmf(seed_df.y).sum()
        + stats.norm(0, 2.5).logpdf(raw[0])
        + stats.norm(0, 2.5 / sd).logpdf(raw[1:]).sum()
    )
    assert _logp_at(m, {"beta_normal": raw}) == pytest.approx(expected, rel=1e-10)
    det = m.pymc_model.compile_fn(m.pymc_model["beta"], inputs=m.pymc_model.free_RVs)
    np.testing.assert_allclose(det({"beta_normal": raw}), beta, rtol=1e-12)


def test_logp_mixed_families_and_binomial():
    df = pd.DataFrame(
        {"k": [1, 3, 0, 5, 2], "n": [4, 5, 2, 6, 3], "x": [0.0, 1.0, -1.0, 2.0, 0.5], "z": [1.0, 0.0, 1.0, 0.0, 0.3]}
    )
    priors = {"Intercept": bl.Flat(), "x": bl.StudentT(4, 0, 2), "z": bl.Cauchy(0, 1.5)}
    m = bl.LogitModel("k ~ x + z", df, trials="n", priors=priors)
    b = np.array([0.2, 0.8, -0.4])
    eta = b[0] + df.x * b[1] + df.z * b[2]
    expected = (
        stats.binom(df.n, 1 / (1 + np.exp(-eta))).logpmf(df.k).sum()
        + stats.t(4, 0, 2).logpdf(0.8)
        + stats.cauchy(0, 1.5).logpdf(-0.4)
    )
    point = {"beta_flat": b[:1], "beta_studentt": b[1:2], "beta_cauchy": b[2:]}
    assert _logp_at(m, point) == pytest.approx(expected, rel=1e-10)


def test_logp_finite_for_huge_linear_predictor():
    df = pd.DataFrame({"y": [0, 1, 0, 1], "x": [-1.0, 1.0, -2.0, 2.0]})
    m = bl.LogitModel("y ~ x", df, priors={"Intercept": bl.Flat(), "x": bl.Flat()})
    for slope in (800.0, -800.0):
        value = _logp_at(m, {"beta_flat": np.array([0.0, slope])})
        assert np.isfinite(value)
    # slope -800 fits every row the wrong way: log-lik = -(800 + 800 + 1600 + 1600)
    assert _logp_at(m, {"beta_flat": np.array([0.0, -800.0])}) == pytest.approx(-4800.0)
