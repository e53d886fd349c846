"""Prior specification and resolution."""

import json

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl
from bayeslogit.design import build_design
from bayeslogit.priors import parse_prior, resolve_priors


def test_default_is_rstanarm_autoscaled(mixed_df):
    d = build_design("y ~ x1 + C(g)", mixed_df)
    r = resolve_priors(None, d)
    assert r.centered_intercept
    assert r.priors["Intercept"] == bl.Normal(0, 2.5)
    for j, name in enumerate(d.column_names[1:], start=1):
        assert r.priors[name].sigma == pytest.approx(2.5 / d.X[:, j].std(ddof=1))  # R's sd(): n - 1
    np.testing.assert_allclose(r.x_mean[1:], d.X[:, 1:].mean(axis=0))
    assert r.x_mean[0] == 0


def test_default_scale_divides_by_rs_sd_at_n_8():
    """rstanarm's autoscaling divides 2.5 by R's sd() (n - 1 in the denominator): at n = 8 the
    population sd would give a prior 7% wider."""
    import pandas as pd

    x = np.array([0.3, -1.2, 2.5, 0.8, -0.4, 1.9, 0.0, -2.2])
    df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": x})
    sd_r = np.sqrt(((x - x.mean()) ** 2).sum() / (len(x) - 1))  # R: sd(x)
    assert sd_r == pytest.approx(np.std(x, ddof=1))
    expected = 2.5 / sd_r
    assert resolve_priors(None, build_design("y ~ x", df)).priors["x"].sigma == pytest.approx(expected, rel=1e-12)
    with bl.option_context(block_bytes=8):  # the same by row blocks
        assert resolve_priors(None, build_design("y ~ x", df)).priors["x"].sigma == pytest.approx(expected, rel=1e-12)
    # frequency weights: the expanded data's sample sd, sum w (x - m)^2 / (sum w - 1)
    w = np.array([1, 3, 2, 1, 1, 4, 2, 1])
    weighted = resolve_priors(None, build_design("y ~ x", df.assign(w=w), weights="w")).priors["x"].sigma
    assert weighted == pytest.approx(2.5 / np.std(np.repeat(x, w), ddof=1), rel=1e-12)
    assert str(bl.LogitModel("y ~ x", df).priors.priors["x"]) == f"Normal(0, {2.5 / sd_r:.6g})"


def test_single_prior_for_all_slopes_keeps_default_intercept(mixed_df):
    d = build_design("y ~ x1 + x2", mixed_df)
    r = resolve_priors(bl.StudentT(3, 0, 1), d)
    assert r.priors["x1"] == r.priors["x2"] == bl.StudentT(3, 0, 1)
    assert r.priors["Intercept"] == bl.Normal(0, 2.5) and r.centered_intercept


def test_dict_by_term_and_intercept(mixed_df):
    d = build_design("y ~ x1 + C(g)", mixed_df)
    r = resolve_priors({"C(g)": bl.Cauchy(0, 1), "Intercept": bl.Flat()}, d)
    assert r.priors["C(g)[T.b]"] == r.priors["C(g)[T.c]"] == bl.Cauchy(0, 1)
    assert r.priors["Intercept"] == bl.Flat()
    assert not r.centered_intercept and not r.x_mean.any()
    assert r.sources["x1"] == "default" and r.sources["Intercept"] == "user"


