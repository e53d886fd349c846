"""Bad input through every entry point: a package exception or warning that names the column or
argument -- never a PyTensor/NumPy traceback, never silently dropped rows.

The table ``CASES`` is the one in the README's "Errors" section. Each case is run through each
entry point in ``ENTRY_POINTS`` (the data errors surface when the model is specified, so every
later entry point must show the same error); cases that only make sense for one entry point
(separation, huge linear predictors, sampler options, new data) follow the table.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import bayeslogit as bl
from bayeslogit import _numerics


def _df(**cols) -> pd.DataFrame:
    base = {"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": [0.1, 0.4, -0.3, 1.2, 0.8, -1.0, 0.5, 0.2]}
    base.update(cols)
    return pd.DataFrame(base)


def _with(col: str, i: int, value, **cols) -> pd.DataFrame:
    df = _df(**cols)
    df[col] = df[col].astype(object if isinstance(value, str) else float)
    df.loc[i, col] = value
    return df


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[], tuple[str, Any, dict]]  # -> (formula, data, LogitModel keywords)
    exc: type[Exception]
    match: str
    cli: tuple[str, ...] | None = ()  # extra `bayeslogit fit` flags; None: a CSV cannot hold the case


NO_CSV = None


CASES = [
    Case(
        "NaN in a predictor",
        lambda: ("y ~ x", _with("x", 2, np.nan), {}),
        bl.DataError,
        r"1 of 8 rows have missing values \(per column: 'x' \(1\)\).*missing='drop'",
    ),
    Case(
        "None in a categorical predictor",
        lambda: ("y ~ g", _df(g=["a", "b", None, "a", "b", "a", "b", "a"]), {}),
        bl.DataError,
        r"1 of 8 rows have missing values \(per column: 'g' \(1\)\)",
    ),
    Case(
        "pd.NA in a nullable column",
        lambda: ("y ~ x", _df(x=pd.array([1, 2, None, 4, 5, 6, 7, 8], dtype="Int64")), {}),
        bl.DataError,
        r"1 of 8 rows have missing values \(per column: 'x' \(1\)\)",
    ),
    Case(
        "transform giving NaN",
        lambda: ("y ~ np.log(x)", _df(), {}),
        bl.DataError,
        r"'np.log\(x\)' gives missing values \(NaN\) .* np.log of values <= 0",
    ),
    Case(
        "transform giving inf",
        lambda: ("y ~ np.log(x)", _df().assign(x=lambda d: d.x.abs().where(d.x > 0.3, 0)), {}),
        bl.DataError,
        r"non-finite \(inf or NaN\) values in design column\(s\) \['np.log\(x\)'\]",
    ),
    Case(
        "inf in a predictor",
        lambda: ("y ~ x", _with("x", 2, -np.inf), {}),
        bl.DataError,
        r"non-finite \(inf or NaN\) values in design column\(s\) \['x'\]",
    ),
    Case("NaN in the response", lambda: ("y ~ x", _with("y", 3, np.nan), {}), bl.DataError, r"per column: 'y' \(1\)"),
    Case(
        "inf in the response",
        lambda: ("y ~ x", _with("y", 3, np.inf), {}),
        bl.DataError,
        r"response 'y' has non-finite values",
    ),
    Case(
        "response not 0/1",
        lambda: ("y ~ x", _df(y=[1, 2, 1, 2, 1, 2, 2, 1]), {}),
        bl.DataError,
        r"response 'y' must be 0/1, but holds the values 1, 2",
    ),
    Case(
        "response -1/1",
        lambda: ("y ~ x", _df(y=[-1, 1, -1, 1, 1, -1, 1, -1]), {}),
        bl.DataError,
        r"response 'y' must be 0/1, but holds the values -1, 1",
    ),
    Case(
        "constant response",
        lambda: ("y ~ x", _df(y=[1] * 8), {}),
        bl.DataError,
        r"response 'y' is constant \(every row is 1\)",
    ),
    Case(
        "three-level response",
        lambda: ("y ~ x", _df(y=[0, 1, 2, 0, 1, 2, 0, 1]), {}),  # text would be multinomial (issue 23)
        bl.DataError,
        r"response 'y' must have two outcomes, but has 3 distinct values \(0, 1, 2\)",
    ),
    Case(
        "fractional response",
        lambda: ("y ~ x", _df(y=[0, 1, 0.5, 1, 0, 1, 0, 1]), {}),
        bl.DataError,
        r"response 'y' must have two outcomes, but has 3 distinct values \(0.0, 0.5, 1.0\)",
    ),
    Case(
        "event not in the response",
        lambda: ("y ~ x", _df(), {"event": 2}),
        bl.DataError,
        r"event=2 is not a value of response 'y'",
    ),
    Case("empty frame", lambda: ("y ~ x", _df().iloc[:0], {}), bl.DataError, r"data has no rows"),
    Case("frame with no columns", lambda: ("y ~ x", pd.DataFrame(), {}), bl.DataError, r"data has no rows", cli=NO_CSV),
    Case(
        "data not a DataFrame",
        lambda: ("y ~ x", {"y": [0, 1], "x": [1, 2]}, {}),
        bl.DataError,
        r"data must be a pandas DataFrame, got dict",
        cli=NO_CSV,
    ),
    Case(
        "formula names a missing column",
        lambda: ("y ~ x + z", _df(), {}),
        bl.FormulaError,
        r"uses 'z', which is not a column of data \(columns: 'y', 'x'\)",
    ),
    Case(
        "response column missing",
        lambda: ("yes ~ x", _df(), {}),
        bl.FormulaError,
        r"uses 'yes', which is not a column of data",
    ),
    Case("formula syntax error", lambda: ("y ~ x +", _df(), {}), bl.FormulaError, r"cannot parse formula 'y ~ x \+'"),
    Case(
        "two responses",
        lambda: ("y + x ~ x", _df(), {}),
        bl.FormulaError,
        r"must have exactly one response on the left of '~'",
    ),
    Case(
        "formula without '~'",
        lambda: ("y x", _df(), {}),
        bl.FormulaError,
        r"formula must be a string like 'y ~ x1 \+ x2'",
    ),
    Case(
        "garbage in a numeric column",
        lambda: ("y ~ x", _with("x", 2, "oops"), {}),
        bl.DataError,
        r"column 'x' looks numeric but holds 1 non-numeric value\(s\) \(first: 'oops' at index 2\)",
    ),
    Case(
        "rank-deficient design",
        lambda: ("y ~ x + x2", _df().assign(x2=lambda d: 3 * d.x - 1), {}),
        bl.DesignError,
        r"rank deficient \(rank 2 < 3 columns\): column\(s\) \['x2'\]",
    ),
    Case(
        "constant predictor",
        lambda: ("y ~ x + c", _df(c=[2.0] * 8), {}),
        bl.DesignError,
        r"design column\(s\) \['c'\] are constant",
    ),
    Case(
        "more coefficients than rows",
        lambda: ("y ~ C(g) + x", _df(g=list("abcdefgh")), {}),
        bl.DesignError,
        r"the design has 9 columns but only 8 rows",
    ),
    Case(
        "huge-magnitude column",
        lambda: ("y ~ x", _df().assign(x=lambda d: d.x * 1e250), {}),
        bl.DesignError,
        r"design column 'x' has values of magnitude 1.2e\+250.*rescale it",
    ),
    Case(
        "tiny-magnitude column",
        lambda: ("y ~ x", _df().assign(x=lambda d: d.x * 1e-250), {}),
        bl.DesignError,
        r"design column 'x' has values of magnitude 1.2e-250.*rescale it",
    ),
    Case(
        "duplicate column names",
        lambda: ("y ~ x", pd.concat([_df(), _df()[["x"]]], axis=1), {}),
        bl.DataError,
        r"more than one column named \['x'\]",
        cli=NO_CSV,
    ),
    Case(
        "complex column",
        lambda: ("y ~ x", _df().assign(x=lambda d: d.x + 1j), {}),
        bl.DataError,
        r"column 'x' holds complex numbers",
        cli=NO_CSV,
    ),
    Case(
        "datetime column",
        lambda: ("y ~ x", _df(x=pd.date_range("2020", periods=8)), {}),
        bl.DataError,
        r"column 'x' holds dates or time spans",
        cli=NO_CSV,
    ),
    Case(
        "negative trials",
        lambda: ("k ~ x", _df(k=[0] * 8, n=[1, -1, 1, 1, 1, 1, 1, 1]), {"trials": "n"}),
        bl.DataError,
        r"trials column 'n' must hold non-negative whole numbers; found -1",
    ),
    Case(
        "non-integer trials",
        lambda: ("k ~ x", _df(k=[0] * 8, n=[1, 2.5, 1, 1, 1, 1, 1, 1]), {"trials": "n"}),
        bl.DataError,
        r"trials column 'n' must hold non-negative whole numbers; found 2.5",
    ),
    Case(
        "infinite trials",
        lambda: ("k ~ x", _df(k=[0] * 8, n=[1, np.inf, 1, 1, 1, 1, 1, 1]), {"trials": "n"}),
        bl.DataError,
        r"trials column 'n' has non-finite values",
    ),
    Case(
        "zero trials",
        lambda: ("k ~ x", _df(k=[0] * 8, n=[1, 0, 1, 1, 1, 1, 1, 1]), {"trials": "n"}),
        bl.DataError,
        r"trials column 'n' must be >= 1 in every row; found 0",
    ),
    Case(
        "successes exceed trials",
        lambda: ("k ~ x", _df(k=[0, 3, 0, 0, 0, 0, 0, 1], n=[2] * 8), {"trials": "n"}),
        bl.DataError,
        r"response 'k' exceeds trials 'n' in 1 row\(s\) \(first at row 1: 3 > 2\)",
    ),
    Case(
        "non-integer successes",
        lambda: ("k ~ x", _df(k=[0, 0.5, 0, 0, 0, 0, 0, 1], n=[2] * 8), {"trials": "n"}),
        bl.DataError,
        r"response 'k' must hold non-negative whole numbers; found 0.5",
    ),
    Case(
        "trials column missing",
        lambda: ("k ~ x", _df(k=[0] * 8), {"trials": "n"}),
        bl.DataError,
        r"trials='n' is not a column of data",
    ),
    Case(
        "prior sd = 0",
        lambda: ("y ~ x", _df(), {"priors": bl.Normal(0, 0)}),
        bl.PriorError,
        r"Normal prior: sigma must be a positive finite number, got 0",
        cli=("--prior", "normal(0, 0)"),
    ),
    Case(
        "prior sd < 0",
        lambda: ("y ~ x", _df(), {"priors": {"x": bl.Cauchy(0, -1)}}),
        bl.PriorError,
        r"Cauchy prior: sigma must be a positive finite number, got -1",
        cli=("--prior", "x=cauchy(0, -1)"),
    ),
    Case(
        "prior nu <= 0",
        lambda: ("y ~ x", _df(), {"priors": bl.StudentT(0, 0, 1)}),
        bl.PriorError,
        r"StudentT prior: nu must be a positive finite number, got 0",
        cli=("--prior", "studentt(0, 0, 1)"),
    ),
    Case(
        "prior sd NaN",
        lambda: ("y ~ x", _df(), {"priors": {"x": bl.Normal(0, float("nan"))}}),
        bl.PriorError,
        r"Normal prior: sigma must be a positive finite number, got nan",
        cli=("--prior", "x=normal(0, nan)"),
    ),
    Case(
        "prior for an unknown term",
        lambda: ("y ~ x", _df(), {"priors": {"z": bl.Normal(0, 1)}}),
        bl.PriorError,
        r"priors has key 'z', which is not a design column or term",
        cli=("--prior", "z=normal(0, 1)"),
    ),
    Case(
        "prior not a Prior",
        lambda: ("y ~ x", _df(), {"priors": {"x": 2.5}}),
        bl.PriorError,
        r"priors\['x'\] must be a bayeslogit prior",
        cli=NO_CSV,
    ),
    Case(
        "bad missing= option",
        lambda: ("y ~ x", _df(), {"missing": "ignore"}),
        bl.DataError,
        r"missing must be 'raise' or 'drop', got 'ignore'",
        cli=NO_CSV,
    ),
    Case(
        "MultiIndex columns",
        lambda: ("y ~ x", _df().set_axis(pd.MultiIndex.from_tuples([("y", ""), ("x", "")]), axis=1), {}),
        bl.DataError,
        r"data has MultiIndex columns.*flatten them",
        cli=NO_CSV,
    ),
    Case(
        "unused category of a predictor",
        lambda: ("y ~ g", _df(g=pd.Categorical(list("abababab"), categories=list("abc"))), {}),
        bl.DataError,
        r"level 'c' of 'g' never occurs in the data \(an unused category\).*remove_unused_categories",
        cli=NO_CSV,
    ),
    Case(
        "columns one name after Unicode normalisation",
        lambda: ("y ~ \u00b5", _df(**{"\u00b5": np.arange(8.0), "\u03bc": np.arange(8.0) ** 2}), {}),
        bl.DataError,
        r"data has columns '\u00b5' \(U\+00B5\) and '\u03bc' \(U\+03BC\) whose names are one name after "
        r"Unicode normalisation.*rename one of them",
    ),
    Case(
        "grouping column holding 1 and '1'",
        lambda: ("y ~ x + (1 | g)", _df(g=pd.Series([1, "1", 2, "2"] * 2, dtype=object)), {}),
        bl.DataError,
        r"grouping column 'g' holds both 1 \(int\) and '1' \(str\).*astype\(str\)",
        cli=NO_CSV,
    ),
    Case(
        "formula nested too deeply",
        lambda: ("y ~ " + "(" * 250 + "x" + ")" * 250, _df(), {}),
        bl.FormulaError,
        r"cannot parse formula .* nested too deeply",
    ),
]


def _sample(formula, data, **kw):
    return bl.LogitModel(formula, data, **kw).sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False)


ENTRY_POINTS: dict[str, Callable[..., Any]] = {
    "LogitModel": lambda formula, data, **kw: bl.LogitModel(formula, data, **kw),
    "fit_mle": lambda formula, data, **kw: bl.LogitModel(formula, data, **kw).fit_mle(),
    "fit_map": lambda formula, data, **kw: bl.LogitModel(formula, data, **kw).fit_map(),
    "sample": _sample,
    "predict": lambda formula, data, **kw: bl.LogitModel(formula, data, **kw).fit_map().predict(),
}


@pytest.mark.parametrize("entry", list(ENTRY_POINTS))
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_table(case, entry):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning here would mean a NumPy/PyTensor complaint leaked
        with pytest.raises(case.exc, match=case.match) as info:
            formula, data, kw = case.args()
            ENTRY_POINTS[entry](formula, data, **kw)
    assert isinstance(info.value, bl.BayeslogitError)
    assert info.value.__cause__ is None or isinstance(info.value.__cause__, bl.BayeslogitError)


CLI_CASES = [c for c in CASES if c.cli is not NO_CSV]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.name for c in CLI_CASES])
def test_bad_input_table_through_the_cli(case, tmp_path, capsys):
    """`bayeslogit fit DATA.csv FORMULA ...` on the same case: exit 2 and one line naming it."""
    from bayeslogit.cli import main

    try:
        formula, data, kw = case.args()
    except bl.PriorError:  # the prior object cannot even be built; the CLI gets it as text
        formula, data, kw = "y ~ x", _df(), {}
    flags = list(case.cli) + [arg for k, v in kw.items() if k != "priors" for arg in (f"--{k}", str(v))]
    data.to_csv(tmp_path / "data.csv", index=False)
    argv = ["fit", str(tmp_path / "data.csv"), formula, "--draws", "10", "--tune", "10", "--chains", "1", "--quiet"]
    assert main(argv + flags) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("bayeslogit fit: error: "), captured.err
    assert re.search(case.match, lines[0]), lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_missing_rows_are_never_dropped_silently():
    data = _with("x", 2, np.nan)
    with pytest.warns(
        bl.MissingDataWarning, match=r"dropped 1 of 8 rows with missing values \(per column: 'x' \(1\)\)"
    ):
        model = bl.LogitModel("y ~ x", data, missing="drop")
    assert model.design.n_obs == 7 and model.design.n_dropped == 1
    assert "Rows dropped (NA):" in str(
        model.sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False).summary()
    )


# -- sampler options ---------------------------------------------------------------------------

SAMPLE_ARGS = [
    ({"draws": 0}, r"draws must be an integer >= 1, got 0"),
    ({"draws": True}, r"draws must be an integer >= 1, got True"),
    ({"tune": -1}, r"tune must be an integer >= 0, got -1"),
    ({"chains": 1.5}, r"chains must be an integer >= 1, got 1.5"),
    ({"random_seed": -1}, r"random_seed must be None or an integer >= 0, got -1"),
    ({"random_seed": "abc"}, r"random_seed must be None or an integer >= 0, got 'abc'"),
    ({"random_seed": 1.5}, r"random_seed must be None or an integer >= 0, got 1.5"),
    ({"target_accept": "0.9"}, r"target_accept must be a probability in \(0, 1\), got '0.9'"),
    ({"target_accept": float("nan")}, r"target_accept must be a probability in \(0, 1\), got nan"),
    ({"sampler": None}, r"sampler must be 'auto', 'bayeslogit', 'pymc', 'nutpie' or 'numpyro', got None"),
    ({"method": "vi"}, r"method must be 'nuts' or 'laplace', got 'vi'"),
]


@pytest.mark.parametrize("kwargs,match", SAMPLE_ARGS, ids=[str(a[0]) for a in SAMPLE_ARGS])
def test_sample_arguments(kwargs, match):
    # a bad argument value is an ArgumentError, as everywhere (issue 21: these were SamplerError)
    with pytest.raises(bl.ArgumentError, match=match):
        bl.LogitModel("y ~ x", _df()).sample(**{"progressbar": False, **kwargs})


def test_numpy_integers_are_accepted_for_sampler_counts():
    post = bl.LogitModel("y ~ x", _df()).sample(
        draws=np.int64(15), tune=np.int64(15), chains=np.int64(1), random_seed=np.int64(4), progressbar=False
    )
    assert post.draws().shape == (15, 2)


# -- point-estimate options -------------------------------------------------------------------

POINT_ARGS = [
    ("fit_mle", {"tol": 0}, bl.ArgumentError, r"tol must be a number in \(0, 1\), got 0"),
    ("fit_mle", {"max_iter": 0}, bl.ArgumentError, r"max_iter must be an integer >= 1, got 0"),
    ("fit_map", {"tol": "small"}, bl.ArgumentError, r"tol must be a number in \(0, 1\), got 'small'"),
    ("fit_map", {"priors": "normal(0, 1)"}, bl.PriorError, r"priors must be None, one prior .* got str"),
    ("fit_map", {"priors": {"z": bl.Normal(0, 1)}}, bl.PriorError, r"priors has key 'z'"),
    ("fit_map", {"priors": bl.Flat()}, None, None),  # allowed: the MAP is then the MLE (no separation here)
    (
        "fit_map",
        {"priors": bl.Flat(), "prior": bl.Flat()},
        bl.ArgumentError,
        r"fit_map\(\.\.\.\) got both priors= and its deprecated alias prior=; pass only priors=",
    ),
]


@pytest.mark.parametrize("method,kwargs,exc,match", POINT_ARGS, ids=[f"{a[0]}-{a[1]}" for a in POINT_ARGS])
def test_point_estimate_arguments(method, kwargs, exc, match):
    model = bl.LogitModel("y ~ x", _df())
    if exc is None:
        assert getattr(model, method)(**kwargs).converged
    else:
        with pytest.raises(exc, match=match):
            getattr(model, method)(**kwargs)


# -- separation --------------------------------------------------------------------------------

SEPARATED = {
    "complete": _df(y=[0, 0, 0, 0, 1, 1, 1, 1], x=[-4.0, -3, -2, -1, 1, 2, 3, 4]),
    "quasi-complete": _df(y=[0, 0, 0, 0, 1, 1, 1, 1], x=[-4.0, -3, -2, 0, 0, 2, 3, 4]),
}


@pytest.mark.parametrize("kind", list(SEPARATED))
def test_separation_mle_warns_map_and_posterior_stay_finite(kind):
    model = bl.LogitModel("y ~ x", SEPARATED[kind])
    with pytest.warns(bl.SeparationWarning, match=rf"^{kind} separation: .* along \['x'\]"):
        mle = model.fit_mle()
    assert mle.separation == kind and not mle.converged
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # proper default prior: no warning of any kind
        fit = model.fit_map()
    assert fit.converged and np.all(np.isfinite(fit.params)) and np.all(np.isfinite(fit.bse))
    assert np.abs(fit.params["x"]) < np.abs(mle.params["x"])


@pytest.mark.parametrize("kind", list(SEPARATED))
def test_separation_with_a_flat_prior_warns_in_sample(kind):
    """A Flat prior on the separating column makes the posterior improper: say so."""
    model = bl.LogitModel("y ~ x", SEPARATED[kind], priors={"x": bl.Flat()})
    with pytest.warns(bl.SeparationWarning, match=rf"^{kind} separation among the columns with a Flat prior \['x'\]"):
        model.sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False)


def test_no_improper_warning_when_the_flat_columns_do_not_separate():
    # separated along x, but x has a proper prior; only the intercept is flat
    model = bl.LogitModel("y ~ x", SEPARATED["complete"], priors={"Intercept": bl.Flat(), "x": bl.Normal(0, 1)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.SeparationWarning)
        post = model.sample(draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    assert np.all(np.isfinite(post.draws()))


# -- new data (prediction) ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fits():
    """MLE, MAP and a short posterior of y ~ C(g) + x on well-behaved data."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    g = rng.choice(["a", "b"], size=80)
    df = pd.DataFrame({"y": rng.binomial(1, expit(0.5 * x + (g == "b"))), "x": x, "g": g})
    model = bl.LogitModel("y ~ C(g) + x", df)
    post = model.sample(draws=100, tune=100, chains=1, random_seed=1, progressbar=False)
    return {"mle": model.fit_mle(), "map": model.fit_map(), "posterior": post}


