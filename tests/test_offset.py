"""Offsets: ``offset(expr)`` in the formula and ``offset=`` on the model, in every path that
computes the linear predictor ``eta = X beta + offset``.

References: statsmodels ``GLM(y, X, family=Binomial(), offset=off)`` (with ``freq_weights=``) for
the MLE, scipy.optimize on the penalized objective for the MAP, PyMC's compiled ``logp`` and
nutpie for the posterior, arviz's ``loo`` on the materialised log-likelihood, and hand
computations ``expit(X_new @ beta + off_new)`` for predictions.
"""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import optimize
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.design import ARRAY_OFFSET

FORMULA = "y ~ x + C(g) + offset(np.log(e))"
SMALL = dict(draws=500, tune=500, chains=2, random_seed=5, progressbar=False)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(21)
    n = 400
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n), "e": rng.uniform(0.05, 1.5, n)})
    df["log_e"] = np.log(df["e"])
    eta = 0.3 + 0.9 * df.x - 0.6 * (df.g == "c") + df["log_e"]
    df["y"] = rng.binomial(1, expit(eta))
    df["n"] = rng.integers(1, 8, n)
    df["k"] = rng.binomial(df["n"], expit(eta))
    df["w"] = rng.integers(1, 5, n)
    return df


@pytest.fixture(scope="module")
def model(data):
    return bl.LogitModel(FORMULA, data)


@pytest.fixture(scope="module")
def post(model):
    return model.sample(**SMALL)


def _glm(endog, X, off, **kw):
    return sm.GLM(endog, X, family=sm.families.Binomial(), offset=off, **kw).fit(tol=1e-13, maxiter=100)


# -- the design ------------------------------------------------------------------------------------


def test_formula_offset_equals_offset_column_and_array(data, model):
    d = model.design
    np.testing.assert_allclose(d.offset, data["log_e"], rtol=1e-15)
    assert d.column_names == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "x"]  # not a coefficient
    assert d.offset_terms == ("np.log(e)",) and d.offset_name is None
    by_column = bl.LogitModel("y ~ x + C(g)", data, offset="log_e")
    by_array = bl.LogitModel("y ~ x + C(g)", data, offset=data["log_e"].to_numpy())
    a, b, c = model.fit_mle(), by_column.fit_mle(), by_array.fit_mle()
    np.testing.assert_array_equal(a.params, b.params)
    np.testing.assert_array_equal(a.params, c.params)
    assert list(a.params.index) == list(a.coef_table().index) == d.column_names
    # both kinds at once are summed, as in R's glm
    both = bl.LogitModel("y ~ x + C(g) + offset(0.5 * np.log(e))", data.assign(h=0.5 * data["log_e"]), offset="h")
    np.testing.assert_allclose(both.design.offset, data["log_e"], rtol=1e-12)
    assert by_array.design.offset_name == ARRAY_OFFSET
    assert "offset np.log(e)" in repr(model) and "offset np.log(e)" in repr(d)
    assert "offset log_e" in repr(by_column.design) and "an array (offset=)" in repr(by_array)


def test_mle_equals_statsmodels_glm_with_offset(data, model):
    mle = model.fit_mle()
    ref = _glm(data["y"].to_numpy(), mle.design.X, data["log_e"].to_numpy())
    np.testing.assert_allclose(mle.params, ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mle.bse, ref.bse, rtol=1e-7)
    np.testing.assert_allclose(mle.llf, ref.llf, rtol=1e-10)
    np.testing.assert_allclose(mle.llnull, ref.llnull, rtol=1e-9)  # intercept-only, with the offset
    text = str(mle.summary())
    assert "Offset:" in text and "np.log(e)" in text


