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

EDGE_FLOATS = [0.0, -0.0, 1.0, -1.0, 1e-300, -1e-300, 1e-150, 1e150, 1e300, -1e300, 5e-324,
               1.7e308, np.nan, np.inf, -np.inf]
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
        assert set(np.unique(d.y)) == {0, 1}
        for fit in (model.fit_mle(), model.fit_map(), model.fit_map(prior=bl.Normal(0, 1))):
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
