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
