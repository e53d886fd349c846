"""Simulation-based calibration (Talts, Betancourt, Simpson, Vehtari & Gelman 2018).

If coefficients are drawn from the prior, data simulated from them and the posterior sampled,
the rank of the true coefficient among L posterior draws is uniform on {0, ..., L} -- exactly
when the prior, the likelihood and the sampler are all right. We check that for the default
(rstanarm-style, centred-intercept) prior and for a Normal(0, 1) prior on every coefficient,
with the prior draws made here in numpy from the *documented* prior (not from the PyMC model),
and we check that a deliberately wrong prior in the fit is caught by the same test.

The PyMC model is built once (``build_model(..., response_data=True)``) and compiled once with
nutpie; each replication only swaps the response with ``with_data`` and runs one short chain
(``pm.sample`` would recompile the model every call: about 6 s a replication here, against
0.05-0.15 s). What is calibrated is the model -- priors, intercept centring, likelihood -- as sampled
by nutpie, one of the package's samplers. Uniformity: a chi-square test over 10 equal rank bins
per coefficient, at 1% family-wise (Bonferroni over the coefficients).

Runtime of the slow part (1000 + 1000 + 200 + 200 replications) on 2 shared cores at a load of
3.5: about 2 minutes; expect 4-5 minutes on a machine loaded 8x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.priors import DEFAULT_SCALE

nutpie = pytest.importorskip("nutpie")

FORMULA = "y ~ x1 + x2"
N_OBS = 40
L = 99  # posterior draws kept per replication -> ranks in {0, ..., 99}: 100 values, 10 equal bins
THIN = 4  # keep every 4th of THIN * L draws (reduces autocorrelation between kept draws)
TUNE = 300
N_BINS = 10
ALPHA = 0.01  # family-wise level: each of the p coefficients is tested at ALPHA / p (Bonferroni)


def _frame() -> pd.DataFrame:
    """A fixed small design: a standard-normal x1 and a 0/1 x2 (y is replaced per replication)."""
    rng = np.random.default_rng(2018)
    x1 = rng.normal(size=N_OBS)
    x2 = rng.binomial(1, 0.4, size=N_OBS).astype(float)
    return pd.DataFrame({"y": np.resize([0, 1], N_OBS), "x1": x1, "x2": x2})


def draw_default_prior(rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
    """The documented default: slopes ~ N(0, 2.5 / sd(x_j)); the log-odds at the predictor
    means ~ N(0, 2.5); the original-scale intercept is that minus x_mean @ slopes."""
    sd = X[:, 1:].std(axis=0, ddof=1)  # R's sd(), as rstanarm
    slopes = rng.normal(0.0, DEFAULT_SCALE / sd)
    alpha_c = rng.normal(0.0, DEFAULT_SCALE)
    return np.concatenate([[alpha_c - X[:, 1:].mean(axis=0) @ slopes], slopes])


def draw_normal_prior(sigma: float):
    def draw(rng: np.random.Generator, X: np.ndarray) -> np.ndarray:
        return rng.normal(0.0, sigma, size=X.shape[1])

    return draw


def normal_on_all(sigma: float) -> dict[str, bl.Normal]:
    """``sigma`` on every coefficient, intercept included (so the intercept is not centred)."""
    return {name: bl.Normal(0, sigma) for name in ("Intercept", "x1", "x2")}


@dataclass
class SBCRun:
    coef_names: list[str]
    truths: np.ndarray  # (reps, p)
    ranks: np.ndarray  # (reps, p), integers in 0..L

    def pvalues(self) -> np.ndarray:
        """Chi-square test of uniform ranks over N_BINS equal bins, one p-value per coefficient."""
        return rank_uniformity_pvalues(self.ranks)


def rank_uniformity_pvalues(ranks: np.ndarray) -> np.ndarray:
    counts = np.stack([np.bincount(r * N_BINS // (L + 1), minlength=N_BINS) for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue


def compile_model(priors):
    from bayeslogit.fit.pymc_model import build_model

    model = bl.LogitModel(FORMULA, _frame(), priors=priors)
    pm_model = build_model(model.design, model.priors, response_data=True)
    return model, nutpie.compile_pymc_model(pm_model)


def posterior_draws(compiled, *, seed: int) -> np.ndarray:
    """One chain, ``THIN * L`` draws after ``TUNE`` warm-up, thinned to L: shape (L, p)."""
    trace = nutpie.sample(compiled, draws=THIN * L, tune=TUNE, chains=1, seed=seed, progress_bar=False)
    beta = trace.posterior["beta"].transpose("chain", "draw", "coef").values[0]
    return beta[THIN - 1 :: THIN]


def run_sbc(priors, draw_prior, *, n_reps: int, seed: int, compiled=None) -> SBCRun:
    """``n_reps`` replications: beta ~ prior (numpy), y ~ Bernoulli(logistic(X beta)), rank of
    each true coefficient among the L thinned posterior draws of the model fitted with ``priors``."""
    model, compiled = compile_model(priors) if compiled is None else compiled
    X = model.design.X
    rng = np.random.default_rng(seed)
    truths = np.empty((n_reps, X.shape[1]))
    ranks = np.empty((n_reps, X.shape[1]), dtype=np.int64)
    for r in range(n_reps):
        beta = draw_prior(rng, X)
        y = rng.binomial(1, expit(X @ beta)).astype(np.int64)
        draws = posterior_draws(compiled.with_data(y_obs=y), seed=seed * 100_000 + r)
        truths[r] = beta
        ranks[r] = (draws < beta).sum(axis=0)
    return SBCRun(model.coef_names, truths, ranks)


# -- fast checks of the machinery (default suite) ---------------------------------------------


def test_rank_uniformity_test_accepts_uniform_and_rejects_skewed_ranks():
    rng = np.random.default_rng(0)
    uniform = rng.integers(0, L + 1, size=(300, 3))
    assert np.all(rank_uniformity_pvalues(uniform) > ALPHA / 3)
    # an over-confident posterior puts the truth in the tails: ranks pile up at 0 and L
    u_shaped = np.clip(np.rint(stats.beta(0.6, 0.6).rvs(size=(300, 3), random_state=rng) * L), 0, L)
    assert np.all(rank_uniformity_pvalues(u_shaped.astype(np.int64)) < ALPHA / 3)


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_sbc_smoke_swapped_response_equals_a_fresh_model():
    """Five replications run end to end, and a replication fitted by swapping the response into
    the compiled model gives draw-for-draw the draws of a model built from that data afresh."""
    from bayeslogit.fit.pymc_model import build_model

    model, compiled = compile_model(None)
    run = run_sbc(None, draw_default_prior, n_reps=5, seed=7, compiled=(model, compiled))
    assert run.ranks.shape == (5, 3) and run.coef_names == ["Intercept", "x1", "x2"]
    assert run.ranks.min() >= 0 and run.ranks.max() <= L

    rng = np.random.default_rng(1)
    X = model.design.X
    y = rng.binomial(1, expit(X @ draw_default_prior(rng, X))).astype(np.int64)
    if y.min() == y.max():  # build_design rejects a constant response
        y[0] = 1 - y[0]
    swapped = posterior_draws(compiled.with_data(y_obs=y), seed=3)
    fresh_model = bl.LogitModel(FORMULA, _frame().assign(y=y))
    fresh = posterior_draws(nutpie.compile_pymc_model(build_model(fresh_model.design, fresh_model.priors)), seed=3)
    np.testing.assert_array_equal(swapped, fresh)


# -- the calibration itself (slow; CI runs it with `make test-slow`) --------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "label,priors,draw_prior,seed",
    [
        ("default prior", None, draw_default_prior, 1),
        ("Normal(0, 1) prior", normal_on_all(1.0), draw_normal_prior(1.0), 2),
    ],
)
def test_sbc_ranks_are_uniform(label, priors, draw_prior, seed):
    run = run_sbc(priors, draw_prior, n_reps=1000, seed=seed)
    p = run.pvalues()
    print(f"SBC {label}: chi-square p-values {dict(zip(run.coef_names, p.round(4)))}")
    assert np.all(p > ALPHA / len(p)), (label, dict(zip(run.coef_names, p)))


@pytest.mark.slow
@pytest.mark.parametrize("fit_sigma", [0.2, 0.5])
def test_sbc_detects_a_wrong_prior(fit_sigma):
    """Simulate from N(0, 1) but fit with N(0, 0.2) (or, subtler, N(0, 0.5)): the posterior is
    too narrow and too close to zero, the truth lands in its tails, and the same test rejects."""
    run = run_sbc(normal_on_all(fit_sigma), draw_normal_prior(1.0), n_reps=200, seed=3)
    p = run.pvalues()
    print(f"SBC wrong prior N(0, {fit_sigma}): chi-square p-values {dict(zip(run.coef_names, p))}")
    assert np.all(p < ALPHA / len(p)), dict(zip(run.coef_names, p))


# -- full Bayes for the penalty (issue 14): a sampled scale, and the regularized horseshoe ----------

HIER = bl.Normal(0, bl.HalfNormal(1.0))
HS = bl.Horseshoe(expected_nonzero=1, slab_scale=2.0, slab_df=4.0)
HS_FORMULA = "y ~ x1 + x2 + x3 + x4 + x5"
HS_N = 60


def _hs_frame() -> pd.DataFrame:
    rng = np.random.default_rng(2017)
    df = pd.DataFrame(rng.normal(size=(HS_N, 5)), columns=[f"x{j}" for j in range(1, 6)])
    return df.assign(y=np.resize([0, 1], HS_N))  # ybar = 0.5 at build time fixes tau0


def run_sbc_extra(formula, frame, priors, draw_prior, extra: list[str], *, n_reps, seed, target_accept=0.9):
    """Like :func:`run_sbc`, ranking the coefficients and the sampled scales in ``extra``."""
    from bayeslogit.fit.pymc_model import build_model

    model = bl.LogitModel(formula, frame, priors=priors)
    compiled = nutpie.compile_pymc_model(build_model(model.design, model.priors, response_data=True))
    X = model.design.X
    rng = np.random.default_rng(seed)
    p = X.shape[1] + len(extra)
    ranks = np.empty((n_reps, p), dtype=np.int64)
    divergences = 0
    for r in range(n_reps):
        beta, scales = draw_prior(rng, X)
        y = rng.binomial(1, expit(X @ beta)).astype(np.int64)
        trace = nutpie.sample(
            compiled.with_data(y_obs=y),
            draws=THIN * L,
            tune=TUNE,
            chains=1,
            seed=seed * 100_000 + r,
            progress_bar=False,
            target_accept=target_accept,
        )
        post = trace.posterior
        draws = np.column_stack(
            [post["beta"].transpose("chain", "draw", "coef").values[0]] + [post[v].values[0][:, None] for v in extra]
        )[THIN - 1 :: THIN]
        divergences += int(trace.sample_stats["diverging"].sum())
        ranks[r] = (draws < np.r_[beta, scales]).sum(axis=0)
    return model.coef_names + extra, ranks, divergences


def draw_hier_prior(rng, X):
    tau = abs(rng.normal(0.0, 1.0))
    return np.r_[rng.normal(0.0, DEFAULT_SCALE), rng.normal(0.0, tau, size=X.shape[1] - 1)], [tau]


def draw_horseshoe_prior(rng, X):
    d = X.shape[1] - 1
    tau0 = HS.tau0(d, HS_N, 0.5)
    tau = abs(stats.cauchy.rvs(scale=tau0, random_state=rng))
    lam = np.abs(stats.cauchy.rvs(size=d, random_state=rng))
    c2 = stats.invgamma.rvs(HS.slab_df / 2, scale=HS.slab_df * HS.slab_scale**2 / 2, random_state=rng)
    lam_t = np.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    return np.r_[rng.normal(0.0, DEFAULT_SCALE), rng.normal(size=d) * tau * lam_t], [tau]


@pytest.mark.slow
def test_sbc_hierarchical_normal_scale_is_calibrated():
    """Normal(0, tau) on the slopes, tau ~ HalfNormal(1) sampled jointly (non-centred): 300
    replications, ranks of the coefficients and of tau uniform; divergences reported."""
    names, ranks, div = run_sbc_extra(
        FORMULA,
        _frame(),
        {"Intercept": bl.Normal(0, DEFAULT_SCALE), "x1": HIER, "x2": HIER},
        draw_hier_prior,
        ["tau"],
        n_reps=300,
        seed=11,
    )
    p = rank_uniformity_pvalues(ranks)
    print(f"SBC hierarchical: p-values {dict(zip(names, p.round(4)))}; divergences {div} in 300 x {THIN * L}")
    assert np.all(p > ALPHA / len(p)), dict(zip(names, p))


@pytest.mark.slow
def test_sbc_regularized_horseshoe_is_calibrated():
    """The regularized horseshoe on 5 slopes (p0 = 1), 300 replications, target_accept 0.95."""
    priors = {"Intercept": bl.Normal(0, DEFAULT_SCALE), **{f"x{j}": HS for j in range(1, 6)}}
    names, ranks, div = run_sbc_extra(
        HS_FORMULA, _hs_frame(), priors, draw_horseshoe_prior, ["hs_tau"], n_reps=300, seed=12, target_accept=0.95
    )
    p = rank_uniformity_pvalues(ranks)
    print(f"SBC horseshoe: p-values {dict(zip(names, p.round(4)))}; divergences {div} in 300 x {THIN * L}")
    assert np.all(p > ALPHA / len(p)), dict(zip(names, p))
