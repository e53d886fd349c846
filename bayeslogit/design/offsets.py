"""Offsets: terms of the linear predictor with a coefficient fixed at 1.

Owns the formula's ``offset(expr)`` terms (taken out of the formula before patsy builds the
design, and kept as a ``DesignInfo`` of their own that evaluates them on new data), the
``offset=`` column or array (kept in the model's rows under :data:`ARRAY_OFFSET`), their checks
(one finite number per row) and the offset of new rows (:meth:`Design.encode_offset`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import patsy

from .._formula import calls_offset, formula_names, offset_expression
from ..errors import ArgumentError, DataError, DesignError, FormulaError
from .data_checks import check_no_missing
from .names import NAME_ERROR, formula_error

ARRAY_OFFSET = "(offset)"
"""The column under which an offset given as an array (``offset=np.array(...)``) is kept in the
model's snapshot of its training rows (so that ``save``/``load`` and pickling keep it)."""


def offset_of_new_rows(design, data: pd.DataFrame, offset: Any) -> np.ndarray | None:
    """The offset of new rows (:meth:`Design.encode_offset`, which documents it)."""
    if design.offset is None:
        if offset is not None:
            raise ArgumentError("offset= was given, but the model has no offset; leave it out")
        return None
    total = np.zeros(len(data))
    if design.offset_terms:
        check_no_missing(data, formula_names(design.offset_terms, data.columns), what="new data")
        with np.errstate(all="ignore"):
            total += eval_offsets(design.offset_info, data, design.formula, what="new data")
    if offset is not None and design.offset_name is None:
        raise ArgumentError(
            f"offset= was given, but the model's offset comes from its formula ({design.offset_label}), "
            "which is evaluated on the new data; leave offset= out"
        )
    if design.offset_name is not None:
        if offset is None and design.offset_name == ARRAY_OFFSET and ARRAY_OFFSET not in data.columns:
            raise ArgumentError(
                "the model's offset was given as an array, so new rows need theirs: pass "
                "offset=<one value per new row> (or a column name of the new data)"
            )
        name = design.offset_name if offset is None else offset
        if isinstance(name, str):
            if name not in data.columns:
                raise DataError(
                    f"new data lacks the offset column {name!r}; add it, or pass offset=<one value per new row>"
                )
            values = data[name]
            if values.isna().any():
                raise DataError(
                    f"new data has missing values in the offset column {name!r}; fill them in before predicting"
                )
            total += offset_column(values, name, exc=DataError, what="new data")
        else:
            array = offset_array(offset, len(data), "new rows", exc=ArgumentError)
            total += offset_column(pd.Series(array), "offset=", exc=DataError, what="new data")
    return total


def split_offsets(formula: str, desc):
    """``(desc without its offset terms, (expr, ...))``: the formula's ``offset(expr)`` terms
    are taken out before patsy sees the formula (they are no design columns)."""
    terms, found = [], []
    for term in desc.rhs_termlist:
        try:
            inner = [offset_expression(f.code) for f in term.factors]
        except ValueError as exc:
            raise FormulaError(f"formula {formula!r}: {exc}") from None
        if any(e is not None for e in inner):
            if len(term.factors) != 1:
                raise FormulaError(
                    f"formula {formula!r}: offset(...) cannot be part of an interaction; write it as "
                    "a term of its own, e.g. 'y ~ x + offset(np.log(exposure))'"
                )
            found.append(inner[0])
            continue
        if any(calls_offset(f.code) for f in term.factors):
            raise FormulaError(
                f"formula {formula!r}: offset(...) must be a term of its own, not inside another "
                "expression; e.g. 'y ~ x + offset(np.log(exposure))'"
            )
        terms.append(term)
    if any(calls_offset(f.code) for t in desc.lhs_termlist for f in t.factors):
        raise FormulaError(f"formula {formula!r}: offset(...) belongs on the right of '~'")
    return patsy.ModelDesc(desc.lhs_termlist, terms), tuple(found)


_KEEP_NA = patsy.NAAction(NA_types=[])  # NaN offsets reach the finiteness check, which names them


def offset_design_info(codes, data: pd.DataFrame, eval_env, formula: str):
    """patsy's ``DesignInfo`` of the offset expressions (one numeric column each), which
    evaluates them on new data exactly as on the training rows."""
    desc = patsy.ModelDesc([], [patsy.Term([patsy.EvalFactor(c)]) for c in codes])
    try:
        with np.errstate(all="ignore"):
            info = patsy.incr_dbuilder(desc, lambda: iter([data]), eval_env=eval_env, NA_action=_KEEP_NA)
    except patsy.PatsyError as exc:
        raise formula_error(formula, exc, data) from None
    for factor, fi in info.factor_infos.items():
        if fi.type != "numerical" or fi.num_columns != 1:
            raise DesignError(
                f"offset({factor.code}) must be one number per row, but gives "
                + ("non-numeric values (a categorical)" if fi.type != "numerical" else f"{fi.num_columns} columns")
                + "; an offset is a numeric column, e.g. offset(np.log(exposure))"
            )
    return info


def eval_offsets(info, data: pd.DataFrame, formula: str, *, what: str) -> np.ndarray:
    """The sum of the offset terms of ``info`` on ``data``; non-finite values are refused by name."""
    try:
        M = patsy.build_design_matrices([info], data, NA_action=_KEEP_NA, return_type="matrix")[0]
    except patsy.PatsyError as exc:
        m = NAME_ERROR.search(str(exc))
        if m and what != "data":
            raise DataError(f"new data lacks column {m.group(1)!r} used by the offset of {formula!r}; add it") from None
        raise formula_error(formula, exc, data) from None
    M = np.asarray(M, dtype=float)
    for j, name in enumerate(info.column_names):
        bad = ~np.isfinite(M[:, j])
        if bad.any():
            exc_type = DesignError if what == "data" else DataError
            raise exc_type(
                f"{what}: offset({name}) is not finite (inf or NaN) in {int(bad.sum())} row(s) (first at "
                f"row {int(np.flatnonzero(bad)[0])}); an offset must be a finite number in every row "
                "(e.g. np.log of a positive exposure)"
            )
    return M.sum(axis=1)


def offset_array(values, n: int, what: str, *, exc) -> np.ndarray:
    """An offset given as an array: one number per row, as float64 (NaN kept for ``missing=``)."""
    if isinstance(values, (pd.DataFrame, dict, set)) or np.ndim(values) == 0:
        raise exc(f"offset= must be a column name or an array with one number per row, got {type(values).__name__}")
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise exc(f"offset= has shape {arr.shape}, but needs one number per {what} ({n})")
    if arr.dtype.kind not in "iuf":
        raise DesignError(f"offset= must hold numbers, got dtype {arr.dtype}")
    return arr.astype(float)


def offset_column(s: pd.Series, name: str, *, exc, what: str) -> np.ndarray:
    """A numeric, finite offset column as float64, else ``exc`` naming it."""
    label = name if name == "offset=" else f"offset column {name!r}"
    if s.dtype.kind not in "iuf":
        raise DesignError(
            f"{label} must hold numbers, got dtype {s.dtype}; convert it (e.g. pd.to_numeric) or "
            "choose the numeric column meant as the offset"
        )
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v)
    if bad.any():
        raise exc(
            f"{what}: {label} is not finite (inf or NaN) in {int(bad.sum())} row(s) (first: {v[bad][0]:g}); "
            "an offset must be a finite number in every row"
        )
    return v
