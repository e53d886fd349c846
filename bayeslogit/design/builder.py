"""The builder: a patsy formula over a DataFrame -> :class:`Design` (response and design matrix).

:func:`build_design` is the only place raw user data is read. It runs the steps of the other
modules of :mod:`bayeslogit.design` in order (data checks, response coding, offsets, the
design matrix and its checks, group terms) and keeps patsy's ``DesignInfo`` so that new data
can be encoded exactly like the training data (:meth:`Design.encode`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import patsy

from .._formula import factor_codes, formula_names, free_names, parse_formula, recursion_room
from ..errors import ArgumentError, DataError, DesignError, FormulaError
from ..response import ResponseFamily, as_response
from ..summary import shorten
from .categorical import categorical_family_for, choose_family, code_categorical
from .data_checks import (
    check_column_types,
    check_no_missing,
    check_normalised_names,
    check_numeric_looking,
    check_unused_categories,
    handle_missing,
    numpy_dtypes,
)
from .group_terms import build_group_design, group_columns, split_group_terms
from .matrix_checks import check_finite_columns, check_levels_early, check_magnitude, check_rank, checked_dmatrix
from .names import (
    R_EQUIVALENTS,
    describe_levels,
    design_info_names,
    expand_dot,
    formula_error,
    predictor_columns,
    preview,
    resolvable,
    response_names,
    short_formula,
)
from .offsets import (
    ARRAY_OFFSET,
    eval_offsets,
    offset_array,
    offset_column,
    offset_design_info,
    offset_of_new_rows,
    split_offsets,
)
from .poly import poly
from .response import cbind_parts, code_binary, code_binomial, code_cbind, eval_response, frequency_weights


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
    weights : ndarray of int64 or float64, or None
        Weights per row (``weights=``): int64 frequency weights (a row of weight ``w`` counts
        ``w`` times), or float64 likelihood weights when any is not a whole number (each 0/1
        row's log-likelihood multiplied by its weight; ``y`` and ``trials`` then hold
        ``w * y`` and ``w``, floats).
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
        and the varying part's values (:mod:`bayeslogit.design.group_terms`); None without group
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
    #: a multinomial or ordinal family (:mod:`bayeslogit.response_categorical`): ``y`` holds
    #: outcome codes 0..K-1 and ``levels`` every outcome; None for binary designs
    categorical: Any = field(default=None, repr=False)

    def __repr__(self) -> str:
        cols = shorten(", ".join(self.column_names), 70)
        off = f", offset {shorten(self.offset_label or '', 40)}" if self.offset is not None else ""
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
        return offset_of_new_rows(self, data, offset)

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
    def response_family(self) -> ResponseFamily:
        """The response family (:mod:`bayeslogit.response`): :class:`~bayeslogit.response.Bernoulli`,
        or :class:`~bayeslogit.response.Binomial` with the trials; the categorical family of
        a multinomial or ordinal design."""
        if self.categorical is not None:
            return self.categorical
        return as_response(self.trials)

    @property
    def family(self) -> str:
        """The response family's name: ``"bernoulli"`` or ``"binomial"``."""
        return self.response_family.name

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
        used = predictor_columns(self.design_info, data.columns)
        missing_cols = [c for c in design_info_names(self.design_info) if c not in data.columns]
        if missing_cols:
            raise DataError(
                f"new data lacks column(s) {missing_cols} used by the formula {self.formula!r}; "
                "add them to the DataFrame"
            )
        check_no_missing(data, used, what="new data")
        check_normalised_names(data, used, what="new data")
        try:
            with np.errstate(all="ignore"):  # inf * 0 -> NaN is reported by name just below
                X = patsy.build_design_matrices([self.design_info], data, NA_action="raise")[0]
        except patsy.PatsyError as exc:
            msg = str(exc).splitlines()[0]
            level = re.search(r"observation with value (.+?) does not match any of the expected levels", str(exc))
            if level:
                raise DataError(
                    f"new data has a factor level {level.group(1)} that was not seen when the model "
                    f"was fitted ({describe_levels(self.design_info)}); recode it to a known level "
                    "or refit with it"
                ) from None
            raise DataError(f"cannot encode new data with the model's design: {msg}") from None
        X = np.asarray(X, dtype=float)
        check_finite_columns(X, self.column_names, what="new data")
        check_magnitude(X, self.column_names, what="new data")
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
    family: str = "auto",
    reference: Any = None,
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
        Column of weights > 0. Whole numbers are frequency weights: a row of weight ``w``
        counts as ``w`` identical rows (exact for the likelihood, as statsmodels'
        ``GLM(freq_weights=)``). If any weight is not a whole number they are likelihood
        weights (0/1 responses only): each row's log-likelihood is multiplied by its weight.
        Zero, negative or non-finite weights raise a :class:`~bayeslogit.DataError`.
    offset : str or array-like, optional
        Column (or one number per row of ``data``) added to the linear predictor with a fixed
        coefficient of 1: ``eta = X @ beta + offset`` (e.g. ``np.log`` of an exposure). The
        formula can hold offsets too, as terms ``offset(expr)``; all of them are summed.
        Non-numeric or non-finite offsets raise a :class:`~bayeslogit.DesignError`.
    missing : {"raise", "drop"}
        What to do with rows holding missing values in the columns the model uses.
    eval_env : int or patsy.EvalEnvironment
        Where patsy looks up functions and names that are not columns (see patsy).
    family, reference
        The response family and a multinomial model's baseline level, as
        :class:`bayeslogit.LogitModel`'s.

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
    return build_design_with_rows(
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
        family=family,
        reference=reference,
    )[0]


