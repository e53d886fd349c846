"""The PyMC model of group terms and everything computed from its draws (issue 16).

- the model's log density against an independent numpy/scipy computation at random points;
- the posterior against a long reference run of an independently hand-written PyMC model;
- predictions for seen and unseen levels, the pointwise log-likelihood, LOO and the fitted
  probabilities against hand computations from the draws; save/load; the CLI.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit

import bayeslogit as bl
from bayeslogit.fit.pymc_model import build_model

nutpie = pytest.importorskip("nutpie")


def simulate(n_groups=8, per=25, seed=0, slope=False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    gi = np.repeat(np.arange(n_groups), per)
    x = rng.normal(size=gi.size)
    a = rng.normal(0, 0.8, n_groups)
    s = rng.normal(0, 0.5, n_groups)
    eta = -0.3 + 0.7 * x + a[gi] + (s[gi] * x if slope else 0)
    return pd.DataFrame(
        {"y": rng.binomial(1, expit(eta)), "x": x, "g": np.array([f"g{i}" for i in range(n_groups)])[gi]}
    )


def _numpy_logp(m, raw_beta, sds, zs, Ls):
    """Independent log density: priors (scipy) + Bernoulli likelihood, group part by indexing."""
    d, pr = m.design, m.priors
    names = d.column_names
    lp = sum(stats.norm.logpdf(raw_beta[j], pr.priors[n].mu, pr.priors[n].sigma) for j, n in enumerate(names))
    beta = raw_beta.copy()
    if pr.centered_intercept:
        beta[0] = raw_beta[0] - pr.x_mean @ raw_beta
    eta = d.X @ beta + (0.0 if d.offset is None else d.offset)
    for t, sd, z, L in zip(d.groups.terms, sds, zs, Ls):
        for c, p in enumerate(pr.groups.sd[t.key]):
            if isinstance(p, bl.HalfNormal):
                lp += np.log(2) + stats.norm.logpdf(sd[c], 0, p.sigma)
            else:
                lp += np.log(2) + stats.t.logpdf(sd[c], p.nu, scale=p.sigma)
        lp += stats.norm.logpdf(z).sum()
        b = z * sd if L is None else z @ (sd[:, None] * L).T
        eta = eta + np.sum(t.values * b[t.index], axis=1)
    if d.trials is None:
        return lp + np.sum(d.y * eta - np.logaddexp(0, eta))
    return lp + np.sum(stats.binom.logpmf(d.y, d.trials, expit(eta)))


SEEDS = pd.DataFrame(
    {  # BUGS Examples Vol. I, "Seeds": germinated r of n seeds on 21 plates
        "r": [10, 23, 23, 26, 17, 5, 53, 55, 32, 46, 10, 8, 10, 8, 23, 0, 3, 22, 15, 32, 3],
        "n": [39, 62, 81, 51, 39, 6, 74, 72, 51, 79, 13, 16, 30, 28, 45, 4, 12, 41, 30, 51, 7],
        "x1": [0] * 11 + [1] * 10,
        "x2": [0] * 5 + [1] * 6 + [0] * 5 + [1] * 5,
        "plate": [f"p{i:02d}" for i in range(21)],
    }
)


@pytest.mark.parametrize(
    "formula, priors, data, trials",
    [
        ("y ~ x + (1 | g)", None, None, None),
        ("y ~ x + (1 + x || g)", {"x|g": bl.HalfNormal(0.7)}, None, None),  # mixed sd families in one term
        ("r ~ x1 * x2 + (1 | plate)", None, SEEDS, "n"),  # binomial, one row per level
    ],
)
def test_logp_matches_numpy(formula, priors, data, trials):
    m = bl.LogitModel(formula, simulate(slope=True) if data is None else data, priors=priors, trials=trials)
    model = build_model(m.design, m.priors)
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(1)
    for _ in range(3):
        point = {k: rng.normal(size=np.shape(v)) for k, v in model.initial_point().items()}
        t = m.design.groups.terms[0]
        if f"sd_{t.key}_log__" in point:
            sd = np.exp(point[f"sd_{t.key}_log__"])
        else:  # one variable per coefficient (different families)
            sd = np.exp(np.array([point[f"sd_{t.key}_{j}_log__"] for j in range(t.n_coef)]))
        ref = _numpy_logp(m, point["beta_normal"], [sd], [point[f"z_{t.key}"]], [None])
        assert float(logp(point)) == pytest.approx(ref, rel=1e-9, abs=1e-8)


def test_logp_of_correlated_slopes_matches_numpy_up_to_the_lkj_term():
    """(1 + x | g): at points sharing the correlation matrix, the differences of PyMC's log
    density equal numpy's (the LKJ term cancels), with b = z (diag(sd) L)' and R = L L'."""
    m = bl.LogitModel("y ~ x + (1 + x | g)", simulate(slope=True))
    model = build_model(m.design, m.priors)
    logp = model.compile_logp(jacobian=False)
    outs = model.replace_rvs_by_values([model["L_g"], model["cor_g"]])  # at the point's values
    fn = model.compile_fn(outs, inputs=model.value_vars, on_unused_input="ignore")
    rng = np.random.default_rng(2)
    base = {k: rng.normal(size=np.shape(v)) for k, v in model.initial_point().items()}
    L, R = fn(base)
    np.testing.assert_allclose(L @ L.T, R, atol=1e-12)
    np.testing.assert_allclose(np.diag(R), 1.0, atol=1e-12)  # a correlation matrix
    vals = []
    for _ in range(3):
        point = dict(base, **{k: rng.normal(size=np.shape(base[k])) for k in ("beta_normal", "sd_g_log__", "z_g")})
        ref = _numpy_logp(m, point["beta_normal"], [np.exp(point["sd_g_log__"])], [point["z_g"]], [L])
        vals.append((float(logp(point)), ref))
    for (a, ra), (b, rb) in zip(vals, vals[1:]):
        assert a - b == pytest.approx(ra - rb, rel=1e-9, abs=1e-7)


