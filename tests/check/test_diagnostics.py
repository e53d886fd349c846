"""Diagnostics and fit quality, each number checked against an independent reference."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logsumexp
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

import bayeslogit as bl
from bayeslogit.check.scores import fit_quality, fitted_probabilities


@pytest.fixture(scope="module")
def post(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", data=seed_df)
    return model.sample(draws=600, tune=500, chains=2, random_seed=11, progressbar=False)


@pytest.fixture(scope="module")
def diag(post):
    return post.diagnostics()


def _chains(post, j):
    return post.idata.posterior["beta"].transpose("chain", "draw", "coef").values[:, :, j]


def _split(x):
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, -half:]], axis=0)


def _z(x):
    r = stats.rankdata(x, axis=None).reshape(x.shape)
    return stats.norm.ppf((r - 0.375) / (x.size + 0.25))


def _classic_rhat(x):
    m, n = x.shape
    w = x.var(axis=1, ddof=1).mean()
    b = n * x.mean(axis=1).var(ddof=1)
    return np.sqrt(((n - 1) / n * w + b / n) / w)


def _ess_geyer(x):
    """Effective sample size of the chains x (m, n): Geyer's initial monotone sequence."""
    m, n = x.shape
    acov = np.array([np.correlate(c - c.mean(), c - c.mean(), "full")[n - 1 :] / n for c in x])
    chain_var = acov[:, 0] * n / (n - 1)
    w = chain_var.mean()
    var_plus = w * (n - 1) / n + x.mean(axis=1).var(ddof=1)
    rho = 1 - (w - acov.mean(axis=0)) / var_plus
    rho[0] = 1.0
    pairs = rho[:-1:2] + rho[1::2]
    k = np.argmax(pairs < 0) if np.any(pairs < 0) else len(pairs)
    # Geyer's truncation plus the positive even-lag term at the cut (Vehtari et al. 2021's
    # improvement; it matters for antithetic chains, whose ESS exceeds the number of draws)
    extra = max(rho[2 * k], 0.0) if 2 * k < len(rho) else 0.0
    pairs = np.minimum.accumulate(pairs[:k])
    tau = -1 + 2 * pairs.sum() + extra
    return m * n / tau


def test_good_fit_passes_every_check(diag):
    frame = diag.to_frame()
    assert diag.ok, frame
    assert set(frame["verdict"]) <= {"ok", "info"}
    assert list(frame.index[:3]) == ["R-hat (max)", "ESS bulk (min)", "ESS tail (min)"]
    assert "Divergent transitions" in frame.index and "E-BFMI (min over chains)" in frame.index


def test_rhat_matches_rank_normalized_split_rhat(post, diag):
    for j, name in enumerate(post.coef_names):
        x = _split(_chains(post, j))
        bulk = _classic_rhat(_z(x))
        folded = _classic_rhat(_z(np.abs(x - np.median(x))))
        assert diag.per_coef.loc[name, "r_hat"] == pytest.approx(max(bulk, folded), abs=1e-6)
    assert float(diag.to_frame().loc["R-hat (max)", "value"]) == pytest.approx(diag.per_coef["r_hat"].max(), abs=5e-4)


def test_ess_bulk_matches_geyer_estimator(post, diag):
    for j, name in enumerate(post.coef_names):
        ref = _ess_geyer(_z(_split(_chains(post, j))))
        assert diag.per_coef.loc[name, "ess_bulk"] == pytest.approx(ref, rel=0.02)


def test_mcse_mean_is_sd_over_sqrt_ess(post, diag):
    for j, name in enumerate(post.coef_names):
        x = _chains(post, j)
        ref = x.std(ddof=1) / np.sqrt(_ess_geyer(_split(x)))
        assert diag.per_coef.loc[name, "mcse_mean"] == pytest.approx(ref, rel=0.03)


