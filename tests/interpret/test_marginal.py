"""datagrid, predictions, comparisons, slopes and hypotheses (issue 24): point fits against
statsmodels (Logit, GLM Binomial), posteriors against computations by hand from the draws."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logit

import bayeslogit as bl

sm = pytest.importorskip("statsmodels.api")

KW = dict(draws=200, tune=200, chains=2, random_seed=11, progressbar=False)


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(24)
    n = 300
    g = rng.choice(["a", "b", "c"], size=n, p=[0.3, 0.5, 0.2])
    x1 = rng.normal(1.0, 2.0, size=n)
    x2 = rng.normal(size=n)
    eta = -0.4 + 0.6 * x1 - 0.8 * x2 + np.select([g == "b", g == "c"], [0.7, -0.5], 0.0)
    y = rng.binomial(1, expit(eta))
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "s": rng.choice(list("pqrstu"), size=n)})


@pytest.fixture(scope="module")
def mle(df):
    return bl.LogitModel("y ~ x1 + x2 + g", df).fit_mle()


@pytest.fixture(scope="module")
def sm_logit(mle):
    X = pd.DataFrame(mle.design.X, columns=["Intercept", "gb", "gc", "x1", "x2"])
    return sm.Logit(mle.design.y, X).fit(disp=0, tol=1e-12, maxiter=200, method="newton")


@pytest.fixture(scope="module")
def post(df):
    return bl.LogitModel("y ~ x1 * x2 + g", df).sample(**KW)


def _draws(post):
    return dict(zip(post.coef_names, post.draws().T[:, :, None]))  # name -> (draws, 1)


def _p(c, x1, x2, g):
    eta = c["Intercept"] + c["x1"] * x1 + c["x2"] * x2 + c["x1:x2"] * x1 * x2
    return expit(eta + c["g[T.b]"] * (g == "b") + c["g[T.c]"] * (g == "c"))


# -- datagrid -------------------------------------------------------------------------------------


def test_datagrid_means_modes_and_combinations(mle, df):
    grid = bl.datagrid(mle, x1=[0, 1, 2], g=["a", "c"])
    assert list(grid.columns) == ["x1", "x2", "g"]
    assert len(grid) == 6
    assert grid[["x1", "g"]].values.tolist() == [[0, "a"], [0, "c"], [1, "a"], [1, "c"], [2, "a"], [2, "c"]]
    np.testing.assert_allclose(grid["x2"], df["x2"].mean(), rtol=1e-15)
    one = bl.datagrid(mle)
    assert len(one) == 1 and one["g"].iloc[0] == "b"  # the most frequent level
    np.testing.assert_allclose(one["x1"], df["x1"].mean(), rtol=1e-15)


def test_datagrid_keeps_categories_and_group_variables(df):
    cat = df.assign(g=pd.Categorical(df["g"], categories=["c", "b", "a"]))
    fit = bl.LogitModel("y ~ x1 + g + (1 | s)", cat).fit_mle()
    grid = bl.datagrid(fit, g="a")
    assert list(grid.columns) == ["x1", "g", "s"]
    assert list(grid["g"].cat.categories) == ["c", "b", "a"]
    assert grid["s"].iloc[0] == df["s"].value_counts().sort_index().idxmax()


def test_datagrid_errors_name_the_valid_choices(mle):
    with pytest.raises(
        bl.ArgumentError, match=r"\['x3'\] is not a variable of the model; its variables are \['x1', 'x2', 'g'\]"
    ):
        bl.datagrid(mle, x3=1)
    with pytest.raises(
        bl.ArgumentError,
        match=r"'g' is a factor and \['d'\] is not one of its levels; its levels are \['a', 'b', 'c'\]",
    ):
        bl.datagrid(mle, g=["a", "d"])
    with pytest.raises(bl.ArgumentError, match=r"'x1' is numeric, but was given 'a'"):
        bl.datagrid(mle, x1="a")
    with pytest.raises(bl.ArgumentError, match=r"no values given for 'x1'"):
        bl.datagrid(mle, x1=[])


# -- point fits against statsmodels ----------------------------------------------------------------


def test_avg_slopes_equal_statsmodels_get_margeff(mle, sm_logit):
    table = bl.avg_slopes(mle, ["x1", "x2"])
    ref = sm_logit.get_margeff(at="overall")  # order: gb, gc, x1, x2
    assert table["term"].tolist() == ["x1", "x2"] and set(table["contrast"]) == {"dY/dX"}
    np.testing.assert_allclose(table["estimate"], ref.margeff[2:], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(table["std_error"], ref.margeff_se[2:], rtol=1e-4)
    np.testing.assert_allclose(table[["conf_low", "conf_high"]], ref.conf_int()[2:], rtol=1e-4)
    np.testing.assert_allclose(table["p_value"], ref.pvalues[2:], rtol=1e-4, atol=1e-12)
    assert "delta method" in table.attrs["method"]


def test_avg_slopes_elasticity_equals_statsmodels_eyex(mle, sm_logit):
    table = bl.avg_slopes(mle, "x2", slope="eyex")
    ref = sm_logit.get_margeff(at="overall", method="eyex")
    np.testing.assert_allclose(table["estimate"], ref.margeff[3], rtol=1e-6)
    np.testing.assert_allclose(table["std_error"], ref.margeff_se[3], rtol=1e-4)


def test_avg_comparisons_factor_equal_statsmodels_discrete_change(df):
    fit = bl.LogitModel("y ~ x1 + x2 + t", df.assign(t=np.where(df["g"] == "b", "yes", "no"))).fit_mle()
    ref = sm.Logit(fit.design.y, fit.design.X).fit(disp=0, tol=1e-12, method="newton")
    disc = ref.get_margeff(at="overall", dummy=True)  # column order: t[T.yes], x1, x2
    table = bl.avg_comparisons(fit, "t")
    assert table[["term", "contrast"]].values.tolist() == [["t", "yes - no"]]
    np.testing.assert_allclose(table["estimate"], disc.margeff[0], rtol=1e-6)
    np.testing.assert_allclose(table["std_error"], disc.margeff_se[0], rtol=1e-4)


def test_predictions_equal_glm_get_prediction(mle):
    glm = sm.GLM(mle.design.y, mle.design.X, family=sm.families.Binomial()).fit(tol=1e-12)
    grid = bl.datagrid(mle, x1=[-2, 0, 3], g=["a", "c"])
    table = bl.predictions(mle, grid)
    ref = glm.get_prediction(mle.design.encode(grid)).summary_frame(alpha=0.05)
    np.testing.assert_allclose(table["estimate"], ref["mean"], rtol=1e-6)
    np.testing.assert_allclose(table["std_error"], ref["mean_se"], rtol=1e-4)
    np.testing.assert_allclose(table["conf_low"], ref["mean_ci_lower"], rtol=1e-4)
    np.testing.assert_allclose(table["conf_high"], ref["mean_ci_upper"], rtol=1e-4)
    pd.testing.assert_frame_equal(table[["x1", "x2", "g"]], grid)


def test_avg_predictions_by_group_delta_method_by_hand(mle, df):
    table = bl.avg_predictions(mle, by="g")
    assert table["g"].tolist() == ["a", "b", "c"]
    beta, V = mle.params.to_numpy(), mle.cov_params().to_numpy()
    X = mle.design.X
    for level, row in zip("abc", table.itertuples()):
        Xg = X[(df["g"] == level).to_numpy()]
        p = expit(Xg @ beta)
        grad = ((p * (1 - p))[:, None] * Xg).mean(axis=0)
        np.testing.assert_allclose(row.estimate, p.mean(), rtol=1e-10)
        np.testing.assert_allclose(row.std_error, np.sqrt(grad @ V @ grad), rtol=1e-8)
    overall = bl.avg_predictions(mle)
    np.testing.assert_allclose(overall["estimate"], expit(X @ beta).mean(), rtol=1e-10)


def test_lnor_of_a_main_effect_is_the_coefficient(mle):
    num = bl.comparisons(mle, "x1", comparison="lnor", newdata=bl.datagrid(mle, x1=[0, 5]))
    assert num["contrast"].tolist() == ["+1", "+1"]
    np.testing.assert_allclose(num["estimate"], mle.params["x1"], rtol=1e-10)
    np.testing.assert_allclose(num["std_error"], mle.bse["x1"], rtol=1e-8)
    fac = bl.avg_comparisons(mle, {"g": ["b", "c"]}, comparison="lnor")
    assert fac["contrast"].tolist() == ["ln(odds(c) / odds(b))"]
    np.testing.assert_allclose(fac["estimate"], mle.params["g[T.c]"] - mle.params["g[T.b]"], rtol=1e-10)
    test = bl.hypotheses(mle, "g[T.c] - g[T.b] = 0")
    np.testing.assert_allclose(fac["std_error"], test["std_error"], rtol=1e-8)


def test_comparisons_numeric_pair_and_ratio_by_hand(mle):
    beta = mle.params.to_numpy()
    grid = bl.datagrid(mle, g=["a", "b"])
    table = bl.comparisons(mle, {"x2": (-1, 2)}, comparison="ratio", newdata=grid)
    assert table["contrast"].tolist() == ["2 / -1"] * 2
    hi, lo = grid.assign(x2=2.0), grid.assign(x2=-1.0)
    p_hi, p_lo = expit(mle.design.encode(hi) @ beta), expit(mle.design.encode(lo) @ beta)
    np.testing.assert_allclose(table["estimate"], p_hi / p_lo, rtol=1e-10)
    # the delta-method se with a numerical gradient in beta
    V = mle.cov_params().to_numpy()

    def ratio(b):
        return expit(mle.design.encode(hi) @ b) / expit(mle.design.encode(lo) @ b)

    h = 1e-6
    J = np.array([(ratio(beta + h * e) - ratio(beta - h * e)) / (2 * h) for e in np.eye(len(beta))]).T
    np.testing.assert_allclose(table["std_error"], np.sqrt(np.einsum("kp,pq,kq->k", J, V, J)), rtol=1e-5)


def test_slopes_per_row_numerical_derivative(mle):
    grid = bl.datagrid(mle, x1=[-1, 2], g="c")
    beta = mle.params.to_numpy()
    table = bl.slopes(mle, "x1", newdata=grid)
    h = 1e-6
    fd = (
        expit(mle.design.encode(grid.assign(x1=grid.x1 + h)) @ beta)
        - expit(mle.design.encode(grid.assign(x1=grid.x1 - h)) @ beta)
    ) / (2 * h)
    np.testing.assert_allclose(table["estimate"], fd, rtol=1e-6)
    p = expit(mle.design.encode(grid) @ beta)
    for slope, expected in (("eydx", fd / p), ("dyex", fd * grid.x1), ("eyex", fd * grid.x1 / p)):
        np.testing.assert_allclose(bl.slopes(mle, "x1", newdata=grid, slope=slope)["estimate"], expected, rtol=1e-6)


def test_map_and_group_model_point_fits(df):
    fit = bl.LogitModel("y ~ x1 + x2 + (1 | s)", df).fit_map(priors=bl.Normal(0, 2))
    grid = bl.datagrid(fit, x1=[0, 1], s=["p", "q"])
    table = bl.predictions(fit, grid)
    ref = fit.predict(grid)  # complete pooling: no group effects, the same for every s
    np.testing.assert_allclose(table["estimate"], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(table["std_error"], ref["se"], rtol=1e-10)
    np.testing.assert_allclose(table["estimate"].iloc[0], table["estimate"].iloc[1], rtol=1e-12)


def test_hypotheses_equal_statsmodels_t_test(mle, sm_logit):
    table = bl.hypotheses(mle, ["x1 + x2 = 0", "2 * x1 = x2 - 0.5", "g[T.b] - g[T.c]"], ci_prob=0.9)
    refs = [sm_logit.t_test(h) for h in ("x1 + x2 = 0", "2 * x1 - x2 = -0.5", "gb - gc = 0")]
    q = np.array([0.0, -0.5, 0.0])  # statsmodels' effect is lhs, ours lhs - rhs (as brms, marginaleffects)
    np.testing.assert_allclose(table["estimate"], [r.effect[0] for r in refs] - q, rtol=1e-8)
    np.testing.assert_allclose(table["std_error"], [r.sd[0, 0] for r in refs], rtol=1e-6)
    np.testing.assert_allclose(table["statistic"], [r.tvalue[0, 0] for r in refs], rtol=1e-6)
    np.testing.assert_allclose(table["p_value"], [r.pvalue for r in refs], rtol=1e-5)
    ci = np.vstack([r.conf_int(alpha=0.1) for r in refs]) - q[:, None]
    np.testing.assert_allclose(table[["conf_low", "conf_high"]], ci, rtol=1e-6)


# -- posteriors against the draws by hand ------------------------------------------------------------


def test_posterior_predictions_by_hand(post):
    grid = bl.datagrid(post, x1=[0, 2], g=["a", "c"])
    table = bl.predictions(post, grid, ci_prob=0.9)
    c = _draws(post)
    p = _p(c, grid.x1.to_numpy(), grid.x2.to_numpy(), grid.g.to_numpy())  # (draws, rows)
    np.testing.assert_allclose(table["estimate"], p.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(table["std_error"], p.std(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(table["conf_low"], np.quantile(p, 0.05, axis=0), rtol=1e-10)
    np.testing.assert_allclose(table["conf_high"], np.quantile(p, 0.95, axis=0), rtol=1e-10)
    assert "posterior mean" in table.attrs["method"] and "equal-tailed" in table.attrs["method"]
    assert "std_error" in table and "p_value" not in table


def test_posterior_avg_comparisons_and_by_by_hand(post, df):
    c = _draws(post)
    x1, x2, g = (df[k].to_numpy() for k in ("x1", "x2", "g"))
    diff = _p(c, x1, x2, np.full(len(g), "c")) - _p(c, x1, x2, np.full(len(g), "a"))  # (draws, rows)
    table = bl.avg_comparisons(post, {"g": ["a", "c"]})
    ame = diff.mean(axis=1)
    assert table[["term", "contrast"]].values.tolist() == [["g", "c - a"]]
    np.testing.assert_allclose(table["estimate"], ame.mean(), rtol=1e-10)
    np.testing.assert_allclose(table["conf_low"], np.quantile(ame, 0.025), rtol=1e-10)
    lnor = bl.avg_comparisons(post, "x1", comparison="lnor", by="g")
    eta = logit(_p(c, x1 + 1, x2, g)) - logit(_p(c, x1, x2, g))
    for level, row in zip("abc", lnor.itertuples()):
        assert row.g == level
        np.testing.assert_allclose(row.estimate, eta[:, g == level].mean(axis=1).mean(), rtol=1e-8)
    with bl.option_context(block_bytes=4096):  # many row blocks: the same numbers
        small = bl.avg_comparisons(post, {"g": ["a", "c"]})
    np.testing.assert_allclose(small["estimate"], table["estimate"], rtol=1e-12)
    np.testing.assert_allclose(small["conf_high"], table["conf_high"], rtol=1e-12)


def test_posterior_avg_slopes_by_hand(post, df):
    c = _draws(post)
    x1, x2, g = (df[k].to_numpy() for k in ("x1", "x2", "g"))
    p = _p(c, x1, x2, g)
    dydx = (p * (1 - p) * (c["x1"] + c["x1:x2"] * x2)).mean(axis=1)
    table = bl.avg_slopes(post, "x1")
    np.testing.assert_allclose(table["estimate"], dydx.mean(), rtol=1e-7)
    np.testing.assert_allclose(table["std_error"], dydx.std(ddof=1), rtol=1e-6)
    per_row = bl.slopes(post, "x1", newdata=df.iloc[:5])
    np.testing.assert_allclose(
        per_row["estimate"], (p * (1 - p) * (c["x1"] + c["x1:x2"] * x2))[:, :5].mean(axis=0), rtol=1e-7
    )


def test_posterior_hypotheses_by_hand(post):
    c = _draws(post)
    table = bl.hypotheses(post, "x1 + x1:x2 = 0.5")
    v = (c["x1"] + c["x1:x2"] - 0.5)[:, 0]
    np.testing.assert_allclose(table["estimate"], v.mean(), rtol=1e-12)
    np.testing.assert_allclose(table["std_error"], v.std(ddof=1), rtol=1e-12)
    np.testing.assert_allclose(
        table[["conf_low", "conf_high"]].to_numpy()[0], np.quantile(v, [0.025, 0.975]), rtol=1e-12
    )
    np.testing.assert_allclose(table["prob_gt_0"], (v > 0).mean(), rtol=1e-12)


@pytest.fixture(scope="module")
def group_post(df):
    return bl.LogitModel("y ~ x1 + (1 + x1 | s)", df).sample(**KW)


def test_group_posterior_slopes_include_the_varying_slope(group_post, df):
    (G,) = group_post.group_draws()  # (draws, levels, [Intercept, x1])
    (term,) = group_post.design.groups.terms
    idx = np.array([term.levels.index(v) for v in df["s"]])
    c = _draws(group_post)
    x1 = df["x1"].to_numpy()
    eta = c["Intercept"] + G[:, idx, 0] + (c["x1"] + G[:, idx, 1]) * x1
    p = expit(eta)
    dydx = p * (1 - p) * (c["x1"] + G[:, idx, 1])
    table = bl.avg_slopes(group_post, "x1", by="s")
    for level, row in zip(sorted(set(df["s"])), table.itertuples()):
        assert row.s == level
        ame = dydx[:, (df["s"] == level).to_numpy()].mean(axis=1)
        np.testing.assert_allclose(row.estimate, ame.mean(), rtol=1e-6)
        np.testing.assert_allclose(row.conf_high, np.quantile(ame, 0.975), rtol=1e-6)


def test_posterior_row_blocks_stay_bounded(post, df):
    from bayeslogit import _blocks

    whole = bl.avg_slopes(post, "x1")
    _blocks.largest_block_cells = 0
    with bl.option_context(block_bytes=8 * 4000):  # 4,000 cells: a few rows of 400 draws
        small = bl.avg_slopes(post, "x1")
        rows = bl.predictions(post, df.iloc[:40])
    assert 0 < _blocks.largest_block_cells <= 4000 < len(df) * post.draws().shape[0]
    np.testing.assert_allclose(small["estimate"], whole["estimate"], rtol=1e-12)
    np.testing.assert_allclose(small["conf_low"], whole["conf_low"], rtol=1e-12)
    np.testing.assert_allclose(rows["estimate"], bl.predictions(post, df.iloc[:40])["estimate"], rtol=1e-12)


def test_group_posterior_predictions_equal_predict(group_post):
    grid = bl.datagrid(group_post, x1=[0, 1], s=["p", "q"])
    table = bl.predictions(group_post, grid)
    ref = group_post.predict(grid)
    np.testing.assert_allclose(table["estimate"], ref["mean"], rtol=1e-10)
    np.testing.assert_allclose(table["conf_low"], ref["eti95_lb"], rtol=1e-10)
    assert table["estimate"].iloc[0] != pytest.approx(table["estimate"].iloc[1])  # group effects in
    new = grid.assign(s="new")
    pop = bl.predictions(group_post, new)
    np.testing.assert_allclose(pop["estimate"], group_post.predict(new)["mean"], rtol=1e-10)
    sampled = bl.predictions(group_post, new, new_groups="sample", random_seed=3)
    assert np.all(sampled["std_error"] > pop["std_error"])  # the between-group spread
    # a comparison of x1 on a new level shares the new effect in both copies of the row
    cmp = bl.comparisons(group_post, "x1", newdata=new.iloc[:1], new_groups="sample", random_seed=3)
    assert np.isfinite(cmp["estimate"]).all()


def test_group_effects_false_is_population_level_by_hand(group_post, df):
    c = _draws(group_post)
    grid = bl.datagrid(group_post, s=["p", "q"], x1=[-1.0, 0.5, 2.0])
    x1 = grid["x1"].to_numpy()
    p = expit(c["Intercept"] + c["x1"] * x1)  # (draws, rows): no group part
    table = bl.predictions(group_post, grid, group_effects=False)
    np.testing.assert_allclose(table["estimate"], p.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(table["conf_low"], np.quantile(p, 0.025, axis=0), rtol=1e-10)
    np.testing.assert_allclose(table["conf_high"], np.quantile(p, 0.975, axis=0), rtol=1e-10)
    # the group column plays no part: p and q rows agree, and equal an unseen level's "population"
    np.testing.assert_allclose(table["estimate"].to_numpy()[:3], table["estimate"].to_numpy()[3:], rtol=1e-12)
    unseen = bl.predictions(group_post, grid.assign(s="new"))
    np.testing.assert_allclose(table["estimate"], unseen["estimate"], rtol=1e-10)
    with_groups = bl.predictions(group_post, grid)
    assert not np.allclose(with_groups["estimate"], table["estimate"])
    # average slopes over the training rows: p (1 - p) beta_x1 of the population part only
    x = df["x1"].to_numpy()
    q = expit(c["Intercept"] + c["x1"] * x)
    ame = (q * (1 - q) * c["x1"]).mean(axis=1)
    avg = bl.avg_slopes(group_post, "x1", group_effects=False)
    np.testing.assert_allclose(avg["estimate"], ame.mean(), rtol=1e-6)
    np.testing.assert_allclose(avg["conf_low"], np.quantile(ame, 0.025), rtol=1e-6)
    # comparisons: P(x1 + 1) - P(x1) at the population level
    cmp = bl.comparisons(group_post, "x1", newdata=grid.iloc[:3], group_effects=False)
    diff = expit(c["Intercept"] + c["x1"] * (x1[:3] + 1)) - p[:, :3]
    np.testing.assert_allclose(cmp["estimate"], diff.mean(axis=0), rtol=1e-10)
    with pytest.raises(bl.ArgumentError, match=r"group_effects must be True or False"):
        bl.predictions(group_post, grid, group_effects="no")


def test_group_effects_false_in_plot_predictions(group_post):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = bl.plot_predictions(group_post, "x1", points=8, group_effects=False)
    xs = fig.predictions_table["x1"]
    ref = bl.predictions(group_post, bl.datagrid(group_post, x1=xs), group_effects=False)
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), ref["estimate"], rtol=1e-12)
    plt.close(fig)


# -- bad input ---------------------------------------------------------------------------------------


def test_bad_input(mle):
    with pytest.raises(bl.ArgumentError, match=r"comparison must be 'difference', 'ratio' or 'lnor', got 'odds'"):
        bl.comparisons(mle, "x1", comparison="odds")
    with pytest.raises(bl.ArgumentError, match=r"slope must be 'dydx', 'eyex', 'eydx' or 'dyex', got 'dx'"):
        bl.slopes(mle, "x1", slope="dx")
    with pytest.raises(bl.ArgumentError, match=r"\['z'\] is not a variable of the model; its variables are"):
        bl.avg_comparisons(mle, "z")
    with pytest.raises(
        bl.ArgumentError, match=r"\['d'\] not among the levels of 'g'; its levels are \['a', 'b', 'c'\]"
    ):
        bl.avg_comparisons(mle, {"g": ["a", "d"]})
    with pytest.raises(bl.ArgumentError, match=r"by: \['h'\] not among the columns"):
        bl.avg_predictions(mle, by="h")
    with pytest.raises(bl.ArgumentError, match=r"newdata must be a pandas DataFrame"):
        bl.predictions(mle, [1, 2])
    with pytest.raises(bl.ArgumentError, match=r"'x1 \* x2 = 0' is not linear in the coefficients"):
        bl.hypotheses(mle, "x1 * x2 = 0")
    with pytest.raises(bl.ArgumentError, match=r"cannot read 'x3' in 'x1 \+ x3 = 0'"):
        bl.hypotheses(mle, "x1 + x3 = 0")
    with pytest.raises(bl.ArgumentError, match=r"involves no coefficient"):
        bl.hypotheses(mle, "1 = 0")


def test_transforms_offset_bool_and_c_names():
    rng = np.random.default_rng(2)
    n = 200
    d = pd.DataFrame({"x": rng.uniform(0.5, 3, n), "f": rng.random(n) > 0.5, "g": rng.choice(list("abc"), n)})
    d["e"] = rng.uniform(1, 3, n)
    d["y"] = rng.binomial(1, expit(-0.5 + np.log(d.x) + 0.5 * d.f))
    fit = bl.LogitModel("y ~ np.log(x) + f + C(g) + offset(np.log(e))", d).fit_mle()
    b = fit.params
    grid = bl.datagrid(fit, x=[1, 2], f=True)
    assert grid["f"].dtype == bool and grid["g"].iloc[0] == d["g"].value_counts().idxmax()
    p = expit(fit.design.encode(grid) @ b.to_numpy() + np.log(grid.e))
    np.testing.assert_allclose(bl.predictions(fit, grid)["estimate"], p, rtol=1e-12)
    slope = bl.slopes(fit, "x", newdata=grid)["estimate"]
    np.testing.assert_allclose(slope, p * (1 - p) * b["np.log(x)"] / grid.x, rtol=1e-6)  # chain rule through log
    flip = bl.avg_comparisons(fit, "f")
    assert flip["contrast"].tolist() == ["True - False"]
    X1, X0 = fit.design.encode(d.assign(f=True)), fit.design.encode(d.assign(f=False))
    off = np.log(d.e).to_numpy()
    expected = (expit(X1 @ b.to_numpy() + off) - expit(X0 @ b.to_numpy() + off)).mean()
    np.testing.assert_allclose(flip["estimate"], expected, rtol=1e-10)
    h = bl.hypotheses(fit, ["C(g)[T.b] = C(g)[T.c]", "np.log(x) + f[T.True] = 1"])
    np.testing.assert_allclose(
        h["estimate"], [b["C(g)[T.b]"] - b["C(g)[T.c]"], b["np.log(x)"] + b["f[T.True]"] - 1], rtol=1e-12
    )
