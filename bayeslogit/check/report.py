"""The diagnostic report: ONE self-contained HTML file (inline CSS, figures as base64 PNG).

Nothing in the page refers to anything outside it (no scripts, fonts, style sheets or
images fetched from the network), so it opens offline and can be mailed around.

Sections: the model (formula, data, response coding, priors); the posterior next to the
MLE / MAP fits (table and forest plot) when such fits are given; diagnostics with verdicts;
trace and rank plots; prior vs posterior; calibration and separation plots; PSIS-LOO.
"""

from __future__ import annotations

import base64
import html
import io
import sys
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import ArgumentError
from ..interpret.side_by_side import compare, plot_compare
from .diagnostics import fitted_draws_note, fitted_probabilities

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results
    from ..results.posterior import PosteriorResults
    from .diagnostics import Diagnostics

__all__ = ["write_report", "render_report"]

_CSS = """
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


def _fig_to_img(fig, alt: str, caption: str = "") -> str:
    """Render a matplotlib figure as an embedded PNG ``<figure>`` and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    cap = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">{cap}</figure>'


def _figure(make: Callable, alt: str, caption: str = "") -> str:
    """Draw one figure; if drawing fails (e.g. a degenerate fit), say so instead of failing the report."""
    try:
        fig = make()
    except Exception as exc:  # noqa: BLE001 - one bad plot must not lose the whole report
        msg = " ".join(str(exc).split())[:300]
        return f"<p class='note'>The {html.escape(alt)} could not be drawn: {html.escape(type(exc).__name__)}: {html.escape(msg)}</p>"
    return _fig_to_img(fig, alt, caption)


