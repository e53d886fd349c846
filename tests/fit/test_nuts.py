"""Correctness of the fast sampling paths (never their speed: that is benchmarks/bench.py's job).

- the numpy/numba log density equals PyMC's compiled logp (up to a constant), with the right
  gradient; collapsing duplicate rows changes it by a constant only;
- Newton's mode equals independent optimisers (statsmodels' MLE, scikit-learn's L2 fit);
- ``sampler="bayeslogit"`` agrees with PyMC's NUTS and with a long reference run within MCSE,
  is reproducible from its seed, and falls back / errors clearly when there is no mode.
"""

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed
from bayeslogit.fit.nuts import density, driver, kernel


def _pymc_point(model, beta):
    """PyMC's free variables (grouped by prior family, centred intercept) at ``beta``."""
    pri = model.priors
    raw = np.array(beta, dtype=float)
    if pri.centered_intercept:
        raw[model.coef_names.index("Intercept")] += pri.x_mean @ beta
    point: dict[str, list] = {}
    for j, name in enumerate(model.coef_names):
        point.setdefault(f"beta_{pri.priors[name].family.lower()}", []).append(raw[j])
    return {k: np.array(v) for k, v in point.items()}


def _kernel_logp_grad(dens, beta):
    g = np.empty(dens.dim)
    lp = kernel.logp_grad(
        np.asarray(beta, float),
        dens.X,
        dens.y,
        dens.m,
        dens.T,
        dens.family.astype(np.int64),
        dens.mu,
        dens.sigma,
        dens.nu,
        g,
    )
    return lp, g


@pytest.fixture(scope="module")
def mixed_prior_model(mixed_df):
    priors = {"x1": bl.Cauchy(0, 1), "x2": bl.StudentT(3, 0.5, 2), "C(g)": bl.Flat()}
    return bl.LogitModel("y ~ x1 + x2 + C(g)", mixed_df, priors=priors)


@pytest.mark.parametrize("which", ["mixed", "binomial", "flat_intercept", "lasso"])
def test_log_density_matches_pymc_logp_up_to_a_constant(which, mixed_prior_model, mixed_df):
    if which == "mixed":
        model = mixed_prior_model
    elif which == "lasso":  # the kinked families: Laplace and elastic net (plus the centred default)
        model = bl.LogitModel(
            "y ~ x1 + x2 + C(g)",
            mixed_df,
            priors={"x1": bl.Laplace(0.2, 0.7), "x2": bl.ElasticNet(0, 1.5, 2.0), "C(g)": bl.Laplace(0, 1)},
        )
    elif which == "binomial":
        agg = mixed_df.assign(k=mixed_df.y * 3, n=3 + (mixed_df.x2 > 0))
        model = bl.LogitModel("k ~ x1 + C(g)", agg, trials="n")
    else:
        model = bl.LogitModel("y ~ x1", mixed_df, priors={"Intercept": bl.Normal(1, 3)})
    dens = density.LogDensity.from_model(model)
    f = model.pymc_model.compile_logp()
    rng = np.random.default_rng(0)
    B = rng.normal(scale=0.7, size=(4, dens.dim))
    ours, _ = dens.logp_grad(B)
    compiled = np.array([_kernel_logp_grad(dens, b)[0] for b in B])
    ref = np.array([f(_pymc_point(model, b)) for b in B])
    np.testing.assert_allclose(ours - ours[0], ref - ref[0], rtol=1e-9, atol=1e-8)
    np.testing.assert_allclose(compiled - compiled[0], ref - ref[0], rtol=1e-9, atol=1e-8)


def test_gradient_matches_finite_differences(mixed_prior_model):
    from scipy.optimize import approx_fprime

    dens = density.LogDensity.from_model(mixed_prior_model)
    b = np.random.default_rng(1).normal(scale=0.5, size=dens.dim)
    lp = lambda x: dens.logp_grad(x[None])[0][0]  # noqa: E731
    grad = lambda x: dens.logp_grad(x[None])[1][0]  # noqa: E731
    np.testing.assert_allclose(grad(b), approx_fprime(b, lp, 1e-6), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_kernel_logp_grad(dens, b)[1], grad(b), rtol=1e-10, atol=1e-10)


