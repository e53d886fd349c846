"""The NUTS kernel's diagonal metric (issue 22) and the choice of metric by dimension.

- On a known Gaussian (a logistic model whose rows carry no trials, so the posterior is its
  independent Normal priors, with sds from 0.05 to 5), started from a unit metric, the windows
  learn the scales (the final step size is of order one, not of the smallest sd) and the draws
  have the closed-form means (within 4 MCSE) and sds (within 10%).
- On a logistic posterior, the diagonal metric agrees with the dense one within 4 combined MCSE.
- Its draws depend on the seed only, not on threads or block sizes.
- ``sampler="auto"`` keeps a group model over :data:`DENSE_MAX_DIM` (and over the old
  1,000-parameter limit) on bayeslogit's NUTS with the diagonal metric; a small one stays dense.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.datasets import simulate_seed
from bayeslogit.fit import sampling
from bayeslogit.fit.nuts import density, driver


@pytest.fixture(scope="module", autouse=True)
def _kernel_loaded():
    """The compiled kernel loaded (or compiled) once, before the timed tests."""
    from bayeslogit.fit.nuts import kernel

    driver.ensure_compiled(kernel)


MU = np.array([1.0, -2.0, 0.0, 3.0])
SD = np.array([0.05, 0.2, 1.0, 5.0])


def _gaussian():
    """A density equal to independent Normal(MU, SD) (no trials: the likelihood is constant)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"y": [0, 1, 0, 1], **{f"x{j}": rng.normal(size=4) for j in (1, 2, 3)}})
    names = ["Intercept", "x1", "x2", "x3"]
    priors = {n: bl.Normal(float(m), float(s)) for n, m, s in zip(names, MU, SD)}
    dens = density.LogDensity.from_model(bl.LogitModel("y ~ x1 + x2 + x3", df, priors=priors))
    assert np.array_equal(dens.T, np.eye(4))  # no centring: the prior is on these coefficients
    return replace(dens, y=np.zeros_like(dens.y), m=np.zeros_like(dens.m))


def _mcse(draws: np.ndarray) -> np.ndarray:
    import arviz_stats

    return np.asarray(arviz_stats.mcse(draws, method="mean"))


def test_diag_metric_learns_the_scales_of_a_known_gaussian():
    dens = _gaussian()
    start = density.Mode(np.zeros(4), np.eye(4), True, 0)  # a unit metric, far from the scales
    res = driver.sample_nuts(
        dens, start, draws=800, tune=400, chains=2, random_seed=3, adapt_metric=True, metric="diag", spread=1.0
    )
    draws = res.beta.reshape(-1, 4)
    assert np.all(np.abs(draws.mean(axis=0) - MU) < 4 * _mcse(res.beta))
    np.testing.assert_allclose(draws.std(axis=0), SD, rtol=0.10)
    # a unit metric on these scales would need a step size of about the smallest sd (0.05)
    assert res.stats["step_size"][:, -1].min() > 0.3
    assert not res.stats["diverging"].any()


def test_diag_metric_agrees_with_the_dense_metric_on_a_logistic_posterior():
    model = bl.LogitModel("y ~ x1 + x2", simulate_seed(150, random_seed=4))
    dens = density.LogDensity.from_model(model)
    mode = density.newton_mode(dens)
    kw = dict(draws=1000, tune=500, chains=4, adapt_metric=True)
    diag = driver.sample_nuts(dens, mode, random_seed=1, metric="diag", **kw).beta
    dense = driver.sample_nuts(dens, mode, random_seed=2, **kw).beta
    a, b = diag.reshape(-1, dens.dim), dense.reshape(-1, dens.dim)
    assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) < 4 * np.hypot(_mcse(diag), _mcse(dense)))
    np.testing.assert_allclose(a.std(axis=0), b.std(axis=0), rtol=0.12)


def test_diag_draws_depend_on_the_seed_only():
    dens = _gaussian()
    start = density.Mode(MU, np.diag(SD**2), True, 0)
    kw = dict(draws=60, tune=120, chains=2, adapt_metric=True, metric="diag")
    a = driver.sample_nuts(dens, start, random_seed=5, threads=1, **kw).beta
    b = driver.sample_nuts(dens, start, random_seed=5, threads=2, **kw).beta
    np.testing.assert_array_equal(a, b)


def _levels_frame(levels: int, per: int) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = levels * per
    return pd.DataFrame(
        {
            "y": rng.binomial(1, 0.4, size=n),
            "x": rng.normal(size=n),
            "g": np.repeat([f"g{i}" for i in range(levels)], per),
        }
    )


def test_large_group_model_samples_on_bayeslogit_with_the_diagonal_metric():
    model = bl.LogitModel("y ~ x + (1 + x | g)", _levels_frame(510, 2))
    dim = 2 + 3 + 2 * 510  # coefficients, 2 sds + 1 correlation, levels x 2
    assert dim > 1000 > driver.DENSE_MAX_DIM  # over the old limit, which sent it to nutpie
    assert sampling._groups_on_own_nuts(model, "auto", "nuts", False)
    post = model.sample(draws=10, tune=40, chains=1, random_seed=0, progressbar=False)
    assert post.sampler == "bayeslogit"
    assert post.idata.posterior.attrs["metric"] == "diag"
    assert post.idata.posterior["beta"].shape == (1, 10, 2)


def test_small_group_model_keeps_the_dense_metric_and_the_limit_routes_to_nutpie():
    small = bl.LogitModel("y ~ x + (1 | g)", _levels_frame(20, 3))
    post = small.sample(draws=20, tune=60, chains=1, random_seed=0, progressbar=False)
    assert post.idata.posterior.attrs["metric"] == "dense"
    huge = bl.LogitModel("y ~ x + (1 + x | g)", _levels_frame(sampling.MAX_GROUP_DIM // 2, 1))
    assert not sampling._groups_on_own_nuts(huge, "auto", "nuts", False)
    assert sampling._groups_on_own_nuts(huge, "bayeslogit", "nuts", False)


@pytest.mark.parametrize("priors", [{}, {"x": bl.Normal(0, bl.HalfNormal(1))}])
def test_diagonal_start_is_the_dense_starts_diagonal_without_the_matrix(priors):
    """For the diagonal metric the group model's start holds the variances only (no dim x dim
    matrix); they equal the dense start's diagonal, so the draws are those of before."""
    from bayeslogit.fit.nuts.group_density import GroupDensity

    model = bl.LogitModel("y ~ x + (1 + x | g)", _levels_frame(30, 4), priors=priors)
    gd = GroupDensity.from_model(model)
    dense, diag = gd.start(model), gd.start(model, diag=True)
    assert dense.cov.shape == (gd.dim, gd.dim) and diag.cov.shape == (gd.dim,)
    np.testing.assert_array_equal(diag.cov, np.diag(dense.cov))
    np.testing.assert_array_equal(diag.beta, dense.beta)
    assert np.count_nonzero(dense.cov[:2, 2:]) == 0  # only the population block is dense
    assert np.all(np.linalg.eigvalsh(dense.cov) > 0)
