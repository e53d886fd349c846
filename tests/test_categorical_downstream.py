"""Multinomial and ordinal fits downstream (issue 23): save/load, posterior odds ratios and
average marginal effects per outcome, diagnostics, compare."""

from __future__ import annotations

import json

import arviz_stats  # noqa: F401 - imported once here, not inside the first test that needs it
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from test_categorical import _multinomial_data, _ordinal_data

import bayeslogit as bl
from bayeslogit.results.categorical import CategoricalPosterior


@pytest.fixture(scope="module")
def mn():
    return _multinomial_data()


@pytest.fixture(scope="module")
def od():
    return _ordinal_data()


@pytest.fixture(scope="module")
def mn_model(mn):
    return bl.LogitModel("y ~ x1 + x2 + C(g)", mn, family="multinomial", reference="b", weights="w")


@pytest.fixture(scope="module")
def od_model(od):
    return bl.LogitModel("y ~ x1 + x2 + C(g)", od, family="ordinal")


def _normal_posterior(model, *, chains=4, draws=1000, seed=0, divergent=0):
    """A posterior of independent normal draws N(MLE, its covariance) (known moments; the
    large-sample posterior under a flat prior), with NUTS-like sample stats, as a sampler
    would return it."""
    fit = model.fit_mle()
    rng = np.random.default_rng(seed)
    mu, L = fit.params.to_numpy(), np.linalg.cholesky(fit.cov_params().to_numpy())
    theta = mu + rng.standard_normal((chains, draws, mu.size)) @ L.T
    div = np.zeros((chains, draws), dtype=bool)
    div.flat[:divergent] = True
    labels = [":".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in fit.params.index]
    coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"theta": (("chain", "draw", "param"), theta)}, coords={**coords, "param": labels}),
            "sample_stats": xr.Dataset(
                {"diverging": (("chain", "draw"), div), "tree_depth": (("chain", "draw"), np.full((chains, draws), 3))},
                coords=coords,
            ),
        }
    )
    return CategoricalPosterior(model, tree, sampler="nutpie", random_seed=seed)


# -- save / load ---------------------------------------------------------------------------------


def _round_trip(fit, tmp_path, data):
    fit.save(tmp_path / "fit.nc")
    back = bl.load(tmp_path / "fit.nc")
    assert type(back) is type(fit)
    assert back.label == fit.label
    pd.testing.assert_series_equal(back.params, fit.params)
    pd.testing.assert_frame_equal(back.predict(data.head(7)), fit.predict(data.head(7)))
    pd.testing.assert_frame_equal(back.predict(), fit.predict())
    return back


def test_point_fits_round_trip(mn_model, od_model, mn, od, tmp_path):
    mle = mn_model.fit_mle()
    back = _round_trip(mle, tmp_path, mn)
    # the family, reference level and weights come back: same coding, same likelihood
    assert back.family.levels == ("a", "b", "c") and back.family.levels[back.family.reference] == "b"
    assert back.params.index[0] == ("a", "Intercept")
    assert back.llf == pytest.approx(mle.llf, abs=1e-9)
    pd.testing.assert_series_equal(back.bse, mle.bse)
    pd.testing.assert_frame_equal(back.marginal_effects(), mle.marginal_effects())
    assert back.is_mle and back.converged == mle.converged
    # a MAP under scikit-learn's penalty keeps its label and prior
    sk = mn_model.fit_map(priors=bl.sklearn_prior(0.5))
    back = _round_trip(sk, tmp_path, mn)
    assert not back.is_mle and back.priors.to_json() == sk.priors.to_json()
    pd.testing.assert_frame_equal(back.coef_table(), sk.coef_table())
    # ordinal: cutpoints named as MASS::polr does
    fit = od_model.fit_mle()
    back = _round_trip(fit, tmp_path, od)
    assert back.params.index[-3:].tolist() == ["Low|Medium", "Medium|High", "High|Top"]
    assert back.llf == pytest.approx(fit.llf, abs=1e-9)
    # an ordinal offset (a column) is stored and checked like a binary model's
    off = od.assign(o=np.linspace(-0.5, 0.5, len(od)))
    fit = bl.LogitModel("y ~ x1", off, family="ordinal", offset="o").fit_map()
    back = _round_trip(fit, tmp_path, off)
    np.testing.assert_array_equal(back.design.offset, fit.design.offset)


