"""GLMMResults: the interface of the GLMM maximum likelihood (fit_mle() of a model with group terms).

The estimates are checked against independent computations in tests/fit/test_glmm.py; here
the results' statistics are recomputed from them by hand: conditional sds from the per-level
curvature, predictions from the modes, AIC/BIC from llf and the parameter count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

import bayeslogit as bl
from bayeslogit.datasets import lme4_cbpp, simulate_groups

CBPP = "incidence ~ period + (1 | herd)"


@pytest.fixture(scope="module")
def model():
    return bl.LogitModel(CBPP, lme4_cbpp(), trials="size")


@pytest.fixture(scope="module")
def fit(model):
    return model.fit_mle()


def test_fit_mle_default_is_the_glmm_and_pooling_keeps_the_old_fits(model, fit):
    assert isinstance(fit, bl.GLMMResults) and fit.method == "glmm"
    complete = model.fit_mle(pooling="complete")
    assert isinstance(complete, bl.MLEResults) and complete.label == "MLE (complete pooling)"
    ref = bl.LogitModel("incidence ~ period", lme4_cbpp(), trials="size").fit_mle()
    np.testing.assert_allclose(complete.params, ref.params, rtol=1e-10)
    assert model.fit_mle(nAGQ=5).label == "MLE (GLMM, nAGQ=5)"


def test_nagq_argument_errors(model):
    with pytest.raises(bl.ArgumentError, match="nAGQ"):
        model.fit_mle(nAGQ=0)
    with pytest.raises(bl.ArgumentError, match="no pooling="):
        model.fit_mle(nAGQ=3, pooling="complete")
    with pytest.raises(bl.ArgumentError, match="needs group terms"):
        bl.LogitModel("incidence ~ period", lme4_cbpp(), trials="size").fit_mle(nAGQ=3)
    df, _ = simulate_groups(6, 20, random_seed=1)
    with pytest.raises(bl.ArgumentError, match=r"single scalar group term.*\(1 \+ x \| g\)"):
        bl.LogitModel("y ~ x + (1 + x | g)", df).fit_mle(nAGQ=3)


def test_aic_bic_count_coefficients_and_covariance_parameters(fit):
    assert fit.n_params == 5 and fit.nobs == 56
    assert fit.aic == pytest.approx(-2 * fit.llf + 10, rel=1e-14)
    assert fit.bic == pytest.approx(-2 * fit.llf + np.log(56) * 5, rel=1e-14)


def test_group_effects_are_the_modes_with_their_conditional_sds(fit):
    """Per herd: the mode solves the score equation, and its conditional sd is
    sd / sqrt(1 + sd^2 sum w) (the inverse curvature at the mode, lme4's condVar)."""
    df = lme4_cbpp()
    table = fit.group_effects()
    assert list(table.columns) == ["term", "group", "level", "coef", "mode", "sd", "ci95_lb", "ci95_ub"]
    sd = fit.group_summary().loc["sd(Intercept | herd)", "estimate"]
    eta = fit.model.design.X @ fit.params.to_numpy()
    b = table.set_index("level")["mode"]
    herd = df["herd"].astype(str)
    p = special.expit(eta + b.loc[herd].to_numpy())
    y, m = df["incidence"].to_numpy(float), df["size"].to_numpy(float)
    score = pd.Series(y - m * p).groupby(herd.to_numpy()).sum()
    np.testing.assert_allclose(score.loc[b.index] - b / sd**2, 0, atol=1e-8)
    w = pd.Series(m * p * (1 - p)).groupby(herd.to_numpy()).sum().loc[b.index]
    np.testing.assert_allclose(table["sd"], sd / np.sqrt(1 + sd**2 * w.to_numpy()), rtol=1e-8)
    np.testing.assert_allclose(table["ci95_ub"] - table["mode"], 1.959964 * table["sd"], rtol=1e-6)


def test_predict_uses_the_modes_for_seen_levels_and_zero_for_unseen(fit):
    df = lme4_cbpp()
    new = df.iloc[[0, 5, 9]].copy()
    new["herd"] = [1, 3, 99]  # 99 was not seen
    out = fit.predict(new)
    modes = fit.group_effects().set_index("level")["mode"]
    eta = fit.model.design.encode(new) @ fit.params.to_numpy()
    expected = special.expit(eta + np.array([modes.loc["1"], modes.loc["3"], 0.0]))
    np.testing.assert_allclose(out["estimate"], expected, rtol=1e-12)
    # the training rows: the conditional fitted values
    np.testing.assert_allclose(fit.predict()["estimate"], fit.fittedvalues, rtol=1e-12)
    with pytest.raises(bl.ArgumentError, match="new_groups='sample'"):
        fit.predict(new, new_groups="sample")


def test_group_summary_names_match_the_posterior_and_correlations_are_from_lambda():
    df, _ = simulate_groups(20, (10, 40), random_seed=3)
    fit = bl.LogitModel("y ~ x + (1 + x | g)", df).fit_mle()
    gs = fit.group_summary()
    assert list(gs.index) == ["sd(Intercept | g)", "sd(x | g)", "cor(Intercept, x | g)"]
    t0, t1, t2 = fit.theta  # Lambda = [[t0, 0], [t1, t2]]: Sigma = Lambda Lambda'
    sd0, sd1 = t0, np.hypot(t1, t2)
    np.testing.assert_allclose(gs["estimate"], [sd0, sd1, t0 * t1 / (sd0 * sd1)], rtol=1e-12)
    assert fit.group_effects().shape[0] == 2 * 20


def test_singular_fit_holds_the_sd_at_zero():
    """No between-group variation at all (every group has the same rows): the sd estimate is 0
    and the coefficients are the pooled MLE with its standard errors."""
    rng = np.random.default_rng(4)
    base = pd.DataFrame({"x": rng.normal(size=40)})
    base["y"] = (rng.random(40) < special.expit(0.3 + base["x"])).astype(int)
    df = pd.concat([base.assign(g=f"g{j}") for j in range(5)], ignore_index=True)
    fit = bl.LogitModel("y ~ x + (1 | g)", df).fit_mle()
    pooled = bl.LogitModel("y ~ x", df).fit_mle()
    assert fit.boundary and fit.theta[0] == 0.0
    np.testing.assert_allclose(fit.params, pooled.params, rtol=1e-6)
    np.testing.assert_allclose(fit.bse, pooled.bse, rtol=1e-4)
    assert fit.llf == pytest.approx(pooled.llf, abs=1e-8)
    assert "Singular fit" in str(fit.summary())


def test_summary_and_compare(fit, model):
    text = str(fit.summary())
    for piece in ("Laplace approximation", "sd(Intercept | herd)", "AIC:", "period[T.2]"):
        assert piece in text
    table = bl.compare(fit, model.fit_mle(pooling="complete"), model.fit_mle(pooling="none"))
    assert list(table.columns.get_level_values(0).unique()) == [
        "MLE (GLMM, Laplace)",
        "MLE (complete pooling)",
        "MLE (no pooling)",
    ]
    np.testing.assert_allclose(table["MLE (GLMM, Laplace)"]["sd"], fit.bse, rtol=1e-14)


def _same_after_load(fit, path, new):
    fit.save(path)
    back = bl.load(path)
    assert isinstance(back, bl.GLMMResults) and back.label == fit.label and back.n_agq == fit.n_agq
    pd.testing.assert_series_equal(back.params, fit.params, check_exact=True)
    pd.testing.assert_series_equal(back.bse, fit.bse, check_exact=True)
    pd.testing.assert_frame_equal(back.group_summary(), fit.group_summary(), check_exact=True)
    pd.testing.assert_frame_equal(back.group_effects(), fit.group_effects(), check_exact=True)
    assert back.llf == fit.llf and back.aic == fit.aic and back.boundary == fit.boundary
    np.testing.assert_array_equal(back.theta, fit.theta)
    pd.testing.assert_frame_equal(back.predict(new), fit.predict(new), check_exact=True)
    pd.testing.assert_frame_equal(back.predict(), fit.predict(), check_exact=True)
    assert str(back.summary()) == str(fit.summary())
    return back


def test_save_and_load_restore_the_glmm_fit(fit, tmp_path):
    """Everything a GLMM fit reports is bit-identical after bl.load: coefficients, standard
    errors, group sds, modes and their sds, llf, predictions for seen and unseen levels (the
    unseen level's prediction is the population part alone, as before saving)."""
    new = lme4_cbpp().iloc[[0, 5, 9]].copy()
    new["herd"] = [1, 3, 99]
    back = _same_after_load(fit, tmp_path / "glmm.nc", new)
    eta = back.model.design.encode(new.iloc[[2]]) @ back.params.to_numpy()  # unseen: no group part
    np.testing.assert_allclose(back.predict(new.iloc[[2]])["estimate"], special.expit(eta), rtol=1e-12)


def test_save_and_load_a_correlated_slope_and_a_singular_nagq_fit(tmp_path):
    df, _ = simulate_groups(12, (10, 30), random_seed=5)
    slope = bl.LogitModel("y ~ x + (1 + x | g)", df).fit_mle()
    new = df.iloc[:4].assign(g=["zz", df["g"].iloc[0], "yy", df["g"].iloc[3]])
    _same_after_load(slope, tmp_path / "slope.nc", new)
    rng = np.random.default_rng(4)
    base = pd.DataFrame({"x": rng.normal(size=40)})
    base["y"] = (rng.random(40) < special.expit(0.3 + base["x"])).astype(int)
    same = pd.concat([base.assign(g=f"g{j}") for j in range(5)], ignore_index=True)
    singular = bl.LogitModel("y ~ x + (1 | g)", same).fit_mle(nAGQ=5)
    assert singular.boundary
    _same_after_load(singular, tmp_path / "singular.nc", same.iloc[:3].assign(g=["g1", "new", "g4"]))


def test_a_damaged_glmm_file_is_refused(fit, tmp_path):
    import h5py

    path = tmp_path / "glmm.nc"
    fit.save(path)
    with h5py.File(path, "a") as f:
        del f["point/modes_0"]
    with pytest.raises(bl.FitFileError, match="modes_0"):
        bl.load(path)


def test_frequency_weights_equal_the_expanded_rows():
    """A row of weight w counts as w rows (the trials fold them in): the same GLMM as the expanded data."""
    df, _ = simulate_groups(8, (5, 15), random_seed=2)
    w = np.random.default_rng(3).integers(1, 4, len(df))
    weighted = bl.LogitModel("y ~ x + (1 | g)", df.assign(w=w), weights="w").fit_mle()
    expanded = bl.LogitModel("y ~ x + (1 | g)", df.loc[df.index.repeat(w)].reset_index(drop=True)).fit_mle()
    np.testing.assert_allclose(weighted.params, expanded.params, atol=1e-6)
    np.testing.assert_allclose(weighted.theta, expanded.theta, atol=1e-6)
    np.testing.assert_allclose(weighted.bse, expanded.bse, rtol=1e-4)
    assert weighted.llf == pytest.approx(expanded.llf, abs=1e-8)


def test_a_constant_offset_moves_the_intercept_only():
    df, _ = simulate_groups(8, (5, 15), random_seed=2)
    plain = bl.LogitModel("y ~ x + (1 | g)", df).fit_mle()
    shifted = bl.LogitModel("y ~ x + (1 | g)", df.assign(o=0.7), offset="o").fit_mle()
    np.testing.assert_allclose(shifted.params.to_numpy(), plain.params.to_numpy() - [0.7, 0.0], atol=1e-6)
    np.testing.assert_allclose(shifted.theta, plain.theta, atol=1e-6)
    assert shifted.llf == pytest.approx(plain.llf, abs=1e-8)
    np.testing.assert_allclose(shifted.predict()["estimate"], plain.predict()["estimate"], atol=1e-6)


def test_separated_population_column_warns_and_says_not_converged():
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    df = pd.DataFrame({"y": (x > 0).astype(int), "x": x, "g": rng.integers(0, 10, 200).astype(str)})
    with pytest.warns(bl.SeparationWarning, match=r"separation.*\['x'\].*GLMM"):
        fit = bl.LogitModel("y ~ x + (1 | g)", df).fit_mle()
    assert not fit.converged and "did not converge" in str(fit.summary())


def test_save_and_load_crossed_terms_without_conditional_covariances(tmp_path):
    """Two terms (crossed); a fit whose conditional covariances were not computed (several
    terms with more than 4000 levels x coefficients) stores none and reloads with NaN sds."""
    from dataclasses import replace

    df, _ = simulate_groups(10, (10, 20), random_seed=6)
    df["h"] = np.arange(len(df)) % 4
    model = bl.LogitModel("y ~ x + (x || g) + (1 | h)", df)
    crossed = model.fit_mle()
    assert crossed.group_modes()[1].shape == (4, 1)
    new = df.iloc[:3].assign(g=["new", df["g"].iloc[1], df["g"].iloc[2]], h=[0, 9, 2])
    _same_after_load(crossed, tmp_path / "crossed.nc", new)
    bare = bl.GLMMResults(model, replace(crossed._glmm, mode_cov=None))
    back = _same_after_load(bare, tmp_path / "bare.nc", new)
    assert back.group_effects()["sd"].isna().all()
