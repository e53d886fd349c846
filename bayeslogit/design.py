"""The formula layer: a patsy formula over a DataFrame -> response vector and design matrix.

:func:`build_design` is the only place raw user data is read. It checks the response coding,
missing values, trials and the rank of the design, and keeps patsy's ``DesignInfo`` so that
new data can be encoded exactly like the training data (:meth:`Design.encode`).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import patsy

from ._formula import (
    _recursion_room,
    calls_offset,
    factor_codes,
    formula_names,
    free_names,
    offset_expression,
    parse_formula,
)
from .errors import DataError, DesignError, FormulaError, MissingDataWarning
from .group_terms import build_group_design, group_columns, split_group_terms
from .summary import shorten

__all__ = ["Design", "build_design", "ARRAY_OFFSET"]

ARRAY_OFFSET = "(offset)"
"""The column under which an offset given as an array (``offset=np.array(...)``) is kept in the
model's snapshot of its training rows (so that ``save``/``load`` and pickling keep it)."""

_NAME_ERROR = re.compile(r"NameError: name '([^']+)' is not defined")


@dataclass(frozen=True)
class Design:
    """A response and design matrix built from a formula, with what is needed to redo it.

    Attributes
    ----------
    formula : str
        The formula as given.
    y : ndarray of int64, shape (n,)
        Successes: 0/1 for Bernoulli data, counts for aggregated binomial data.
    X : ndarray of float64, shape (n, p)
        The design matrix.
    column_names : list of str
        Design column names (patsy's), e.g. ``["Intercept", "C(g)[T.b]", "x1"]``.
    design_info : patsy.DesignInfo
        Kept to encode new data identically (same factor levels, same transforms).
    response : str
        The response expression (left-hand side of the formula).
    event : object
        The response value counted as a success (1, ``True`` or a level such as ``"yes"``).
    levels : tuple
        ``(non-event, event)`` values of the original response, for labelling.
    trials : ndarray of int64 or None
        Number of trials per row for aggregated binomial data, else None.
    trials_name : str or None
        The column ``trials`` was read from.
    weights : ndarray of int64 or None
        Frequency weights per row (``weights=``): a row of weight ``w`` counts ``w`` times.
        They are folded into ``y`` and ``trials`` (``y = w * successes``, ``trials = w * n``),
        a binomial likelihood equal to the weights-expanded data's in every fit path.
    weights_name : str or None
        The column ``weights`` was read from.
    n_dropped : int
        Rows dropped because of missing values (only with ``missing="drop"``).
    offset : ndarray of float64 or None
        The offset per row: a term of the linear predictor with a fixed coefficient of 1,
        ``eta = X @ beta + offset`` (the sum of the formula's ``offset(expr)`` terms and of the
        ``offset=`` column or array). Not a coefficient: it never appears in ``params``.
    offset_name : str or None
        The column ``offset=`` was read from (:data:`ARRAY_OFFSET` for an array), else None.
    offset_terms : tuple of str
        The expressions of the formula's ``offset(...)`` terms, e.g. ``("np.log(exposure)",)``.
    offset_info : patsy.DesignInfo or None
        Evaluates the formula's offset terms on new data (same transforms as in training).
    groups : GroupDesign or None
        The group terms (``(1 + x | g)``) of a multilevel model: per term a level index per row
        and the varying part's values (:mod:`bayeslogit.group_terms`); None without group
        terms. ``X``, ``column_names`` and ``design_info`` are the fixed (population) part only.
    """

    formula: str
    y: np.ndarray
    X: np.ndarray
    column_names: list[str]
    design_info: Any = field(repr=False)
    response: str
    event: Any
    levels: tuple
    trials: np.ndarray | None = None
    trials_name: str | None = None
    n_dropped: int = 0
    weights: np.ndarray | None = None
    weights_name: str | None = None
    offset: np.ndarray | None = None
    offset_name: str | None = None
    offset_terms: tuple = ()
    offset_info: Any = field(default=None, repr=False)

    groups: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        cols = shorten(", ".join(self.column_names), 70)
        off = f", offset {shorten(self.offset_label, 40)}" if self.offset is not None else ""
        groups = (
            ""
            if self.groups is None
            else ", " + shorten("; ".join(f"({t.label}): {t.n_levels} levels" for t in self.groups.terms), 70)
        )
        return f"<Design {shorten(self.formula)!r}: n={self.n_obs}, {self.n_coef} columns ({cols}){groups}, {self.family}{off}>"

    @property
    def offset_label(self) -> str | None:
        """The offset in words (``"np.log(exposure)"``, ``"log_e"``, ``"an array"``), None without one."""
        parts = list(self.offset_terms)
        if self.offset_name is not None:
            parts.append("an array (offset=)" if self.offset_name == ARRAY_OFFSET else self.offset_name)
        return " + ".join(parts) if parts else None

    def encode_offset(self, data: pd.DataFrame, offset: Any = None) -> np.ndarray | None:
        """The offset of new rows: the formula's ``offset(...)`` terms evaluated on ``data``
        plus the ``offset=`` part, read from ``data``'s column of that name or given here.

        Parameters
        ----------
        data : pandas.DataFrame
            The new rows.
        offset : str or array-like, optional
            Replaces the model's ``offset=`` part: a column of ``data`` or one value per row.
            Required when the model's offset was given as an array.

        Returns
        -------
        ndarray of float64 or None
            None when the model has no offset.

        Raises
        ------
        ArgumentError
            ``offset`` given for a model without an ``offset=`` part, or missing where needed.
        DataError
            A missing column, missing or non-finite values.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from bayeslogit.design import build_design
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1], "x": [0.1, 0.5, 0.2, 0.9], "e": [1.0, 2.0, 4.0, 8.0]})
        >>> d = build_design("y ~ x + offset(np.log2(e))", df)
        >>> d.encode_offset(pd.DataFrame({"x": [0.0], "e": [16.0]})).tolist()
        [4.0]
        """
        from .errors import ArgumentError

        if self.offset is None:
            if offset is not None:
                raise ArgumentError("offset= was given, but the model has no offset; leave it out")
            return None
        total = np.zeros(len(data))
        if self.offset_terms:
            _check_no_missing(data, formula_names(self.offset_terms, data.columns), what="new data")
            with np.errstate(all="ignore"):
                total += _eval_offsets(self.offset_info, data, self.formula, what="new data")
        if offset is not None and self.offset_name is None:
            raise ArgumentError(
                f"offset= was given, but the model's offset comes from its formula ({self.offset_label}), "
                "which is evaluated on the new data; leave offset= out"
            )
        if self.offset_name is not None:
            if offset is None and self.offset_name == ARRAY_OFFSET and ARRAY_OFFSET not in data.columns:
                raise ArgumentError(
                    "the model's offset was given as an array, so new rows need theirs: pass "
                    "offset=<one value per new row> (or a column name of the new data)"
                )
            name = self.offset_name if offset is None else offset
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
                total += _offset_column(values, name, exc=DataError, what="new data")
            else:
                values = _offset_array(offset, len(data), "new rows", exc=ArgumentError)
                total += _offset_column(pd.Series(values), "offset=", exc=DataError, what="new data")
        return total

    @property
    def n_obs(self) -> int:
        """Number of rows in the design."""
        return int(self.X.shape[0])

    @property
    def n_coef(self) -> int:
        """Number of design columns (coefficients)."""
        return int(self.X.shape[1])

    @property
    def has_intercept(self) -> bool:
        """Whether the design has patsy's ``Intercept`` column."""
        return "Intercept" in self.column_names

    @property
    def family(self) -> str:
        """``"bernoulli"`` or ``"binomial"``."""
        return "bernoulli" if self.trials is None else "binomial"

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Encode new data with the training design (same columns, levels and transforms).

        Parameters
        ----------
        data : pandas.DataFrame
            New rows holding every predictor the formula uses (the response is not needed).

        Returns
        -------
        ndarray of float64, shape (len(data), p)

        Raises
        ------
        DataError
            If a predictor is missing, holds NaN, or a factor has a level unseen in training.

        Examples
        --------
        >>> import pandas as pd
        >>> from bayeslogit.design import build_design
        >>> d = build_design("y ~ x", pd.DataFrame({"y": [0, 1, 0, 1], "x": [0.1, 0.5, 0.2, 0.9]}))
        >>> d.encode(pd.DataFrame({"x": [1.0, 2.0]})).tolist()
        [[1.0, 1.0], [1.0, 2.0]]
        """
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"new data must be a pandas DataFrame, got {type(data).__name__}")
        used = _predictor_columns(self.design_info, data.columns)
        missing_cols = [c for c in _formula_names(self.design_info) if c not in data.columns]
        if missing_cols:
            raise DataError(
                f"new data lacks column(s) {missing_cols} used by the formula {self.formula!r}; "
                "add them to the DataFrame"
            )
        _check_no_missing(data, used, what="new data")
        try:
            with np.errstate(all="ignore"):  # inf * 0 -> NaN is reported by name just below
                X = patsy.build_design_matrices([self.design_info], data, NA_action="raise")[0]
        except patsy.PatsyError as exc:
            msg = str(exc).splitlines()[0]
            level = re.search(r"observation with value (.+?) does not match any of the expected levels", str(exc))
            if level:
                raise DataError(
                    f"new data has a factor level {level.group(1)} that was not seen when the model "
                    f"was fitted ({_describe_levels(self.design_info)}); recode it to a known level "
                    "or refit with it"
                ) from None
            raise DataError(f"cannot encode new data with the model's design: {msg}") from None
        X = np.asarray(X, dtype=float)
        _check_finite_columns(X, self.column_names, what="new data")
        _check_magnitude(X, self.column_names, what="new data")
        return X


def build_design(
    formula: str,
    data: pd.DataFrame,
    *,
    event: Any = None,
    trials: str | None = None,
    weights: str | None = None,
    offset: Any = None,
    missing: Literal["raise", "drop"] = "raise",
    eval_env: int | patsy.EvalEnvironment = 0,
) -> Design:
    """Build the response and design matrix of a logistic regression from a patsy formula.

    Parameters
    ----------
    formula : str
        A patsy formula such as ``"y ~ x1 + C(group) + x1:x2"``.
    data : pandas.DataFrame
        The data the formula refers to.
    event : scalar, optional
        Response value counted as a success. Default: 1 for 0/1 numbers, ``True`` for
        booleans, and for a two-level string/categorical response the *last* level (the last
        category of an ordered/declared categorical, else the last in sorted order), as R's
        ``glm`` counts the second factor level as the success.
    trials : str, optional
        Column holding the number of trials per row (aggregated binomial data); the response
        is then the success count.
    weights : str, optional
        Column of frequency weights: a row of weight ``w`` counts as ``w`` identical rows
        (exact for the likelihood, as statsmodels' ``GLM(freq_weights=)``). They must be whole
        numbers >= 1; other weights are refused with a :class:`~bayeslogit.DataError`.
    offset : str or array-like, optional
        Column (or one number per row of ``data``) added to the linear predictor with a fixed
        coefficient of 1: ``eta = X @ beta + offset`` (e.g. ``np.log`` of an exposure). The
        formula can hold offsets too, as terms ``offset(expr)``; all of them are summed.
        Non-numeric or non-finite offsets raise a :class:`~bayeslogit.DesignError`.
    missing : {"raise", "drop"}
        What to do with rows holding missing values in the columns the model uses.
    eval_env : int or patsy.EvalEnvironment
        Where patsy looks up functions and names that are not columns (see patsy).

    Returns
    -------
    Design

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": ["no", "yes", "no", "yes"], "x": [0.1, 0.5, 0.2, 0.9]})
    >>> d = build_design("y ~ x", df)
    >>> d.column_names, d.event, d.y.tolist()
    (['Intercept', 'x'], 'yes', [0, 1, 0, 1])
    """
    return _build_design(
        formula,
        data,
        event=event,
        trials=trials,
        weights=weights,
        offset=offset,
        missing=missing,
        eval_env=eval_env
        if isinstance(eval_env, patsy.EvalEnvironment)
        else patsy.EvalEnvironment.capture(eval_env + 1),
    )[0]


def _build_design(
    formula, data, *, event, trials, missing, eval_env, weights=None, offset=None
) -> tuple[Design, pd.DataFrame]:
    """:func:`build_design`, also returning the training rows of the columns the model reads
    (after ``missing="drop"``, nullable dtypes converted): the model's snapshot of its data."""
    if not isinstance(formula, str) or "~" not in formula:
        raise FormulaError(
            f"formula must be a string like 'y ~ x1 + x2' with the response left of '~', got {formula!r}"
        )
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if isinstance(data.columns, pd.MultiIndex):
        raise DataError(
            "data has MultiIndex columns, which a formula cannot name; flatten them, e.g. "
            "df.columns = ['_'.join(map(str, c)) for c in df.columns]"
        )
    if missing not in ("raise", "drop"):
        raise DataError(f"missing must be 'raise' or 'drop', got {missing!r}")
    if len(data) == 0:
        raise DataError("data has no rows; a logistic regression needs observations")
    fixed, group_syntax = split_group_terms(formula)  # "(1 + x | g)" terms: not patsy's
    try:
        desc = parse_formula(fixed)
        desc, offset_terms = _split_offsets(formula, desc)
        codes = factor_codes(fixed, desc) + list(offset_terms)
        names = formula_names(codes, data.columns)
        free = free_names(codes, data.columns)
    except patsy.PatsyError as exc:
        raise FormulaError(f"cannot parse formula {_short(formula)!r}: {str(exc).splitlines()[0]}") from None
    except FormulaError:
        raise
    except (RecursionError, AssertionError, SyntaxError, MemoryError, ValueError) as exc:
        raise FormulaError(
            f"cannot parse formula {_short(formula)!r} ({type(exc).__name__}: it is too long or "
            "nested too deeply); build the design in pieces or make fewer, combined columns"
        ) from None
    if len(desc.lhs_termlist) != 1 or len(desc.lhs_termlist[0].factors) != 1:
        raise FormulaError(f"formula {formula!r} must have exactly one response on the left of '~' (e.g. 'y ~ x')")
    response = desc.lhs_termlist[0].factors[0].code
    rhs = patsy.ModelDesc([], desc.rhs_termlist)

    if trials is not None:
        if not isinstance(trials, str) or trials not in data.columns:
            raise DataError(
                f"trials={trials!r} is not a column of data; pass the name of the column holding "
                "the number of trials per row"
            )

    # Columns the model reads: the formula's names that are data columns, plus trials.
    unknown = [n for n in free if not _resolvable(n, eval_env)]
    if unknown:
        raise FormulaError(
            f"formula {formula!r} uses {unknown[0]!r}, which is not a column of data "
            f"(columns: {_preview(list(data.columns))}); fix the name or add the column"
        )
    if weights is not None:
        if not isinstance(weights, str) or weights not in data.columns:
            raise DataError(
                f"weights={weights!r} is not a column of data; pass the name of the column holding "
                "the frequency weight of each row"
            )
    offset_name = None
    if offset is not None:
        if isinstance(offset, str):
            if offset not in data.columns:
                raise DataError(
                    f"offset={offset!r} is not a column of data; pass the name of the column holding "
                    "the offset of each row (or an array with one value per row)"
                )
            offset_name = offset
        else:
            if ARRAY_OFFSET in data.columns:
                raise DataError(
                    f"data has a column named {ARRAY_OFFSET!r}, which bayeslogit reserves for "
                    "an offset given as an array; rename it"
                )
            values = _offset_array(offset, len(data), "rows of data", exc=DataError)
            data = data.copy(deep=False)  # the caller's frame is not changed
            data[ARRAY_OFFSET] = values
            offset_name = ARRAY_OFFSET
    used = names + [c for c in (trials, weights, offset_name) if c is not None and c not in names]
    if group_syntax:
        used += group_columns(group_syntax, data.columns)
    used = list(dict.fromkeys(used))
    _check_column_types(data, used)
    data, n_dropped = _handle_missing(data, used, missing)
    data = _numpy_dtypes(data, used)

    _check_numeric_looking(data, names)
    y_raw = _eval_response(response, data, eval_env)
    if trials is None:
        y, event, levels = _code_binary(y_raw, response, event)
        n_trials = None
    else:
        y, n_trials = _code_binomial(y_raw, response, data[trials], trials)
        event, levels = 1, (0, 1)
    w = None
    if weights is not None:
        w = _frequency_weights(data[weights], weights)
        y, n_trials = w * y, w * (np.ones_like(y) if n_trials is None else n_trials)

    _check_levels_early(data, [c for c in codes if c != response and c not in offset_terms], names)
    try:
        with np.errstate(all="ignore"), _recursion_room(formula):  # inf * 0 -> NaN: reported below
            X_dm = _dmatrix(rhs, data, eval_env)
    except patsy.PatsyError as exc:
        raise _formula_error(formula, exc, data) from None
    X = np.asarray(X_dm, dtype=float)
    column_names = [str(c) for c in X_dm.design_info.column_names]
    if X.shape[1] == 0:
        raise DesignError(f"formula {formula!r} has no predictors and no intercept; add '1' or a column")
    _check_finite_columns(X, column_names, what="data")
    _check_magnitude(X, column_names)
    try:
        _check_rank(X, column_names)
    except DesignError:
        _check_unused_categories(data, [c for c in names if c not in _response_names(desc, data)])
        raise
    off, offset_info = None, None
    if offset_terms:
        offset_info = _offset_info(offset_terms, data, eval_env, formula)
        with np.errstate(all="ignore"):
            off = _eval_offsets(offset_info, data, formula, what="data")
    if offset_name is not None:
        label = "offset=" if offset_name == ARRAY_OFFSET else offset_name
        col = _offset_column(data[offset_name], label, exc=DesignError, what="data")
        off = col if off is None else off + col
    groups = build_group_design(group_syntax, data, eval_env) if group_syntax else None
    design = Design(
        formula=formula,
        y=y,
        X=X,
        column_names=column_names,
        design_info=X_dm.design_info,
        response=response,
        event=event,
        levels=levels,
        trials=n_trials,
        trials_name=trials,
        n_dropped=n_dropped,
        weights=w,
        weights_name=weights,
        offset=off,
        offset_name=offset_name,
        offset_terms=tuple(offset_terms),
        offset_info=offset_info,
        groups=groups,
    )
    return design, _snapshot(data[used])


# -- helpers ---------------------------------------------------------------------------------


def _split_offsets(formula: str, desc):
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


def _offset_info(codes, data: pd.DataFrame, eval_env, formula: str):
    """patsy's ``DesignInfo`` of the offset expressions (one numeric column each), which
    evaluates them on new data exactly as on the training rows."""
    desc = patsy.ModelDesc([], [patsy.Term([patsy.EvalFactor(c)]) for c in codes])
    try:
        with np.errstate(all="ignore"):
            info = patsy.incr_dbuilder(desc, lambda: iter([data]), eval_env=eval_env, NA_action=_KEEP_NA)
    except patsy.PatsyError as exc:
        raise _formula_error(formula, exc, data) from None
    for factor, fi in info.factor_infos.items():
        if fi.type != "numerical" or fi.num_columns != 1:
            raise DesignError(
                f"offset({factor.code}) must be one number per row, but gives "
                + ("non-numeric values (a categorical)" if fi.type != "numerical" else f"{fi.num_columns} columns")
                + "; an offset is a numeric column, e.g. offset(np.log(exposure))"
            )
    return info


def _eval_offsets(info, data: pd.DataFrame, formula: str, *, what: str) -> np.ndarray:
    """The sum of the offset terms of ``info`` on ``data``; non-finite values are refused by name."""
    try:
        M = patsy.build_design_matrices([info], data, NA_action=_KEEP_NA, return_type="matrix")[0]
    except patsy.PatsyError as exc:
        m = _NAME_ERROR.search(str(exc))
        if m and what != "data":
            raise DataError(f"new data lacks column {m.group(1)!r} used by the offset of {formula!r}; add it") from None
        raise _formula_error(formula, exc, data) from None
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


def _offset_array(values, n: int, what: str, *, exc) -> np.ndarray:
    """An offset given as an array: one number per row, as float64 (NaN kept for ``missing=``)."""
    if isinstance(values, (pd.DataFrame, dict, set)) or np.ndim(values) == 0:
        raise exc(f"offset= must be a column name or an array with one number per row, got {type(values).__name__}")
    arr = np.asarray(values.to_numpy() if isinstance(values, pd.Series) else values)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise exc(f"offset= has shape {arr.shape}, but needs one number per {what} ({n})")
    if arr.dtype.kind not in "iuf":
        raise DesignError(f"offset= must hold numbers, got dtype {arr.dtype}")
    return arr.astype(float)


def _offset_column(s: pd.Series, name: str, *, exc, what: str) -> np.ndarray:
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


def _identifiers(code: str) -> list[str]:
    """Bare names a factor expression evaluates, other than patsy's and numpy's (so a column,
    or a function of the caller's), in order of appearance."""
    return free_names([code], [])


def _short(formula: str, k: int = 120) -> str:
    return formula if len(formula) <= k else formula[: k - 3] + "..."


def _response_names(desc, data: pd.DataFrame) -> list[str]:
    return formula_names([f.code for t in desc.lhs_termlist for f in t.factors], data.columns)


def _snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy the caller's later edits cannot reach (free under pandas' copy-on-write)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return frame  # copy-on-write: `data[used]` is already a lazy copy
    return frame.copy(deep=True)


