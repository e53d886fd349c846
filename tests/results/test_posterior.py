"""NUTS through the model: recovery of known truth, reproducibility, results interface."""

import importlib.util

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl
from bayeslogit.datasets import SEED_TRUTH


@pytest.fixture(scope="module")
def seed_post(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    return m.sample(draws=1000, tune=500, chains=4, random_seed=11, progressbar=False)


def test_recovers_truth_within_3_posterior_sd(seed_post):
    table = seed_post.coef_table()
    for name, truth in SEED_TRUTH.items():
        assert abs(table.loc[name, "mean"] - truth) < 3 * table.loc[name, "sd"], name
    assert table["r_hat"].max() <= 1.01
    assert table["ess_bulk"].min() > 400


def test_params_and_table_are_labelled(seed_post):
    assert list(seed_post.params.index) == ["Intercept", "x1", "x2"]
    table = seed_post.coef_table(ci_prob=0.95)
    assert list(table.columns[:4]) == ["mean", "sd", "eti95_lb", "eti95_ub"]
    draws = seed_post.draws()
    np.testing.assert_allclose(table["mean"], draws.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["eti95_lb"], np.quantile(draws, 0.025, axis=0), rtol=1e-2)
    assert {"ess_bulk", "ess_tail", "r_hat"} <= set(table.columns)


def test_summary_text_names_everything(seed_post):
    text = str(seed_post.summary())
    for piece in ("y ~ x1 + x2", "Intercept", "x1", "x2", "Bernoulli", "NUTS", "Max R-hat", "Normal(0, 2.5)"):
        assert piece in text
    assert "<table" in seed_post.summary()._repr_html_()


def test_log_likelihood_on_demand_matches_scipy(seed_post, seed_df):
    assert "log_likelihood" not in seed_post.idata.children  # not materialised by default
    ll = seed_post.log_likelihood()
    assert ll.dims == ("chain", "draw", "obs")
    beta = seed_post.idata.posterior["beta"].isel(chain=2, draw=7).values
    eta = beta[0] + seed_df.x1 * beta[1] + seed_df.x2 * beta[2]
    expected = stats.bernoulli(1 / (1 + np.exp(-eta))).logpmf(seed_df.y)
    np.testing.assert_allclose(ll.isel(chain=2, draw=7).values, expected, rtol=1e-10)


def _small(df, **kw):
    return bl.LogitModel("y ~ x1 + x2", df).sample(draws=60, tune=60, chains=2, progressbar=False, **kw)


@pytest.mark.parametrize(
    "sampler",
    ["pymc", pytest.param("nutpie", marks=pytest.mark.slow)],  # nutpie: over 5 s (it compiles)
)
def test_same_seed_same_draws_and_other_seed_differs(seed_df, sampler):
    if sampler == "nutpie":
        pytest.importorskip("nutpie")
    a = _small(seed_df, random_seed=5, sampler=sampler)
    b = _small(seed_df, random_seed=5, sampler=sampler)
    c = _small(seed_df, random_seed=6, sampler=sampler)
    assert a.sampler == sampler
    np.testing.assert_array_equal(a.draws(), b.draws())
    assert not np.array_equal(a.draws(), c.draws())


_REPRO_SCRIPT = """
import sys, numpy as np, bayeslogit as bl
from bayeslogit.datasets import simulate_seed
df = simulate_seed(500, random_seed=20261128)
for sampler in sys.argv[2:]:
    post = bl.LogitModel("y ~ x1 + x2", df).sample(draws=60, tune=60, chains=2, progressbar=False,
                                                   random_seed=5, sampler=sampler)
    np.save(f"{sys.argv[1]}/{sampler}.npy", post.draws())
"""


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_same_seed_same_draws_in_a_fresh_process(seed_df, tmp_path):
    """Across runs: a new interpreter (other hash seed, fresh compile caches) gives the same bits."""
    import os
    import subprocess
    import sys

    samplers = ["pymc"] + (["nutpie"] if importlib.util.find_spec("nutpie") else [])
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": root}
    subprocess.run(
        [sys.executable, "-c", _REPRO_SCRIPT, str(tmp_path), *samplers], env=env, check=True, capture_output=True
    )
    for sampler in samplers:
        here = _small(seed_df, random_seed=5, sampler=sampler).draws()
        np.testing.assert_array_equal(np.load(tmp_path / f"{sampler}.npy"), here, err_msg=sampler)


def test_aggregated_binomial_equals_bernoulli_posterior(mixed_df):
    """Grouping identical rows into counts leaves the likelihood (and so the posterior) unchanged."""
    df = mixed_df.assign(xg=np.round(mixed_df.x1))  # few distinct covariate values
    agg = df.groupby("xg", as_index=False).agg(k=("y", "sum"), n=("y", "size"))
    priors = {"Intercept": bl.Normal(0, 2), "xg": bl.Normal(0, 1)}
    kw = dict(draws=1000, tune=500, chains=2, random_seed=3, progressbar=False)
    bern = bl.LogitModel("y ~ xg", df, priors=priors).sample(**kw).coef_table()
    binom = bl.LogitModel("k ~ xg", agg, trials="n", priors=priors).sample(**kw).coef_table()
    mcse = np.hypot(bern["mcse_mean"], binom["mcse_mean"])
    assert np.all(np.abs(bern["mean"] - binom["mean"]) < 4 * mcse)


def test_formula_features_sample_with_labels(mixed_df):
    m = bl.LogitModel("yes_no ~ x1 * x2 + C(g)", mixed_df, event="yes")
    post = m.sample(draws=100, tune=100, chains=2, random_seed=2, progressbar=False)
    assert list(post.coef_table().index) == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1", "x2", "x1:x2"]


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"draws": 0}, r"draws must be an integer >= 1, got 0"),
        ({"chains": 1.5}, r"chains must be an integer >= 1, got 1.5"),
        ({"target_accept": 1.2}, r"target_accept must be a probability in \(0, 1\), got 1.2"),
        (
            {"sampler": "stan"},
            r"sampler must be 'auto', 'bayeslogit', 'pymc', 'nutpie' or 'numpyro', got 'stan'",
        ),
    ],
)
def test_sample_argument_errors(seed_df, kwargs, match):
    with pytest.raises(bl.ArgumentError, match=match):  # SamplerError before issue 21
        bl.LogitModel("y ~ x1", seed_df).sample(**kwargs)


