"""The response family of a formula: binary, multinomial or ordinal, and the outcome coding.

``family="auto"`` (the default of :class:`bayeslogit.LogitModel`) keeps two outcomes binary
as before, takes three or more unordered outcomes (text or a Categorical; numbers stay 0/1
data, where three values are an error suggesting ``family="multinomial"``) as multinomial and an ordered pandas
Categorical (three or more levels) as ordinal, and prints a one-line note on stderr saying
which (as bambi's informational messages; the group-model sampler fallback says so the same
way). An explicit family prints nothing.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ArgumentError, DataError, DesignError
from ..response_categorical import MAX_OUTCOMES, CategoricalFamily, Multinomial, Ordinal
from .names import plain_value, preview

__all__ = ["FAMILIES", "choose_family", "code_categorical", "categorical_family_for"]

FAMILIES = ("auto", "bernoulli", "binomial", "multinomial", "ordinal")


def _levels(y: pd.Series, name: str) -> tuple[list, list]:
    """(declared levels, observed levels) of the response, in the categorical's order or sorted."""
    if isinstance(y.dtype, pd.CategoricalDtype):
        declared = list(y.cat.categories)
    else:
        declared = sorted(pd.unique(y), key=_order)
    counts = y.value_counts(dropna=False)
    observed = [c for c in declared if counts.get(c, 0) > 0]
    return declared, observed


def _order(v):
    """Numbers in numeric order, then everything else by type name and value."""
    return ("", v) if isinstance(v, (int, float, np.number, bool)) else (type(v).__name__, v)


def choose_family(y: pd.Series, name: str, family: str, *, trials: Any = None) -> str:
    """The family name ``family="auto"`` means for the response ``y`` (and checks a given one)."""
    if family not in FAMILIES:
        raise ArgumentError(f"family must be one of {FAMILIES}, got {family!r}")
    if family in ("bernoulli", "binomial"):
        return family
    if family == "auto":
        if trials is not None:
            return "binomial"
        if y.dtype.kind in "iufcb":  # numbers: 0/1 data (3+ values are an error there, not classes)
            return "bernoulli"
        _, observed = _levels(y, name)
        if len(observed) <= 2:
            return "bernoulli"
        ordered = isinstance(y.dtype, pd.CategoricalDtype) and bool(y.cat.ordered)
        chosen = "ordinal" if ordered else "multinomial"
        how = "an ordered Categorical" if ordered else "unordered"
        print(
            f"bayeslogit: response {name!r} has {len(observed)} outcomes ({how}): family={chosen!r}"
            + ("" if ordered else " (pass family='ordinal' with an ordered Categorical for ordered outcomes)"),
            file=sys.stderr,
        )
        return chosen
    if trials is not None:
        raise ArgumentError(f"family={family!r} takes one outcome per row; drop trials={trials!r}")
    return family


def code_categorical(y: pd.Series, name: str, family: str, reference: Any) -> tuple[np.ndarray, tuple, int]:
    """Outcome codes 0..K-1, the levels and the reference index of a categorical response.

    Raises a :class:`~bayeslogit.DataError` naming the column and the fix for a declared level
    with no rows, more than ``MAX_OUTCOMES`` outcomes, an ordinal response with two levels and
    a reference level that is not an outcome.
    """
    if y.dtype.kind == "f" and not np.all(np.isfinite(y.to_numpy(dtype=float))):
        raise DataError(f"response {name!r} has non-finite values (inf); remove or fix those rows")
    declared, observed = _levels(y, name)
    empty = [c for c in declared if c not in observed]
    if empty:
        raise DataError(
            f"response {name!r} has level(s) {preview([plain_value(c) for c in empty])} with no rows; "
            f"drop them first (df[{name!r}] = df[{name!r}].cat.remove_unused_categories()) or add data for them"
        )
    K = len(observed)
    if K > MAX_OUTCOMES:
        raise DataError(
            f"response {name!r} has {K} distinct outcomes (more than {MAX_OUTCOMES}): is it an id or "
            "free text? Group rare outcomes into fewer levels, or model a numeric response otherwise"
        )
    if K < 2:
        raise DataError(f"response {name!r} is constant; a categorical model needs at least three outcomes")
    if family == "ordinal" and K == 2:
        raise DataError(
            f"response {name!r} has two outcomes; an ordinal model needs three or more ordered levels. "
            "Use family='bernoulli' (the default) for two outcomes"
        )
    if family == "multinomial" and K == 2:
        raise DataError(
            f"response {name!r} has two outcomes; use family='bernoulli' (the default), which is the "
            "same model with one set of coefficients"
        )
    ref = 0
    if reference is not None:
        if family == "ordinal":
            raise ArgumentError("reference= picks the baseline of a multinomial model; an ordinal model has none")
        matches = [i for i, c in enumerate(observed) if c == reference or str(plain_value(c)) == str(reference)]
        if len(matches) != 1:
            raise ArgumentError(
                f"reference={reference!r} is not an outcome of response {name!r} "
                f"(outcomes: {preview([plain_value(c) for c in observed])}); pass one of them"
            )
        ref = matches[0]
    codes = pd.Categorical(y, categories=observed).codes.astype(np.int64)
    return codes, tuple(plain_value(c) for c in observed), ref


def categorical_family_for(
    family: str, levels: tuple, reference: int, column_names: list[str], weights
) -> CategoricalFamily:
    """The family object of a built design (the ordinal one drops the ``Intercept`` column)."""
    if family == "multinomial":
        return Multinomial(levels, reference, weights)
    if "Intercept" not in column_names:
        raise DesignError(
            "an ordinal model's cutpoints take the intercept's place, so its formula needs one; "
            "remove '0 +' or '- 1' from the formula"
        )
    return Ordinal(levels, column_names.index("Intercept"), weights)