# -- one small posterior shared by the checks of what is computed from the draws --------------


@pytest.fixture(scope="module")
def post():
    df = simulate(n_groups=6, per=20, seed=3, slope=True)
    m = bl.LogitModel("y ~ x + (1 + x | g)", df)
    return m.sample(draws=150, tune=200, chains=2, random_seed=5, progressbar=False)


def _eta_by_hand(post, X, levels_idx, values):
    """eta (S, n) = X beta + values * b[level] from the posterior arrays (b of unseen = 0)."""
    beta = post.idata.posterior["beta"].values.reshape(-1, X.shape[1])
    b = post.idata.posterior["b_g"].values.reshape(beta.shape[0], -1, 2)
    b = np.concatenate([b, np.zeros((b.shape[0], 1, 2))], axis=1)  # index -1 -> zeros
    return beta @ X.T + np.einsum("nk,snk->sn", values, b[:, levels_idx, :])


def test_sampler_and_variables(post):
    assert post.sampler == "bayeslogit"  # group terms on bayeslogit's own NUTS (issue 22)
    p = post.idata.posterior
    assert p["b_g"].dims == ("chain", "draw", "g__level", "g__coef")
    assert list(p["g__level"].values) == [f"g{i}" for i in range(6)]
    assert p["cor_g"].shape[-2:] == (2, 2)
    np.testing.assert_allclose(p["cor_g"].values[..., 0, 0], 1.0)


def test_group_effects_and_summary_tables(post):
    eff = post.group_effects(ci_prob=0.9)
    assert list(eff.columns) == ["term", "group", "level", "coef", "mean", "sd", "eti90_lb", "eti90_ub"]
    assert len(eff) == 12 and eff.term.unique().tolist() == ["1 + x | g"]
    b = post.idata.posterior["b_g"].values.reshape(-1, 6, 2)
    row = eff[(eff.level == "g4") & (eff.coef == "x")].iloc[0]
    assert row["mean"] == pytest.approx(b[:, 4, 1].mean())
    assert row["eti90_ub"] == pytest.approx(np.quantile(b[:, 4, 1], 0.95))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no 0/0 from the correlation matrix's constant diagonal
        summ = post.group_summary()
    assert list(summ.index) == ["sd(Intercept | g)", "sd(x | g)", "cor(Intercept, x | g)"]
    cor = post.idata.posterior["cor_g"].values[..., 0, 1]
    assert summ.loc["cor(Intercept, x | g)", "mean"] == pytest.approx(cor.mean())
    assert "sd(x | g)" in str(post.summary())
    from bayeslogit.results.posterior import PosteriorResults

    plain = PosteriorResults(bl.LogitModel("y ~ x", simulate()), post.idata, sampler="nutpie", random_seed=None)
    assert plain.group_draws() is None
    with pytest.raises(bl.ArgumentError, match="group terms"):
        plain.group_effects()


