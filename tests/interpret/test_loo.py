"""compare_models(): PSIS-LOO via ArviZ, checked against WAIC by hand and known truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

import bayeslogit as bl

KW = dict(draws=300, tune=300, chains=2, random_seed=12, progressbar=False)


@pytest.fixture(scope="module")
def fits(seed_df):
    return {
        "x1 + x2": bl.LogitModel("y ~ x1 + x2", seed_df).sample(**KW),
        "x1": bl.LogitModel("y ~ x1", seed_df).sample(**KW),
    }


def _waic(fit):
    ll = fit.idata["log_likelihood"]["y"].stack(sample=("chain", "draw")).transpose("sample", "obs").values
    lppd = logsumexp(ll, axis=0) - np.log(ll.shape[0])
    return float(np.sum(lppd - ll.var(axis=0, ddof=1)))


def test_true_model_ranks_first_and_elpd_matches_waic(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.ParetoKWarning)  # well-behaved data: no warning
        table = bl.compare_models(fits)
    assert list(table.index) == ["x1 + x2", "x1"]
    assert table.loc["x1 + x2", "elpd_diff"] == 0
    # Dropping x2 (true coefficient -1.5) costs many standard errors of predictive density.
    assert table.loc["x1", "elpd_diff"] < -3 * table.loc["x1", "dse"]
    np.testing.assert_allclose(table.loc["x1", "elpd_diff"],
                               table.loc["x1", "elpd"] - table.loc["x1 + x2", "elpd"], rtol=1e-10)
    for name, fit in fits.items():  # PSIS-LOO ~ WAIC for a regular model with n=500, p<=3
        assert abs(table.loc[name, "elpd"] - _waic(fit)) < 0.5, name
        assert 1.0 < table.loc[name, "p"] < 5.0
    np.testing.assert_allclose(table["weight"].sum(), 1.0, atol=1e-6)
    assert (table["n_high_pareto_k"] == 0).all()


def test_pareto_k_warning_names_model_and_rows():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-1, 1, 14), [6.0]])
    y = np.concatenate([(rng.random(14) < 1 / (1 + np.exp(-3 * x[:14]))).astype(int), [0]])
    df = pd.DataFrame({"x": x, "y": y})
    kw = dict(draws=100, tune=200, chains=2, random_seed=1, progressbar=False)
    a = bl.LogitModel("y ~ x", df, priors={"x": bl.Normal(0, 10)}).sample(**kw)
    b = bl.LogitModel("y ~ 1", df).sample(**kw)
    with pytest.warns(bl.ParetoKWarning, match=r"model 'outlier': \d+ of 15 observations have Pareto k > .*14"):
        table = bl.compare_models({"outlier": a, "null": b})
    assert table.loc["outlier", "n_high_pareto_k"] >= 1


def test_compare_models_errors(fits, mixed_df):
    post = fits["x1"]
    with pytest.raises(bl.ArgumentError, match=r"at least two named posterior fits"):
        bl.compare_models({"only": post})
    with pytest.raises(bl.ArgumentError, match=r"at least two"):
        bl.compare_models([post, post])
    with pytest.raises(bl.ArgumentError, match=r"fits\['b'\] is a str"):
        bl.compare_models({"a": post, "b": "nope"})
    with pytest.raises(bl.ArgumentError, match=r"method must be one of"):
        bl.compare_models(fits, method="waic")
    other = bl.LogitModel("y ~ x1", mixed_df).sample(draws=50, tune=50, chains=1, random_seed=1,
                                                     progressbar=False)
    with pytest.raises(bl.ArgumentError, match=r"different observations"):
        bl.compare_models({"a": post, "b": other})
