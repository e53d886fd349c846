"""``datagrid``: rows of representative predictor values, as marginaleffects' ``datagrid()``.

The grid has one row per combination of the values given (in the order given, the first name
varying slowest); every other variable of the model is held at its training mean (numeric) or
its most frequent level (factor, string, boolean, ``C(x)``; ties: the first level). The
variables of a model are the columns of its training data other than the response, the trials
and the weights: the predictors of the formula, the group variables of ``(1 | g)`` terms and
the columns of an offset.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.names import identifiers
from ..errors import ArgumentError
from ..model import training_rows

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results

__all__ = ["datagrid", "model_variables", "is_factor", "factor_levels", "set_value"]


def model_variables(results: Results) -> pd.DataFrame:
    """The training rows, restricted to the model's variables (no response, trials or weights)."""
    d = results.design
    data = training_rows(results.model)
    drop = set(identifiers(d.response)) | {d.trials_name, d.weights_name}
    return data[[c for c in data.columns if c not in drop]]


def is_factor(results: Results, data: pd.DataFrame, name: str) -> bool:
    """Whether variable ``name`` is a factor: a non-numeric or boolean column, or ``C(name)``."""
    col = data[name]
    if not pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
        return True
    for factor, info in results.design.design_info.factor_infos.items():
        if info.type == "categorical" and re.fullmatch(rf"C\(\s*{re.escape(name)}\b.*", factor.code.strip()):
            return True
    return False


def factor_levels(col: pd.Series) -> list:
    """The levels of a factor column: its categories, else its sorted distinct values."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    return sorted(pd.unique(col.dropna()).tolist())


def _mode(col: pd.Series):
    counts = col.value_counts(sort=False)
    levels = factor_levels(col)
    return max(levels, key=lambda v: (counts.get(v, 0), -levels.index(v)))


def _column(template: pd.Series, values: list) -> pd.Series:
    """``values`` with the dtype of the training column (categories kept)."""
    if isinstance(template.dtype, pd.CategoricalDtype):
        return pd.Series(
            pd.Categorical(values, categories=template.cat.categories, ordered=template.cat.ordered),
            name=template.name,
        )
    return pd.Series(values, dtype=template.dtype, name=template.name)


def set_value(data: pd.DataFrame, name: str, value, template: pd.Series) -> pd.DataFrame:
    """A copy of ``data`` with factor ``name`` set to ``value`` in every row (training dtype kept)."""
    col = _column(template, [value] * len(data))
    col.index = data.index
    return data.assign(**{name: col})


def _check_values(results: Results, data: pd.DataFrame, name: str, values: Any) -> list:
    if isinstance(values, (str, bytes, bool)) or np.isscalar(values) or values is None:
        values = [values]
    values = list(values)
    if not values:
        raise ArgumentError(f"datagrid: no values given for {name!r}")
    if is_factor(results, data, name):
        levels = factor_levels(data[name])
        bad = [v for v in values if v not in levels]
        if bad:
            raise ArgumentError(
                f"datagrid: {name!r} is a factor and {bad} {'is not one of its levels' if len(bad) == 1 else 'are not among its levels'}; "
                f"its levels are {levels}"
            )
    else:
        for v in values:
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise ArgumentError(f"datagrid: {name!r} is numeric, but was given {v!r}; give numbers")
    return values


def datagrid(results: Results, **values: Any) -> pd.DataFrame:
    """A grid of predictor values: one row per combination of ``values``, the other variables of
    the model at their mean (numeric) or most frequent level (factors).

    Parameters
    ----------
    results : MLEResults, MAPResults or PosteriorResults
        Any fit; the grid is built from its model's training data.
    **values
        ``name=value`` or ``name=[values...]`` for variables of the model.

    Returns
    -------
    pandas.DataFrame
        Columns: the model's variables in training order, with the training dtypes.

    Raises
    ------
    ArgumentError
        A name that is not a variable of the model, or a factor value that is not one of its
        levels (the message lists the valid ones).

    Examples
    --------
    >>> import bayeslogit as bl, pandas as pd
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [1.0, 2, 3, 4, 5, 6], "g": list("abbbab")})
    >>> fit = bl.LogitModel("y ~ x + g", df).fit_mle()
    >>> bl.datagrid(fit, x=[0, 10])
          x  g
    0   0.0  b
    1  10.0  b
    """
    data = model_variables(results)
    unknown = [name for name in values if name not in data.columns]
    if unknown:
        raise ArgumentError(
            f"datagrid: {unknown} {'is not a variable' if len(unknown) == 1 else 'are not variables'} "
            f"of the model; its variables are {list(data.columns)}"
        )
    given = {name: _check_values(results, data, name, v) for name, v in values.items()}
    combos = list(itertools.product(*given.values())) if given else [()]
    out = {}
    for name in data.columns:
        col = data[name]
        if name in given:
            vals = [c[list(given).index(name)] for c in combos]
        elif is_factor(results, data, name):
            vals = [_mode(col)] * len(combos)
        else:
            vals = [float(col.mean())] * len(combos)
        if not is_factor(results, data, name):
            out[name] = pd.Series(np.asarray(vals, dtype=float), name=name)
        else:
            out[name] = _column(col, vals)
    return pd.DataFrame(out)