def _numpy_dtypes(data: pd.DataFrame, used: list[str]) -> pd.DataFrame:
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


def _check_unused_categories(data: pd.DataFrame, predictors: list[str]) -> None:
    """A categorical predictor with a declared category that never occurs makes an all-zero
    design column: say so, with the fix (rather than "drop the column")."""
    for c in predictors:
        col = data[c]
        if isinstance(col.dtype, pd.CategoricalDtype):
            unused = [v for v in col.cat.categories if not (col == v).any()]
            if unused:
                raise DataError(
                    f"level {_plain(unused[0])!r} of {c!r} never occurs in the data (an unused "
                    f"category{'' if len(unused) == 1 else f'; {len(unused)} in all'}); drop it: "
                    f"df[{c!r}] = df[{c!r}].cat.remove_unused_categories()"
                )


def _resolvable(name: str, env: patsy.EvalEnvironment) -> bool:
    try:
        env.eval(name.split(".")[0])
        return True
    except Exception:
        return False


def _formula_names(design_info) -> list[str]:
    return formula_names([f.code for f in design_info.factor_infos], _all_names(design_info))


def _all_names(design_info) -> list[str]:
    """Every bare name and ``Q()`` column of the design's factors (columns are unknown here)."""
    import ast

    out: list[str] = []
    for factor in design_info.factor_infos:
        tree = ast.parse(factor.code, mode="eval")
        called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
        for node in ast.walk(tree):
            name = None
            if isinstance(node, ast.Name) and id(node) not in called:
                name = node.id
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Q"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                name = node.args[0].value
            if isinstance(name, str) and name not in out and name not in ("np", "numpy"):
                out.append(name)
    return out


