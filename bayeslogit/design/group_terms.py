"""The group part of a design: per group term, a level index per row and a small value matrix.

A formula such as ``"y ~ x + (1 + x | g)"`` is split by :func:`bayeslogit._group_syntax.split_group_terms`
into its fixed part (built by :mod:`bayeslogit.design.builder`) and group terms. For each
group term this module builds

- ``values``: the term's own patsy design of the varying part, ``n x k`` (``1 + x`` -> columns
  ``Intercept``, ``x``), and
- ``index``: the level of the grouping factor of every row (``int32``, ``n``),

so that the group contribution to the linear predictor of row ``i`` is
``sum_c values[i, c] * b[index[i], c]``. The dense ``n x (levels * k)`` matrix ``Z`` of lme4 is
never built: memory is ``n * (k + 1/2) * 8`` bytes per term, whatever the number of levels.

New data are encoded with :meth:`GroupTerm.encode`: seen levels get their index, an unseen
level (a new school, a new patient) is *not* an error; it is numbered after the seen ones and
flagged, and prediction decides what it means (``new_groups="population"`` or ``"sample"``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy

from .._group_syntax import GroupSyntax, split_group_terms
from ..errors import DataError, DesignError
from .data_checks import check_normalised_names
from .names import predictor_columns

__all__ = ["GroupTerm", "GroupDesign", "build_group_design", "split_group_terms", "group_columns"]


@dataclass(frozen=True)
class GroupTerm:
    """One group term of a design (e.g. ``1 + x | g``).

    Attributes
    ----------
    label : str
        The term as lme4 writes it, ``"1 + x | g"`` (``||``: uncorrelated).
    key : str
        Short unique name used in variable names: ``"g"``, ``"g1_g2"`` (``b_g``, ``sd_g``...).
    group_name : str
        The grouping factor, ``"g"`` or ``"g1:g2"``.
    factors : tuple of str
        The grouping columns.
    coef_names : list of str
        The varying coefficients (patsy's names of the term's columns: ``Intercept``, ``x``).
    levels : list of str
        The levels of the grouping factor, in index order (``"a:b"`` for an interaction).
    index : ndarray of int32, shape (n,)
        The level of every training row.
    values : ndarray of float64, shape (n, k)
        The term's design of the varying part for every training row.
    correlated : bool
        Whether the coefficients of a level are correlated (``|``) or not (``||``).
    design_info : patsy.DesignInfo
        Encodes the varying part of new data.
    """

    label: str
    key: str
    group_name: str
    factors: tuple[str, ...]
    coef_names: list[str]
    levels: list[str]
    index: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    correlated: bool = True
    design_info: Any = field(default=None, repr=False)

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def n_coef(self) -> int:
        return len(self.coef_names)

    def encode(self, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Encode new rows: ``(index, values, unseen)``.

        ``index[i]`` is the seen level's position, or ``n_levels + j`` for the ``j``-th distinct
        unseen level (listed in ``unseen``); ``values`` is the varying part's design.

        Examples
        --------
        >>> import pandas as pd
        >>> from bayeslogit.design import build_design
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [.1, .5, .2, .9, .3, .7],
        ...                    "g": ["a", "a", "b", "b", "c", "c"]})
        >>> t = build_design("y ~ x + (1 | g)", df).groups.terms[0]
        >>> idx, vals, unseen = t.encode(pd.DataFrame({"x": [0.0, 0.0], "g": ["c", "z"]}))
        >>> idx.tolist(), unseen
        ([2, 3], ['z'])
        """
        missing = [c for c in self.factors if c not in data.columns]
        if missing:
            raise DataError(
                f"new data lack the grouping column(s) {missing} of the group term ({self.label}); "
                "add them (a level not seen in training is allowed: for population-level predictions "
                "fill the column with a new label, e.g. 'new', and keep new_groups='population')"
            )
        check_normalised_names(data, predictor_columns(self.design_info, data.columns), what="new data")
        codes, labels = _level_codes(data, self.factors, what="new data")
        # one dict look-up per distinct level (not per row, and no list search: linear in the
        # number of unseen levels, which was quadratic before, issue 27)
        lookup = {lev: i for i, lev in enumerate(self.levels)}
        unseen: list[str] = []
        position = np.empty(len(labels), dtype=np.int64)
        for j, lab in enumerate(labels):  # labels are distinct, in order of first appearance
            seen = lookup.get(lab)
            if seen is None:
                seen = self.n_levels + len(unseen)
                unseen.append(lab)
            position[j] = seen
        index = position[codes]
        try:
            values = np.asarray(
                patsy.build_design_matrices([self.design_info], data, NA_action="raise")[0], dtype=float
            )
        except patsy.PatsyError as exc:
            raise DataError(
                f"cannot encode new data for the group term ({self.label}): {str(exc).splitlines()[0]}"
            ) from None
        return index, values, unseen