def test_predict_seen_and_unseen_levels_by_hand(post):
    new = pd.DataFrame({"x": [0.3, -1.0, 2.0, 0.5], "g": ["g2", "new", "g0", "new"]})
    X = post.design.encode(new)
    values = np.column_stack([np.ones(4), new.x])
    eta = _eta_by_hand(post, X, np.array([2, -1, 0, -1]), values)
    pred = post.predict(new, kind="linear")
    np.testing.assert_allclose(pred["mean"], eta.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(pred["eti95_lb"], np.quantile(eta, 0.025, axis=0), rtol=1e-10)
    prob = post.predict(new)
    np.testing.assert_allclose(prob["mean"], expit(eta).mean(axis=0), rtol=1e-10)
    # new_groups="sample": the unseen level gets b ~ N(0, diag(sd) R diag(sd)) per draw, shared by its rows
    s1 = post.predict(new, kind="linear", new_groups="sample", random_seed=4)
    s2 = post.predict(new, kind="linear", new_groups="sample", random_seed=4)
    pd.testing.assert_frame_equal(s1, s2)
    np.testing.assert_allclose(s1.loc[[0, 2], "mean"], pred.loc[[0, 2], "mean"])  # seen: unchanged
    assert (s1.loc[[1, 3], "sd"] > pred.loc[[1, 3], "sd"]).all()  # wider for the new level
    S = eta.shape[0]
    sd = post.idata.posterior["sd_g"].values.reshape(S, 2)
    R = post.idata.posterior["cor_g"].values.reshape(S, 2, 2)
    z = np.random.default_rng(4).standard_normal((S, 1, 2))
    bnew = np.einsum("sij,sj->si", np.linalg.cholesky(R), z[:, 0]) * sd
    eta_new = eta[:, [1, 3]] + bnew @ values[[1, 3]].T
    np.testing.assert_allclose(s1.loc[[1, 3], "mean"], eta_new.mean(axis=0), rtol=1e-10)
    with pytest.raises(bl.ArgumentError, match="new_groups"):
        post.predict(new, new_groups="zero")
    draws = post.predict(new, kind="draws")
    np.testing.assert_allclose(draws.values.reshape(S, 4), expit(eta), rtol=1e-10)


def test_training_rows_loglik_loo_and_fitted_include_group_effects(post):
    from bayeslogit.check.scores import fitted_probabilities

    d = post.design
    t = d.groups.terms[0]
    eta = _eta_by_hand(post, d.X, t.index, t.values)
    ll = d.y * eta - np.logaddexp(0, eta)
    np.testing.assert_allclose(post.log_likelihood().values.reshape(eta.shape), ll, rtol=1e-10)
    np.testing.assert_allclose(fitted_probabilities(post), expit(eta).mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(post.predict(kind="linear")["mean"], eta.mean(axis=0), rtol=1e-10)
    import arviz_stats as azs
    import xarray as xr

    tree = post.idata.copy()
    C, D = post.n_chains, post.n_draws
    tree["log_likelihood"] = xr.Dataset({"y": (("chain", "draw", "obs"), ll.reshape(C, D, -1))})
    ref = azs.loo(tree, var_name="y")
    exact = post.loo().elpd_data
    assert exact.elpd == pytest.approx(ref.elpd, rel=1e-8)
    from bayeslogit.interpret.loo import psis_loo

    sub = psis_loo(post, method="subsample", observations=40)
    rows = sub.rows
    np.testing.assert_allclose(sub.elpd_data.elpd_i.values[rows], exact.elpd_i.values[rows], rtol=1e-10)
    assert sub.elpd_data.elpd == pytest.approx(exact.elpd, abs=4 * sub.elpd_data.subsampling_se + 1)
    rep = post.posterior_predictive(random_seed=1)
    assert rep.shape == (C, D, d.n_obs)


def test_save_load_round_trip_predicts_identically(post, tmp_path):
    path = tmp_path / "group.nc"
    post.save(path)
    back = bl.load(path)
    new = pd.DataFrame({"x": [0.3, -1.0], "g": ["g2", "unseen"]})
    pd.testing.assert_frame_equal(back.predict(new), post.predict(new))
    pd.testing.assert_frame_equal(
        back.predict(new, new_groups="sample", random_seed=3), post.predict(new, new_groups="sample", random_seed=3)
    )
    pd.testing.assert_frame_equal(back.group_effects(), post.group_effects())
    assert back.model.prior_summary().equals(post.model.prior_summary())


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_cli_fits_a_group_formula(tmp_path):
    df = simulate(n_groups=5, per=12, seed=8)
    csv = tmp_path / "d.csv"
    df.to_csv(csv, index=False)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bayeslogit",
            "fit",
            str(csv),
            "y ~ x + (1|g)",
            "--draws",
            "100",
            "--tune",
            "150",
            "--chains",
            "2",
            "--seed",
            "1",
            "--ignore-checks",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "sd(Intercept | g)" in out.stdout and "MLE (GLMM, Laplace)" in out.stdout
    assert "bayeslogit NUTS" in out.stderr  # group terms are on bayeslogit's own sampler (issue 22)


# -- agreement with a long reference run -----------------------------------------------------------


@pytest.mark.slow  # over 3 s: `make test` stays under 5 minutes on 2 cores
def test_posterior_agrees_with_a_long_run_of_a_hand_written_model():
    """Varying intercept, explicit priors: bayeslogit (4 x 1000 draws) against an independently
    written PyMC model (centred b ~ N(0, sd), 4 x 4000 draws with nutpie). Means within 4
    combined MCSEs, posterior sds within 12%."""
    import pymc as pm

    df = simulate(n_groups=8, per=25, seed=11)
    priors = {"Intercept": bl.Normal(0, 2), "x": bl.Normal(0, 1), "1|g": bl.HalfNormal(1)}
    post = bl.LogitModel("y ~ x + (1 | g)", df, priors=priors).sample(
        draws=1000, tune=1000, chains=4, random_seed=1, progressbar=False
    )
    codes, levels = pd.factorize(df.g, sort=True)
    with pm.Model() as ref_model:
        a = pm.Normal("a", 0, 2)
        bx = pm.Normal("bx", 0, 1)
        sd = pm.HalfNormal("sd", 1)
        u = pm.Normal("u", 0, 1, shape=len(levels))
        b = pm.Deterministic("b", u * sd)
        pm.Bernoulli("y", logit_p=a + bx * df.x.to_numpy() + b[codes], observed=df.y.to_numpy())
    ref = nutpie.sample(
        nutpie.compile_pymc_model(ref_model), draws=4000, tune=1000, chains=4, seed=2, progress_bar=False
    ).posterior
    import arviz_stats as azs

    def stats_of(x):  # (chains, draws) -> mean, sd, mcse
        return x.mean(), x.std(), float(azs.mcse(np.asarray(x)[None] if x.ndim == 1 else np.asarray(x)))

    p = post.idata.posterior
    pairs = [
        (p["beta"].values[..., 0], ref["a"].values),
        (p["beta"].values[..., 1], ref["bx"].values),
        (p["sd_g"].values[..., 0], ref["sd"].values),
    ]
    pairs += [(p["b_g"].values[..., j, 0], ref["b"].values[..., j]) for j in range(len(levels))]
    for ours, theirs in pairs:
        m1, s1, e1 = stats_of(ours)
        m2, s2, e2 = stats_of(theirs)
        assert abs(m1 - m2) < 4 * np.hypot(e1, e2), (m1, m2, e1, e2)
        assert s1 == pytest.approx(s2, rel=0.12)


# -- prior draws (model.sample_prior_predictive) -----------------------------------------------


@pytest.mark.parametrize("k, eta", [(2, 1.0), (2, 3.0), (3, 1.0), (4, 2.0)])
def test_lkj_draws_have_the_lkj_marginals(k, eta):
    """Every off-diagonal correlation of LKJ(eta) in k dimensions is 2 Beta(b, b) - 1 with
    b = eta - 1 + k / 2 (Lewandowski et al. 2009)."""
    from bayeslogit.priors.scales import lkj_correlation

    rng = np.random.default_rng(k * 10 + int(eta))
    R = np.stack([lkj_correlation(eta, k, rng) for _ in range(3000)])
    assert np.all(np.linalg.eigvalsh(R) > 0)
    b = eta - 1 + k / 2
    for i, j in [(0, 1), (0, k - 1), (k - 2, k - 1)]:
        if i < j:
            assert stats.kstest((R[:, i, j] + 1) / 2, stats.beta(b, b).cdf).pvalue > 1e-3


def test_prior_draws_of_group_terms_match_pymc():
    """numpy's prior draws of sd, correlation and group effects against pm.sample_prior_predictive
    of the model's own PyMC model (two-sample KS), and the prior predictive uses the effects."""
    import pymc as pm

    m = bl.LogitModel("y ~ x + (1 + x | g)", simulate(slope=True), priors={"x|g": bl.HalfNormal(0.5)})
    ours = m.sample_prior_predictive(2000, random_seed=1)["prior"]
    with m.pymc_model:
        ref = pm.sample_prior_predictive(2000, random_seed=2, var_names=["sd_g", "cor_g", "b_g"]).prior
    for name, sel in [("sd_g", (0,)), ("sd_g", (1,)), ("cor_g", (0, 1)), ("b_g", (3, 0)), ("b_g", (5, 1))]:
        a = ours[name].values[0][(slice(None), *sel)]
        b = ref[name].values[0][(slice(None), *sel)]
        assert stats.ks_2samp(a, b).pvalue > 1e-3, (name, sel)
    assert ours["b_g"].dims == ("chain", "draw", "g__level", "g__coef")


def test_prior_predictive_outcomes_include_the_group_effects():
    """Tiny coefficient priors, a wide group sd: the replicated outcomes' group means spread far
    more than Bernoulli(1/2) noise alone (variance ~0.01 over 25 rows per group)."""
    df = simulate()
    m = bl.LogitModel(
        "y ~ x + (1 | g)", df, priors={"Intercept": bl.Normal(0, 0.01), "x": bl.Normal(0, 0.01), "|g": bl.HalfNormal(5)}
    )
    y = m.sample_prior_predictive(300, random_seed=3)["prior_predictive"]["y"].values[0]
    idx = m.design.groups.terms[0].index
    means = np.stack([y[:, idx == j].mean(axis=1) for j in range(8)], axis=1)
    assert np.median(means.var(axis=1)) > 0.05


def test_rough_cross_check_with_statsmodels_variational_glmm():
    """A rough cross-check only (issue 16): statsmodels' BinomialBayesMixedGLM (variational Bayes,
    its own priors) on the same data: population coefficients within 0.3, group effects
    strongly correlated, sds within a factor 2."""
    pytest.importorskip("statsmodels")
    from statsmodels.genmod.bayes_mixed_glm import BinomialBayesMixedGLM

    df = simulate(n_groups=8, per=25, seed=11)
    vb = BinomialBayesMixedGLM.from_formula("y ~ x", {"g": "0 + C(g)"}, df).fit_vb()
    post = bl.LogitModel("y ~ x + (1 | g)", df, priors={"1|g": bl.HalfNormal(1)}).sample(
        draws=500, tune=500, chains=2, random_seed=3, progressbar=False
    )
    np.testing.assert_allclose(post.params.to_numpy(), vb.fe_mean, atol=0.3)
    ours = post.group_effects()["mean"].to_numpy()
    assert np.corrcoef(ours, vb.vc_mean)[0, 1] > 0.9
    sd = float(post.idata.posterior["sd_g"].mean())
    assert 0.5 < sd / float(np.exp(vb.vcp_mean[0])) < 2.0


def test_offset_and_group_effects_together():
    """An offset and a group term in one model: the PyMC density, the training rows'
    log-likelihood and predictions on new rows (seen and unseen level) all add both."""
    df = simulate(n_groups=5, per=20, seed=7)
    df["e"] = np.random.default_rng(7).uniform(0.5, 2.0, len(df))
    m = bl.LogitModel("y ~ x + (1 | g) + offset(np.log(e))", df)
    d = m.design
    np.testing.assert_allclose(d.offset, np.log(df["e"]))
    model = build_model(d, m.priors)
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(3)
    point = {k: rng.normal(size=np.shape(v)) for k, v in model.initial_point().items()}
    ref = _numpy_logp(m, point["beta_normal"], [np.exp(point["sd_g_log__"])], [point["z_g"]], [None])
    assert float(logp(point)) == pytest.approx(ref, rel=1e-9, abs=1e-8)

    post = m.sample(draws=100, tune=150, chains=2, random_seed=2, progressbar=False)
    beta = post.idata.posterior["beta"].values.reshape(-1, 2)
    b = post.idata.posterior["b_g"].values.reshape(beta.shape[0], -1, 1)[..., 0]
    t = d.groups.terms[0]
    eta = beta @ d.X.T + b[:, t.index] + d.offset
    np.testing.assert_allclose(
        post.log_likelihood().values.reshape(eta.shape), d.y * eta - np.logaddexp(0, eta), rtol=1e-10
    )
    new = pd.DataFrame({"x": [0.2, -0.5], "g": ["g1", "unseen"], "e": [3.0, 0.5]})
    eta_new = beta @ d.encode(new).T + np.log(new["e"].to_numpy())
    eta_new[:, 0] += b[:, 1]  # g1 is seen; the unseen level gets zero effect (population)
    np.testing.assert_allclose(post.predict(new, kind="linear")["mean"], eta_new.mean(axis=0), rtol=1e-10)
