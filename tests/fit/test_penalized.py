"""Every scikit-learn penalty is a prior: L1 and elastic-net MAPs equal scikit-learn's fits.

References: scikit-learn's ``saga`` solver at ``tol=1e-12`` (coefficients and the exact zeros it
reports), a closed form (all slopes at zero: the intercept is ``logit(mean(y))``), the
optimality (KKT) conditions checked directly, scipy's densities and numerical integration.
"""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed

sklearn = pytest.importorskip("sklearn")
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

TOL = 1e-5  # the bar; observed differences are 1e-13 .. 5e-8


def _sk(X, y, *, C, l1_ratio, fit_intercept=True):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga's ConvergenceWarning at max_iter never happens here
        fit = LogisticRegression(
            C=C, l1_ratio=l1_ratio, solver="saga", tol=1e-12, max_iter=1_000_000, fit_intercept=fit_intercept
        ).fit(X, y)
    coef = fit.coef_.ravel()
    return np.r_[fit.intercept_, coef] if fit_intercept else coef


def _assert_same(ours: bl.MAPResults, ref: np.ndarray):
    np.testing.assert_allclose(ours.params.to_numpy(), ref, rtol=0, atol=TOL)
    # exact zeros where scikit-learn has them, and nowhere else
    assert np.array_equal(ours.params.to_numpy() == 0, ref == 0)
    assert np.array_equal(ours.at_kink, ref == 0)


@pytest.fixture(scope="module")
def seed():
    df = simulate_seed(500, random_seed=1)
    return df, df[["x1", "x2"]].to_numpy(), df["y"].to_numpy()


@pytest.fixture(scope="module")
def wide():
    rng = np.random.default_rng(3)
    n, p = 200, 50
    X = rng.normal(size=(n, p))
    beta = np.zeros(p)
    beta[:5] = [1.5, -1.0, 0.8, 0.0, 2.0]
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ beta - 0.3)))).astype(int)
    cols = [f"x{j}" for j in range(p)]
    df = pd.DataFrame(X, columns=cols).assign(y=y)
    return df, X, y, "y ~ " + " + ".join(cols)


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer()
    X = StandardScaler().fit_transform(data.data)
    cols = [f"f{j}" for j in range(X.shape[1])]
    df = pd.DataFrame(X, columns=cols).assign(y=data.target)
    return df, X, data.target, "y ~ " + " + ".join(cols)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("l1_ratio", [1.0, 0.5, 0.15])
@pytest.mark.parametrize("C", [0.05, 0.3, 1.0])
def test_seed_map_equals_sklearn(seed, C, l1_ratio, fit_intercept):
    df, X, y = seed
    Xs = X if fit_intercept else np.column_stack([np.ones(len(y)), X])
    ours = bl.LogitModel("y ~ x1 + x2", df).fit_map(
        priors=bl.sklearn_prior(C, fit_intercept=fit_intercept, l1_ratio=l1_ratio)
    )
    _assert_same(ours, _sk(Xs, y, C=C, l1_ratio=l1_ratio, fit_intercept=fit_intercept))


@pytest.mark.parametrize("l1_ratio", [1.0, 0.5])
@pytest.mark.parametrize("C", [0.05, 0.2, 1.0])
def test_wide_sparse_map_equals_sklearn(wide, C, l1_ratio):
    df, X, y, formula = wide
    ours = bl.LogitModel(formula, df).fit_map(priors=bl.sklearn_prior(C, l1_ratio=l1_ratio))
    ref = _sk(X, y, C=C, l1_ratio=l1_ratio)
    assert (ref == 0).sum() >= 5  # the case is sparse: most true coefficients are 0
    _assert_same(ours, ref)


@pytest.mark.parametrize("C, l1_ratio", [(0.05, 1.0), (0.2, 1.0), (0.05, 0.5), (1.0, 0.5)])
def test_breast_cancer_map_equals_sklearn(cancer, C, l1_ratio):
    df, X, y, formula = cancer
    ours = bl.LogitModel(formula, df).fit_map(priors=bl.sklearn_prior(C, l1_ratio=l1_ratio))
    _assert_same(ours, _sk(X, y, C=C, l1_ratio=l1_ratio))


