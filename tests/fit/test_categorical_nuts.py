"""bayeslogit's NUTS on multinomial and ordinal models (issue 23).

The compiled density (:mod:`bayeslogit.fit.nuts.categorical_kernel`) against PyMC's compiled
``logp`` and ``dlogp`` of :func:`bayeslogit.fit.categorical_pymc.build_categorical_model` at
random points (the same posterior: equal up to a constant, gradients equal); the draws against
a long nutpie run, and the sampler choice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.fit.categorical_pymc import build_categorical_model, param_labels
from bayeslogit.fit.nuts.categorical_density import CategoricalDensity, theta_of, z_of


def _frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(1.0, 2.0, size=n),
            "g": rng.choice(["u", "v"], size=n),
            "off": 0.3 * rng.normal(size=n),
            "w": rng.integers(1, 4, size=n),
        }
    )
    df["y"] = rng.choice(["a", "b", "c", "d"], size=n)
    df["yo"] = pd.Categorical(df["y"], ["a", "b", "c", "d"], ordered=True)
    return df


MIXED = {
    "Intercept": bl.Normal(0.5, 3.0),
    "x1": bl.StudentT(4, 0.5, 1.5),
    "x2": bl.Laplace(0.1, 1.0),
    "g[T.v]": bl.Cauchy(0, 2),
}


class _Symmetric:
    """A design whose family is scikit-learn's symmetric multinomial parameterization."""

    def __init__(self, design):
        self._d = design
        self.response_family = design.response_family.with_symmetric(True)

    def __getattr__(self, name):
        return getattr(self._d, name)


def _pymc_point(pm_model, dens, z):
    names = [v.name for v in pm_model.value_vars]
    if "coefs" in names:
        return {"coefs": z}
    q = int(dens.cat[3])
    return {"slopes": z[:q], "cutpoints_free_ordered__": z[q:]}


def _compare(model, *, symmetric=False, n_points=4, seed=1):
    """Our log density minus PyMC's at random points (must be one constant) and the largest
    gradient difference."""
    design = _Symmetric(model.design) if symmetric else model.design
    pm_model = build_categorical_model(design, model.priors)
    logp, dlogp = pm_model.compile_logp(), pm_model.compile_dlogp()
    fam = design.response_family
    dens = CategoricalDensity.from_model(model, family=fam if symmetric else None)
    rng = np.random.default_rng(seed)
    diffs, gerr = [], []
    for _ in range(n_points):
        z = rng.normal(scale=0.7, size=dens.dim)
        point = _pymc_point(pm_model, dens, z)
        g_ref = dict(
            zip(
                [v.name for v in pm_model.value_vars],
                np.split(dlogp(point), np.cumsum([point[v.name].size for v in pm_model.value_vars])[:-1]),
                strict=True,
            )
        )
        g_ref = np.concatenate([g_ref[k] for k in ("slopes", "cutpoints_free_ordered__", "coefs") if k in g_ref])
        lp, g = dens.logp_grad(z)
        diffs.append(lp - float(logp(point)))
        gerr.append(float(np.max(np.abs(g - g_ref) / (1.0 + np.abs(g_ref)))))
    return np.ptp(diffs), max(gerr)


CASES = pytest.mark.parametrize(
    ("formula", "family", "priors", "weights", "symmetric"),
    [
        ("y ~ x1 + x2 + g", "multinomial", None, None, False),  # the default priors (centred intercept)
        ("y ~ x1 + x2 + g", "multinomial", MIXED, "w", False),
        ("y ~ x1 + x2 + g", "multinomial", bl.Normal(0, 1.5), None, True),
        ("yo ~ x1 + x2 + g", "ordinal", None, None, False),
        ("yo ~ x1 + x2 + g + offset(off)", "ordinal", MIXED, "w", False),
        ("yo ~ x1 + x2 + g", "ordinal", bl.ElasticNet(1.0, 0.5), None, False),
    ],
    ids=["multinomial", "multinomial-mixed-weights", "symmetric", "ordinal", "ordinal-offset-mixed-weights", "elastic"],
)