def test_joint_logpdf_matches_scipy(mixed_df):
    d = build_design("y ~ x1 + x2", mixed_df)
    r = resolve_priors({"x1": bl.Cauchy(0.5, 2)}, d)
    beta = np.array([0.3, -0.2, 0.9])
    alpha_c = beta[0] + d.X[:, 1:].mean(axis=0) @ beta[1:]
    expected = (
        stats.norm(0, 2.5).logpdf(alpha_c)
        + stats.cauchy(0.5, 2).logpdf(-0.2)
        + stats.norm(0, 2.5 / d.X[:, 2].std(ddof=1)).logpdf(0.9)
    )
    assert r.logpdf(beta) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: bl.Normal(0, 0), r"Normal prior: sigma must be a positive finite number, got 0"),
        (lambda: bl.Normal(0, -1), r"sigma must be a positive finite number, got -1"),
        (lambda: bl.StudentT(0, 0, 1), r"StudentT prior: nu must be a positive"),
        (lambda: bl.Cauchy(np.nan, 1), r"Cauchy prior: mu must be finite"),
        (lambda: bl.Normal("a", 1), r"mu must be a number, got 'a'"),
    ],
)
def test_invalid_prior_parameters(make, match):
    with pytest.raises(bl.PriorError, match=match):
        make()


def test_unknown_prior_key_names_columns(mixed_df):
    d = build_design("y ~ x1", mixed_df)
    with pytest.raises(bl.PriorError, match=r"priors has key 'x9'.*columns are \['Intercept', 'x1'\]"):
        resolve_priors({"x9": bl.Normal(0, 1)}, d)
    with pytest.raises(bl.PriorError, match=r"priors\['x1'\] must be a bayeslogit prior"):
        resolve_priors({"x1": 3.0}, d)
    with pytest.raises(bl.PriorError, match=r"priors must be None, one prior"):
        resolve_priors([bl.Normal(0, 1)], d)


def test_parse_prior():
    assert parse_prior("normal(0, 1)") == bl.Normal(0, 1)
    assert parse_prior("StudentT(3,0,2.5)") == bl.StudentT(3, 0, 2.5)
    assert parse_prior("flat") == bl.Flat()
    with pytest.raises(bl.PriorError, match=r"cannot parse prior 'gamma\(1\)'"):
        parse_prior("gamma(1)")
    with pytest.raises(bl.PriorError, match=r"sigma must be a positive"):
        parse_prior("normal(0, -2)")


# -- each family owns its math (issue 21) ------------------------------------------------------

SMOOTH_FAMILIES = [bl.Normal(0.3, 1.7), bl.StudentT(4, -0.2, 1.3), bl.Cauchy(0.5, 2.0)]
KINKED_FAMILIES = [bl.Laplace(0.2, 0.7), bl.ElasticNet(-0.1, 0.6, 1.5)]


@pytest.mark.parametrize("prior", SMOOTH_FAMILIES + KINKED_FAMILIES, ids=str)
def test_derivs_are_the_derivatives_of_logpdf(prior):
    for x in (-2.3, 0.9, 3.1):  # off every kink
        lp, d1, d2 = prior.derivs(x)
        h = 1e-5
        assert lp == pytest.approx(float(prior.logpdf(x)), rel=1e-14)
        assert d1 == pytest.approx((prior.logpdf(x + h) - prior.logpdf(x - h)) / (2 * h), rel=1e-6, abs=1e-8)
        assert d2 == pytest.approx((prior.derivs(x + h)[1] - prior.derivs(x - h)[1]) / (2 * h), rel=1e-6, abs=1e-8)


def test_flat_derivs_and_flags():
    flat = bl.Flat()
    assert flat.derivs(2.0) == (0.0, 0.0, 0.0)
    assert flat.improper and flat.log_concave and not flat.has_kink and not flat.sampled_scale
    with pytest.raises(bl.PriorError, match="improper"):
        flat.draw(3, np.random.default_rng(0))


def test_a_family_without_its_math_fails_loudly():
    """The base class has no silent default (Newton once gave unknown families Student-t's formula)."""

    class Bare(bl.Prior):
        family_name = "Bare"

        def params(self):
            return {}

    bare = Bare()
    for call in (
        lambda: bare.logpdf(0.0),
        lambda: bare.derivs(0.0),
        lambda: bare.kernel_params(),
        lambda: bare.draw(2, np.random.default_rng(0)),
        lambda: Bare.pymc_distribution(None, "b", [bare], "coef_bare"),
    ):
        with pytest.raises(NotImplementedError):
            call()
    assert str(bare) == "Bare()" and not bare.has_kink and bare.smooth_part() is bare


