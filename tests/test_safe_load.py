"""Opening a fit file runs no code stored in it (issue 12).

A fit file stores its formula, which patsy would evaluate as Python when the design is rebuilt.
Each payload below is written into a saved fit's formula; it would create a file named
``pwned`` if it ran. ``bl.load`` and ``bayeslogit report`` must refuse it with a
``FitFileError`` naming the offending part, and the file must not appear.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit import _formula


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x1": rng.normal(size=60), "x2": rng.normal(size=60), "g": rng.choice(list("abc"), 60)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x1)))
    path = tmp_path_factory.mktemp("safe") / "good.nc"
    fit = bl.LogitModel("y ~ x1 + x2 + C(g)", df).fit_mle()
    fit.save(path)
    return path, fit


def _with_formula(src, dst, formula: str):
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        meta = json.loads(f["bayeslogit"].attrs["bayeslogit"])
        meta["formula"] = formula
        f["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)
    return dst


def _touch(tmp_path) -> str:
    return f"__import__('os').system('touch {tmp_path}/pwned')"


# (where the payload sits, formula, a regex the error must name)
PAYLOADS = [
    ("response", "I(y + 0*{run}) ~ x1 + x2 + C(g)", r"__import__\('os'\)\.system"),
    ("predictor", "y ~ x1 + I(x2 + 0*{run}) + C(g)", r"__import__\('os'\)\.system"),
    ("nested call", "y ~ x1 + x2 + C(g, Treatment(reference={run}))", r"__import__"),
    ("keyword value", "y ~ bs(x1, df={run}) + x2 + C(g)", r"__import__"),
    ("numpy attribute", "y ~ x1 + x2 + C(g) + np.log(x1).__class__", r"np\.log\(x1\)\.__class__"),
    ("column attribute", "y ~ x1 + x2.__class__.__init__.__globals__ + C(g)", r"x2\.__class__"),
    ("dunder name", "y ~ x1 + x2 + C(g) + __builtins__", r"'__builtins__' \(not a column"),
    ("Q of a non-column", "y ~ x1 + x2 + C(g) + Q('__builtins__')", r"Q\('__builtins__'\)"),
    ("lambda", "y ~ x1 + x2 + C(g) + I((lambda: {run})())", r"lambda|cannot be parsed"),
    ("comprehension", "y ~ x1 + x2 + C(g) + I([{run} for c in x1])", r"ListComp"),
    ("subscript", "y ~ x1 + I(x2[0]) + C(g)", r"x2\[0\]"),
    ("getattr", "y ~ x1 + getattr(np, 'system')('touch pwned') + C(g)", r"getattr"),
    ("numpy outside the list", "y ~ x1 + np.load('x') + C(g)", r"np\.load"),
    ("power bomb", "y ~ x1 + I(x2 ** 10 ** 10) + C(g)", r"power"),
    ("memory bomb", "y ~ x1 + I('a' * 10 ** 9) + C(g)", r"'a'"),
    ("star-star", "y ~ center(x1, **{{'a': 1}}) + x2 + C(g)", r"\*\* arguments"),
    ("f-string", "y ~ x1 + x2 + C(g) + I(f'{{x1}}')", r"JoinedStr|f'"),
]


@pytest.mark.parametrize("where,formula,part", PAYLOADS, ids=[p[0] for p in PAYLOADS])
def test_a_payload_in_a_stored_formula_runs_nothing(good, tmp_path, where, formula, part):
    evil = _with_formula(good[0], tmp_path / "evil.nc", formula.format(run=_touch(tmp_path)))
    with pytest.raises(bl.FitFileError, match=part) as info:
        bl.load(evil)
    assert "trust=True" in str(info.value)
    assert len(str(info.value)) < 400 + len(str(evil))  # the part is quoted, cut to 80 characters
    assert not (tmp_path / "pwned").exists()


def test_the_cli_report_refuses_it_too(good, tmp_path):
    evil = _with_formula(good[0], tmp_path / "evil.nc", f"I(y + 0*{_touch(tmp_path)}) ~ x1 + x2 + C(g)")
    r = subprocess.run(
        [sys.executable, "-m", "bayeslogit", "report", str(evil), "-o", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert "__import__" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "pwned").exists() and not (tmp_path / "r.html").exists()


def test_shadowed_builtins_stop_a_payload_even_without_the_check(good, tmp_path, monkeypatch):
    """Defence in depth: with the grammar check switched off, the evaluation environment still
    has no ``__import__`` or ``open`` to call."""
    import bayeslogit.io as blio

    monkeypatch.setattr(blio, "check_formula", lambda *a, **k: None)
    for run in (_touch(tmp_path), f"open('{tmp_path}/pwned', 'w')"):
        evil = _with_formula(good[0], tmp_path / "evil.nc", f"y ~ x1 + x2 + C(g) + I(0*{run})")
        with pytest.raises(bl.FitFileError):
            bl.load(evil)
        assert not (tmp_path / "pwned").exists()


def test_trust_true_evaluates_the_formula(good, tmp_path):
    _, fit = good
    safe_but_odd = _with_formula(good[0], tmp_path / "odd.nc", "y ~ x1 + x2 + C(g)")
    assert bl.load(safe_but_odd).params.equals(fit.params)
    # a formula outside the grammar that is harmless: refused unless trusted
    df = fit.model._data.copy()
    df["x1"] = df["x1"].astype(float)
    fit2 = bl.LogitModel("y ~ x1.abs() + x2", df).fit_mle()
    fit2.save(tmp_path / "t.nc")
    with pytest.raises(bl.FitFileError, match=r"x1\.abs"):
        bl.load(tmp_path / "t.nc")
    np.testing.assert_array_equal(bl.load(tmp_path / "t.nc", trust=True).params, fit2.params)


def test_namespace_functions_may_be_called_but_not_inspected(good, tmp_path):
    def f(x):
        return 2 * x

    df = good[1].model._data
    fit = bl.LogitModel("y ~ f(x1) + x2", df).fit_mle()
    fit.save(tmp_path / "f.nc")
    np.testing.assert_array_equal(bl.load(tmp_path / "f.nc", namespace={"f": f}).params, fit.params)
    evil = _with_formula(tmp_path / "f.nc", tmp_path / "evil.nc", "y ~ f(x1).__class__ + x2")
    with pytest.raises(bl.FitFileError, match=r"f\(x1\)\.__class__"):
        bl.load(evil, namespace={"f": f})


@pytest.mark.parametrize(
    "formula",
    [
        "I(yes_no == 'yes') ~ np.log(x1) + C(g, Treatment('b'))",
        "y ~ center(x1) * x2 + C(g)",
        "y ~ bs(x1, df=4, degree=3) + cr(x2, df=3)",
        "y ~ I(x1**2) + np.exp(-x2)",
        "y ~ Q(\"f('x')\") + café",
        "y ~ Q('it\\'s')",
        "y ~ (x1 + x2)**2 - 1",
        "y ~ C(g, levels=['a', 'b', 'c'])",
        "y ~ C(g, Sum)",
        "y ~ te(cr(x1, df=3), cc(x2, df=3))",
        "y ~ scale(x1) + standardize(x2, ddof=1)",
    ],
)
def test_the_grammar_accepts_ordinary_formulas(formula):
    _formula.check_formula(formula, ["y", "x1", "x2", "g", "f('x')", "café", "it's", "yes_no"])


def test_a_very_long_stored_formula_is_refused_without_recursion(good, tmp_path):
    evil = _with_formula(good[0], tmp_path / "long.nc", "y ~ " + " + ".join(["x1"] * 8000))
    with pytest.raises(bl.FitFileError, match="longer than"):
        bl.load(evil)
    deep = _with_formula(good[0], tmp_path / "deep.nc", "y ~ I(" + "(" * 300 + "x1" + ")" * 300 + ")")
    with pytest.raises(bl.FitFileError):
        bl.load(deep)


# -- issue 26: stored draws bayeslogit never writes ------------------------------------------------


@pytest.fixture(scope="module")
def sampled(tmp_path_factory):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x1": rng.normal(size=80), "x2": rng.normal(size=80)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x1)))
    path = tmp_path_factory.mktemp("draws") / "post.nc"
    bl.LogitModel("y ~ x1 + x2", df).sample(draws=40, chains=2, random_seed=1, progressbar=False).save(path)
    return path


def _with_draws(src, dst, kind: str):
    import xarray as xr

    from bayeslogit.io import ENGINE

    if kind in ("nan", "inf"):
        shutil.copy(src, dst)
        with h5py.File(dst, "r+") as f:
            if kind == "nan":
                f["posterior/beta"][...] = np.nan
            else:
                f["posterior/beta"][1, 3, 2] = np.inf
        return dst
    with xr.open_datatree(src, engine=ENGINE) as opened:
        tree = opened.load()
    groups = {k: tree[k].to_dataset(inherit=False) for k in tree.children}
    beta = groups["posterior"]["beta"]
    extra = beta.isel(coef=[0]).assign_coords(coef=["x3"])
    groups["posterior"] = xr.Dataset({"beta": xr.concat([beta, extra], dim="coef")})
    xr.DataTree.from_dict({"/": tree.to_dataset(inherit=False), **groups}).to_netcdf(dst, engine=ENGINE)
    return dst


@pytest.mark.parametrize(
    "kind,message",
    [
        ("nan", r"'beta' hold 120 NaN value\(s\) in chain 0 \(all of its values\)"),
        ("inf", r"'beta' hold 1 infinite value\(s\) in chain 1;"),
        ("more", r"draws hold 4 coefficients \['Intercept', 'x1', 'x2', 'x3'\] where the design has 3"),
    ],
)
def test_draws_bayeslogit_never_writes_are_a_fit_file_error_at_load(sampled, tmp_path, kind, message):
    """All-NaN draws, one inf, or more coefficients than the design loaded, then failed in
    ``summary()`` / ``bayeslogit report`` with a raw pandas ValueError. Refused at load: such
    draws say nothing about the posterior, and a report that summarises them would mislead."""
    bad = _with_draws(sampled, tmp_path / f"{kind}.nc", kind)
    with pytest.raises(bl.FitFileError, match=message):
        bl.load(bad)
    r = subprocess.run(
        [sys.executable, "-m", "bayeslogit", "report", str(bad), "-o", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "is damaged" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert not (tmp_path / "r.html").exists()


# -- issue 26: formulas within the grammar whose cost is not ----------------------------------------

GUARD = """
import resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))  # a regression fails, not the machine
import bayeslogit as bl
t = time.monotonic()
try:
    bl.load(sys.argv[1])
    print("LOADED")