def test_import_does_not_import_pymc():
    import subprocess
    import sys

    code = "import sys, bayeslogit; print('pymc' in sys.modules, 'pytensor' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


@pytest.mark.slow
def test_recovery_long_run_agrees_with_mle_scale(seed_df):
    """Long run on a bigger sample: posterior means within 3 sd of truth, and R-hat <= 1.01."""
    from bayeslogit.datasets import simulate_seed

    df = simulate_seed(5000, random_seed=99)
    post = bl.LogitModel("y ~ x1 + x2", df).sample(draws=2000, tune=1000, chains=4, random_seed=1, progressbar=False)
    table = post.coef_table()
    for name, truth in SEED_TRUTH.items():
        assert abs(table.loc[name, "mean"] - truth) < 3 * table.loc[name, "sd"], name
    assert table["r_hat"].max() <= 1.01


def test_log_likelihood_true_stores_the_group_and_warns_with_its_size(seed_df, monkeypatch):
    model = bl.LogitModel("y ~ x1 + x2", seed_df)
    monkeypatch.setitem(bl.options, "log_likelihood_warn_bytes", 1000)
    with pytest.warns(bl.BayeslogitWarning, match=r"2 chains x 60 draws x 500 rows x 8 bytes = 480.0 kB"):
        post = model.sample(draws=60, tune=60, chains=2, random_seed=3, progressbar=False, log_likelihood=True)
    group = post.idata["log_likelihood"]["y"]
    assert group.shape == (2, 60, 500)
    beta = post.idata.posterior["beta"].values
    eta = np.einsum("cdk,nk->cdn", beta, post.design.X)
    ref = stats.bernoulli(1 / (1 + np.exp(-eta))).logpmf(post.design.y)
    np.testing.assert_allclose(group.values, ref, rtol=1e-10)


def test_coef_table_hdi_is_arviz_hdi(seed_post):
    import arviz_stats as azs

    table = seed_post.coef_table(kind="hdi", ci_prob=0.9)
    assert list(table.columns[:4]) == ["mean", "sd", "hdi90_lb", "hdi90_ub"]
    ref = azs.hdi(seed_post.idata.posterior["beta"], prob=0.9)
    np.testing.assert_allclose(table[["hdi90_lb", "hdi90_ub"]].to_numpy(), ref.to_numpy(), rtol=1e-12)
    assert list(seed_post.coef_table().columns[2:4]) == ["eti95_lb", "eti95_ub"]  # the default stays ETI
    with pytest.raises(bl.ArgumentError, match=r"kind must be 'eti'"):
        seed_post.coef_table(kind="hpd")