@pytest.mark.parametrize(
    "prior,expected",
    [
        (bl.Normal(0.5, 2.0), (0, 0.5, 2.0, 1.0)),
        (bl.StudentT(3, -1, 2.5), (1, -1.0, 2.5, 3.0)),
        (bl.Cauchy(0.2, 1.5), (1, 0.2, 1.5, 1.0)),
        (bl.Flat(), (2, 0.0, 1.0, 1.0)),
        (bl.Laplace(0.1, 0.5), (3, 0.1, 0.5, 1.0)),
        (bl.ElasticNet(0.0, 0.5, 2.0), (4, 0.0, 2.0, 2.0)),
    ],
    ids=str,
)
def test_kernel_params_are_the_compiled_samplers_codes(prior, expected):
    assert prior.kernel_params() == expected


@pytest.mark.parametrize("prior", [bl.Normal(0, bl.HalfNormal(1)), bl.Horseshoe(2)], ids=str)
def test_sampled_scale_families_have_no_per_coefficient_kernel_code(prior):
    assert prior.sampled_scale
    with pytest.raises(NotImplementedError, match="not on the compiled sampler"):
        prior.kernel_params()
    assert prior.family_class.kernel_scales([prior]) is not None  # the compiled sampler takes them jointly
    with pytest.raises(NotImplementedError):
        prior.derivs(0.0)


def test_kinks_l1_weights_and_smooth_parts():
    lap, en, nor = bl.Laplace(0.2, 0.5), bl.ElasticNet(0.1, 0.6, 4.0), bl.Normal(0, 1)
    assert (lap.has_kink, lap.kink_location, lap.l1_weight, lap.smooth_part()) == (True, 0.2, 2.0, bl.Flat())
    assert (en.has_kink, en.kink_location, en.l1_weight, en.smooth_part()) == (True, 0.1, 0.6, bl.Normal(0.1, 0.5))
    assert (nor.has_kink, nor.kink_location, nor.l1_weight, nor.smooth_part()) == (False, None, 0.0, nor)
    assert [p.log_concave for p in (lap, en, nor, bl.StudentT(), bl.Cauchy())] == [True, True, True, False, False]


def test_resolved_priors_answer_the_fitters(mixed_df):
    d = build_design("y ~ x1 + x2 + C(g)", mixed_df)
    r = resolve_priors({"x1": bl.Laplace(0, 1), "C(g)": bl.Flat(), "x2": bl.Normal(0, bl.HalfNormal(1))}, d)
    assert r.has_kink and r.sampled_scale and r.log_concave
    assert r.improper_columns == ["C(g)[T.b]", "C(g)[T.c]"]
    groups = r.by_family(d.column_names)
    assert [(g.name, g.dim, g.names) for g in groups] == [
        ("Normal", "coef_normal", ["Intercept"]),
        ("Flat", "coef_flat", ["C(g)[T.b]", "C(g)[T.c]"]),
        ("Laplace", "coef_laplace", ["x1"]),
        ("HierNormal", "coef_hiernormal", ["x2"]),
    ]
    assert r.smooth_part().priors["x1"] == bl.Flat()
    plain = resolve_priors(None, d)
    assert not plain.has_kink and not plain.sampled_scale and plain.improper_columns == [] and plain.log_concave


ALL_PRIORS = [
    bl.Normal(0.5, 2.0),
    bl.Normal(-1, bl.HalfNormal(0.7)),
    bl.StudentT(3, 0, 2.5),
    bl.Cauchy(0, 1),
    bl.Flat(),
    bl.Laplace(0.1, 0.5),
    bl.ElasticNet(0, 0.5, 1.5),
    bl.Horseshoe(2, 1.5, 5),
]


