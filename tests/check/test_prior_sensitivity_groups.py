"""Prior sensitivity of models with group terms (issue 22): the joint log prior of the group
terms' free variables (sds, standardised effects, the correlations' Cholesky factor) checked
against scipy's closed forms (fast) and against PyMC's own log density of the model's free
variables, and the sensitivities against arviz_stats.psense fed with PyMC's log prior (slow:
a group model compiled and sampled by nutpie)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

import bayeslogit as bl
from bayeslogit.check.sensitivity import joint_log_prior_draws, prior_sensitivity
from bayeslogit.datasets import simulate_groups
from bayeslogit.fit.group_model import group_free_log_prior
from bayeslogit.priors.scales import lkj_correlation


@pytest.mark.parametrize("eta", [0.5, 1.0, 2.0, 7.5])
def test_lkj_cholesky_density_for_two_coefficients_is_a_scaled_beta(eta):
    """k = 2: R has one correlation r = L[1, 0], (r + 1) / 2 ~ Beta(eta, eta), and the
    factor's density is r's (L[1, 1] = sqrt(1 - r^2) is fixed by r; the Jacobian exponent of
    L[1, 1] is 0)."""
    r = np.linspace(-0.95, 0.95, 9)
    L = np.zeros((r.size, 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1.0, r, np.sqrt(1 - r**2)
    expected = stats.beta.logpdf((r + 1) / 2, eta, eta) - np.log(2)
    np.testing.assert_allclose(bl.LKJ(eta).cholesky_logpdf(L), expected, rtol=1e-12)


def test_lkj_cholesky_density_for_three_coefficients_uniform():
    """k = 3, eta = 1: R is uniform over the 3 x 3 correlation matrices, whose volume is pi^2 / 2
    (Joe 2006), and the map L -> R has Jacobian prod_i L_ii^(k - i) = L[1, 1]."""
    rng = np.random.default_rng(1)
    R = np.stack([lkj_correlation(1.0, 3, rng) for _ in range(5)])
    L = np.linalg.cholesky(R)
    np.testing.assert_allclose(bl.LKJ(1).cholesky_logpdf(L), np.log(2 / np.pi**2) + np.log(L[:, 1, 1]), rtol=1e-12)


def test_group_free_log_prior_is_the_closed_form_densities():
    """Mixed sd families (a stack of scalars in PyMC) and one family (a vector), z ~ N(0, 1),
    LKJ(3) on the Cholesky factor; the draws are arbitrary values (any draws will do)."""
    df, _ = simulate_groups(5, (4, 8), random_seed=0)
    df["h"] = np.arange(len(df)) % 3
    model = bl.LogitModel(
        "y ~ x + (1 + x | g) + (1 | h)",
        df,
        priors={"x|g": bl.HalfNormal(0.7), "cor|g": bl.LKJ(3), "|h": bl.HalfNormal(2)},
    )
    rng = np.random.default_rng(2)
    S = 6
    r = rng.uniform(-0.9, 0.9, S)
    L = np.zeros((S, 2, 2))
    L[:, 0, 0], L[:, 1, 0], L[:, 1, 1] = 1.0, r, np.sqrt(1 - r**2)
    draws = {
        "sd_g_0": rng.exponential(size=(S, 1)),
        "sd_g_1": rng.exponential(size=(S, 1)),
        "z_g": rng.normal(size=(S, 10)),
        "L_g": L.reshape(S, 4),
        "sd_h": rng.exponential(size=(S, 1)),
        "z_h": rng.normal(size=(S, 3)),
    }
    ours = group_free_log_prior(model.design, model.priors.groups, lambda var, family: draws[var])
    assert set(ours) == set(draws)
    np.testing.assert_allclose(
        ours["sd_g_0"][:, 0], np.log(2) + stats.t.logpdf(draws["sd_g_0"][:, 0], 3, scale=2.5), rtol=1e-12
    )
    np.testing.assert_allclose(
        ours["sd_g_1"][:, 0], stats.halfnorm.logpdf(draws["sd_g_1"][:, 0], scale=0.7), rtol=1e-12
    )
    np.testing.assert_allclose(ours["sd_h"], stats.halfnorm.logpdf(draws["sd_h"], scale=2), rtol=1e-12)
    np.testing.assert_allclose(ours["z_g"], stats.norm.logpdf(draws["z_g"]), rtol=1e-12)
    np.testing.assert_allclose(ours["L_g"][:, 0], stats.beta.logpdf((r + 1) / 2, 3, 3) - np.log(2), rtol=1e-12)


def _pymc_log_prior(post) -> xr.Dataset:
    """The log prior of every free variable of the fit's PyMC model by PyMC itself: the model's
    logp terms of its free variables (no transforms, no Jacobian), compiled by PyMC and evaluated
    draw by draw (``pm.stats.compute_log_prior`` cannot read a posterior holding ``LKJCorr``'s
    factor: it looks for the transformed value's name)."""
    from pymc.model.transform.conditioning import remove_value_transforms

    model = remove_value_transforms(post.model.pymc_model)
    logp = model.compile_logp(vars=model.free_RVs, jacobian=False, sum=False)
    P = post.idata.posterior
    C, D = post.n_chains, post.n_draws
    out = {rv.name: np.zeros((C, D)) for rv in model.free_RVs}
    for c in range(C):
        for d in range(D):
            point = {model.rvs_to_values[rv].name: P[rv.name].values[c, d] for rv in model.free_RVs}
            for rv, term in zip(model.free_RVs, logp(point)):
                out[rv.name][c, d] = np.sum(term)
    return xr.Dataset({k: (("chain", "draw"), v) for k, v in out.items()})


@pytest.mark.slow
def test_group_model_sensitivities_equal_psense_on_pymcs_log_prior():
    from arviz_stats import psense

    df, _ = simulate_groups(12, (5, 20), random_seed=3)
    model = bl.LogitModel("y ~ x + (1 + x | g)", df, priors={"x|g": bl.HalfNormal(1), "cor|g": bl.LKJ(2)})
    post = model.sample(draws=300, tune=300, chains=2, random_seed=1, progressbar=False)
    theirs_lp = _pymc_log_prior(post)
    ours_lp = joint_log_prior_draws(post)
    assert {"sd_g_0", "sd_g_1", "z_g", "L_g"} <= set(ours_lp) and set(ours_lp) - {"beta"} <= set(theirs_lp)
    for name, values in ours_lp.items():  # per free variable: equal up to a constant psense never sees
        ref = theirs_lp["beta_normal" if name == "beta" else name].values.ravel()
        diff = values.sum(axis=1) - ref
        assert np.ptp(diff) < 1e-10 and abs(np.mean(diff)) < 1e-7, name
    log_lik = post.log_likelihood().to_dataset()  # materialised; this test is about the prior
    sd = post.idata.posterior["sd_g"].to_dataset().rename_dims({"g__coef": "group_sd"}).drop_vars("g__coef")
    ref_tree = xr.DataTree.from_dict(
        {
            "posterior": xr.merge([post.idata.posterior.to_dataset()[["beta"]], sd.rename({"sd_g": "sd"})]),
            "log_prior": theirs_lp,
            "log_likelihood": log_lik,
        }
    )
    ours = prior_sensitivity(post)
    assert list(ours.index) == ["Intercept", "x", "sd(Intercept | g)", "sd(x | g)"]
    for component in ("prior", "likelihood"):
        found = psense(ref_tree, var_names=["beta", "sd"], group=component)
        theirs = np.concatenate([found["beta"].values, found["sd"].values])
        np.testing.assert_allclose(ours[component].to_numpy(), theirs, rtol=1e-7)
    assert (ours["prior"] > 0).all()
    check = next(c for c in post.diagnostics().checks if c.name.startswith("Prior sensitivity"))
    assert check.value != "n/a" and float(check.value) == pytest.approx(ours["prior"].max(), abs=5e-4)
    tree = post.to_arviz(log_likelihood=False)  # the log_prior group, as PyMC's per variable
    for name in ("sd_g_0", "sd_g_1", "z_g", "L_g"):
        np.testing.assert_allclose(
            tree["log_prior"][name].values.reshape(2, 300, -1).sum(-1), theirs_lp[name], atol=1e-7
        )
