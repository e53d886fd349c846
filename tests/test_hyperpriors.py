"""Priors that sample their own scale: Normal(0, HalfNormal(s)) and the regularized horseshoe.

Calibration is by simulation-based calibration (tests/fit/test_sbc.py, slow); here: the
marginal density against Monte Carlo, the PyMC model's structure, and the clear refusals.
"""

import numpy as np
import pytest
from scipy import integrate

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed


def test_hierarchical_normal_marginal_density_matches_monte_carlo():
    prior = bl.Normal(0.3, bl.HalfNormal(1.5))
    rng = np.random.default_rng(0)
    tau = np.abs(rng.normal(0, 1.5, size=2_000_000))
    b = 0.3 + rng.normal(size=tau.size) * tau
    edges = np.array([-3.0, -1.0, 0.0, 0.2, 0.4, 0.6, 1.5, 4.0])
    mc = np.histogram(b, bins=edges)[0] / b.size
    exact = [integrate.quad(lambda x: float(np.exp(prior.logpdf(x))), a, c)[0] for a, c in zip(edges[:-1], edges[1:])]
    np.testing.assert_allclose(exact, mc, atol=1e-3)  # MC sd of each bin probability < 4e-4
    total = sum(
        integrate.quad(lambda x: float(np.exp(prior.logpdf(x))), a, c)[0] for a, c in [(-np.inf, 0.3), (0.3, np.inf)]
    )
    assert total == pytest.approx(1.0, abs=1e-7)


def test_pymc_model_is_non_centred_with_one_shared_scale():
    df = simulate_seed(100, random_seed=1, n_noise=2)
    model = bl.LogitModel("y ~ x1 + x2 + z1 + z2", df, priors=bl.Normal(0, bl.HalfNormal(1)))
    names = {v.name for v in model.pymc_model.free_RVs}
    assert {"tau", "z_hiernormal", "beta_normal"} <= names  # beta_normal: the default intercept
    assert model.pymc_model["z_hiernormal"].owner.op.name == "normal"
    hs = bl.LogitModel("y ~ x1 + x2 + z1 + z2", df, priors=bl.Horseshoe(expected_nonzero=1))
    assert {"hs_tau", "hs_lambda", "hs_c2", "hs_z"} <= {v.name for v in hs.pymc_model.free_RVs}


def test_horseshoe_global_scale_follows_piironen_vehtari():
    hs = bl.Horseshoe(expected_nonzero=2)
    assert hs.tau0(10, 400, 0.5) == pytest.approx(2 / 8 * 2 / 20)  # p0/(D-p0) * (1/sqrt(.25)) / sqrt(n)
    with pytest.raises(bl.PriorError, match=r"expected_nonzero=10 must be below the number of coefficients"):
        bl.Horseshoe(expected_nonzero=10).tau0(10, 400, 0.5)


def test_no_map_for_sampled_scales_and_the_horseshoe_on_bayeslogits_sampler():
    df = simulate_seed(100, random_seed=1)
    model = bl.LogitModel("y ~ x1 + x2", df, priors=bl.Normal(0, bl.HalfNormal(1)))
    with pytest.raises(bl.ArgumentError, match=r"fit_map\(\) has no mode to find for \['x1', 'x2'\]"):
        model.fit_map()
    post = model.sample(sampler="bayeslogit", draws=10, tune=10, chains=1, progressbar=False)  # issue 22
    assert post.sampler == "bayeslogit"
    hs = bl.LogitModel("y ~ x1 + x2", df, priors=bl.Horseshoe(1))
    post = hs.sample(sampler="bayeslogit", draws=10, tune=10, chains=1, progressbar=False)  # issue 22
    assert post.sampler == "bayeslogit" and post.idata.posterior["hs_lambda"].shape == (1, 10, 2)


def test_bad_hyperprior_names_the_parameter():
    with pytest.raises(bl.PriorError, match=r"HalfNormal scale prior: sigma must be a positive finite number"):
        bl.HalfNormal(-1)
    with pytest.raises(bl.PriorError, match=r"Horseshoe prior: slab_scale must be a positive"):
        bl.Horseshoe(1, slab_scale=0)


def test_hierarchical_posterior_round_trips_through_a_file(tmp_path):
    df = simulate_seed(120, random_seed=1)
    post = bl.LogitModel("y ~ x1 + x2", df, priors=bl.Normal(0, bl.HalfNormal(1))).sample(
        draws=60, tune=60, chains=1, random_seed=2, progressbar=False
    )
    assert post.sampler == "bayeslogit" and "tau" in post.idata.posterior  # on its own NUTS since issue 22
    post.save(tmp_path / "h.nc")
    back = bl.load(tmp_path / "h.nc")
    assert back.model.prior_summary()["prior"].tolist() == post.model.prior_summary()["prior"].tolist()
    np.testing.assert_array_equal(back.draws(), post.draws())
