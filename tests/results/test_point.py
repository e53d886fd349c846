"""MLE and MAP against independent references: statsmodels, scikit-learn and scipy.

The reference numbers are computed in the test from the same data (statsmodels/sklearn are
test-only dependencies), e.g.::

    statsmodels.api.Logit(y, X).fit(method="newton", tol=1e-12)
    sklearn.linear_model.LogisticRegression(C=1, fit_intercept=False, tol=1e-12).fit(X, y)
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize, stats
from sklearn.linear_model import LogisticRegression

import bayeslogit as bl


def _sm_logit(formula, df):
    return smf.logit(formula, df).fit(method="newton", tol=1e-12, maxiter=100, disp=0)


class CheckMLE:
    """Reference class: our MLE vs statsmodels' Logit on the same formula and data."""

    formula: str
    data_fixture: str

    @pytest.fixture
    def pair(self, request):
        df = request.getfixturevalue(self.data_fixture)
        return bl.LogitModel(self.formula, df).fit_mle(), _sm_logit(self.formula, df)

    def test_params_and_bse(self, pair):
        ours, ref = pair
        assert list(ours.params.index) == list(ref.params.index)
        np.testing.assert_allclose(ours.params, ref.params, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(ours.bse, ref.bse, rtol=1e-6)
        np.testing.assert_allclose(ours.tvalues, ref.tvalues, rtol=1e-6)
        np.testing.assert_allclose(ours.pvalues, ref.pvalues, rtol=1e-5, atol=1e-300)
        np.testing.assert_allclose(ours.conf_int().to_numpy(), ref.conf_int().to_numpy(), rtol=1e-6)
        np.testing.assert_allclose(ours.cov_params(), ref.cov_params(), rtol=1e-6)

    def test_fit_statistics(self, pair):
        ours, ref = pair
        for name in ("llf", "llnull", "prsquared", "llr", "aic", "bic", "df_model", "df_resid"):
            assert getattr(ours, name) == pytest.approx(getattr(ref, name), rel=1e-8), name
        assert ours.llr_pvalue == pytest.approx(ref.llr_pvalue, rel=1e-6)
        assert ours.converged and ours.separation is None

    def test_summary_lists_statsmodels_fields(self, pair):
        text = str(pair[0].summary())
        for field in (
            "Dep. Variable:",
            "No. Observations:",
            "Pseudo R-squ.:",
            "Log-Likelihood:",
            "LL-Null:",
            "LLR p-value:",
            "converged:",
            "std err",
            "P>|z|",
            "[0.025",
            "0.975]",
        ):
            assert field in text
        for name in pair[1].params.index:
            assert name in text


class TestMLESeed(CheckMLE):
    formula = "y ~ x1 + x2"
    data_fixture = "seed_df"


class TestMLECategoricalInteraction(CheckMLE):
    formula = "y ~ x1 + C(g) + x1:x2 + I(x2**2)"
    data_fixture = "mixed_df"


def test_mle_equals_glm_binomial_on_aggregated_counts():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": np.linspace(-2, 2, 15), "n": rng.integers(5, 40, 15)})
    df["k"] = rng.binomial(df.n, 1 / (1 + np.exp(-(0.3 + 0.9 * df.x))))
    ours = bl.LogitModel("k ~ x", df, trials="n").fit_mle()
    ref = sm.GLM(np.column_stack([df.k, df.n - df.k]), sm.add_constant(df[["x"]]), family=sm.families.Binomial()).fit(
        tol=1e-12
    )
    np.testing.assert_allclose(ours.params, ref.params, rtol=1e-6)
    np.testing.assert_allclose(ours.bse, ref.bse, rtol=1e-6)
    assert ours.llf == pytest.approx(ref.llf, rel=1e-9)


# -- sklearn's default is a prior ------------------------------------------------------------


def _sk(X, y, **kw):
    return LogisticRegression(tol=1e-12, max_iter=100_000, **kw).fit(X, y)


@pytest.mark.parametrize("C", [1.0, 0.05, 30.0])
def test_map_equals_sklearn_fit_intercept_false_on_full_design(seed_df, C):
    """The seed tutorial's case: the Intercept column is an ordinary, penalised feature."""
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    ours = m.fit_map(priors=bl.sklearn_prior(C=C, fit_intercept=False))
    ref = _sk(m.design.X, seed_df.y, C=C, fit_intercept=False)
    np.testing.assert_allclose(ours.params, ref.coef_[0], atol=1e-5)


@pytest.mark.parametrize("c_value", [1.0, 0.05])
def test_map_equals_sklearn_with_unpenalised_intercept(mixed_df, c_value):
    # (the argument is not called C: patsy would find it in this frame instead of C())
    m = bl.LogitModel("y ~ x1 + C(g) + x1:x2", mixed_df)
    ours = m.fit_map(priors=bl.sklearn_prior(C=c_value, fit_intercept=True))
    ref = _sk(m.design.X[:, 1:], mixed_df.y, C=c_value, fit_intercept=True)
    np.testing.assert_allclose(ours.params.iloc[0], ref.intercept_[0], atol=1e-5)
    np.testing.assert_allclose(ours.params.iloc[1:], ref.coef_[0], atol=1e-5)


def test_sklearn_no_penalty_is_the_mle(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    ours = m.fit_map(priors=bl.sklearn_prior(C=math.inf))
    ref = _sk(m.design.X[:, 1:], seed_df.y, C=np.inf)
    np.testing.assert_allclose(ours.params, m.fit_mle().params, rtol=1e-8)
    np.testing.assert_allclose(ours.params, np.r_[ref.intercept_, ref.coef_[0]], atol=1e-5)


def test_sklearn_prior_errors(seed_df):
    with pytest.raises(bl.PriorError, match=r"C must be a positive number"):
        bl.sklearn_prior(C=0)
    with pytest.raises(bl.PriorError, match=r"needs an intercept in the formula"):
        bl.LogitModel("y ~ 0 + x1", seed_df).fit_map(priors=bl.sklearn_prior(C=1.0))


# -- MAP under other priors vs an independent optimiser -----------------------------------


def _neg_logpost(beta, X, y, logprior):
    eta = X @ beta
    return -(stats.bernoulli.logpmf(y, 1 / (1 + np.exp(-eta))).sum() + logprior(beta))


def test_map_default_prior_and_laplace_sd_match_scipy(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    X, y = m.design.X, seed_df.y.to_numpy()
    xbar = X[:, 1:].mean(axis=0)
    sd = X[:, 1:].std(axis=0, ddof=1)  # R's sd(), as rstanarm

    def logprior(b):  # rstanarm default: N(0, 2.5) on the centred intercept, N(0, 2.5/sd) slopes
        return stats.norm(0, 2.5).logpdf(b[0] + xbar @ b[1:]) + stats.norm(0, 2.5 / sd).logpdf(b[1:]).sum()

    ref = optimize.minimize(_neg_logpost, np.zeros(3), args=(X, y, logprior), method="BFGS", options={"gtol": 1e-10})
    ours = m.fit_map()
    np.testing.assert_allclose(ours.params, ref.x, atol=1e-5)
    # Laplace sd: the inverse of a finite-difference Hessian of the independent log posterior
    h = 1e-4
    H = np.empty((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            f = lambda b: _neg_logpost(b, X, y, logprior)  # noqa: E731
            H[i, j] = (f(ref.x + e_i + e_j) - f(ref.x + e_i - e_j) - f(ref.x - e_i + e_j) + f(ref.x - e_i - e_j)) / (
                4 * h * h
            )
    np.testing.assert_allclose(ours.bse, np.sqrt(np.diag(np.linalg.inv(H))), rtol=1e-4)


@pytest.mark.parametrize("prior", [bl.StudentT(3, 0, 1), bl.Cauchy(0, 2.5)])
def test_map_heavy_tailed_priors_match_scipy(mixed_df, prior):
    m = bl.LogitModel("y ~ x1 + x2", mixed_df, priors={"Intercept": bl.Flat()})
    X, y = m.design.X, mixed_df.y.to_numpy()
    dist = stats.t(3, 0, 1) if isinstance(prior, bl.StudentT) else stats.cauchy(0, 2.5)
    ref = optimize.minimize(
        _neg_logpost,
        np.zeros(3),
        args=(X, y, lambda b: dist.logpdf(b[1:]).sum()),
        method="BFGS",
        options={"gtol": 1e-10},
    )
    ours = m.fit_map(priors={"Intercept": bl.Flat(), "x1": prior, "x2": prior})
    np.testing.assert_allclose(ours.params, ref.x, atol=1e-5)
    assert ours.converged


# -- separation --------------------------------------------------------------------------


def test_complete_separation_warns_names_column_and_map_stays_finite():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2, 3, 4, 5, 6], "z": [0.3, -1, 2, 0.1, 0.5, -0.2]})
    m = bl.LogitModel("y ~ x + z", df)
    with pytest.warns(bl.SeparationWarning, match=r"complete separation: .* along \['x'\]"):
        mle = m.fit_mle()
    assert mle.separation == "complete" and not mle.converged
    assert "does not exist" in str(mle.summary())
    fit = m.fit_map(priors=bl.Normal(0, 2.5))
    assert fit.converged and np.all(np.isfinite(fit.params)) and np.all(np.abs(fit.params) < 10)
    assert np.all(np.isfinite(fit.bse))


def test_quasi_separation_on_a_factor_level(mixed_df):
    df = mixed_df.copy()
    df.loc[df.g == "c", "y"] = 0  # level c never has the event
    with pytest.warns(bl.SeparationWarning, match=r"quasi-complete separation: .*\['C\(g\)\[T.c\]'\]"):
        mle = bl.LogitModel("y ~ x1 + C(g)", df).fit_mle()
    assert mle.separation == "quasi-complete"
    assert mle.params["C(g)[T.c]"] < -10  # diverging towards -inf


def test_no_separation_no_warning(seed_df):
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.SeparationWarning)
        assert bl.LogitModel("y ~ x1 + x2", seed_df).fit_mle().separation is None


def test_huge_linear_predictor_stays_finite():
    rng = np.random.default_rng(0)
    x = rng.normal(size=300) * 1e4
    y = rng.binomial(1, 1 / (1 + np.exp(-(x / 1e4))))
    fit = bl.LogitModel("y ~ x", pd.DataFrame({"y": y, "x": x})).fit_mle()
    assert fit.converged and np.all(np.isfinite(fit.params)) and np.isfinite(fit.llf)
    ref = _sm_logit("y ~ x", pd.DataFrame({"y": y, "x": x}))
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-6)


