"""lrtest: the likelihood-ratio test between nested MLE fits, against statsmodels and scipy."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import bayeslogit as bl


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame(
        {"x1": rng.normal(size=n), "x2": rng.normal(size=n), "x3": rng.normal(size=n), "g": rng.choice(list("abc"), n)}
    )
    eta = -0.3 + 0.8 * df.x1 + 0.25 * df.x2 + 0.4 * (df.g == "c")
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return df


def test_against_statsmodels_fits(data):
    big = bl.LogitModel("y ~ x1 + x2 + x3 + g", data).fit_mle()
    small = bl.LogitModel("y ~ x1 + g", data).fit_mle()
    out = bl.lrtest(big, small)
    X = pd.get_dummies(data[["x1", "x2", "x3", "g"]], columns=["g"], drop_first=True, dtype=float)
    sm_big = sm.Logit(data.y, sm.add_constant(X)).fit(disp=0)
    sm_small = sm.Logit(data.y, sm.add_constant(X[["x1", "g_b", "g_c"]])).fit(disp=0)
    lr = 2 * (sm_big.llf - sm_small.llf)
    assert out["df"].iloc[0] == 2
    np.testing.assert_allclose(out["llf_big"].iloc[0], sm_big.llf, rtol=1e-8)
    np.testing.assert_allclose(out["llf_small"].iloc[0], sm_small.llf, rtol=1e-8)
    np.testing.assert_allclose(out["statistic"].iloc[0], lr, rtol=1e-6)
    np.testing.assert_allclose(out["p_value"].iloc[0], stats.chi2.sf(lr, 2), rtol=1e-6)


def test_against_the_intercept_only_model_is_llr(data):
    big = bl.LogitModel("y ~ x1 + x2", data).fit_mle()
    null = bl.LogitModel("y ~ 1", data).fit_mle()
    out = bl.lrtest(big, null)
    sm_big = sm.Logit(data.y, sm.add_constant(data[["x1", "x2"]])).fit(disp=0)
    np.testing.assert_allclose(out["statistic"].iloc[0], sm_big.llr, rtol=1e-6)
    np.testing.assert_allclose(out["p_value"].iloc[0], sm_big.llr_pvalue, rtol=1e-6)
    np.testing.assert_allclose(out["statistic"].iloc[0], big.llr, rtol=1e-8)


def test_nested_by_column_space_not_by_names(data):
    # x1 + x2 as one column is a combination of big's columns: nested, one restriction
    big = bl.LogitModel("y ~ x1 + x2", data).fit_mle()
    small = bl.LogitModel("y ~ I(x1 + x2)", data).fit_mle()
    out = bl.lrtest(big, small)
    assert out["df"].iloc[0] == 1
    np.testing.assert_allclose(out["statistic"].iloc[0], 2 * (big.llf - small.llf), rtol=1e-12)


def test_not_nested_errors(data):
    big = bl.LogitModel("y ~ x1 + x2", data).fit_mle()
    with pytest.raises(bl.ArgumentError, match=r"not nested: the columns \['x3'\] of the smaller model"):
        bl.lrtest(big, bl.LogitModel("y ~ x3", data).fit_mle())
    with pytest.raises(bl.ArgumentError, match=r"the first fit is the larger model: lrtest\(big, small\)"):
        bl.lrtest(bl.LogitModel("y ~ x1", data).fit_mle(), big)
    with pytest.raises(bl.ArgumentError, match=r"different data \(400 and 300 rows"):
        bl.lrtest(big, bl.LogitModel("y ~ x1", data.iloc[:300]).fit_mle())
    other = data.assign(y=1 - data.y)
    with pytest.raises(bl.ArgumentError, match=r"different data"):
        bl.lrtest(big, bl.LogitModel("y ~ x1", other).fit_mle())
    with pytest.raises(bl.ArgumentError, match=r"span the same columns"):
        bl.lrtest(big, bl.LogitModel("y ~ I(x1 + x2) + x2", data).fit_mle())
    with pytest.raises(
        bl.ArgumentError, match=r"small must be a maximum-likelihood fit \(fit_mle\(\)\), got MAPResults"
    ):
        bl.lrtest(big, bl.LogitModel("y ~ x1", data).fit_map())


# -- GLMM maximum likelihoods (issue 22) --------------------------------------------------------


def _exact_marginal_llf(fit, df):
    """The cbpp random-intercept marginal log-likelihood at the fit's estimates by adaptive-free
    numerical integration (scipy.integrate.quad over each herd's effect), binomial coefficients
    included: independent of the fit's Laplace / Gauss-Hermite code."""
    from scipy import integrate, special

    eta0 = fit.model.design.X @ fit.params.to_numpy()
    sd = fit.group_summary()["estimate"].iloc[0]
    y, m, herd = df["incidence"].to_numpy(float), df["size"].to_numpy(float), df["herd"].astype(str).to_numpy()
    total = float(np.sum(special.gammaln(m + 1) - special.gammaln(y + 1) - special.gammaln(m - y + 1)))
    for h in np.unique(herd):
        rows = herd == h
        e, yy, mm = eta0[rows], y[rows], m[rows]

        def integrand(b, e=e, yy=yy, mm=mm):
            eta = e + b
            return np.exp(np.sum(yy * eta - mm * np.logaddexp(0, eta))) * stats.norm.pdf(b, scale=sd)

        total += np.log(integrate.quad(integrand, -12 * sd, 12 * sd, epsabs=0, epsrel=1e-10, limit=100)[0])
    return total


def test_two_glmms_with_the_same_group_terms_and_nested_fixed_effects():
    from bayeslogit.datasets import lme4_cbpp

    cbpp = lme4_cbpp()
    big = bl.LogitModel("incidence ~ period + (1 | herd)", cbpp, trials="size").fit_mle(nAGQ=25)
    small = bl.LogitModel("incidence ~ 1 + (1 | herd)", cbpp, trials="size").fit_mle(nAGQ=25)
    out = bl.lrtest(big, small)
    llf_big, llf_small = _exact_marginal_llf(big, cbpp), _exact_marginal_llf(small, cbpp)
    np.testing.assert_allclose([out["llf_big"].iloc[0], out["llf_small"].iloc[0]], [llf_big, llf_small], atol=1e-6)
    stat = 2 * (llf_big - llf_small)
    assert out["df"].iloc[0] == 3 and "p_value_boundary" not in out
    np.testing.assert_allclose(out["statistic"].iloc[0], stat, atol=2e-6)
    np.testing.assert_allclose(out["p_value"].iloc[0], stats.chi2.sf(stat, 3), rtol=1e-4)
    assert out["p_value"].iloc[0] < 1e-3  # period matters (lme4's anova: p about 1e-5)
    laplace = bl.LogitModel("incidence ~ 1 + (1 | herd)", cbpp, trials="size").fit_mle()
    with pytest.raises(bl.ArgumentError, match="nAGQ=25 and 1"):
        bl.lrtest(big, laplace)
    other = bl.LogitModel("incidence ~ 1 + (1 | period)", cbpp, trials="size").fit_mle()
    with pytest.raises(bl.ArgumentError, match="same group terms"):
        bl.lrtest(big, other)


def test_glmm_against_complete_pooling_tests_the_variance_on_the_boundary():
    """statistic from statsmodels' binomial GLM of the pooled model and the GLMM's llf; p_value
    the naive chi-squared (conservative), p_value_boundary the 50:50 mixture."""
    from bayeslogit.datasets import lme4_cbpp

    cbpp = lme4_cbpp()
    model = bl.LogitModel("incidence ~ period + (1 | herd)", cbpp, trials="size")
    glmm = model.fit_mle()
    X = pd.get_dummies(cbpp["period"].astype(str), prefix="p", drop_first=True, dtype=float)
    endog = np.column_stack([cbpp["incidence"], cbpp["size"] - cbpp["incidence"]])
    for small, exog, q in (
        (model.fit_mle(pooling="complete"), sm.add_constant(X), 0),
        (bl.LogitModel("incidence ~ 1", cbpp, trials="size").fit_mle(), np.ones((len(cbpp), 1)), 3),
    ):
        ref = sm.GLM(endog, exog, family=sm.families.Binomial()).fit()
        out = bl.lrtest(glmm, small)
        stat = 2 * (glmm.llf - ref.llf)
        np.testing.assert_allclose(out["statistic"].iloc[0], stat, rtol=1e-7)
        assert out["df"].iloc[0] == q + 1
        np.testing.assert_allclose(out["p_value"].iloc[0], stats.chi2.sf(stat, q + 1), rtol=1e-6)
        low = stats.chi2.sf(stat, q) if q else 0.0
        np.testing.assert_allclose(out["p_value_boundary"].iloc[0], 0.5 * (low + stats.chi2.sf(stat, q + 1)), rtol=1e-6)
        assert out["p_value_boundary"].iloc[0] < out["p_value"].iloc[0]
    with pytest.raises(bl.ArgumentError, match="lrtest\\(glmm, pooled\\)"):
        bl.lrtest(model.fit_mle(pooling="complete"), glmm)


def test_a_correlated_term_against_pooling_has_no_mixture_p_value():
    from bayeslogit.datasets import simulate_groups

    df, _ = simulate_groups(15, (10, 30), random_seed=3)
    model = bl.LogitModel("y ~ x + (1 + x | g)", df)
    out = bl.lrtest(model.fit_mle(), model.fit_mle(pooling="complete"))
    assert out["df"].iloc[0] == 3 and np.isnan(out["p_value_boundary"].iloc[0])
    assert "conservative" in out.attrs["method"]


@pytest.mark.slow
def test_the_boundary_mixture_is_calibrated_under_the_null():
    """No group variation (the pooled model is true), 150 groups of 8 binomial(5) rows: the
    statistic is 0 (sd estimated as 0) about half the time, the 50:50 mixture's p-value rejects
    about 5% at 0.05 and the naive chi-squared one far less (conservative). 300 simulated data
    sets: the binomial sd of a 5% rate is 0.013. (With few groups the point mass at 0 exceeds
    1/2 and the mixture is conservative too: 30 groups of 20 rows gave 63% zeros, 1.5% rejections.)"""
    import warnings

    rng = np.random.default_rng(2026)
    naive, mixture, zero = [], [], []
    for _ in range(300):
        n_g, per = 150, 8
        df = pd.DataFrame({"g": np.repeat([f"g{j}" for j in range(n_g)], per), "x": rng.normal(size=n_g * per)})
        df["y"] = rng.binomial(5, 1 / (1 + np.exp(-(-0.2 + 0.5 * df["x"]))))
        df["n"] = 5
        model = bl.LogitModel("y ~ x + (1 | g)", df, trials="n")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = bl.lrtest(model.fit_mle(), model.fit_mle(pooling="complete"))
        naive.append(out["p_value"].iloc[0] < 0.05)
        mixture.append(out["p_value_boundary"].iloc[0] < 0.05)
        zero.append(out["statistic"].iloc[0] < 1e-6)
    assert 0.02 <= np.mean(mixture) <= 0.08, np.mean(mixture)
    assert np.mean(naive) < np.mean(mixture)
    assert 0.40 <= np.mean(zero) <= 0.60, np.mean(zero)