def test_all_slopes_zero_leaves_the_closed_form_intercept(seed):
    """Strong L1: both slopes exactly 0, and the unpenalised intercept is logit(mean(y)).

    (saga stops early here, 0.09 away; the closed form is the reference.)"""
    df, _, y = seed
    fit = bl.LogitModel("y ~ x1 + x2", df).fit_map(priors=bl.sklearn_prior(0.01, l1_ratio=1))
    assert fit.params["x1"] == 0 and fit.params["x2"] == 0
    ybar = y.mean()
    assert fit.params["Intercept"] == pytest.approx(math.log(ybar / (1 - ybar)), abs=1e-9)


def test_kkt_conditions_hold(wide):
    """Optimality, checked without scikit-learn: the gradient of the smooth part equals the L1
    weight times the sign off the kink, and is at most the L1 weight at the kink."""
    df, X, y, formula = wide
    C, r = 0.2, 0.5
    fit = bl.LogitModel(formula, df).fit_map(priors=bl.sklearn_prior(C, l1_ratio=r))
    b = fit.params.to_numpy()
    Xd = np.column_stack([np.ones(len(y)), X])
    g = Xd.T @ (y - 1 / (1 + np.exp(-Xd @ b)))
    g[1:] -= (1 - r) / C * b[1:]  # the Gaussian part of the elastic net
    l1 = r / C
    off = b[1:] != 0
    np.testing.assert_allclose(g[1:][off], l1 * np.sign(b[1:][off]), atol=1e-6)
    assert np.all(np.abs(g[1:][~off]) <= l1 + 1e-6)
    assert abs(g[0]) < 1e-6  # the flat intercept


def test_map_table_has_no_fake_sd_at_the_kink(wide):
    df, _, _, formula = wide
    fit = bl.LogitModel(formula, df).fit_map(priors=bl.sklearn_prior(0.05, l1_ratio=1))
    table = fit.coef_table()
    assert table["at_kink"].sum() == fit.at_kink.sum() > 0
    zeros = table[table["at_kink"]]
    assert (zeros["mode"] == 0).all()
    assert zeros[["sd", "lower", "upper"]].isna().all().all()
    kept = table[~table["at_kink"]]
    assert kept["sd"].notna().all() and (kept["sd"] > 0).all()
    text = str(fit.summary())
    assert "kink" in text and "sample()" in text
    # bl.compare shows them as missing, not as zero-width intervals
    side = bl.compare(fit, names=["L1"])
    assert side.loc[zeros.index[0], ("L1", "sd")] != side.loc[zeros.index[0], ("L1", "sd")]  # NaN


def test_off_kink_sds_are_the_inverse_hessian_on_the_support(seed):
    """The Laplace sds of the nonzero coefficients: the inverse of the negative Hessian of the
    log posterior restricted to them (computed here directly)."""
    df, X, y = seed
    fit = bl.LogitModel("y ~ x1 + x2", df).fit_map(priors=bl.sklearn_prior(0.05, l1_ratio=0.5))
    b = fit.params.to_numpy()
    Xd = np.column_stack([np.ones(len(y)), X])
    p = 1 / (1 + np.exp(-Xd @ b))
    H = (Xd * (p * (1 - p))[:, None]).T @ Xd + np.diag([0.0, 10.0, 10.0])  # (1 - r)/C = 10
    np.testing.assert_allclose(fit.bse.to_numpy(), np.sqrt(np.diag(np.linalg.inv(H))), rtol=1e-8)


def test_l2_path_unchanged(seed):
    """l1_ratio=0 is the same N(0, sqrt(C)) prior and Newton fit as before."""
    df, X, y = seed
    a = bl.LogitModel("y ~ x1 + x2", df).fit_map(priors=bl.sklearn_prior(1.0, l1_ratio=0))
    b = bl.LogitModel("y ~ x1 + x2", df).fit_map(priors=bl.sklearn_prior(1.0))
    np.testing.assert_array_equal(a.params, b.params)
    assert "at_kink" not in a.coef_table().columns


def test_sklearn_prior_maps_each_penalty_to_its_prior():
    assert bl.sklearn_prior(2.0).penalty_prior() == bl.Normal(0, math.sqrt(2.0))
    assert bl.sklearn_prior(2.0, l1_ratio=1).penalty_prior() == bl.Laplace(0, 2.0)
    assert bl.sklearn_prior(2.0, l1_ratio=0.25).penalty_prior() == bl.ElasticNet(0, 0.125, 0.375)
    assert bl.sklearn_prior(math.inf, l1_ratio=1).penalty_prior() == bl.Flat()