def _predictor_columns(design_info, columns) -> list[str]:
    wanted = set(_formula_names(design_info))
    return [c for c in columns if c in wanted]


def _preview(values: list, k: int = 8) -> str:
    shown = ", ".join(repr(_plain(v)) for v in values[:k])
    return shown + (f", ... ({len(values)} in all)" if len(values) > k else "")


def _check_no_missing(data: pd.DataFrame, used: list[str], *, what: str) -> None:
    counts = {c: int(data[c].isna().sum()) for c in used}
    bad = {c: k for c, k in counts.items() if k}
    if bad:
        desc = ", ".join(f"{c!r} ({k} row{'s' if k > 1 else ''})" for c, k in bad.items())
        raise DataError(f"{what} has missing values in {desc}; fill them in before predicting")


def _handle_missing(data: pd.DataFrame, used: list[str], missing: str) -> tuple[pd.DataFrame, int]:
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


def _check_column_types(data: pd.DataFrame, used: list[str]) -> None:
    """Duplicate names and dtypes patsy would mishandle (complex, dates) fail here, by name."""
    dup = sorted({str(c) for c in data.columns[data.columns.duplicated()] if c in used})
    if dup:
        raise DataError(f"data has more than one column named {dup}; rename or drop the duplicates")
    for c in used:
        kind = data[c].dtype.kind
        if kind == "c":
            raise DataError(f"column {c!r} holds complex numbers; a logistic regression needs real values")
        if kind in "mM":
            raise DataError(
                f"column {c!r} holds dates or time spans; convert it to a number (e.g. days since a "
                "reference date) or to strings for a categorical predictor"
            )


