"""The posterior's cache (results/cache.py): each derived quantity computed once, in any order."""

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.check.diagnostics import prior_sensitivity
from bayeslogit.interpret.loo import psis_loo
from bayeslogit.response import ResponseFamily
from bayeslogit.results.cache import PosteriorCache


@pytest.fixture(scope="module")
def post(seed_df):
    return bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=300, tune=200, chains=2, random_seed=5, progressbar=False)


def _fresh(post):
    """The same draws in a new results object: an empty cache."""
    return bl.PosteriorResults(post.model, post.idata, sampler=post.sampler, random_seed=post.random_seed)


@pytest.fixture
def passes(monkeypatch):
    """Counts the passes over the rows: calls of the per-block log-likelihood on the first rows."""
    counted = {"n": 0}
    real = ResponseFamily.loglik_rows

    def counting(self, design, rows, B, G=None):
        first = rows.start == 0 if isinstance(rows, slice) else rows[0] == 0
        counted["n"] += int(bool(first))
        return real(self, design, rows, B, G)

    monkeypatch.setattr(ResponseFamily, "loglik_rows", counting)
    return counted


def test_loo_and_prior_sensitivity_give_the_same_numbers_in_either_order(post, passes, monkeypatch):
    # small blocks: the totals are sums over many blocks, where a different order would show
    monkeypatch.setitem(bl.options, "block_bytes", 8 * 600 * 37)
    a, b = _fresh(post), _fresh(post)

    loo_a = psis_loo(a)  # LOO first: its pass leaves the per-draw totals
    assert passes["n"] == 1 and None in a._cache.loglik_totals_by_draws
    sens_a = prior_sensitivity(a)
    assert passes["n"] == 1  # power-scaling took LOO's totals: no second pass

    sens_b = prior_sensitivity(b)  # prior sensitivity first: a pass of its own for the totals
    assert passes["n"] == 2
    loo_b = psis_loo(b)
    assert passes["n"] == 3  # LOO's own pass (PSIS needs every block), once

    np.testing.assert_array_equal(a._cache.loglik_totals(), b._cache.loglik_totals())
    pd.testing.assert_frame_equal(sens_a, sens_b, check_exact=True)
    np.testing.assert_array_equal(loo_a.elpd_data.elpd_i.values, loo_b.elpd_data.elpd_i.values)
    assert loo_a.elpd_data.elpd == loo_b.elpd_data.elpd

    # asked again, in either order: nothing is recomputed
    for fit in (a, b):
        assert psis_loo(fit) is psis_loo(fit)
        prior_sensitivity(fit)
    assert passes["n"] == 3


def test_the_totals_equal_the_materialised_log_likelihood(post):
    fit = _fresh(post)
    full = fit.log_likelihood().values.reshape(-1, fit.design.n_obs).sum(axis=1)
    np.testing.assert_allclose(fit._cache.loglik_totals(), full, rtol=1e-12)
    keep = np.array([0, 10, 299])  # thinned: the same draws of each chain
    thinned = full.reshape(2, 300)[:, keep].ravel()
    np.testing.assert_allclose(fit._cache.loglik_totals(keep), thinned, rtol=1e-12)
    assert fit._cache.loglik_totals(np.arange(300)) is fit._cache.loglik_totals()  # all draws: one entry


def test_the_cache_is_typed_and_holds_no_reference_cycle(post):
    import gc
    import weakref

    fit = _fresh(post)
    assert isinstance(fit._cache, PosteriorCache)
    table = fit.coef_table(ci_prob=0.9)
    table.iloc[0, 0] = 99.0  # callers get a copy
    assert fit.coef_table(ci_prob=0.9).iloc[0, 0] != 99.0
    assert list(fit._cache.coef_tables) == [(0.9, "eti")]
    fit._cache.clear()
    assert not fit._cache.coef_tables
    ref = weakref.ref(fit)
    gc.disable()
    try:
        del fit
        assert ref() is None  # freed by reference counting alone (the cache's link is weak)
    finally:
        gc.enable()


def test_a_pickled_fit_keeps_its_cache_linked_to_itself(post):
    import pickle

    fit = _fresh(post)
    table = fit.coef_table()
    loo = psis_loo(fit)
    again = pickle.loads(pickle.dumps(fit))
    assert again._cache.post is again
    pd.testing.assert_frame_equal(again._cache.coef_tables[(0.95, "eti")], table)
    assert psis_loo(again).elpd_data.elpd == loo.elpd_data.elpd
    np.testing.assert_array_equal(again._cache.loglik_totals(), fit._cache.loglik_totals())
