"""Group terms on bayeslogit's own NUTS (issue 22), statistically: SBC and long reference runs.

- Simulation-based calibration (Talts et al. 2018), 500 replications each, with
  ``LogitModel.sample``'s defaults (bayeslogit's NUTS, its default warm-up) on a model built
  afresh for every simulated response: truth drawn in numpy from the documented priors, the
  truth's rank among L = 99 thinned draws, chi-square uniformity over 10 bins per quantity at
  1% family-wise (Bonferroni). A varying intercept ``y ~ x + (1 | g)`` and a correlated varying
  slope ``y ~ x + (1 + x | g)`` under ``LKJ(2)``, and two slopes under ``Normal(0,
  HalfNormal(1))`` (one sampled scale, no group terms). A deliberately wrong sd prior must fail
  (the test has power).
- Agreement with a long nutpie run (4 x 4000 draws) of the same model (PyMC's model of
  :mod:`bayeslogit.fit.group_model`): posterior means within 4 combined Monte Carlo errors,
  posterior sds within 12%, for lme4's cbpp model and a correlated varying slope, and a
  correlated varying slope over 150 levels (a position over ``DENSE_MAX_DIM``: the diagonal metric).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import bayeslogit as bl

pytestmark = pytest.mark.slow

L, THIN, N_BINS, ALPHA, REPS = 99, 4, 10, 0.01, 500


def _frame(n_groups: int, per: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "y": np.resize([0, 1], n_groups * per),
            "x": rng.normal(size=n_groups * per),
            "g": np.repeat([f"g{i:02d}" for i in range(n_groups)], per),
        }
    )


def _pvalues(ranks: np.ndarray) -> np.ndarray:
    counts = np.stack([np.bincount(r * N_BINS // (L + 1), minlength=N_BINS) for r in ranks.T])
    return stats.chisquare(counts, axis=1).pvalue


def _sbc(formula, priors, frame, draw_truth, extract, *, seed: int, reps: int = REPS):
    """Ranks (reps, quantities) of the truth among the thinned posterior draws, and divergences."""
    rng = np.random.default_rng(seed)
    template = bl.LogitModel(formula, frame, priors=priors)
    d = template.design
    ranks, divergences = [], 0
    for r in range(reps):
        while True:  # a constant response is refused by LogitModel: redraw (the joint draw is
            truth, eta = draw_truth(rng, d)  # rejected whole, a negligible conditioning)
            y = rng.binomial(1, expit(eta))
            if 0 < y.sum() < y.size:
                break
        post = bl.LogitModel(formula, frame.assign(y=y), priors=priors).sample(
            draws=THIN * L, chains=1, random_seed=seed * 100_000 + r, progressbar=False
        )
        assert post.sampler == "bayeslogit"
        divergences += int(post.idata.sample_stats["diverging"].sum())
        draws = extract(post.idata.posterior)[THIN - 1 :: THIN]
        ranks.append((draws < truth).sum(axis=0))
    return np.array(ranks), divergences


# -- varying intercept ---------------------------------------------------------------------------

VI_PRIORS = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, 1), "1|g": bl.HalfNormal(1)}
VI_NAMES = ["Intercept", "x", "sd(Intercept | g)", "b[g00]"]


def _vi_truth(sd_scale):
    def draw(rng, d):
        a, bx = rng.normal(0, 1.5), rng.normal(0, 1)
        sd = abs(rng.normal(0, sd_scale))
        b = rng.normal(0, sd, size=d.groups.terms[0].n_levels)
        return np.array([a, bx, sd, b[0]]), d.X @ np.array([a, bx]) + b[d.groups.terms[0].index]

    return draw


def _vi_extract(p):
    beta = p["beta"].transpose("chain", "draw", "coef").values[0]
    return np.column_stack([beta, p["sd_g"].values[0][:, 0], p["b_g"].values[0][:, 0, 0]])


def test_sbc_varying_intercept_is_calibrated():
    ranks, div = _sbc("y ~ x + (1 | g)", VI_PRIORS, _frame(6, 8, 2016), _vi_truth(1.0), _vi_extract, seed=31)
    p = _pvalues(ranks)
    print(f"SBC (1 | g), bayeslogit NUTS: p-values {dict(zip(VI_NAMES, p.round(4)))}; divergences {div}")
    assert np.all(p > ALPHA / len(p)), dict(zip(VI_NAMES, p))


def test_sbc_detects_a_wrong_group_sd_prior():
    """Truth sd ~ HalfNormal(1), fit with HalfNormal(0.2): the sd's ranks pile up at the top."""
    priors = {**VI_PRIORS, "1|g": bl.HalfNormal(0.2)}
    ranks, _ = _sbc("y ~ x + (1 | g)", priors, _frame(6, 8, 2016), _vi_truth(1.0), _vi_extract, seed=32, reps=200)
    p = _pvalues(ranks)
    assert p[2] < ALPHA / len(p), dict(zip(VI_NAMES, p))


