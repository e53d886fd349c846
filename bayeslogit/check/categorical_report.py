"""The HTML report of a multinomial or ordinal posterior (``post.report(path)``): one
self-contained file, as the binary report (:mod:`.report`; inline CSS, figures as base64 PNG).

Sections, in :data:`SECTIONS` (one function each, ``""`` to leave one out): the model and its
priors; the posterior next to the MLE / MAP fits given (:func:`bayeslogit.compare`) with a
per-outcome forest plot; the diagnostics with verdicts (:mod:`.categorical`); odds ratios and
average marginal effects per outcome; predictions: the confusion matrix and per-outcome
calibration; the ordinal cumulative-probability plot; PSIS-LOO; run information. The numbers
come from :mod:`.categorical_statistics`, the figures from :mod:`.figures`, the HTML pieces
from :mod:`.page`.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ArgumentError
from ..interpret.side_by_side import compare
from . import categorical_statistics as stats
from . import figures
from .categorical import CategoricalDiagnostics, diagnose_categorical
from .figures import quiet_figures
from .page import figure, info_table, page, table

__all__ = ["CategoricalContext", "SECTIONS", "render_categorical_report", "write_categorical_report"]


@dataclass
class CategoricalContext:
    """What the sections read: the posterior, the point fits shown next to it, run facts, the
    progress log; the diagnostics and the posterior mean probabilities, computed once."""

    post: Any
    fits: Sequence[Any] = ()
    run_info: dict | None = None
    log: Callable[[str], None] = lambda step: None

    @cached_property
    def diag(self) -> CategoricalDiagnostics:
        return diagnose_categorical(self.post)

    @cached_property
    def probs(self) -> pd.DataFrame:
        return self.post.predict()


def _draws_text(post) -> str:
    post_ds = post.idata.posterior
    return f"{post_ds.sizes['chain']} chains x {post_ds.sizes['draw']} draws"


def model_section(r: CategoricalContext) -> str:
    """Formula, family, outcomes, data, sampler; the priors."""
    post, d, fam = r.post, r.post.design, r.post.family
    r.log("model and priors")
    info = [
        ("Model:", fam.summary_label),
        ("Formula:", d.formula),
        ("Outcomes:", ", ".join(map(str, fam.levels))),
        ("Observations:", f"{d.n_obs:,}"),
        ("Sampler:", f"{post.sampler}; {_draws_text(post)}"),
        ("Random seed:", str(post.random_seed)),
    ]
    ref = getattr(fam, "reference", None)
    if ref is not None:
        info.insert(3, ("Reference level:", str(fam.levels[ref])))
    return "<h2 id='model'>Model</h2>" + info_table(info) + "<h3>Priors</h3>" + table(post.model.prior_summary())


def comparison_section(r: CategoricalContext) -> str:
    """The posterior next to the point fits (table), and the per-outcome forest plot."""
    post = r.post
    r.log("comparison and forest plot")
    parts = ["<h2 id='comparison'>Estimates</h2>"]
    if r.fits:
        comp = compare(*r.fits, post)
        parts.append(
            "<div class='scroll'>" + comp.to_html(float_format=lambda v: f"{v:.3f}", border=0, na_rep="") + "</div>"
        )
    else:
        parts.append("<p class='note'>No MLE/MAP fits were given to compare with (pass <code>fits=(mle,)</code>).</p>")
    multinomial = isinstance(post.params.index, pd.MultiIndex)
    what = (
        f"log relative risk of each outcome against the reference level {fam_reference(post)!r}"
        if multinomial
        else "the slopes (log odds of a higher outcome per unit) and the cutpoints"
    )
    parts.append(
        figure(
            lambda: figures.categorical_forest_fig(stats.forest_rows(post), 0.95),
            "per-outcome forest plot",
            f"Posterior means with 95% equal-tailed intervals: {what}.",
        )
    )
    parts.append("<h3>Posterior summary</h3>" + table(post.coef_table().set_index(list(post.params.index.names))))
    return "".join(parts)


def fam_reference(post) -> str:
    """The reference level of a multinomial posterior, as text."""
    return str(post.family.levels[post.family.reference])


def diagnostics_section(r: CategoricalContext) -> str:
    """The checks with verdicts and what to do, and the per-parameter statistics."""
    r.log("diagnostics")
    diag = r.diag
    status = (
        ("ok", "All checks pass.")
        if diag.ok
        else ("FAIL", f"{len(diag.failed)} check(s) failed: " + ", ".join(c.name for c in diag.failed))
    )
    sug = "".join(f"<li><b>{html.escape(c.name)}</b>: {html.escape(c.suggestion)}</li>" for c in diag.failed)
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in diag.notes)
    return (
        "<h2 id='diagnostics'>Diagnostics</h2>"
        f"<div class='banner {status[0]}'>{html.escape(status[1])}</div>"
        + table(diag.to_frame()[["value", "rule", "verdict", "detail"]])
        + (f"<h3>What to do</h3><ul>{sug}</ul>" if sug else "")
        + notes
        + "<h3>Per parameter</h3>"
        + table(diag.per_param)
    )


def effects_section(r: CategoricalContext) -> str:
    """Odds ratios and average marginal effects per outcome."""
    post = r.post
    r.log("odds ratios and marginal effects")
    ors = post.odds_ratios()
    ame = post.marginal_effects()
    keys = [c for c in ("outcome", "term") if c in ors.columns]
    return (
        "<h2 id='effects'>Odds ratios and marginal effects</h2>"
        + "<h3>Odds ratios (exp of the coefficients)</h3>"
        + table(ors.set_index(keys))
        + "<h3>Average marginal effects on each outcome's probability</h3>"
        + table(ame.set_index(["outcome", "term"]), digits=4)
        + "<p class='note'>Each draw's effect is the mean over the rows of dP(y = outcome)/dx; "
        "the effects on all outcomes sum to zero.</p>"
    )


def prediction_section(r: CategoricalContext) -> str:
    """The confusion matrix and per-outcome calibration, from the posterior mean probabilities."""
    post = r.post
    r.log("confusion matrix and calibration")
    counts = stats.confusion_counts(post, r.probs)
    total = float(counts.to_numpy().sum())
    accuracy = float(counts.to_numpy().trace()) / total
    return (
        "<h2 id='predictions'>Predictions</h2>"
        + figure(
            lambda: figures.confusion_fig(counts),
            "confusion matrix",
            f"Observed by predicted outcome (the most probable under the posterior mean probabilities, "
            f"in sample); accuracy {accuracy:.3f}, the largest outcome's share "
            f"{float(counts.sum(axis=1).max()) / total:.3f}.",
        )
        + figure(
            lambda: figures.outcome_calibration_fig(stats.outcome_calibration(post, r.probs)),
            "per-outcome calibration",
            "Per outcome: rows in equal-count bins of their predicted probability of that outcome; "
            "the observed share against the mean predicted probability (in sample, so slightly "
            "optimistic). Points near the diagonal: calibrated.",
        )
    )


def cumulative_section(r: CategoricalContext) -> str:
    """Ordinal models: P(y <= k) against the linear predictor, curves and observed shares."""
    post = r.post
    names = getattr(post.family, "cutpoint_names", None)
    if names is None:
        return ""
    r.log("cumulative probabilities")
    return "<h2 id='cumulative'>Cumulative probabilities</h2>" + figure(
        lambda: figures.cumulative_fig(*stats.cumulative_curves(post), names),
        "ordinal cumulative-probability plot",
        "P(y <= k) = expit(cutpoint_k - x'beta) against x'beta at the posterior mean slopes: lines the "
        "posterior mean over the cutpoint draws with a 90% band; points the observed cumulative shares "
        "of rows in equal-count bins of x'beta.",
    )


def loo_section(r: CategoricalContext) -> str:
    """PSIS-LOO as the diagnostics computed it."""
    loo = r.diag.loo
    body = (
        table(loo.to_frame("PSIS-LOO")) + f"<p class='note'>{html.escape(str(loo.attrs.get('label', '')))}.</p>"
        if loo is not None
        else "<p class='note'>PSIS-LOO not available (see the diagnostics above).</p>"
    )
    return "<h2 id='loo'>PSIS-LOO</h2>" + body


def run_section(r: CategoricalContext) -> str:
    """Date, data source, sampler settings, software."""
    import datetime
    import platform

    from .._version import __version__

    info = dict(r.run_info or {})
    rows = [
        ("Report written:", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("Data source:", str(info.pop("data source", "not recorded"))),
        ("Sampler settings:", f"{r.post.sampler}; {_draws_text(r.post)}; random seed {r.post.random_seed}"),
    ]
    rows += [(f"{k[:1].upper()}{k[1:]}:", str(v)) for k, v in info.items()]
    rows.append(("Software:", f"bayeslogit {__version__}; Python {platform.python_version()}"))
    return "<h2 id='run'>Run information</h2>" + info_table(rows)


SECTIONS: list[tuple[str, str | None, Callable[[CategoricalContext], str]]] = [
    ("model", "Model", model_section),
    ("comparison", "Estimates", comparison_section),
    ("diagnostics", "Diagnostics", diagnostics_section),
    ("effects", "Effects", effects_section),
    ("predictions", "Predictions", prediction_section),
    ("cumulative", "Cumulative", cumulative_section),
    ("loo", "LOO", loo_section),
    ("run", "Run", run_section),
]
"""``(anchor, link text, section function)`` in page order."""


def render_categorical_report(
    post, *, fits: Sequence[Any] = (), title: str | None = None, run_info=None, log=None
) -> str:
    """The report as one HTML string (what :func:`write_categorical_report` writes)."""
    context = CategoricalContext(post, fits=fits, run_info=run_info, log=log or (lambda step: None))
    title = title or f"{post.family.label} logistic regression: {post.design.formula}"
    parts, links = [], []
    with quiet_figures():
        for anchor, nav, section in SECTIONS:
            out = section(context)
            if out:
                parts.append(out)
                if nav is not None:
                    links.append((anchor, nav))
    return page(title, links, parts)


def write_categorical_report(
    post, path, *, fits: Sequence[Any] = (), title: str | None = None, run_info=None, progress: bool = False
) -> Path:
    """Write the report of a categorical posterior to ``path`` (temporary file, then rename)."""
    import sys

    path = Path(path)
    if not path.parent.exists():
        raise ArgumentError(f"path: folder {str(path.parent)!r} does not exist; create it or choose another path")
    for f in fits:
        if not post.params.index.equals(getattr(f, "params", pd.Series(dtype=float)).index):
            raise ArgumentError("fits must be fits of the same model as the posterior (same outcomes and terms)")
    log = (lambda step: print(f"[report] {step}", file=sys.stderr, flush=True)) if progress else None
    text = render_categorical_report(post, fits=fits, title=title, run_info=run_info, log=log)
    from .._files import atomic_write_text

    atomic_write_text(path, text)
    return path