def test_binomial_and_weighted_mle_equal_statsmodels(data):
    off = data["log_e"].to_numpy()
    mle = bl.LogitModel("k ~ x + C(g) + offset(np.log(e))", data, trials="n").fit_mle()
    ref = _glm(np.column_stack([data["k"], data["n"] - data["k"]]), mle.design.X, off)
    np.testing.assert_allclose(mle.params, ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(mle.bse, ref.bse, rtol=1e-7)
    w = bl.LogitModel("y ~ x + C(g)", data, weights="w", offset="log_e").fit_mle()
    ref = _glm(data["y"].to_numpy(), w.design.X, off, freq_weights=data["w"].to_numpy())
    np.testing.assert_allclose(w.params, ref.params, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(w.bse, ref.bse, rtol=1e-7)
    np.testing.assert_allclose(w.llf, ref.llf, rtol=1e-10)


def test_map_and_penalized_map_equal_scipy_on_the_penalized_objective(data, model):
    d = model.design
    X, y, off = d.X, d.y.astype(float), d.offset

    def neg_logpost(b, log_prior):
        eta = X @ b + off
        return -(np.sum(y * eta - np.logaddexp(0, eta)) + log_prior(b))

    # Normal(0, 1) on every slope (the intercept keeps its default centred prior)
    fit = model.fit_map(priors=bl.Normal(0, 1))
    T = fit.priors.centring_map()
    sd0 = fit.priors.priors["Intercept"].sigma

    def normal_prior(b):
        a = T @ b
        return -0.5 * (a[0] / sd0) ** 2 - 0.5 * np.sum(a[1:] ** 2)

    ref = optimize.minimize(neg_logpost, np.zeros(4), args=(normal_prior,), method="BFGS", options={"gtol": 1e-10})
    np.testing.assert_allclose(fit.params, ref.x, atol=2e-6)
    # an L1 (Laplace) prior: the penalized path (fit/penalized.py) against Powell on the kinked objective
    lasso = model.fit_map(
        priors={
            "Intercept": bl.Flat(),
            "x": bl.Laplace(0, 0.5),
            "C(g)[T.b]": bl.Laplace(0, 0.05),
            "C(g)[T.c]": bl.Laplace(0, 0.5),
        }
    )

    def laplace_prior(b):
        return -np.sum(np.abs(b[[2, 3]]) / 0.5) - abs(b[1]) / 0.05

    ref = optimize.minimize(
        neg_logpost,
        lasso.params.to_numpy() + 0.05,
        args=(laplace_prior,),
        method="Powell",
        options={"xtol": 1e-10, "ftol": 1e-14, "maxfev": 100_000},
    )
    np.testing.assert_allclose(lasso.params, ref.x, atol=1e-5)
    assert neg_logpost(lasso.params.to_numpy(), laplace_prior) <= ref.fun + 1e-9
    assert lasso.at_kink.tolist() == [False, True, False, False]


# -- the posterior ---------------------------------------------------------------------------------


def test_pymc_logp_equals_the_numpy_and_compiled_densities(data, model):
    from bayeslogit.fit.laplace import log_density, log_density_blocks
    from bayeslogit.fit.nuts.density import LogDensity

    pm_model = model.pymc_model
    assert "offset" in pm_model.named_vars
    logp = pm_model.compile_logp()
    dens = LogDensity.from_model(model)
    rng = np.random.default_rng(0)
    T = model.priors.centring_map()
    B = rng.normal(scale=0.7, size=(6, 4))  # original-scale coefficients
    ref = np.array([float(logp({"beta_normal": T @ b})) for b in B])
    ours = dens.logp_grad(B)[0]
    # LogDensity drops constants (the priors' normalisers): compare differences between points
    np.testing.assert_allclose(np.diff(ours), np.diff(ref), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(log_density(dens, B), ours, rtol=1e-11)  # numba kernel (offset column)
    np.testing.assert_allclose(log_density_blocks(dens, B), ours, rtol=1e-11)
    # ... and an offset changes the density: without it the differences are not the same
    plain = LogDensity.from_model(bl.LogitModel("y ~ x + C(g)", data))
    assert not np.allclose(np.diff(plain.logp_grad(B)[0]), np.diff(ref), rtol=1e-3)


def test_rows_with_equal_covariates_merge_only_with_equal_offsets():
    from bayeslogit.fit.nuts.density import collapse_rows

    X = np.repeat(np.array([[1.0, 0.0], [1.0, 1.0]]), 4, axis=0)
    y = np.array([0, 1, 1, 0, 1, 1, 0, 1])
    off = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 2.0])
    Xu, yu, mu, ou = collapse_rows(X, y, None, off)
    assert Xu.shape[0] == 4 and mu.sum() == 8 and yu.sum() == y.sum()
    got = sorted(zip(Xu[:, 1], ou, mu, yu))
    assert got == [(0.0, 0.0, 2.0, 1.0), (0.0, 1.0, 2.0, 1.0), (1.0, 0.0, 3.0, 2.0), (1.0, 2.0, 1.0, 1.0)]


@pytest.mark.slow  # a second sampler's run (about 4 s): CI's make test-slow
def test_nuts_posterior_agrees_with_nutpie(model, post):
    assert post.sampler == "bayeslogit"
    ref = model.sample(**SMALL, sampler="nutpie")
    ta, tb = post.coef_table(), ref.coef_table()
    tol = 4 * np.hypot(ta["mcse_mean"], tb["mcse_mean"])
    assert (np.abs(ta["mean"] - tb["mean"]) < tol).all(), (ta["mean"], tb["mean"], tol)
    np.testing.assert_allclose(ta["sd"], tb["sd"], rtol=0.15)
    assert "offset" in post.idata.constant_data and "offset" in ref.idata.constant_data


def test_laplace_with_offset_agrees_with_nuts(model, post):
    lap = model.sample(**SMALL, method="laplace")
    assert lap.sampler == "laplace+psis"
    ta, tb = lap.coef_table(), post.coef_table()
    tol = 4 * np.hypot(ta["mcse_mean"], tb["mcse_mean"])
    assert (np.abs(ta["mean"] - tb["mean"]) < tol).all(), (ta["mean"], tb["mean"], tol)


def test_loo_with_offset_equals_arviz_on_the_materialised_log_likelihood(model):
    import arviz as az
    import xarray as xr

    fit = model.sample(**SMALL, log_likelihood=True)
    ll = fit.idata.log_likelihood["y"].values
    # the stored log-likelihood is the offset model's, checked by hand at one draw
    b = fit.idata.posterior["beta"].values[1, 7]
    d = model.design
    eta = d.X @ b + d.offset
    np.testing.assert_allclose(ll[1, 7], d.y * eta - np.logaddexp(0, eta), rtol=1e-12)
    tree = xr.DataTree.from_dict(
        {
            "posterior": fit.idata.posterior.to_dataset(),
            "observed_data": fit.idata.observed_data.to_dataset(),
            "log_likelihood": fit.idata.log_likelihood.to_dataset(),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = az.loo(tree, pointwise=True, var_name="y")
        ours = fit.loo()
    e = getattr(ours, "elpd_data", ours)
    # bayeslogit's vectorised PSIS (_psis.py) equals ArviZ's per-row loop to rounding
    np.testing.assert_allclose([e.elpd, e.se, e.p], [ref.elpd, ref.se, ref.p], rtol=1e-10)
    np.testing.assert_allclose(e.pareto_k.values, ref.pareto_k.values, rtol=1e-9, atol=1e-12)
    # subsampled LOO: its point-estimate approximation uses the offset too
    import arviz_stats as azs

    from bayeslogit.interpret.loo import psis_loo

    rows = np.sort(np.random.default_rng(7).choice(d.n_obs, size=120, replace=False))
    sub = psis_loo(fit, method="subsample", observations=rows).elpd_data

    def plpd(observed, data):
        eta = d.X @ data.posterior["beta"].values + d.offset
        return d.y * eta - np.logaddexp(0, eta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = azs.loo_subsample(tree, observations=rows, var_name="y", method="plpd", log_lik_fn=plpd, pointwise=True)
    assert sub.elpd == pytest.approx(ref.elpd, rel=1e-12) and sub.se == pytest.approx(ref.se, rel=1e-12)
    assert sub.subsampling_se == pytest.approx(ref.subsampling_se, rel=1e-10)


def test_prior_predictive_uses_the_offset(data):
    big = bl.LogitModel("y ~ x", data.assign(o=25.0), offset="o", priors=bl.Normal(0, 0.1))
    tree = big.sample_prior_predictive(50, random_seed=1)
    assert tree.prior_predictive["y"].values.min() == 1  # expit(eta + 25) ~ 1 for every draw
    np.testing.assert_array_equal(tree.constant_data["offset"].values, 25.0)


# -- predictions and effects -----------------------------------------------------------------------


def test_predict_uses_the_new_rows_offset(model, post):
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.0], "g": ["a", "c", "b"], "e": [0.1, 1.0, 3.0]})
    X_new = model.design.encode(new)
    off_new = np.log(new["e"].to_numpy())
    mle = model.fit_mle()
    np.testing.assert_allclose(mle.predict(new)["estimate"], expit(X_new @ mle.params.to_numpy() + off_new), rtol=1e-12)
    np.testing.assert_allclose(
        mle.predict(new, kind="linear")["estimate"], X_new @ mle.params.to_numpy() + off_new, rtol=1e-12
    )
    B = post.draws()
    np.testing.assert_allclose(post.predict(new)["mean"], expit(B @ X_new.T + off_new).mean(axis=0), rtol=1e-12)
    draws = post.predict(new, kind="draws").values.reshape(-1, 3)
    np.testing.assert_allclose(draws, expit(B @ X_new.T + off_new), rtol=1e-12)
    # the training rows: the model's own offset
    np.testing.assert_allclose(mle.predict()["estimate"], mle.fittedvalues, rtol=1e-12)
    np.testing.assert_allclose(mle.fittedvalues, expit(model.design.X @ mle.params.to_numpy() + model.design.offset))
    with pytest.raises(bl.DataError, match=r"new data lacks column 'e' used by the offset"):
        mle.predict(new.drop(columns="e"))
    with pytest.raises(bl.ArgumentError, match=r"offset comes from its formula"):
        mle.predict(new, offset=[0.0, 0.0, 0.0])
    rep = post.posterior_predictive(new.assign(e=1e-9), random_seed=1)  # log(1e-9) = -20.7: no events
    assert int(rep.values.max()) == 0


def test_predict_with_an_offset_column_or_array(data):
    new = pd.DataFrame({"x": [0.5, -0.5], "g": ["a", "b"], "log_e": [0.2, -1.0]})
    col = bl.LogitModel("y ~ x + C(g)", data, offset="log_e").fit_mle()
    beta = col.params.to_numpy()
    X_new = col.design.encode(new)
    np.testing.assert_allclose(col.predict(new)["estimate"], expit(X_new @ beta + [0.2, -1.0]), rtol=1e-12)
    np.testing.assert_allclose(
        col.predict(new, offset=[1.0, 2.0])["estimate"], expit(X_new @ beta + [1.0, 2.0]), rtol=1e-12
    )
    with pytest.raises(bl.DataError, match=r"new data lacks the offset column 'log_e'"):
        col.predict(new.drop(columns="log_e"))
    arr = bl.LogitModel("y ~ x + C(g)", data, offset=data["log_e"].to_numpy()).fit_mle()
    with pytest.raises(bl.ArgumentError, match=r"offset was given as an array.*pass offset="):
        arr.predict(new)
    np.testing.assert_allclose(
        arr.predict(new, offset=np.array([0.2, -1.0]))["estimate"], col.predict(new)["estimate"], rtol=1e-10
    )
    with pytest.raises(bl.ArgumentError, match=r"offset= has shape \(3,\), but needs one number per new rows \(2\)"):
        arr.predict(new, offset=[1.0, 2.0, 3.0])
    with pytest.raises(bl.ArgumentError, match=r"no new data were given"):
        arr.predict(offset=[1.0, 2.0])
    with pytest.raises(bl.ArgumentError, match=r"the model has no offset"):
        bl.LogitModel("y ~ x", data).fit_mle().predict(new, offset=[1.0, 2.0])


def test_marginal_effects_include_the_offset(data, model):
    mle = model.fit_mle()
    beta = mle.params.to_numpy()
    p = expit(model.design.X @ beta + model.design.offset)
    me = mle.marginal_effects()
    assert list(me.index) == ["x", "g[b vs a]", "g[c vs a]"]  # no effect for the offset
    np.testing.assert_allclose(me.loc["x", "estimate"], np.mean(p * (1 - p)) * beta[3], rtol=1e-6)
    base = model.design.X @ beta + model.design.offset - model.design.X[:, 1:3] @ beta[1:3]
    np.testing.assert_allclose(
        me.loc["g[c vs a]", "estimate"], np.mean(expit(base + beta[2]) - expit(base)), rtol=1e-10
    )
    # an offset that is a function of the variable: d offset / dx enters dP/dx
    df = data.assign(z=data["e"])
    m2 = bl.LogitModel("y ~ z + offset(0.5 * z)", df).fit_mle()
    b2 = m2.params.to_numpy()
    p2 = expit(b2[0] + (b2[1] + 0.5) * df["z"].to_numpy())
    np.testing.assert_allclose(
        m2.marginal_effects().loc["z", "estimate"], np.mean(p2 * (1 - p2)) * (b2[1] + 0.5), rtol=1e-6
    )


# -- saving, pickling, the CLI ------------------------------------------------------------------------


def test_save_load_and_pickle_keep_the_offset(data, model, post, tmp_path):
    new = pd.DataFrame({"x": [0.3, 1.0], "g": ["b", "c"], "e": [0.5, 2.0]})
    post.save(tmp_path / "post.nc")
    again = bl.load(tmp_path / "post.nc")  # trust=False: offset(...) passes the safe grammar
    np.testing.assert_array_equal(again.model.design.offset, model.design.offset)
    pd.testing.assert_frame_equal(again.predict(new), post.predict(new))
    arr = bl.LogitModel("y ~ x + C(g)", data, offset=data["log_e"].to_numpy()).fit_mle()
    arr.save(tmp_path / "arr.nc")
    back = bl.load(tmp_path / "arr.nc")
    np.testing.assert_array_equal(back.model.design.offset, data["log_e"].to_numpy())
    off = np.log(new["e"].to_numpy())
    pd.testing.assert_frame_equal(back.predict(new, offset=off), arr.predict(new, offset=off))
    unpickled = pickle.loads(pickle.dumps(arr.model))
    np.testing.assert_array_equal(unpickled.design.offset, data["log_e"].to_numpy())
    assert unpickled.fit_mle().params.equals(arr.params)


def test_the_safe_grammar_allows_offset_but_not_code():
    from bayeslogit._formula import UnsafeFormula, check_formula

    check_formula("y ~ x + offset(np.log(e))", ["y", "x", "e"])
    with pytest.raises(UnsafeFormula, match="__import__"):
        check_formula("y ~ x + offset(__import__('os').getpid())", ["y", "x"])
    with pytest.raises(UnsafeFormula, match="offset\\(\\) takes exactly one expression"):
        check_formula("y ~ x + offset(e, 2)", ["y", "x", "e"])


def test_cli_fit_with_offset_column_and_formula_offset(data, tmp_path, capsys):
    from bayeslogit.cli import main

    path = tmp_path / "d.csv"
    data.to_csv(path, index=False)
    small = ["--draws", "200", "--tune", "200", "--chains", "2", "--seed", "3", "--quiet"]
    ref = bl.LogitModel("y ~ x", data, offset="log_e").fit_mle()
    for extra, formula in ((["--offset", "log_e"], "y ~ x"), ([], "y ~ x + offset(np.log(e))")):
        code = main(["fit", str(path), formula, *extra, *small])
        out = capsys.readouterr().out
        assert code in (0, 3), out  # 3: a diagnostic check failed on these short runs
        assert "Offset:" in out
        rows = [line.split() for line in out.splitlines() if line.split()[:1] == ["x"] and len(line.split()) == 7]
        row = rows[-1]  # the MLE / MAP / posterior comparison table: "estimate (sd)" three times
        assert float(row[1]) == pytest.approx(ref.params["x"], abs=6e-4)  # the printed MLE


# -- errors ----------------------------------------------------------------------------------------


def test_offset_errors(data):
    with pytest.raises(bl.DataError, match=r"offset='nope' is not a column of data"):
        bl.LogitModel("y ~ x", data, offset="nope")
    with pytest.raises(bl.DesignError, match=r"offset column 'g' must hold numbers"):
        bl.LogitModel("y ~ x", data, offset="g")
    with pytest.raises(bl.DesignError, match=r"offset\(g\) must be one number per row"):
        bl.LogitModel("y ~ x + offset(g)", data)
    nan = data.assign(log_e=data["log_e"].where(data.index != 3))
    with pytest.raises(
        bl.DataError, match=r"1 of 400 rows have missing values \(per column: 'log_e' \(1\)\).*missing='drop'"
    ):
        bl.LogitModel("y ~ x", nan, offset="log_e")
    with pytest.warns(bl.MissingDataWarning, match="dropped 1 of 400"):
        dropped = bl.LogitModel("y ~ x", nan, offset="log_e", missing="drop")
    np.testing.assert_array_equal(dropped.design.offset, np.delete(data["log_e"].to_numpy(), 3))
    with pytest.raises(bl.DesignError, match=r"offset column 'log_e' is not finite \(inf or NaN\) in 1 row"):
        bl.LogitModel("y ~ x", data.assign(log_e=np.r_[np.inf, data["log_e"].to_numpy()[1:]]), offset="log_e")
    with pytest.raises(bl.DesignError, match=r"offset\(np.log\(e - 1\)\) is not finite"):
        bl.LogitModel("y ~ x + offset(np.log(e - 1))", data)
    with pytest.raises(bl.DataError, match=r"offset= has shape \(3,\), but needs one number per rows of data \(400\)"):
        bl.LogitModel("y ~ x", data, offset=[1.0, 2.0, 3.0])
    with pytest.raises(bl.FormulaError, match=r"offset\(\.\.\.\) cannot be part of an interaction"):
        bl.LogitModel("y ~ x + x:offset(e)", data)
    with pytest.raises(bl.FormulaError, match=r"must be a term of its own"):
        bl.LogitModel("y ~ x + np.exp(offset(e))", data)


def test_separation_does_not_depend_on_the_offset():
    df = pd.DataFrame(
        {"y": [0, 0, 0, 1, 1, 1], "x": [-3.0, -2.0, -1.0, 1.0, 2.0, 3.0], "o": [5.0, -1.0, 2.0, 0.0, -4.0, 1.0]}
    )
    with pytest.warns(bl.SeparationWarning, match="complete separation"):
        fit = bl.LogitModel("y ~ x", df, offset="o").fit_mle()
    assert fit.separation == "complete"


def test_summaries_and_the_report_say_there_is_an_offset(model, post, tmp_path):
    for fit in (post, model.fit_map()):
        text = str(fit.summary())
        assert "Offset:" in text and "np.log(e) (coefficient fixed at 1)" in text
    assert "Offset:" in model._repr_html_()
    path = tmp_path / "r.html"
    post.report(path)
    html = path.read_text()
    model_section = html.split("<h2 id='model'>")[1].split("<h2")[0]
    assert "Offset:" in model_section and "np.log(e) (coefficient fixed at 1)" in model_section
    diag = post.diagnostics()  # fit quality from the offset model's fitted probabilities
    from bayeslogit.check.scores import fitted_probabilities

    d = model.design
    p = expit(post.draws() @ d.X.T + d.offset).mean(axis=0)
    np.testing.assert_allclose(fitted_probabilities(post), p, rtol=1e-10)
    assert diag.prior_sensitivity is not None


def test_scale_by_cv_scores_the_held_out_rows_with_their_offset(data):
    # C huge: the MAP is the MLE of each training fold, fitted by statsmodels with the offset
    model = bl.LogitModel("y ~ x + offset(np.log(e))", data)
    idx = np.arange(len(data))
    folds = [(idx[idx % 2 == 0], idx[idx % 2 == 1]), (idx[idx % 2 == 1], idx[idx % 2 == 0])]
    choice = bl.scale_by_cv(model, Cs=[1e8], folds=folds)
    X, y, off = model.design.X, model.design.y, model.design.offset
    scores = []
    for tr, te in folds:
        b = _glm(y[tr], X[tr], off[tr]).params
        eta = X[te] @ b + off[te]
        scores.append(np.mean(y[te] * eta - np.logaddexp(0, eta)))
    np.testing.assert_allclose(choice.table["log_score"].iloc[0], np.mean(scores), rtol=1e-6)
