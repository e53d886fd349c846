"""Checks of the data frame's columns, before patsy sees them.

Owns what is refused (or dropped) by column, naming the column and the fix: duplicate names,
complex and date columns, missing values (``missing="raise"`` / ``"drop"``, and in new data),
text columns that look numeric, unused categories of a categorical predictor; and pandas'
nullable dtypes converted to numpy's, which patsy understands.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import unicodedata
import warnings

import numpy as np
import pandas as pd

from ..errors import DataError, MissingDataWarning
from .names import plain_value


def numpy_dtypes(data: pd.DataFrame, used: list[str]) -> pd.DataFrame:
    """Nullable extension dtypes (``boolean``, ``Int64``, ``Float64``, ``string``) as numpy
    dtypes, which patsy understands (missing values were handled before)."""
    conv = {}
    for c in used:
        dt = data[c].dtype
        if isinstance(dt, pd.api.extensions.ExtensionDtype) and not isinstance(dt, pd.CategoricalDtype):
            kind = getattr(dt, "kind", "O")
            if kind == "b":
                conv[c] = data[c].to_numpy(dtype=bool)
            elif kind in "iu":
                conv[c] = data[c].to_numpy(dtype=np.int64)
            elif kind == "f":
                conv[c] = data[c].to_numpy(dtype=np.float64)
            elif isinstance(dt, pd.StringDtype) and dt.na_value is pd.NA:  # "string", not pandas 3's "str"
                conv[c] = data[c].to_numpy(dtype=object)
    if not conv:
        return data
    data = data.copy(deep=False)
    for c, v in conv.items():
        data[c] = pd.Series(v, index=data.index)
    return data


def check_unused_categories(data: pd.DataFrame, predictors: list[str]) -> None:
    """A categorical predictor with a declared category that never occurs makes an all-zero
    design column: say so, with the fix (rather than "drop the column")."""
    for c in predictors:
        col = data[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            unused = [v for v in col.cat.categories if not (col == v).any()]
            if unused:
                raise DataError(
                    f"level {plain_value(unused[0])!r} of {c!r} never occurs in the data (an unused "
                    f"category{'' if len(unused) == 1 else f'; {len(unused)} in all'}); drop it: "
                    f"df[{c!r}] = df[{c!r}].cat.remove_unused_categories()"
                )


def check_no_missing(data: pd.DataFrame, used: list[str], *, what: str) -> None:
    counts = {c: int(data[c].isna().sum()) for c in used}
    bad = {c: k for c, k in counts.items() if k}
    if bad:
        desc = ", ".join(f"{c!r} ({k} row{'s' if k > 1 else ''})" for c, k in bad.items())
        raise DataError(f"{what} has missing values in {desc}; fill them in before predicting")


def handle_missing(data: pd.DataFrame, used: list[str], missing: str) -> tuple[pd.DataFrame, int]:
    na = data[used].isna()
    rows = na.any(axis=1)
    n_rows = int(rows.sum())
    if n_rows == 0:
        return data, 0
    per_col = {c: int(na[c].sum()) for c in used if na[c].any()}
    desc = ", ".join(f"{c!r} ({k})" for c, k in per_col.items())
    if missing == "raise":
        raise DataError(
            f"{n_rows} of {len(data)} rows have missing values (per column: {desc}); "
            "impute them, or pass missing='drop' to drop those rows"
        )
    kept = data.loc[~rows]
    if len(kept) == 0:
        raise DataError(f"every row has a missing value (per column: {desc}); nothing is left to fit")
    warnings.warn(
        f"dropped {n_rows} of {len(data)} rows with missing values (per column: {desc})",
        MissingDataWarning,
        stacklevel=4,
    )
    return kept, n_rows


def check_normalised_names(data: pd.DataFrame, used: list[str], *, what: str) -> None:
    """Refuse (:class:`~bayeslogit.DataError`) a column the formula uses whose name is another
    column's after Unicode NFKC normalisation (``µ`` U+00B5 and ``μ`` U+03BC, ``fit`` and ``ﬁt``).

    Python normalises identifiers (NFKC) before patsy evaluates them, so ``y ~ µ`` reads the
    column ``μ`` when both exist: the formula names one column and the other is fitted."""
    by_form: dict[str, list[str]] = {}
    for c in data.columns:
        if isinstance(c, str):
            by_form.setdefault(unicodedata.normalize("NFKC", c), []).append(c)
    for c in used:
        same = by_form.get(unicodedata.normalize("NFKC", c), []) if isinstance(c, str) else []
        if len(same) > 1:
            named = " and ".join(f"{n!r} ({' '.join(f'U+{ord(ch):04X}' for ch in n if ord(ch) > 127)})" for n in same)
            raise DataError(
                f"{what} has columns {named} whose names are one name after Unicode normalisation "
                f"(NFKC, as Python reads identifiers), so the formula could read the other column "
                f"than the one it names; rename one of them"
            )


def check_column_types(data: pd.DataFrame, used: list[str]) -> None:
    """Duplicate names and dtypes patsy would mishandle (complex, dates) fail here, by name."""
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()] if c in used})
    if dup:
        raise DataError(f"data has more than one column named {dup}; rename or drop the duplicates")
    check_normalised_names(data, used, what="data")
    for c in used:
        kind = data[c].dtype.kind
        if kind == "c":
            raise DataError(f"column {c!r} holds complex numbers; a logistic regression needs real values")
        if kind in "mM":
            raise DataError(
                f"column {c!r} holds dates or time spans; convert it to a number (e.g. days since a "
                "reference date) or to strings for a categorical predictor"
            )


def check_numeric_looking(data: pd.DataFrame, used: list[str]) -> None:
    """A text column whose values are mostly numbers is a numeric column with garbage in it."""
    for c in used:
        col = data[c]
        if col.dtype.kind not in "OUS" and not pd.api.types.is_string_dtype(col.dtype):
            continue
        parsed = pd.to_numeric(col, errors="coerce")
        bad = parsed.isna() & col.notna()
        if parsed.notna().mean() >= 0.5 and bad.any():
            first = col[bad].iloc[0]
            raise DataError(
                f"column {c!r} looks numeric but holds {int(bad.sum())} non-numeric value(s) "
                f"(first: {first!r} at index {col[bad].index[0]!r}); clean it, e.g. with "
                "pd.to_numeric(df[col], errors='coerce') and then handle the NaNs"
            )
