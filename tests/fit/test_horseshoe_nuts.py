"""The regularized horseshoe on bayeslogit's own NUTS (issue 22): density, routing, names.

The reference is PyMC's compiled ``logp``/``dlogp`` of the model bayeslogit builds for nutpie
(:func:`bayeslogit.fit.pymc_model.build_model`, the horseshoe's ``pymc_variables``), an
independent implementation: at random points of the sampler's position ``theta`` (PyMC's value
variables ``hs_z``, ``hs_tau_log__``, ``hs_c2_log__``, ``hs_lambda_log__``, ``beta_<family>``,
``sd_g_log__``, ``z_g``) the log densities agree up to one constant and the gradients to 1e-8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.fit.nuts.group_density import GroupDensity
from bayeslogit.fit.pymc_model import build_model


def _data(n=60, p=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    eta = 1.5 * X[:, 0] - X[:, 1]
    df = pd.DataFrame(X, columns=[f"x{j}" for j in range(p)])
    df["g"] = np.repeat(list("abcde"), n // 5)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta - 0.4 * (df["g"] == "a")))).astype(int)
    return df


def _sampled(gd):
    return {j for h in gd.hier for j in h[0]}


def _parts(gd, theta):
    """PyMC's value variables at ``theta`` (name -> array)."""
    point = {}
    fams = gd.fixed.priors.by_family(list(gd.fixed.priors.priors))
    for f in fams:
        if f.index[0] not in _sampled(gd):
            point[f"beta_{f.name.lower()}"] = theta[f.index]
    for idx, names, z_name, _, first in gd.hier:
        point[z_name] = theta[idx]
        for name in dict.fromkeys(names):
            rows = [gd.p + first + h for h, n in enumerate(names) if n == name]
            point[f"{name}_log__"] = theta[rows] if name in gd.vectors else theta[rows[0]]
    for lay in gd.layouts:
        point[f"sd_{lay.key}_log__"] = theta[lay.sd0 : lay.sd0 + lay.n_coef]
        point[f"z_{lay.key}"] = theta[lay.z0 : lay.z0 + lay.n_levels * lay.n_coef].reshape(lay.n_levels, lay.n_coef)
    return point


def _grad_in_theta_order(gd, model, flat, point):
    parts, pos = {}, 0
    for v in model.value_vars:
        size = int(np.size(point[v.name]))
        parts[v.name] = flat[pos : pos + size]
        pos += size
    out = np.full(gd.dim, np.nan)
    fams = gd.fixed.priors.by_family(list(gd.fixed.priors.priors))
    for f in fams:
        if f.index[0] not in _sampled(gd):
            out[f.index] = parts[f"beta_{f.name.lower()}"]
    for idx, names, z_name, _, first in gd.hier:
        out[idx] = parts[z_name]
        for name in dict.fromkeys(names):
            rows = [gd.p + first + h for h, n in enumerate(names) if n == name]
            out[rows] = parts[f"{name}_log__"]
    for lay in gd.layouts:
        out[lay.sd0 : lay.sd0 + lay.n_coef] = parts[f"sd_{lay.key}_log__"]
        out[lay.z0 : lay.z0 + lay.n_levels * lay.n_coef] = parts[f"z_{lay.key}"]
    assert not np.isnan(out).any()
    return out


HS = bl.Horseshoe(expected_nonzero=2)


@pytest.mark.parametrize(
    "formula, priors",
    [
        ("y ~ x0 + x1 + x2 + x3 + x4 + x5", HS),  # alone (the intercept too)
        (  # beside Normal and Student-t priors and a hierarchical Normal
            "y ~ x0 + x1 + x2 + x3 + x4 + x5",
            {
                "Intercept": bl.StudentT(3, 0, 2.5),
                "x0": bl.Normal(0, 2),
                "x1": bl.Normal(0.5, bl.HalfNormal(1)),
                "x2": HS,
                "x3": HS,
                "x4": HS,
                "x5": HS,
            },
        ),
        ("y ~ x0 + x1 + x2 + x3 + x4 + x5 + (1 + x0 || g)", {f"x{j}": HS for j in range(6)}),  # beside group terms
    ],
)
def test_log_density_and_gradient_match_pymc(formula, priors):
    m = bl.LogitModel(formula, _data(), priors=priors)
    gd = GroupDensity.from_model(m)
    model = build_model(m.design, m.priors)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    rng = np.random.default_rng(1)
    diffs = []
    for scale in (0.5, 1.0, 2.0, 3.0):  # up to lambda ~ e^6: the slab binds (tau^2 lambda^2 >> c2)
        theta = rng.normal(size=gd.dim) * scale
        lp, g = gd.logp_grad(theta)
        point = _parts(gd, theta)
        ref = _grad_in_theta_order(gd, model, dlogp(point), point)
        np.testing.assert_allclose(g, ref, rtol=1e-8, atol=1e-8 * max(1.0, np.abs(ref).max()))
        diffs.append(lp - float(logp(point)))
    # the same density up to its normalising constants (PyMC keeps them, the kernel drops them)
    np.testing.assert_allclose(diffs, diffs[0], rtol=0, atol=1e-8 * max(1.0, abs(diffs[0])))