@pytest.mark.parametrize("prior", ALL_PRIORS, ids=str)
def test_registry_json_round_trip(prior):
    from bayeslogit.priors import prior_from_json, prior_to_json

    assert prior_from_json(prior_to_json(prior)) == prior
    assert prior_from_json(json.loads(json.dumps(prior_to_json(prior)))) == prior
    assert parse_prior(str(prior)) == prior  # the text form, too


def test_registry_reads_the_saved_format():
    """The JSON of files saved before the priors package (written by hand here) still loads."""
    from bayeslogit.priors import prior_from_json, prior_to_json, scale_from_json, scale_to_json

    old = {"family": "HierNormal", "params": {"mu": 0.0, "sigma": {"HalfNormal": 1.0}}}
    assert prior_from_json(old) == bl.Normal(0, bl.HalfNormal(1))
    assert prior_to_json(bl.Normal(0, bl.HalfNormal(1))) == old
    assert prior_to_json(bl.Flat()) == {"family": "Flat", "params": {}}
    assert scale_to_json(bl.HalfStudentT(3, 2.5)) == {"HalfStudentT": [3.0, 2.5]}
    assert scale_from_json({"HalfNormal": [1.0]}) == bl.HalfNormal(1)
    with pytest.raises(bl.PriorError, match="unknown prior family 'Gamma'"):
        prior_from_json({"family": "Gamma", "params": {}})


def _fake_posterior(model, draws=60, seed=3):
    """A stand-in for PosteriorResults whose 'posterior' is the model's exact prior draws (same
    variable names as a PyMC posterior), so the joint prior is checked without sampling."""
    from types import SimpleNamespace

    tree = model.sample_prior_predictive(draws, random_seed=seed, predictive=False)
    posterior = tree["prior"].to_dataset()
    beta = posterior["beta"].values.reshape(draws, -1)
    return SimpleNamespace(
        model=model,
        design=model.design,
        coef_names=model.design.column_names,
        idata=SimpleNamespace(posterior=posterior),
        n_chains=1,
        n_draws=draws,
        draws=lambda: beta,
    )


@pytest.mark.parametrize("trials", [False, True])
def test_free_log_prior_equals_the_sensitivity_checks_joint_prior(mixed_df, trials):
    from bayeslogit.check.diagnostics import joint_log_prior_draws
    from bayeslogit.priors import PriorContext

    df = mixed_df.assign(n=3, k=lambda f: f.y + (f.x1 > 0))
    priors = {
        "Intercept": bl.StudentT(3, 0, 2),
        "x1": bl.Normal(0, bl.HalfNormal(1)),
        "x2": bl.Normal(0.5, bl.HalfNormal(2)),
        "C(g)": bl.Horseshoe(1),
        "x1:x2": bl.Normal(0, bl.HalfNormal(1)),
    }
    formula = ("k" if trials else "y") + " ~ x1 * x2 + C(g)"
    model = bl.LogitModel(formula, df, priors=priors, trials="n" if trials else None)
    post = _fake_posterior(model)
    posterior = post.idata.posterior

    def free(var, family):
        return posterior[var].transpose("chain", "draw", ...).values.reshape(post.n_draws, -1)

    ctx = PriorContext.from_design(model.design)
    got = model.priors.free_log_prior(post.draws(), free, ctx)
    want = joint_log_prior_draws(post)
    assert (
        sorted(got) == sorted(want) == ["beta", "hs_c2", "hs_lambda", "hs_tau", "hs_z", "tau", "tau_2", "z_hiernormal"]
    )
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)
    d = model.design
    assert ctx.ybar == float(np.sum(d.y) / (d.n_obs if d.trials is None else np.sum(d.trials)))


def test_free_log_prior_of_independent_families_is_the_beta_block(mixed_df):
    from bayeslogit.check.diagnostics import joint_log_prior_draws
    from bayeslogit.priors import PriorContext

    model = bl.LogitModel("y ~ x1 + x2", mixed_df, priors={"x1": bl.Laplace(0, 1), "x2": bl.ElasticNet(0, 1, 2)})
    post = _fake_posterior(model)
    got = model.priors.free_log_prior(post.draws(), None, PriorContext.from_design(model.design))
    want = joint_log_prior_draws(post)
    assert list(got) == list(want) == ["beta"]
    np.testing.assert_array_equal(got["beta"], want["beta"])


