"""Prior draws and prior predictive outcomes: every family against an independent reference."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import expit

import bayeslogit as bl
from bayeslogit import _blocks

N = 4000
P_MIN = 1e-3  # KS p-value below which a sampler is wrong (a correct one fails 1 run in 1000)


def _prior_draws(df, priors, formula="y ~ x1 + x2", draws=N, seed=0):
    model = bl.LogitModel(formula, df, priors=priors)
    return model, model.sample_prior_predictive(draws, random_seed=seed, predictive=False)


def _beta(tree, name):
    return tree.prior["beta"].sel(coef=name).values.ravel()


def test_default_prior_centred_intercept_and_autoscaled_slopes(seed_df):
    model, tree = _prior_draws(seed_df, None)
    b = tree.prior["beta"].transpose("chain", "draw", "coef").values.reshape(-1, 3)
    xm = seed_df[["x1", "x2"]].mean().to_numpy()
    sd = seed_df[["x1", "x2"]].std(ddof=1).to_numpy()  # R's sd(), as rstanarm
    alpha_c = b[:, 0] + b[:, 1:] @ xm  # the intercept's prior is on the log-odds at the means
    assert stats.kstest(alpha_c, stats.norm(0, 2.5).cdf).pvalue > P_MIN
    for j, s in enumerate(sd, start=1):
        assert stats.kstest(b[:, j], stats.norm(0, 2.5 / s).cdf).pvalue > P_MIN
    np.testing.assert_allclose(tree.prior["beta_normal"].values.reshape(-1, 3)[:, 0], alpha_c, atol=1e-12)


@pytest.mark.parametrize(
    "prior, ref",
    [
        (bl.StudentT(3, 0.5, 2.0), stats.t(3, 0.5, 2.0)),
        (bl.Cauchy(-1, 0.5), stats.cauchy(-1, 0.5)),
        (bl.Laplace(0.2, 0.7), stats.laplace(0.2, 0.7)),
    ],
)
def test_scipy_families(seed_df, prior, ref):
    _, tree = _prior_draws(seed_df, {"x1": prior})
    assert stats.kstest(_beta(tree, "x1"), ref.cdf).pvalue > P_MIN


def _cdf_from_logpdf(logpdf, lo, hi, tol=1e-4):
    """CDF by numerical integration of a log density (independent of the sampler's construction)."""
    grid = np.linspace(lo, hi, 20001)
    dens = np.exp(logpdf(grid))
    cdf = integrate.cumulative_trapezoid(dens, grid, initial=0.0)
    assert abs(cdf[-1] - 1) < tol  # the density is normalised and the grid covers it
    return lambda x: np.interp(x, grid, cdf / cdf[-1])


def test_elastic_net_against_its_density(seed_df):
    prior = bl.ElasticNet(0.3, 1.5, 2.0)
    _, tree = _prior_draws(seed_df, {"x1": prior})
    cdf = _cdf_from_logpdf(prior.logpdf, -6, 6)
    assert stats.kstest(_beta(tree, "x1"), cdf).pvalue > P_MIN


def test_hierarchical_normal_against_its_marginal_density(seed_df):
    prior = bl.Normal(0, bl.HalfNormal(1.0))
    _, tree = _prior_draws(seed_df, {"x1": prior})
    cdf = _cdf_from_logpdf(prior.logpdf, -12, 12, tol=3e-3)  # log spike at 0: trapezoid error
    assert stats.kstest(_beta(tree, "x1"), cdf).pvalue > P_MIN
    assert "tau" in tree.prior and "z_hiernormal" in tree.prior


def test_horseshoe_against_pymc_prior_predictive(seed_df):
    import pymc as pm

    df = seed_df.assign(x3=seed_df.x1**2, x4=np.cos(seed_df.x2))
    model, tree = _prior_draws(df, bl.Horseshoe(expected_nonzero=1), formula="y ~ x1 + x2 + x3 + x4")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pm.sample_prior_predictive(draws=N, model=model.pymc_model, random_seed=1)
    assert set(tree.prior.data_vars) == set(ref.prior.data_vars)  # same layout as PyMC's
    for var in ("hs_tau", "hs_c2"):
        assert stats.ks_2samp(tree.prior[var].values.ravel(), ref.prior[var].values.ravel()).pvalue > P_MIN
    for name in ("x1", "x4", "Intercept"):
        ours, theirs = _beta(tree, name), ref.prior["beta"].sel(coef=name).values.ravel()
        assert stats.ks_2samp(ours, theirs).pvalue > P_MIN


def test_flat_prior_has_no_draws(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors={"x2": bl.Flat()})
    with pytest.raises(bl.PriorError, match=r"x2 has a Flat prior .*bl.Normal\(0, 2.5\)"):
        model.sample_prior_predictive(10)


def test_outcomes_are_int8_reproducible_and_follow_the_draws(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    a = model.sample_prior_predictive(400, random_seed=3)
    b = model.sample_prior_predictive(400, random_seed=3)
    c = model.sample_prior_predictive(400, random_seed=4)
    y = a.prior_predictive["y"]
    assert y.dims == ("chain", "draw", "obs") and y.dtype == np.int8 and y.shape == (1, 400, len(seed_df))
    assert a.observed_data["y"].dims == ("obs",)
    np.testing.assert_array_equal(a.observed_data["obs"].values, y["obs"].values)
    np.testing.assert_array_equal(y.values, b.prior_predictive["y"].values)
    assert not np.array_equal(y.values, c.prior_predictive["y"].values)
    # per draw, the number of events is Binomial-like around sum_i expit(x_i' beta)
    beta = a.prior["beta"].values[0]
    p = expit(seed_df.assign(one=1.0)[["one", "x1", "x2"]].to_numpy() @ beta.T)  # (rows, draws)
    events = y.values[0].sum(axis=1)
    z = (events.sum() - p.sum()) / np.sqrt((p * (1 - p)).sum())
    assert abs(z) < 5


def test_binomial_counts_and_dtype():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=40), "n": rng.integers(1, 300, size=40)})
    df["k"] = rng.binomial(df["n"], 0.3)
    tree = bl.LogitModel("k ~ x", df, trials="n").sample_prior_predictive(200, random_seed=1)
    y = tree.prior_predictive["k"].values  # named as the response
    assert y.dtype == np.int16 and y.min() >= 0 and np.all(y <= df["n"].to_numpy())
    assert "trials" in tree.constant_data


