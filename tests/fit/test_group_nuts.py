"""Group terms on bayeslogit's own NUTS (issue 22): the compiled density against PyMC's.

The reference is PyMC's compiled ``logp``/``dlogp`` of the model bayeslogit builds for nutpie
(:func:`bayeslogit.fit.pymc_model.build_model`), an independent implementation of the same
model: at random points of the sampler's position ``theta`` (mapped to PyMC's value variables:
``beta_normal = T beta``, ``sd_g_log__``, ``z_g``) the log densities agree up to one constant
and the gradients to 1e-8. PyMC's transform of the LKJ Cholesky factor is not Stan's, so for a
correlated term the density *without* Jacobians is compared (PyMC ``jacobian=False``), the
Jacobian of the tanh/partial-correlation transform against a finite-difference determinant, and
the gradient against finite differences of the compiled density.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.datasets import bugs_seeds
from bayeslogit.fit.nuts.group_density import GroupDensity, cholesky_corr
from bayeslogit.fit.pymc_model import build_model


def _seeds():
    df = bugs_seeds()
    df["blk"] = ["a", "b", "c"] * 7  # a second grouping factor, crossed with plate
    df["expo"] = np.linspace(-0.5, 0.5, 21)  # an offset
    return df


def _families(gd: GroupDensity):
    return gd.fixed.priors.by_family(list(gd.fixed.priors.priors))


def _sampled(gd: GroupDensity) -> set:
    return {j for h in gd.hier for j in h[0]}


def _pymc_point(gd: GroupDensity, theta: np.ndarray, transform=None) -> dict:
    """PyMC's value variables at ``theta``: the population block is in the priors' coordinates
    (``raw = T beta``: PyMC's ``beta_<family>``), or ``z`` under a sampled scale."""
    raw = theta[: gd.p]
    point = {f"beta_{f.name.lower()}": raw[f.index] for f in _families(gd) if f.index[0] not in _sampled(gd)}
    for idx, taus, z_name, _, first in gd.hier:
        point[z_name] = theta[idx]
        for h, name in enumerate(taus):
            point[f"{name}_log__"] = theta[gd.p + first + h]
    for lay in gd.layouts:
        k = lay.n_coef
        point[f"sd_{lay.key}_log__"] = theta[lay.sd0 : lay.sd0 + k]
        point[f"z_{lay.key}"] = theta[lay.z0 : lay.z0 + lay.n_levels * k].reshape(lay.n_levels, k)
        if lay.chol0 >= 0:
            import pytensor.tensor as pt

            L = cholesky_corr(theta[lay.chol0 : lay.chol0 + lay.n_chol], k)
            point[f"L_{lay.key}_cholesky_corr__"] = transform.forward(pt.as_tensor(L)).eval()
    return point


def _pymc_grad(gd: GroupDensity, model, grad_flat: np.ndarray, point: dict) -> np.ndarray:
    """PyMC's gradient (value variables, flattened in order) in the order of ``theta``."""
    parts, pos = {}, 0
    for v in model.value_vars:
        size = int(np.size(point[v.name]))
        parts[v.name] = grad_flat[pos : pos + size]
        pos += size
    out = np.empty(gd.dim)
    for f in _families(gd):
        if f.index[0] not in _sampled(gd):
            out[f.index] = parts[f"beta_{f.name.lower()}"]
    for idx, taus, z_name, _, first in gd.hier:
        out[idx] = parts[z_name]
        for h, name in enumerate(taus):
            out[gd.p + first + h] = parts[f"{name}_log__"][0]
    for lay in gd.layouts:
        out[lay.sd0 : lay.sd0 + lay.n_coef] = parts[f"sd_{lay.key}_log__"]
        out[lay.z0 : lay.z0 + lay.n_levels * lay.n_coef] = parts[f"z_{lay.key}"]
    return out


@pytest.mark.parametrize(
    "formula, priors, kw",
    [
        ("r ~ x1 * x2 + (1 | plate)", {}, {}),  # the BUGS Seeds model, default HalfStudentT(3, 2.5)
        (
            "r ~ x1 + x2 + (1 | plate) + (x1 || blk)",
            {"1|plate": bl.HalfNormal(0.7), "x1|blk": bl.HalfStudentT(4, 1)},
            {"offset": "expo"},
        ),
        ("r ~ x1 + (1 | blk/plate)", {"Intercept": bl.StudentT(3, 0, 2), "x1": bl.Cauchy(0, 1)}, {}),  # nested
        # sampled coefficient scales: two taus (two distinct HalfNormal scales), with and without group terms
        (
            "r ~ x1 * x2 + (1 | plate)",
            {
                "x1": bl.Normal(0.5, bl.HalfNormal(1)),
                "x2": bl.Normal(0, bl.HalfNormal(2)),
                "x1:x2": bl.Normal(0, bl.HalfNormal(1)),
            },
            {},
        ),
        (
            "r ~ x1 * x2",
            {"x1": bl.Normal(0, bl.HalfNormal(1)), "x2": bl.Normal(0, bl.HalfNormal(1))},
            {"offset": "expo"},
        ),
    ],
)
def test_log_density_and_gradient_match_pymc(formula, priors, kw):
    m = bl.LogitModel(formula, _seeds(), trials="n", priors=priors, **kw)
    _check_against_pymc(m, GroupDensity.from_model(m), points=4, seed=0)


def _check_against_pymc(m, gd: GroupDensity, *, points: int, seed: int) -> None:
    """At ``points`` random positions: the gradient equals PyMC's to 1e-8 and the log density
    differs from PyMC's by one constant (PyMC keeps the normalising constants, the kernel drops
    them)."""
    model = build_model(m.design, m.priors)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    rng = np.random.default_rng(seed)
    diffs = []
    for _ in range(points):
        theta = rng.normal(size=gd.dim) * 0.8
        lp, g = gd.logp_grad(theta)
        point = _pymc_point(gd, theta)
        ref = _pymc_grad(gd, model, dlogp(point), point)
        np.testing.assert_allclose(g, ref, rtol=1e-8, atol=1e-8 * max(1.0, np.abs(ref).max()))
        diffs.append(lp - float(logp(point)))
    np.testing.assert_allclose(diffs, diffs[0], rtol=0, atol=1e-8 * abs(diffs[0]) + 1e-9)


def _long(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Bernoulli and binomial rows (trials 1 to 3: both of the data pass's branches), in
    random order, a 5-level factor (runs of ~600 rows: several of the kernel's blocks a run)
    crossed with a 40-level one."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(list("abcde"), n), "h": rng.integers(0, 40, n)})
    df["h"] = "h" + df["h"].astype(str)
    p = 1 / (1 + np.exp(-(0.3 + 0.7 * df["x"] + df["g"].map(dict(zip("abcde", [-1, -0.5, 0, 0.5, 1]))))))
    df["y"] = rng.binomial(1, p)
    df["n"] = rng.integers(1, 4, n)
    df["r"] = rng.binomial(df["n"], p)
    return df


@pytest.mark.parametrize(
    "formula, kw", [("y ~ x + (1 | g) + (x || h)", {}), ("r ~ x + (1 + x || g) + (1 | h)", {"trials": "n"})]
)
def test_log_density_matches_pymc_over_many_rows(formula, kw):
    """Thousands of rows: the data pass's runs of one level, its blocks within a run, the
    Bernoulli rows' one log a block and the binomial rows' log a row, against PyMC's density."""
    m = bl.LogitModel(formula, _long(), **kw)
    gd = GroupDensity.from_model(m)
    assert np.all(np.diff(gd.grp[0][:, 0]) >= 0)  # rows sorted by the first term's level
    _check_against_pymc(m, gd, points=3, seed=1)


def test_log_density_does_not_depend_on_the_rows_order():
    df = _long()
    shuffled = df.sample(frac=1.0, random_state=3).reset_index(drop=True)
    a = GroupDensity.from_model(bl.LogitModel("y ~ x + (1 | g) + (x || h)", df))
    b = GroupDensity.from_model(bl.LogitModel("y ~ x + (1 | g) + (x || h)", shuffled))
    theta = np.random.default_rng(2).normal(size=a.dim) * 0.8
    (lp_a, g_a), (lp_b, g_b) = a.logp_grad(theta), b.logp_grad(theta)
    assert lp_a == pytest.approx(lp_b, rel=1e-12)
    np.testing.assert_allclose(g_a, g_b, rtol=1e-10, atol=1e-10)


def _log_jacobian_fd(y: np.ndarray, k: int) -> float:
    """log |det d(strict lower triangle of L)/dy| by central differences (independent of the
    kernel's closed form)."""
    il = np.tril_indices(k, -1)
    J = np.empty((y.size, y.size))
    for a in range(y.size):
        e = np.zeros(y.size)
        e[a] = 1e-6
        J[:, a] = (cholesky_corr(y + e, k)[il] - cholesky_corr(y - e, k)[il]) / 2e-6
    return float(np.linalg.slogdet(J)[1])


def test_correlated_term_density_jacobian_and_gradient():
    m = bl.LogitModel(
        "r ~ x1 * x2 + (1 + x1 + x2 | plate) + (x1 || blk)", _seeds(), trials="n", priors={"cor|plate": bl.LKJ(2.5)}
    )
    gd = GroupDensity.from_model(m)
    model = build_model(m.design, m.priors)
    transform = model.rvs_to_transforms[model["L_plate"]]
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(1)
    diffs = []
    for _ in range(4):
        theta = rng.normal(size=gd.dim) * 0.7
        lp, g = gd.logp_grad(theta)
        point = _pymc_point(gd, theta, transform)
        lay = gd.layouts[0]
        jac = _log_jacobian_fd(theta[lay.chol0 : lay.chol0 + lay.n_chol], 3)
        jac += sum(theta[lay.sd0 : lay.sd0 + lay.n_coef].sum() for lay in gd.layouts)  # log sd
        diffs.append(lp - jac - float(logp(point)))
        fd = np.array(
            [(gd.logp_grad(theta + 1e-6 * e)[0] - gd.logp_grad(theta - 1e-6 * e)[0]) / 2e-6 for e in np.eye(gd.dim)]
        )
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(diffs, diffs[0], rtol=0, atol=1e-7)


def test_cholesky_transform_gives_correlation_matrices():
    y = np.random.default_rng(2).normal(size=(50, 6)) * 2
    L = cholesky_corr(y, 4)
    R = L @ np.swapaxes(L, -1, -2)
    np.testing.assert_allclose(np.diagonal(R, axis1=-2, axis2=-1), 1.0, atol=1e-12)
    assert np.all(np.linalg.eigvalsh(R) > 0)
    np.testing.assert_allclose(R[:, 1, 0], np.tanh(y[:, 0]), atol=1e-12)  # first row: the partial is the correlation


@pytest.mark.parametrize(
    "priors",
    [
        None,
        {"x2": bl.Normal(0, bl.HalfNormal(1)), "x1:x2": bl.Normal(0, bl.HalfNormal(1))},
        {"x1|plate": bl.HalfNormal(1)},  # sd priors of two families: sd_plate_0, sd_plate_1 as in PyMC's model
    ],
)
def test_posterior_has_the_variables_dims_and_coords_of_pymcs_model(priors):
    """The draws are named as PyMC's model names them (what nutpie's DataTree holds), so
    every consumer of a posterior reads them unchanged."""
    m = bl.LogitModel("r ~ x1 * x2 + (1 + x1 | plate) + (1 | blk)", _seeds(), trials="n", priors=priors)
    post = m.sample(draws=30, tune=60, chains=2, random_seed=3, progressbar=False)
    assert post.sampler == "bayeslogit"
    model = build_model(m.design, m.priors)
    names = [v.name for v in model.free_RVs + model.deterministics]
    tree = post.idata.posterior
    assert sorted(tree.data_vars) == sorted(names)
    for name in names:
        want = model.named_vars_to_dims.get(name)
        if want is None:  # L_plate: PyMC's automatic dims; tau: a scalar
            want = tuple(f"{name}_dim_{i}" for i in range(model[name].ndim))
        assert tree[name].dims == ("chain", "draw", *want), name
        for dim in want:
            if dim in model.coords:
                assert list(tree[dim].values) == list(model.coords[dim]), dim
    # b = diag(sd) L z, cor = L L'
    sd, z, L = tree["sd_plate"].values, tree["z_plate"].values, tree["L_plate"].values
    b = np.einsum("cdij,cdlj->cdli", L, z) * sd[:, :, None, :]
    np.testing.assert_allclose(tree["b_plate"].values, b, rtol=1e-12)
    np.testing.assert_allclose(tree["b_blk"].values, tree["z_blk"].values * tree["sd_blk"].values[:, :, None, :])
    raw = tree["beta"].values @ m.priors.centring_map().T
    normal = [m.design.column_names.index(c) for c in tree["coef_normal"].values]
    np.testing.assert_allclose(tree["beta_normal"].values, raw[..., normal], rtol=1e-10, atol=1e-12)
    for j in (0, 1):
        if f"sd_plate_{j}" in names:
            np.testing.assert_array_equal(tree[f"sd_plate_{j}"].values, tree["sd_plate"].values[..., j])
    if priors and "x2" in priors:  # raw = 0 + tau z for the coefficients under Normal(0, HalfNormal(1))
        hier = [m.design.column_names.index(c) for c in tree["coef_hiernormal"].values]
        tau_z = tree["tau"].values[..., None] * tree["z_hiernormal"].values
        np.testing.assert_allclose(raw[..., hier], tau_z, rtol=1e-10, atol=1e-12)


def test_auto_sends_large_positions_and_hierarchical_priors_to_pymcs_model():
    from bayeslogit.fit import sampling

    m = bl.LogitModel("r ~ x1 + (1 | plate)", _seeds(), trials="n")
    assert sampling._groups_on_own_nuts(m, "auto", "nuts", False)
    assert not sampling._groups_on_own_nuts(m, "nutpie", "nuts", False)
    assert not sampling._groups_on_own_nuts(m, "auto", "nuts", True)  # a sampled coefficient scale
    old = sampling.MAX_GROUP_DIM
    try:
        sampling.MAX_GROUP_DIM = 2 + 1 + 21 - 1  # one below this model's position
        assert not sampling._groups_on_own_nuts(m, "auto", "nuts", False)
        assert sampling._groups_on_own_nuts(m, "bayeslogit", "nuts", False)
    finally:
        sampling.MAX_GROUP_DIM = old


@pytest.mark.slow  # three processes, each importing numba (about 6 s)
def test_cache_key_holds_the_callees_file(tmp_path):
    """A cached function calling a jitted function of another file is recompiled when that file
    changes (numba alone keys the cache on the caller's file: the stale callee would be served)."""
    import os
    import subprocess
    import sys

    pkg = tmp_path / "deppkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "callee.py").write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 1.0\n")
    (pkg / "caller.py").write_text(
        "from bayeslogit.fit.nuts.cache import cached_njit\nfrom . import callee\n"
        "@cached_njit(depends=(callee.__file__,))\ndef g(x):\n    return callee.f(x) * 2.0\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), root]), NUMBA_CACHE_DIR=str(tmp_path / "c"))
    code = "from deppkg.caller import g; print(g(1.0))"

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout

    assert run().strip() == "4.0"
    assert run().strip() == "4.0"  # from the cache
    (pkg / "callee.py").write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x + 5.0\n")
    assert run().strip() == "12.0"
