"""Response families (bayeslogit.response): each owns its likelihood, and equals to the last bit
the code paths that switched on ``trials is None`` before issue 21."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit import _blocks, _numerics
from bayeslogit.design import build_design
from bayeslogit.response import Bernoulli, Binomial, ResponseFamily, as_response, response_family


@pytest.fixture(scope="module")
def designs():
    rng = np.random.default_rng(4)
    n = 300
    x = rng.normal(size=n)
    trials = rng.integers(1, 9, n)
    k = rng.binomial(trials, 1 / (1 + np.exp(-(0.2 + x))))
    df = pd.DataFrame({"x": x, "k": k, "n": trials, "y": (k > trials / 2).astype(int)})
    return build_design("y ~ x", df), build_design("k ~ x", df, trials="n")


def test_the_family_of_a_design(designs):
    bern, binom = designs
    assert isinstance(response_family(bern), Bernoulli) and response_family(bern).name == bern.family
    fam = response_family(binom)
    assert isinstance(fam, Binomial) and fam.name == binom.family and fam.trials is binom.trials
    assert as_response(None).name == "bernoulli" and as_response(fam) is fam
    assert (fam.label, fam.summary_label) == ("Binomial", "Binomial (logit)")
    assert (Bernoulli().label, Bernoulli().summary_label) == ("Bernoulli", "Logit")
    assert (Bernoulli().rate_label, fam.rate_label, Bernoulli().binary, fam.binary) == (
        "events",
        "observed rate",
        True,
        False,
    )
    assert bern.family.capitalize() == Bernoulli().label and binom.family.capitalize() == fam.label


@pytest.mark.parametrize("which", [0, 1], ids=["bernoulli", "binomial"])
def test_family_math_equals_the_old_branches(designs, which):
    d = designs[which]
    fam = response_family(d)
    rng = np.random.default_rng(1)
    eta = rng.normal(scale=3, size=d.n_obs)
    eta[:3] = [800.0, -800.0, 0.0]
    y = d.y.astype(float)
    np.testing.assert_array_equal(fam.loglik(eta, y), _numerics.log_likelihood(eta, y, d.trials))
    p = _numerics.inv_logit(eta)
    m = np.ones_like(y) if d.trials is None else d.trials.astype(float)
    mu, w = fam.mean_weight(eta)
    np.testing.assert_array_equal(mu, m * p)
    np.testing.assert_array_equal(w, (m * p) * (1.0 - p))
    np.testing.assert_array_equal(fam.weight(eta), (1.0 if d.trials is None else d.trials) * p * (1.0 - p))
    np.testing.assert_array_equal(fam.mean(eta), (1.0 if d.trials is None else d.trials) * p)
    np.testing.assert_array_equal(fam.kernel_trials(d.n_obs), m)
    assert fam.mean_response(d.y) == float(np.sum(d.y) / (d.n_obs if d.trials is None else np.sum(d.trials)))
    np.testing.assert_array_equal(fam.stratum(d.y), d.y > 0 if d.trials is None else d.y / d.trials >= 0.5)
    assert fam.outcome_dtype() == _blocks.outcome_dtype(1 if d.trials is None else int(np.max(d.trials)))
    extra = fam.constant_data()
    assert extra == {} if d.trials is None else extra["trials"] is d.trials


@pytest.mark.parametrize("which", [0, 1], ids=["bernoulli", "binomial"])
def test_loo_log_likelihood_and_replicates_equal_the_block_helpers(designs, which):
    d = designs[which]
    fam = response_family(d)
    B = np.random.default_rng(2).normal(size=(7, 2))
    rows = slice(40, 190)
    eta = _blocks.eta_rows(d, rows, B)
    got = fam.take(rows).loglik_draws(eta.copy(), d.y[rows])
    np.testing.assert_array_equal(got, fam.loglik_rows(d, rows, B))
    np.testing.assert_allclose(got, fam.take(rows).loglik(eta.T, d.y[rows]).T, rtol=1e-12, atol=1e-12)
    # scipy's pmf, independently
    from scipy import stats

    p = 1 / (1 + np.exp(-eta))
    n = np.ones(d.n_obs) if d.trials is None else d.trials
    ref = stats.binom.logpmf(d.y[rows][:, None], n[rows][:, None], p)
    np.testing.assert_allclose(got, ref, rtol=1e-10, atol=1e-10)
    a = fam.replicate(d, B, np.random.default_rng(9))
    b = fam.replicate(d, B, np.random.default_rng(9))
    assert a.dtype == _blocks.outcome_dtype(int(np.max(n))) and a.shape == (7, d.n_obs)
    np.testing.assert_array_equal(a, b)  # same seed, same outcomes
    assert np.all((a >= 0) & (a <= n[None, :]))


def test_the_interface_is_abstract():
    bare = ResponseFamily()
    for call in (lambda: bare.loglik(np.zeros(1), np.zeros(1)), lambda: bare.mean(np.zeros(1)), lambda: bare.take(0)):
        with pytest.raises(NotImplementedError):
            call()


def test_fitters_take_a_family_or_the_trials(designs):
    from bayeslogit.fit.newton import newton
    from bayeslogit.priors import resolve_priors

    d = designs[1]
    pri = resolve_priors(bl.Normal(0, 1), d)
    a = newton(d.X, d.y, d.trials, pri)
    b = newton(d.X, d.y, response_family(d), pri)
    np.testing.assert_array_equal(a.beta, b.beta)
    np.testing.assert_array_equal(a.neg_hessian, b.neg_hessian)