def _model(formula, family, priors, weights):
    if priors is not None and not isinstance(priors, dict):
        priors = {"Intercept": bl.Normal(0, 2.0), "x1": priors, "x2": priors, "g[T.v]": priors}
    return bl.LogitModel(formula, _frame(), family=family, priors=priors, weights=weights)


@CASES
def test_density_equals_the_numpy_log_posterior(formula, family, priors, weights, symmetric):
    """Against the MAP's numpy objective (the family's ``loglik_grad_hess``, checked against
    statsmodels elsewhere, and ``log_prior``), plus the ordered transform's Jacobian by hand."""
    from bayeslogit.fit.categorical import log_prior

    model = _model(formula, family, priors, weights)
    d = model.design
    fam = d.response_family.with_symmetric(True) if symmetric else d.response_family
    dens = CategoricalDensity.from_model(model, family=fam)
    rng = np.random.default_rng(2)
    blocks = fam.prior_blocks(d.n_coef)
    diffs = []
    for _ in range(4):
        z = rng.normal(scale=0.7, size=dens.dim)
        theta = theta_of(z, dens.cat)
        ll, g_ll, _ = fam.loglik_grad_hess(d.X, d.y, theta, d.offset, hessian=False)
        lp, g_lp, _ = log_prior(model.priors, blocks, theta)
        ref, g_theta = ll + lp, g_ll + g_lp
        if family == "ordinal":  # theta_q+j = z_q + sum_{1 <= l <= j} exp(z_q+l), Jacobian sum of those z
            q = dens.dim - (fam.n_outcomes - 1)
            D = np.eye(dens.dim)
            for j in range(q, dens.dim):
                D[j, q] = 1.0
                for k in range(q + 1, j + 1):
                    D[j, k] = np.exp(z[k])
            ref += z[q + 1 :].sum()
            g_ref = D.T @ g_theta + np.r_[np.zeros(q + 1), np.ones(dens.dim - q - 1)]
        else:
            g_ref = g_theta
        value, g = dens.logp_grad(z)
        diffs.append(value - ref)
        np.testing.assert_allclose(g, g_ref, rtol=1e-9, atol=1e-9)
    assert np.ptp(diffs) < 1e-9 * max(1.0, abs(ref))


@pytest.mark.slow  # PyMC compiles each model's logp and dlogp (seconds each)
@CASES
def test_density_equals_pymc_models(formula, family, priors, weights, symmetric):
    spread, gerr = _compare(_model(formula, family, priors, weights), symmetric=symmetric)
    assert spread < 1e-9
    assert gerr < 1e-9


def test_ordered_transform_round_trip():
    """z <-> theta as PyMC's ordered transform: theta = cumsum of [u_1, exp(u_2), ...] (PyMC's
    own transform: the slow test against its model)."""
    cat = np.array([2, 4, 1, 2, 0, 0, 0, 0])
    z = np.array([0.3, -1.0, 0.2, -0.5, 1.1])
    theta = theta_of(z, cat)
    np.testing.assert_allclose(
        theta, [0.3, -1.0, 0.2, 0.2 + np.exp(-0.5), 0.2 + np.exp(-0.5) + np.exp(1.1)], rtol=1e-14
    )
    np.testing.assert_allclose(z_of(theta, cat), z, rtol=1e-12)
    np.testing.assert_array_equal(theta_of(z, np.array([1, 3, 2, 2, -1, 0, 1])), z)


# -- the sampler ------------------------------------------------------------------------------


