"""The report's HTML: the style sheet, embedded images, tables, and the page around the sections.

Nothing in a page refers to anything outside it (no scripts, fonts, style sheets or images
fetched from the network): the CSS is inline and every figure is a base64 PNG, so the file
opens offline and can be mailed around. Table cells, captions and titles are HTML-escaped here.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from .._version import __version__
from ..summary import significant

__all__ = ["CSS", "image", "figure", "table", "info_table", "page"]

CSS = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:1.5em 2em;background:#fff}
h1{font-size:1.6em;border-bottom:2px solid #345;padding-bottom:.3em}
h2{font-size:1.25em;color:#345;margin-top:2em;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}
th,td{border:1px solid #dde;padding:.25em .6em;text-align:right}
th{background:#eef1f5}
td.text,th.text{text-align:left}
.ok{background:#e3f4e1;color:#1d5e1a;font-weight:bold}
.FAIL{background:#fbe2e0;color:#8c1d13;font-weight:bold}
.info{background:#eef1f5;color:#555}
.banner{padding:.6em 1em;border-radius:4px;margin:1em 0;font-weight:bold}
.banner.ok{border:1px solid #9c9}.banner.FAIL{border:1px solid #d99}
figure{margin:1em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}
.note{font-size:.85em;color:#555}
nav a{margin-right:1em;color:#345}
.scroll{overflow-x:auto;max-width:100%}
"""


def image(png: bytes, alt: str, caption: str = "") -> str:
    """A PNG embedded as a ``<figure>`` (base64 data URL) with its caption."""
    data = base64.b64encode(png).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def figure(make: Callable, alt: str, caption: str = "") -> str:
    """Draw one figure (``make()`` returns a matplotlib figure) and embed it; if drawing fails
    (e.g. a degenerate fit), say so instead of failing the report."""
    from .figures import to_png

    try:
        fig = make()
    except Exception as exc:  # noqa: BLE001 - one bad plot must not lose the whole report
        msg = " ".join(str(exc).split())[:300]
        return f"<p class='note'>The {html.escape(alt)} could not be drawn: {html.escape(type(exc).__name__)}: {html.escape(msg)}</p>"
    return image(to_png(fig), alt, caption)


def table(df: pd.DataFrame, *, digits: int = 3) -> str:
    """A DataFrame as an HTML table: ``digits`` decimals, ESS and counts as whole numbers,
    MCSE to 2 significant digits, R-hat to 3 decimals, NaN blank; a ``verdict`` column coloured."""

    def fmt(v, col):
        if isinstance(v, (float, np.floating)):
            if np.isnan(v):
                return ""
            c = str(col)
            if c.startswith("ess") or c in ("n", "count", "rows"):
                return f"{v:.0f}"
            if c.startswith("mcse"):
                return significant(float(v))
            if c == "r_hat":
                return f"{v:.3f}"
            return f"{v:.{digits}f}"
        return html.escape(str(v))

    head = f"<th class='text'>{html.escape(str(df.index.name or ''))}</th>" + "".join(
        f"<th>{html.escape(str(c))}</th>" for c in df.columns
    )
    rows = []
    for i, idx in enumerate(df.index):
        cells = []
        for j, col in enumerate(df.columns):
            v = df.iat[i, j]
            cls = (
                f" class='{v}'"
                if col == "verdict" and v in ("ok", "FAIL", "info")
                else (" class='text'" if isinstance(v, str) else "")
            )
            cells.append(f"<td{cls}>{fmt(v, col)}</td>")
        rows.append(f"<tr><th class='text'>{html.escape(str(idx))}</th>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def info_table(rows: list[tuple[str, str]]) -> str:
    """``label: value`` rows as a two-column table."""
    body = "".join(
        f"<tr><th class='text'>{html.escape(k)}</th><td class='text'>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


def page(title: str, links: Sequence[tuple[str, str]], sections: Sequence[str]) -> str:
    """The whole document: title, navigation bar (``(anchor, text)`` links), the sections' HTML
    in order, and the footer."""
    nav = "".join(f"<a href='#{a}'>{t}</a>" for a, t in links)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><nav>{nav}</nav>{''.join(sections)}"
        f"<p class='note'>Written by bayeslogit {__version__}.</p></main></body></html>"
    )