def test_large_outcomes_warn_with_their_size(seed_df, monkeypatch):
    monkeypatch.setitem(bl.options, "predictive_warn_bytes", 1000)
    with pytest.warns(bl.BayeslogitWarning, match=r"100 draws x 500 rows x 1 byte\(s\) = 50.0 kB"):
        bl.LogitModel("y ~ x1 + x2", seed_df).sample_prior_predictive(100, random_seed=0)


def test_replicates_are_made_by_row_blocks(seed_df, monkeypatch):
    monkeypatch.setitem(bl.options, "block_bytes", 8 * 300 * 16)
    monkeypatch.setattr(_blocks, "largest_block_cells", 0)
    bl.LogitModel("y ~ x1 + x2", seed_df).sample_prior_predictive(300, random_seed=0)
    assert 0 < _blocks.largest_block_cells <= 300 * 16


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"draws": 0}, "draws must be an integer >= 1"),
        ({"draws": 10, "random_seed": -1}, "random_seed must be None or an integer >= 0"),
        ({"draws": 10, "predictive": "yes"}, "predictive must be True or False"),
    ],
)
def test_argument_errors(seed_df, kwargs, match):
    with pytest.raises(bl.ArgumentError, match=match):
        bl.LogitModel("y ~ x1 + x2", seed_df).sample_prior_predictive(**kwargs)


def test_replicated_outcome_is_named_as_the_response(seed_df):
    """sample_prior_predictive() named the outcome "y" whatever the response was called."""
    df = seed_df.rename(columns={"y": "admit"})
    tree = bl.LogitModel("admit ~ x1 + x2", df).sample_prior_predictive(50, random_seed=1)
    assert list(tree.prior_predictive.data_vars) == ["admit"] and list(tree.observed_data.data_vars) == ["admit"]
    np.testing.assert_array_equal(tree.observed_data["admit"].values, df["admit"].to_numpy())
    # ArviZ pairs the two by name
    import matplotlib

    matplotlib.use("Agg")
    import arviz_plots as azp
    import matplotlib.pyplot as plt

    azp.plot_ppc_dist(tree, group="prior_predictive", backend="matplotlib")
    plt.close("all")
    # put next to a posterior: named as the posterior's observed outcome
    post = bl.LogitModel("admit ~ x1 + x2", df).sample(draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    idata = post.sample_prior_predictive(50, random_seed=1)
    assert list(idata.prior_predictive.data_vars) == list(idata.observed_data.data_vars)