def _check_numeric_looking(data: pd.DataFrame, used: list[str]) -> None:
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


def _eval_response(code: str, data: pd.DataFrame, env: patsy.EvalEnvironment) -> pd.Series:
    if code in data.columns:
        return data[code]
    try:
        import patsy.builtins

        builtins = {name: getattr(patsy.builtins, name) for name in patsy.builtins.__all__}
        namespace = {c: data[c] for c in data.columns if isinstance(c, str)}
        value = env.with_outer_namespace(builtins).eval(code, inner_namespace=namespace)
    except Exception as exc:  # noqa: BLE001 - user expression, re-raised with context
        raise FormulaError(f"cannot evaluate the response {code!r}: {type(exc).__name__}: {exc}") from None
    value = pd.Series(np.asarray(value).reshape(-1) if np.ndim(value) else [value] * len(data), index=data.index)
    if len(value) != len(data):
        raise FormulaError(f"the response {code!r} has {len(value)} values for {len(data)} rows")
    return value


def _code_binary(y: pd.Series, name: str, event: Any) -> tuple[np.ndarray, Any, tuple]:
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
            f"response {name!r} is constant (every row is {_plain(observed[0])!r}); a logistic regression "
            "needs both outcomes in the data"
        )
    if len(observed) > 2:
        raise DataError(
            f"response {name!r} must have two outcomes, but has {len(observed)} distinct values "
            f"({_preview(observed)}); recode it to 0/1 (e.g. 'I(y == \"yes\") ~ ...' or a new column)"
        )
    kind = y.dtype.kind if not isinstance(y.dtype, pd.CategoricalDtype) else "O"
    if event is None:
        if kind == "b":
            event = True
        elif kind in "iuf":
            if not set(np.asarray(observed, dtype=float)) <= {0.0, 1.0}:
                raise DataError(
                    f"response {name!r} must be 0/1, but holds the values {_preview(observed)}; "
                    "recode it, pass event=<value> to choose the success, or use trials= for counts"
                )
            event = 1
        else:
            event = observed[-1]
    matches = [v for v in observed if v == event]
    if not matches and isinstance(event, str):  # e.g. the CLI's --event True or --event 1.0
        matches = _matching_text(observed, event, kind)
    if not matches:
        raise DataError(f"event={event!r} is not a value of response {name!r} (values: {_preview(observed)})")
    non_event = [v for v in observed if not v == event][0]
    y01 = (y == matches[0]).to_numpy().astype(np.int64)
    return y01, _plain(matches[0]), (_plain(non_event), _plain(matches[0]))


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
        found = [v for v in observed if str(_plain(v)) == text]
    return found if len(found) == 1 else []


