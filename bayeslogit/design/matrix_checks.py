"""Checks of the design matrix: its size before it is built, then its values and rank.

Owns refusing a factor with too many levels or a design with too many columns before any
``n x p`` array is allocated (:func:`checked_dmatrix`), and then, by row blocks, non-finite columns,
columns of extreme magnitude and constant or linearly dependent columns (with the fix for a
spline basis that duplicates the intercept). Design columns of new data get the first two.

The size limits are the options ``max_levels`` and ``max_columns`` (:mod:`bayeslogit._options`),
read when a check runs; ``MAX_MAGNITUDE`` is the package's constant.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import patsy

from .._options import options
from ..errors import DataError, DesignError


def _limit(name: str):
    """The limit ``name``: an option (``max_levels``, ``max_columns``) or ``MAX_MAGNITUDE``."""
    if name == "MAX_MAGNITUDE":
        from . import MAX_MAGNITUDE  # the package, which imports this module: deferred

        return MAX_MAGNITUDE
    return options[name]


def checked_dmatrix(rhs, data: pd.DataFrame, eval_env):
    """``patsy.dmatrix(rhs, data, return_type="matrix")`` in its two steps, with a size check
    between them: the design's columns are known (levels found, transforms fitted) before
    any ``n x p`` array is allocated, so a many-level factor is refused in a pass over its
    column instead of minutes and GBs later. ``"matrix"``, not ``"dataframe"``: patsy builds a
    C-ordered array once (peak ~1.1 x X) where the DataFrame route copies it (~2.1 x X)."""
    info = patsy.incr_dbuilder(rhs, lambda: iter([data]), eval_env=eval_env, NA_action="raise")
    _check_design_size(info, len(data))
    return patsy.build_design_matrices([info], data, NA_action="raise", return_type="matrix")[0]


def check_levels_early(data: pd.DataFrame, codes: list[str], names: list[str]) -> None:
    """Before patsy: a column the formula treats as categorical (non-numeric, or inside
    ``C(...)``) with more than the option ``max_levels`` distinct values is refused by one
    ``nunique`` (patsy itself would first build a dense levels x levels contrast matrix:
    seconds and 400 MB for 5,000 levels)."""
    n, max_levels = len(data), _limit("max_levels")
    for col in names:
        if col not in data.columns:
            continue
        users = [c for c in codes if c == col or re.search(rf"\bC\(\s*{re.escape(col)}\b", c)]
        wrapped = [c for c in users if c != col]
        s = data[col]
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        if not users or (numeric and not wrapped):
            continue
        k = int(s.nunique(dropna=True))
        if k > max_levels:
            _refuse_levels(wrapped[0] if wrapped else col, k, n, k, column=col)


def _refuse_levels(name: str, k: int, n: int, p: int, *, column: str | None = None) -> None:
    from .._blocks import nbytes_text

    max_levels = _limit("max_levels")
    raise DesignError(
        f"factor {name} has {k:,} levels (more than bl.options['max_levels'] = {max_levels:,}): "
        f"the dense design would be {n:,} rows x {p:,}+ columns x 8 B = {nbytes_text(n * p * 8.0)}, "
        f"and each Newton step and the rank check about n p^2 = {n * float(p) ** 2:.1e} flops; "
        f"model it as a group effect (a hierarchical model, e.g. bambi's (1|{column or name})), "
        "target-encode it, or use fewer levels (e.g. keep the most frequent and merge the rest "
        "into 'other')"
    )


def _check_design_size(info, n: int) -> None:
    """Refuse (DesignError) a factor with more than the option ``max_levels`` levels or a design of
    more than the option ``max_columns`` columns, saying what the dense design would need and the fix."""
    p, max_levels, max_columns = len(info.column_names), _limit("max_levels"), _limit("max_columns")
    big = [
        (f.name(), len(fi.categories))
        for f, fi in info.factor_infos.items()
        if fi.type == "categorical" and len(fi.categories) > max_levels
    ]
    if not big and p <= max_columns:
        return
    from .._blocks import nbytes_text

    size = (
        f"the dense design would be {n:,} rows x {p:,} columns x 8 B = {nbytes_text(n * p * 8.0)}, "
        f"and each Newton step and the rank check about n p^2 = {n * float(p) ** 2:.1e} flops"
    )
    if big:
        name, k = max(big, key=lambda t: t[1])
        _refuse_levels(name, k, n, p)
    raise DesignError(
        f"the design has {p:,} columns (more than bl.options['max_columns'] = {max_columns:,}): "
        f"{size}; use fewer levels or interactions (e.g. merge rare levels), or a group effect"
    )


def _column_blocks(X: np.ndarray):
    """Row blocks of ``X`` of at most the ``block_bytes`` option (:mod:`bayeslogit._options`) each."""
    from .._blocks import block_rows, row_slices

    for sl in row_slices(X.shape[0], block_rows(X.shape[1], block_bytes=8 * 2**20)):
        yield X[sl]


def _max_abs(X: np.ndarray) -> np.ndarray:
    """Per column ``max |x|``, by row blocks (no ``n x p`` copy); NaN propagates as before."""
    out = np.zeros(X.shape[1])
    for Xb in _column_blocks(X):
        out = np.maximum(out, np.abs(Xb).max(axis=0))
    return out


def check_finite_columns(X: np.ndarray, names: list[str], *, what: str) -> None:
    finite = np.ones(X.shape[1], dtype=bool)
    for Xb in _column_blocks(X):  # by row blocks: a boolean n x p array would be X / 8
        finite &= np.isfinite(Xb).all(axis=0)
    bad = [n for n, ok in zip(names, finite) if not ok]
    if bad:
        raise DataError(
            f"{what} gives non-finite (inf or NaN) values in design column(s) {bad}; check the "
            "input columns and any transforms such as np.log"
        )


def check_magnitude(X: np.ndarray, names: list[str], *, what: str = "data") -> None:
    """Training data: each column's largest |value| in [1e-100, 1e100] (or 0); new data: <= 1e100."""
    if X.shape[0] == 0:
        return
    new, top_magnitude = what != "data", _limit("MAX_MAGNITUDE")
    for name, top in zip(names, _max_abs(X)):
        too_small = 0 < top < 1 / top_magnitude and not new  # tiny new values are harmless
        if top > top_magnitude or too_small:
            exc, prefix = (DataError, f"{what}: ") if new else (DesignError, "")
            bound = f"above {top_magnitude:g}" if new else f"outside [{1 / top_magnitude:g}, {top_magnitude:g}]"
            raise exc(
                f"{prefix}design column {name!r} has values of magnitude {top:.3g}, {bound}; "
                f"rescale it (e.g. divide it by {top:.3g})"
            )


