"""Choosing C: cross-validation equals LogisticRegressionCV; the Laplace evidence equals a
brute-force importance-sampling estimate of the marginal likelihood."""

import warnings

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed
from bayeslogit.fit.prior_scale import log_evidence_laplace
from bayeslogit.priors import resolve_priors

pytest.importorskip("sklearn")
from sklearn.linear_model import LogisticRegressionCV  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402


@pytest.fixture(scope="module")
def noisy():
    df = simulate_seed(300, random_seed=2, n_noise=3)
    cols = [c for c in df.columns if c != "y"]
    X, y = df[cols].to_numpy(), df["y"].to_numpy()
    return bl.LogitModel("y ~ " + " + ".join(cols), df), X, y


def _sk_cv(X, y, folds, l1_ratio):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return LogisticRegressionCV(
            Cs=10,
            cv=folds,
            scoring="neg_log_loss",
            l1_ratios=[l1_ratio],
            solver="saga",
            tol=1e-10,
            max_iter=100_000,
            use_legacy_attributes=False,
        ).fit(X, y)


def test_cv_l2_equals_logistic_regression_cv(noisy):
    model, X, y = noisy
    folds = list(StratifiedKFold(5).split(X, y))
    ours = bl.scale_by_cv(model, Cs=10, folds=folds)
    sk = _sk_cv(X, y, folds, 0.0)
    assert ours.C == pytest.approx(sk.C_, rel=1e-12)
    np.testing.assert_allclose(ours.table["log_score"], sk.scores_.mean(axis=0).ravel(), atol=1e-6)
    assert ours.prior == bl.sklearn_prior(sk.C_)


def test_cv_l1_equals_logistic_regression_cv(noisy):
    model, X, y = noisy
    folds = list(StratifiedKFold(5).split(X, y))
    ours = bl.scale_by_cv(model, Cs=10, folds=folds, l1_ratio=1.0)
    sk = _sk_cv(X, y, folds, 1.0)
    assert ours.C == pytest.approx(sk.C_, rel=1e-12)
    # Where every slope is zero saga's intercept stops early (see test_penalized); compare the rest.
    keep = ours.table.index > 1e-2
    np.testing.assert_allclose(ours.table["log_score"][keep], sk.scores_.mean(axis=0).ravel()[keep], atol=1e-6)


def test_cv_folds_from_a_seed_are_reproducible_and_stratified(noisy):
    model, _, y = noisy
    a = bl.scale_by_cv(model, Cs=[0.1, 1, 10], random_seed=3)
    b = bl.scale_by_cv(model, Cs=[0.1, 1, 10], random_seed=3)
    c = bl.scale_by_cv(model, Cs=[0.1, 1, 10], random_seed=4)
    assert a.table.equals(b.table) and not a.table.equals(c.table)
    from bayeslogit.fit.prior_scale import cv_folds

    for _, test in cv_folds(5, y, None, 3):
        assert abs(y[test].mean() - y.mean()) < 0.02


@pytest.mark.parametrize("C", [0.1, 1.0, 10.0])
def test_laplace_evidence_matches_importance_sampling(C):
    """Brute force: 400,000 multivariate-t proposals around the mode (importance-sampling ESS
    ~3e5, Monte Carlo error ~0.002); the Laplace approximation is within 0.1 at n = 80."""
    df = simulate_seed(80, random_seed=4)
    model = bl.LogitModel("y ~ x1 + x2", df)
    d = model.design
    priors = resolve_priors(bl.sklearn_prior(C, fit_intercept=False), d)
    laplace = log_evidence_laplace(d.X, d.y, None, priors)
    fit = model.fit_map(priors=bl.sklearn_prior(C, fit_intercept=False))
    q = stats.multivariate_t(
        loc=fit.params.to_numpy(), shape=1.5 * fit.cov_params().to_numpy(), df=5, seed=np.random.default_rng(0)
    )
    B = q.rvs(size=400_000)
    eta = B @ d.X.T
    lw = (d.y * eta - np.logaddexp(0, eta)).sum(axis=1) + stats.norm.logpdf(B, 0, np.sqrt(C)).sum(axis=1) - q.logpdf(B)
    brute = logsumexp(lw) - np.log(len(B))
    assert laplace == pytest.approx(brute, abs=0.1)


def test_evidence_picks_the_maximum_and_says_it_is_relative():
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=2))
    choice = bl.scale_by_evidence(model, Cs=[0.01, 0.1, 1, 10, 100])
    assert choice.C == choice.table["log_evidence"].idxmax()
    assert "relative" in repr(choice)
    assert choice.prior == bl.sklearn_prior(choice.C)


def test_evidence_refuses_a_kinked_prior():
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(100, random_seed=2))
    d = model.design
    with pytest.raises(bl.ArgumentError, match=r"L1 / elastic-net priors have a kink at zero \(use scale_by_cv"):
        log_evidence_laplace(d.X, d.y, None, resolve_priors(bl.sklearn_prior(1.0, l1_ratio=1), d))


@pytest.mark.parametrize("Cs", [1, [0.1, -1.0], "many", [float("inf")]])
def test_bad_grid_names_the_argument(Cs):
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(100, random_seed=2))
    with pytest.raises(bl.ArgumentError, match=r"^Cs must be an integer >= 2 or a list of positive"):
        bl.scale_by_cv(model, Cs=Cs)


@pytest.mark.parametrize("folds", [1, 10_000, [], "abc"])
def test_bad_folds_name_the_argument(folds):
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(100, random_seed=2))
    with pytest.raises(bl.ArgumentError, match=r"folds"):
        bl.scale_by_cv(model, Cs=[0.1, 1], folds=folds)


def test_edge_of_grid_is_flagged():
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=2))
    choice = bl.scale_by_cv(model, Cs=[1e-4, 1e-3], random_seed=0)
    assert "upper end of the grid" in repr(choice)