def _table(df: pd.DataFrame, *, digits: int = 3) -> str:
    def fmt(v, col):
        if isinstance(v, (float, np.floating)):
            if np.isnan(v):
                return ""
            return f"{v:.0f}" if str(col).startswith("ess") else f"{v:.{digits}f}"
        return html.escape(str(v))

    head = f"<th class='text'>{html.escape(str(df.index.name or ''))}</th>" + "".join(
        f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    rows = []
    for i, idx in enumerate(df.index):
        cells = []
        for j, col in enumerate(df.columns):
            v = df.iat[i, j]
            cls = f" class='{v}'" if col == "verdict" and v in ("ok", "FAIL", "info") else (
                " class='text'" if isinstance(v, str) else "")
            cells.append(f"<td{cls}>{fmt(v, col)}</td>")
        rows.append(f"<tr><th class='text'>{html.escape(str(idx))}</th>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _info_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th class='text'>{html.escape(k)}</th><td class='text'>{html.escape(str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body}</table>"


# ---------------------------------------------------------------------------------------------
# figures


def _trace_fig(post):
    import arviz as az

    pc = az.plot_trace_dist(post.idata, var_names=["beta"], compact=False, backend="matplotlib")
    return pc.get_viz("figure")


def _rank_fig(post):
    import arviz as az

    pc = az.plot_rank(post.idata, var_names=["beta"], backend="matplotlib")
    return pc.get_viz("figure")


def _prior_posterior_fig(post):
    """Posterior histogram of each coefficient with its prior density on top.

    A centred intercept's prior is on the log-odds at the predictor means, so that quantity
    (``Intercept + x_mean @ beta``) is what is shown for it.
    """
    from matplotlib.figure import Figure
    from scipy.stats import gaussian_kde

    draws = post.draws()
    priors = post.model.priors
    names = post.coef_names
    ncol = min(3, len(names))
    nrow = int(np.ceil(len(names) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 2.8 * nrow), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    for j, name in enumerate(names):
        ax = axes[j]
        x = draws[:, j]
        label = name
        if name == "Intercept" and priors.centered_intercept:
            x = draws @ priors.x_mean + draws[:, j]
            label = "Intercept at centred predictors"
        prior = priors.priors[name]
        lo, hi = np.quantile(x, [0.001, 0.999])
        pad = 0.3 * (hi - lo)
        lo, hi = lo - pad, hi + pad
        span = prior.typical_range()
        if span is not None:  # widen to where the prior has most of its mass
            lo, hi = min(lo, span[0]), max(hi, span[1])
        grid = np.linspace(lo, hi, 400)
        ax.fill_between(grid, gaussian_kde(x)(grid), color="#8fb3d9", alpha=0.8, label="posterior")
        if prior.family == "Flat":
            ax.text(0.02, 0.92, "prior: Flat (improper)", transform=ax.transAxes, fontsize=8)
        elif prior.family == "Horseshoe":
            ax.text(0.02, 0.92, f"prior: {prior} (no closed-form density)", transform=ax.transAxes, fontsize=8)
        else:
            ax.plot(grid, np.exp(prior.logpdf(grid)), color="#c0392b", lw=1.8, label=f"prior {prior}")
        ax.set_title(label, fontsize=10)
        ax.set_yticks([])
        ax.legend(fontsize=7, loc="best", frameon=False)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    return fig


CALIBRATION_REPLICATES = 200
"""Replicates behind the PAV calibration plot's consistency band."""
SEPARATION_MAX_BARS = 2_000
"""The separation plot draws one bar per row up to this many rows, and bins rows above."""
SEPARATION_BINS = 1_000


def _loo_probabilities(post, diag: "Diagnostics") -> tuple[np.ndarray, np.ndarray]:
    """LOO predictive P(y_i = 1) and y_i on the rows with exact PSIS values (binary data).

    For a Bernoulli row, ``exp(elpd_i)`` is the LOO predictive probability of the observed
    outcome, so P(y_i = 1) is ``exp(elpd_i)`` for events and ``1 - exp(elpd_i)`` otherwise.
    """
    rows = diag.loo_rows if diag.loo_rows is not None else np.arange(post.design.n_obs)
    elpd_i = np.asarray(diag.loo.elpd_i.values, dtype=float)[rows]
    y = np.asarray(post.design.y, dtype=float)[rows]
    q = np.exp(elpd_i)
    return np.clip(np.where(y == 1, q, 1.0 - q), 0.0, 1.0), y


def _calibration_fig(post, diag: "Diagnostics", seed: int | None):
    """LOO-PAV calibration plot (Dimitriadis, Gneiting & Jordan 2021; ArviZ's ``plot_loo_pava``):
    the isotonic (PAV) fit of the outcome on the LOO predictive probability, with a consistency
    band from replicates ``y_rep ~ Bernoulli(p_loo)``. Drawn here from the PSIS-LOO already
    computed (no draws x rows array): ArviZ's version resamples every row for every draw."""
    from matplotlib.figure import Figure
    from scipy.optimize import isotonic_regression

    x, y = _loo_probabilities(post, diag)
    order = np.argsort(x, kind="mergesort")
    xs, ys = x[order], y[order]
    cep = isotonic_regression(ys, increasing=True).x
    rng = np.random.default_rng(seed)
    reps = np.empty((CALIBRATION_REPLICATES, xs.size))
    for r in range(CALIBRATION_REPLICATES):
        reps[r] = isotonic_regression((rng.random(xs.size) < xs).astype(float), increasing=True).x
    lo, hi = np.quantile(reps, [0.025, 0.975], axis=0)
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ax.fill_between(xs, lo, hi, color="#c9d7e8", step="post", label="95% consistency band")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    ax.step(xs, cep, where="post", color="#345", lw=1.8, label="CEP (PAV)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability (LOO)")
    ax.set_ylabel("conditional event probability")
    ax.set_title("PAV calibration (LOO)")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return fig


def _calibration_caption(diag: "Diagnostics", n: int) -> str:
    m = n if diag.loo_rows is None else diag.loo_rows.size
    rows = f"all {n:,} rows" if m == n else f"the {m:,} rows of the LOO subsample (of {n:,})"
    return ("Conditional event probability (isotonic/PAV fit of the outcome on the LOO predictive "
            f"probability) with a 95% consistency band from {CALIBRATION_REPLICATES} replicates; on the "
            f"diagonal means well calibrated. Drawn from {rows}.")


def _separation_bins(n: int) -> int:
    return 0 if n <= SEPARATION_MAX_BARS else SEPARATION_BINS


def _separation_fig(post):
    """Separation plot (Greenhill, Ward & Sacks 2011): observations sorted by fitted probability,
    events drawn as dark bars; a good model piles the dark bars up on the right. Above
    ``SEPARATION_MAX_BARS`` rows, the sorted rows are binned into ``SEPARATION_BINS`` groups:
    bar height is the group's event rate, the line its mean fitted probability."""
    from matplotlib.figure import Figure

    d = post.design
    p = fitted_probabilities(post)
    m = np.ones(len(p)) if d.trials is None else np.asarray(d.trials, dtype=float)
    rate = d.y / m
    order = np.argsort(p, kind="mergesort")
    fig = Figure(figsize=(9, 1.8), layout="constrained")
    ax = fig.subplots()
    expected = float(np.sum(p * m))
    bins = _separation_bins(len(p))
    # one filled step artist per layer (not one rectangle per row: thousands of bars are slow)
    if bins:
        groups = np.array_split(order, bins)
        w = np.array([m[g].sum() for g in groups])
        height = np.array([d.y[g].sum() for g in groups], dtype=float) / w
        line = np.array([np.sum(p[g] * m[g]) for g in groups]) / w
        label, line_label = "event rate in the group", "mean fitted probability"
    else:
        height, line = rate[order], p[order]
        label, line_label = "events" if d.trials is None else "observed rate", "fitted probability"
    k = len(height)
    ax.axhspan(0, 1, color="#f3e6e4", linewidth=0)
    ax.stairs(height, np.arange(k + 1) - 0.5, fill=True, color="#8c1d13", label=label)
    ax.plot(np.arange(k), line, color="black", lw=1.5, label=line_label)
    # the expected number of events, counted from the right (in rows, or in groups)
    ax.axvline((len(p) - expected) * k / len(p) - 0.5, color="black", ls=":", lw=1,
               label="expected number of events")
    ax.set_xlim(-0.5, k - 0.5)
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.set_ylabel("P(event)")
    ax.legend(fontsize=7, loc="upper left", frameon=False)
    return fig


def _separation_caption(post) -> str:
    n = post.design.n_obs
    bins = _separation_bins(n)
    text = "Separation plot: observations sorted by fitted probability; dark bars are events."
    if bins:
        text = (f"Separation plot: the {n:,} rows sorted by fitted probability and binned into {bins:,} "
                f"groups of about {n / bins:,.0f} rows; bar height: the group's event rate, line: its "
                "mean fitted probability.")
    note = fitted_draws_note(post)
    return text + (f" Fitted probabilities: {note}." if note else "")


def _khat_fig(diag: "Diagnostics"):
    """Pareto k per observation (the subsampled rows only when LOO was subsampled)."""
    from matplotlib.figure import Figure

    k = np.asarray(diag.loo.pareto_k.values, dtype=float).ravel()
    idx = np.flatnonzero(np.isfinite(k))
    good = float(diag.loo.good_k)
    fig = Figure(figsize=(7, 3), layout="constrained")
    ax = fig.subplots()
    bad = k[idx] > good
    ax.scatter(idx[~bad], k[idx][~bad], s=8, color="#345", alpha=0.6, linewidths=0)
    ax.scatter(idx[bad], k[idx][bad], s=14, color="#8c1d13", linewidths=0)
    ax.axhline(good, color="#8c1d13", ls="--", lw=1)
    ax.set_xlabel("observation")
    ax.set_ylabel("Pareto k")
    ax.set_title("Pareto k per observation" + ("" if idx.size == k.size else f" ({idx.size:,} subsampled rows)"))
    return fig


# ---------------------------------------------------------------------------------------------
# the page


def _comparison_section(post, fits: Sequence["Results"], log) -> str:
    parts = ["<h2 id='comparison'>Posterior next to the point estimates</h2>"]
    if not fits:
        parts.append(_table(post.coef_table()))
        parts.append("<p class='note'>No MLE/MAP fits were given to compare with "
                     "(pass <code>fits=(mle, map_)</code>).</p>")
        return "".join(parts)
    log("comparison table and forest plot")
    comp = compare(*fits, post)
    parts.append("<div class='scroll'>" + comp.to_html(float_format=lambda v: f"{v:.3f}", border=0, na_rep="")
                 + "</div>")
    for f in fits:
        if getattr(f, "separation", None):
            parts.append(f"<p class='note'><b>{html.escape(getattr(f, 'label', f.method))}</b>: "
                         f"{html.escape(f.separation)} separation along "
                         f"{html.escape(', '.join(f.separating_columns))}: the MLE does not exist and its "
                         "numbers are not estimates.</p>")
    parts.append(_figure(lambda: plot_compare(*fits, post), "forest plot of the point estimates and the posterior",
                         "Estimates with 95% intervals (Wald for the MLE, Laplace for the MAP, equal-tailed "
                         "for the posterior), one row per coefficient and fit."))
    parts.append("<h3>Posterior (ArviZ summary)</h3>" + _table(post.coef_table()))
    return "".join(parts)


def render_report(post: "PosteriorResults", *, fits: Sequence["Results"] = (), title: str | None = None,
                  progress: bool | Callable[[str], None] = False) -> str:
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
    """
    import matplotlib

    if isinstance(progress, bool):
        t0 = time.perf_counter()

        def log(step: str) -> None:
            if progress:
                print(f"[report {time.perf_counter() - t0:5.1f}s] {step}", file=sys.stderr, flush=True)
    else:
        log = progress

    d = post.design
    title = title or f"Bayesian logistic regression: {d.formula}"
    sections: list[str] = []

    log("model and priors")
    info = post._model_info() + [
        ("Sampler:", f"{post.method_label}; {post.n_chains} chains x {post.n_draws} draws, "
                     f"{post.idata.posterior.attrs.get('tuning_steps', '?')} tuning steps"),
        ("Random seed:", str(post.random_seed)),
    ]
    sections.append("<h2 id='model'>Model</h2>" + _info_table(info) + "<h3>Priors</h3>"
                    + _table(post.model.prior_summary()))

    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        sections.append(_comparison_section(post, fits, log))

        log("diagnostics")
        diag = post.diagnostics()
        status = ("ok", "All convergence checks pass.") if diag.ok else (
            "FAIL", f"{len(diag.failed)} check(s) failed: " + ", ".join(c.name for c in diag.failed))
        checks = diag.to_frame()
        sug = "".join(f"<li><b>{html.escape(c.name)}</b>: {html.escape(c.suggestion)}</li>" for c in diag.failed)
        sections.append(
            "<h2 id='diagnostics'>Diagnostics</h2>"
            f"<div class='banner {status[0]}'>{html.escape(status[1])}</div>"
            + _table(checks[["value", "rule", "verdict", "detail"]])
            + (f"<h3>What to do</h3><ul>{sug}</ul>" if sug else "")
            + "<h3>Per coefficient</h3>" + _table(diag.per_coef)
            + "<h3>Fit quality (posterior-mean probabilities, in sample)</h3>" + _table(diag.fit.to_frame(), digits=4)
            + "<p class='note'>Brier score: lower is better; log score: mean log probability of the "
              "observed outcome, higher is better; AUC: 0.5 no discrimination, 1 perfect; "
              "miscalibration (PAV/CORP): Brier score minus that of the isotonic recalibration, 0 is "
              "perfectly calibrated."
            + (f" Computed with {html.escape(diag.fit.note)}." if diag.fit.note else "") + "</p>"
        )

        log("trace and rank plots")
        sections.append(
            "<h2 id='trace'>Trace and rank plots</h2>"
            + _figure(lambda: _trace_fig(post), "trace plots", "Left: marginal densities per chain; right: draws per chain.")
            + (_figure(lambda: _rank_fig(post), "rank plots",
                       "Rank ECDF differences per chain: lines inside the band mean the chains agree.")
               if post.n_chains > 1 else "<p class='note'>Rank plots need at least 2 chains.</p>")
        )

        log("prior vs posterior")
        sections.append("<h2 id='prior'>Prior vs posterior</h2>"
                        + _figure(lambda: _prior_posterior_fig(post), "prior and posterior densities",
                                      "Shaded: posterior density (KDE); line: prior density, on the same scale."))

        log("calibration and separation plots")
        cal = "<h2 id='calibration'>Calibration and separation</h2>"
        if d.trials is None and diag.loo is not None:
            cal += _figure(lambda: _calibration_fig(post, diag, post.random_seed), "PAV calibration plot",
                           _calibration_caption(diag, d.n_obs))
        else:
            cal += ("<p class='note'>The PAV calibration plot is drawn for binary (0/1) outcomes with "
                    "PSIS-LOO available; the miscalibration number above covers aggregated data.</p>")
        cal += _figure(lambda: _separation_fig(post), "separation plot", _separation_caption(post))
        sections.append(cal)

        log("LOO")
        loo = "<h2 id='loo'>PSIS-LOO</h2>"
        if diag.loo is not None:
            loo += f"<p class='note'>Method: {html.escape(diag.loo_method)}.</p>"
            loo += _table(diag.loo_frame()) + _table(diag.pareto_k_frame())
            loo += _figure(lambda: _khat_fig(diag), "Pareto k per observation",
                           "Pareto k per observation: above the line, LOO is unreliable for that point"
                           + ("." if diag.loo_short == "exact" else f" ({diag.loo_short})."))
        else:
            loo += "<p class='note'>PSIS-LOO not available (see the diagnostics above).</p>"
        sections.append(loo)

    nav = "".join(f"<a href='#{a}'>{t}</a>" for a, t in (
        ("model", "Model"), ("comparison", "Comparison"), ("diagnostics", "Diagnostics"),
        ("trace", "Trace"), ("prior", "Prior vs posterior"), ("calibration", "Calibration"), ("loo", "LOO")))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><nav>{nav}</nav>{''.join(sections)}"
        f"<p class='note'>Written by bayeslogit {__version__}.</p></main></body></html>"
    )


def write_report(post: "PosteriorResults", path, *, fits: Sequence["Results"] = (), title: str | None = None,
                 progress: bool | Callable[[str], None] = True) -> Path:
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
    page = render_report(post, fits=fits, title=title, progress=progress)
    from .._files import atomic_write_text  # temp file + rename: never a half-written report

    atomic_write_text(path, page)
    if progress is True:
        print(f"[report] wrote {path} ({len(page) / 1e6:.1f} MB)", file=sys.stderr, flush=True)
    elif callable(progress):
        progress(f"wrote {path}")
    return path