def test_collapsing_duplicate_rows_changes_logp_by_a_constant_only():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 600), "x": rng.integers(0, 4, 600)})
    df["y"] = rng.binomial(1, 0.3 + 0.1 * df.x)
    model = bl.LogitModel("y ~ C(g) + x", df)
    dens = density.LogDensity.from_model(model)
    assert dens.X.shape[0] == 12 and dens.n_rows == 600 and dens.m.sum() == 600
    B = rng.normal(size=(3, dens.dim))
    lp, g = dens.logp_grad(B)
    f = model.pymc_model.compile_logp()
    ref = np.array([f(_pymc_point(model, b)) for b in B])
    np.testing.assert_allclose(lp - lp[0], ref - ref[0], rtol=1e-9, atol=1e-8)


def test_newton_mode_equals_statsmodels_mle_under_flat_priors(seed_df):
    sm = pytest.importorskip("statsmodels.api")
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors={"Intercept": bl.Flat(), "x1": bl.Flat(), "x2": bl.Flat()})
    mode = density.newton_mode(density.LogDensity.from_model(model))
    ref = sm.Logit(model.design.y, model.design.X).fit(disp=0, tol=1e-12)
    assert mode.converged
    np.testing.assert_allclose(mode.beta, ref.params, rtol=1e-6)
    np.testing.assert_allclose(mode.cov, ref.cov_params(), rtol=1e-5)


def test_newton_mode_equals_sklearn_l2_fit(seed_df):
    lm = pytest.importorskip("sklearn.linear_model")
    C = 0.3  # sklearn's penalty ||w||^2 / (2C) is a N(0, sqrt(C)) prior; the intercept is free
    priors = {"Intercept": bl.Flat(), "x1": bl.Normal(0, np.sqrt(C)), "x2": bl.Normal(0, np.sqrt(C))}
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors=priors)
    mode = density.newton_mode(density.LogDensity.from_model(model))
    ref = lm.LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(seed_df[["x1", "x2"]], seed_df.y)
    np.testing.assert_allclose(mode.beta, np.r_[ref.intercept_, ref.coef_[0]], rtol=1e-5)


def _agree(a, b, k=4.0):
    """Posterior means within k combined MCSE, and sds within 15%."""
    ta, tb = a.coef_table(), b.coef_table()
    mcse = np.hypot(ta["mcse_mean"], tb["mcse_mean"])
    assert np.all(np.abs(ta["mean"] - tb["mean"]) < k * mcse), (ta, tb)
    np.testing.assert_allclose(ta["sd"], tb["sd"], rtol=0.15)