def test_mixed_horseshoe_settings_are_refused(mixed_df):
    model = bl.LogitModel("y ~ x1 + x2 + C(g)", mixed_df, priors={"x1": bl.Horseshoe(1), "C(g)": bl.Horseshoe(1.5)})
    with pytest.raises(bl.PriorError, match="share the same Horseshoe"):
        model.sample_prior_predictive(5, random_seed=1)


# -- issue 26: prior arguments a careless user gives ----------------------------------------------


@pytest.mark.parametrize("mu", ["0", True, np.bool_(False), b"0"])
def test_text_or_bool_arguments_are_refused_by_name(mu):
    with pytest.raises(bl.PriorError, match=r"Normal prior: mu must be a number"):
        bl.Normal(mu, 1)
    with pytest.raises(bl.PriorError, match=r"Normal prior: sigma must be a number"):
        bl.Normal(0, mu)
    with pytest.raises(bl.PriorError, match=r"HalfNormal scale prior: sigma must be a number"):
        bl.HalfNormal(mu)


@pytest.mark.parametrize("sigma", [1e-300, 1e300, 1e-151, 1e151])
def test_a_scale_without_a_finite_square_or_inverse_square_is_a_prior_error(sigma, mixed_df):
    """fit_map() under Normal(0, 1e-300) raised a raw ZeroDivisionError, under 1e300 a raw
    OverflowError: the prior names the limits instead."""
    for make in (lambda s: bl.Normal(0, s), lambda s: bl.StudentT(3, 0, s), lambda s: bl.Laplace(0, s)):
        with pytest.raises(bl.PriorError, match=r"outside \[1e-150, 1e\+150\]"):
            make(sigma)
    for s in (1e-150, 1e150):  # the limits themselves: a MAP fit without a raw error
        fit = bl.LogitModel("y ~ x1", mixed_df, priors=bl.Normal(0, s)).fit_map()
        assert np.isfinite(fit.params).all()


@pytest.mark.parametrize("mu", [1e200, -1e300, 1.0000001e150])
def test_a_location_whose_distance_cannot_be_squared_is_a_prior_error(mu, mixed_df):
    """fit_map() under Normal(1e200, 1) returned zeros without a word ((x - mu)^2 overflowed)."""
    for make in (
        lambda m: bl.Normal(m, 1),
        lambda m: bl.StudentT(3, m, 1),
        lambda m: bl.Cauchy(m, 1),
        lambda m: bl.Laplace(m, 1),
        lambda m: bl.ElasticNet(m, 1, 1),
    ):
        with pytest.raises(bl.PriorError, match=r"mu=.* is outside \[-1e\+150, 1e\+150\]"):
            make(mu)
    fit = bl.LogitModel("y ~ x1", mixed_df, priors=bl.Normal(1e20, 1)).fit_map()  # within: the prior wins
    np.testing.assert_allclose(fit.params["x1"], 1e20, rtol=1e-6)


def test_horseshoe_expecting_as_many_nonzero_as_coefficients_is_refused_on_resolving(mixed_df):
    d = build_design("y ~ x1 + x2", mixed_df)
    for p0 in (2, 3.5):
        with pytest.raises(bl.PriorError, match=rf"expected_nonzero={p0:g} .* coefficients under it \(2\)"):
            resolve_priors(bl.Horseshoe(expected_nonzero=p0), d)
    with pytest.raises(bl.PriorError, match=r"expected_nonzero=1 .* under it \(1\)"):
        bl.LogitModel("y ~ x1 + x2", mixed_df, priors={"x1": bl.Horseshoe(expected_nonzero=1)})
    assert resolve_priors(bl.Horseshoe(expected_nonzero=1.5), d).priors["x2"] == bl.Horseshoe(expected_nonzero=1.5)
