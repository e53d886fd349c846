"""The design of a dask DataFrame: one ``DesignInfo``, applied partition by partition.

``LogitModel(formula, data=ddf)`` with a ``dask.dataframe.DataFrame`` (``dd.read_parquet``)
never holds the rows on the client. :func:`build_dask_design` makes two passes over the data,
each a reduction of small per-partition summaries:

1. **levels**: the rows, the missing values per column, the distinct values of every text,
   categorical or boolean column and of the response (the factor levels and the event), and
   whether the weights are whole numbers;
2. **moments**: every partition encoded with the one patsy ``DesignInfo`` (built once from the
   columns' dtypes and the levels of pass 1, never from a sample of rows), reduced to the
   column means and sds (Chan's pairwise update: the priors' autoscaling), the response mean,
   the column ranges and a QR ``R`` factor (the rank check of the in-memory path, exactly).

A partition is encoded by :func:`partition_arrays`, which the fitters
(:mod:`bayeslogit.fit.distributed`) call on the workers. What a worker needs travels as a
:class:`DesignRecipe`: text and an empty pandas frame with the columns' dtypes (patsy's
``DesignInfo`` cannot be pickled), rebuilt once per process. Formulas are therefore evaluated
in the safe environment of stored formulas (:func:`bayeslogit._formula.safe_eval_env`: the
columns, numpy's functions and patsy's ``C()``/``I()``), never in the caller's frame, and
stateful transforms (``center``, ``standardize``, ``poly``), whose state would need a pass of
their own, are refused: compute such columns first (``ddf.assign``).

The checks and messages are the in-memory builder's (missing values with their counts per
column, unseen or numeric-looking levels, the response coding, non-finite values, the rank).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy

from .._formula import UnsafeFormula, check_formula, formula_names, parse_formula, safe_eval_env
from ..errors import ArgumentError, DataError, DesignError, FormulaError, MissingDataWarning
from ..response import ResponseFamily, as_response
from .builder import Design
from .data_checks import check_column_types, check_numeric_looking, numpy_dtypes
from .group_terms import split_group_terms
from .matrix_checks import check_rank_from_r
from .names import expand_dot, preview
from .offsets import offset_design_info, split_offsets
from .response import cbind_parts, code_binary, code_binomial, code_cbind, eval_response, frequency_weights

__all__ = [
    "INSTALL_HINT",
    "is_dask_frame",
    "import_dask",
    "DesignRecipe",
    "DaskDesign",
    "PartitionArrays",
    "build_dask_design",
    "partition_arrays",
    "template_design",
    "parquet_source",
]

INSTALL_HINT = "pip install 'bayeslogit[dask]'"


def is_dask_frame(data: Any) -> bool:
    """True for a ``dask.dataframe.DataFrame`` (checked without importing dask)."""
    t = type(data)
    return t.__module__.split(".")[0] in ("dask", "dask_expr") and t.__name__ == "DataFrame"


def import_dask():
    """``(dask, dask.dataframe)``, or an :class:`~bayeslogit.ArgumentError` naming the extra."""
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:
        raise ArgumentError(
            f"dask DataFrames need bayeslogit's optional dependencies: {INSTALL_HINT} ({exc})"
        ) from None
    return dask, dd


@dataclass(frozen=True)
class DesignRecipe:
    """Everything a worker needs to encode a partition (picklable: text and an empty frame)."""

    key: str
    formula: str
    proto: pd.DataFrame  # zero rows: the columns' dtypes, text columns as categoricals of every level
    used: tuple[str, ...]
    categorical: tuple[str, ...]
    response: str
    event_value: Any  # the response value counted as a success (0/1 responses)
    trials: str | None
    weights: str | None
    likelihood_weights: bool
    offset: str | None
    missing: str


_TEMPLATES: dict[str, Design] = {}


def template_design(recipe: DesignRecipe) -> Design:
    """A zero-row :class:`~bayeslogit.design.Design` holding the ``DesignInfo`` (built once per
    process and recipe): its ``encode``/``encode_offset`` encode partitions."""
    found = _TEMPLATES.get(recipe.key)
    if found is not None:
        return found
    env = safe_eval_env()
    fixed, _ = split_group_terms(recipe.formula)
    desc, offset_terms = split_offsets(recipe.formula, parse_formula(fixed))
    rhs = patsy.ModelDesc([], desc.rhs_termlist)
    try:
        info = patsy.dmatrix(rhs, recipe.proto, eval_env=env, NA_action="raise").design_info
    except (patsy.PatsyError, ValueError) as exc:
        raise FormulaError(
            f"cannot build the design of {recipe.formula!r} from the columns' types ({str(exc).splitlines()[0]}); "
            "on dask data a factor of an expression (C(np.round(x))) needs its own column first (ddf.assign)"
        ) from None
    stateful = [f.name() for f, fi in info.factor_infos.items() if fi.state.get("transforms")]
    if stateful:
        raise FormulaError(
            f"{stateful[0]!r} is a stateful transform (center, standardize, scale, poly...), whose "
            "state needs a pass over all rows; on dask data compute it as a column first "
            "(ddf = ddf.assign(...)) and use that column in the formula"
        )
    offset_info = offset_design_info(offset_terms, recipe.proto, env, recipe.formula) if offset_terms else None
    names = [str(c) for c in info.column_names]
    has_offset = bool(offset_terms) or recipe.offset is not None
    design = Design(
        formula=recipe.formula,
        y=np.zeros(0, dtype=np.int64),
        X=np.zeros((0, len(names))),
        column_names=names,
        design_info=info,
        response=recipe.response,
        event=None,
        levels=(),
        trials_name=recipe.trials,
        weights_name=recipe.weights,
        offset=np.zeros(0) if has_offset else None,
        offset_name=recipe.offset,
        offset_terms=tuple(offset_terms),
        offset_info=offset_info,
    )
    if len(_TEMPLATES) >= 32:  # a long-lived worker sees many models: keep the cache small
        _TEMPLATES.clear()
    _TEMPLATES[recipe.key] = design
    return design


@dataclass
class PartitionArrays:
    """One partition encoded: the design rows, the response per row (successes), the trials
    per row (None: 0/1 rows), the weights (None: none) and the offset (None: none). The
    fitters take :attr:`y_fit` and :attr:`trials_fit`: the weights folded in, as in
    :class:`~bayeslogit.design.Design` (``y = w * successes``, ``trials = w * n``)."""

    X: np.ndarray
    y: np.ndarray
    trials: np.ndarray | None
    weights: np.ndarray | None
    offset: np.ndarray | None
    dropped: int = 0

    @property
    def y_fit(self) -> np.ndarray:
        return self.y if self.weights is None else self.weights * self.y

    @property
    def trials_fit(self) -> np.ndarray | None:
        if self.weights is None:
            return self.trials
        return self.weights * (np.ones_like(self.y) if self.trials is None else self.trials)

    @property
    def family(self) -> ResponseFamily:
        return as_response(self.trials_fit)


def partition_arrays(part: pd.DataFrame, recipe: DesignRecipe) -> PartitionArrays:
    """Encode one partition as the in-memory builder encodes the whole frame."""
    design = template_design(recipe)
    used = list(recipe.used)
    na = part[used].isna().any(axis=1).to_numpy()
    dropped = int(na.sum())
    if dropped:
        if recipe.missing == "raise":  # pass 1 found none: the data changed since
            raise DataError(f"{dropped} rows of a partition have missing values; impute them or pass missing='drop'")
        part = part.loc[~na]
    part = numpy_dtypes(part, used)
    if recipe.categorical:
        part = part.astype({c: object for c in recipe.categorical})  # patsy matches values to levels
    env = safe_eval_env()
    p = len(design.column_names)
    counts = cbind_parts(recipe.response)
    if len(part) == 0:
        e = np.zeros(0)
        return PartitionArrays(
            np.zeros((0, p)),
            e,
            None if counts is None and recipe.trials is None else e,
            None if recipe.weights is None else e,
            None if design.offset is None else e,
            dropped,
        )
    X = design.encode(part)
    n: np.ndarray | None = None
    if counts is not None:
        y, n = code_cbind(counts, part, env)
    elif recipe.trials is None:
        y = (eval_response(recipe.response, part, env) == recipe.event_value).to_numpy().astype(np.int64)
    else:
        y, n = code_binomial(
            eval_response(recipe.response, part, env), recipe.response, part[recipe.trials], recipe.trials
        )
    w = None
    if recipe.weights is not None:
        w = frequency_weights(part[recipe.weights], recipe.weights)
        if recipe.likelihood_weights:
            w = w.astype(float)
    return PartitionArrays(X, y, n, w, design.encode_offset(part), dropped)


# -- pass 1: levels, missing values, weights -------------------------------------------------------


def _scan(part: pd.DataFrame, used: list[str], text: list[str], response: str | None, weights: str | None):
    na = part[used].isna()
    rows = na.any(axis=1)
    out: dict[str, Any] = {"rows": len(part), "na_rows": int(rows.sum()), "na": na.sum().to_dict()}
    kept = part.loc[~rows.to_numpy()]
    out["levels"] = {c: kept[c].drop_duplicates() for c in text}
    if response is not None:
        out["response"] = eval_response(response, numpy_dtypes(kept, used), safe_eval_env()).drop_duplicates()
    if weights is not None:
        w = pd.to_numeric(kept[weights], errors="coerce").to_numpy(dtype=float)
        out["fractional"] = bool(np.any(w != np.round(w)))
    return out


def _sorted_levels(values: pd.Series) -> list:
    from patsy.util import SortAnythingKey

    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna())
        return [c for c in values.cat.categories if c in present]
    return sorted(pd.unique(values.dropna()), key=SortAnythingKey)


# -- pass 2: moments, ranges, the QR factor ----------------------------------------------------------


def _moments(part: pd.DataFrame, recipe: DesignRecipe) -> dict[str, Any]:
    a = partition_arrays(part, recipe)
    X, p = a.X, a.X.shape[1]
    w = np.ones(len(X)) if a.weights is None else np.asarray(a.weights, dtype=float)
    W = float(w.sum())
    mean = (w @ X) / W if W > 0 else np.zeros(p)
    m2 = w @ (X - mean) ** 2 if W > 0 else np.zeros(p)
    R = np.linalg.qr(X, mode="r") if len(X) else np.zeros((0, p))  # min(n, p) x p: not n x p
    t = a.trials_fit
    trials = float(len(a.y)) if t is None else float(np.sum(t))
    lo = X.min(axis=0) if len(X) else np.full(p, np.inf)
    hi = X.max(axis=0) if len(X) else np.full(p, -np.inf)
    return dict(
        n=len(X), W=W, mean=mean, m2=m2, R=R, lo=lo, hi=hi, scale=np.abs(X).max(axis=0, initial=0.0),
        y=float(np.sum(a.y_fit)), trials=trials, dropped=a.dropped,
    )  # fmt: skip


def _combine(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Chan et al.'s pairwise update of weighted means and sums of squares; stacked R factors."""
    out = dict(parts[0])
    for b in parts[1:]:
        W = out["W"] + b["W"]
        if b["W"] > 0:
            delta = b["mean"] - out["mean"]
            out["m2"] = out["m2"] + b["m2"] + delta**2 * (out["W"] * b["W"] / W)
            out["mean"] = out["mean"] + delta * (b["W"] / W)
        out["W"] = W
        out["R"] = np.linalg.qr(np.vstack([out["R"], b["R"]]), mode="r") if len(b["R"]) else out["R"]
        for k in ("n", "y", "trials", "dropped"):
            out[k] = out[k] + b[k]
        out["lo"], out["hi"] = np.minimum(out["lo"], b["lo"]), np.maximum(out["hi"], b["hi"])
        out["scale"] = np.maximum(out["scale"], b["scale"])
    return out


