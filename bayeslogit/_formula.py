"""Reading a patsy formula without running it: its Python expressions, the columns it names, and
a safe grammar for formulas stored in fit files.

patsy evaluates every factor of a formula (``np.log(x)``, ``I(y == "yes")``...) as Python
code. That is right for a formula the user typed, and wrong for one read from a file: a fit
file is data and is shared like data (``bl.load`` refuses anything outside the grammar below
unless ``trust=True``). Everything here only *parses* (patsy's tokenizer and ``ModelDesc``,
then :func:`ast.parse`); nothing is evaluated.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import math
import sys
import types
import unicodedata
from collections.abc import Iterable
from typing import Any

import numpy as np

from ._group_syntax import has_group_terms, split_group_terms

__all__ = [
    "parse_formula",
    "factor_codes",
    "formula_names",
    "free_names",
    "check_formula",
    "UnsafeFormula",
    "safe_eval_env",
    "offset_expression",
    "calls_offset",
    "recursion_room",
    "column_bound",
]

FUNCTIONS = frozenset(
    {
        "C",
        "I",
        "Q",
        "center",
        "standardize",
        "scale",
        "bs",
        "cr",
        "cc",
        "te",
        "Treatment",
        "Sum",
        "Diff",
        "Helmert",
        "Poly",
        "offset",
        "cbind",
        "poly",
    }
)
"""patsy's builtins, ``offset(expr)`` (a term of its own, read by bayeslogit, never given
to patsy), ``cbind(successes, failures)`` (R's binomial response, read by bayeslogit) and
``poly(x, degree)`` (R's orthogonal polynomials, :mod:`bayeslogit.design.poly`): the only bare
functions a stored formula may call."""
CONTRASTS = frozenset({"Treatment", "Sum", "Diff", "Helmert", "Poly"})
NUMPY = frozenset(
    {
        "log",
        "log1p",
        "log2",
        "log10",
        "exp",
        "expm1",
        "sqrt",
        "abs",
        "square",
        "sin",
        "cos",
        "tan",
        "arcsin",
        "arccos",
        "arctan",
        "sinh",
        "cosh",
        "tanh",
        "floor",
        "ceil",
        "round",
        "sign",
        "minimum",
        "maximum",
        "clip",
        "where",
        "isnan",
    }
)
"""numpy functions (as ``np.f`` or ``numpy.f``) a stored formula may call: elementwise only."""
KEYWORDS = frozenset(
    {
        "df",
        "knots",
        "degree",
        "include_intercept",
        "lower_bound",
        "upper_bound",
        "constraints",
        "reference",
        "levels",
        "contrast",
        "scores",
        "omit",
        "center",
        "rescale",
        "ddof",
    }
)
SMALL_KEYWORDS = frozenset({"df", "degree"})  # sizes of a spline basis: bounded, or a memory bomb
MAX_SMALL = 1000
BINOPS = (
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.FloorDiv,
    ast.Mod,
    ast.Pow,
    ast.BitAnd,
    ast.BitOr,
    ast.BitXor,
)  # no shifts: 1 << 10**9 is a memory bomb
UNARY = (ast.UAdd, ast.USub, ast.Not, ast.Invert)
MAX_POWER = 16
MAX_BITS = 1100
"""The largest value (as a power of two) of a constant expression: beyond the largest float."""
SIZED = frozenset({"bs", "cr", "cc", "poly"})
"""Functions whose positional arguments after the first are sizes (df, knots, degree): capped as
the keywords are."""
MAX_LENGTH = 20_000
_PATSY_WORDS = FUNCTIONS | {"np", "numpy"}


class UnsafeFormula(Exception):
    """A part of a stored formula outside the safe grammar (``part`` is its source text)."""

    def __init__(self, part: str, why: str) -> None:
        super().__init__(f"{part!r} ({why})")
        self.part, self.why = part, why


@contextlib.contextmanager
def recursion_room(formula: str):
    """patsy parses ``a + b + ...`` recursively (about 2 frames per term): make room for long
    formulas (600 terms need ~1,300 frames; Python 3.12's frames live on the heap)."""
    old = sys.getrecursionlimit()
    need = min(200_000, 10 * len(formula) + 1000)
    if need > old:
        sys.setrecursionlimit(need)
    try:
        yield
    finally:
        if need > old:
            sys.setrecursionlimit(old)


def parse_formula(formula: str):
    """``patsy.ModelDesc.from_formula`` with room for long formulas (parses, runs nothing).

    Raises ``patsy.PatsyError`` for bad syntax, and ``RecursionError``/``AssertionError``
    (patsy's tokenizer on more than 200 nested parentheses) for pathological ones.
    """
    import patsy

    with recursion_room(formula):
        return patsy.ModelDesc.from_formula(formula)


def factor_codes(formula: str, desc: Any = None) -> list[str]:
    """Every Python expression patsy evaluates for ``formula`` (response included), unique.

    Group terms (``(1 + x | g)``, :mod:`bayeslogit._group_syntax`) count too when ``desc`` is
    not given: the varying part's expressions and the grouping columns (as ``g`` or ``Q("g")``)."""
    if desc is None and has_group_terms(formula):
        fixed, terms = split_group_terms(formula)
        if terms:
            codes_out = factor_codes(fixed)
            for t in terms:
                codes = [c for c in factor_codes(f"_y_ ~ {t.expr}") if c != "_y_"]
                codes += [f if f.isidentifier() else f"Q({f!r})" for f in t.factors]
                codes_out += [c for c in codes if c not in codes_out]
            return codes_out
    desc = parse_formula(formula) if desc is None else desc
    out: list[str] = []
    for term in desc.lhs_termlist + desc.rhs_termlist:
        for factor in term.factors:
            if factor.code not in out:
                out.append(factor.code)
    return out


def offset_expression(code: str) -> str | None:
    """The expression ``expr`` of a factor written ``offset(expr)`` (R's and statsmodels'
    offset term), else None. Parses only. Raises ``ValueError`` for ``offset()`` with other
    than one plain argument.

    Examples
    --------
    >>> offset_expression("offset(np.log(exposure))"), offset_expression("np.log(x)")
    ('np.log(exposure)', None)
    """
    node = _parse(code).body
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "offset"):
        return None
    if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
        raise ValueError(f"{code!r}: offset() takes exactly one expression, e.g. offset(np.log(exposure))")
    return ast.get_source_segment(code, node.args[0])


def calls_offset(code: str) -> bool:
    """Whether the expression ``code`` calls ``offset`` anywhere (parses only)."""
    return any(
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "offset"
        for n in ast.walk(_parse(code))
    )


def _parse(code: str) -> ast.Expression:
    with recursion_room(code):
        return ast.parse(code, mode="eval")


def _normal(name: str) -> str:
    return unicodedata.normalize("NFKC", name)  # Python normalises identifiers this way


def formula_names(codes: Iterable[str], columns) -> list[str]:
    """The columns of ``columns`` that the factor ``codes`` read: bare names (Unicode too, such
    as ``café``) and the quoted names of ``Q("...")``, in the order of ``columns``."""
    bare: set[str] = set()
    quoted: set[str] = set()
    for code in codes:
        for node in ast.walk(_parse(code)):
            if isinstance(node, ast.Name):
                bare.add(node.id)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Q"
                and len(node.args) == 1
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                quoted.add(node.args[0].value)
    return [c for c in columns if isinstance(c, str) and (c in quoted or _normal(c) in bare)]


def free_names(codes: Iterable[str], columns) -> list[str]:
    """Bare names in ``codes`` that are neither columns nor patsy's or numpy's names (so they
    must come from the caller's namespace), in order of appearance."""
    cols = {_normal(c) for c in columns if isinstance(c, str)}
    out: list[str] = []
    for code in codes:
        for node in ast.walk(_parse(code)):
            if (
                isinstance(node, ast.Name)
                and node.id not in cols
                and node.id not in _PATSY_WORDS
                and node.id not in out
            ):
                out.append(node.id)
    return out


# -- the safe grammar of stored formulas -----------------------------------------------------------


def check_formula(formula: Any, columns, *, extra_functions: Iterable[str] = ()) -> None:
    """Raise :class:`UnsafeFormula` unless every expression of ``formula`` is in the safe grammar.

    Allowed: column names of the stored data, numbers, arithmetic and comparisons, strings only
    as comparison operands / category levels / keyword values, ``C()``, ``I()``, ``Q("column")``,
    patsy's stateful transforms, splines and contrasts, the numpy functions in :data:`NUMPY`
    (as ``np.f``), and bare calls of the functions named in ``extra_functions`` (ones the caller
    vouches for). Refused: any other name, attribute access, subscripts, lambdas,
    comprehensions, f-strings, ``**kwargs``, walrus, and powers above :data:`MAX_POWER`.
    """
    if not isinstance(formula, str):
        raise UnsafeFormula(repr(type(formula).__name__), "the formula is not text")
    if len(formula) > MAX_LENGTH:
        raise UnsafeFormula(formula[:40] + "...", f"longer than {MAX_LENGTH} characters")
    try:
        codes = factor_codes(formula)
    except Exception as exc:  # noqa: BLE001 - PatsyError, RecursionError, AssertionError...
        raise UnsafeFormula(formula, f"cannot be parsed: {type(exc).__name__}") from None
    for code in codes:
        _check_expression(code, columns, frozenset(extra_functions))


def _check_expression(code: str, columns, extra: frozenset) -> None:
    cols = {_normal(c) for c in columns if isinstance(c, str)}
    try:
        tree = _parse(code)
    except Exception as exc:  # noqa: BLE001 - SyntaxError, RecursionError, MemoryError...
        raise UnsafeFormula(code, f"not a Python expression: {type(exc).__name__}") from None

    def bad(node, why):
        part = ast.get_source_segment(code, node) or type(node).__name__
        raise UnsafeFormula(part, why)

    def constant(node, *, string_ok: bool, small: bool = False) -> None:
        v = node.value
        if isinstance(v, str):
            if not string_ok:
                bad(node, "text is allowed only as a level, a comparison operand or a keyword value")
            return
        if v is None or isinstance(v, bool):
            return
        if not isinstance(v, (int, float)):
            bad(node, f"a {type(v).__name__} constant is not allowed")
        if small and abs(v) > MAX_SMALL:
            bad(node, f"at most {MAX_SMALL}")

    def literal(node, *, small: bool = False) -> None:
        """A keyword value or a contrast argument: a constant, or a list/tuple of them."""
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
            return constant(node.operand, string_ok=False, small=small)
        if isinstance(node, ast.Constant):
            return constant(node, string_ok=True, small=small)
        if isinstance(node, (ast.List, ast.Tuple)) and not small:
            for e in node.elts:
                literal(e)
            return
        bad(node, "keyword values and contrast arguments must be constants or lists of constants")

    def sized_list(node) -> None:
        if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > MAX_SMALL:
            bad(node, f"at most {MAX_SMALL} values")

    bits: dict[int, float | None] = {}

    def magnitude(node) -> float | None:
        """An upper bound of log2 |value| of a constant expression (None: it reads a column,
        so numpy computes it in fixed-size numbers); Python's integers have no bound, so
        ``((2**16)**16)**16...`` would run for minutes with every exponent under the cap."""
        key = id(node)
        if key not in bits:
            bits[key] = _magnitude(node)
        return bits[key]

    def _magnitude(node) -> float | None:
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None:
                return 0.0
            if isinstance(v, (int, float)):
                return math.log2(max(abs(float(v)), 1.0)) if abs(v) < 2**1023 else 1024.0
            return None
        if isinstance(node, ast.UnaryOp):
            m = magnitude(node.operand)
            return None if m is None else m + 1
        if isinstance(node, ast.BinOp):
            left, right = magnitude(node.left), magnitude(node.right)
            if left is None or right is None:
                return None
            if isinstance(node.op, ast.Pow):
                e = node.right.value if isinstance(node.right, ast.Constant) else MAX_POWER
                return left * abs(float(e)) + 1 if isinstance(e, int | float) else None
            if isinstance(node.op, ast.Mult):
                return left + right
            if isinstance(node.op, (ast.Div, ast.FloorDiv, ast.Mod)):
                return left
            return max(left, right) + 1
        return None

    def visit(node, *, string_ok: bool = False) -> None:
        if isinstance(node, ast.Constant):
            return constant(node, string_ok=string_ok)
        if isinstance(node, ast.Name):
            if node.id in cols or node.id in CONTRASTS:  # C(g, Sum): a contrast class, uncalled
                return
            bad(node, "not a column of the stored data")
        if isinstance(node, ast.BinOp) and isinstance(node.op, BINOPS):
            if isinstance(node.op, ast.Pow) and not (
                isinstance(node.right, ast.Constant)
                and isinstance(node.right.value, int | float)
                and type(node.right.value) is not bool
                and abs(node.right.value) <= MAX_POWER
            ):
                bad(node, f"a power must be a number of at most {MAX_POWER}")
            visit(node.left)
            visit(node.right)
            m = magnitude(node)
            if m is not None and m > MAX_BITS:
                bad(node, f"its value may reach 2**{m:.0f}; numbers in a stored formula stay below 2**{MAX_BITS}")
            return
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, UNARY):
            return visit(node.operand)
        if isinstance(node, ast.Compare):
            visit(node.left, string_ok=True)
            for c in node.comparators:
                visit(c, string_ok=True)
            return
        if isinstance(node, ast.Call):
            return call(node)
        bad(node, f"{type(node).__name__} is not allowed")

    def call(node: ast.Call) -> None:
        f = node.func
        if isinstance(f, ast.Name) and (f.id in FUNCTIONS or f.id in extra):
            name = f.id
        elif (
            isinstance(f, ast.Attribute)
            and isinstance(f.value, ast.Name)
            and f.value.id in ("np", "numpy")
            and f.attr in NUMPY
        ):
            name = "np." + f.attr
        elif isinstance(f, ast.Name):
            bad(f, f"an unknown function; if it is your own, pass it: bl.load(path, namespace={{'{f.id}': {f.id}}})")
        else:
            bad(
                f,
                "only C, I, Q, patsy's transforms, splines and contrasts, elementwise numpy "
                "functions and the functions passed as namespace= may be called",
            )
        if name == "offset" and (len(node.args) != 1 or node.keywords):
            bad(node, "offset() takes exactly one expression")
        if name == "Q":
            arg = node.args[0] if len(node.args) == 1 else None
            if node.keywords or not isinstance(arg, ast.Constant) or arg.value not in cols:
                bad(node, "Q() takes one quoted column name of the stored data")
            return
        for i, a in enumerate(node.args):
            if isinstance(a, ast.Starred):
                bad(a, "star arguments are not allowed")
            if name in CONTRASTS:
                literal(a)
            elif name in SIZED and i >= 1:  # bs(x, df, knots, degree), poly(x, degree): as keywords
                literal(a, small=not isinstance(a, (ast.List, ast.Tuple)))
                sized_list(a)
            else:
                visit(a)
        for kw in node.keywords:
            if kw.arg is None:
                bad(node, "** arguments are not allowed")
            if kw.arg not in KEYWORDS:
                bad(node, f"keyword {kw.arg!r} is not allowed")
            literal(kw.value, small=kw.arg in SMALL_KEYWORDS)
            sized_list(kw.value)

    try:
        visit(tree.body)
    except RecursionError:
        raise UnsafeFormula(code[:40] + "...", "nested too deeply") from None


_SAFE_NUMPY = types.SimpleNamespace(**{n: getattr(np, n) for n in NUMPY})
_SHADOW = {n: None for n in dir(builtins) if not n.startswith("__") or n == "__import__"}
_SHADOW.update({"__import__": None, "__builtins__": None, "__loader__": None, "__spec__": None})


def safe_eval_env(namespace: dict[str, Any] | None = None):
    """A patsy ``EvalEnvironment`` for stored formulas: numpy only as the whitelisted functions,
    the caller's ``namespace``, and every Python builtin shadowed by ``None`` (a second layer
    behind :func:`check_formula`: ``__import__``, ``open``, ``eval``... are not callable)."""
    import patsy

    return patsy.EvalEnvironment([{"np": _SAFE_NUMPY, "numpy": _SAFE_NUMPY}, dict(namespace or {}), _SHADOW])


# -- the size of the design a stored formula builds, before evaluating it --------------------------

_BOOLEAN_NUMPY = frozenset({"isnan"})
_NUMERIC_WRAPPERS = frozenset({"center", "standardize", "scale", "I"})


def column_bound(formula: str, data, *, extra_functions: Iterable[str] = ()) -> tuple[int, int, str]:
    """An upper bound of the design's columns for a formula that passed :func:`check_formula`,
    from its terms and the stored ``data`` alone (nothing is evaluated), and the bound and name of
    its largest term.

    A term's bound is the product of its factors' bounds: 1 for a numeric expression (and for a
    call of the caller's ``extra_functions``), the distinct values of a categorical column, of a
    ``C()`` of a column or ``len(levels)``, 2 for a boolean expression, the number of rows for
    any other categorical expression, a spline's ``df + len(knots) + degree + 1``, ``poly``'s
    degree, and the product of its margins for ``te()``. Coding only removes columns, so the
    design has at most the sum over terms (the response and group terms' grouping excluded:
    ``max_levels`` bounds those)."""
    extra = frozenset(extra_functions)
    n_rows = len(data)
    by_name = {_normal(c): c for c in data.columns if isinstance(c, str)}
    levels: dict[str, int] = {}

    def column(node):
        if isinstance(node, ast.Name) and node.id in by_name:
            return by_name[node.id]
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "Q"
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in data.columns
        ):
            return node.args[0].value
        return None

    def distinct(col) -> int:
        if col not in levels:
            levels[col] = max(int(data[col].nunique(dropna=True)), 1)
        return levels[col]

    def numeric_column(col) -> bool:
        dtype = data[col].dtype
        return getattr(dtype, "kind", "O") in "iufc"

    def fname(node) -> str | None:
        f = node.func
        if isinstance(f, ast.Name):
            return f.id
        if isinstance(f, ast.Attribute):
            return "np." + f.attr
        return None

    def numeric(node) -> bool:
        """Surely a number per row (patsy: one numeric column)."""
        col = column(node)
        if col is not None:
            return numeric_column(col)
        if isinstance(node, ast.Constant):
            return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.UAdd, ast.USub)) and numeric(node.operand)
        if isinstance(node, ast.BinOp):
            arithmetic = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
            return isinstance(node.op, arithmetic) and numeric(node.left) and numeric(node.right)
        if isinstance(node, ast.Call):
            name = fname(node)
            if name in extra:
                return True
            if name in _NUMERIC_WRAPPERS or (name and name.startswith("np.") and name[3:] not in _BOOLEAN_NUMPY):
                return all(numeric(a) for a in node.args)
        return False

    def boolean(node) -> bool:
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            return True
        if isinstance(node, ast.UnaryOp):
            return isinstance(node.op, (ast.Not, ast.Invert))
        if isinstance(node, ast.BinOp):
            return isinstance(node.op, (ast.BitAnd, ast.BitOr, ast.BitXor))
        if isinstance(node, ast.Constant):
            return isinstance(node.value, bool)
        col = column(node)
        if col is not None:
            return str(data[col].dtype) in ("bool", "boolean")
        if isinstance(node, ast.Call) and fname(node) == "np.isnan":
            return True
        return isinstance(node, ast.Call) and fname(node) == "I" and len(node.args) == 1 and boolean(node.args[0])

    def size(node, i: int, key: str) -> int:
        arg = node.args[i] if len(node.args) > i else next((k.value for k in node.keywords if k.arg == key), None)
        if isinstance(arg, (ast.List, ast.Tuple)):
            return len(arg.elts)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, int | float) and not isinstance(arg.value, bool):
            return int(abs(arg.value))
        return 0

    def width(node) -> int:
        col = column(node)
        if col is not None:
            return 1 if numeric_column(col) and not boolean(node) else distinct(col)
        if isinstance(node, ast.Call):
            name = fname(node)
            if name == "C" and node.args:
                given = next((k.value for k in node.keywords if k.arg == "levels"), None)
                if isinstance(given, (ast.List, ast.Tuple)):
                    return max(len(given.elts), 1)
                inner = column(node.args[0])
                if inner is not None:
                    return distinct(inner)
                return 2 if boolean(node.args[0]) else max(n_rows, 1)
            if name in ("bs", "cr", "cc"):
                degree = size(node, 3, "degree") if name == "bs" else 3
                return size(node, 1, "df") + size(node, 2, "knots") + max(degree, 3) + 1
            if name == "poly":
                return max(size(node, 1, "degree"), 1)
            if name == "te":
                out = 1
                for a in node.args:
                    out *= width(a)
                return out
        if numeric(node):
            return 1
        if boolean(node):
            return 2
        return max(n_rows, 1)

    found: list[tuple[int, str]] = []  # (bound, term)
    descs = [formula]
    if has_group_terms(formula):
        fixed, group_terms = split_group_terms(formula)
        descs = [fixed] + [f"_y_ ~ {t.expr}" for t in group_terms]
    for text in descs:
        for term in parse_formula(text).rhs_termlist:
            cols = 1
            for factor in term.factors:
                cols *= width(_parse(factor.code).body)
            found.append((cols, term.name()))
    if not found:
        return 0, 0, ""
    largest = max(found)
    return sum(c for c, _ in found), largest[0], largest[1]
