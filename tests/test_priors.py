"""Prior specification and resolution."""

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
        assert r.priors[name].sigma == pytest.approx(2.5 / d.X[:, j].std())
    np.testing.assert_allclose(r.x_mean[1:], d.X[:, 1:].mean(axis=0))
    assert r.x_mean[0] == 0


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
        + stats.norm(0, 2.5 / d.X[:, 2].std()).logpdf(0.9)
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