def _code_binomial(y: pd.Series, name: str, n: pd.Series, trials: str) -> tuple[np.ndarray, np.ndarray]:
    yv = _as_counts(y, f"response {name!r}")
    nv = _as_counts(n, f"trials column {trials!r}")
    if np.any(nv < 1):
        raise DataError(f"trials column {trials!r} must be >= 1 in every row; found {int(nv.min())}")
    bad = np.flatnonzero(yv > nv)
    if bad.size:
        raise DataError(
            f"response {name!r} exceeds trials {trials!r} in {bad.size} row(s) "
            f"(first at row {int(bad[0])}: {int(yv[bad[0]])} > {int(nv[bad[0]])})"
        )
    return yv, nv


def _frequency_weights(s: pd.Series, name: str) -> np.ndarray:
    """Whole-number weights >= 1, else a DataError naming ``weights=`` and the fix."""
    if s.dtype.kind not in "iufb":
        raise DataError(f"weights column {name!r} must hold whole numbers >= 1, got dtype {s.dtype}")
    v = s.to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v < 1) | (v != np.round(v))
    if bad.any():
        first = v[bad][0]
        raise DataError(
            f"weights column {name!r} must hold whole numbers >= 1 (frequency weights: a row of "
            f"weight w counts w times); found {first:g} in {int(bad.sum())} row(s). Drop rows of "
            "weight 0; non-integer weights (survey or importance weights) are not a likelihood "
            "of these data and are not supported"
        )
    return v.astype(np.int64)


