"""The diagnostic report: ONE self-contained HTML file (inline CSS, figures as base64 PNG).

Nothing in the page refers to anything outside it (no scripts, fonts, style sheets or
images fetched from the network), so it opens offline and can be mailed around.

Sections: the model (formula, data, response coding, priors, where the default prior scales
come from); the posterior next to the MLE / MAP fits (table and forest plot) when such fits are
given; diagnostics with verdicts, fit quality in sample and out of sample (PSIS-LOO); trace and
rank plots; the energy plot; coefficient pairs and correlations; odds ratios and average
marginal effects; prior vs posterior; posterior predictive checks for 0/1 data (binned
residuals, event rate overall and per factor level); calibration and separation plots;
PSIS-LOO; run information (date, versions, data source, sampler settings, run time). A model
with group terms such as ``(1 + x | g)`` adds a section with the group sds and correlations and a
caterpillar plot of the per-level effects (a report without group terms is unchanged).

This module owns the entry points (:func:`write_report`, :func:`render_report`, which walks
:data:`.sections.SECTIONS`). The work is split by job: :mod:`.statistics` (the numbers),
:mod:`.figures` (matplotlib, nothing else imports it), :mod:`.page` (HTML: CSS, images,
tables, the page) and :mod:`.sections` (one function per section).

Everything per row and per draw is computed by row blocks (``_blocks``); plots of per-row
quantities bin or subsample rows above about 2,000 and say so in their captions.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ArgumentError
from . import statistics
from .figures import quiet_figures
from .page import page
from .sections import SECTIONS, ReportContext

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results
    from ..results.posterior import PosteriorResults

__all__ = ["write_report", "render_report"]


def render_report(
    post: PosteriorResults,
    *,
    fits: Sequence[Results] = (),
    title: str | None = None,
    progress: bool | Callable[[str], None] = False,
    run_info: dict | None = None,
    effects: Sequence[str] | None = None,
) -> str:
    """The report as one HTML string (what :func:`write_report` writes).

    Parameters
    ----------
    post : PosteriorResults
        The posterior to report on.
    fits : sequence of Results
        Other fits of the same model (MLE, MAP) shown next to the posterior.
    title : str, optional
        Page title; default names the formula.
    progress : bool or callable
        True prints one status line per step to stderr; a callable receives each line.
    run_info : dict, optional
        Facts the posterior does not hold, shown under "Run information": ``"data source"``
        (e.g. the CSV path), ``"run time"``, and any other ``label: value``.
    effects : sequence of str, optional
        The predictors drawn in the conditional-effects section, in that order (default: every
        predictor, up to 12); a name that is not a predictor is an ``ArgumentError``.
    """
    if effects is not None:  # checked before any section renders (a section's error is shown, not raised)
        from ..interpret.grid import model_variables

        statistics.effect_variables(post.design, model_variables(post).columns, list(effects))
    log: Callable[[str], None]
    if isinstance(progress, bool):
        t0 = time.perf_counter()

        def print_step(step: str) -> None:
            if progress:
                print(f"[report {time.perf_counter() - t0:5.1f}s] {step}", file=sys.stderr, flush=True)

        log = print_step
    else:
        log = progress

    title = title or f"Bayesian logistic regression: {post.design.formula}"
    context = ReportContext(post, fits=fits, run_info=run_info, log=log, effects=effects)
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    with quiet_figures():
        for section in SECTIONS:
            out = section.render(context)
            if out:  # a section with nothing to show leaves out its link too
                parts.append(out)
                if section.nav is not None:
                    links.append((section.anchor, section.nav))
    return page(title, links, parts)


def write_report(
    post: PosteriorResults,
    path,
    *,
    fits: Sequence[Results] = (),
    title: str | None = None,
    progress: bool | Callable[[str], None] = True,
    run_info: dict | None = None,
    effects: Sequence[str] | None = None,
) -> Path:
    """Write the self-contained HTML report of a posterior to ``path``.

    Parameters
    ----------
    post : PosteriorResults
        The posterior to report on.
    path : str or Path
        Output file (``.html``); its folder must exist.
    fits : sequence of Results
        MLE / MAP fits of the same model, shown next to the posterior (table and forest plot).
    title : str, optional
        Page title.
    progress : bool or callable
        Print one status line per report step to stderr (default), or pass each to a callable.
    run_info : dict, optional
        Shown under "Run information": ``"data source"``, ``"run time"``, other facts.
    effects : sequence of str, optional
        The predictors of the conditional-effects section (default: every predictor, up to 12).

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl, tempfile, os
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> out = post.report(os.path.join(tempfile.mkdtemp(), "r.html"), progress=False)
    >>> out.read_text().startswith("<!DOCTYPE html>")
    True
    """
    path = Path(path)
    if not path.parent.exists():
        raise ArgumentError(f"path: folder {str(path.parent)!r} does not exist; create it or choose another path")
    for f in fits:
        if getattr(f, "model", None) is not None and f.coef_names != post.coef_names:
            raise ArgumentError("fits must be fits of the same model as the posterior (same design columns)")
    page = render_report(post, fits=fits, title=title, progress=progress, run_info=run_info, effects=effects)
    from .._files import atomic_write_text  # temp file + rename: never a half-written report

    atomic_write_text(path, page)
    if progress is True:
        print(f"[report] wrote {path} ({len(page) / 1e6:.1f} MB)", file=sys.stderr, flush=True)
    elif callable(progress):
        progress(f"wrote {path}")
    return path
