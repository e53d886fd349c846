"""Separation of multinomial and ordinal responses (issue 23): the linear program of
bayeslogit.fit.categorical_separation on data separated or not by construction, the
direction it returns checked by hand (every row's log-likelihood rises along it), the MLE's
warning, and method="laplace" falling back to NUTS."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, log_softmax

import bayeslogit as bl
from bayeslogit.fit.categorical_separation import categorical_separation, no_separation_certificate


def _data(n=200, seed=0, kind="none"):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    y = rng.choice(["a", "b", "c"], size=n)
    if kind == "pair":  # 'c' never occurs at g = v, where 'a' and 'b' both do: one pair direction
        y[(df.g == "v") & (y == "c")] = "a"
    elif kind == "complete":  # outcomes ordered by x: every row on its side
        y = np.array(["a", "b", "c"])[np.digitize(df.x, [-0.4, 0.5])]
    df["y"] = y
    return df


def _ordinal(n=200, seed=1, kind="none"):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    latent = df.x + rng.logistic(size=n)
    lev = np.array(["L", "M", "H"])
    y = lev[np.digitize(latent, [-0.5, 0.8])]
    if kind == "top":  # every row at g = v is at the top level (and some at g = u)
        y[df.g == "v"] = "H"
    elif kind == "complete":
        y = lev[np.digitize(df.x, [-0.5, 0.8])]
    df["y"] = pd.Categorical(y, categories=list(lev), ordered=True)
    return df


def _model(df, family):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bl.LogitModel("y ~ x + g", df, family=family)


def _loglik_rows(model, theta):
    """Every row's log-likelihood at ``theta``, written out by hand."""
    d = model.design
    X, y = d.X, d.y
    if d.family == "multinomial":
        B = np.c_[np.zeros(X.shape[1]), theta.reshape(2, X.shape[1]).T]
        return log_softmax(X @ B, axis=1)[np.arange(len(y)), y]
    eta = X[:, 1:] @ theta[:2]
    ext = np.r_[-np.inf, theta[2:], np.inf]
    return np.log(expit(ext[y + 1] - eta) - expit(ext[y] - eta))


@pytest.mark.parametrize(
    ("family", "make", "kind", "pairs"),
    [
        ("multinomial", _data, "pair", {("a", "c"), ("b", "c")}),
        ("multinomial", _data, "complete", None),
        ("ordinal", _ordinal, "top", {("H", "M")}),
        ("ordinal", _ordinal, "complete", None),
    ],
)
def test_separated_data_are_found_and_the_direction_raises_every_row(family, make, kind, pairs):
    model = _model(make(kind=kind), family)
    d, fam = model.design, model.design.response_family
    sep = categorical_separation(fam, d.X, d.y)
    assert sep is not None and sep.kind == ("complete" if kind == "complete" else "quasi-complete")
    if pairs is not None:
        assert {(fam.levels[a], fam.levels[b]) for a, b in sep.pairs} == pairs
    # the direction, checked without the margins: from the MAP, every row's log-likelihood is
    # non-decreasing along it, and the total rises (towards 0, its supremum, if complete)
    start = model.fit_map(priors=bl.Normal(0, 1)).params.to_numpy()
    steps = [_loglik_rows(model, start + t * sep.direction / np.abs(sep.direction).max()) for t in (0, 10, 100, 1e4)]
    for a, b in zip(steps, steps[1:], strict=False):
        assert np.all(b >= a - 1e-9)
    assert steps[-1].sum() > steps[0].sum() + 1.0
    if kind == "complete":
        assert steps[-1].sum() > -1e-3


