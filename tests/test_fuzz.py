"""Fuzzing: random data frames through the design, the MLE, the MAP and predict.

Hypothesis builds frames of random size (tiny ones included) with numeric and categorical
predictors and edge values (huge and tiny magnitudes, ties, NaN, inf, constant columns, odd
responses). Each one must give either a result with finite numbers or a ``BayeslogitError``;
any other exception, and any warning that is not a ``BayeslogitWarning`` (a NumPy/SciPy
``RuntimeWarning`` leaking out), fails the test.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import bayeslogit as bl  # noqa: E402

EDGE_FLOATS = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e-300,
    -1e-300,
    1e-150,
    1e150,
    1e300,
    -1e300,
    5e-324,
    1.7e308,
    np.nan,
    np.inf,
    -np.inf,
]
LEVELS = ["a", "b", "c", None]


@st.composite
def _spiked(draw, values, n: int, edges):
    """``values`` with up to two entries replaced by edge values (so most frames stay usable)."""
    values = list(values)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2])) if n else 0):
        values[draw(st.integers(0, n - 1))] = draw(st.sampled_from(edges))
    return values


def _numeric(n: int):
    plain = st.one_of(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), st.integers(-3, 3).map(float))
    scale = st.sampled_from([1.0, 1.0, 1e-120, 1e-30, 1e30, 1e120])  # huge / tiny magnitudes
    column = st.one_of(
        st.tuples(st.lists(plain, min_size=n, max_size=n), scale).map(lambda t: [v * t[1] for v in t[0]]),
        st.lists(st.sampled_from([0.0, 1.0, 2.5]), min_size=n, max_size=n),  # ties
        st.sampled_from([0.0, 3.0, np.nan]).map(lambda v: [v] * n),  # constant
    )
    return column.flatmap(lambda values: _spiked(values, n, EDGE_FLOATS))


def _categorical(n: int):
    return st.lists(st.sampled_from(LEVELS[:3]), min_size=n, max_size=n).flatmap(
        lambda values: _spiked(values, n, [None, "d"])
    )


def _response(n: int):
    zero_one = st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n)
    return st.one_of(
        zero_one,
        zero_one.flatmap(lambda values: _spiked(values, n, [0.5, 2, -1, np.nan, np.inf])),
        st.lists(st.booleans(), min_size=n, max_size=n),
        st.lists(st.sampled_from(["no", "yes"]), min_size=n, max_size=n).flatmap(
            lambda values: _spiked(values, n, ["maybe", None])
        ),
    )


@st.composite
def frames(draw):
    n = draw(st.one_of(st.integers(0, 4), st.integers(5, 40)))
    data = {"y": draw(_response(n))}
    terms = []
    for j in range(draw(st.integers(min_value=1, max_value=3))):
        name = f"x{j}"
        if draw(st.booleans()):
            data[name] = draw(_numeric(n))
            terms.append(name)
        else:
            data[name] = draw(_categorical(n))
            terms.append(draw(st.sampled_from([name, f"C({name})"])))
    if len(terms) > 1 and draw(st.booleans()):
        terms.append(f"{terms[0]}:{terms[1]}")
    formula = "y ~ " + " + ".join(terms)
    missing = draw(st.sampled_from(["raise", "drop"]))
    return formula, pd.DataFrame(data), missing


@settings(max_examples=300, deadline=2000, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_design_mle_map_give_a_result_or_a_package_error(case):
    formula, df, missing = case
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy/SciPy/pandas warnings must not leak out ...
        warnings.simplefilter("ignore", bl.BayeslogitWarning)  # ... the package's own are fine
        try:
            model = bl.LogitModel(formula, df, missing=missing)
        except bl.BayeslogitError as exc:
            event(f"LogitModel: {type(exc).__name__}: {str(exc)[:40]}")
            return
        event("fitted")
        d = model.design
        assert d.n_obs + d.n_dropped == len(df)  # rows are never lost silently
        assert d.X.shape == (d.n_obs, len(d.column_names)) and np.all(np.isfinite(d.X))
        if d.categorical is not None:  # three or more text outcomes: multinomial under family="auto"
            event("categorical")
            assert set(np.unique(d.y)) == set(range(len(d.categorical.levels)))
            fit = model.fit_map(priors=bl.Normal(0, 1))  # a proper prior: a finite mode always
            assert np.all(np.isfinite(fit.params)), fit.params
            return
        assert set(np.unique(d.y)) == {0, 1}
        for fit in (model.fit_mle(), model.fit_map(), model.fit_map(priors=bl.Normal(0, 1))):
            assert list(fit.params.index) == d.column_names
            assert np.all(np.isfinite(fit.params)), (fit.method, fit.params)
            if fit.method == "map":
                assert np.all(np.isfinite(fit.bse)), (fit.method, fit.bse)
                try:  # the frame itself as new data: rows dropped for NaN now raise, by name
                    prob = fit.predict(df)
                except bl.BayeslogitError:
                    event("predict: BayeslogitError")
                else:
                    values = prob.drop(columns=["se"]).to_numpy()  # estimate and interval bounds
                    assert len(prob) == len(df) and np.all((values >= 0) & (values <= 1)), prob


# -- load() over mutated fit files (issue 12): every failure is a BayeslogitError ---------------------

import json  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(10**6), 10**6), st.floats(allow_nan=True), st.text(max_size=12)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)


@pytest.fixture(scope="module")
def fit_files():
    folder = Path(tempfile.mkdtemp(prefix="bl-fuzz-load-"))
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {"x": rng.normal(size=40), "g": pd.Categorical(rng.choice(list("ab"), 40)), "b": rng.random(40) > 0.5}
    )
    df["y"] = rng.binomial(1, 0.5, 40)
    model = bl.LogitModel("y ~ x + C(g) + b", df)
    model.fit_mle().save(folder / "mle.nc")
    model.fit_map().save(folder / "map.nc")
    model.sample(draws=10, tune=10, chains=1, random_seed=1, progressbar=False).save(folder / "post.nc")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _mutate_meta(path: Path, mutate) -> None:
    import h5py

    with h5py.File(path, "r+") as f:
        meta = json.loads(f["bayeslogit"].attrs["bayeslogit"])
        mutate(meta)
        f["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)


@st.composite
def _mutation(draw):
    kind = draw(st.sampled_from(["delete", "replace", "prior", "levels", "var_attr", "truncate"]))
    src = draw(st.sampled_from(["mle.nc", "map.nc", "post.nc"]))
    if kind == "delete":
        key = draw(
            st.sampled_from(
                [
                    "formula",
                    "response",
                    "event",
                    "levels",
                    "trials",
                    "n_dropped",
                    "column_names",
                    "priors",
                    "kind",
                    "sampler",
                    "random_seed",
                    "logpost",
                    "fit_priors",
                    "separation",
                    "format_version",
                ]
            )
        )
        return src, kind, key, None
    if kind in ("replace", "prior", "levels"):
        key = draw(
            st.sampled_from(
                [
                    "formula",
                    "response",
                    "event",
                    "levels",
                    "trials",
                    "n_dropped",
                    "column_names",
                    "kind",
                    "sampler",
                    "random_seed",
                    "iterations",
                    "converged",
                    "prior_label",
                    "separating_columns",
                ]
            )
        )
        return src, kind, key, draw(_JSON)
    if kind == "var_attr":
        attr = draw(st.sampled_from(["name", "pandas_dtype", "categories", "ordered"]))
        return src, kind, (draw(st.integers(0, 3)), attr), draw(st.one_of(st.text(max_size=10), st.integers(-5, 5)))
    return src, kind, draw(st.floats(0.0, 1.0)), None


@pytest.mark.slow  # over 3 s: `make test` stays under 5 minutes on 2 cores
@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_mutation())
def test_load_of_a_damaged_file_returns_or_raises_a_package_error(fit_files, mutation):
    src, kind, key, value = mutation
    work = Path(tempfile.mkdtemp(prefix="bl-fuzz-one-"))
    try:
        path = work / "f.nc"
        shutil.copy(fit_files / src, path)
        event(f"{src}:{kind}")
        if kind == "delete":
            _mutate_meta(path, lambda m: m.pop(key, None))
        elif kind == "replace":
            _mutate_meta(path, lambda m: m.__setitem__(key, value))
        elif kind == "prior":

            def hit(m):
                name = next(iter(m["priors"]["priors"]))
                m["priors"]["priors"][name]["params"] = value if isinstance(value, dict) else {"mu": value}

            _mutate_meta(path, hit)
        elif kind == "levels":
            _mutate_meta(path, lambda m: m.__setitem__("levels", value))
        elif kind == "var_attr":
            import h5py

            i, attr = key
            with h5py.File(path, "r+") as f:
                var = f["bayeslogit"].get(f"col{i}")
                if var is not None:
                    var.attrs[attr] = value
        else:
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * key)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                bl.load(path)
            except bl.BayeslogitError as exc:
                event(type(exc).__name__)
    finally:
        shutil.rmtree(work, ignore_errors=True)
