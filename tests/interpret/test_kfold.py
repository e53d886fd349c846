"""``bl.kfold``: K-fold cross-validation by refitting (stratified folds, the fit's priors and
sampler settings), checked against a hand computation from fold posteriors fitted through the
public API, and against PSIS-LOO where every Pareto k is good."""

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, logsumexp

import bayeslogit as bl
from bayeslogit.interpret.kfold import sampling_settings

SETTINGS = dict(draws=300, tune=300, chains=2, random_seed=4)
# explicit, the intercept's too (not autoscaled, not centred at the rows' means): a refit on any
# rows resolves the same priors, so the hand-made fold posteriors are kfold's, draw for draw
PRIORS = {"Intercept": bl.Normal(0, 2.5), "x1": bl.Normal(0, 2), "x2": bl.Normal(0, 2)}


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(8)
    n = 80
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    df["y"] = rng.binomial(1, expit(-0.2 + 1.0 * df.x1 - 0.5 * df.x2))
    post = bl.LogitModel("y ~ x1 + x2", df, priors=PRIORS).sample(**SETTINGS, progressbar=False)
    return df, post, bl.kfold(post, k=5, random_seed=11)


def _hand_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """The documented assignment: each outcome's rows shuffled, dealt to the folds in turn."""
    rng = np.random.default_rng(seed)
    fold = np.empty(len(y), dtype=int)
    start = 0
    for rows in (np.flatnonzero(y == 0), np.flatnonzero(y == 1)):
        rows = rng.permutation(rows)
        fold[rows] = (start + np.arange(rows.size)) % k
        start += rows.size
    return fold


def test_kfold_equals_the_hand_computation(fit):
    df, post, res = fit
    fold = _hand_folds(df["y"].to_numpy(), 5, 11)
    expected = np.empty(len(df))
    for f in range(5):
        train, test = df[fold != f], df[fold == f]
        fold_post = bl.LogitModel("y ~ x1 + x2", train.reset_index(drop=True), priors=PRIORS).sample(
            **SETTINGS, progressbar=False
        )
        B = fold_post.draws()
        eta = np.c_[np.ones(len(test)), test[["x1", "x2"]].to_numpy()] @ B.T  # (rows, draws)
        y = test["y"].to_numpy()[:, None]
        ll = y * eta - np.logaddexp(0, eta)
        expected[fold == f] = logsumexp(ll, axis=1) - np.log(B.shape[0])
    np.testing.assert_allclose(res.elpd_i.values, expected, rtol=1e-10, atol=1e-10)
    assert res.elpd == pytest.approx(expected.sum(), rel=1e-12)
    assert res.se == pytest.approx(np.sqrt(len(df) * np.var(expected)), rel=1e-12)
    assert res.n_folds == 5 and res.kind == "loo_kfold" and res.n_data_points == len(df)
    # p_kfold: the full fit's lpd minus the held-out one, per row (as arviz_stats.loo_kfold)
    B = post.draws()
    eta = post.design.X @ B.T
    ll = df["y"].to_numpy()[:, None] * eta - np.logaddexp(0, eta)
    lpd = logsumexp(ll, axis=1) - np.log(B.shape[0])
    np.testing.assert_allclose(res.p_kfold_i.values, lpd - expected, rtol=1e-10, atol=1e-10)


def test_kfold_is_close_to_psis_loo_when_pareto_k_is_good(fit):
    _, post, res = fit
    loo = post.loo().elpd_data
    assert float(np.max(loo.pareto_k)) < 0.5
    # 5-fold refits on 80% of the rows: a little below LOO (fewer training rows), within the
    # se of the paired difference (here -2.2, se 0.9) and well within elpd's own se (4.1)
    diff = res.elpd_i.values - loo.elpd_i.values
    se_diff = np.sqrt(len(diff) * np.var(diff))
    assert -3 * se_diff < res.elpd - loo.elpd < 0.5 * se_diff, (res.elpd, loo.elpd, se_diff)
    assert abs(res.elpd - loo.elpd) < 0.6 * loo.se
    assert np.corrcoef(res.elpd_i.values, loo.elpd_i.values)[0, 1] > 0.95


def test_kfold_refits_with_the_fit_s_settings_and_checks_its_arguments(fit):
    _, post, _ = fit
    assert post.sample_settings == dict(SETTINGS, tune=300, sampler="auto", target_accept=None, method="nuts")
    # a fit read from a file has no record: read from the fit itself
    loaded = bl.PosteriorResults(post.model, post.idata, sampler=post.sampler, random_seed=post.random_seed)
    assert loaded.sample_settings is None
    assert sampling_settings(loaded) == dict(SETTINGS, sampler="bayeslogit")
    with pytest.raises(bl.ArgumentError, match=r"k must be an integer in \[2, 80\]"):
        bl.kfold(post, k=1)
    with pytest.raises(bl.ArgumentError, match=r"needs a posterior fit"):
        bl.kfold(post.model.fit_map(), k=5)