def _as_counts(s: pd.Series, what: str) -> np.ndarray:
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


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _describe_levels(design_info) -> str:
    parts = []
    for factor, info in design_info.factor_infos.items():
        if info.type == "categorical":
            parts.append(f"{factor.code} has levels {list(info.categories)}")
    return "; ".join(parts) or "no categorical factors"


def _formula_error(formula: str, exc: patsy.PatsyError, data: pd.DataFrame) -> BaseException:
    text = str(exc)
    m = _NAME_ERROR.search(text)
    if m:
        return FormulaError(
            f"formula {formula!r} uses {m.group(1)!r}, which is not a column of data "
            f"(columns: {_preview(list(data.columns))}); fix the name or add the column"
        )
    origin = getattr(exc, "origin", None)
    if text.startswith("factor contains missing values") and origin is not None:
        factor = origin.code[origin.start : origin.end]
        return DataError(
            f"formula {formula!r}: {factor!r} gives missing values (NaN) although its input columns "
            "have none; check the transform's domain (e.g. np.log of values <= 0)"
        )
    if "numerical" in text and "categorical" in text or "could not convert" in text:
        return DataError(f"formula {formula!r}: {text.splitlines()[0]}")
    return FormulaError(f"cannot build the design of {formula!r}: {text.splitlines()[0]}")