def check_rank(X: np.ndarray, names: list[str]) -> None:
    """Raise DesignError naming constant or linearly dependent design columns."""
    from scipy.linalg import qr

    from .._blocks import block_rows, one_blas_thread, row_slices

    n, p = X.shape
    intercept = [i for i, nm in enumerate(names) if nm == "Intercept"]
    lo, hi = X[0].copy(), X[0].copy()
    for Xb in _column_blocks(X):  # np.ptp per column, by row blocks (a C-ordered X: no strided passes)
        np.minimum(lo, Xb.min(axis=0), out=lo)
        np.maximum(hi, Xb.max(axis=0), out=hi)
    const = [names[i] for i in range(p) if i not in intercept and hi[i] - lo[i] == 0]
    if const and (intercept or len(const) > 1):
        raise DesignError(
            f"design column(s) {const} are constant, which duplicates the intercept; drop them from the formula"
        )
    if n < p:
        raise DesignError(
            f"the design has {p} columns but only {n} rows; the coefficients are not identified "
            "(use fewer predictors or more data)"
        )
    scale = _max_abs(X)  # max-abs, not the norm: no overflow for huge columns
    scale[scale == 0] = 1.0
    rows = max(block_rows(p, block_bytes=2 * 2**20), 4 * p)
    if n <= rows:  # small: the pivoted QR of X itself
        _, R, piv = qr(X / scale, mode="economic", pivoting=True)
    else:
        # Tall-skinny QR: the p x p R of each row block stacked on the R so far, then a pivoted
        # QR of the final R. R'R = X'X, so the column norms, pivots and |diag(R)| are those of a
        # pivoted QR of X (orthogonal invariance), with one small block of memory instead of
        # two n x p copies, without squaring the condition number as a Cholesky of X'X would,
        # and (one BLAS thread, blocks in cache) ~10x faster than LAPACK's pivoted QR of a tall X.
        with one_blas_thread():
            R = np.zeros((0, p))
            for sl in row_slices(n, rows):
                R = qr(np.vstack([R, X[sl] / scale]), mode="r", overwrite_a=True)[0][:p]
            R, piv = qr(R, mode="r", pivoting=True)
    _rank_verdict(R, piv, n, names)