except bl.FitFileError as exc:
    print("REFUSED", exc)
print("SECONDS", time.monotonic() - t)
"""


@pytest.fixture(scope="module")
def numeric200(tmp_path_factory):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"x1": rng.normal(size=200), "x2": rng.normal(size=200), "x3": rng.normal(size=200)})
    df["y"] = rng.binomial(1, 0.5, 200)
    path = tmp_path_factory.mktemp("cost") / "numeric.nc"
    bl.LogitModel("y ~ x1 + x2 + x3", df).fit_mle().save(path)
    return path


@pytest.mark.parametrize(
    "formula,message",
    [
        # df given positionally (df= is capped at 1,000)
        ("y ~ bs(x1, 100000) + x2", r"'100000' \(at most 1000\)"),
        ("y ~ poly(x1, 100000) + x2", r"'100000' \(at most 1000\)"),
        ("y ~ cr(x1, None, [0.1] * 3) + x2", r"keyword values and contrast arguments must be constants"),
        # a power tower whose every exponent is at most 16: Python's integers run for minutes
        ("y ~ x1 + I((((((((2 ** 16) ** 16) ** 16) ** 16) ** 16) ** 16) ** 16) ** 16) + x2", r"may reach 2\*\*"),
        ("y ~ x1 + I(x2 + (10 ** 16) ** 16 * (10 ** 16) ** 16 * (10 ** 16) ** 16) + x3", r"may reach 2\*\*"),
        # interactions of factors made from numeric columns: 200 x 200 x 200 = 8 million columns
        (
            "y ~ C(x1):C(x2):C(x3)",
            r"up to 8,000,001 design columns \(the term 'C\(x1\):C\(x2\):C\(x3\)' alone up to 8,000,000",
        ),
        ("y ~ te(cr(x1, df=1000), cr(x2, df=1000), cr(x3, df=1000))", r"up to 1,0\d\d,\d{3},\d{3} design"),
        ("y ~ C(x1 > 0):C(x2 > 0):C(x3 > 0):C(np.isnan(x1)):C(x1):C(x2)", r"up to 640,001 design columns"),
    ],
)
def test_a_formula_within_the_grammar_but_too_costly_is_refused_before_evaluation(
    numeric200, tmp_path, formula, message
):
    crafted = _with_formula(numeric200, tmp_path / "costly.nc", formula)
    r = subprocess.run([sys.executable, "-c", GUARD, str(crafted)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "REFUSED" in r.stdout, r.stdout[-2000:]
    assert re.search(message, r.stdout), r.stdout[-2000:]
    assert float(r.stdout.rsplit("SECONDS", 1)[1]) < 5


def test_the_column_bound_holds_ordinary_formulas_and_the_option_raises_it(numeric200, tmp_path):
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x1": rng.normal(size=300), "x2": rng.normal(size=300), "g": rng.choice(list("abcdefgh"), 300)})
    df["b"] = rng.random(300) > 0.5
    df["y"] = rng.binomial(1, 0.5, 300)
    fits = {
        "y ~ C(g) * x2 + b + bs(x1, 4)": None,
        'y ~ C(g):b + cr(x1, df=5, constraints="center") + I(x2 > 0) + np.log(np.abs(x2) + 1)': None,
        'y ~ te(cr(x1, df=3), cc(x2, df=4), constraints="center") + poly(x2, 3)': None,
    }
    for i, formula in enumerate(fits):
        fit = bl.LogitModel(formula, df).fit_mle()
        fit.save(tmp_path / f"{i}.nc")
        bound, _, _ = _formula.column_bound(formula, df[["y", "x1", "x2", "g", "b"]])
        assert bound >= len(fit.params)
        np.testing.assert_array_equal(bl.load(tmp_path / f"{i}.nc").params, fit.params)
    # a legitimate design at the limit loads: the bound (1 + 8 + 5 + 40) passes its 40 columns
    df["h"] = rng.choice(list("vwxyz"), 300)
    with bl.option_context(max_columns=40):
        fit = bl.LogitModel("y ~ C(g) * C(h)", df).fit_map()
        assert len(fit.params) == 40
        fit.save(tmp_path / "limit.nc")
        assert _formula.column_bound("y ~ C(g) * C(h)", df)[0] == 54
        np.testing.assert_array_equal(bl.load(tmp_path / "limit.nc").params, fit.params)
    crafted = _with_formula(numeric200, tmp_path / "wide.nc", "y ~ C(x1):C(x2)")  # 40,000 columns
    with pytest.raises(bl.FitFileError, match=r"up to 40,001 design columns"):
        bl.load(crafted)
    with bl.option_context(max_columns=50_000), pytest.raises(bl.FitFileError) as info:
        bl.load(crafted)  # allowed by the option: evaluated, and not the design of the draws
    assert "design columns" not in str(info.value)[:300]