@pytest.mark.parametrize("bad", [-0.1, 1.5, "l1", True, float("nan")])
def test_sklearn_prior_rejects_bad_l1_ratio(bad):
    with pytest.raises(bl.PriorError, match=r"sklearn_prior: l1_ratio must be a number in \[0, 1\]"):
        bl.sklearn_prior(1.0, l1_ratio=bad)


def test_laplace_density_matches_scipy():
    x = np.linspace(-4, 5, 37)
    np.testing.assert_allclose(bl.Laplace(0.5, 1.3).logpdf(x), stats.laplace.logpdf(x, loc=0.5, scale=1.3), rtol=1e-12)


@pytest.mark.parametrize("mu, l1, l2", [(0, 1, 1), (0.3, 5, 0.2), (-1, 0.01, 30), (0, 40, 0.5)])
def test_elastic_net_density_integrates_to_one(mu, l1, l2):
    prior = bl.ElasticNet(mu, l1, l2)
    f = lambda x: math.exp(prior.logpdf(x))  # noqa: E731
    total = integrate.quad(f, -np.inf, mu)[0] + integrate.quad(f, mu, np.inf)[0]
    assert total == pytest.approx(1.0, abs=1e-8)
    # its kernel is the product of the Laplace and Gaussian kernels
    x = np.array([-2.0, 0.1, 3.0])
    ratio = prior.logpdf(x) - (stats.laplace.logpdf(x, mu, 1 / l1) + stats.norm.logpdf(x, mu, 1 / math.sqrt(l2)))
    np.testing.assert_allclose(ratio - ratio[0], 0, atol=1e-10)


@pytest.mark.parametrize(
    "args, match",
    [((0, -1), r"Laplace prior: b must be a positive finite number"), ((0, float("nan")), r"Laplace prior: b must be")],
)
def test_laplace_rejects_bad_scale(args, match):
    with pytest.raises(bl.PriorError, match=match):
        bl.Laplace(*args)


def test_elastic_net_rejects_zero_weights():
    with pytest.raises(bl.PriorError, match=r"ElasticNet prior: l2 must be a positive finite number"):
        bl.ElasticNet(0, 1, 0)


def test_pymc_logp_of_the_new_families_matches_scipy(seed):
    df, _, _ = seed
    for prior, ref in [
        (bl.Laplace(0.2, 0.7), lambda x: stats.laplace.logpdf(x, 0.2, 0.7)),
        (bl.ElasticNet(0, 2, 3), lambda x: bl.ElasticNet(0, 2, 3).logpdf(x)),
    ]:
        model = bl.LogitModel("y ~ x1 + x2", df, priors={"x1": prior, "x2": prior, "Intercept": bl.Flat()})
        pm_model = model.pymc_model
        name = f"beta_{prior.family.lower()}"
        rv = pm_model[name]
        value = pm_model.rvs_to_values[rv]
        f = pm_model.compile_fn(pm_model.logp(vars=[rv], sum=False)[0], inputs=[value])
        x = np.array([-1.3, 0.4])
        np.testing.assert_allclose(f({value.name: x}), ref(x), rtol=1e-10)


def test_posterior_under_laplace_puts_no_mass_at_zero(seed):
    """The Bayesian lasso: bayeslogit's own NUTS takes the Laplace prior (its agreement with
    PyMC is checked in tests/fit/test_nuts.py), and no draw is exactly zero."""
    df, _, _ = seed
    model = bl.LogitModel("y ~ x1 + x2", df.iloc[:150], priors=bl.Laplace(0, 0.5))
    post = model.sample(draws=300, tune=300, chains=2, random_seed=1, progressbar=False)
    assert post.sampler == "bayeslogit"
    assert np.all(post.draws() != 0)


def test_penalized_map_round_trips_through_a_file(wide, tmp_path):
    df, _, _, formula = wide
    fit = bl.LogitModel(formula, df).fit_map(priors=bl.sklearn_prior(0.05, l1_ratio=1))
    fit.save(tmp_path / "l1.nc")
    back = bl.load(tmp_path / "l1.nc")
    np.testing.assert_array_equal(back.params, fit.params)
    np.testing.assert_array_equal(back.at_kink, fit.at_kink)
    pd.testing.assert_frame_equal(back.coef_table(), fit.coef_table())
