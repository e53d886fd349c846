"""Multinomial and ordinal responses (issue 23): fits against statsmodels and scikit-learn,
the family choice, the per-outcome tables and the bad-input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl


def _multinomial_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    eta = np.c_[np.zeros(n), 0.5 + df.x1, -0.3 + 0.8 * df.x2 - 0.5 * df.x1 + 0.4 * (df.g == "v")]
    P = np.exp(eta)
    P /= P.sum(axis=1, keepdims=True)
    u = rng.random(n)
    df["y"] = np.array(["a", "b", "c"])[(np.cumsum(P, axis=1) < u[:, None]).sum(axis=1)]
    df["w"] = rng.integers(1, 4, size=n)
    return df


def _ordinal_data(n=400, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    latent = 0.8 * df.x1 - 0.5 * df.x2 + 0.6 * (df.g == "v") + rng.logistic(size=n)
    labels = np.array(["Low", "Medium", "High", "Top"])[np.digitize(latent, [-0.5, 0.7, 2.0])]
    df["y"] = pd.Categorical(labels, categories=["Low", "Medium", "High", "Top"], ordered=True)
    return df


@pytest.fixture(scope="module")
def mn():
    return _multinomial_data()


@pytest.fixture(scope="module")
def od():
    return _ordinal_data()


# -- the family choice -----------------------------------------------------------------------


def test_auto_family_notes_which_one(mn, od, capsys):
    assert bl.LogitModel("y ~ x1", mn).design.family == "multinomial"
    assert "family='multinomial'" in capsys.readouterr().err
    assert bl.LogitModel("y ~ x1", od).design.family == "ordinal"
    assert "family='ordinal'" in capsys.readouterr().err
    # an explicit family says nothing; two outcomes stay binary, as before
    assert bl.LogitModel("y ~ x1", mn, family="multinomial").design.family == "multinomial"
    two = mn.assign(y=(mn.y == "a").astype(int))
    assert bl.LogitModel("y ~ x1", two).design.family == "bernoulli"
    assert capsys.readouterr().err == ""


def test_unordered_response_can_be_fitted_as_ordinal(od):
    plain = od.assign(y=od.y.astype(str))
    m = bl.LogitModel("y ~ x1", plain, family="ordinal")  # levels in sorted order here
    assert m.design.response_family.cutpoint_names == ["High|Low", "Low|Medium", "Medium|Top"]


# -- MLE = statsmodels ------------------------------------------------------------------------


def test_multinomial_mle_equals_statsmodels_mnlogit(mn):
    import statsmodels.api as sm

    fit = bl.LogitModel("y ~ x1 + x2 + C(g)", mn, family="multinomial").fit_mle()
    d = fit.design
    ref = sm.MNLogit(d.y, d.X).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.T.ravel(), atol=1e-6)
    np.testing.assert_allclose(fit.bse.to_numpy(), ref.bse.T.ravel(), atol=1e-6)
    assert fit.llf == pytest.approx(ref.llf, abs=1e-6)
    assert fit.converged
    assert fit.params.index[0] == ("b", "Intercept")
    # average marginal effects per outcome, and their delta-method standard errors
    me = ref.get_margeff()
    ame = fit.marginal_effects()
    np.testing.assert_allclose(ame["dy/dx"], me.margeff.T.ravel(), atol=1e-6)
    np.testing.assert_allclose(ame["std err"], me.margeff_se.T.ravel(), atol=1e-6)
    assert ame["outcome"].tolist()[:3] == ["a", "a", "a"]


def test_multinomial_reference_level(mn):
    import statsmodels.api as sm

    fit = bl.LogitModel("y ~ x1 + x2", mn, reference="c").fit_mle()
    assert sorted(set(fit.params.index.get_level_values("outcome"))) == ["a", "b"]
    d = fit.design
    codes = np.where(d.y == 2, 0, d.y + 1)  # c first: statsmodels takes the lowest code
    ref = sm.MNLogit(codes, d.X).fit(disp=0, method="newton", tol=1e-12)
    np.testing.assert_allclose(fit.params.to_numpy(), ref.params.T.ravel(), atol=1e-6)
    # the reference changes the parameters, not the fitted probabilities
    other = bl.LogitModel("y ~ x1 + x2", mn, family="multinomial").fit_mle()
    np.testing.assert_allclose(fit.predict().to_numpy(), other.predict().to_numpy(), atol=1e-8)


def test_multinomial_frequency_weights_equal_repeated_rows(mn):
    w = bl.LogitModel("y ~ x1 + x2", mn, weights="w", family="multinomial").fit_mle()
    rep = mn.loc[mn.index.repeat(mn.w)].reset_index(drop=True)
    full = bl.LogitModel("y ~ x1 + x2", rep, family="multinomial").fit_mle()
    np.testing.assert_allclose(w.params, full.params, atol=1e-8)
    np.testing.assert_allclose(w.bse, full.bse, atol=1e-8)
    assert w.llf == pytest.approx(full.llf, abs=1e-8)


def _polr_cutpoints(res):
    """statsmodels' thresholds (first cutpoint + log increments) as cutpoints, with the
    delta-method covariance."""
    k = res.model.exog.shape[1]
    th = res.params.to_numpy()[k:]
    cut = np.concatenate([[th[0]], th[0] + np.cumsum(np.exp(th[1:]))])
    J = np.zeros((len(th), len(th)))
    J[:, 0] = 1.0
    for i in range(1, len(th)):
        J[i:, i] = np.exp(th[i])
    cov = J @ res.cov_params().to_numpy()[k:, k:] @ J.T
    return cut, np.sqrt(np.diag(cov))


def test_ordinal_mle_equals_statsmodels_orderedmodel(od):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    fit = bl.LogitModel("y ~ x1 + x2 + C(g)", od).fit_mle()
    ref = OrderedModel.from_formula("y ~ x1 + x2 + C(g)", od, distr="logit").fit(
        method="bfgs", disp=0, maxiter=5000, gtol=1e-8
    )
    assert fit.params.index.tolist() == ["C(g)[T.v]", "x1", "x2", "Low|Medium", "Medium|High", "High|Top"]
    np.testing.assert_allclose(fit.params.to_numpy()[:3], ref.params.to_numpy()[:3], atol=1e-6)
    cut, cut_se = _polr_cutpoints(ref)
    np.testing.assert_allclose(fit.params.to_numpy()[3:], cut, atol=1e-6)
    np.testing.assert_allclose(fit.bse.to_numpy()[:3], ref.bse.to_numpy()[:3], atol=1e-6)
    np.testing.assert_allclose(fit.bse.to_numpy()[3:], cut_se, atol=1e-6)
    assert fit.llf == pytest.approx(ref.llf, abs=1e-6)
    np.testing.assert_allclose(fit.predict(od.head(20)).to_numpy(), ref.predict(od.head(20)), atol=1e-7)


def test_ordinal_offset_equals_statsmodels(od):
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    off = 0.3 * od.x2.to_numpy()
    fit = bl.LogitModel("y ~ x1", od, offset=off).fit_mle()
    exog = od[["x1"]].to_numpy()
    ref = OrderedModel(od.y, exog, offset=off, distr="logit").fit(method="bfgs", disp=0, gtol=1e-8, maxiter=5000)
    np.testing.assert_allclose(fit.params.to_numpy()[:1], ref.params.to_numpy()[:1], atol=1e-6)
    assert fit.llf == pytest.approx(ref.llf, abs=1e-6)
    with pytest.raises(bl.DesignError, match="offsets are not supported with family='multinomial'"):
        bl.LogitModel("y ~ x1", od.assign(y=od.y.astype(str)), family="multinomial", offset=off)


def test_ordinal_marginal_effects_are_derivatives_of_the_probabilities(od):
    fit = bl.LogitModel("y ~ x1 + x2", od).fit_mle()
    ame = fit.marginal_effects().set_index(["outcome", "term"])["dy/dx"]
    h = 1e-6
    up = fit.predict(od.assign(x1=od.x1 + h)).mean()
    down = fit.predict(od.assign(x1=od.x1 - h)).mean()
    numeric = (up - down) / (2 * h)
    np.testing.assert_allclose(ame.xs("x1", level="term").to_numpy(), numeric.to_numpy(), atol=1e-7)
    assert abs(ame.xs("x1", level="term").sum()) < 1e-12  # probabilities sum to one


# -- MAP ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("c_value", [0.05, 1.0])
def test_sklearn_prior_reproduces_multinomial_logistic_regression(mn, c_value):
    from sklearn.linear_model import LogisticRegression

    model = bl.LogitModel("y ~ x1 + x2 + C(g)", mn, family="multinomial")
    fit = model.fit_map(priors=bl.sklearn_prior(c_value))
    X = model.design.X[:, 1:]
    sk = LogisticRegression(C=c_value, tol=1e-12, max_iter=10_000).fit(X, mn.y)
    np.testing.assert_allclose(fit.predict().to_numpy(), sk.predict_proba(X), atol=1e-5)
    # the estimates are reported against the reference level: sklearn's coef_ differences
    B = fit.params.to_numpy().reshape(2, 4)
    np.testing.assert_allclose(B[:, 1:], sk.coef_[1:] - sk.coef_[0], atol=1e-4)


def test_sklearn_prior_without_intercept(mn):
    from sklearn.linear_model import LogisticRegression

    model = bl.LogitModel("y ~ 0 + x1 + x2", mn, family="multinomial")
    fit = model.fit_map(priors=bl.sklearn_prior(0.3, fit_intercept=False))
    sk = LogisticRegression(C=0.3, fit_intercept=False, tol=1e-12, max_iter=10_000).fit(mn[["x1", "x2"]], mn.y)
    np.testing.assert_allclose(fit.predict().to_numpy(), sk.predict_proba(mn[["x1", "x2"]]), atol=1e-5)


def test_map_under_normal_prior_against_scipy(od):
    """The ordinal MAP under Normal priors: scipy's optimiser on the same log posterior (the
    user's Intercept prior applies to each cutpoint's intercept -theta_k, uncentred as for
    binary models)."""
    from scipy.optimize import minimize
    from scipy.special import expit
    from scipy.stats import norm

    model = bl.LogitModel("y ~ x1 + x2", od, priors={"Intercept": bl.Normal(0, 3), "x1": bl.Normal(0, 0.5)})
    fit = model.fit_map()
    X, y = model.design.X[:, 1:], model.design.y
    sd_x2 = 2.5 / X[:, 1].std(ddof=1)

    def neg(t):
        beta, cut = t[:2], t[2:]
        if np.any(np.diff(cut) <= 0):
            return np.inf
        ext = np.concatenate([[-np.inf], cut, [np.inf]])
        eta = X @ beta
        ll = np.log(expit(ext[y + 1] - eta) - expit(ext[y] - eta)).sum()
        lp = norm.logpdf(beta[0], 0, 0.5) + norm.logpdf(beta[1], 0, sd_x2) + norm.logpdf(-cut, 0, 3).sum()
        return -(ll + lp)

    ref = minimize(neg, np.r_[0, 0, -1, 0, 1], method="BFGS", options={"gtol": 1e-9})
    np.testing.assert_allclose(fit.params.to_numpy(), ref.x, atol=1e-5)
    assert fit.label == "MAP"
    assert fit.coef_table().columns.tolist() == ["term", "mode", "sd", "lower", "upper"]


@pytest.mark.parametrize(("c_value", "ratio"), [(0.05, 1.0), (0.3, 0.5)])
def test_sklearn_l1_and_elastic_net_multinomial(mn, c_value, ratio):
    """L1 (saga) and elastic net: the lasso zeros and the probabilities of scikit-learn's fit."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    model = bl.LogitModel("y ~ x1 + x2 + C(g)", mn, family="multinomial")
    fit = model.fit_map(priors=bl.sklearn_prior(c_value, l1_ratio=ratio))
    X = model.design.X[:, 1:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's convergence warning at tol=1e-12
        sk = LogisticRegression(C=c_value, l1_ratio=ratio, solver="saga", tol=1e-12, max_iter=100_000).fit(X, mn.y)
    np.testing.assert_allclose(fit.predict().to_numpy(), sk.predict_proba(X), atol=1e-5)
    assert fit.converged


# -- downstream ----------------------------------------------------------------------------------


def test_tables_and_predictions(mn, od):
    fit = bl.LogitModel("y ~ x1 + x2", mn, family="multinomial").fit_mle()
    t = fit.coef_table()
    assert t.columns.tolist() == ["outcome", "term", "coef", "std err", "z", "P>|z|", "[0.025", "0.975]"]
    text = str(fit.summary())
    assert "y = b" in text and "y = c" in text and "Reference:" in text
    p = fit.predict(mn.head(5))
    assert p.columns.tolist() == ["a", "b", "c"] and p.index.equals(mn.head(5).index)
    assert fit.predict_class(mn.head(5)).tolist() == p.idxmax(axis=1).tolist()
    orr = fit.odds_ratios()
    np.testing.assert_allclose(orr["odds_ratio"], np.exp(fit.params.to_numpy()))
    ofit = bl.LogitModel("y ~ x1", od).fit_mle()
    assert ofit.odds_ratios()["term"].tolist() == ["x1"]
    assert "Medium|High" in str(ofit.summary())


def test_categorical_models_pickle(mn, od):
    import pickle

    for model in (
        bl.LogitModel(
            "y ~ x1 + x2", mn.assign(y=mn.y.map({"a": 0, "b": 1, "c": 2})), family="multinomial", reference=2
        ),
        bl.LogitModel("y ~ x1", od),
    ):
        back = pickle.loads(pickle.dumps(model))
        assert back.design.response_family.levels == model.design.response_family.levels
        np.testing.assert_allclose(back.fit_mle().params, model.fit_mle().params, rtol=0, atol=1e-12)
    assert back.design.family == "ordinal"


def test_separated_multinomial_mle_warns():
    """Iris by its sepals: setosa is linearly separable from versicolor, so the MLE does not
    exist (statsmodels' MNLogit runs off to other arbitrary values); the MAP stays finite."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    df = iris.data.iloc[:, :2].set_axis(["sl", "sw"], axis=1).assign(y=iris.target_names[iris.target])
    model = bl.LogitModel("y ~ sl + sw", df, family="multinomial")
    with pytest.warns(bl.SeparationWarning, match="separated by the predictors.*use fit_map"):
        model.fit_mle()
    assert model.fit_map().bse.max() < 10


# -- bad input ------------------------------------------------------------------------------------


def test_bad_input_names_the_column_and_the_fix(mn, od):
    empty = od.assign(y=od.y.cat.add_categories(["Never"]))
    with pytest.raises(bl.DataError, match=r"response 'y' has level\(s\) 'Never' with no rows; drop them"):
        bl.LogitModel("y ~ x1", empty)
    many = mn.assign(y=np.arange(len(mn)) % 60)
    with pytest.raises(bl.DataError, match=r"response 'y' has 60 distinct outcomes \(more than 50\)"):
        bl.LogitModel("y ~ x1", many, family="multinomial")
    two = mn.assign(y=np.where(mn.y == "a", "lo", "hi"))
    with pytest.raises(bl.DataError, match="an ordinal model needs three or more.*family='bernoulli'"):
        bl.LogitModel("y ~ x1", two, family="ordinal")
    with pytest.raises(bl.ArgumentError, match=r"reference='z' is not an outcome of response 'y'.*pass one of them"):
        bl.LogitModel("y ~ x1", mn, reference="z")
    with pytest.raises(bl.ArgumentError, match="family must be one of"):
        bl.LogitModel("y ~ x1", mn, family="poisson")
    with pytest.raises(bl.DesignError, match="ordinal model's cutpoints take the intercept's place"):
        bl.LogitModel("y ~ 0 + x1", od)


# -- the posterior (PyMC's model; slow: compiling it takes tens of seconds) ----------------------


def _numpy_log_posterior(model, theta):
    from bayeslogit.fit.categorical import log_prior

    d, fam = model.design, model.design.response_family
    ll, _, _ = fam.loglik_grad_hess(d.X, d.y, theta, d.offset, hessian=False)
    return ll + log_prior(model.priors, fam.prior_blocks(d.n_coef), theta)[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_pymc_model_density_equals_the_map_objective_and_sampling_works(mn, od, kind):
    """The PyMC model's log density (without the transform's Jacobian) equals the log
    posterior Newton maximises, at random points; NUTS's posterior mean sits near the mode."""
    from bayeslogit.fit.categorical_pymc import build_categorical_model

    data = mn if kind == "multinomial" else od
    prior = bl.Laplace(0, 1.0) if kind == "multinomial" else bl.StudentT(3, 0, 1.5)
    model = bl.LogitModel("y ~ x1 + x2", data, family=kind, priors=prior)
    pm_model = build_categorical_model(model.design, model.priors)
    logp = pm_model.compile_logp(jacobian=False)
    fit = model.fit_map()
    rng = np.random.default_rng(3)
    for _ in range(3):
        theta = fit.params.to_numpy() + rng.normal(scale=0.1, size=fit.params.size)
        if kind == "multinomial":
            point = {"coefs": theta}
        else:
            cut = theta[2:]
            point = {"slopes": theta[:2], "cutpoints_free_ordered__": np.r_[cut[0], np.log(np.diff(cut))]}
        assert float(logp(point)) == pytest.approx(_numpy_log_posterior(model, theta), abs=1e-6)
    post = model.sample(draws=500, tune=500, chains=2, random_seed=5, sampler="pymc", progressbar=False)
    table = post.coef_table()
    assert (table["r_hat"] < 1.02).all()
    z = (post.params - fit.params) / table["sd"].to_numpy()
    assert np.abs(z.to_numpy()).max() < 0.3  # n = 300-400: the posterior is nearly Gaussian at the mode
    p = post.predict(data.head(3))
    assert p.columns.tolist() == list(model.design.response_family.levels)
    assert np.allclose(p.sum(axis=1), 1)
    # bayeslogit's own NUTS samples the same posterior (the same means within 0.25 sd)
    own = model.sample(draws=500, chains=2, random_seed=5, sampler="bayeslogit", progressbar=False)
    assert own.sampler == "bayeslogit"
    assert np.abs((own.params - post.params).to_numpy() / table["sd"].to_numpy()).max() < 0.25
    # posterior predictive draws: per row, the share of each outcome over the draws is the
    # posterior mean probability (within Monte Carlo error: 1000 draws, 4 sd)
    rep = post.posterior_predictive(data.head(4), random_seed=1)
    share = pd.DataFrame({lev: (rep == lev).mean() for lev in p.columns})
    expect = post.predict(data.head(4))
    assert np.all(np.abs(share.to_numpy() - expect.to_numpy()) < 4 * np.sqrt(0.25 / len(rep)))
    assert rep.equals(post.posterior_predictive(data.head(4), random_seed=1))
    # LOO by row blocks = ArviZ's loo on the whole pointwise log-likelihood
    import arviz as az
    from scipy.special import log_softmax

    ll = np.stack(
        [model.design.response_family.loglik_rows_theta(model.design.X, model.design.y, t) for t in post._draws]
    )
    tree = post.idata.copy()
    c, dr = tree.posterior.sizes["chain"], tree.posterior.sizes["draw"]
    tree["log_likelihood"] = az.from_dict({"log_likelihood": {"y": ll.reshape(c, dr, -1)}}, dims={"y": ["obs"]})[
        "log_likelihood"
    ]
    ref = az.loo(tree)
    ours = post.loo()
    assert ours["elpd_loo"] == pytest.approx(float(ref.elpd), rel=1e-9)
    assert ours["p_loo"] == pytest.approx(float(ref.p), rel=1e-8)
    assert ours["se"] == pytest.approx(float(ref.se), rel=1e-8)
    # and the pointwise log-likelihood itself is the categorical one (softmax, by hand)
    if kind == "multinomial":
        t = post._draws[0]
        B = np.c_[np.zeros(3), t.reshape(2, 3).T]  # reference level a at 0
        by_hand = log_softmax(model.design.X @ B, axis=1)[np.arange(len(data)), model.design.y]
        np.testing.assert_allclose(ll[0], by_hand, atol=1e-12)
    # method="laplace": t proposals + PSIS; the same posterior means as NUTS (within MC error);
    # under the Laplace prior (a kink) it falls back to NUTS with a warning
    if kind == "multinomial":
        with pytest.warns(bl.BayeslogitWarning, match="sampling with NUTS instead"):
            back = model.sample(draws=100, tune=100, chains=1, random_seed=2, method="laplace", progressbar=False)
        assert back.sampler != "laplace+psis"
    else:
        lap = model.sample(draws=1000, chains=2, random_seed=7, method="laplace", progressbar=False)
        assert lap.sampler == "laplace+psis" and lap.idata.posterior.attrs["pareto_k"] < 0.7
        diff = (lap.params - post.params).to_numpy() / table["sd"].to_numpy()
        assert np.abs(diff).max() < 0.2
        np.testing.assert_allclose(lap.coef_table()["sd"], table["sd"], rtol=0.15)