# -- correlated varying slope --------------------------------------------------------------------

CS_PRIORS = {
    "Intercept": bl.Normal(0, 1),
    "x": bl.Normal(0, 1),
    "1|g": bl.HalfNormal(1),
    "x|g": bl.HalfNormal(0.7),
    "cor|g": bl.LKJ(2),
}
CS_NAMES = ["Intercept", "x", "sd(Intercept | g)", "sd(x | g)", "cor", "b[g00, x]"]


def _cs_truth(rng, d):
    t = d.groups.terms[0]
    a, bx = rng.normal(0, 1), rng.normal(0, 1)
    sd = np.abs(rng.normal(0, [1.0, 0.7]))
    R = bl.LKJ(2).draw(2, rng)
    Lc = np.linalg.cholesky(R)
    b = rng.standard_normal((t.n_levels, 2)) @ (np.diag(sd) @ Lc).T
    eta = d.X @ np.array([a, bx]) + np.einsum("nk,nk->n", t.values, b[t.index])
    return np.array([a, bx, sd[0], sd[1], R[0, 1], b[0, 1]]), eta


def _cs_extract(p):
    beta = p["beta"].transpose("chain", "draw", "coef").values[0]
    sd = p["sd_g"].values[0]
    return np.column_stack([beta, sd, p["cor_g"].values[0][:, 0, 1], p["b_g"].values[0][:, 0, 1]])


def test_sbc_correlated_varying_slope_is_calibrated():
    ranks, div = _sbc("y ~ x + (1 + x | g)", CS_PRIORS, _frame(8, 10, 7), _cs_truth, _cs_extract, seed=33)
    p = _pvalues(ranks)
    print(f"SBC (1 + x | g), bayeslogit NUTS: p-values {dict(zip(CS_NAMES, p.round(4)))}; divergences {div}")
    assert np.all(p > ALPHA / len(p)), dict(zip(CS_NAMES, p))


# -- a sampled coefficient scale: Normal(0, HalfNormal(1)) --------------------------------------

HN_PRIORS = {"Intercept": bl.Normal(0, 1.5), "x": bl.Normal(0, bl.HalfNormal(1)), "x2": bl.Normal(0, bl.HalfNormal(1))}
HN_NAMES = ["Intercept", "x", "x2", "tau"]


def _hn_truth(rng, d):
    a, tau = rng.normal(0, 1.5), abs(rng.normal(0, 1))
    beta = np.r_[a, rng.normal(0, tau, size=2)]
    return np.r_[beta, tau], d.X @ beta


def _hn_extract(p):
    return np.column_stack([p["beta"].transpose("chain", "draw", "coef").values[0], p["tau"].values[0]])


def test_sbc_hierarchical_normal_scale_is_calibrated():
    frame = _frame(6, 8, 2016).assign(x2=np.random.default_rng(3).normal(size=48)).drop(columns="g")
    ranks, div = _sbc("y ~ x + x2", HN_PRIORS, frame, _hn_truth, _hn_extract, seed=34)
    p = _pvalues(ranks)
    print(
        f"SBC Normal(0, HalfNormal(1)), bayeslogit NUTS: p-values {dict(zip(HN_NAMES, p.round(4)))}; divergences {div}"
    )
    assert np.all(p > ALPHA / len(p)), dict(zip(HN_NAMES, p))


