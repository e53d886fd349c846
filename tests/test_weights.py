"""Frequency weights (``weights=``): a row of weight w counts w times, in every fit path.

References: statsmodels ``GLM(y, X, family=Binomial(), freq_weights=w)`` for the MLE, and the
same model fitted on the weights-expanded data (each row repeated w times) for MAP, NUTS,
Laplace and PyMC.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import bayeslogit as bl


@pytest.fixture(scope="module")
def weighted():
    rng = np.random.default_rng(11)
    n = 300
    df = pd.DataFrame({"x1": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    eta = -0.5 + 1.2 * df.x1 + 0.7 * (df.g == "b")
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    df["w"] = rng.integers(1, 6, n)
    expanded = df.loc[df.index.repeat(df["w"])].reset_index(drop=True)
    return df, expanded


FORMULA = "y ~ x1 + C(g)"


def test_mle_equals_statsmodels_freq_weights(weighted):
    df, expanded = weighted
    mle = bl.LogitModel(FORMULA, df, weights="w").fit_mle()
    X = mle.design.X
    ref = sm.GLM(df["y"].to_numpy(), X, family=sm.families.Binomial(), freq_weights=df["w"].to_numpy()).fit(tol=1e-12)
    np.testing.assert_allclose(mle.params, ref.params, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(mle.bse, ref.bse, rtol=1e-6)
    np.testing.assert_allclose(mle.llf, ref.llf, rtol=1e-8)
    assert mle.nobs == ref.model.wnobs == df["w"].sum() and mle.df_resid == ref.df_resid
    # ... and equal to the fit on the expanded rows, with the same llf (Bernoulli rows).
    big = bl.LogitModel(FORMULA, expanded).fit_mle()
    np.testing.assert_allclose(mle.params, big.params, rtol=1e-8)
    np.testing.assert_allclose(mle.llf, big.llf, rtol=1e-10)
    np.testing.assert_allclose(mle.aic, big.aic, rtol=1e-10)
    np.testing.assert_allclose(mle.bic, big.bic, rtol=1e-10)
    assert f"{df['w'].sum()} ({len(df)} weighted rows)" in str(mle.summary())


def test_default_priors_and_map_match_the_expanded_data(weighted):
    df, expanded = weighted
    small, big = bl.LogitModel(FORMULA, df, weights="w"), bl.LogitModel(FORMULA, expanded)
    assert small.prior_summary().equals(big.prior_summary())  # weighted sds: same autoscaled priors
    np.testing.assert_allclose(small.priors.x_mean, big.priors.x_mean, rtol=1e-12)
    a, b = small.fit_map(), big.fit_map()
    np.testing.assert_allclose(a.params, b.params, rtol=1e-8)
    np.testing.assert_allclose(a.bse, b.bse, rtol=1e-8)
    la = small.fit_map(priors=bl.Laplace(0, 0.5))  # the kinked-prior path (fit/penalized.py)
    lb = big.fit_map(priors=bl.Laplace(0, 0.5))
    np.testing.assert_allclose(la.params, lb.params, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", ["bayeslogit", "laplace", "pymc"])
def test_posterior_agrees_with_the_expanded_data(weighted, kind):
    df, expanded = weighted
    opts = dict(draws=500, tune=500, chains=2, random_seed=5, progressbar=False)
    if kind == "laplace":
        opts["method"] = "laplace"
    else:
        opts["sampler"] = kind
    a = bl.LogitModel(FORMULA, df, weights="w").sample(**opts)
    b = bl.LogitModel(FORMULA, expanded).sample(**opts)
    ta, tb = a.coef_table(), b.coef_table()
    # Two independent runs: their means differ by about sqrt(mcse_a^2 + mcse_b^2).
    tol = 4 * np.hypot(ta["mcse_mean"], tb["mcse_mean"])
    assert (np.abs(ta["mean"] - tb["mean"]) < tol).all(), (ta["mean"], tb["mean"], tol)
    np.testing.assert_allclose(ta["sd"], tb["sd"], rtol=0.15)


def test_weights_are_validated(weighted):
    df, _ = weighted
    with pytest.raises(bl.DataError, match=r"weights='nope' is not a column"):
        bl.LogitModel(FORMULA, df, weights="nope")
    with pytest.raises(bl.DataError, match=r"weights column 'w' must hold finite numbers > 0.*found inf in 1 row"):
        bl.LogitModel(FORMULA, df.assign(w=np.r_[np.inf, df["w"].to_numpy()[1:]]), weights="w")
    with pytest.raises(bl.DataError, match=r"found 0 in 1 row.*Drop rows of weight 0"):
        bl.LogitModel(FORMULA, df.assign(w=np.r_[0, df["w"].to_numpy()[1:]]), weights="w")


def test_weights_survive_save_load_and_predict(weighted, tmp_path):
    df, _ = weighted
    model = bl.LogitModel(FORMULA, df, weights="w")
    mle = model.fit_mle()
    mle.save(tmp_path / "fit.nc")
    again = bl.load(tmp_path / "fit.nc")
    assert again.model.design.weights_name == "w"
    np.testing.assert_array_equal(again.model.design.weights, df["w"].to_numpy())
    np.testing.assert_allclose(again.params, mle.params, rtol=1e-12)
    new = pd.DataFrame({"x1": [0.0, 1.0], "g": ["a", "b"]})  # new rows need no weight
    np.testing.assert_allclose(again.predict(new)["estimate"], mle.predict(new)["estimate"], rtol=1e-12)