def test_posteriors_round_trip(mn_model, od_model, mn, od, tmp_path):
    post = _normal_posterior(mn_model, draws=100, divergent=3)
    back = _round_trip(post, tmp_path, mn)
    np.testing.assert_array_equal(back.idata.posterior["theta"].values, post.idata.posterior["theta"].values)
    assert int(back.idata.sample_stats["diverging"].sum()) == 3
    assert back.sampler == "nutpie" and back.random_seed == 0
    lap = od_model.sample(draws=100, chains=2, random_seed=4, method="laplace", progressbar=False)
    back = _round_trip(lap, tmp_path, od)
    assert back.sampler == "laplace+psis"
    pd.testing.assert_frame_equal(back.coef_table(), lap.coef_table())


def _rewrite(path, new_path, change_meta=None, change_groups=None):
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    groups = {k: v.to_dataset() for k, v in tree.children.items()}
    meta = json.loads(groups["bayeslogit"].attrs["bayeslogit"])
    if change_meta:
        change_meta(meta)
    if change_groups:
        change_groups(groups)
    groups["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)
    xr.DataTree.from_dict({"/": tree.to_dataset(), **groups}).to_netcdf(new_path, engine="h5netcdf")


def test_damaged_categorical_files_are_fit_file_errors(mn_model, tmp_path):
    mn_model.fit_mle().save(tmp_path / "fit.nc")
    cases = [
        (lambda m: m.__setitem__("family", "poisson"), None, "unknown family"),
        (lambda m: m.__setitem__("reference", None), None, "'reference'"),
        (lambda m: m.__setitem__("reference", "zzz"), None, "reference='zzz' is not an outcome"),
        (lambda m: m.pop("converged"), None, "'converged'"),
        (None, lambda g: g.__setitem__("point", g["point"].assign(theta=g["point"].theta * np.nan)), "NaN"),
        (None, lambda g: g.__setitem__("point", g["point"].isel(param=slice(1, None))), "holds parameters"),
    ]
    for i, (meta, groups, match) in enumerate(cases):
        _rewrite(tmp_path / "fit.nc", tmp_path / f"bad{i}.nc", meta, groups)
        with pytest.raises(bl.FitFileError, match=match):
            bl.load(tmp_path / f"bad{i}.nc")


# -- posterior odds ratios and average marginal effects -------------------------------------------


@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_posterior_ame_at_each_draw_is_the_point_fit_function(mn_model, od_model, kind):
    """By row blocks (forced small) with frequency weights, each draw's effects are the point
    fits' function (statsmodels' get_margeff at the MLE) at that draw."""
    model = mn_model if kind == "multinomial" else od_model
    post = _normal_posterior(model, chains=2, draws=20)
    with bl.option_context(block_bytes=8 * 1024):  # blocks of a few dozen rows
        m = post.marginal_effect_draws()
    d, fam = model.design, model.design.response_family
    keep = [j for j, c in enumerate(d.column_names) if c != "Intercept"]
    theta = post.idata.posterior["theta"].values.reshape(-1, post.idata.posterior.sizes["param"])
    for s in (0, 7, 39):
        ref = fam.marginal_effects(d.X, theta[s], d.offset)
        ref = ref if ref.shape[0] == len(keep) else ref[keep]
        np.testing.assert_allclose(m[s], ref.T, rtol=0, atol=1e-10)
    # each draw's effects sum to zero over the outcomes (probabilities sum to one)
    np.testing.assert_allclose(m.sum(axis=1), 0, atol=1e-12)
    table = post.marginal_effects(ci_prob=0.9)
    assert table.columns.tolist() == ["outcome", "term", "mean", "sd", "eti90_lb", "eti90_ub"]
    np.testing.assert_allclose(table["mean"], m.reshape(m.shape[0], -1).mean(axis=0), rtol=1e-12)


def test_posterior_ame_near_the_mle_at_large_n():
    """Laplace posterior (n = 2000): the posterior mean of each effect is within a tenth of the
    MLE's delta-method standard error of statsmodels' get_margeff, and its sd within 15% of it."""
    import statsmodels.api as sm

    df = _multinomial_data(n=2000, seed=3)
    model = bl.LogitModel("y ~ x1 + x2", df, family="multinomial")
    post = model.sample(draws=500, chains=2, random_seed=1, method="laplace", progressbar=False)
    d = model.design
    me = sm.MNLogit(d.y, d.X).fit(disp=0, method="newton", tol=1e-12).get_margeff()
    eff, se = me.margeff.T.ravel(), me.margeff_se.T.ravel()  # outcome-major, terms x1, x2
    table = post.marginal_effects()
    assert table["outcome"].tolist() == ["a", "a", "b", "b", "c", "c"]
    np.testing.assert_array_less(np.abs(table["mean"].to_numpy() - eff), 0.1 * se)
    np.testing.assert_allclose(table["sd"].to_numpy(), se, rtol=0.15)


def test_posterior_odds_ratios_are_lognormal_moments(mn_model, od_model):
    """Normal draws N(mu, s^2): exp has median exp(mu) and mean exp(mu + s^2 / 2)."""
    post = _normal_posterior(mn_model, chains=4, draws=2000, seed=2)
    fit = mn_model.fit_mle()
    mu, s = fit.params.to_numpy(), fit.bse.to_numpy()
    table = post.odds_ratios()
    assert table.columns.tolist() == ["outcome", "term", "mean", "median", "sd", "eti95_lb", "eti95_ub"]
    sd_exp = np.exp(mu + s**2 / 2) * np.sqrt(np.expm1(s**2))
    np.testing.assert_array_less(np.abs(table["mean"] - np.exp(mu + s**2 / 2)), 4 * sd_exp / np.sqrt(8000))
    np.testing.assert_allclose(table["median"], np.exp(mu), rtol=4 * s.max() * 1.26 / np.sqrt(8000))
    np.testing.assert_allclose(table["eti95_lb"], np.exp(mu - 1.959964 * s), rtol=0.05)
    # ordinal: the slopes only, no cutpoints
    assert _normal_posterior(od_model, draws=50).odds_ratios()["term"].tolist() == ["C(g)[T.v]", "x1", "x2"]


# -- diagnostics and compare ------------------------------------------------------------------


def test_diagnostics_of_nuts_draws_against_arviz(mn_model):
    import arviz_stats as azs

    good = _normal_posterior(mn_model, chains=4, draws=500, seed=5).diagnostics()
    frame = good.to_frame()
    mcmc = ["R-hat (max)", "ESS bulk (min)", "ESS tail (min)", "Divergent transitions"]
    assert (frame.loc[mcmc, "verdict"] == "ok").all(), frame
    assert frame.loc["Pareto k (PSIS-LOO)", "value"] == f"{int(good.loo['n_k_above_0.7'])} high"
    # the per-parameter numbers are ArviZ's on the draws
    th = _normal_posterior(mn_model, chains=4, draws=500, seed=5).idata.posterior["theta"]
    np.testing.assert_allclose(good.per_param["r_hat"], azs.rhat(th).values, rtol=1e-12)
    np.testing.assert_allclose(good.per_param["ess_tail"], azs.ess(th, method="tail").values, rtol=1e-12)
    # LOO: the blockwise loo() = ArviZ's loo on the log-likelihood written out in numpy (a
    # weighted row is one group of w rows: w log p)
    from scipy.special import log_softmax

    d = mn_model.design
    c, s, m = th.shape
    B = th.values.reshape(c, s, 2, -1)  # outcomes a and c (b is the reference)
    eta = np.einsum("np,cskp->csnk", d.X, B)
    eta = np.concatenate([eta[..., :1], np.zeros(eta.shape[:-1] + (1,)), eta[..., 1:]], axis=-1)
    ll = d.weights * np.take_along_axis(log_softmax(eta, axis=-1), d.y[None, None, :, None], axis=-1)[..., 0]
    tree = xr.DataTree.from_dict(
        {"posterior": th.to_dataset(), "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll)})}
    )
    ref = azs.loo(tree)
    assert good.loo["elpd_loo"] == pytest.approx(float(ref.elpd), rel=1e-9)
    assert good.loo["p_loo"] == pytest.approx(float(ref.p), rel=1e-9)
    # divergences and a chain stuck elsewhere fail, by name
    bad = _normal_posterior(mn_model, chains=4, draws=500, seed=5, divergent=4)
    bad.idata.posterior["theta"].values[0] += 1.0
    diag = bad.diagnostics()
    failed = {c.name for c in diag.failed}
    assert {"Divergent transitions", "R-hat (max)"} <= failed
    assert diag.to_frame().loc["Divergent transitions", "value"] == "4"
    assert "Divergent transitions: NUTS could not" in str(diag)


def test_diagnostics_of_a_laplace_fit(od_model):
    post = od_model.sample(draws=500, chains=2, random_seed=2, method="laplace", progressbar=False)
    diag = post.diagnostics()
    frame = diag.to_frame()
    assert frame.index.tolist() == [
        "Pareto k (importance sampling)",
        "IS-ESS (importance sampling)",
        "Pareto k (PSIS-LOO)",
    ]
    assert float(frame.loc["Pareto k (importance sampling)", "value"]) == pytest.approx(
        post.idata.posterior.attrs["pareto_k"], abs=0.005
    )
    # LOO on the proposals with the approximate-posterior correction, and the notes say so
    assert diag.ok and diag.loo is not None and diag.loo.attrs["approx_posterior"]
    assert any("approximate-posterior correction" in note for note in diag.notes)


def test_compare_categorical_fits_side_by_side(mn_model, od_model):
    mle, map_ = mn_model.fit_mle(), mn_model.fit_map(priors=bl.Normal(0, 1))
    post = _normal_posterior(mn_model, chains=2, draws=2000, seed=7)
    table = bl.compare(mle, map_, post, ci_prob=0.9)
    assert table.index.names == ["outcome", "term"]
    assert table.columns.get_level_values(0).unique().tolist() == ["MLE", "MAP Normal(0, 1)", "Posterior"]
    pd.testing.assert_series_equal(table[("MLE", "estimate")], mle.params, check_names=False)
    # 90% Wald interval: estimate -/+ 1.6449 se
    np.testing.assert_allclose(table[("MLE", "upper")] - mle.params, 1.644854 * mle.bse, rtol=1e-6)
    # normal draws around the MLE with its se: the posterior columns near the MLE's (MC error)
    np.testing.assert_allclose(table[("Posterior", "estimate")], mle.params, atol=4 * mle.bse.max() / np.sqrt(4000))
    np.testing.assert_allclose(table[("Posterior", "sd")], mle.bse, rtol=0.05)
    with pytest.raises(bl.ArgumentError, match="same formula, family and reference"):
        bl.compare(mle, od_model.fit_mle())


# -- the HTML report -----------------------------------------------------------------------------


def test_report_statistics_against_references(mn_model, od_model):
    from sklearn.metrics import confusion_matrix

    from bayeslogit.check import categorical_statistics as st

    post = _normal_posterior(mn_model, chains=2, draws=200, seed=8)
    probs = post.predict()
    d, w = mn_model.design, mn_model.design.weights
    counts = st.confusion_counts(post, probs)
    ref = confusion_matrix(d.y, probs.to_numpy().argmax(axis=1), sample_weight=w)
    np.testing.assert_array_equal(counts.to_numpy(), ref)
    cal = st.outcome_calibration(post, probs, bins=10)
    assert len(cal) == 30
    for k, level in enumerate(["a", "b", "c"]):
        t = cal[cal["outcome"] == level]
        # the bins' weighted averages are the overall weighted share and mean probability
        assert np.average(t["observed"], weights=t["n"]) == pytest.approx(np.average(d.y == k, weights=w), abs=1e-12)
        assert np.average(t["predicted"], weights=t["n"]) == pytest.approx(
            np.average(probs[level], weights=w), abs=1e-12
        )
        assert t["predicted"].is_monotonic_increasing
    # ordinal: the curves at the posterior mean of expit(cut - eta), observed shares per bin
    opost = _normal_posterior(od_model, chains=2, draws=2000, seed=9)
    curves, observed = st.cumulative_curves(opost, bins=8)
    mle = od_model.fit_mle()
    i0 = int(np.argmin(np.abs(curves["eta"])))
    for name in ["Low|Medium", "Medium|High", "High|Top"]:
        expected = 1 / (1 + np.exp(-(mle.params[name] - curves["eta"][i0])))
        assert curves[name][i0] == pytest.approx(expected, abs=0.01)
        assert (curves[f"{name} lower"] <= curves[name]).all() and (curves[name] <= curves[f"{name} upper"]).all()
    eta = od_model.design.X[:, 1:] @ opost.params.iloc[:3].to_numpy()  # columns C(g)[T.v], x1, x2
    lowest = np.argsort(eta, kind="stable")[:50]  # the first of 8 bins of 400 rows
    assert observed["Low|Medium"].iloc[0] == pytest.approx(np.mean(od_model.design.y[lowest] <= 0), abs=1e-12)
    assert observed["eta"].iloc[0] == pytest.approx(eta[lowest].mean(), abs=1e-12)


@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_report_is_one_self_contained_page(mn_model, od_model, kind, tmp_path):
    model = mn_model if kind == "multinomial" else od_model
    post = _normal_posterior(model, chains=2, draws=200, seed=10)
    out = post.report(tmp_path / "r.html", fits=(model.fit_mle(),), run_info={"data source": "test.csv"})
    text = out.read_text()
    sections = ["model", "comparison", "diagnostics", "effects", "predictions", "loo", "run"]
    sections += ["cumulative"] if kind == "ordinal" else []
    for anchor in sections:
        assert f"<h2 id='{anchor}'>" in text
    assert ("<h2 id='cumulative'>" in text) == (kind == "ordinal")
    assert text.count("data:image/png;base64,") == (4 if kind == "ordinal" else 3)
    assert "could not be drawn" not in text and "test.csv" in text
    assert "http://" not in text and "https://" not in text and "<script" not in text
    with pytest.raises(bl.ArgumentError, match="same model"):
        post.report(tmp_path / "r2.html", fits=((od_model if kind == "multinomial" else mn_model).fit_mle(),))


# -- the command line ----------------------------------------------------------------------------


def test_command_line_fits_multinomial_and_ordinal(mn, od, tmp_path, capsys):
    from bayeslogit.cli import main

    mn[["y", "x1", "x2"]].to_csv(tmp_path / "mn.csv", index=False)
    opts = ["--method", "laplace", "--draws", "300", "--chains", "2", "--quiet", "--ignore-checks"]
    out = [str(tmp_path / "mn.nc"), str(tmp_path / "mn.html")]
    assert (
        main(
            [
                "fit",
                str(tmp_path / "mn.csv"),
                "y ~ x1 + x2",
                "--reference",
                "c",
                *opts,
                "--save",
                out[0],
                "--report",
                out[1],
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    post = bl.load(out[0])
    mle = bl.LogitModel("y ~ x1 + x2", mn, family="multinomial", reference="c").fit_mle()
    pd.testing.assert_index_equal(post.params.index, mle.params.index)  # the reference level came through
    assert f"{mle.params[('a', 'x1')]:.4f}" in printed  # the MLE column of the comparison
    page = (tmp_path / "mn.html").read_text()
    assert "<h2 id='predictions'>" in page
    # the Laplace fit's PSIS-LOO, on its proposals with the approximate-posterior correction
    assert "<h2 id='loo'>" in page and "approximate-posterior correction" in page
    # `bayeslogit report` re-renders it from the saved posterior
    assert main(["report", out[0], "-o", str(tmp_path / "again.html"), "--quiet", "--ignore-checks"]) == 0
    assert "confusion matrix" in (tmp_path / "again.html").read_text()
    # ordinal: a CSV has no ordered categories; --order gives the levels, lowest first
    od.assign(y=od.y.astype(str))[["y", "x1"]].to_csv(tmp_path / "od.csv", index=False)
    order = ["--order", "Low,Medium,High,Top"]
    assert main(["fit", str(tmp_path / "od.csv"), "y ~ x1", *order, *opts, "--save", str(tmp_path / "od.nc")]) == 0
    fit = bl.load(tmp_path / "od.nc")
    assert fit.params.index.tolist() == ["x1", "Low|Medium", "Medium|High", "High|Top"]
    ref = bl.LogitModel("y ~ x1", od).fit_mle()
    assert f"{ref.params['Low|Medium']:.4f}" in capsys.readouterr().out
    # bad options are one-line errors before sampling
    assert main(["fit", str(tmp_path / "od.csv"), "y ~ x1", "--order", "Low,Medium", *opts]) == 2
    assert "three or more distinct levels" in capsys.readouterr().err
    assert main(["fit", str(tmp_path / "od.csv"), "y ~ x1", "--order", "Low,Medium,High", *opts]) == 2
    assert "not in --order" in capsys.readouterr().err
    # --effects: the posterior average marginal effects per outcome of the named variables'
    # design columns, as post.marginal_effects() gives them; an unknown name fails before sampling
    mn[["y", "x1", "x2", "g"]].to_csv(tmp_path / "mng.csv", index=False)
    args = ["fit", str(tmp_path / "mng.csv"), "y ~ x1 + x2 + C(g)", *opts]
    assert main([*args, "--effects", "g,x1", "--save", str(tmp_path / "mng.nc")]) == 0
    printed = capsys.readouterr().out
    block = " ".join(printed.split("Average marginal effects per outcome")[1].split())
    ame = bl.load(tmp_path / "mng.nc").marginal_effects()
    shown = ame[ame["term"].isin(["C(g)[T.v]", "x1"])]
    assert len(shown) == 6 and not ame[ame["term"] == "x2"]["term"].isin(block.split()).any()
    for _, row in shown.iterrows():
        line = f"{row['outcome']} {row['term']} {row['mean']:.4f} {row['sd']:.4f} {row['eti95_lb']:.4f}"
        assert line in block, line
    assert main([*args, "--effects", "x9"]) == 2
    err = capsys.readouterr().err
    assert "effects: 'x9' is not a predictor of the model 'y ~ x1 + x2 + C(g)'; its predictors are" in err


# -- prior predictive ----------------------------------------------------------------------------


def test_multinomial_prior_draws_have_the_prior_moments(mn):
    """Normal(0, 1) slopes, a Normal(0, 2.5) intercept at centred predictors, for each
    non-reference level independently; outcomes drawn from each draw's probabilities."""
    model = bl.LogitModel(
        "y ~ x1 + x2", mn, family="multinomial", priors={"x1": bl.Normal(0, 1), "x2": bl.Normal(0, 1)}
    )
    tree = model.sample_prior_predictive(4000, random_seed=3)
    theta = tree.prior["theta"].values[0]
    assert tree.prior["theta"].coords["param"].values.tolist()[:3] == ["b:Intercept", "b:x1", "b:x2"]
    xm = mn[["x1", "x2"]].mean().to_numpy()
    se = 4 / np.sqrt(4000)
    for lvl in range(2):
        b = theta[:, 3 * lvl : 3 * lvl + 3]
        centred = b[:, 0] + b[:, 1:] @ xm  # the intercept at the predictor means
        assert centred.std() == pytest.approx(2.5, rel=se)
        np.testing.assert_allclose(b[:, 1:].std(axis=0), 1, rtol=se)
        assert abs(centred.mean()) < 4 * 2.5 / np.sqrt(4000)
    assert abs(np.corrcoef(theta[:, 1], theta[:, 4])[0, 1]) < 4 / np.sqrt(4000)  # levels independent
    # the replicated outcomes follow each draw's probabilities (first rows, mean over draws)
    codes = tree.prior_predictive["y"].values[0]
    fam, d = model.design.response_family, model.design
    P = np.mean([fam.probs(d.X[:5], t) for t in theta], axis=0)
    freq = np.stack([(codes[:, :5] == k).mean(axis=0) for k in range(3)], axis=1)
    np.testing.assert_allclose(freq, P, atol=4 * 0.5 / np.sqrt(4000))
    assert tree.observed_data.attrs["levels"] == ["a", "b", "c"]
    np.testing.assert_array_equal(tree.observed_data["y"].values, d.y)


def test_ordinal_prior_cutpoints_are_sorted_intercept_draws(od):
    """Three cutpoints: the intercept prior's iid draws sorted, so at x = the means their
    expected values are the normal order statistics -/+ 0.8463 sd and 0 (closed form)."""
    model = bl.LogitModel("y ~ x1", od, priors={"x1": bl.Normal(0, 1)})
    tree = model.sample_prior_predictive(6000, random_seed=4, predictive=False)
    assert "prior_predictive" not in tree.children
    theta = tree.prior["theta"].values[0]  # x1, then the three cutpoints
    assert (np.diff(theta[:, 1:], axis=1) > 0).all()
    centred = theta[:, 1:] - (theta[:, 0] * od["x1"].mean())[:, None]  # -a_k, a_k the centred intercepts
    expected = 2.5 * np.array([-0.846284, 0.0, 0.846284])
    np.testing.assert_allclose(centred.mean(axis=0), expected, atol=4 * 2.5 * 0.75 / np.sqrt(6000))
    assert theta[:, 0].std() == pytest.approx(1, rel=4 / np.sqrt(6000))
    with pytest.raises(bl.PriorError, match="Flat"):
        bl.LogitModel("y ~ x1", od, priors={"x1": bl.Flat()}).sample_prior_predictive(10, random_seed=1)


@pytest.mark.slow
def test_a_nuts_posterior_end_to_end(od_model, od, tmp_path):
    """PyMC's NUTS: the sampler's stats reach the diagnostics, the file and the report; the
    posterior AME is near the MLE's (statsmodels' get_margeff equivalent) at n = 400."""
    post = od_model.sample(draws=400, tune=400, chains=2, random_seed=11, sampler="pymc", progressbar=False)
    frame = post.diagnostics().to_frame()
    assert {"R-hat (max)", "Divergent transitions", "Tree depth saturation", "E-BFMI (min over chains)"} <= set(
        frame.index
    )
    back = _round_trip(post, tmp_path, od)
    assert set(back.idata.sample_stats.data_vars) == set(post.idata.sample_stats.data_vars)
    pd.testing.assert_frame_equal(back.diagnostics().to_frame(), frame)
    mle = od_model.fit_mle().marginal_effects()
    me = post.marginal_effects()
    np.testing.assert_array_less(np.abs(me["mean"] - mle["dy/dx"]), 0.25 * mle["std err"])
    text = back.report(tmp_path / "r.html", fits=(od_model.fit_mle(),)).read_text()
    assert "E-BFMI" in text and "<h2 id='cumulative'>" in text


def test_laplace_coef_table_reports_importance_sampling_ess(od_model):
    post = od_model.sample(draws=300, chains=2, random_seed=6, method="laplace", progressbar=False)
    table = post.coef_table()
    assert table["r_hat"].isna().all()
    np.testing.assert_allclose(table["ess_bulk"], post.idata.posterior.attrs["ess_is"], rtol=0)
    assert (table["ess_bulk"] < 600).all()  # at most the number of proposals