def test_odds_ratios_per_units_of_draws(seed_post):
    per = seed_post.odds_ratios(per=10)
    b = seed_post.draws()
    np.testing.assert_allclose(per["median"].iloc[1:], np.median(np.exp(10 * b[:, 1:]), axis=0), rtol=1e-12)
    assert per["median"].iloc[0] == pytest.approx(np.median(np.exp(b[:, 0])))


def test_to_arviz_gives_the_groups_raw_arviz_needs(seed_df, monkeypatch):
    import arviz_stats as azs

    post = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, 2)).sample(
        draws=100, tune=100, chains=2, random_seed=3, progressbar=False
    )
    with pytest.raises(TypeError):  # what a user meets today on post.idata
        azs.loo(post.idata)
    monkeypatch.setitem(bl.options, "log_likelihood_warn_bytes", 1000)
    with pytest.warns(bl.BayeslogitWarning, match=r"2 chains x 100 draws x 500 rows"):
        tree = post.to_arviz()
    assert "log_likelihood" not in post.idata.children and "log_prior" not in post.idata.children
    assert tree["log_likelihood"]["y"].shape == (2, 100, 500)
    assert azs.loo(tree).elpd == pytest.approx(post.loo().elpd_data.elpd, rel=1e-12)
    lp = tree["log_prior"]["beta"]
    assert lp.dims == ("chain", "draw", "coef") and list(lp["coef"].values) == post.coef_names
    b = post.idata.posterior["beta"].values @ post.model.priors.centring_map().T  # the intercept's: centred
    sd = np.array([2.5, 2.0, 2.0])  # the intercept keeps its default Normal(0, 2.5)
    np.testing.assert_allclose(lp.values, stats.norm(0, sd).logpdf(b), rtol=1e-10)
    sense = azs.psense_summary(tree)
    assert list(sense.index) == ["beta[Intercept]", "beta[x1]", "beta[x2]"]
    from bayeslogit.check.sensitivity import prior_sensitivity

    np.testing.assert_allclose(sense["prior"], prior_sensitivity(post)["prior"], atol=0.02)
    monkeypatch.setitem(bl.options, "log_likelihood_warn_bytes", 2**40)
    assert set(post.to_arviz(log_likelihood=False, log_prior=True).children) >= {"posterior", "log_prior"}
    assert "log_likelihood" not in post.to_arviz(log_likelihood=False, log_prior=True).children
    azp = pytest.importorskip("arviz_plots")
    post.sample_posterior_predictive(random_seed=1)  # plot_loo_pit also needs posterior_predictive
    azp.plot_loo_pit(post.to_arviz(log_prior=False), backend="matplotlib")


def test_to_arviz_log_prior_of_a_hierarchical_prior_is_pymcs(seed_df):
    import arviz_stats as azs

    post = bl.LogitModel(
        "y ~ x1 + x2", seed_df, priors={"x1": bl.Normal(0, bl.HalfNormal(1)), "x2": bl.Normal(0, bl.HalfNormal(1))}
    ).sample(draws=100, tune=100, chains=2, random_seed=3, progressbar=False)
    tree = post.to_arviz()
    assert {"tau", "z_hiernormal"} <= set(tree["log_prior"].data_vars)
    assert azs.psense_summary(tree).shape[0] >= 3


def test_summary_rounds_as_the_cli_does(seed_post):
    """print(post.summary()) showed ESS as 5070.5671 and MCSE as 0.0000: now the CLI's rounding
    (ESS as integers, MCSE to 2 significant digits, estimates to their MCSE)."""
    from bayeslogit.summary import format_coef_table, significant

    text = str(seed_post.summary())
    table = seed_post.coef_table()
    shown = format_coef_table(table)
    for term in table.index:
        assert f"{table.loc[term, 'ess_bulk']:.0f}" == shown.loc[term, "ess_bulk"]
        assert shown.loc[term, "mcse_mean"] == significant(table.loc[term, "mcse_mean"])
        row = next(line for line in text.splitlines() if line.split()[:1] == [term])
        assert shown.loc[term, "ess_bulk"] in row.split() and shown.loc[term, "mcse_mean"] in row.split()
        assert f"{table.loc[term, 'ess_bulk']:.4f}" not in row
    assert "0.0000" not in text
    assert table["ess_bulk"].dtype.kind == "f"  # the table itself keeps its numbers
