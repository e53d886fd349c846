"""bayeslogit._psis (PSIS-LOO for a block of rows at once) against ArviZ's per-observation routines."""

import numpy as np
import pytest
from arviz_stats.base import array_stats

from bayeslogit import _psis


def _arviz(ll, r_eff=1.0, log_p=None, log_q=None):
    m, S = ll.shape
    if log_p is None:
        return array_stats.loo(ll.reshape(m, 1, S), chain_axis=1, draw_axis=2, r_eff=r_eff)
    return array_stats.loo_approximate_posterior(
        ll.reshape(m, 1, S),
        np.broadcast_to(log_p, (m, 1, S)),
        np.broadcast_to(log_q, (m, 1, S)),
        chain_axis=1,
        draw_axis=2,
    )


def _blocks_of_loglik(rng, m, S):
    """Log-likelihoods of logistic-like rows, some with heavy right tails of the ratios (k > 0.7)."""
    ll = np.log(rng.uniform(0.05, 1, size=(m, 1))) * rng.gamma(2, size=(m, S))
    ll[: m // 10] *= 20
    return ll


@pytest.mark.parametrize("S, r_eff", [(4000, 1.0), (4000, 0.73), (1000, 1.3), (200, 1.0), (60, 0.5)])
def test_loo_rows_equals_arviz_loo(S, r_eff):
    rng = np.random.default_rng(S)
    ll = _blocks_of_loglik(rng, 120, S)
    got = _psis.loo_rows(ll, r_eff=r_eff)
    ref = _arviz(ll, r_eff)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)
    assert np.max(ref[1]) > 0.7  # the heavy-tailed rows are in the test


@pytest.mark.parametrize("S", [4000, 300])
def test_loo_rows_equals_arviz_loo_approximate_posterior(S):
    rng = np.random.default_rng(S + 1)
    ll = _blocks_of_loglik(rng, 80, S)
    log_p = rng.normal(size=S)
    log_q = log_p + rng.normal(scale=0.5, size=S)
    got = _psis.loo_rows(ll, log_p=log_p, log_q=log_q)
    ref = _arviz(ll, log_p=log_p, log_q=log_q)
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)
    plain = _psis.loo_rows(ll)[0]
    assert np.max(np.abs(plain - got[0])) > 0.01  # the correction matters


def test_psislw_rows_equals_arviz_psislw():
    rng = np.random.default_rng(5)
    lr = rng.standard_t(3, size=(50, 2000))
    lw, k, ordinary = _psis.psislw_rows(lr, 1.0)
    assert ordinary.all()
    for i in range(50):
        ref_lw, ref_k = array_stats.psislw(-lr[i], r_eff=1.0)
        np.testing.assert_allclose(lw[i], ref_lw, rtol=1e-10, atol=1e-12)
        assert k[i] == pytest.approx(ref_k, rel=1e-10, abs=1e-12)


def test_rows_off_the_ordinary_path_behave_as_in_arviz():
    rng = np.random.default_rng(9)
    S = 1000
    ll = rng.normal(-0.5, 0.2, size=(4, S))
    ll[1] = np.round(ll[1], 1)  # few distinct values: the Pareto fit's quartile equals its minimum
    ll[2, : S // 2] = -0.3  # ties in the tail
    got = _psis.loo_rows(ll)
    ref = _arviz(ll)
    assert not _psis.psislw_rows(-ll, 1.0)[2][1]
    for g, r in zip(got, ref):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12, equal_nan=True)
    with pytest.raises(ValueError, match="All tail values are the same"):  # ArviZ's own error
        _psis.loo_rows(np.full((2, S), -0.7))


def test_tail_length_is_arviz_s():
    for S, r in [(4000, 1.0), (4000, 0.5), (100, 1.0), (226, 1.0)]:
        assert _psis.tail_length(S, r) == int(array_stats._get_ps_tails(S, r, tail="right"))
