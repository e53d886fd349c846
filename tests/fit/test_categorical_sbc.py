"""Simulation-based calibration of the multinomial and ordinal PyMC models (issue 23).

As ``tests/fit/test_sbc.py`` does for binary models (Talts et al. 2018): parameters drawn in
numpy from the *documented* priors, outcomes simulated from them, the posterior sampled with
nutpie from the model compiled once (``build_categorical_model(..., response_data=True)``,
the response swapped by ``with_data``); the rank of each true parameter among L thinned draws
must be uniform (chi-square over 10 bins per parameter, 1% family-wise, Bonferroni).

The documented priors here: Normal(0, s) on every design column, the intercept included
(so not centred). Multinomial: each non-reference level's coefficients independently.
Ordinal: the slopes, and each cutpoint's intercept ``-theta_k`` under the Intercept's
Normal(0, s), restricted to ordered cutpoints: the cutpoints are K - 1 sorted independent
Normal(0, s) draws (the ordered region's density is proportional to the product).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import softmax

import bayeslogit as bl

nutpie = pytest.importorskip("nutpie")

N_OBS = 60
L = 99
THIN = 3
TUNE = 300
N_BINS = 10
ALPHA = 0.01
PRIOR = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, 1.0)}


def _frame(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(23)
    y = np.resize(["lo", "mid", "hi"], N_OBS)
    if kind == "ordinal":
        y = pd.Categorical(y, categories=["lo", "mid", "hi"], ordered=True)
    return pd.DataFrame({"x": rng.normal(size=N_OBS), "y": y})


def _compile(kind: str):
    from bayeslogit.fit.categorical_pymc import build_categorical_model

    model = bl.LogitModel("y ~ x", _frame(kind), family=kind, priors=PRIOR)
    return model, nutpie.compile_pymc_model(build_categorical_model(model.design, model.priors, response_data=True))


def _draw(kind: str, rng: np.random.Generator, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters from the prior and outcome codes simulated from them."""
    if kind == "multinomial":  # levels lo, mid, hi in sorted order: hi, lo, mid; reference hi
        theta = np.concatenate([rng.normal(0, [1.5, 1.0]) for _ in range(2)])
        eta = np.c_[np.zeros(len(X)), X @ theta[:2], X @ theta[2:]]
        P = softmax(eta, axis=1)
    else:
        slope = rng.normal(0, 1.0)
        cut = np.sort(rng.normal(0, 1.5, size=2))
        theta = np.r_[slope, cut]
        F = 1 / (1 + np.exp(-(cut[None, :] - slope * X[:, [1]])))
        P = np.diff(np.hstack([np.zeros((len(X), 1)), F, np.ones((len(X), 1))]), axis=1)
    y = (np.cumsum(P, axis=1) < rng.random(len(X))[:, None]).sum(axis=1)
    return theta, np.minimum(y, P.shape[1] - 1).astype(np.int64)


def _ranks(kind: str, n_reps: int, seed: int) -> np.ndarray:
    model, compiled = _compile(kind)
    X = model.design.X
    rng = np.random.default_rng(seed)
    ranks = []
    for r in range(n_reps):
        theta, y = _draw(kind, rng, X)
        # every level must occur (the design's levels are fixed); ranks are uniform given any
        # event of the data, so skipping these replications keeps them uniform
        if len(np.unique(y)) < 3:
            continue
        trace = nutpie.sample(
            compiled.with_data(y_obs=y), draws=THIN * L, tune=TUNE, chains=1, seed=seed * 10_000 + r, progress_bar=False
        )
        draws = trace.posterior["theta"].values[0][THIN - 1 :: THIN]
        ranks.append((draws < theta).sum(axis=0))
    return np.array(ranks)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["multinomial", "ordinal"])
def test_categorical_sbc_ranks_are_uniform(kind):
    ranks = _ranks(kind, n_reps=200, seed=11)
    assert len(ranks) > 150
    counts = np.stack([np.bincount(r * N_BINS // (L + 1), minlength=N_BINS) for r in ranks.T])
    pvalues = stats.chisquare(counts, axis=1).pvalue
    assert np.all(pvalues > ALPHA / ranks.shape[1]), (kind, pvalues, counts)