def test_bayeslogit_sampler_agrees_with_pymc_nuts(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    ours = model.sample(draws=1000, tune=300, chains=4, random_seed=1, progressbar=False, sampler="bayeslogit")
    ref = model.sample(draws=1000, tune=500, chains=2, random_seed=2, progressbar=False, sampler="pymc")
    assert ours.sampler == "bayeslogit" and ref.sampler == "pymc"
    _agree(ours, ref)
    table = ours.coef_table()
    assert table["r_hat"].max() <= 1.01 and table["ess_bulk"].min() >= 1000
    assert ours.sampler_stats()["divergences"] == 0


def test_heavy_tailed_priors_small_n_agree_with_pymc():
    """n=40: the Cauchy/Student-t priors shape the posterior (far from Gaussian)."""
    df = simulate_seed(40, random_seed=4)
    priors = {"x1": bl.Cauchy(0, 0.5), "x2": bl.StudentT(3, 0, 0.5)}
    model = bl.LogitModel("y ~ x1 + x2", df, priors=priors)
    ours = model.sample(draws=1500, tune=500, chains=4, random_seed=3, progressbar=False)
    ref = model.sample(draws=1500, tune=500, chains=2, random_seed=4, progressbar=False, sampler="pymc")
    assert ours.sampler == "bayeslogit"
    _agree(ours, ref)


def test_lasso_and_elastic_net_posteriors_agree_with_pymc():
    """The kinked priors in bayeslogit's kernel (started at the penalized mode, metric from the
    smooth part's curvature) against PyMC's NUTS on the same model; a strong Laplace prior puts
    the mode of z1 exactly at 0, where the kernel's gradient has its jump."""
    df = simulate_seed(120, random_seed=6, n_noise=1)
    priors = {"x1": bl.Laplace(0, 0.5), "x2": bl.ElasticNet(0, 2.0, 1.0), "z1": bl.Laplace(0, 0.1)}
    model = bl.LogitModel("y ~ x1 + x2 + z1", df, priors=priors)
    assert model.fit_map().at_kink.tolist() == [False, False, False, True]
    ours = model.sample(draws=1500, tune=500, chains=4, random_seed=3, progressbar=False)
    ref = model.sample(draws=1500, tune=500, chains=2, random_seed=4, progressbar=False, sampler="pymc")
    assert ours.sampler == "bayeslogit"
    _agree(ours, ref)


def test_metric_adaptation_option_agrees_with_pymc():
    """The Stan-style windowed dense-metric adaptation (off by default) on a skewed posterior."""
    df = simulate_seed(80, random_seed=6)
    model = bl.LogitModel("y ~ x1 + x2", df, priors={"x1": bl.StudentT(3, 0, 1)})
    dens = density.LogDensity.from_model(model)
    res = driver.sample_nuts(
        dens, density.newton_mode(dens), draws=1500, tune=500, chains=4, random_seed=1, adapt_metric=True
    )
    ref = model.sample(draws=1500, tune=500, chains=2, random_seed=4, progressbar=False, sampler="pymc")
    import arviz as az

    draws = res.beta.reshape(-1, dens.dim)
    mcse = np.hypot(np.asarray(az.mcse(res.beta)), ref.coef_table()["mcse_mean"].to_numpy())
    assert np.all(np.abs(draws.mean(axis=0) - ref.params.to_numpy()) < 4 * mcse)
    np.testing.assert_allclose(draws.std(axis=0), ref.bse.to_numpy(), rtol=0.15)


def test_auto_uses_bayeslogit_sampler_and_returns_full_results(seed_df):
    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=200, tune=100, chains=2, random_seed=0, progressbar=False)
    assert post.sampler == "bayeslogit"
    assert post.idata.posterior["beta"].dims == ("chain", "draw", "coef")
    assert post.idata.posterior.attrs["tuning_steps"] == 100
    assert "log_likelihood" not in post.idata.children
    assert post.log_likelihood().shape == (2, 200, 500)
    st = post.idata.sample_stats
    assert {"diverging", "tree_depth", "n_steps", "step_size", "lp", "energy"} <= set(st.data_vars)
    assert "NUTS (bayeslogit)" in str(post.summary())


