"""predict() and posterior_predictive(): against hand-written formulas and simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import bayeslogit as bl

KW = dict(draws=300, tune=300, chains=2, random_seed=8, progressbar=False)


@pytest.fixture(scope="module")
def post(mixed_df):
    return bl.LogitModel("y ~ x1 * x2 + C(g)", mixed_df).sample(**KW)


@pytest.fixture(scope="module")
def binom_post():
    rng = np.random.default_rng(5)
    x = np.linspace(-2, 2, 25)
    n = rng.integers(5, 30, size=x.size)
    k = rng.binomial(n, expit(0.3 + 0.8 * x))
    df = pd.DataFrame({"k": k, "n": n, "x": x})
    return df, bl.LogitModel("k ~ x", df, trials="n").sample(**KW)


@pytest.fixture(scope="module")
def new_df():
    return pd.DataFrame(
        {"x1": [0.0, 1.5, -1.0], "x2": [0.5, -2.0, 1.0], "g": ["c", "a", "b"]}, index=["r1", "r2", "r3"]
    )


def _manual_eta(post, df):
    """eta per draw written out term by term (no patsy): shape (draws, rows)."""
    b = post.idata.posterior["beta"].stack(sample=("chain", "draw")).transpose("sample", "coef")
    c = {name: b.sel(coef=name).values[:, None] for name in post.coef_names}
    x1, x2, g = df["x1"].to_numpy(), df["x2"].to_numpy(), df["g"].to_numpy()
    return (
        c["Intercept"]
        + c["C(g)[T.b]"] * (g == "b")
        + c["C(g)[T.c]"] * (g == "c")
        + c["x1"] * x1
        + c["x2"] * x2
        + c["x1:x2"] * x1 * x2
    )


def test_prob_matches_hand_computation(post, new_df):
    pred = post.predict(new_df)
    p = expit(_manual_eta(post, new_df))
    assert list(pred.columns) == ["mean", "sd", "eti95_lb", "eti95_ub"]  # the one default: 95%
    assert list(pred.index) == ["r1", "r2", "r3"]
    np.testing.assert_allclose(pred["mean"], p.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(pred["sd"], p.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(pred["eti95_lb"], np.quantile(p, 0.025, axis=0), rtol=1e-12)
    np.testing.assert_allclose(pred["eti95_ub"], np.quantile(p, 0.975, axis=0), rtol=1e-12)
    assert ((pred["eti95_lb"] < pred["mean"]) & (pred["mean"] < pred["eti95_ub"])).all()


def test_interval_agrees_with_arviz_eti(post, new_df):
    import arviz as az

    draws = post.predict(new_df, kind="draws")
    eti = az.eti(draws, prob=0.89)
    pred = post.predict(new_df, ci_prob=0.89)
    np.testing.assert_allclose(pred["eti89_lb"], eti.sel(ci_bound="lower").values, rtol=1e-10)
    np.testing.assert_allclose(pred["eti89_ub"], eti.sel(ci_bound="upper").values, rtol=1e-10)


def test_interval_is_a_deprecated_alias_of_ci_prob(post, new_df):
    with pytest.warns(FutureWarning, match=r"interval= is deprecated.*use ci_prob="):
        old = post.predict(new_df, interval=0.8)
    pd.testing.assert_frame_equal(old, post.predict(new_df, ci_prob=0.8))
    assert list(old.columns) == ["mean", "sd", "eti80_lb", "eti80_ub"]
    with pytest.raises(bl.ArgumentError, match=r"both ci_prob= and its deprecated alias interval="):
        post.predict(new_df, ci_prob=0.8, interval=0.8)


def test_linear_mean_is_x_times_posterior_mean(post, new_df):
    pred = post.predict(new_df, kind="linear")
    eta = _manual_eta(post, new_df)
    np.testing.assert_allclose(pred["mean"], eta.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(pred["mean"], post.design.encode(new_df) @ post.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(pred["eti95_lb"], np.quantile(eta, 0.025, axis=0), rtol=1e-12)


def test_draws_kind_has_chain_draw_obs(post, new_df):
    d = post.predict(new_df, kind="draws")
    assert d.dims == ("chain", "draw", "obs") and d.shape == (2, 300, 3)
    np.testing.assert_allclose(d.mean(("chain", "draw")).values, post.predict(new_df)["mean"], rtol=1e-12)


def test_default_is_training_rows(post, mixed_df):
    a = post.predict()
    b = post.predict(mixed_df)
    assert len(a) == len(mixed_df)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)


def test_predicted_probabilities_are_calibrated_in_sample(post, mixed_df):
    """Logistic regression with an intercept: mean fitted P ~ observed event rate (score eq.)."""
    assert abs(post.predict()["mean"].mean() - mixed_df["y"].mean()) < 0.02


@pytest.mark.parametrize(
    "change,match",
    [
        (lambda d: d.assign(g=["c", "z", "b"]), r"factor level 'z' that was not seen"),
        (lambda d: d.drop(columns="x2"), r"lacks column\(s\) \['x2'\]"),
        (lambda d: d.assign(x1=[0.0, np.nan, 1.0]), r"missing values in 'x1' \(1 row\)"),
    ],
)
def test_new_data_errors_name_the_problem(post, new_df, change, match):
    with pytest.raises(bl.DataError, match=match):
        post.predict(change(new_df))


def test_argument_errors(post, new_df):
    with pytest.raises(bl.ArgumentError, match=r"kind must be 'prob', 'linear' or 'draws', got 'odds'"):
        post.predict(new_df, kind="odds")
    with pytest.raises(bl.ArgumentError, match=r"ci_prob must be a probability in \(0, 1\), got 1.5"):
        post.predict(new_df, ci_prob=1.5)


def test_posterior_predictive_reproducible_and_consistent(post, new_df):
    a = post.posterior_predictive(new_df, random_seed=3)
    b = post.posterior_predictive(new_df, random_seed=3)
    c = post.posterior_predictive(new_df, random_seed=4)
    assert a.dims == ("chain", "draw", "obs") and a.name == "y"
    np.testing.assert_array_equal(a.values, b.values)
    assert not np.array_equal(a.values, c.values)
    assert set(np.unique(a.values)) <= {0, 1}
    # E[y_rep] = E[p]: per-row mean of the replicates within 5 binomial standard errors.
    p = post.predict(new_df)["mean"].to_numpy()
    S = a.sizes["chain"] * a.sizes["draw"]
    z = (a.mean(("chain", "draw")).values - p) / np.sqrt(p * (1 - p) / S)
    assert np.all(np.abs(z) < 5)


def test_posterior_predictive_training_rows_match_observed_rate(post, mixed_df):
    rep = post.posterior_predictive(random_seed=1)
    assert rep.sizes["obs"] == len(mixed_df)
    rate = rep.mean("obs").values.ravel()  # event rate of each replicated data set
    lo, hi = np.quantile(rate, [0.005, 0.995])
    assert lo < mixed_df["y"].mean() < hi


def test_posterior_predictive_binomial_counts(binom_post):
    df, post = binom_post
    rep = post.posterior_predictive(random_seed=2)
    assert np.all(rep.values <= df["n"].to_numpy()) and np.all(rep.values >= 0)
    S = rep.sizes["chain"] * rep.sizes["draw"]
    p = post.predict()["mean"].to_numpy()
    n = df["n"].to_numpy()
    z = (rep.mean(("chain", "draw")).values - n * p) / np.sqrt(n * p * (1 - p) / S)
    assert np.all(np.abs(z) < 5)
    new = pd.DataFrame({"x": [0.0, 1.0], "n": [100, 1]})
    rep_new = post.posterior_predictive(new, random_seed=2)
    assert rep_new.values[..., 1].max() <= 1 and rep_new.values[..., 0].max() > 1
    with pytest.raises(bl.DataError, match=r"trials column 'n', which new data lacks"):
        post.posterior_predictive(new.drop(columns="n"))
    with pytest.raises(bl.DataError, match=r"trials column 'n' must be >= 1"):
        post.posterior_predictive(new.assign(n=[0, 3]))


def test_predict_after_load_equals_before(post, tmp_path, new_df):
    post.save(tmp_path / "fit.nc")
    loaded = bl.load(tmp_path / "fit.nc")
    pd.testing.assert_frame_equal(loaded.predict(new_df), post.predict(new_df))
    with pytest.raises(bl.DataError, match=r"factor level 'z'"):
        loaded.predict(new_df.assign(g=["z", "a", "b"]))


def test_mle_predict_matches_statsmodels_delta_method(seed_df):
    sm = pytest.importorskip("statsmodels.api")
    mle = bl.LogitModel("y ~ x1 + x2", seed_df).fit_mle()
    ref = sm.Logit(mle.design.y, mle.design.X).fit(disp=0, tol=1e-12, method="newton")
    new = pd.DataFrame({"x1": [0.0, 1.0, -2.0], "x2": [0.0, -1.0, 0.5]})
    exog = np.column_stack([np.ones(3), new["x1"], new["x2"]])
    lin = ref.get_prediction(exog, which="linear")
    pred = mle.predict(new, kind="linear")
    assert list(pred.columns) == ["estimate", "se", "ci95_lb", "ci95_ub"]
    np.testing.assert_allclose(pred["estimate"], lin.predicted, rtol=1e-6)
    np.testing.assert_allclose(pred["se"], lin.se, rtol=1e-6)
    np.testing.assert_allclose(pred[["ci95_lb", "ci95_ub"]].to_numpy(), lin.conf_int(alpha=0.05), rtol=1e-6)
    prob = mle.predict(new, ci_prob=0.9)
    np.testing.assert_allclose(prob["estimate"], ref.predict(exog), rtol=1e-6)
    np.testing.assert_allclose(prob[["ci90_lb", "ci90_ub"]].to_numpy(), expit(lin.conf_int(alpha=0.1)), rtol=1e-6)
    mean = ref.get_prediction(exog, which="mean")  # statsmodels' delta-method se on the P scale
    np.testing.assert_allclose(prob["se"], mean.se, rtol=1e-5)
    with pytest.raises(bl.ArgumentError, match=r"kind='draws' needs posterior draws, but this is a mle fit"):
        mle.predict(new, kind="draws")
    with pytest.raises(bl.DataError, match=r"lacks column"):
        mle.predict(new.drop(columns="x1"))
