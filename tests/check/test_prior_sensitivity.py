"""Power-scaling prior sensitivity: against arviz_stats.psense on a materialised log-likelihood."""

import numpy as np
import pytest
import xarray as xr
from arviz_stats import psense, psense_summary
from scipy import stats

import bayeslogit as bl
from bayeslogit.check.sensitivity import prior_sensitivity
from bayeslogit.fit.nuts.driver import to_datatree
from bayeslogit.results.posterior import PosteriorResults

NAME = "Prior sensitivity (power-scaling)"


def _check(diag):
    return next(c for c in diag.checks if c.name == NAME)


@pytest.fixture(scope="module")
def default_post(seed_df):
    return bl.LogitModel("y ~ x1 + x2", seed_df).sample(
        draws=1000, tune=600, chains=4, random_seed=5, progressbar=False, log_likelihood=True
    )


@pytest.fixture(scope="module")
def conflict_post(seed_df):
    # the data say x2 is about -1.5; this prior says 5 +- 0.1
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors={"x2": bl.Normal(5, 0.1)})
    return model.sample(draws=1000, tune=600, chains=4, random_seed=5, progressbar=False)


def _reference_tree(post, seed_df):
    """posterior, the materialised log_likelihood group (chain, draw, obs) and a log prior written
    out by hand with scipy (the default prior: centred intercept ~ N(0, 2.5), slopes N(0, 2.5/sd))."""
    beta = post.idata.posterior["beta"].transpose("chain", "draw", "coef")
    b = beta.values
    xm = seed_df[["x1", "x2"]].mean().to_numpy()
    sd = seed_df[["x1", "x2"]].std(ddof=1).to_numpy()  # R's sd(), as rstanarm
    alpha_c = b[..., 0] + b[..., 1] * xm[0] + b[..., 2] * xm[1]
    lp = np.stack(
        [
            stats.norm.logpdf(alpha_c, 0, 2.5),
            stats.norm.logpdf(b[..., 1], 0, 2.5 / sd[0]),
            stats.norm.logpdf(b[..., 2], 0, 2.5 / sd[1]),
        ],
        axis=-1,
    )
    return xr.DataTree.from_dict(
        {
            "posterior": beta.to_dataset(),
            "log_prior": xr.Dataset({"beta": (beta.dims, lp)}, coords=beta.coords),
            "log_likelihood": post.idata["log_likelihood"].to_dataset(),
        }
    )


def test_sensitivities_equal_arviz_stats_on_the_materialised_log_likelihood(default_post, seed_df):
    ref = _reference_tree(default_post, seed_df)
    ours = prior_sensitivity(default_post)
    assert ref["log_likelihood"]["y"].sizes["obs"] == len(seed_df)  # the reference sums 500 rows itself
    for component in ("prior", "likelihood"):
        theirs = psense(ref, var_names=["beta"], group=component)["beta"].to_series()
        np.testing.assert_allclose(ours[component].to_numpy(), theirs.loc[ours.index].to_numpy(), rtol=1e-8)
    summary = psense_summary(ref, var_names=["beta"])
    assert summary["diagnosis"].tolist() == ours["diagnosis"].tolist()


def test_blockwise_log_likelihood_sum_equals_the_materialised_one(default_post, monkeypatch):
    monkeypatch.setitem(bl.options, "block_bytes", 8 * 4000 * 7)  # 7 rows per block: many blocks
    d = default_post.design
    sums = default_post._cache.loglik_totals(np.arange(default_post.n_draws))
    full = default_post.idata["log_likelihood"]["y"].values.reshape(-1, d.n_obs).sum(axis=1)
    np.testing.assert_allclose(sums, full, rtol=1e-12)


def test_exact_loo_leaves_the_totals_prior_sensitivity_reads(seed_df):
    from bayeslogit.interpret.loo import psis_loo

    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(
        draws=300, chains=2, random_seed=6, progressbar=False, log_likelihood=True
    )
    assert None not in post._cache.loglik_totals_by_draws
    psis_loo(post)  # diagnostics() runs it first; its pass over the rows fills the cache
    d = post.design
    full = post.idata["log_likelihood"]["y"].values.reshape(-1, d.n_obs).sum(axis=1)
    np.testing.assert_allclose(post._cache.loglik_totals_by_draws[None], full, rtol=1e-12)
    fresh = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=300, chains=2, random_seed=6, progressbar=False)
    ours, theirs = prior_sensitivity(post), prior_sensitivity(fresh)  # theirs: its own pass
    assert None in fresh._cache.loglik_totals_by_draws
    np.testing.assert_allclose(
        ours[["prior", "likelihood"]].to_numpy(), theirs[["prior", "likelihood"]].to_numpy(), rtol=1e-10
    )