@dataclass(frozen=True)
class GroupDesign:
    """The group terms of a design (``Design.groups``).

    Attributes
    ----------
    terms : list of GroupTerm
    """

    terms: list[GroupTerm]

    def __repr__(self) -> str:
        inner = ", ".join(f"({t.label}): {t.n_levels} levels" for t in self.terms)
        return f"<GroupDesign {inner}>"

    @property
    def labels(self) -> list[str]:
        return [t.label for t in self.terms]

    def eta_block(self, rows, group_draws: list[np.ndarray]) -> np.ndarray:
        """The group part of the linear predictor of ``rows`` (a slice or index array) for
        every draw: shape ``(rows, draws)``. ``group_draws[t]`` is ``(draws, levels, k)``:
        ``sum_c values[i, c] * b[s, index[i], c]``."""
        out: np.ndarray | None = None
        for t, G in zip(self.terms, group_draws):
            idx, V = t.index[rows], t.values[rows]
            for c in range(G.shape[2]):  # one (rows, draws) gather at a time: one block of memory
                part = G[:, idx, c].T
                part *= V[:, c][:, None]
                if out is None:
                    out = part
                else:
                    out += part
        assert out is not None  # a group design has at least one term
        return out


def group_columns(terms: list[GroupSyntax], data_columns, eval_env=None) -> list[str]:
    """The data columns the group terms read (grouping factors and the varying parts' inputs)."""
    from .._formula import factor_codes, formula_names

    cols: list[str] = []
    for t in terms:
        for f in t.factors:
            if f not in data_columns:
                raise DesignError(
                    f"group term ({t.label}): grouping factor {f!r} is not a column of data "
                    f"(columns: {list(data_columns)[:10]}); fix the name"
                )
        cols += list(t.factors)
        try:
            codes = factor_codes(f"_y_ ~ {t.expr}")
        except patsy.PatsyError as exc:
            raise DesignError(f"group term ({t.label}): cannot parse {t.expr!r}: {str(exc).splitlines()[0]}") from None
        cols += formula_names([c for c in codes if c != "_y_"], data_columns)
    return list(dict.fromkeys(cols))


def _text(v) -> str:
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, np.generic):
        v = v.item()
    return str(v)


