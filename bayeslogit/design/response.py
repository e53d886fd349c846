"""Response coding: the left-hand side of the formula as successes (and trials).

Owns evaluating the response expression on the rows, coding a binary response as 0/1 (which
value is the event, R's convention for two-level factors), the success counts and trials of
aggregated binomial data (``trials=``), and frequency weights (``weights=``), which the builder
folds into the counts.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import patsy

from ..errors import DataError, FormulaError
from .names import plain_value, preview


def eval_response(code: str, data: pd.DataFrame, env: patsy.EvalEnvironment) -> pd.Series:
    if code in data.columns:
        return data[code]
    try:
        import patsy.builtins

        builtins = {name: getattr(patsy.builtins, name) for name in patsy.builtins.__all__}
        namespace = {c: data[c] for c in data.columns if isinstance(c, str)}
        value = env.with_outer_namespace(builtins).eval(code, inner_namespace=namespace)
    except Exception as exc:  # noqa: BLE001 - user expression, re-raised with context
        raise FormulaError(f"cannot evaluate the response {code!r}: {type(exc).__name__}: {exc}") from None
    if type(value).__name__ == "_CategoricalBox":  # C(y): patsy's wrapper of the values and levels
        levels = value.levels
        value = value.data
        if levels is not None:
            value = pd.Categorical(np.asarray(value).reshape(-1), categories=list(levels))
    if isinstance(value, pd.Categorical):
        return pd.Series(value, index=data.index)
    value = pd.Series(np.asarray(value).reshape(-1) if np.ndim(value) else [value] * len(data), index=data.index)
    if len(value) != len(data):
        raise FormulaError(f"the response {code!r} has {len(value)} values for {len(data)} rows")
    return value


def cbind_parts(code: str) -> tuple[str, str] | None:
    """The two expressions of an R-style ``cbind(successes, failures)`` response, else None."""
    import ast

    try:
        node = ast.parse(code.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "cbind"):
        return None
    if len(node.args) != 2 or node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise FormulaError(
            f"the response {code!r} must be cbind(successes, failures): two columns or expressions, as R's glm"
        )
    return ast.unparse(node.args[0]), ast.unparse(node.args[1])


def code_cbind(parts: tuple[str, str], data: pd.DataFrame, env: patsy.EvalEnvironment) -> tuple[np.ndarray, np.ndarray]:
    """Successes and trials (successes + failures) of a ``cbind(successes, failures)`` response."""
    yes = as_counts(eval_response(parts[0], data, env), f"successes {parts[0]!r} of cbind()")
    no = as_counts(eval_response(parts[1], data, env), f"failures {parts[1]!r} of cbind()")
    n = yes + no
    if np.any(n < 1):
        raise DataError(
            f"cbind({parts[0]}, {parts[1]}): successes + failures must be >= 1 in every row; "
            f"{int(np.sum(n < 1))} row(s) have no trials (drop them)"
        )
    return yes, n


def code_binary(y: pd.Series, name: str, event: Any) -> tuple[np.ndarray, Any, tuple]:
    """0/1-code a binary response. Returns (y01, event, (non_event, event))."""
    values = y.to_numpy()
    if isinstance(y.dtype, pd.CategoricalDtype):
        observed = [c for c in y.cat.categories if (y == c).any()]
    else:
        if y.dtype.kind in "fc" and not np.all(np.isfinite(values.astype(float))):
            raise DataError(f"response {name!r} has non-finite values (inf); remove or fix those rows")
        observed = sorted(pd.unique(y), key=_sort_key)
    if len(observed) < 2:
        raise DataError(
            f"response {name!r} is constant (every row is {plain_value(observed[0])!r}); a logistic regression "
            "needs both outcomes in the data"
        )
    if len(observed) > 2:
        raise DataError(
            f"response {name!r} must have two outcomes, but has {len(observed)} distinct values "
            f"({preview(observed)}); recode it to 0/1 (e.g. 'I(y == \"yes\") ~ ...' or a new column), "
            "or pass family='multinomial' (or 'ordinal') to model every outcome"
        )
    kind = y.dtype.kind if not isinstance(y.dtype, pd.CategoricalDtype) else "O"
    if event is None:
        if kind == "b":
            event = True
        elif kind in "iuf":
            if not set(np.asarray(observed, dtype=float)) <= {0.0, 1.0}:
                raise DataError(
                    f"response {name!r} must be 0/1, but holds the values {preview(observed)}; "
                    "recode it, pass event=<value> to choose the success, or use trials= for counts"
                )
            event = 1
        else:
            event = observed[-1]
    matches = [v for v in observed if v == event]
    if not matches and isinstance(event, str):  # e.g. the CLI's --event True or --event 1.0
        matches = _matching_text(observed, event, kind)
    if not matches:
        raise DataError(f"event={event!r} is not a value of response {name!r} (values: {preview(observed)})")
    non_event = [v for v in observed if not v == event][0]
    y01 = (y == matches[0]).to_numpy().astype(np.int64)
    return y01, plain_value(matches[0]), (plain_value(non_event), plain_value(matches[0]))


def _matching_text(observed: list, event: str, kind: str) -> list:
    """The observed response values that the text ``event`` spells (one, or none)."""
    text = event.strip()
    if kind == "b":
        word = {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
        found = [v for v in observed if word is not None and bool(v) == word]
    elif kind in "iuf":
        try:
            number = float(text)
        except ValueError:
            return []
        found = [v for v in observed if float(v) == number]
    else:
        found = [v for v in observed if str(plain_value(v)) == text]
    return found if len(found) == 1 else []


def code_binomial(y: pd.Series, name: str, n: pd.Series, trials: str) -> tuple[np.ndarray, np.ndarray]:
    yv = as_counts(y, f"response {name!r}")
    nv = as_counts(n, f"trials column {trials!r}")
    if np.any(nv < 1):
        raise DataError(f"trials column {trials!r} must be >= 1 in every row; found {int(nv.min())}")
    bad = np.flatnonzero(yv > nv)
    if bad.size:
        raise DataError(
            f"response {name!r} exceeds trials {trials!r} in {bad.size} row(s) "
            f"(first at row {int(bad[0])}: {int(yv[bad[0]])} > {int(nv[bad[0]])})"
        )
    return yv, nv


def frequency_weights(s: pd.Series, name: str) -> np.ndarray:
    """The ``weights=`` column: int64 when every weight is a whole number >= 1 (frequency
    weights: a row of weight ``w`` counts ``w`` times), float64 when any is not (likelihood
    weights: each row's log-likelihood multiplied by its weight, as brms' ``weights()`` and
    scikit-learn's ``sample_weight``); a DataError naming ``weights=`` and the fix for
    non-finite, zero or negative weights."""
    if s.dtype.kind not in "iufb":
        raise DataError(f"weights column {name!r} must hold positive numbers, got dtype {s.dtype}")
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        first = v[bad][0]
        raise DataError(
            f"weights column {name!r} must hold finite numbers > 0 (a row of weight w counts w "
            f"times; non-integer weights scale each row's log-likelihood); found {first:g} in "
            f"{int(bad.sum())} row(s). Drop rows of weight 0"
        )
    if np.all(v == np.round(v)):
        return v.astype(np.int64)
    return v


def as_counts(s: pd.Series, what: str) -> np.ndarray:
    if s.dtype.kind not in "iufb":
        raise DataError(f"{what} must hold non-negative whole numbers, got dtype {s.dtype}")
    v = s.to_numpy(dtype=float)
    if not np.all(np.isfinite(v)):
        raise DataError(f"{what} has non-finite values; fix those rows")
    if np.any(v < 0) or np.any(v != np.round(v)):
        bad = v[(v < 0) | (v != np.round(v))][0]
        raise DataError(f"{what} must hold non-negative whole numbers; found {bad:g}")
    return v.astype(np.int64)


def _sort_key(v):
    return (str(type(v).__name__), v) if not isinstance(v, (int, float, np.number, bool)) else ("", v)