def test_large_fits_power_scale_evenly_spaced_draws_and_say_so(default_post, seed_df, monkeypatch):
    from bayeslogit.check import diagnostics as dg
    from bayeslogit.check import scores, sensitivity

    monkeypatch.setitem(bl.options, "fitted_max_cells", 500 * 4 * 150)  # 500 rows x 4 chains: 150 draws per chain
    monkeypatch.setattr(scores, "FITTED_MIN_DRAWS", 100)
    keep = sensitivity._sensitivity_draws(500, 4, 1000)
    assert keep.size == 150 and keep[0] == 0 and keep[-1] == 999
    ours = prior_sensitivity(default_post)
    assert (ours.attrs["draws_used"], ours.attrs["draws"]) == (600, 4000)
    ref = _reference_tree(default_post, seed_df).isel(draw=keep)
    for component in ("prior", "likelihood"):
        theirs = psense(ref, var_names=["beta"], group=component)["beta"].to_series()
        np.testing.assert_allclose(ours[component].to_numpy(), theirs.loc[ours.index].to_numpy(), rtol=1e-8)
    check, _ = dg._sensitivity_check(default_post)
    assert "on 600 evenly spaced of the 4,000 draws" in check.detail
    monkeypatch.setattr(scores, "FITTED_MIN_DRAWS", 800)  # never fewer than this many in all
    assert sensitivity._sensitivity_draws(500, 4, 1000).size == 200


def test_default_prior_on_the_seed_data_is_not_flagged(default_post):
    check = _check(default_post.diagnostics())
    assert check.ok is True, check
    assert float(check.value) < 0.05


def test_conflicting_prior_is_flagged_with_a_suggestion(conflict_post):
    diag = conflict_post.diagnostics()
    check = _check(diag)
    assert check.ok is False and check in diag.failed
    assert "x2" in check.detail and "prior-data conflict" in check.detail
    assert "x2 ~ Normal(5, 0.1)" in check.suggestion and "widen it" in check.suggestion
    table = diag.prior_sensitivity
    assert table.loc["x2", "diagnosis"] == "potential prior-data conflict"
    assert table.loc["x2", "prior"] > 0.5 and bool(table.loc["x2", "in prior tail"])
    assert NAME in str(diag)


def test_flat_priors_have_zero_prior_sensitivity(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors={"Intercept": bl.Flat(), "x1": bl.Flat(), "x2": bl.Flat()})
    post = model.sample(draws=300, tune=300, chains=2, random_seed=1, progressbar=False)
    table = prior_sensitivity(post)
    assert (table["prior"] == 0).all() and (table["likelihood"] > 0).all()
    assert _check(post.diagnostics()).ok is True


def _pymc_reference_tree(post):
    """psense's input built by PyMC alone: the log prior of every free variable by
    ``pm.compute_log_prior`` and the pointwise log-likelihood by ``pm.compute_log_likelihood``."""
    import pymc as pm

    model = post.model.pymc_model
    idata = post.idata
    log_prior = pm.stats.compute_log_prior(idata, model=model, extend_inferencedata=False, progressbar=False)
    log_lik = pm.stats.compute_log_likelihood(idata, model=model, extend_inferencedata=False, progressbar=False)
    return xr.DataTree.from_dict(
        {
            "posterior": idata.posterior.to_dataset()[["beta"]],
            "log_prior": log_prior,
            "log_likelihood": log_lik,
        }
    )


@pytest.mark.parametrize(
    "priors",
    [
        {"x1": bl.Normal(0, bl.HalfNormal(1)), "x2": bl.Normal(0, bl.HalfNormal(1))},
        {"x1": bl.Normal(0, bl.HalfNormal(1)), "x2": bl.Normal(0.5, bl.HalfNormal(2))},  # two scales: tau, tau_2
        bl.Horseshoe(expected_nonzero=1),
    ],
    ids=["hiernormal", "hiernormal-two-scales", "horseshoe"],
)
def test_hierarchical_priors_equal_psense_on_pymcs_log_prior(seed_df, priors):
    from bayeslogit.check.sensitivity import joint_log_prior_draws

    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors=priors)
    post = model.sample(draws=300, tune=300, chains=2, random_seed=2, progressbar=False)
    ref = _pymc_reference_tree(post)
    # the joint log prior per draw: ours (numpy, closed forms) = PyMC's summed over free variables
    ours_lp = sum(v.sum(axis=1) for v in joint_log_prior_draws(post).values())
    theirs_lp = sum(
        ref["log_prior"][v].values.reshape(ours_lp.size, -1).sum(axis=1) for v in ref["log_prior"].data_vars
    )
    assert len(ref["log_prior"].data_vars) >= 3  # the scales' free variables are in it
    # equal up to a constant far below anything psense sees (PyMC writes the normalisers its own way)
    assert np.ptp(ours_lp - theirs_lp) < 1e-10 and abs(np.mean(ours_lp - theirs_lp)) < 1e-7
    ours = prior_sensitivity(post)
    for component in ("prior", "likelihood"):
        theirs = psense(ref, var_names=["beta"], group=component)["beta"].to_series()
        np.testing.assert_allclose(ours[component].to_numpy(), theirs.loc[ours.index].to_numpy(), rtol=1e-7)
    check = _check(post.diagnostics())
    assert check.value != "n/a" and float(check.value) == pytest.approx(ours["prior"].max(), abs=5e-4)


def test_hierarchical_priors_without_their_free_variables_are_reported(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, bl.HalfNormal(1)))
    beta = np.random.default_rng(0).normal(size=(2, 50, 3))
    post = PosteriorResults(model, to_datatree(model, beta), sampler="pymc", random_seed=0)
    with pytest.raises(bl.ArgumentError, match="needs the posterior draws of the model's free variable 'tau'"):
        prior_sensitivity(post)
    assert _check(post.diagnostics()).value == "n/a"