def _column_codes(s: pd.Series, name: str, *, what: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(codes, uniques, texts)`` of one grouping column: pandas' factorize on the typed values
    (``1`` and ``1.0`` are one value, ``1`` and ``'1'`` are two), uniques in order of first
    appearance, and their labels.

    Two distinct values with one label (``1`` and ``'1'``, ``1.5`` and ``'1.5'``) are refused:
    kept apart they would print as two groups with one name, merged they would pool rows that
    the data keep apart; either is a guess, and such a column is nearly always a reading
    mistake (a CSV column with some quoted numbers, frames of different dtypes concatenated).
    """
    if s.isna().any():
        raise DataError(f"{what}: grouping column {name!r} has missing values; drop or fill those rows")
    codes, uniques = pd.factorize(s.to_numpy(dtype=object))
    texts = [_text(v) for v in uniques]
    if len(set(texts)) < len(texts):
        first: dict[str, Any] = {}
        for v, t in zip(uniques, texts):
            if t in first:
                raise DataError(
                    f"{what}: grouping column {name!r} holds both {first[t]!r} ({type(first[t]).__name__}) and "
                    f"{v!r} ({type(v).__name__}), different values with one label, so they would be "
                    f"one group or two by chance; make the column one type, e.g. df[{name!r}].astype(str)"
                )
            first[t] = v
    return codes.astype(np.int64), uniques, texts


def _label(parts: tuple[str, ...]) -> str:
    """The label of a level: its value, or the values joined by ``:`` for an interaction; when a
    value holds ``:`` itself, the quoted values (``('a:b', 'c')``), so no two levels share one."""
    if len(parts) == 1:
        return parts[0]
    if any(":" in p for p in parts):
        return "(" + ", ".join(repr(p) for p in parts) + ")"
    return ":".join(parts)


def _level_codes(data: pd.DataFrame, factors: tuple[str, ...], *, what: str) -> tuple[np.ndarray, list[str]]:
    """``(codes, labels)``: the distinct level of every row (``int64``, ``n``, numbered in order
    of first appearance) and those levels' labels.

    Levels are combinations of the columns' typed values (never a joined string), so
    ``('a:b', 'c')`` and ``('a', 'b:c')`` are two levels with two labels."""
    columns = [_column_codes(data[f], f, what=what) for f in factors]
    codes = columns[0][0]
    for c, uniques, _ in columns[1:]:  # the combination's code, renumbered after each factor
        codes = pd.factorize(codes * len(uniques) + c)[0].astype(np.int64)
    first_rows = np.unique(codes, return_index=True)[1]  # codes are numbered by first row
    labels = [_label(tuple(texts[cc[r]] for cc, _, texts in columns)) for r in first_rows]
    if len(set(labels)) < len(labels):
        dup = next(lab for lab, k in Counter(labels).items() if k > 1)
        raise DataError(
            f"{what}: two different levels of ({':'.join(factors)}) have one label {dup!r}; "
            "rename the values (e.g. without ':', quotes and parentheses)"
        )
    return codes, labels


def _check_factor(data: pd.DataFrame, name: str, categorical: bool, label: str) -> None:
    if name not in data.columns:
        raise DesignError(f"group term ({label}): grouping factor {name!r} is not a column of data; fix the name")
    s = data[name]
    if categorical or pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        return
    v = s.to_numpy(dtype=float)
    if not np.all(np.isfinite(v) & (v == np.round(v))):
        k = int(pd.unique(v).size)
        raise DesignError(
            f"group term ({label}): grouping factor {name!r} is numeric-continuous ({k} distinct "
            "non-integer values); a grouping factor names groups, it is not a measurement. Wrap it "
            f"in C() if it is a code, e.g. (1 | C({name})), or group by a categorical column"
        )


_KEY_CHARS = re.compile(r"[^A-Za-z0-9_]")


def build_group_design(terms: list[GroupSyntax], data: pd.DataFrame, eval_env) -> GroupDesign:
    """Build the :class:`GroupDesign` of ``terms`` over the (already checked) model rows.

    Raises
    ------
    DesignError
        A grouping factor with one level, a numeric-continuous grouping factor (not in ``C()``),
        or a varying part with no columns.
    """
    out: list[GroupTerm] = []
    used_keys: set[str] = set()
    for syn in terms:
        label = syn.label
        for f, cat in zip(syn.factors, syn.categorical):
            _check_factor(data, f, cat, label)
        levels, index = _ordered_levels(data, syn.factors)
        if len(levels) < 2:
            raise DesignError(
                f"group term ({label}): grouping factor {syn.group_name!r} has one level "
                f"({levels[0]!r}), so there is no variation between groups to estimate; drop the term"
            )
        try:
            dm = patsy.dmatrix(syn.expr, data, eval_env=eval_env, NA_action="raise", return_type="matrix")
        except patsy.PatsyError as exc:
            raise DesignError(
                f"group term ({label}): cannot build the varying part {syn.expr!r}: {str(exc).splitlines()[0]}"
            ) from None
        values = np.ascontiguousarray(np.asarray(dm, dtype=float))
        names = [str(c) for c in dm.design_info.column_names]
        if values.shape[1] == 0:
            raise DesignError(f"group term ({label}) has no columns (e.g. (0 | g)); say what varies, e.g. (1 | g)")
        if not np.all(np.isfinite(values)):
            raise DataError(f"group term ({label}): the varying part gives non-finite values; check its columns")
        key = _KEY_CHARS.sub("_", syn.group_name.replace(":", "_"))
        base, j = key, 2
        while key in used_keys:
            key, j = f"{base}_{j}", j + 1
        used_keys.add(key)
        out.append(
            GroupTerm(
                label=label,
                key=key,
                group_name=syn.group_name,
                factors=syn.factors,
                coef_names=names,
                levels=levels,
                index=index,
                values=values,
                correlated=syn.correlated and len(names) > 1,
                design_info=dm.design_info,
            )
        )
    return GroupDesign(out)


def _ordered_levels(data: pd.DataFrame, factors: tuple[str, ...]) -> tuple[list[str], np.ndarray]:
    """``(levels, index)``: the levels in a natural order (a categorical's own order, numbers
    numerically, text sorted; for an interaction, lexicographic in the factors' orders, only
    combinations present) and every row's position in them (``int32``)."""
    codes, labels = _level_codes(data, factors, what="data")
    first_rows = np.unique(codes, return_index=True)[1]
    ranks = []
    for f in factors:
        s = data[f]
        values = s.to_numpy(dtype=object)
        column_codes, uniques = pd.factorize(values)  # as in _level_codes
        if isinstance(s.dtype, pd.CategoricalDtype):
            pos = {v: i for i, v in enumerate(s.cat.categories)}
            rank = np.array([pos[v] for v in uniques], dtype=np.int64)
        else:
            try:
                by_value = sorted(range(len(uniques)), key=lambda i: uniques[i])
            except TypeError:  # mixed types: by label (never equal, see _column_codes)
                by_value = sorted(range(len(uniques)), key=lambda i: _text(uniques[i]))
            rank = np.empty(len(uniques), dtype=np.int64)
            rank[by_value] = np.arange(len(uniques))
        ranks.append(rank[column_codes[first_rows]])
    order = np.lexsort(ranks[::-1]) if ranks else np.arange(len(labels))
    position = np.empty(len(labels), dtype=np.int64)
    position[order] = np.arange(len(labels))
    return [labels[i] for i in order], position[codes].astype(np.int32)