def check_rank_from_r(
    R: np.ndarray, lo: np.ndarray, hi: np.ndarray, scale: np.ndarray, n: int, names: list[str]
) -> None:
    """:func:`check_rank` from what row blocks held elsewhere reduce to: the ``R`` of a QR of
    ``X`` (any row order: ``R'R = X'X``), the column minima, maxima and max-abs ``scale``
    (the design of a dask DataFrame, :mod:`bayeslogit.design.dask`). The same verdicts and
    messages: ``R diag(1/scale)`` is the ``R`` of ``X / scale``."""
    from scipy.linalg import qr

    p = len(names)
    intercept = [i for i, nm in enumerate(names) if nm == "Intercept"]
    const = [names[i] for i in range(p) if i not in intercept and hi[i] - lo[i] == 0]
    if const and (intercept or len(const) > 1):
        raise DesignError(
            f"design column(s) {const} are constant, which duplicates the intercept; drop them from the formula"
        )
    if n < p:
        raise DesignError(
            f"the design has {p} columns but only {n} rows; the coefficients are not identified "
            "(use fewer predictors or more data)"
        )
    scale = np.where(scale == 0, 1.0, scale)
    R, piv = qr(R / scale, mode="r", pivoting=True)
    _rank_verdict(R, piv, n, names)


def _rank_verdict(R: np.ndarray, piv: np.ndarray, n: int, names: list[str]) -> None:
    """Raise DesignError when the pivoted ``R`` of the scaled design is rank deficient."""
    p = len(names)
    diag = np.abs(np.diag(R))
    tol = diag.max() * max(n, p) * np.finfo(float).eps * 10
    rank = int(np.sum(diag > tol))
    if rank < p:
        dependent = [names[i] for i in sorted(piv[rank:])]
        raise DesignError(
            f"the design matrix is rank deficient (rank {rank} < {p} columns): column(s) "
            f"{dependent} are linear combinations of the others; "
            + (_spline_advice(names) or "drop them or merge levels")
        )


_SPLINE = re.compile(r"^(bs|cr|cc|te)\(")


def _spline_advice(names: list[str]) -> str | None:
    """The fix when a spline basis that sums to one sits next to the intercept, else None."""
    splines = sorted({n.split(")[")[0] + ")" if ")[" in n else n for n in names if _SPLINE.match(n)})
    if not splines or "Intercept" not in names:
        return None
    return (
        f"a spline basis that sums to one duplicates the intercept ({', '.join(splines)}): write "
        'cr(x, df=4, constraints="center") (also cc(), te()), use bs(x, df=4) without '
        "include_intercept=True, or drop the intercept with '- 1'"
    )
