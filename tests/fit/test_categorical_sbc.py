"""Simulation-based calibration of the multinomial and ordinal posteriors on bayeslogit's NUTS
(issue 23).

As ``tests/fit/test_sbc.py`` does for binary models (Talts et al. 2018): parameters drawn in
numpy from the *documented* priors, outcomes simulated from them, the posterior sampled with
``sampler="bayeslogit"`` (the compiled kernel's softmax and cumulative-logit densities, from
the posterior mode with the Laplace metric) through the same function ``LogitModel.sample``
calls; the rank of each true parameter among L thinned draws must be uniform (chi-square over
10 bins per parameter, 1% family-wise, Bonferroni). The same test with a deliberately wrong
prior in the fit must reject.

The documented priors here: Normal(0, s) on every design column, the intercept included
(so not centred). Multinomial: each non-reference level's coefficients independently.
Ordinal: the slopes, and each cutpoint's intercept ``-theta_k`` under the Intercept's
Normal(0, s), restricted to ordered cutpoints: the cutpoints are K - 1 sorted independent
Normal(0, s) draws (the ordered region's density is proportional to the product).

Runtime (500 replications per family, and 200 for the wrong prior) on 2 shared cores: see
the test's docstring.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import softmax

import bayeslogit as bl
from bayeslogit.fit.nuts.categorical_density import sample_categorical_model

N_OBS = 60
L = 99
THIN = 3
TUNE = 200
N_BINS = 10
ALPHA = 0.01
PRIOR = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, 1.0)}


def _frame(kind: str, y=None, x=None) -> pd.DataFrame:
    """The fixed design (``N_OBS`` rows of a standard normal ``x``) with outcome codes ``y``."""
    x = np.random.default_rng(23).normal(size=N_OBS) if x is None else x
    levels = np.array(["lo", "mid", "hi"])
    y = np.resize(levels, len(x)) if y is None else levels[y]
    if kind == "ordinal":
        y = pd.Categorical(y, categories=["lo", "mid", "hi"], ordered=True)
    return pd.DataFrame({"x": x, "y": y})


def _simulate(kind: str, theta: np.ndarray, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Outcome codes (0 lo, 1 mid, 2 hi) given the parameters, in the design's layout:
    multinomial levels sort as hi, lo, mid, so hi is the reference and ``theta`` holds lo's
    coefficients then mid's; ordinal ``theta = [slope, cut_lo|mid, cut_mid|hi]``."""
    n = len(x)
    if kind == "multinomial":
        X = np.c_[np.ones(n), x]
        P = softmax(np.c_[X @ theta[:2], X @ theta[2:], np.zeros(n)], axis=1)  # lo, mid, hi
    else:
        F = 1 / (1 + np.exp(-(theta[1:][None, :] - theta[0] * x[:, None])))
        P = np.diff(np.hstack([np.zeros((n, 1)), F, np.ones((n, 1))]), axis=1)
    y = (np.cumsum(P, axis=1) < rng.random(n)[:, None]).sum(axis=1)
    return np.minimum(y, P.shape[1] - 1).astype(np.int64)


def _draw(kind: str, rng: np.random.Generator, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters from the documented prior and outcome codes simulated from them."""
    if kind == "multinomial":
        theta = np.concatenate([rng.normal(0, [1.5, 1.0]) for _ in range(2)])
    else:
        theta = np.r_[rng.normal(0, 1.0), np.sort(rng.normal(0, 1.5, size=2))]
    return theta, _simulate(kind, theta, x, rng)


def _ranks(kind: str, n_reps: int, seed: int, priors=PRIOR) -> np.ndarray:
    x = _frame(kind)["x"].to_numpy()
    rng = np.random.default_rng(seed)
    ranks = []
    for r in range(n_reps):
        theta, y = _draw(kind, rng, x)
        # every level must occur (the design's levels are fixed); ranks are uniform given any
        # event of the data, so skipping these replications keeps them uniform
        if len(np.unique(y)) < 3:
            continue
        model = bl.LogitModel("y ~ x", _frame(kind, y), family=kind, priors=priors)
        tree = sample_categorical_model(
            model,
            draws=THIN * L,
            tune=TUNE,
            chains=1,
            random_seed=seed * 10_000 + r,
            target_accept=0.8,
            required=True,
        )
        draws = tree.posterior["theta"].values[0][THIN - 1 :: THIN]
        ranks.append((draws < theta).sum(axis=0))
    return np.array(ranks)


def _pvalues(ranks: np.ndarray) -> np.ndarray:
    counts = np.stack([np.bincount(r * N_BINS // (L + 1), minlength=N_BINS) for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue


@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_simulated_codes_follow_the_design_layout(kind):
    """The simulation's parameters are laid out as the fit's: the MLE of a large simulated
    sample recovers them (within 4 standard errors), so the ranks compare like with like."""
    theta = np.array([0.5, -1.0, -0.3, 0.8]) if kind == "multinomial" else np.array([1.2, -0.5, 0.7])
    rng = np.random.default_rng(0)
    x = rng.normal(size=20_000)
    fit = bl.LogitModel("y ~ x", _frame(kind, _simulate(kind, theta, x, rng), x), family=kind).fit_mle()
    assert np.all(np.abs(fit.params.to_numpy() - theta) < 4 * fit.bse.to_numpy()), fit.params


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_categorical_sbc_ranks_are_uniform(kind):
    ranks = _ranks(kind, n_reps=500, seed=11)
    assert len(ranks) > 400
    p = _pvalues(ranks)
    assert np.all(p > ALPHA / ranks.shape[1]), (kind, p)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_categorical_sbc_detects_a_wrong_prior(kind):
    """The fit's slope prior N(0, 0.4) against the simulation's N(0, 1): the posterior is pulled
    towards 0, and the slopes' ranks pile up at the ends."""
    wrong = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, 0.4)}
    ranks = _ranks(kind, n_reps=200, seed=12, priors=wrong)
    p = _pvalues(ranks)
    assert np.any(p < ALPHA / ranks.shape[1]), (kind, p)