MAX_LEVELS = 1_000
"""A categorical factor with more levels than this is refused before the design is built
(one dense column per level: ``n x levels x 8`` bytes, and ``n x p^2`` flops per Newton step
and rank check). Raise it (``bayeslogit.design.MAX_LEVELS = ...``) to build such a design anyway."""
MAX_COLUMNS = 2_000
"""A design with more columns than this (e.g. an interaction of two many-level factors) is
refused before it is built, for the same reason."""


def _dmatrix(rhs, data: pd.DataFrame, eval_env):
    """``patsy.dmatrix(rhs, data, return_type="matrix")`` in its two steps, with a size check
    between them: the design's columns are known (levels found, transforms fitted) before
    any ``n x p`` array is allocated, so a many-level factor is refused in a pass over its
    column instead of minutes and GBs later. ``"matrix"``, not ``"dataframe"``: patsy builds a
    C-ordered array once (peak ~1.1 x X) where the DataFrame route copies it (~2.1 x X)."""
    info = patsy.incr_dbuilder(rhs, lambda: iter([data]), eval_env=eval_env, NA_action="raise")
    _check_design_size(info, len(data))
    return patsy.build_design_matrices([info], data, NA_action="raise", return_type="matrix")[0]


def _check_levels_early(data: pd.DataFrame, codes: list[str], names: list[str]) -> None:
    """Before patsy: a column the formula treats as categorical (non-numeric, or inside
    ``C(...)``) with more than :data:`MAX_LEVELS` distinct values is refused by one
    ``nunique`` (patsy itself would first build a dense levels x levels contrast matrix:
    seconds and 400 MB for 5,000 levels)."""
    n = len(data)
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
        if k > MAX_LEVELS:
            _refuse_levels(wrapped[0] if wrapped else col, k, n, k, column=col)