@pytest.mark.parametrize(
    "formula, sampler",
    [("y ~ x0 + x1 + x2 + x3 + x4 + x5", "auto"), ("y ~ x0 + x1 + x2 + x3 + x4 + x5 + (1 | g)", "bayeslogit")],
)
def test_auto_samples_it_on_bayeslogits_nuts_with_pymcs_names(formula, sampler):
    """``sampler="auto"`` (and ``"bayeslogit"``) sample the horseshoe on the compiled kernel, and
    the draws carry the variables, dims and coords of PyMC's model (what nutpie's tree holds)."""
    priors = {"Intercept": bl.Normal(0, 2.5), **{f"x{j}": HS for j in range(6)}}
    m = bl.LogitModel(formula, _data(), priors=priors)
    post = m.sample(draws=30, tune=60, chains=2, random_seed=3, progressbar=False, sampler=sampler)
    assert post.sampler == "bayeslogit"
    assert post.idata.sample_stats.attrs["target_accept"] == 0.99  # the horseshoe's default
    model = build_model(m.design, m.priors)
    names = [v.name for v in model.free_RVs + model.deterministics]
    tree = post.idata.posterior
    assert sorted(tree.data_vars) == sorted(names)
    for name in names:
        want = model.named_vars_to_dims.get(name) or ()
        assert tree[name].dims == ("chain", "draw", *want), name
        for dim in want:
            if dim in model.coords:
                assert list(tree[dim].values) == list(model.coords[dim]), dim
    # beta_j = z_j tau lambda~_j (the prior's definition, in numpy), in the priors' coordinates
    tau, c2 = tree["hs_tau"].values[..., None], tree["hs_c2"].values[..., None]
    lam, z = tree["hs_lambda"].values, tree["hs_z"].values
    want = z * tau * np.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    raw = tree["beta"].values @ m.priors.centring_map().T
    hs = [m.design.column_names.index(c) for c in tree["coef_horseshoe"].values]
    np.testing.assert_allclose(raw[..., hs], want, rtol=1e-10, atol=1e-12)
    assert np.all(lam > 0) and np.all(tau > 0) and np.all(c2 > 0)


def test_position_size_counts_the_horseshoes_scales():
    from bayeslogit.fit import sampling

    m = bl.LogitModel("y ~ x0 + x1 + x2 + x3 + x4 + x5 + (1 | g)", _data(), priors={f"x{j}": HS for j in range(6)})
    # 7 coefficients, tau, c2, 6 lambdas, the sd and 5 levels of (1 | g)
    assert sampling._position_size(m) == 7 + 2 + 6 + 1 + 5 == GroupDensity.from_model(m).dim
    assert sampling._groups_on_own_nuts(m, "auto", "nuts", False)
    old = sampling.MAX_GROUP_DIM
    try:
        sampling.MAX_GROUP_DIM = 20
        assert not sampling._groups_on_own_nuts(m, "auto", "nuts", False)
    finally:
        sampling.MAX_GROUP_DIM = old


@pytest.mark.slow  # netCDF save and load, a model rebuilt: about 3-7 s on the shared machine
def test_draws_round_trip_and_feed_the_joint_log_prior(tmp_path):
    """A horseshoe posterior from bayeslogit's NUTS saves and loads, and prior sensitivity's
    joint log prior reads its hs_* draws (checked against scipy's densities, draw by draw)."""
    from scipy import stats

    from bayeslogit.check.diagnostics import joint_log_prior_draws

    m = bl.LogitModel(
        "y ~ x0 + x1 + x2 + x3 + x4 + x5",
        _data(),
        priors={"Intercept": bl.Normal(0, 2.5), "x0": HS, "x1": HS, "x2": HS, "x3": HS, "x4": HS, "x5": HS},
    )
    post = m.sample(draws=40, tune=80, chains=1, random_seed=5, progressbar=False)
    assert post.sampler == "bayeslogit"
    post.save(tmp_path / "hs.nc")
    back = bl.load(tmp_path / "hs.nc")
    np.testing.assert_array_equal(back.draws(), post.draws())
    np.testing.assert_array_equal(back.idata.posterior["hs_lambda"].values, post.idata.posterior["hs_lambda"].values)
    got = joint_log_prior_draws(post)
    p = post.idata.posterior
    tau, c2 = p["hs_tau"].values[0], p["hs_c2"].values[0]
    lam, z = p["hs_lambda"].values[0], p["hs_z"].values[0]
    tau0 = HS.tau0(6, m.design.n_obs, float(m.design.y.mean()))
    want = (
        stats.halfcauchy.logpdf(tau, scale=tau0)
        + stats.halfcauchy.logpdf(lam).sum(axis=1)
        + stats.invgamma.logpdf(c2, 2.0, scale=4.0 * 4.0 / 2)
        + stats.norm.logpdf(z).sum(axis=1)
        + stats.norm.logpdf(p["beta"].values[0][:, 0], 0, 2.5)
    )
    total = sum(v.reshape(v.shape[0], -1).sum(axis=1) for v in got.values())
    np.testing.assert_allclose(total, want, rtol=1e-10)


def test_auto_sends_a_horseshoe_too_large_for_the_dense_metric_to_nutpie(monkeypatch, capsys):
    pytest.importorskip("nutpie")
    from xarray import DataTree

    from bayeslogit.fit import sampling

    seen = {}

    def fake(model, **kw):
        seen.update(kw)
        return DataTree()

    monkeypatch.setattr(sampling.pymc_model, "sample", fake)
    monkeypatch.setattr(sampling, "MAX_GROUP_DIM", 10)  # this model's position: 7 + 2 + 6
    m = bl.LogitModel("y ~ x0 + x1 + x2 + x3 + x4 + x5", _data(), priors=HS)
    kw = {"draws": 10, "tune": None, "chains": 1, "random_seed": 0, "target_accept": 0.99, "method": "nuts"}
    _, used = sampling.sample_posterior(m, sampler="auto", progressbar=True, **kw)
    assert used == seen["sampler"] == "nutpie"
    assert "sampled coefficient scales: sampling with nutpie" in capsys.readouterr().err