def test_bayeslogit_sampler_runs_the_categorical_kernel_with_pymcs_layout():
    """``sampler="bayeslogit"`` (and ``"auto"``) sample with the kernel: ``theta`` (dims
    ``param``, labelled as the fits' ``params``), sampler statistics, the same draws for the
    same seed; ordinal draws keep their cutpoints ordered."""
    df = _frame()
    for formula, family in (("y ~ x1 + g", "multinomial"), ("yo ~ x1 + g + offset(off)", "ordinal")):
        model = bl.LogitModel(formula, df, family=family)
        post = model.sample(draws=100, chains=2, random_seed=3, sampler="bayeslogit", progressbar=False)
        assert post.sampler == "bayeslogit"
        th = post.idata.posterior["theta"]
        assert th.dims == ("chain", "draw", "param") and th.shape[:2] == (2, 100)
        assert list(th["param"].values) == param_labels(
            model.design.response_family.param_index(model.design.column_names)
        )
        assert {"diverging", "energy", "tree_depth", "step_size"} <= set(post.idata.sample_stats.data_vars)
        assert post.idata.posterior.attrs["sampling_library"] == "bayeslogit (numba NUTS)"
        again = model.sample(draws=100, chains=2, random_seed=3, progressbar=False)
        assert again.sampler == "bayeslogit"
        np.testing.assert_array_equal(again.idata.posterior["theta"].values, th.values)
        if family == "ordinal":
            assert np.all(np.diff(th.values[..., -3:], axis=-1) > 0)


def test_without_a_mode_auto_falls_back_and_bayeslogit_says_why(monkeypatch):
    """No posterior mode (Newton's method fails): ``required`` raises a SamplerError naming the
    way out, otherwise None (the caller runs PyMC's model); likewise a position above MAX_DIM
    for ``"auto"``; priors with a sampled scale are refused."""
    from bayeslogit.fit.nuts import categorical_density
    from bayeslogit.fit.nuts.density import Mode

    model = bl.LogitModel("y ~ x1", _frame(), family="multinomial")
    kw = dict(draws=10, tune=10, chains=1, random_seed=1, target_accept=0.8)
    assert categorical_density.sample_categorical_model(model, required=False, **kw) is not None
    monkeypatch.setattr(categorical_density, "MAX_DIM", 3)
    assert categorical_density.sample_categorical_model(model, required=False, **kw) is None
    monkeypatch.undo()
    monkeypatch.setattr(
        categorical_density.CategoricalDensity, "start", lambda self, m: Mode(np.zeros(6), np.eye(6), False, 100)
    )
    assert categorical_density.sample_categorical_model(model, required=False, **kw) is None
    with pytest.raises(bl.SamplerError, match="proper priors"):
        model.sample(sampler="bayeslogit", progressbar=False, draws=10, tune=10, chains=1)
    hier = bl.LogitModel("y ~ x1", _frame(), family="multinomial", priors=bl.Normal(0, bl.HalfNormal(1.0)))
    with pytest.raises(bl.SamplerError, match="fixed scale"):
        hier.sample(sampler="bayeslogit", progressbar=False, draws=10, tune=10, chains=1)


@pytest.mark.slow  # nutpie compiles PyMC's model; 4 x 2000 draws each
@pytest.mark.parametrize("family", ["multinomial", "ordinal"])
def test_draws_agree_with_a_long_nutpie_run(family):
    """Posterior means within 4 combined Monte Carlo standard errors of nutpie's on PyMC's model,
    sds within 12%, under mixed prior families (Student-t, Laplace, Cauchy) and, for the ordinal
    model, an offset and frequency weights."""
    import arviz as az

    pytest.importorskip("nutpie")
    formula = "y ~ x1 + x2 + g" if family == "multinomial" else "yo ~ x1 + x2 + g + offset(off)"
    model = bl.LogitModel(formula, _frame(n=300, seed=4), family=family, priors=MIXED, weights="w")
    runs = {
        s: model.sample(draws=2000, chains=4, random_seed=8, sampler=s, progressbar=False).idata.posterior["theta"]
        for s in ("bayeslogit", "nutpie")
    }
    ours, ref = runs["bayeslogit"], runs["nutpie"]
    assert float(az.rhat(ours).max()) < 1.01
    se = np.sqrt(az.mcse(ours).values ** 2 + az.mcse(ref).values ** 2)
    diff = ours.mean(("chain", "draw")).values - ref.mean(("chain", "draw")).values
    assert np.all(np.abs(diff) < 4 * se), diff / se
    np.testing.assert_allclose(ours.std(("chain", "draw")).values, ref.std(("chain", "draw")).values, rtol=0.12)