@pytest.mark.parametrize(("family", "make"), [("multinomial", _data), ("ordinal", _ordinal)])
def test_data_that_are_not_separated_pass_and_the_mle_matches_statsmodels(family, make):
    model = _model(make(), family)
    d, fam = model.design, model.design.response_family
    assert categorical_separation(fam, d.X, d.y) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no SeparationWarning
        mle = model.fit_mle()
    assert mle.separation is None and mle.converged
    # the MLE exists: statsmodels finds the same finite optimum
    import statsmodels.api as sm
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if family == "multinomial":
        ref = sm.MNLogit(d.y, d.X).fit(disp=0, method="newton", tol=1e-12)
        np.testing.assert_allclose(mle.llf, ref.llf, rtol=1e-9)
    else:
        ref = OrderedModel(d.y, d.X[:, 1:], distr="logit").fit(disp=0, method="newton", maxiter=200)
        assert ref.mle_retvals["converged"]
        np.testing.assert_allclose(mle.llf, ref.llf, rtol=1e-7)
    # and the one-pass certificate proves it at the MLE (no linear program needed)
    M = fam.separation_margins(d.X, d.y).tocsc()
    assert no_separation_certificate(fam, M, d.X, d.y, mle.params.to_numpy()) < 0.9


@pytest.mark.parametrize(("family", "make", "kind"), [("multinomial", _data, "pair"), ("ordinal", _ordinal, "top")])
def test_the_certificate_never_certifies_separated_data(family, make, kind):
    """Stiemke: separated data have no positive multipliers, so the certificate must fail at
    any estimate, here the MAP (finite, where the margin weights are all of a size to count)."""
    model = _model(make(kind=kind), family)
    d, fam = model.design, model.design.response_family
    theta = model.fit_map(priors=bl.Normal(0, 2.5)).params.to_numpy()
    M = fam.separation_margins(d.X, d.y).tocsc()
    assert no_separation_certificate(fam, M, d.X, d.y, theta) >= 1.0
    assert categorical_separation(fam, d.X, d.y, theta) is not None


def test_mle_warns_names_the_pair_and_the_column_even_when_newton_stops_early():
    """A quasi-separated pair ('c' never at g = v). With a loose tol Newton stops at finite
    estimates with standard errors of ~130 and says it converged: the old heuristic (SE above
    1e3 or no convergence) was silent there; the linear program is not."""
    model = _model(_data(kind="pair"), "multinomial")
    with pytest.warns(bl.SeparationWarning) as rec:
        fit = model.fit_mle(tol=1e-4)
    msg = str(rec[0].message)
    assert msg.startswith("quasi-complete separation of 'a' from 'c', 'b' from 'c' along ['c:g[T.v]']")
    assert "use fit_map() or sample()" in msg
    assert fit.bse.max() < 1e3  # what the old heuristic looked at
    assert fit.separation == "quasi-complete" and not fit.converged
    assert "quasi-complete separation: the MLE does not exist" in str(fit.summary())
    ordinal = _model(_ordinal(kind="top"), "ordinal")
    with pytest.warns(bl.SeparationWarning, match=r"^quasi-complete separation of 'H' from 'M' along \['g\[T.v\]'\]"):
        assert ordinal.fit_mle().separation == "quasi-complete"


def test_separation_survives_save_and_load(tmp_path):
    model = _model(_data(kind="pair"), "multinomial")
    with pytest.warns(bl.SeparationWarning):
        fit = model.fit_mle()
    fit.save(tmp_path / "fit.nc")
    assert bl.load(tmp_path / "fit.nc").separation == "quasi-complete"


def test_laplace_falls_back_to_nuts_on_separated_data(monkeypatch):
    import bayeslogit.model as model_module

    class Ran(Exception):
        pass

    def nuts(*args, **kwargs):
        raise Ran

    monkeypatch.setattr(model_module, "sample_categorical", nuts)
    model = bl.LogitModel("y ~ x + g", _data(kind="pair"), family="multinomial", priors=bl.Normal(0, 2.5))
    with pytest.warns(
        bl.BayeslogitWarning,
        match=r"method='laplace': quasi-complete separation of 'a' from 'c'.*heavy tail.*sampling with NUTS instead",
    ):
        with pytest.raises(Ran):
            model.sample(draws=100, chains=2, random_seed=1, method="laplace")
    # not separated: Laplace runs (no NUTS)
    ok = bl.LogitModel("y ~ x + g", _data(), family="multinomial", priors=bl.Normal(0, 2.5))
    assert ok.sample(draws=100, chains=2, random_seed=1, method="laplace").sampler == "laplace+psis"