NEW_DATA = [
    (
        "unseen level",
        pd.DataFrame({"g": ["a", "z"], "x": [0.0, 1.0]}),
        r"factor level 'z' that was not seen .*C\(g\) has levels \['a', 'b'\]",
    ),
    ("lacks a column", pd.DataFrame({"g": ["a"]}), r"new data lacks column\(s\) \['x'\]"),
    ("NaN", pd.DataFrame({"g": ["a", "b"], "x": [0.0, np.nan]}), r"new data has missing values in 'x' \(1 row\)"),
    ("inf", pd.DataFrame({"g": ["a"], "x": [np.inf]}), r"new data gives non-finite .* design column\(s\) \['x'\]"),
    ("huge", pd.DataFrame({"g": ["a"], "x": [1e200]}), r"new data: design column 'x' has values of magnitude 1e\+200"),
]


@pytest.mark.parametrize("fit", ["mle", "map", "posterior"])
@pytest.mark.parametrize("case,new,match", NEW_DATA, ids=[c[0] for c in NEW_DATA])
def test_predict_on_bad_new_data_names_the_problem(fits, fit, case, new, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(bl.DataError, match=match):
            fits[fit].predict(new)


@pytest.mark.parametrize("fit", ["mle", "map", "posterior"])
def test_predict_with_huge_linear_predictor_is_finite(fits, fit):
    new = pd.DataFrame({"g": ["a", "b", "a"], "x": [1e4, -1e4, 1e6]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prob = fits[fit].predict(new)
        linear = fits[fit].predict(new, kind="linear")
    assert np.all(np.isfinite(prob.to_numpy())) and np.all((prob.to_numpy() >= 0) & (prob.to_numpy() <= 1))
    assert np.all(np.isfinite(linear.to_numpy()))
    assert np.abs(linear.iloc[:, 0]).min() > 700
    # at |eta| >= 700 every probability is 0 or 1: the estimate is the share of eta > 0
    X = fits[fit].design.encode(new)
    betas = fits[fit].draws() if fit == "posterior" else fits[fit].params.to_numpy()[None, :]
    np.testing.assert_allclose(prob.iloc[:, 0], (betas @ X.T > 0).mean(axis=0), atol=1e-12)


# -- linear predictor far beyond +-700 ---------------------------------------------------------


@pytest.mark.parametrize("trials", [None, "n"])
def test_huge_linear_predictor_gives_finite_loglik_gradient_and_probabilities(trials):
    """At |eta| up to 1e4, exp(eta) overflows; the log-likelihood, its gradient and the
    probabilities must stay finite and equal their closed forms."""
    df = pd.DataFrame({"y": [0, 1, 1, 0, 2, 3], "n": [3] * 6, "x": [-2.0, -1.0, 1.0, 2.0, 0.5, -0.5]})
    if trials is None:
        df["y"] = [0, 1, 1, 0, 1, 0]
    flat = {"Intercept": bl.Flat(), "x": bl.Flat()}
    model = bl.LogitModel("y ~ x", df, priors=flat, trials=trials)
    logp = model.pymc_model.compile_logp()
    dlogp = model.pymc_model.compile_dlogp()
    X, y = model.design.X, model.design.y
    n = np.ones_like(y) if trials is None else model.design.trials
    for beta in ([0.0, 800.0], [0.0, -800.0], [300.0, 5000.0], [-1e4, 1.0]):
        beta = np.array(beta)
        eta = X @ beta
        assert np.abs(eta).max() > 700
        point = {"beta_flat": beta}
        ll = _numerics.log_likelihood(eta, y, model.design.trials)
        p = _numerics.inv_logit(eta)
        assert np.all(np.isfinite(ll)) and np.all(np.isfinite(p)) and np.all((p >= 0) & (p <= 1))
        assert logp(point) == pytest.approx(ll.sum(), rel=1e-12)
        grad = dlogp(point)
        assert np.all(np.isfinite(grad))
        np.testing.assert_allclose(grad, X.T @ (y - n * expit(eta)), rtol=1e-12, atol=1e-9)


def test_sampling_with_huge_linear_predictors_stays_finite():
    """A predictor on a 1e4 scale with a nearly flat prior: eta is in the thousands at the
    starting jitter; sampling must still give finite draws and log-likelihood."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=60) * 1e4
    y = rng.binomial(1, expit(x / 1e4))
    model = bl.LogitModel("y ~ x", pd.DataFrame({"y": y, "x": x}), priors={"x": bl.Normal(0, 10)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyMC's short-chain diagnostics
        post = model.sample(draws=100, tune=100, chains=1, random_seed=2, progressbar=False)
    assert np.all(np.isfinite(post.draws()))
    assert np.all(np.isfinite(post.log_likelihood().values))
    for fit in (model.fit_mle(), model.fit_map()):
        assert fit.converged and np.all(np.isfinite(fit.params)) and np.all(np.isfinite(fit.bse))


# -- inputs that used to end in a raw traceback or a wrong reading, and now work (issue 12) ---------


@pytest.mark.parametrize(
    "dtype,values",
    [
        ("boolean", [True, False, True, True, False, False, True, False]),
        ("Int64", [1, 2, 3, 1, 2, 3, 1, 2]),
        ("Float64", [0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 0.0, 0.9]),
        ("string", list("abcabcab")),
    ],
)
def test_nullable_dtype_predictors_work(dtype, values):
    nullable = _df(z=pd.array(values, dtype=dtype))
    plain = _df(z=pd.array(values, dtype=dtype).to_numpy(dtype=object if dtype == "string" else None))
    if dtype == "boolean":
        plain["z"] = plain["z"].astype(bool)
    a = bl.LogitModel("y ~ x + z", nullable).fit_map()
    b = bl.LogitModel("y ~ x + z", plain).fit_map()
    assert a.coef_names == b.coef_names
    np.testing.assert_allclose(a.params, b.params, rtol=1e-12)


def test_a_long_formula_builds_without_recursion_error():
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(700, 600)), columns=[f"x{i}" for i in range(600)])
    df["y"] = rng.binomial(1, 0.5, 700)
    model = bl.LogitModel("y ~ " + " + ".join(f"x{i}" for i in range(600)), df)
    assert model.design.n_coef == 601


def test_non_ascii_and_quoted_names_are_read_whole(tmp_path):
    df = _df().rename(columns={"x": "café"})
    df["it's"] = [0.3, -0.2, 0.1, 0.5, -0.4, 0.2, 0.0, 0.9]
    df["f('x')"] = df["café"] ** 2
    fit = bl.LogitModel("y ~ café + Q('it\\'s')", df).fit_map()
    assert fit.coef_names == ["Intercept", "café", "Q('it\\'s')"]
    fit2 = bl.LogitModel("y ~ Q(\"f('x')\") + café", df).fit_map()
    fit2.save(tmp_path / "q.nc")  # used to fail: the column f('x') was not stored
    np.testing.assert_array_equal(bl.load(tmp_path / "q.nc").params, fit2.params)
    with pytest.raises(bl.FormulaError, match=r"uses 'cafe'"):
        bl.LogitModel("y ~ cafe", df)


def test_a_fit_is_a_snapshot_of_its_data(tmp_path):
    d = _df(y=[1, 1, 0, 1, 0, 0, 1, 0])
    fit = bl.LogitModel("y ~ x", d).fit_mle()
    d["x"] *= 2  # the caller edits the frame after fitting
    fit.save(tmp_path / "m.nc")
    loaded = bl.load(tmp_path / "m.nc")
    np.testing.assert_array_equal(loaded.params, fit.params)
    np.testing.assert_array_equal(loaded.model.design.X, fit.model.design.X)


def test_save_to_a_missing_folder_is_an_output_error(tmp_path):
    fit = bl.LogitModel("y ~ x", _df()).fit_map()
    with pytest.raises(bl.OutputError, match=r"folder .*no-such.* does not exist"):
        fit.save(tmp_path / "no-such" / "m.nc")
    with pytest.raises(bl.OutputError, match=r"is a directory"):
        fit.save(tmp_path)


@pytest.mark.parametrize(
    "column,flag,expected",
    [
        ([True, False] * 4, "True", True),
        ([True, False] * 4, "true", True),
        ([True, False] * 4, "0", False),
        ([1.0, 0.0] * 4, "1.0", 1.0),
        ([1.0, 0.0] * 4, "0", 0.0),
        ([1, 0] * 4, "1", 1),
        (list("ab") * 4, "a", "a"),
    ],
)
def test_cli_event_text_matches_the_response_value(tmp_path, capsys, column, flag, expected):
    from bayeslogit.cli import main

    _df(y=column).to_csv(tmp_path / "d.csv", index=False)
    import bayeslogit.cli as cli

    seen = {}
    real = bl.LogitModel

    class Spy(real):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            seen["event"] = self.design.event

    import unittest.mock as mock

    with mock.patch.object(bl, "LogitModel", Spy):
        rc = main(
            [
                "fit",
                str(tmp_path / "d.csv"),
                "y ~ x",
                "--event",
                flag,
                "--draws",
                "20",
                "--tune",
                "20",
                "--chains",
                "1",
                "--quiet",
                "--ignore-checks",
            ]
        )  # 20 draws: checks fail (exit 3)
    assert rc == 0, capsys.readouterr().err
    assert seen["event"] == expected and type(seen["event"]) is type(expected)
    assert cli  # imported for the patch target's module


def _sha(path) -> str:
    import hashlib

    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-outputs")
    _df().to_csv(folder / "data.csv", index=False)
    post = bl.LogitModel("y ~ x", _df()).sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    post.save(folder / "fit.nc")
    (folder / "link.nc").symlink_to(folder / "data.csv")
    return folder


@pytest.mark.parametrize(
    "argv,message",
    [
        (
            ["report", "{d}/fit.nc", "-o", "{d}/fit.nc"],
            r"--output .*fit.nc is the input FIT.nc; writing it would destroy it",
        ),
        (["fit", "{d}/data.csv", "y ~ x", "--save", "{d}/data.csv"], r"--save .*data.csv is the input DATA.csv"),
        (["fit", "{d}/data.csv", "y ~ x", "--save", "{d}/link.nc"], r"--save .*link.nc is the input DATA.csv"),
        (["fit", "{d}/data.csv", "y ~ x", "--report", "{d}/./data.csv"], r"--report .*data.csv is the input DATA.csv"),
        (
            ["fit", "{d}/data.csv", "y ~ x", "--save", "{d}/x", "--report", "{d}/x"],
            r"--save and --report are the same file",
        ),
        (["fit", "{d}/data.csv", "y ~ x", "--save", "{d}"], r"--save .* is a directory"),
    ],
)
def test_cli_outputs_never_destroy_inputs(cli_files, capsys, argv, message):
    from bayeslogit.cli import main

    before = {p.name: _sha(p) for p in cli_files.iterdir() if p.is_file()}
    assert main([a.format(d=cli_files) for a in argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]), err
    assert {p.name: _sha(p) for p in cli_files.iterdir() if p.is_file()} == before
    assert not (cli_files / "x").exists()


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="/sys is Linux's")
def test_cli_unwritable_output_folder_fails_before_sampling(cli_files, capsys, monkeypatch):
    from bayeslogit.cli import main

    def no_sampling(*args, **kwargs):
        raise AssertionError("sampled before checking the output folder")

    monkeypatch.setattr(bl.LogitModel, "sample", no_sampling)
    rc = main(["fit", str(cli_files / "data.csv"), "y ~ x", "--draws", "100000", "--report", "/sys/out.html"])
    assert rc == 2
    assert re.search(r"--report /sys/out.html: cannot write in '/sys'", capsys.readouterr().err)


# -- the same fault, the same error (issue 21) -------------------------------------------------

SAME_FAULT = [
    ({"draws": 0}, r"^draws must be an integer >= 1, got 0$"),
    ({"draws": 2.5}, r"^draws must be an integer >= 1, got 2.5$"),
    ({"random_seed": -1}, r"^random_seed must be None or an integer >= 0, got -1$"),
    ({"random_seed": "abc"}, r"^random_seed must be None or an integer >= 0, got 'abc'$"),
]


@pytest.mark.parametrize("kwargs,match", SAME_FAULT, ids=[str(a[0]) for a in SAME_FAULT])
def test_draws_and_seed_faults_are_the_same_error_in_sample_and_prior_predictive(kwargs, match):
    """draws=0 raised SamplerError from sample() but ArgumentError from sample_prior_predictive()."""
    model = bl.LogitModel("y ~ x", _df())
    for call in (
        lambda: model.sample(progressbar=False, **kwargs),
        lambda: model.sample_prior_predictive(**kwargs),
    ):
        with pytest.raises(bl.ArgumentError, match=match) as info:
            call()
        assert type(info.value) is bl.ArgumentError


# -- no hang (issue 27) ------------------------------------------------------------------------

HOSTILE_PRIORS = {
    # overlapping `\s*` / `[^,()]+?` made the old parser about n**4 (820 characters: 19 s)
    "spaces in a hierarchical normal": lambda n: "normal(0" + " " * n + ",halfnormal(" + " " * n + "1",
    "a term key": lambda n: "x=normal(0" + " " * n + ",halfnormal(" + " " * n + "))",
    "many equals": lambda n: "x" + "= " * n,
}


@pytest.mark.parametrize("make", list(HOSTILE_PRIORS.values()), ids=list(HOSTILE_PRIORS))
def test_a_2kb_hostile_prior_is_refused_by_its_length(make):
    from bayeslogit.cli import parse_priors

    # refused by its length before any parsing (the old parser took minutes here)
    with pytest.raises(bl.PriorError, match=r"2,0\d\d characters, more than the 200 a prior can take"):
        parse_priors([make(1000)])


@pytest.mark.parametrize("make", list(HOSTILE_PRIORS.values()), ids=list(HOSTILE_PRIORS))
def test_hostile_priors_under_the_length_cap_parse(make):
    """Each is parsed or refused with a PriorError, up to the cap (the old, quadratic parser
    took ~0.5 s at n=95 alone; a speed is not a test's to assert)."""
    from bayeslogit.cli import parse_priors

    for n in range(0, 96, 5):
        try:
            parse_priors([make(n)])
        except bl.PriorError:
            pass


def test_predicting_many_unseen_group_levels():
    from bayeslogit.design import build_design

    df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.1, 0.5, 0.2, 0.9, 0.3, 0.7], "g": list("aabbcc")})
    t = build_design("y ~ x + (1 | g)", df).groups.terms[0]
    n = 40_000  # quadratic (a list search per row) took ~20 s here; linear takes well under 1 s
    new = pd.DataFrame({"x": np.zeros(n + 2), "g": [f"new{i}" for i in range(n)] + ["b", "new7"]})
    index, _, unseen = t.encode(new)
    assert unseen == [f"new{i}" for i in range(n)]
    assert index[:n].tolist() == list(range(3, n + 3)) and index[n:].tolist() == [1, 3 + 7]


# -- no silent wrong data (issue 27) ------------------------------------------------------------


def test_interaction_levels_holding_a_colon_stay_distinct_groups():
    from bayeslogit.design import build_design

    df = _df(g1=["a:b", "a"] * 4, g2=["c", "b:c"] * 4)  # joined by ':' both were "a:b:c"
    (t,) = build_design("y ~ x + (1 | g1:g2)", df).groups.terms
    assert t.n_levels == 2 and t.levels == ["('a', 'b:c')", "('a:b', 'c')"]
    assert t.index.tolist() == [1, 0] * 4
    index, _, unseen = t.encode(pd.DataFrame({"x": [0.0] * 3, "g1": ["a", "a:b", "a"], "g2": ["b:c", "c", "c"]}))
    assert index.tolist() == [0, 1, 2] and unseen == ["a:c"]


@pytest.mark.parametrize("values", [[1, "1"], [1.5, "1.5"]], ids=["1 and '1'", "1.5 and '1.5'"])
def test_a_grouping_column_mixing_a_number_and_its_text_is_refused(values):
    g = pd.Series(values * 4, dtype=object)
    with pytest.raises(bl.DataError, match=r"grouping column 'g' holds both .* \(\w+\) and .* \(\w+\).*astype\(str\)"):
        bl.LogitModel("y ~ x + (1 | g)", _df(g=g))


def test_equal_numbers_of_two_dtypes_are_one_group():
    from bayeslogit.design import build_design

    g = pd.Series([1, 1.0, 2, 2.0] * 2, dtype=object)  # 1 == 1.0: one value, one group
    (t,) = build_design("y ~ x + (1 | g)", _df(g=g)).groups.terms
    assert t.levels == ["1", "2"] and t.index.tolist() == [0, 0, 1, 1] * 2


NFKC_TWINS = {"µ (U+00B5) and μ (U+03BC)": ("\u00b5", "\u03bc"), "fit and ﬁt (U+FB01)": ("fit", "\ufb01t")}


@pytest.mark.parametrize("pair", list(NFKC_TWINS.values()), ids=list(NFKC_TWINS))
@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("entry", ["fixed", "group slope", "new data", "new data of a group slope"])
def test_columns_one_name_after_unicode_normalisation_are_refused(pair, which, entry):
    # Python reads identifiers NFKC-normalised: `y ~ µ` fitted the column μ when both existed
    a, b = pair
    named = pair[which]
    both = _df(**{a: np.arange(8.0), b: np.arange(8.0) ** 2, "g": list("aabbccdd")})
    match = (
        rf"columns {re.escape(repr(a))} .*and {re.escape(repr(b))} .*one name after Unicode normalisation.*rename one"
    )
    formula = {"fixed": f"y ~ {named}", "group slope": f"y ~ x + (1 + {named} | g)"}.get(entry)
    if entry == "new data of a group slope":  # the fixed part does not read the column
        import unicodedata

        plain = unicodedata.normalize("NFKC", a)
        model = bl.LogitModel(f"y ~ x + (1 + {plain} | g)", both.drop(columns=[c for c in pair if c != plain]))
        with pytest.raises(bl.DataError, match="new data has " + match):
            model.design.groups.terms[0].encode(both)
    elif entry == "new data":  # fitted on the one column (its NFKC form, which patsy can read)
        import unicodedata

        plain = unicodedata.normalize("NFKC", a)
        fit = bl.LogitModel(f"y ~ {plain}", both.drop(columns=[c for c in pair if c != plain])).fit_mle()
        with pytest.raises(bl.DataError, match="new data has " + match):
            fit.predict(both)
    else:
        with pytest.raises(bl.DataError, match=match):
            bl.LogitModel(formula, both)


def test_a_lone_compatibility_character_column_still_works():
    df = _df(**{"\ufb01t": np.linspace(-1, 1, 8)})
    fit = bl.LogitModel("y ~ Q('\ufb01t')", df).fit_mle()
    assert fit.design.column_names[1] == "Q('\ufb01t')"


def _saved_mle(tmp_path):
    path = tmp_path / "fit.nc"
    bl.LogitModel("y ~ x", _df(y=[0, 1, 1, 0, 1, 0, 0, 1])).fit_mle().save(path)
    return path


def test_a_small_file_declaring_a_huge_posterior_is_refused_before_anything_is_read(tmp_path, monkeypatch):
    import h5py
    import xarray as xr

    path = _saved_mle(tmp_path)
    with h5py.File(path, "r+") as f:  # 9.6 GB declared; its chunks are never written (fill values)
        f["point"].create_dataset(
            "huge", shape=(4, 1000, 300_000), dtype="f8", chunks=(1, 100, 1000), compression="gzip"
        )
    assert path.stat().st_size < 200_000

    def read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(xr, "open_datatree", read)
    with pytest.raises(
        bl.FitFileError,
        match=r"declares arrays that need 9\.6 GB of memory to load \(the largest, 'point/huge', 9\.6 GB\), "
        r"more than bl\.options\['load_max_bytes'\] = 8\.6 GB; nothing was read",
    ):
        bl.load(path)


def test_the_load_limit_counts_the_rebuilt_design_and_is_an_option(tmp_path):
    path = _saved_mle(tmp_path)
    assert bl.load(path).params.shape == (2,)
    # 8 rows x 2 columns x 8 B = 128 B of design, besides the stored arrays
    with bl.option_context(load_max_bytes=200), pytest.raises(bl.FitFileError, match=r"more than .* = 200 B"):
        bl.load(path)


def test_a_lone_column_python_reads_under_another_name_says_so():
    df = _df(**{"\u00b5": np.linspace(-1, 1, 8)})
    with pytest.raises(
        bl.FormulaError, match=r"names the column '\u00b5', which Python reads as '\u03bc'.*Q\('\u00b5'\)"
    ):
        bl.LogitModel("y ~ \u00b5", df)
    assert bl.LogitModel("y ~ Q('\u00b5')", df).design.column_names == ["Intercept", "Q('\u00b5')"]


def test_interaction_values_that_spell_another_levels_label_are_refused():
    g1, g2 = ["('a", "a:b"], ["b', 'c')", "c"]  # joined: "('a:b', 'c')", the quoted label of the other
    with pytest.raises(bl.DataError, match=r"two different levels of \(g1:g2\) have one label .*rename the values"):
        bl.LogitModel("y ~ x + (1 | g1:g2)", _df(g1=g1 * 4, g2=g2 * 4))
