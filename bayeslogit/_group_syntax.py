"""Group terms in a formula's text: ``(1 + x | g)``, ``(x || g)``, ``(1 | g1/g2)``, ``(1 | g1:g2)``.

patsy does not parse lme4's ``|``. :func:`split_group_terms` finds the group terms in the
right-hand side *by text only* (nothing is evaluated), removes them, and returns the
fixed-effects formula that patsy then builds as before, with one :class:`GroupSyntax` per
group term. A group term is a parenthesised term at the top level of the right-hand side
(preceded by ``~`` or ``+``, followed by ``+`` or the end) whose content has a ``|`` or
``||`` outside any inner parentheses; ``I(a | b)`` (a call) and ``(a | b)`` nested in another
expression are left to patsy. lme4's conventions:

- ``(expr | g)``: the terms of ``expr`` (a patsy formula, ``1 + x``; ``x`` alone also gets
  an intercept, ``0 + x`` or ``x - 1`` not) vary by the levels of ``g``, correlated;
- ``(expr || g)``: the same, uncorrelated;
- ``(expr | g1:g2)``: by the combinations of ``g1`` and ``g2``;
- ``(expr | g1/g2)``: nested, ``(expr | g1) + (expr | g1:g2)``.

A grouping factor is a column name, ``C(name)`` (to group by a numeric-continuous column on
purpose) or ``Q("odd name")``. This module sits at the bottom (base stage) so that
:mod:`bayeslogit._formula`'s safe grammar for stored formulas can check group terms too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DesignError, FormulaError

__all__ = ["GroupSyntax", "split_group_terms", "has_group_terms"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_WRAPPED = re.compile(r"""^(C|Q)\(\s*(?:([A-Za-z_][A-Za-z0-9_.]*)|"([^"]+)"|'([^']+)')\s*\)$""")


@dataclass(frozen=True)
class GroupSyntax:
    """One group term as written, after nesting is expanded.

    Attributes
    ----------
    expr : str
        The varying part, a patsy right-hand side (``"1 + x"``).
    factors : tuple of str
        The grouping columns (``("g1", "g2")`` for ``g1:g2``).
    categorical : tuple of bool
        Per factor, whether it was wrapped in ``C()`` (grouping by a numeric column on purpose).
    correlated : bool
        False for ``||``.
    """

    expr: str
    factors: tuple[str, ...]
    categorical: tuple[bool, ...]
    correlated: bool = True

    @property
    def group_name(self) -> str:
        """The grouping factor as text: ``"g"`` or ``"g1:g2"``."""
        return ":".join(self.factors)

    @property
    def label(self) -> str:
        """The term as lme4 writes it: ``"1 + x | g"`` (``"||"`` when uncorrelated)."""
        bar = "|" if self.correlated else "||"
        return f"{self.expr} {bar} {self.group_name}"


def has_group_terms(formula: str) -> bool:
    """Whether the formula's text has a ``|`` at all (cheap test before :func:`split_group_terms`)."""
    return isinstance(formula, str) and "|" in formula.partition("~")[2]


def _skip_string(text: str, i: int) -> int:
    """Index just after the string literal starting at ``text[i]``."""
    q = text[i]
    j = i + 1
    while j < len(text):
        if text[j] == "\\":
            j += 2
            continue
        if text[j] == q:
            return j + 1
        j += 1
    return j