# -- the design ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DaskDesign:
    """The design of a dask DataFrame: what :class:`~bayeslogit.design.Design` says about the
    model, with the rows left in the (lazy) ``frame`` and reduced statistics in their place.

    ``partitions()`` gives the partitions as dask delayed objects and ``recipe`` encodes one
    (:func:`partition_arrays`). ``X``, ``y`` and the per-row arrays do not exist here.
    """

    formula: str
    response: str
    event: Any
    levels: tuple
    column_names: list[str]
    design_info: Any = field(repr=False)
    recipe: DesignRecipe = field(repr=False)
    frame: Any = field(repr=False)
    n_obs: int = 0
    n_dropped: int = 0
    x_mean: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    x_sd: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    ybar: float = 0.0
    total_weight: float = 0.0
    trials_name: str | None = None
    weights_name: str | None = None
    offset_name: str | None = None
    offset_terms: tuple = ()
    groups: Any = None
    saved_partitions: int = 0  # a design loaded from a file without its rows (frame None): its partitions then

    @property
    def n_coef(self) -> int:
        return len(self.column_names)

    @property
    def has_intercept(self) -> bool:
        return "Intercept" in self.column_names

    @property
    def has_offset(self) -> bool:
        return bool(self.offset_terms) or self.offset_name is not None

    @property
    def offset_label(self) -> str | None:
        parts = list(self.offset_terms) + ([self.offset_name] if self.offset_name else [])
        return " + ".join(parts) if parts else None

    @property
    def binomial(self) -> bool:
        """True when the rows are binomial (trials=, cbind(), weights=), False for 0/1 rows."""
        return self.trials_name is not None or self.weights_name is not None or cbind_parts(self.response) is not None

    @property
    def family(self) -> str:
        return "binomial" if self.binomial else "bernoulli"

    @property
    def n_partitions(self) -> int:
        return self.saved_partitions if self.frame is None else int(self.frame.npartitions)

    def column_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Column sds (n - 1; weighted as the in-memory design) and means, for the priors."""
        return self.x_sd.copy(), self.x_mean.copy()

    def partitions(self) -> list:
        """The partitions as dask delayed objects (nothing computed)."""
        if self.frame is None:
            raise DataError(
                "this fit was loaded from a file, which holds no rows (and no Parquet path that still "
                "exists), so what reads the training rows cannot run; fit LogitModel(formula, ddf) on "
                "the data again for that (predict(new_data) works as it is)"
            )
        return list(self.frame.to_delayed())

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        """Encode new in-memory rows with the training design (:meth:`Design.encode`)."""
        return template_design(self.recipe).encode(data)


def build_dask_design(
    formula: str,
    ddf,
    *,
    event: Any = None,
    trials: str | None = None,
    weights: str | None = None,
    offset: Any = None,
    missing: str = "raise",
) -> DaskDesign:
    """The :class:`DaskDesign` of ``formula`` over the dask DataFrame ``ddf`` (two passes)."""
    dask, _ = import_dask()
    if not isinstance(formula, str) or "~" not in formula:
        raise FormulaError(
            f"formula must be a string like 'y ~ x1 + x2' with the response left of '~', got {formula!r}"
        )
    if missing not in ("raise", "drop"):
        raise DataError(f"missing must be 'raise' or 'drop', got {missing!r}")
    if offset is not None and not isinstance(offset, str):
        raise ArgumentError("with dask data, offset= must name a column (an array cannot follow the partitions)")
    meta = ddf._meta
    columns = list(meta.columns)
    for what, col in (("trials", trials), ("weights", weights), ("offset", offset)):
        if col is not None and (not isinstance(col, str) or col not in columns):
            raise DataError(f"{what}={col!r} is not a column of data; pass the name of a column")
    formula = expand_dot(formula, columns, (trials, weights, offset))
    fixed, group_syntax = split_group_terms(formula)
    if group_syntax:
        raise FormulaError("group terms like (1 | g) are not supported on dask data yet; fit them in memory")
    try:
        check_formula(formula, columns)
    except UnsafeFormula as exc:
        raise FormulaError(
            f"on dask data a formula is evaluated on the workers, where only the columns, numpy's "
            f"functions (np.log...) and patsy's C() and I() exist: {exc}; compute other columns "
            "first (ddf = ddf.assign(...))"
        ) from None
    try:
        desc, offset_terms = split_offsets(formula, parse_formula(fixed))
    except patsy.PatsyError as exc:
        raise FormulaError(f"cannot parse formula {formula!r}: {str(exc).splitlines()[0]}") from None
    if len(desc.lhs_termlist) != 1 or len(desc.lhs_termlist[0].factors) != 1:
        raise FormulaError(f"formula {formula!r} must have exactly one response on the left of '~' (e.g. 'y ~ x')")
    response = desc.lhs_termlist[0].factors[0].code
    codes = [f.code for t in desc.rhs_termlist for f in t.factors] + [response] + list(offset_terms)
    names = formula_names(codes, columns)
    used = list(dict.fromkeys(names + [c for c in (trials, weights, offset) if c is not None]))
    check_column_types(meta, used)
    text = [c for c in names if c != response and (_is_text(meta[c]) or c in _c_arguments(codes))]
    counts = cbind_parts(response)
    if counts is not None and trials is not None:
        raise FormulaError(f"the response {response!r} gives the trials (successes + failures); drop trials={trials!r}")
    binary = counts is None and trials is None

    # pass 1
    frame = ddf[used]
    parts = frame.to_delayed()
    scans = dask.compute(*[dask.delayed(_scan)(p, used, text, response if binary else None, weights) for p in parts])
    n_rows = sum(s["rows"] for s in scans)
    if n_rows == 0:
        raise DataError("data has no rows; a logistic regression needs observations")
    na_rows = sum(s["na_rows"] for s in scans)
    if na_rows:
        per_col = {c: sum(int(s["na"][c]) for s in scans) for c in used}
        desc_na = ", ".join(f"{c!r} ({k})" for c, k in per_col.items() if k)
        if missing == "raise":
            raise DataError(
                f"{na_rows} of {n_rows} rows have missing values (per column: {desc_na}); "
                "impute them, or pass missing='drop' to drop those rows"
            )
        if na_rows == n_rows:
            raise DataError(f"every row has a missing value (per column: {desc_na}); nothing is left to fit")
        warnings.warn(
            f"dropped {na_rows} of {n_rows} rows with missing values (per column: {desc_na})",
            MissingDataWarning,
            stacklevel=3,
        )
    levels = {c: _sorted_levels(pd.concat([s["levels"][c] for s in scans], ignore_index=True)) for c in text}
    for c, v in levels.items():  # on the distinct values: "mostly numbers" counts values, not rows
        check_numeric_looking(pd.DataFrame({c: pd.Series(v, dtype=object)}), [c])
    proto = numpy_dtypes(meta[used], used)
    proto = proto.astype({c: pd.CategoricalDtype(levels[c]) for c in text})
    event_value, levels_out = None, (0, 1)
    if binary:
        values = pd.concat([s["response"] for s in scans], ignore_index=True).drop_duplicates()
        y01, event, levels_out = code_binary(values.reset_index(drop=True), response, event)
        event_value = values.to_numpy()[np.flatnonzero(y01)[0]]
    else:
        event = 1
    fractional = weights is not None and any(s["fractional"] for s in scans)
    if fractional and not binary:
        raise DataError(
            f"non-integer weights ({weights!r}) are likelihood weights of 0/1 rows; with binomial "
            "trials they are not supported: use whole-number weights, or one row per trial"
        )
    recipe = DesignRecipe(
        key=uuid.uuid4().hex,
        formula=formula,
        proto=proto,
        used=tuple(used),
        categorical=tuple(c for c in used if isinstance(proto[c].dtype, pd.CategoricalDtype) or c in text),
        response=response,
        event_value=event_value,
        trials=trials,
        weights=weights,
        likelihood_weights=fractional,
        offset=offset,
        missing=missing,
    )
    template = template_design(recipe)

    # pass 2
    stats = _combine(list(dask.compute(*[dask.delayed(_moments)(p, recipe) for p in parts])))
    names_x = template.column_names
    if len(names_x) == 0:
        raise DesignError(f"formula {formula!r} has no predictors and no intercept; add '1' or a column")
    check_rank_from_r(stats["R"], stats["lo"], stats["hi"], stats["scale"], stats["n"], names_x)
    W = stats["W"]
    sd = np.sqrt(stats["m2"] / (W - 1)) if W > 1 else np.zeros(len(names_x))
    return DaskDesign(
        formula=formula,
        response=response,
        event=event,
        levels=levels_out,
        column_names=names_x,
        design_info=template.design_info,
        recipe=recipe,
        frame=frame,
        n_obs=int(stats["n"]),
        n_dropped=int(stats["dropped"]),
        x_mean=np.asarray(stats["mean"], dtype=float),
        x_sd=sd,
        ybar=stats["y"] / stats["trials"],
        total_weight=float(W),
        trials_name=trials,
        weights_name=weights,
        offset_name=offset,
        offset_terms=tuple(template.offset_terms),
    )


def parquet_source(frame) -> str | list[str] | None:
    """The Parquet path(s) ``frame`` reads when it is ``dd.read_parquet(path)`` with at most a
    column selection (no filters, no other step); None for anything else (a saved fit then
    stores no path: the rows could differ from the file's)."""
    expr = getattr(frame, "expr", None)
    while expr is not None and type(expr).__name__ == "Projection":
        expr = expr.dependencies()[0]
    if expr is None or not type(expr).__name__.startswith("ReadParquet"):
        return None
    try:
        path, filters = expr.operand("path"), expr.operand("filters")
    except (AttributeError, KeyError, ValueError):
        return None
    if filters:
        return None
    if isinstance(path, str):
        return path
    if isinstance(path, (list, tuple)) and path and all(isinstance(x, str) for x in path):
        return list(path)
    return None


def _c_arguments(codes: list[str]) -> set[str]:
    """Columns given bare to patsy's ``C()`` (``C(k)`` of a numeric ``k``): their levels come
    from the data, so pass 1 collects them as it does a text column's."""
    import ast

    out: set[str] = set()
    for code in codes:
        try:
            tree = ast.parse(code, mode="eval")
        except SyntaxError:  # pragma: no cover - parsed by patsy before
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "C" and node.args:
                if isinstance(node.args[0], ast.Name):
                    out.add(node.args[0].id)
    return out


def _is_text(col: pd.Series) -> bool:
    dt = col.dtype
    return isinstance(dt, pd.CategoricalDtype) or dt.kind in "OUS" or pd.api.types.is_string_dtype(dt)


def describe(design: DaskDesign) -> str:
    """One line: rows, partitions, columns."""
    return f"{design.n_obs} rows in {design.n_partitions} partitions, {design.n_coef} columns ({preview(design.column_names)})"