@pytest.mark.parametrize(
    "kw,match",
    [({"tol": 0}, r"tol must be a number in \(0, 1\)"), ({"max_iter": 0}, r"max_iter must be an integer >= 1")],
)
def test_newton_argument_errors(seed_df, kw, match):
    with pytest.raises(bl.ArgumentError, match=match):
        bl.LogitModel("y ~ x1", seed_df).fit_mle(**kw)


def test_fit_map_prior_is_a_deprecated_alias_of_priors(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    with pytest.warns(FutureWarning, match=r"prior= is deprecated .* use priors= instead \(fit_map"):
        old = model.fit_map(prior=bl.Normal(0, 1))
    new = model.fit_map(priors=bl.Normal(0, 1))
    np.testing.assert_array_equal(old.params, new.params)
    assert old.label == new.label == "MAP Normal(0, 1)"


# -- built complete, unchanged afterwards (issue 21) -------------------------------------------


def test_label_population_names_and_prior_label_are_read_only(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    mle, map_ = m.fit_mle(), m.fit_map(priors=bl.Normal(0, 1))
    assert (mle.label, map_.label, map_.prior_label) == ("MLE", "MAP Normal(0, 1)", "Normal(0, 1)")
    assert mle.population_names == map_.population_names == ["Intercept", "x1", "x2"]
    for fit, attr in ((mle, "label"), (mle, "population_names"), (map_, "label"), (map_, "prior_label")):
        with pytest.raises(AttributeError):
            setattr(fit, attr, "changed")


def test_pooled_fits_are_built_with_their_label_and_population_names():
    rng = np.random.default_rng(0)
    g = np.repeat([f"s{i}" for i in range(5)], 30)
    df = pd.DataFrame({"y": rng.binomial(1, 0.5, size=g.size), "x": rng.normal(size=g.size), "g": g})
    m = bl.LogitModel("y ~ x + (1 | g)", df)
    none = m.fit_mle(pooling="none")
    assert none.label == "MLE (no pooling)" and none.population_names == ["Intercept", "x"]
    assert len(none.coef_names) == 2 + 4  # the sum-to-zero coded levels come on top
    mp = m.fit_map(pooling="none", priors=bl.Normal(0, 2))
    assert (mp.prior_label, mp.label) == ("Normal(0, 2), no pooling", "MAP Normal(0, 2), no pooling")
    assert mp.population_names == ["Intercept", "x"]


def test_deviance_and_residuals_match_statsmodels_glm(mixed_df):
    fit = bl.LogitModel("y ~ x1 + x2 + C(g)", mixed_df).fit_mle()
    ref = smf.glm("y ~ x1 + x2 + C(g)", mixed_df, family=sm.families.Binomial()).fit(tol=1e-12)
    assert fit.deviance == pytest.approx(ref.deviance, rel=1e-8)
    np.testing.assert_allclose(fit.resid_pearson, ref.resid_pearson, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.resid_deviance, ref.resid_deviance, rtol=1e-8, atol=1e-10)
    # with trials: aggregated binomial counts, statsmodels' (successes, failures) endog
    rng = np.random.default_rng(5)
    agg = pd.DataFrame({"x": rng.normal(size=40), "n": rng.integers(1, 12, 40)})
    agg["k"] = rng.binomial(agg["n"], 1 / (1 + np.exp(-0.3 - 0.8 * agg["x"])))
    agg.loc[0, "k"], agg.loc[1, "k"] = 0, agg.loc[1, "n"]  # both ends: 0 log 0
    fit = bl.LogitModel("k ~ x", agg, trials="n").fit_mle()
    endog = np.column_stack([agg["k"], agg["n"] - agg["k"]])
    ref = sm.GLM(endog, sm.add_constant(agg[["x"]]), family=sm.families.Binomial()).fit(tol=1e-12)
    assert fit.deviance == pytest.approx(ref.deviance, rel=1e-8)
    np.testing.assert_allclose(fit.resid_pearson, ref.resid_pearson, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fit.resid_deviance, ref.resid_deviance, rtol=1e-8, atol=1e-10)
    assert bl.LogitModel("k ~ x", agg, trials="n").fit_map().deviance > fit.deviance  # MAP: not the minimum


def test_odds_ratios_per_units(mixed_df):
    fit = bl.LogitModel("y ~ x1 + x2", mixed_df).fit_mle()
    per10 = fit.odds_ratios(per=10)
    one = fit.odds_ratios()
    np.testing.assert_allclose(per10.loc[["x1", "x2"], "estimate"], one.loc[["x1", "x2"], "estimate"] ** 10, rtol=1e-10)
    np.testing.assert_allclose(per10.loc[["x1", "x2"], "ci95_lb"], one.loc[["x1", "x2"], "ci95_lb"] ** 10, rtol=1e-10)
    assert per10.loc["Intercept", "estimate"] == pytest.approx(one.loc["Intercept", "estimate"])  # baseline odds
    some = fit.odds_ratios(per={"x2": -2})
    assert some.loc["x2", "estimate"] == pytest.approx(np.exp(-2 * fit.params["x2"]))
    assert some.loc["x2", "ci95_lb"] < some.loc["x2", "ci95_ub"]
    assert some.loc["x1", "estimate"] == pytest.approx(one.loc["x1", "estimate"])
    with pytest.raises(bl.ArgumentError, match=r"per= names 'age'"):
        fit.odds_ratios(per={"age": 10})
    with pytest.raises(bl.ArgumentError, match=r"per= must be"):
        fit.odds_ratios(per="10")