def _top_level_parens(rhs: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every parenthesised span at depth 0 of ``rhs`` (end exclusive)."""
    spans, depth, start, i = [], 0, 0, 0
    while i < len(rhs):
        c = rhs[i]
        if c in "\"'":
            i = _skip_string(rhs, i)
            continue
        if c == "(":
            if depth == 0:
                start = i
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise FormulaError(f"unbalanced ')' in the formula's right-hand side {rhs!r}")
            if depth == 0:
                spans.append((start, i + 1))
        i += 1
    if depth != 0:
        raise FormulaError(f"unbalanced '(' in the formula's right-hand side {rhs!r}")
    return spans


def _split_bar(content: str) -> tuple[str, str, bool] | None:
    """``content`` split at its top-level ``|`` / ``||``: ``(lhs, rhs, correlated)`` or None."""
    depth, i = 0, 0
    while i < len(content):
        c = content[i]
        if c in "\"'":
            i = _skip_string(content, i)
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "|" and depth == 0:
            if content[i + 1 : i + 2] == "|":
                return content[:i], content[i + 2 :], False
            return content[:i], content[i + 1 :], True
        i += 1
    return None


def _factor(token: str, term: str) -> tuple[str, bool]:
    token = token.strip()
    if _NAME.match(token):
        return token, False
    m = _WRAPPED.match(token)
    if m:
        return next(g for g in m.groups()[1:] if g), m.group(1) == "C"
    raise FormulaError(
        f"group term ({term}): the grouping factor {token!r} must be a column name (or C(name) "
        'for a numeric code, Q("odd name")), e.g. (1 | school) or (1 | school:class)'
    )


def _grouping(rhs: str, term: str) -> list[tuple[tuple[str, ...], tuple[bool, ...]]]:
    """The grouping factors of one term; ``g1/g2`` expands to ``[g1], [g1, g2]``."""
    text = rhs.strip()
    if not text:
        raise DesignError(f"group term ({term}) has no grouping variable after '|'; write e.g. (1 | g) with g a column")
    nested = [part for part in text.split("/")]
    if any(not p.strip() for p in nested):
        raise FormulaError(f"group term ({term}): empty factor in the nesting {text!r}; write (1 | g1/g2)")
    out: list[tuple[tuple[str, ...], tuple[bool, ...]]] = []
    prefix: tuple[str, ...] = ()
    cats: tuple[bool, ...] = ()
    for part in nested:
        names = [_factor(t, term) for t in part.split(":")]
        prefix = prefix + tuple(n for n, _ in names)
        cats = cats + tuple(c for _, c in names)
        out.append((prefix, cats))
    return out


def split_group_terms(formula: str) -> tuple[str, list[GroupSyntax]]:
    """Split lme4-style group terms off a formula.

    Parameters
    ----------
    formula : str
        ``"y ~ x + (1 + x | g)"``.

    Returns
    -------
    fixed : str
        The formula without its group terms (``"y ~ x"``; ``"y ~ 1"`` when nothing is left).
    terms : list of GroupSyntax
        The group terms in order, nested ones expanded.

    Raises
    ------
    DesignError
        An empty term ``( | g)`` or a term with no grouping variable ``(1 | )``.
    FormulaError
        A group term inside another expression (``-(1|g)``, ``x:(1|g)``) or a grouping factor
        that is not a column name.

    Examples
    --------
    >>> fixed, terms = split_group_terms("y ~ x + (1 + x | g) + (1 | a/b)")
    >>> fixed
    'y ~ x'
    >>> [t.label for t in terms]
    ['1 + x | g', '1 | a', '1 | a:b']
    """
    if not has_group_terms(formula):
        return formula, []
    lhs, _, rhs = formula.partition("~")
    spans = _top_level_parens(rhs)
    terms: list[GroupSyntax] = []
    cuts: list[tuple[int, int]] = []
    for start, end in spans:
        content = rhs[start + 1 : end - 1]
        bar = _split_bar(content)
        if bar is None:
            continue
        before = rhs[:start].rstrip()
        after = rhs[end:].lstrip()
        term = content.strip()
        prev_ok = before == "" or before.endswith("+")
        next_ok = after == "" or after.startswith("+")
        if not (prev_ok and next_ok):
            if before and (before[-1].isalnum() or before[-1] in "_."):
                continue  # a call such as I(a | b): patsy's business
            raise FormulaError(
                f"group term ({term}) must be added to the formula as a term of its own "
                f"(e.g. 'y ~ x + ({term})'), not combined with other terms by '-', ':' or '*'"
            )
        vary, group_text, correlated = bar
        if not vary.strip():
            raise DesignError(
                f"group term ({term}) is empty before '|': say what varies by group, e.g. (1 | g) "
                "for a varying intercept or (1 + x | g) for a varying intercept and slope"
            )
        for factors, cats in _grouping(group_text, term):
            terms.append(
                GroupSyntax(expr=" ".join(vary.split()), factors=factors, categorical=cats, correlated=correlated)
            )
        cut_start = len(before)
        if before.endswith("+"):
            cut_start = len(before) - 1  # drop the '+' that joined the term
        elif after.startswith("+"):
            end = end + (len(rhs[end:]) - len(after)) + 1
        cuts.append((cut_start, end))
    if not terms:
        return formula, []
    kept, pos = [], 0
    for a, b in cuts:
        kept.append(rhs[pos:a])
        pos = b
    kept.append(rhs[pos:])
    fixed_rhs = " ".join("".join(kept).split())
    if fixed_rhs.startswith("+"):
        fixed_rhs = fixed_rhs[1:].strip()
    return f"{lhs.strip()} ~ {fixed_rhs or '1'}", terms
