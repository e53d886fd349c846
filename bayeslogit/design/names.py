"""Names and values in words, for the rest of :mod:`bayeslogit.design`.

Owns what every step of building a design needs to name things: the columns a formula (or a
fitted ``DesignInfo``) reads, whether a name that is not a column resolves in the caller's
namespace, a value or formula shortened for a message, and :func:`formula_error`, which turns
patsy's errors into bayeslogit's (a name that is no column, a transform that gave NaN).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import patsy

from .._formula import formula_names, free_names
from ..errors import DataError, FormulaError

NAME_ERROR = re.compile(r"NameError: name '([^']+)' is not defined")


def identifiers(code: str) -> list[str]:
    """Bare names a factor expression evaluates, other than patsy's and numpy's (so a column,
    or a function of the caller's), in order of appearance."""
    return free_names([code], [])


# R functions patsy lacks, with what to write instead (named in the "not a column" error).
R_EQUIVALENTS = {
    "ns": "R's ns(x, df) is a natural cubic spline: patsy's cr(x, df=3) is the equivalent",
}

# A "." term of R's formulas: all other columns. Outside quotes, a dot that is not part of a
# name or number.
_DOT = re.compile(r"""(?<![\w.'"])\.(?![\w.'"])""")


def expand_dot(formula: str, columns, exclude=()) -> str:
    """R's ``y ~ .``: each ``.`` right of ``~`` replaced by the columns the left side and
    ``exclude`` do not name (as R's ``glm``), joined by ``+``; ``Q('...')`` for odd names."""
    if "~" not in formula:
        return formula
    lhs, rhs = formula.split("~", 1)
    if not _DOT.search(re.sub(r"'[^']*'|\"[^\"]*\"", "", rhs)):
        return formula
    taken = set(identifiers(lhs)) if lhs.strip() else set()
    taken |= {c for c in exclude if isinstance(c, str)}
    taken |= {c for c in columns if isinstance(c, str) and re.search(rf"Q\(\s*['\"]{re.escape(c)}['\"]\s*\)", lhs)}
    rest = [c for c in columns if isinstance(c, str) and c not in taken]
    if not rest:
        raise FormulaError(f"formula {formula!r}: '.' stands for the other columns, but data has none")
    terms = " + ".join(c if c.isidentifier() and c not in {"Q", "C", "I"} else f"Q({c!r})" for c in rest)
    parts = re.split(r"""('[^']*'|"[^"]*")""", rhs)  # leave quoted text alone
    rhs = "".join(p if i % 2 else _DOT.sub(f"({terms})", p) for i, p in enumerate(parts))
    return f"{lhs}~{rhs}"


def short_formula(formula: str, k: int = 120) -> str:
    return formula if len(formula) <= k else formula[: k - 3] + "..."


def response_names(desc, data: pd.DataFrame) -> list[str]:
    return formula_names([f.code for t in desc.lhs_termlist for f in t.factors], data.columns)


def resolvable(name: str, env: patsy.EvalEnvironment) -> bool:
    try:
        env.eval(name.split(".")[0])
        return True
    except Exception:
        return False


def design_info_names(design_info) -> list[str]:
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
                name = node.args[0].value  # type: ignore[assignment]  # checked just below
            if isinstance(name, str) and name not in out and name not in ("np", "numpy"):
                out.append(name)
    return out


def predictor_columns(design_info, columns) -> list[str]:
    wanted = set(design_info_names(design_info))
    return [c for c in columns if c in wanted]


def preview(values: list, k: int = 8) -> str:
    shown = ", ".join(repr(plain_value(v)) for v in values[:k])
    return shown + (f", ... ({len(values)} in all)" if len(values) > k else "")


def plain_value(v):
    return v.item() if isinstance(v, np.generic) else v


def describe_levels(design_info) -> str:
    parts = []
    for factor, info in design_info.factor_infos.items():
        if info.type == "categorical":
            parts.append(f"{factor.code} has levels {list(info.categories)}")
    return "; ".join(parts) or "no categorical factors"


def formula_error(formula: str, exc: patsy.PatsyError, data: pd.DataFrame) -> BaseException:
    text = str(exc)
    m = NAME_ERROR.search(text)
    if m:
        name = m.group(1)
        twins = [
            c for c in data.columns if isinstance(c, str) and c != name and unicodedata.normalize("NFKC", c) == name
        ]
        if twins:  # Python read the column's name NFKC-normalised (`µ` U+00B5 as `μ` U+03BC)
            return FormulaError(
                f"formula {formula!r} names the column {twins[0]!r}, which Python reads as {name!r} "
                f"(Unicode NFKC normalisation of identifiers); write Q({twins[0]!r}) or rename the column"
            )
        return FormulaError(
            f"formula {formula!r} uses {name!r}, which is not a column of data "
            f"(columns: {preview(list(data.columns))}); fix the name or add the column"
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