def test_bfmi_matches_closed_form(post, diag):
    energy = post.idata.sample_stats["energy"].values
    ref = (np.diff(energy, axis=1) ** 2).sum(axis=1) / ((energy - energy.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    assert float(diag.to_frame().loc["E-BFMI (min over chains)", "value"]) == pytest.approx(ref.min(), abs=0.006)


def test_divergence_and_treedepth_counts(post, diag):
    st = post.idata.sample_stats
    frame = diag.to_frame()
    assert int(frame.loc["Divergent transitions", "value"]) == int(st["diverging"].values.sum())
    assert int(frame.loc["Tree depth saturation", "value"]) == int((st["tree_depth"].values >= 10).sum())


def test_loo_against_plain_importance_sampling(post, diag):
    ll = post.log_likelihood().values.reshape(-1, post.design.n_obs)  # materialised reference
    s = ll.shape[0]
    lpd = logsumexp(ll, axis=0) - np.log(s)
    is_loo = -(logsumexp(-ll, axis=0) - np.log(s))  # raw importance sampling, no smoothing
    assert diag.loo.elpd == pytest.approx(is_loo.sum(), abs=1.0)
    assert diag.loo.p == pytest.approx(lpd.sum() - diag.loo.elpd, abs=1e-6)
    assert diag.loo.p == pytest.approx(post.design.n_coef, abs=1.5)  # ~ number of coefficients
    counts = diag.pareto_k_frame()["count"]
    assert counts.sum() == post.design.n_obs


def test_fit_quality_matches_sklearn(post, diag):
    y = post.design.y
    beta = post.draws()
    p = expit(beta @ post.design.X.T).mean(axis=0)
    np.testing.assert_allclose(fitted_probabilities(post), p)
    fq = diag.fit
    assert fq.brier == pytest.approx(brier_score_loss(y, p), rel=1e-10)
    assert fq.log_score == pytest.approx(-log_loss(y, p), rel=1e-10)
    assert fq.auc == pytest.approx(roc_auc_score(y, p), rel=1e-10)
    cep = IsotonicRegression(y_min=0, y_max=1).fit(p, y).predict(p)
    assert fq.miscalibration == pytest.approx(brier_score_loss(y, p) - brier_score_loss(y, cep), abs=1e-10)
    assert fq.uncertainty == pytest.approx(y.mean() * (1 - y.mean()), rel=1e-10)
    assert fq.brier == pytest.approx(fq.miscalibration - fq.discrimination + fq.uncertainty, rel=1e-10)
    # the truth is in the model: well calibrated, discriminating
    assert 0 <= fq.miscalibration < 0.01 and fq.auc > 0.8


def test_fit_quality_binomial_counts_every_trial():
    rng = np.random.default_rng(3)
    x = rng.normal(size=40)
    n = rng.integers(1, 8, size=40)
    y = rng.binomial(n, expit(0.3 + x))
    df = pd.DataFrame({"s": y, "n": n, "x": x})
    post = bl.LogitModel("s ~ x", df, trials="n").sample(
        draws=150, tune=150, chains=2, random_seed=2, progressbar=False
    )
    p = fitted_probabilities(post)
    # expand to one Bernoulli row per trial, weighted
    yy = np.r_[np.ones(len(p)), np.zeros(len(p))]
    pp = np.r_[p, p]
    w = np.r_[y, n - y].astype(float)
    fq = fit_quality(post)
    assert fq.n_trials == n.sum()
    assert fq.brier == pytest.approx(brier_score_loss(yy, pp, sample_weight=w), rel=1e-10)
    assert fq.log_score == pytest.approx(-log_loss(yy, pp, sample_weight=w), rel=1e-10)
    assert fq.auc == pytest.approx(roc_auc_score(yy, pp, sample_weight=w), rel=1e-10)
    cep = IsotonicRegression().fit(pp, yy, sample_weight=w).predict(pp)
    ref = brier_score_loss(yy, pp, sample_weight=w) - brier_score_loss(yy, cep, sample_weight=w)
    assert fq.miscalibration == pytest.approx(ref, abs=1e-10)


def test_text_html_and_frame_forms(diag):
    text = str(diag)
    assert "Posterior diagnostics" in text and "all checks pass" in text and "elpd_loo" in text
    html = diag._repr_html_()
    assert "<table" in html and "R-hat (max)" in html
    assert list(diag.to_frame().columns) == ["value", "rule", "verdict", "detail", "suggestion"]


def test_short_single_chain_fails_with_suggestions(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", data=seed_df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = model.sample(draws=30, tune=5, chains=1, random_seed=1, progressbar=False)
    diag = bad.diagnostics()
    frame = diag.to_frame()
    assert not diag.ok
    for name in ("R-hat (max)", "ESS bulk (min)", "ESS tail (min)"):
        assert frame.loc[name, "verdict"] == "FAIL"
        assert "draws" in frame.loc[name, "suggestion"]
    assert ">= 100 (100 per chain)" == frame.loc["ESS bulk (min)", "rule"]
    assert "FAILED" in str(diag) and "increase draws" in str(diag)


def test_flat_prior_on_separated_data_fails_and_names_the_prior():
    x = np.linspace(-2, 2, 30)
    df = pd.DataFrame({"x": x, "y": (x > 0).astype(int)})
    model = bl.LogitModel("y ~ x", df, priors={"x": bl.Flat(), "Intercept": bl.Flat()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        post = model.sample(draws=100, tune=100, chains=2, random_seed=4, progressbar=False)
    diag = post.diagnostics()
    failed = {c.name: c for c in diag.failed}
    assert failed, diag.to_frame()
    assert {"R-hat (max)", "Tree depth saturation"} & set(failed)
    assert any("Flat prior on Intercept, x makes the posterior improper" in c.suggestion for c in failed.values())
    assert any("completely separated along x" in c.suggestion for c in failed.values())
    frame = diag.to_frame()
    assert frame.loc["Separation (data)", "value"] == "complete"
    assert frame.loc["Separation (data)", "verdict"] == "info"


def test_separation_matches_the_mle_warning(post, diag):
    assert diag.to_frame().loc["Separation (data)", "value"] == "none"
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    df = pd.DataFrame({"x": x, "y": (x > 0.2).astype(int)})
    model = bl.LogitModel("y ~ x", df)
    with pytest.warns(bl.SeparationWarning):
        mle = model.fit_mle()
    from bayeslogit.check.diagnostics import separation

    assert separation(model.design) == (mle.separation, ["x"])
    assert separation(post.design) == (None, [])


def test_fitted_probabilities_thin_the_draws_above_the_budget_and_say_so(seed_df, monkeypatch):
    from bayeslogit.check import scores

    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=300, tune=200, chains=2, random_seed=1, progressbar=False)
    monkeypatch.setitem(bl.options, "fitted_max_cells", 500 * 100)  # 600 draws x 500 rows is above
    monkeypatch.setattr(scores, "FITTED_MIN_DRAWS", 250)
    p = fitted_probabilities(post)
    idx = np.unique(np.linspace(0, 599, 250).round().astype(int))
    np.testing.assert_allclose(p, expit(post.draws()[idx] @ post.design.X.T).mean(axis=0), rtol=1e-12)
    assert (
        scores.fitted_draws_note(post)
        == "posterior-mean probabilities from 250 evenly spaced of the 600 draws (500 rows)"
    )
    diag = post.diagnostics()
    assert diag.fit.note and "Fit quality: posterior-mean probabilities from 250" in str(diag)
    # all draws within the budget: exact mean, no note
    monkeypatch.setitem(bl.options, "fitted_max_cells", 10**9)
    post._cache.clear()
    np.testing.assert_allclose(
        fitted_probabilities(post), expit(post.draws() @ post.design.X.T).mean(axis=0), rtol=1e-12
    )
    assert scores.fitted_draws_note(post) == ""


@pytest.mark.parametrize("seed", range(6))
def test_no_separation_certificate_agrees_with_the_linear_program(seed):
    from bayeslogit.fit.newton import newton
    from bayeslogit.fit.separation import check_separation, detect_separation, no_separation_certificate

    rng = np.random.default_rng(seed)
    n = [40, 80, 300, 30, 60, 2000][seed]
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    y = rng.binomial(1, expit(X @ [0.2, 1.5, -1.0, 0.5]))
    if seed == 3:
        y = (X[:, 1] > 0).astype(int)  # complete separation
    if seed == 4:
        X[:, 3] = (np.arange(n) < 3).astype(float)  # a rare dummy whose rows are all events
        y[:3] = 1
    lp = detect_separation(X, y)[0]
    beta = newton(X, y, None, None, max_iter=50).beta
    r = no_separation_certificate(X, y, None, beta)
    if r < 0.9:  # a certificate is a proof: the LP must agree
        assert lp is None, (seed, r)
    if lp is not None:
        assert r >= 1.0
    assert check_separation(X, y, None, beta)[0] == lp
    if seed in (0, 2, 5):
        assert r < 0.9  # well-posed data near the MLE: certified in one pass, no LP