def test_flat_priors_on_separated_data_warn_that_the_posterior_is_improper(monkeypatch):
    """Flat priors on every parameter of quasi-separated data: the posterior is improper, as
    for binary data; with a proper prior on the intercept (centred) and a Flat slope, a
    direction must leave the centred intercept in place, and here none separates."""
    import bayeslogit.model as model_module
    from bayeslogit.fit.categorical_separation import improper_separation

    class Ran(Exception):
        pass

    def nuts(*args, **kwargs):
        raise Ran

    monkeypatch.setattr(model_module, "sample_categorical", nuts)
    df = _data(kind="pair")
    flat = bl.LogitModel("y ~ x + g", df, family="multinomial", priors={"Intercept": bl.Flat(), "g[T.v]": bl.Flat()})
    with pytest.warns(
        bl.SeparationWarning,
        match=r"^quasi-complete separation of 'a' from 'c'.*Flat prior \['Intercept', 'g\[T.v\]'\]: the posterior is improper",
    ):
        with pytest.raises(Ran):
            flat.sample(draws=10, chains=1, random_seed=1)
    # the separating direction needs the g column: a proper prior on it makes the posterior proper
    proper_g = bl.LogitModel("y ~ x + g", df, family="multinomial", priors={"Intercept": bl.Flat(), "x": bl.Flat()})
    assert improper_separation(proper_g)[0] is None
    assert improper_separation(_model(df, "multinomial")) == (None, [])
    # ordinal: the cutpoints' prior is the intercept's at centred predictors, which a step of g
    # alone shifts, so a Flat g with a proper intercept prior leaves the posterior proper
    top = _ordinal(kind="top")
    for priors, kind in (
        ({"g[T.v]": bl.Flat()}, None),
        ({"g[T.v]": bl.Flat(), "Intercept": bl.Flat()}, "quasi-complete"),
    ):
        sep = improper_separation(bl.LogitModel("y ~ x + g", top, family="ordinal", priors=priors))[0]
        assert (sep and sep.kind) == kind


def test_margins_and_their_weights_by_hand():
    """The margin matrix, row by row from its definition (reference level in the middle), and
    the margin weights: M' a is the log-likelihood's gradient."""
    from bayeslogit.response_categorical import Multinomial

    rng = np.random.default_rng(4)
    X, y, w = rng.normal(size=(40, 3)), rng.integers(0, 4, size=40), rng.integers(1, 3, size=40).astype(float)
    fam = Multinomial(("a", "b", "c", "d"), reference=2, weights=w)
    block = {0: 0, 1: 1, 3: 2}
    rows = []
    for k in range(4):
        for i in np.flatnonzero(y != k):
            r = np.zeros(9)
            if y[i] in block:
                r[3 * block[y[i]] : 3 * block[y[i]] + 3] += X[i]
            if k in block:
                r[3 * block[k] : 3 * block[k] + 3] -= X[i]
            rows.append(r)
    M = fam.separation_margins(X, y)
    np.testing.assert_array_equal(M.toarray(), np.array(rows))
    theta = rng.normal(size=9)
    grad = fam.loglik_grad_hess(X, y, theta, hessian=False)[1]
    np.testing.assert_allclose(M.T @ fam.margin_weights(X, y, theta), grad, atol=1e-12)
    # ordinal: the upper and lower margins' weights give the gradient too
    from bayeslogit.response_categorical import Ordinal

    od = Ordinal(("a", "b", "c", "d"), intercept=None, weights=w)
    theta = np.r_[rng.normal(size=3), -1.0, 0.2, 1.5]
    grad = od.loglik_grad_hess(X, y, theta, hessian=False)[1]
    np.testing.assert_allclose(od.separation_margins(X, y).T @ od.margin_weights(X, y, theta), grad, atol=1e-12)
