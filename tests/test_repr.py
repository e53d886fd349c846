"""Every public object has a short, informative repr; models and results render as HTML."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.summary import Summary

NO_ADDRESS = re.compile(r"object at 0x")


@pytest.fixture(scope="module")
def model(seed_df):
    return bl.LogitModel("y ~ x1 + x2", seed_df)


@pytest.fixture(scope="module")
def post(model):
    return model.sample(draws=100, tune=100, chains=2, random_seed=1, progressbar=False)


def _one_line(text: str) -> str:
    assert "\n" not in text and len(text) < 200 and not NO_ADDRESS.search(text), text
    return text


def test_model_and_design(model, seed_df):
    assert _one_line(repr(model)) == "<LogitModel 'y ~ x1 + x2': n=500, 3 coef, bernoulli>"
    d = model.design
    assert _one_line(repr(d)) == "<Design 'y ~ x1 + x2': n=500, 3 columns (Intercept, x1, x2), bernoulli>"
    html = model._repr_html_()
    assert "y ~ x1 + x2" in html and "<td>500</td>" in html
    for prior in model.prior_summary()["prior"]:  # the prior of every term is in the table
        assert prior in html
    wide = bl.LogitModel("y ~ " + " + ".join(f"I(x1 ** {k})" for k in range(1, 9)), seed_df).design
    assert _one_line(repr(wide)) == (
        "<Design 'y ~ I(x1 ** 1) + I(x1 ** 2) + I(x1 ** 3) + I(x1 ** 4) + ...': n=500, 9 columns "
        "(Intercept, I(x1 ** 1), I(x1 ** 2), I(x1 ** 3), I(x1 ** 4), I(x1 ** ...), bernoulli>"
    )


def test_point_fits(model):
    mle = model.fit_mle()
    assert _one_line(repr(mle)) == "<MLEResults 'y ~ x1 + x2': n=500, 3 coef, converged>"
    fit = model.fit_map(priors=bl.Normal(0, 1))
    assert _one_line(repr(fit)) == "<MAPResults 'y ~ x1 + x2': n=500, 3 coef, Normal(0, 1), converged>"
    for res in (mle, fit):
        html = res._repr_html_()
        assert "y ~ x1 + x2" in html and "<td>500</td>" in html
        for value in res.params:  # the coefficient table, to the digits shown
            assert f"{value:.4f}" in html
    assert ">MLE<" in mle._repr_html_() and "MAP Normal(0, 1)" in fit._repr_html_()


def test_separated_mle_says_so():
    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1], "x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SeparationWarning)
        mle = bl.LogitModel("y ~ x", df).fit_mle()
    assert _one_line(repr(mle)) == "<MLEResults 'y ~ x': n=6, 2 coef, NOT converged, complete separation: no MLE>"


def test_posterior(post):
    assert _one_line(repr(post)) == (
        "<PosteriorResults 'y ~ x1 + x2': n=500, 3 coef, 2 chains x 100 draws, NUTS (bayeslogit)>"
    )
    html = post._repr_html_()
    assert "NUTS (bayeslogit)" in html and "eti95_lb" in html
    from bayeslogit.summary import format_coef_table

    for value in format_coef_table(post.coef_table())["mean"]:  # rounded to its MCSE, as the CLI prints it
        assert f">{value}<" in html


def test_priors(model):
    for prior in (
        bl.Normal(0, 2.5),
        bl.StudentT(3, 0, 2.5),
        bl.Cauchy(0, 1),
        bl.Flat(),
        bl.Laplace(0, 1),
        bl.ElasticNet(l1=1.0, l2=0.5),
        bl.Horseshoe(),
        bl.Normal(0, bl.HalfNormal(1)),
        bl.HalfNormal(2),
        bl.sklearn_prior(C=2.0, l1_ratio=0.5),
    ):
        text = _one_line(repr(prior))
        assert eval(text, vars(bl)) == prior  # the repr rebuilds the prior
    resolved = model.priors
    text = _one_line(repr(resolved))
    assert text.startswith("<ResolvedPriors Intercept: Normal(0, 2.5), x1: Normal(0, ")
    assert text.endswith("; intercept at centred predictors>")
    assert "<table" in resolved._repr_html_() and "Normal(0, 2.5)" in resolved._repr_html_()


def test_summary_and_diagnostics_show_their_text(post):
    # Summary and Diagnostics are displays: their repr is their text, as statsmodels' summary.
    s = post.summary()
    assert isinstance(s, Summary) and repr(s) == str(s) and "<table" in s._repr_html_()
    diag = post.diagnostics()
    assert repr(diag) == str(diag) and "Posterior diagnostics" in repr(diag) and "<table" in diag._repr_html_()


def test_scale_choice(seed_df):
    choice = bl.scale_by_evidence(bl.LogitModel("y ~ x1 + x2", seed_df))
    text = _one_line(repr(choice))
    assert text.startswith(f"<ScaleChoice C={choice.C:.4g} by ") and np.isfinite(choice.C)