# -- long nutpie runs ----------------------------------------------------------------------------


def _cbpp() -> pd.DataFrame:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "cbpp.csv"
    return pd.read_csv(path, dtype={"herd": str, "period": str})


def _slopes() -> pd.DataFrame:
    rng = np.random.default_rng(22)
    g = np.repeat(np.arange(30), 20)
    x = rng.normal(size=g.size)
    b = rng.multivariate_normal([0, 0], [[0.5, 0.2], [0.2, 0.3]], size=30)
    y = rng.binomial(1, expit(-0.3 + 0.8 * x + b[g, 0] + b[g, 1] * x))
    return pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]})


@pytest.mark.parametrize(
    "make",
    [
        lambda: bl.LogitModel("incidence ~ period + (1 | herd)", _cbpp(), trials="size"),
        lambda: bl.LogitModel("y ~ x + (1 + x | g)", _slopes()),
    ],
    ids=["cbpp", "correlated-slope"],
)
def test_agrees_with_a_long_nutpie_run(make):
    pytest.importorskip("nutpie")
    model = make()
    ours = model.sample(random_seed=1, progressbar=False)  # defaults: 4 x 1000, bayeslogit's NUTS
    assert ours.sampler == "bayeslogit" and int(ours.idata.sample_stats["diverging"].sum()) == 0
    ref = model.sample(draws=4000, chains=4, random_seed=2, progressbar=False, sampler="nutpie")
    _agree(ours, ref)


def test_diagonal_metric_agrees_with_a_long_nutpie_run():
    """A correlated slope over 150 levels: a position over DENSE_MAX_DIM, so the diagonal metric."""
    pytest.importorskip("nutpie")
    from bayeslogit.fit.nuts.driver import DENSE_MAX_DIM

    rng = np.random.default_rng(5)
    g = np.repeat(np.arange(150), 12)
    x = rng.normal(size=g.size)
    b = rng.multivariate_normal([0, 0], [[0.5, 0.2], [0.2, 0.3]], size=150)
    y = rng.binomial(1, expit(-0.3 + 0.8 * x + b[g, 0] + b[g, 1] * x))
    model = bl.LogitModel("y ~ x + (1 + x | g)", pd.DataFrame({"y": y, "x": x, "g": [f"g{i}" for i in g]}))
    ours = model.sample(random_seed=1, progressbar=False)
    assert ours.sampler == "bayeslogit" and ours.idata.posterior.attrs["metric"] == "diag"
    assert 5 + 2 * 150 > DENSE_MAX_DIM
    assert int(ours.idata.sample_stats["diverging"].sum()) == 0
    ref = model.sample(draws=4000, chains=4, random_seed=2, progressbar=False, sampler="nutpie")
    _agree(ours, ref)


def _agree(ours, ref) -> None:
    """Means within 4 combined MCSE and sds within 12% for every population coefficient, group
    sd, correlation and group effect."""
    import arviz_stats

    names = [v for v in ref.idata.posterior.data_vars if v.startswith(("beta", "sd_", "cor_", "b_"))]
    for name in names:
        a, b = ours.idata.posterior[name], ref.idata.posterior[name]
        ma, mb = a.mean(("chain", "draw")).values, b.mean(("chain", "draw")).values
        sa, sb = a.std(("chain", "draw")).values, b.std(("chain", "draw")).values
        ea = arviz_stats.mcse(a.to_dataset(), method="mean")[name].values
        eb = arviz_stats.mcse(b.to_dataset(), method="mean")[name].values
        constant = sb < 1e-12  # the correlation matrix's diagonal
        assert np.all((np.abs(ma - mb) <= 4 * np.hypot(ea, eb)) | constant), (name, ma, mb)
        np.testing.assert_allclose(sa[~constant], sb[~constant], rtol=0.12, err_msg=name)
