"""A printable summary: a title, declarative (label, value) header rows, tables and notes.

Results objects describe *what* goes in their summary (statsmodels' ``summary()`` style);
this module only lays it out, as text (``str``) or HTML (``_repr_html_`` in notebooks).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Summary", "format_coef_table", "mcse_decimals", "shorten", "significant"]


def shorten(text: str, k: int = 60) -> str:
    """``text`` cut to at most ``k`` characters, ending in ``...`` when cut (for reprs).

    Examples
    --------
    >>> shorten("y ~ " + " + ".join(f"x{i}" for i in range(30)), 20)
    'y ~ x0 + x1 + x2 ...'
    """
    return text if len(text) <= k else text[: k - 4].rstrip() + " ..."


def significant(v: float, digits: int = 2) -> str:
    """``v`` to ``digits`` significant digits, never rounded to 0: a small nonzero MCSE is
    printed as ``0.00073``, not ``0.000`` (the report's and the CLI's tables); ``""`` if not finite.

    Examples
    --------
    >>> significant(0.000731), significant(0.0412), significant(12.3), significant(0.0)
    ('0.00073', '0.041', '12', '0')
    """
    if not math.isfinite(v):
        return ""
    if v == 0:
        return "0"
    return f"{v:.{max(0, digits - 1 - math.floor(math.log10(abs(v))))}f}"


def mcse_decimals(mcse: float, *, most: int = 6) -> int:
    """Decimals that a posterior number with this Monte Carlo SE supports: the MCSE's first
    significant digit is the last one printed (0.0099 -> 3 decimals, 0.02 -> 2)."""
    if not math.isfinite(mcse) or mcse <= 0:
        return 4
    return int(min(most, max(0, -math.floor(math.log10(mcse)))))


def format_coef_table(table):
    """The posterior coefficient table as text cells: estimates rounded to the MCSE of their row,
    ESS as integers, R-hat to 3 decimals, MCSE to 2 significant digits."""

    def cell(col: str, v: float, k: int) -> str:
        if col.startswith("mcse"):
            return significant(v)
        if not math.isfinite(v):
            return ""
        if col.startswith("ess"):
            return f"{v:.0f}"
        return f"{v:.3f}" if col == "r_hat" else f"{v:.{k}f}"

    mcse = table["mcse_mean"] if "mcse_mean" in table.columns else pd.Series(math.nan, index=table.index)
    digits = [mcse_decimals(float(m)) for m in mcse]
    return pd.DataFrame(
        {col: [cell(col, float(v), k) for v, k in zip(table[col], digits)] for col in table.columns}, index=table.index
    )


@dataclass
class Summary:
    """A summary block. ``str(summary)`` gives text; notebooks render it as HTML.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Summary("Demo", [("Rows:", "3")], [pd.DataFrame({"a": [1.0]}, index=["x"])])
    >>> print(str(s).splitlines()[1].strip())
    Demo
    """

    title: str
    info: list[tuple[str, str]] = field(default_factory=list)
    tables: list[pd.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    float_format: str = "{:.4f}"

    def _fmt(self, v) -> str:
        if isinstance(v, float):
            return self.float_format.format(v)
        return str(v)

    @staticmethod
    def _shown(t: pd.DataFrame) -> pd.DataFrame:
        """A numeric posterior table (it has ``mcse_mean``) as :func:`format_coef_table` rounds
        it (the CLI's rounding); any other table as it is."""
        numeric = all(pd.api.types.is_numeric_dtype(t[c]) for c in t.columns)
        return format_coef_table(t) if "mcse_mean" in t.columns and numeric else t

    def __str__(self) -> str:
        blocks = []
        for t in self.tables:
            blocks.append(self._shown(t).to_string(float_format=lambda v: self._fmt(float(v))))
        half = (len(self.info) + 1) // 2
        left, right = self.info[:half], self.info[half:]
        lw = max([len(k) + len(v) + 2 for k, v in left] + [0])
        rw = max([len(k) + len(v) + 2 for k, v in right] + [0])
        width = max([len(self.title) + 4, 78, lw + rw + 4] + [len(line) for b in blocks for line in b.splitlines()])
        col = max(lw, (width - 4) // 2)
        out = ["=" * width, self.title.center(width), "=" * width]
        for i in range(half):
            k, v = left[i]
            row = f"{k}{v:>{col - len(k)}}    "
            if i < len(right):
                k2, v2 = right[i]
                row += f"{k2}{v2:>{width - col - 4 - len(k2)}}"
            out.append(row.rstrip())
        for b in blocks:
            out.append("-" * width)
            out.append(b)
        out.append("=" * width)
        out.extend(self.notes)
        return "\n".join(out)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.info
        )
        tables = "".join(
            self._shown(t).to_html(float_format=lambda v: self._fmt(float(v)), border=0) for t in self.tables
        )
        notes = "".join(f"<p><small>{html.escape(n)}</small></p>" for n in self.notes)
        return (
            f"<div class='bayeslogit-summary'><h4>{html.escape(self.title)}</h4>"
            f"<table>{rows}</table>{tables}{notes}</div>"
        )

    def as_html(self) -> str:
        """The HTML form (what notebooks show)."""
        return self._repr_html_()
