"""Simulation-based calibration of a varying-intercept model ``y ~ x + (1 | g)`` (issue 16).

As in tests/fit/test_sbc.py (Talts et al. 2018): draw the population coefficients, the group
sd and the group effects from the *documented* priors in numpy, simulate the outcomes, sample
the posterior of the model bayeslogit builds (compiled once with nutpie; each replication swaps
the response with ``with_data``), and rank the truth among L thinned draws. The ranks of the
intercept, the slope, the group sd and one group's effect must be uniform (chi-square over 10
bins, 1% family-wise with Bonferroni). A deliberately wrong group-sd prior in the fit must fail
the same test (the test has power).

Runtime of the slow part (2 x 200 replications) on 2 shared cores at a load of 3.5: about 2.5
minutes (p-values 0.19-0.89, no divergences, in the run that committed it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import bayeslogit as bl

nutpie = pytest.importorskip("nutpie")

N_GROUPS, PER = 6, 8
L, THIN, TUNE, N_BINS, ALPHA = 99, 4, 300, 10, 0.01
FORMULA = "y ~ x + (1 | g)"
PRIORS = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, 1), "1|g": bl.HalfNormal(1)}
RANKED = ["Intercept", "x", "sd(Intercept | g)", "b[g0]"]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(2016)
    return pd.DataFrame(
        {
            "y": np.resize([0, 1], N_GROUPS * PER),
            "x": rng.normal(size=N_GROUPS * PER),
            "g": np.repeat([f"g{i}" for i in range(N_GROUPS)], PER),
        }
    )


def draw_prior(rng: np.random.Generator, sd_scale: float = 1.0):
    """The documented model: Intercept ~ N(0, 1.5) (original scale: 'Intercept' is in priors),
    x ~ N(0, 1), sd ~ HalfNormal(sd_scale), b_j ~ N(0, sd)."""
    a, bx = rng.normal(0, 1.5), rng.normal(0, 1)
    sd = abs(rng.normal(0, sd_scale))
    return a, bx, sd, rng.normal(0, sd, size=N_GROUPS)


def compile_model(priors):
    from bayeslogit.fit.pymc_model import build_model

    model = bl.LogitModel(FORMULA, _frame(), priors=priors)
    return model, nutpie.compile_pymc_model(build_model(model.design, model.priors, response_data=True))


def _draws(trace) -> np.ndarray:
    p = trace.posterior
    beta = p["beta"].transpose("chain", "draw", "coef").values[0]
    sd = p["sd_g"].values[0][:, 0]
    b0 = p["b_g"].values[0][:, 0, 0]
    return np.column_stack([beta, sd, b0])


def run(fit_priors, *, n_reps: int, seed: int, true_sd_scale: float = 1.0, compiled=None):
    model, compiled = compile_model(fit_priors) if compiled is None else compiled
    d = model.design
    t = d.groups.terms[0]
    rng = np.random.default_rng(seed)
    ranks = np.empty((n_reps, len(RANKED)), dtype=np.int64)
    divergences = 0
    for r in range(n_reps):
        a, bx, sd, b = draw_prior(rng, true_sd_scale)
        y = rng.binomial(1, expit(d.X @ np.array([a, bx]) + b[t.index])).astype(np.int64)
        trace = nutpie.sample(
            compiled.with_data(y_obs=y),
            draws=THIN * L,
            tune=TUNE,
            chains=1,
            seed=seed * 100_000 + r,
            progress_bar=False,
            target_accept=0.9,
        )
        divergences += int(trace.sample_stats["diverging"].sum())
        draws = _draws(trace)[THIN - 1 :: THIN]
        ranks[r] = (draws < np.array([a, bx, sd, b[0]])).sum(axis=0)
    return ranks, divergences


def pvalues(ranks: np.ndarray) -> np.ndarray:
    counts = np.stack([np.bincount(r * N_BINS // (L + 1), minlength=N_BINS) for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_group_sbc_smoke_swapped_response_equals_a_fresh_model():
    """The compiled model with a swapped response gives the draws of a model built afresh from
    those data (so the SBC below calibrates bayeslogit's model), and the levels line up."""
    from bayeslogit.fit.pymc_model import build_model

    model, compiled = compile_model(PRIORS)
    assert model.design.groups.terms[0].levels[0] == "g0"
    rng = np.random.default_rng(5)
    y = rng.binomial(1, 0.5, size=N_GROUPS * PER)
    swapped = nutpie.sample(compiled.with_data(y_obs=y), draws=50, tune=50, chains=1, seed=3, progress_bar=False)
    fresh_model = bl.LogitModel(FORMULA, _frame().assign(y=y), priors=PRIORS)
    fresh = nutpie.sample(
        nutpie.compile_pymc_model(build_model(fresh_model.design, fresh_model.priors)),
        draws=50,
        tune=50,
        chains=1,
        seed=3,
        progress_bar=False,
    )
    np.testing.assert_allclose(_draws(swapped), _draws(fresh))
    ranks, _ = run(PRIORS, n_reps=3, seed=1, compiled=(model, compiled))
    assert ranks.shape == (3, 4) and ranks.min() >= 0 and ranks.max() <= L


@pytest.mark.slow
def test_group_sbc_varying_intercept_is_calibrated():
    ranks, div = run(PRIORS, n_reps=200, seed=21)
    p = pvalues(ranks)
    print(f"SBC (1 | g): p-values {dict(zip(RANKED, p.round(4)))}; divergences {div} in 200 x {THIN * L}")
    assert np.all(p > ALPHA / len(p)), dict(zip(RANKED, p))


@pytest.mark.slow
def test_group_sbc_detects_a_wrong_group_sd_prior():
    """Truth sd ~ HalfNormal(1), fit with HalfNormal(0.2): the sd's ranks pile up at the top."""
    ranks, _ = run({**PRIORS, "1|g": bl.HalfNormal(0.2)}, n_reps=200, seed=22)
    p = pvalues(ranks)
    assert p[RANKED.index("sd(Intercept | g)")] < ALPHA / len(p), dict(zip(RANKED, p))