def build_design_with_rows(
    formula, data, *, event, trials, missing, eval_env, weights=None, offset=None, family="auto", reference=None
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
    formula = expand_dot(formula, data.columns, (trials, weights, offset))  # R's "y ~ ."
    eval_env = eval_env.with_outer_namespace({"poly": poly})  # R's poly(x, 2); the caller's own wins
    fixed, group_syntax = split_group_terms(formula)  # "(1 + x | g)" terms: not patsy's
    try:
        desc = parse_formula(fixed)
        desc, offset_terms = split_offsets(formula, desc)
        codes = factor_codes(fixed, desc) + list(offset_terms)
        names = formula_names(codes, data.columns)
        free = free_names(codes, data.columns)
    except patsy.PatsyError as exc:
        raise FormulaError(f"cannot parse formula {short_formula(formula)!r}: {str(exc).splitlines()[0]}") from None
    except FormulaError:
        raise
    except (RecursionError, AssertionError, SyntaxError, MemoryError, ValueError) as exc:
        raise FormulaError(
            f"cannot parse formula {short_formula(formula)!r} ({type(exc).__name__}: it is too long or "
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
    unknown = [n for n in free if not resolvable(n, eval_env)]
    if unknown:
        hint = R_EQUIVALENTS.get(unknown[0])
        raise FormulaError(
            f"formula {formula!r} uses {unknown[0]!r}, which is not a column of data "
            f"(columns: {preview(list(data.columns))}); " + (f"{hint}" if hint else "fix the name or add the column")
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
            values = offset_array(offset, len(data), "rows of data", exc=DataError)
            data = data.copy(deep=False)  # the caller's frame is not changed
            data[ARRAY_OFFSET] = values
            offset_name = ARRAY_OFFSET
    used = names + [c for c in (trials, weights, offset_name) if c is not None and c not in names]
    if group_syntax:
        used += group_columns(group_syntax, data.columns)
    used = list(dict.fromkeys(used))
    check_column_types(data, used)
    data, n_dropped = handle_missing(data, used, missing)
    data = numpy_dtypes(data, used)

    check_numeric_looking(data, names)
    counts = cbind_parts(response)  # R's cbind(successes, failures): binomial, trials = their sum
    if counts is not None and trials is not None:
        raise FormulaError(f"the response {response!r} gives the trials (successes + failures); drop trials={trials!r}")
    chosen = choose_family(pd.Series(dtype=float), response, family, trials=trials or counts)
    if counts is not None:
        y, n_trials = code_cbind(counts, data, eval_env)
        event, levels = 1, (0, 1)
    elif trials is None:
        y_raw = eval_response(response, data, eval_env)
        chosen = choose_family(y_raw, response, family)
        if chosen in ("multinomial", "ordinal"):
            y, levels, ref = code_categorical(y_raw, response, chosen, reference)
            event = None
        else:
            y, event, levels = code_binary(y_raw, response, event)
        n_trials = None
    else:
        y_raw = eval_response(response, data, eval_env)
        y, n_trials = code_binomial(y_raw, response, data[trials], trials)
        event, levels = 1, (0, 1)
    if reference is not None and chosen != "multinomial":
        raise ArgumentError(
            f"reference={reference!r} picks the baseline outcome of a multinomial model, but response "
            f"{response!r} is modelled as {chosen}; drop reference= or pass family='multinomial'"
        )
    w = None
    if weights is not None:
        w = frequency_weights(data[weights], weights)
        if w.dtype.kind == "f" and n_trials is not None:
            raise DataError(
                f"non-integer weights ({weights!r}) are likelihood weights of 0/1 rows; with "
                "binomial trials they are not supported: use whole-number weights, or one row "
                "per trial"
            )
        if chosen not in ("multinomial", "ordinal"):  # categorical: the family weights each row
            y, n_trials = w * y, w * (np.ones_like(y) if n_trials is None else n_trials)

    check_levels_early(data, [c for c in codes if c != response and c not in offset_terms], names)
    try:
        with np.errstate(all="ignore"), recursion_room(formula):  # inf * 0 -> NaN: reported below
            X_dm = checked_dmatrix(rhs, data, eval_env)
    except patsy.PatsyError as exc:
        raise formula_error(formula, exc, data) from None
    X = np.asarray(X_dm, dtype=float)
    column_names = [str(c) for c in X_dm.design_info.column_names]
    if X.shape[1] == 0:
        raise DesignError(f"formula {formula!r} has no predictors and no intercept; add '1' or a column")
    check_finite_columns(X, column_names, what="data")
    check_magnitude(X, column_names)
    try:
        check_rank(X, column_names)
    except DesignError:
        check_unused_categories(data, [c for c in names if c not in response_names(desc, data)])
        raise
    off, offset_info = None, None
    if offset_terms:
        offset_info = offset_design_info(offset_terms, data, eval_env, formula)
        with np.errstate(all="ignore"):
            off = eval_offsets(offset_info, data, formula, what="data")
    if offset_name is not None:
        label = "offset=" if offset_name == ARRAY_OFFSET else offset_name
        col = offset_column(data[offset_name], label, exc=DesignError, what="data")
        off = col if off is None else off + col
    groups = build_group_design(group_syntax, data, eval_env) if group_syntax else None
    categorical = None
    if chosen in ("multinomial", "ordinal"):
        if groups is not None:
            raise DesignError(f"group terms are not supported yet with family={chosen!r}; drop the (... | g) terms")
        if chosen == "multinomial" and off is not None:
            raise DesignError(
                "offsets are not supported with family='multinomial' (one offset cannot say which "
                "outcome's log-odds it shifts); drop the offset, or use family='ordinal' where it "
                "shifts the linear predictor"
            )
        categorical = categorical_family_for(chosen, levels, ref, column_names, w)
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
        categorical=categorical,
    )
    return design, _snapshot(data[used])


def _snapshot(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy the caller's later edits cannot reach (free under pandas' copy-on-write)."""
    if int(pd.__version__.split(".")[0]) >= 3:
        return frame  # copy-on-write: `data[used]` is already a lazy copy
    return frame.copy(deep=True)