def test_same_seed_same_draws_any_thread_count(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    dens = density.LogDensity.from_model(model)
    mode = density.newton_mode(dens)
    kw = dict(draws=50, tune=80, chains=3)
    a = driver.sample_nuts(dens, mode, random_seed=9, threads=1, **kw).beta
    b = driver.sample_nuts(dens, mode, random_seed=9, threads=3, **kw).beta
    c = driver.sample_nuts(dens, mode, random_seed=10, threads=3, **kw).beta
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    d = model.sample(draws=50, tune=80, chains=2, random_seed=9, progressbar=False).draws()
    e = model.sample(draws=50, tune=80, chains=2, random_seed=9, progressbar=False).draws()
    np.testing.assert_array_equal(d, e)


def test_no_mode_falls_back_to_pymc_or_errors_clearly():
    df = pd.DataFrame({"x": [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], "y": [0, 0, 0, 1, 1, 1]})  # separated
    model = bl.LogitModel("y ~ x", df, priors={"Intercept": bl.Flat(), "x": bl.Flat()})
    with (
        pytest.raises(bl.SamplerError, match=r"sampler='bayeslogit'.*separation.*sampler='pymc'"),
        pytest.warns(bl.SeparationWarning, match="improper"),
    ):
        model.sample(draws=10, tune=10, chains=1, sampler="bayeslogit", progressbar=False)
    assert (
        driver.try_sample(model, draws=10, tune=10, chains=1, random_seed=0, target_accept=0.8, required=False) is None
    )


@pytest.mark.slow
def test_means_agree_with_long_reference_run_within_3_mcse():
    """A long PyMC reference (4 x 5000) against the default path's defaults."""
    df = simulate_seed(500, random_seed=20261128, n_noise=2)
    model = bl.LogitModel("y ~ x1 + x2 + z1 + z2", df)
    ref = model.sample(draws=5000, tune=1000, chains=4, random_seed=1, progressbar=False, sampler="pymc")
    ours = model.sample(random_seed=2, progressbar=False)
    assert ours.sampler == "bayeslogit"
    _agree(ours, ref, k=3.0)
    assert ours.coef_table()["r_hat"].max() <= 1.01


def test_laplace_psis_agrees_with_nuts_and_reports_pareto_k(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    lap = model.sample(draws=1000, chains=4, random_seed=5, progressbar=False, method="laplace")
    ref = model.sample(draws=1000, tune=300, chains=4, random_seed=6, progressbar=False)
    assert lap.sampler == "laplace+psis"
    k = lap.idata.posterior.attrs["pareto_k"]
    assert -2 < k < 0.7  # a t proposal has heavier tails than the posterior: bounded weights, k < 0
    assert "Laplace + PSIS importance sampling (not MCMC), Pareto k" in str(lap.summary())
    assert "NUTS" not in str(lap.summary())
    _agree(lap, ref)


def test_laplace_psis_corrects_the_gaussian_skew():
    """n=60 with a rare event: the plain Gaussian (the mode) misses the posterior mean by more
    than the MCSE; the importance-corrected draws do not."""
    df = simulate_seed(300, random_seed=8)
    model = bl.LogitModel("y ~ x1 + x2", df)
    lap = model.sample(draws=2000, chains=4, random_seed=1, progressbar=False, method="laplace")
    ref = model.sample(draws=2000, tune=500, chains=4, random_seed=2, progressbar=False)
    mode = density.newton_mode(density.LogDensity.from_model(model)).beta
    tref = ref.coef_table()
    assert np.abs(mode - tref["mean"]).max() > 6 * tref["mcse_mean"].max()
    _agree(lap, ref)


@pytest.mark.parametrize("prior", [bl.Cauchy(0, 25), bl.StudentT(3, 0, 2.5)])
def test_laplace_falls_back_to_nuts_on_separated_data(prior):
    """Separated data under a heavy-tailed prior: a tail no proposal at the mode covers, and
    whose Pareto k a few thousand proposals underestimate; never Laplace, whatever k says."""
    df = pd.DataFrame({"x": [-1.0, -0.5, 0.2, 0.4, 1.0, 1.5], "y": [0, 0, 0, 1, 1, 1]})  # separated
    model = bl.LogitModel("y ~ x", df, priors={"x": prior})
    with pytest.warns(bl.BayeslogitWarning, match=r"completely separated along x.*heavy tail.*NUTS instead"):
        post = model.sample(draws=100, tune=100, chains=2, random_seed=1, progressbar=False, method="laplace")
    assert post.sampler == "bayeslogit"


def test_laplace_falls_back_to_nuts_when_pareto_k_is_large(monkeypatch):
    from bayeslogit.fit import laplace

    monkeypatch.setattr(laplace, "K_THRESHOLD", -10.0)  # every k is "too large"
    df = simulate_seed(100, random_seed=3)
    with pytest.warns(bl.BayeslogitWarning, match=r"Pareto k = -?\d\.\d+ exceeds -10.0.*NUTS instead"):
        post = bl.LogitModel("y ~ x1", df).sample(
            draws=100, tune=100, chains=2, random_seed=1, progressbar=False, method="laplace"
        )
    assert post.sampler == "bayeslogit"


def test_laplace_reports_importance_sampling_precision_not_the_resampled_draws(seed_df):
    from arviz_stats.base import array_stats
    from scipy.special import logsumexp

    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    lap = model.sample(draws=500, chains=4, random_seed=3, progressbar=False, method="laplace")
    imp = lap.idata["importance"]
    S = 2000
    # the weights are PSIS-smoothed, normalised log_p - log_q at the proposals
    lw, k = array_stats.psislw(-(imp["log_p"].values - imp["log_q"].values))
    w = np.exp(lw - logsumexp(lw))
    np.testing.assert_allclose(imp["weight"].values, w, rtol=1e-8)
    assert k == pytest.approx(imp.attrs["pareto_k"], abs=1e-12)
    # the log density at the proposals is the model's (independent numpy log posterior)
    B = imp["proposal"].values
    eta = B @ model.design.X.T
    loglik = (model.design.y * eta - np.logaddexp(0, eta)).sum(axis=1)
    prior = sum(
        np.asarray(model.priors.priors[c].logpdf((B @ model.priors.centring_map().T)[:, j]))
        for j, c in enumerate(model.coef_names)
    )
    d = imp["log_p"].values - (loglik + prior)
    assert np.ptp(d) < 1e-6  # equal up to one constant
    ess_is = 1 / np.sum(w**2)
    assert imp.attrs["ess_is"] == pytest.approx(ess_is, rel=1e-12) and ess_is < S
    table = lap.coef_table()
    mu = w @ B
    mcse = np.sqrt(w**2 @ (B - mu) ** 2)
    np.testing.assert_allclose(table["mcse_mean"], mcse, rtol=1e-10)
    np.testing.assert_allclose(table["ess_bulk"], (w @ (B - mu) ** 2) / mcse**2, rtol=1e-10)
    assert table["r_hat"].isna().all() and table["ess_tail"].isna().all()
    assert np.all(table["ess_bulk"] <= S)
    frame = lap.diagnostics().to_frame()
    assert "R-hat (max)" not in frame.index
    assert frame.loc["Pareto k (importance sampling)", "value"] == f"{imp.attrs['pareto_k']:.2f}"
    assert frame.loc["IS-ESS (importance sampling)", "value"] == f"{ess_is:.0f}"


def test_method_argument_error(seed_df):
    with pytest.raises(bl.ArgumentError, match=r"method must be 'nuts' or 'laplace', got 'vi'"):  # was SamplerError
        bl.LogitModel("y ~ x1", seed_df).sample(method="vi")


@pytest.mark.slow
def test_sbc_ranks_are_uniform_with_the_bayeslogit_sampler():
    """Simulation-based calibration of ``sampler="bayeslogit"`` (as tests/test_sbc.py does for
    nutpie): prior draws from the documented default prior, one chain per replication, the
    response swapped into the log density; ranks uniform by the same chi-square test. Warm-up:
    ``driver.DEFAULT_TUNE_AT_MODE``, what ``sample()`` uses by default with this sampler."""
    from dataclasses import replace

    from scipy.special import expit
    from test_sbc import ALPHA, FORMULA, THIN, L, _frame, draw_default_prior, rank_uniformity_pvalues

    model = bl.LogitModel(FORMULA, _frame())
    dens0 = density.LogDensity.from_model(model)
    X = model.design.X
    assert dens0.X.shape[0] == X.shape[0]  # continuous x1: nothing collapsed, rows line up
    rng = np.random.default_rng(5)
    n_reps = 1000
    ranks = np.empty((n_reps, X.shape[1]), dtype=np.int64)
    for r in range(n_reps):
        beta = draw_default_prior(rng, X)
        dens = replace(dens0, y=rng.binomial(1, expit(X @ beta)).astype(float))
        # the default warm-up of sample() for this sampler (tune=None), not test_sbc's TUNE
        res = driver.sample_nuts(
            dens,
            density.newton_mode(dens),
            draws=THIN * L,
            tune=driver.DEFAULT_TUNE_AT_MODE,
            chains=1,
            random_seed=10_000 + r,
        )
        draws = res.beta[0, THIN - 1 :: THIN]
        ranks[r] = (draws < beta).sum(axis=0)
    p = rank_uniformity_pvalues(ranks)
    assert np.all(p > ALPHA / len(p)), dict(zip(model.coef_names, p))


def _correlated_df(n=2000, seed=11):
    """A harder posterior: four predictors correlated at 0.9 (so the coefficients are strongly
    correlated), a rare-ish event and one weak effect."""
    rng = np.random.default_rng(seed)
    cov = 0.1 * np.eye(4) + 0.9
    Z = rng.multivariate_normal(np.zeros(4), cov, size=n)
    eta = -1.5 + 1.0 * Z[:, 0] - 0.8 * Z[:, 1] + 0.3 * Z[:, 2] + 0.05 * Z[:, 3]
    df = pd.DataFrame(Z, columns=["a", "b", "c", "d"])
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return df


def test_default_warmup_at_the_mode_gives_the_tune_1000_posterior():
    """``tune=None`` (the default) gives bayeslogit's NUTS DEFAULT_TUNE_AT_MODE warm-up iterations;
    on a posterior with strongly correlated coefficients the draws agree with ``tune=1000``:
    every mean within 4 combined MCSEs, sds within 5%, R-hat <= 1.01 in both; an explicit
    ``tune`` is used exactly and recorded as explicit."""
    from arviz_stats import mcse

    model = bl.LogitModel("y ~ a + b + c + d", _correlated_df())
    assert abs(np.corrcoef(model.design.X[:, 1:].T)[0, 1]) > 0.85
    short = model.sample(chains=4, random_seed=21, progressbar=False)
    long = model.sample(tune=1000, chains=4, random_seed=22, progressbar=False)
    assert driver.DEFAULT_TUNE_AT_MODE < 1000
    for post, tune, source in ((short, driver.DEFAULT_TUNE_AT_MODE, "auto"), (long, 1000, "explicit")):
        assert post.sampler == "bayeslogit"
        for group in ("posterior", "sample_stats"):
            assert post.idata[group].attrs["tuning_steps"] == tune
            assert post.idata[group].attrs["tuning_steps_source"] == source
        assert post.coef_table()["r_hat"].max() <= 1.01
    assert f"{driver.DEFAULT_TUNE_AT_MODE} (auto)" in str(short.summary())
    # the warm-up really was shorter: fewer gradients per chain, same draws kept
    assert (
        short.idata.posterior.attrs["gradient_evaluations_per_chain"]
        < 0.8 * long.idata.posterior.attrs["gradient_evaluations_per_chain"]
    )
    a, b = (p.idata.posterior["beta"].transpose("chain", "draw", "coef").values for p in (short, long))
    se = np.sqrt(np.asarray(mcse(a, method="mean")) ** 2 + np.asarray(mcse(b, method="mean")) ** 2)
    diff = np.abs(a.mean(axis=(0, 1)) - b.mean(axis=(0, 1)))
    assert np.all(diff < 4 * se), diff / se
    sd_a, sd_b = a.std(axis=(0, 1)), b.std(axis=(0, 1))
    np.testing.assert_allclose(sd_a, sd_b, rtol=0.05)


def test_default_warmup_for_pymc_is_1000_and_explicit_tune_is_honoured(seed_df, monkeypatch):
    """PyMC's NUTS starts from an identity metric: ``tune=None`` gives it 1000; an explicit
    ``tune`` reaches the sampler unchanged (the PyMC call is intercepted, not run)."""
    from bayeslogit.fit import pymc_model

    seen = []

    def fake_sample(model, *, tune, **kw):
        seen.append(tune)
        raise RuntimeError("intercepted")

    monkeypatch.setattr(pymc_model, "sample", fake_sample)
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    for tune in (None, 37):
        with pytest.raises(RuntimeError, match="intercepted"):
            model.sample(tune=tune, sampler="pymc", progressbar=False)
    assert seen == [driver.DEFAULT_TUNE_OTHER, 37] and driver.DEFAULT_TUNE_OTHER == 1000
    post = model.sample(draws=50, tune=37, chains=1, random_seed=0, progressbar=False)
    assert post.idata.sample_stats.attrs["tuning_steps"] == 37
    assert post.idata.sample_stats["step_size"].shape == (1, 50)


def test_sklearn_prior_on_separated_data_samples_with_bayeslogit():
    """The free intercept of ``sklearn_prior(C)`` is Flat, but the data are separated only
    along the penalised slope: the posterior is proper, so bayeslogit's NUTS runs it and its
    mode is scikit-learn's fit."""
    lm = pytest.importorskip("sklearn.linear_model")
    df = pd.DataFrame({"x": [-2.0, -1.0, -0.5, 0.7, 1.0, 2.0, 1.5, 3.0], "y": [0, 0, 0, 1, 1, 1, 1, 1]})
    model = bl.LogitModel("y ~ x", df, priors=bl.sklearn_prior(C=1))
    mode = density.newton_mode(density.LogDensity.from_model(model))
    assert mode.converged
    ref = lm.LogisticRegression(C=1, tol=1e-12, max_iter=10_000).fit(df[["x"]], df.y)
    np.testing.assert_allclose(mode.beta, np.r_[ref.intercept_, ref.coef_[0]], rtol=1e-5, atol=1e-8)
    post = model.sample(draws=50, tune=50, chains=1, random_seed=0, sampler="bayeslogit", progressbar=False)
    assert post.sampler == "bayeslogit"


def test_flat_prior_on_a_separating_column_still_has_no_mode():
    """A Flat prior on the slope that separates the data (a proper intercept): no mode."""
    df = pd.DataFrame({"x": [-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], "y": [0, 0, 0, 1, 1, 1]})
    model = bl.LogitModel("y ~ x", df, priors={"Intercept": bl.Normal(0, 1), "x": bl.Flat()})
    assert not density.newton_mode(density.LogDensity.from_model(model)).converged
    with (
        pytest.raises(bl.SamplerError, match=r"sampler='bayeslogit'.*separation"),
        pytest.warns(bl.SeparationWarning, match="improper"),
    ):
        model.sample(draws=10, tune=10, chains=1, sampler="bayeslogit", progressbar=False)


def test_sklearn_prior_on_breast_cancer_samples_with_bayeslogit():
    """The issue's case: scikit-learn's breast_cancer (standardised, completely separated) under
    sklearn_prior(C=1) fell back to PyMC (43 s); it runs on bayeslogit's NUTS, from
    scikit-learn's fit."""
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.linear_model import LogisticRegression

    X, y = datasets.load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    cols = [f"x{i}" for i in range(X.shape[1])]
    model = bl.LogitModel(
        "y ~ " + " + ".join(cols), pd.DataFrame(X, columns=cols).assign(y=y), priors=bl.sklearn_prior(C=1)
    )
    from bayeslogit.fit.separation import detect_separation

    assert detect_separation(model.design.X, model.design.y)[0] == "complete"
    mode = density.newton_mode(density.LogDensity.from_model(model))
    ref = LogisticRegression(C=1, tol=1e-12, max_iter=100_000, solver="newton-cg").fit(X, y)
    assert mode.converged
    np.testing.assert_allclose(mode.beta, np.r_[ref.intercept_, ref.coef_[0]], atol=1e-5)
    post = model.sample(draws=100, tune=100, chains=2, random_seed=1, sampler="bayeslogit", progressbar=False)
    assert post.sampler == "bayeslogit"
