"""Non-integer ``weights=``: likelihood weights (each 0/1 row's log-likelihood multiplied by its
weight, as brms' ``weights()`` and scikit-learn's ``sample_weight``), in every fit path.

References: scikit-learn's ``LogisticRegression(C=...).fit(X, y, sample_weight=w)`` for the MAP
under ``bl.sklearn_prior(C)``, statsmodels' ``GLM(var_weights=w)`` for the MLE, and for the
samplers the Gaussian approximation at the MAP (n = 400, a near-Gaussian posterior). Whole-number
weights stay frequency weights, bit for bit (``tests/test_weights.py``,
``tests/test_draws_recorded.py``).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.response import Binomial, response_family


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    eta = -0.3 + 1.1 * df.x1 - 0.6 * df.x2
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    df["w"] = rng.uniform(0.2, 4.0, n)  # mean 2.1: ignoring them would change every sd by ~45%
    return df


FORMULA = "y ~ x1 + x2"


@pytest.mark.parametrize("C", [0.05, 1.0])
def test_map_equals_sklearn_sample_weight(data, C):
    from sklearn.linear_model import LogisticRegression

    X, y, w = data[["x1", "x2"]].to_numpy(), data["y"].to_numpy(), data["w"].to_numpy()
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y, sample_weight=w)
    fit = bl.LogitModel(FORMULA, data, weights="w").fit_map(priors=bl.sklearn_prior(C))
    np.testing.assert_allclose(fit.params.to_numpy(), np.r_[ref.intercept_, ref.coef_[0]], rtol=1e-5, atol=1e-6)
    # ... and not the unweighted fit: the weights were used
    plain = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    assert np.max(np.abs(fit.params.to_numpy() - np.r_[plain.intercept_, plain.coef_[0]])) > 1e-3


def test_mle_equals_statsmodels_var_weights(data):
    mle = bl.LogitModel(FORMULA, data, weights="w").fit_mle()
    ref = sm.GLM(data["y"].to_numpy(), mle.design.X, family=sm.families.Binomial(), var_weights=data["w"].to_numpy())
    res = ref.fit(tol=1e-12)
    np.testing.assert_allclose(mle.params, res.params, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(mle.bse, res.bse, rtol=1e-6)
    np.testing.assert_allclose(mle.llf, res.llf, rtol=1e-8)
    assert mle.nobs == res.nobs == len(data) and mle.df_resid == res.df_resid
    assert mle.design.weights.dtype == np.float64
    shown = str(bl.LogitModel(FORMULA, data, weights="w").fit_map().summary())
    assert "rows weighted by w (likelihood weights)" in shown, shown


@pytest.mark.parametrize("kind", ["bayeslogit", "laplace", "pymc"])
def test_posterior_is_the_weighted_likelihood_s(data, kind):
    model = bl.LogitModel(FORMULA, data, weights="w", priors=bl.Normal(0, 5))
    opts = dict(draws=1000, tune=500, chains=2, random_seed=7, progressbar=False)
    if kind == "laplace":
        opts["method"] = "laplace"
    else:
        opts["sampler"] = kind
    post = model.sample(**opts)
    mode = model.fit_map()
    table = post.coef_table()
    # near-Gaussian posterior: mean at the mode (within 0.15 sd) and sd the mode's bse (10%)
    np.testing.assert_allclose(table["sd"], mode.bse, rtol=0.1)
    assert (np.abs(table["mean"] - mode.params) < 0.15 * mode.bse).all(), (table["mean"], mode.params)
    # the pointwise log-likelihood is each row's Bernoulli log-likelihood times its weight
    eta = post.draws()[:3] @ model.design.X.T
    y = data["y"].to_numpy()
    expected = data["w"].to_numpy() * (y * eta - np.logaddexp(0, eta))
    got = response_family(model.design).loglik(eta, model.design.y)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_replicates_are_weights_times_0_1_draws(data):
    fam = Binomial(data["w"].to_numpy())
    assert fam.likelihood_weights and fam.take(slice(0, 3)).likelihood_weights
    p = np.full((len(data), 50), 0.5)
    rep = fam.draw(p, np.random.default_rng(0))
    assert rep.shape == (50, len(data)) and rep.dtype == np.float64
    ratio = rep / data["w"].to_numpy()
    assert set(np.unique(ratio)) == {0.0, 1.0}
    whole = Binomial(np.array([3.0, 2.0]))  # whole numbers (frequency weights): a binomial draw
    assert not whole.likelihood_weights


def test_whole_number_weights_stay_frequency_weights(data):
    d = data.assign(w=np.round(data["w"]).clip(1).astype(float))  # floats holding whole numbers
    model = bl.LogitModel(FORMULA, d, weights="w")
    assert model.design.weights.dtype == np.int64 and model.design.trials.dtype == np.int64
    assert not Binomial(model.design.trials).likelihood_weights


def test_non_integer_weights_are_validated(data):
    with pytest.raises(bl.DataError, match=r"must hold finite numbers > 0.*found -0.5 in 1 row"):
        bl.LogitModel(FORMULA, data.assign(w=np.r_[-0.5, data["w"].to_numpy()[1:]]), weights="w")
    agg = data.assign(n=3, k=np.minimum(data["y"] * 2, 3))
    with pytest.raises(bl.DataError, match=r"non-integer weights \('w'\).*binomial trials"):
        bl.LogitModel("k ~ x1", agg, trials="n", weights="w")