def _refuse_levels(name: str, k: int, n: int, p: int, *, column: str | None = None) -> None:
    from ._blocks import nbytes_text

    raise DesignError(
        f"factor {name} has {k:,} levels (more than bayeslogit.design.MAX_LEVELS = {MAX_LEVELS:,}): "
        f"the dense design would be {n:,} rows x {p:,}+ columns x 8 B = {nbytes_text(n * p * 8.0)}, "
        f"and each Newton step and the rank check about n p^2 = {n * float(p) ** 2:.1e} flops; "
        f"model it as a group effect (a hierarchical model, e.g. bambi's (1|{column or name})), "
        "target-encode it, or use fewer levels (e.g. keep the most frequent and merge the rest "
        "into 'other')"
    )


def _check_design_size(info, n: int) -> None:
    """Refuse (DesignError) a factor with more than :data:`MAX_LEVELS` levels or a design of
    more than :data:`MAX_COLUMNS` columns, saying what the dense design would need and the fix."""
    p = len(info.column_names)
    big = [
        (f.name(), len(fi.categories))
        for f, fi in info.factor_infos.items()
        if fi.type == "categorical" and len(fi.categories) > MAX_LEVELS
    ]
    if not big and p <= MAX_COLUMNS:
        return
    from ._blocks import nbytes_text

    size = (
        f"the dense design would be {n:,} rows x {p:,} columns x 8 B = {nbytes_text(n * p * 8.0)}, "
        f"and each Newton step and the rank check about n p^2 = {n * float(p) ** 2:.1e} flops"
    )
    if big:
        name, k = max(big, key=lambda t: t[1])
        _refuse_levels(name, k, n, p)
    raise DesignError(
        f"the design has {p:,} columns (more than bayeslogit.design.MAX_COLUMNS = {MAX_COLUMNS:,}): "
        f"{size}; use fewer levels or interactions (e.g. merge rare levels), or a group effect"
    )


def _column_blocks(X: np.ndarray):
    """Row blocks of ``X`` of at most :data:`bayeslogit._blocks.BLOCK_BYTES` each."""
    from ._blocks import block_rows, row_slices

    for sl in row_slices(X.shape[0], block_rows(X.shape[1], block_bytes=8 * 2**20)):
        yield X[sl]


def _max_abs(X: np.ndarray) -> np.ndarray:
    """Per column ``max |x|``, by row blocks (no ``n x p`` copy); NaN propagates as before."""
    out = np.zeros(X.shape[1])
    for Xb in _column_blocks(X):
        out = np.maximum(out, np.abs(Xb).max(axis=0))
    return out


def _check_finite_columns(X: np.ndarray, names: list[str], *, what: str) -> None:
    finite = np.ones(X.shape[1], dtype=bool)
    for Xb in _column_blocks(X):  # by row blocks: a boolean n x p array would be X / 8
        finite &= np.isfinite(Xb).all(axis=0)
    bad = [n for n, ok in zip(names, finite) if not ok]
    if bad:
        raise DataError(
            f"{what} gives non-finite (inf or NaN) values in design column(s) {bad}; check the "
            "input columns and any transforms such as np.log"
        )


MAX_MAGNITUDE = 1e100
"""Design columns whose largest |value| is above this (or below its inverse, but not 0) are
rejected: their coefficients and the Hessian ``X'WX`` would leave floating-point range."""


def _check_magnitude(X: np.ndarray, names: list[str], *, what: str = "data") -> None:
    """Training data: each column's largest |value| in [1e-100, 1e100] (or 0); new data: <= 1e100."""
    if X.shape[0] == 0:
        return
    new = what != "data"
    for name, top in zip(names, _max_abs(X)):
        too_small = 0 < top < 1 / MAX_MAGNITUDE and not new  # tiny new values are harmless
        if top > MAX_MAGNITUDE or too_small:
            exc, prefix = (DataError, f"{what}: ") if new else (DesignError, "")
            bound = f"above {MAX_MAGNITUDE:g}" if new else f"outside [{1 / MAX_MAGNITUDE:g}, {MAX_MAGNITUDE:g}]"
            raise exc(
                f"{prefix}design column {name!r} has values of magnitude {top:.3g}, {bound}; "
                f"rescale it (e.g. divide it by {top:.3g})"
            )


def _check_rank(X: np.ndarray, names: list[str]) -> None:
    """Raise DesignError naming constant or linearly dependent design columns."""
    from scipy.linalg import qr

    from ._blocks import block_rows, one_blas_thread, row_slices

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
