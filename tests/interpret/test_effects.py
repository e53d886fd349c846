"""odds_ratios() and marginal_effects(): posterior against closed forms on the draws;
point fits against statsmodels."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import bayeslogit as bl

KW = dict(draws=300, tune=300, chains=2, random_seed=9, progressbar=False)


@pytest.fixture(scope="module")
def post(mixed_df):
    return bl.LogitModel("y ~ x1 * x2 + C(g)", mixed_df).sample(**KW)


def _coef_draws(post):
    b = post.idata.posterior["beta"].stack(sample=("chain", "draw")).transpose("sample", "coef")
    return {name: b.sel(coef=name).values[:, None] for name in post.coef_names}


def _eta(c, x1, x2, g):
    return (
        c["Intercept"]
        + c["C(g)[T.b]"] * (g == "b")
        + c["C(g)[T.c]"] * (g == "c")
        + c["x1"] * x1
        + c["x2"] * x2
        + c["x1:x2"] * x1 * x2
    )


def test_odds_ratios_transform_the_draws(post):
    table = post.odds_ratios()
    ors = np.exp(post.draws())
    np.testing.assert_allclose(table["mean"], ors.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["median"], np.median(ors, axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["eti95_lb"], np.quantile(ors, 0.025, axis=0), rtol=1e-12)
    # Jensen: E[exp(beta)] > exp(E[beta]); a summary-then-transform bug would give equality.
    assert np.all(table["mean"].to_numpy() > np.exp(post.params.to_numpy()))
    # The median commutes with exp (odd number of draws aside): exp(median(beta)).
    np.testing.assert_allclose(table["median"], np.exp(np.median(post.draws(), axis=0)), rtol=1e-2)
    assert list(table.index) == post.coef_names


def test_ame_numeric_with_interaction_matches_closed_form(post, mixed_df):
    c = _coef_draws(post)
    x1, x2, g = mixed_df["x1"].to_numpy(), mixed_df["x2"].to_numpy(), mixed_df["g"].to_numpy()
    p = expit(_eta(c, x1, x2, g))
    ame_x1 = (p * (1 - p) * (c["x1"] + c["x1:x2"] * x2)).mean(axis=1)
    ame_x2 = (p * (1 - p) * (c["x2"] + c["x1:x2"] * x1)).mean(axis=1)
    table = post.marginal_effects()
    assert list(table.index) == ["x1", "x2", "g[b vs a]", "g[c vs a]"]
    assert (table.loc["x1", "type"], table.loc["g[b vs a]", "type"]) == ("dP/dx", "discrete change")
    for name, ame in (("x1", ame_x1), ("x2", ame_x2)):
        np.testing.assert_allclose(table.loc[name, "mean"], ame.mean(), rtol=1e-6)
        np.testing.assert_allclose(table.loc[name, "sd"], ame.std(ddof=1), rtol=1e-6)
        np.testing.assert_allclose(table.loc[name, "eti95_lb"], np.quantile(ame, 0.025), rtol=1e-6)
        np.testing.assert_allclose(table.loc[name, "eti95_ub"], np.quantile(ame, 0.975), rtol=1e-6)


def test_ame_numeric_matches_finite_difference_on_draws(post, mixed_df):
    c = _coef_draws(post)
    x1, x2, g = mixed_df["x1"].to_numpy(), mixed_df["x2"].to_numpy(), mixed_df["g"].to_numpy()
    h = 1e-6
    fd = ((expit(_eta(c, x1 + h, x2, g)) - expit(_eta(c, x1 - h, x2, g))) / (2 * h)).mean(axis=1)
    np.testing.assert_allclose(post.marginal_effects().loc["x1", "mean"], fd.mean(), rtol=1e-6)


def test_ame_factor_is_discrete_change_over_all_rows(post, mixed_df):
    c = _coef_draws(post)
    x1, x2 = mixed_df["x1"].to_numpy(), mixed_df["x2"].to_numpy()
    base = expit(_eta(c, x1, x2, np.full(len(x1), "a")))
    table = post.marginal_effects(ci_prob=0.89)
    for level in ("b", "c"):
        change = (expit(_eta(c, x1, x2, np.full(len(x1), level))) - base).mean(axis=1)
        row = table.loc[f"g[{level} vs a]"]
        np.testing.assert_allclose(row["mean"], change.mean(), rtol=1e-10)
        np.testing.assert_allclose(row["eti89_ub"], np.quantile(change, 0.945), rtol=1e-10)


def test_ame_through_transforms_bool_and_categorical(mixed_df):
    df = mixed_df.assign(
        flag=mixed_df["x2"] > 0,
        size=pd.Categorical(np.where(mixed_df["x1"] > 0.5, "big", "small"), categories=["small", "big"]),
    )
    post = bl.LogitModel("y ~ center(x1) + np.exp(x2 / 2) + flag + size", df).sample(**KW)
    c = _coef_draws(post)
    x1, x2 = df["x1"].to_numpy(), df["x2"].to_numpy()
    flag, big = df["flag"].to_numpy(), (df["size"] == "big").to_numpy()

    def p(x1=x1, x2=x2, flag=flag, big=big):
        eta = (
            c["Intercept"]
            + c["center(x1)"] * (x1 - x1.mean())
            + c["np.exp(x2 / 2)"] * np.exp(x2 / 2)
            + c["flag[T.True]"] * flag
            + c["size[T.big]"] * big
        )
        return expit(eta)

    pp = p()
    expected = {
        "x1": (pp * (1 - pp) * c["center(x1)"]).mean(axis=1),
        "x2": (pp * (1 - pp) * c["np.exp(x2 / 2)"] * np.exp(x2 / 2) / 2).mean(axis=1),
        "flag[True vs False]": (p(flag=np.ones_like(flag)) - p(flag=np.zeros_like(flag))).mean(axis=1),
        "size[big vs small]": (p(big=np.ones_like(big)) - p(big=np.zeros_like(big))).mean(axis=1),
    }
    table = post.marginal_effects()
    assert list(table.index) == list(expected)
    for name, ame in expected.items():
        np.testing.assert_allclose(table.loc[name, "mean"], ame.mean(), rtol=1e-6, err_msg=name)


def test_ame_over_other_data(post, mixed_df):
    sub = mixed_df.iloc[:50]
    c = _coef_draws(post)
    x1, x2, g = sub["x1"].to_numpy(), sub["x2"].to_numpy(), sub["g"].to_numpy()
    p = expit(_eta(c, x1, x2, g))
    expected = (p * (1 - p) * (c["x2"] + c["x1:x2"] * x1)).mean(axis=1).mean()
    np.testing.assert_allclose(post.marginal_effects(data=sub).loc["x2", "mean"], expected, rtol=1e-6)
    with pytest.raises(bl.ArgumentError, match=r"data must be a pandas DataFrame, got list"):
        post.marginal_effects(data=[1, 2])


# -- point fits against statsmodels ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sm_fit(seed_df):
    sm = pytest.importorskip("statsmodels.api")
    df = seed_df.assign(grp=np.where(np.random.default_rng(1).random(len(seed_df)) < 0.4, "t", "c"))
    mle = bl.LogitModel("y ~ x1 + x2 + grp", df).fit_mle()
    ref = sm.Logit(mle.design.y, mle.design.X).fit(disp=0, tol=1e-12, maxiter=200, method="newton")
    return mle, ref


def test_mle_ame_equals_statsmodels_get_margeff(sm_fit):
    mle, ref = sm_fit
    table = mle.marginal_effects()
    assert list(table.index) == ["x1", "x2", "grp[t vs c]"]
    assert list(table.columns) == ["type", "estimate", "se", "ci95_lb", "ci95_ub"]
    cont = ref.get_margeff(at="overall")  # columns: grp[T.t], x1, x2 (all as derivatives)
    for j, name in ((1, "x1"), (2, "x2")):
        np.testing.assert_allclose(table.loc[name, "estimate"], cont.margeff[j], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(table.loc[name, "se"], cont.margeff_se[j], rtol=1e-6)
    disc = ref.get_margeff(at="overall", dummy=True)  # grp[T.t] as a discrete 0 -> 1 change
    np.testing.assert_allclose(table.loc["grp[t vs c]", "estimate"], disc.margeff[0], rtol=1e-6)
    np.testing.assert_allclose(table.loc["grp[t vs c]", "se"], disc.margeff_se[0], rtol=1e-6)
    ci = disc.conf_int(alpha=0.05)
    np.testing.assert_allclose(table[["ci95_lb", "ci95_ub"]].iloc[:2].to_numpy(), ci[1:], rtol=1e-6)


def test_mle_odds_ratios_are_exp_of_wald_interval(sm_fit):
    mle, ref = sm_fit
    table = mle.odds_ratios(ci_prob=0.9)
    with pytest.warns(FutureWarning, match=r"interval= is deprecated.*use ci_prob="):
        pd.testing.assert_frame_equal(mle.odds_ratios(interval=0.9), table)
    with pytest.warns(FutureWarning, match=r"interval= is deprecated.*use ci_prob="):
        assert "ci90_lb" in mle.marginal_effects(interval=0.9).columns
    with pytest.raises(bl.ArgumentError, match=r"both ci_prob= and its deprecated alias interval="):
        mle.odds_ratios(ci_prob=0.9, interval=0.9)
    assert list(table.columns) == ["estimate", "ci90_lb", "ci90_ub"]
    np.testing.assert_allclose(table["estimate"], np.exp(ref.params), rtol=1e-6)
    np.testing.assert_allclose(table[["ci90_lb", "ci90_ub"]].to_numpy(), np.exp(ref.conf_int(alpha=0.1)), rtol=1e-6)


def test_map_effects_use_the_laplace_covariance(seed_df):
    """Delta method with a numerical gradient of the AME (closed form mean(p(1-p)) * b_x1)."""
    fit = bl.LogitModel("y ~ x1 + x2", seed_df).fit_map(priors=bl.Normal(0, 1))
    X = fit.design.X

    def ame(beta):
        p = expit(X @ beta)
        return np.mean(p * (1 - p)) * beta[1]

    beta = fit.params.to_numpy()
    h = 1e-6
    grad = np.array([(ame(beta + h * e) - ame(beta - h * e)) / (2 * h) for e in np.eye(3)])
    se = np.sqrt(grad @ fit.cov_params().to_numpy() @ grad)
    table = fit.marginal_effects()
    np.testing.assert_allclose(table.loc["x1", "estimate"], ame(beta), rtol=1e-10)
    np.testing.assert_allclose(table.loc["x1", "se"], se, rtol=1e-6)


def test_ame_refuses_factor_made_by_an_expression(seed_df):
    fit = bl.LogitModel("y ~ x1 + I(x2 > 0)", seed_df).fit_mle()
    with pytest.raises(
        bl.ArgumentError, match=r"'x2' enters the formula through the categorical expression 'I\(x2 > 0\)'"
    ):
        fit.marginal_effects()
