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

Everything per row and per draw is computed by row blocks (``_blocks``); plots of per-row
quantities bin or subsample rows above about 2,000 and say so in their captions.
"""

from __future__ import annotations

import base64
import html
import io
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._version import __version__
from ..errors import ArgumentError
from ..interpret.side_by_side import compare, plot_compare
from ..summary import significant
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


def _info_table(rows: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<tr><th class='text'>{html.escape(k)}</th><td class='text'>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    return f"<table>{body}</table>"


# ---------------------------------------------------------------------------------------------
# figures


CHAIN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
RANK_BINS = 20


def _chain_draws(post) -> np.ndarray:
    """``(chains, draws, coef)`` array of the coefficient draws."""
    return post.idata.posterior["beta"].transpose("chain", "draw", "coef").values


def _trace_fig(post):
    """One row per coefficient: left, the marginal density of each chain (KDE); right, the draws
    of each chain in order. Axes labelled, chains coloured, one legend."""
    from matplotlib.figure import Figure
    from scipy.stats import gaussian_kde

    beta = _chain_draws(post)
    C, D, P = beta.shape
    fig = Figure(figsize=(10, 1.9 * P + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(P, 2, gridspec_kw={"width_ratios": [1, 2]}))
    handles = []
    for j, name in enumerate(post.coef_names):
        ax_d, ax_t = axes[j]
        x = beta[:, :, j]
        lo, hi = np.quantile(x, [0.001, 0.999])
        pad = 0.1 * (hi - lo) if hi > lo else 1.0
        grid = np.linspace(lo - pad, hi + pad, 200)
        for c in range(C):
            colour = CHAIN_COLOURS[c % len(CHAIN_COLOURS)]
            xc = x[c]
            if np.ptp(xc) > 0:
                ax_d.plot(grid, gaussian_kde(xc)(grid), color=colour, lw=1.2)
            (line,) = ax_t.plot(np.arange(D), xc, color=colour, lw=0.5, alpha=0.8, label=f"chain {c}")
            if j == 0:
                handles.append(line)
        ax_d.set_title(f"{name}: density per chain", fontsize=9, loc="left")
        ax_d.set_xlabel(name, fontsize=8)
        ax_d.set_ylabel("density", fontsize=8)
        ax_t.set_title(f"{name}: draws per chain", fontsize=9, loc="left")
        ax_t.set_xlabel("draw (after warm-up)", fontsize=8)
        ax_t.set_ylabel(name, fontsize=8)
        for ax in (ax_d, ax_t):
            ax.tick_params(labelsize=8)
    fig.legend(handles=handles, loc="outside upper center", ncol=min(C, 8), fontsize=9, frameon=False)
    return fig


def rank_counts(post, bins: int = RANK_BINS) -> np.ndarray:
    """Rank histogram counts ``(coef, chain, bins)``: the draws of all chains are ranked together
    (per coefficient) and each chain's ranks are counted in ``bins`` equal bins."""
    from scipy.stats import rankdata

    beta = _chain_draws(post)
    C, D, P = beta.shape
    out = np.empty((P, C, bins), dtype=np.int64)
    for j in range(P):
        r = rankdata(beta[:, :, j].ravel(), method="average").reshape(C, D)
        b = np.minimum(((r - 1) * bins / (C * D)).astype(np.int64), bins - 1)
        for c in range(C):
            out[j, c] = np.bincount(b[c], minlength=bins)
    return out


def rank_band(post, bins: int = RANK_BINS) -> tuple[float, float]:
    """Pointwise 95% range of one bin's count when every chain samples the same distribution:
    ``Binomial(draws, 1 / bins)`` quantiles 2.5% and 97.5%."""
    from scipy.stats import binom

    return tuple(float(v) for v in binom.ppf([0.025, 0.975], post.n_draws, 1.0 / bins))


def _rank_fig(post):
    """Rank histograms per chain (Vehtari et al. 2021), one panel per coefficient, with the 95%
    band of a bin count under agreement and the expected count."""
    from matplotlib.figure import Figure

    counts = rank_counts(post)
    P, C, bins = counts.shape
    lo, hi = rank_band(post, bins)
    ncol = min(3, P)
    nrow = int(np.ceil(P / ncol))
    fig = Figure(figsize=(4.0 * ncol, 2.6 * nrow + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    width = 1.0 / C
    handles = []
    for j, name in enumerate(post.coef_names):
        ax = axes[j]
        band = ax.axhspan(lo, hi, color="#dddddd", zorder=0, label="95% band if the chains agree")
        mid = ax.axhline(post.n_draws / bins, color="grey", ls="--", lw=1, label="expected count")
        for c in range(C):
            bars = ax.bar(
                np.arange(bins) + (c + 0.5) * width - 0.5,
                counts[j, c],
                width=width,
                color=CHAIN_COLOURS[c % len(CHAIN_COLOURS)],
                alpha=0.85,
                label=f"chain {c}",
            )
            if j == 0:
                handles.append(bars)
        if j == 0:
            handles = [band, mid, *handles]
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("rank bin (all chains pooled)", fontsize=8)
        ax.set_ylabel("draws in bin", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[P:]:
        ax.set_visible(False)
    fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 5), fontsize=9, frameon=False)
    return fig


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
        ax.set_xlabel(label + " (log-odds)", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
        ax.legend(fontsize=8.5, loc="best", frameon=False)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    return fig


CALIBRATION_REPLICATES = 200
"""Replicates behind the PAV calibration plot's consistency band."""
SEPARATION_MAX_BARS = 2_000
"""The separation plot draws one bar per row up to this many rows, and bins rows above."""
SEPARATION_BINS = 1_000


def _loo_probabilities(post, diag: Diagnostics) -> tuple[np.ndarray, np.ndarray]:
    """LOO predictive P(y_i = 1) and y_i on the rows with exact PSIS values (binary data).

    For a Bernoulli row, ``exp(elpd_i)`` is the LOO predictive probability of the observed
    outcome, so P(y_i = 1) is ``exp(elpd_i)`` for events and ``1 - exp(elpd_i)`` otherwise.
    """
    rows = diag.loo_rows if diag.loo_rows is not None else np.arange(post.design.n_obs)
    elpd_i = np.asarray(diag.loo.elpd_i.values, dtype=float)[rows]
    y = np.asarray(post.design.y, dtype=float)[rows]
    q = np.exp(elpd_i)
    return np.clip(np.where(y == 1, q, 1.0 - q), 0.0, 1.0), y


def _calibration_fig(post, diag: Diagnostics, seed: int | None):
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


def _calibration_caption(diag: Diagnostics, n: int) -> str:
    m = n if diag.loo_rows is None else diag.loo_rows.size
    rows = f"all {n:,} rows" if m == n else f"the {m:,} rows of the LOO subsample (of {n:,})"
    return (
        "Conditional event probability (isotonic/PAV fit of the outcome on the LOO predictive "
        f"probability) with a 95% consistency band from {CALIBRATION_REPLICATES} replicates; on the "
        f"diagonal means well calibrated. Drawn from {rows}."
    )


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
    ax.axvline((len(p) - expected) * k / len(p) - 0.5, color="black", ls=":", lw=1, label="expected number of events")
    ax.set_xlim(-0.5, k - 0.5)
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.set_ylabel("P(event)")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return fig


def _separation_caption(post) -> str:
    n = post.design.n_obs
    bins = _separation_bins(n)
    text = "Separation plot: observations sorted by fitted probability; dark bars are events."
    if bins:
        text = (
            f"Separation plot: the {n:,} rows sorted by fitted probability and binned into {bins:,} "
            f"groups of about {n / bins:,.0f} rows; bar height: the group's event rate, line: its "
            "mean fitted probability."
        )
    note = fitted_draws_note(post)
    return text + (f" Fitted probabilities: {note}." if note else "")


def _khat_fig(diag: Diagnostics):
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
    ax.axhline(good, color="#8c1d13", ls="--", lw=1, label=f"k = {good:.2f} (ArviZ good_k)")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    ax.set_xlabel("observation")
    ax.set_ylabel("Pareto k")
    ax.set_title("Pareto k per observation" + ("" if idx.size == k.size else f" ({idx.size:,} subsampled rows)"))
    return fig


# ---------------------------------------------------------------------------------------------
# posterior predictive checks for 0/1 (and binomial) data, by row blocks


PPC_MAX_DRAWS = 500
"""Draws (evenly spaced) behind the event-rate check: replicates are made row block by row block."""
PPC_MAX_LEVELS = 12
"""Factor levels shown per factor in the event-rate check."""


def residual_bins(n: int) -> int:
    """Bins of the binned-residual plot: about sqrt(n), between 5 and 50 (never more than n)."""
    return int(min(n, max(5, min(50, round(np.sqrt(n))))))


def binned_residuals(post) -> pd.DataFrame:
    """Binned residuals (Gelman & Hill 2007, 5.6): the rows sorted by fitted probability (posterior
    mean, computed by row blocks) and cut into :func:`residual_bins` groups of equal size; per
    group the mean fitted probability, the observed event rate, their difference and its standard
    error under the model, ``sqrt(sum m_i p_i (1 - p_i)) / sum m_i`` (``m_i`` trials; 1 for 0/1 data).
    About 95% of the residuals should lie within +-2 SE."""
    d = post.design
    p = fitted_probabilities(post)
    m = np.ones(len(p)) if d.trials is None else np.asarray(d.trials, dtype=float)
    y = np.asarray(d.y, dtype=float)
    order = np.argsort(p, kind="mergesort")
    rows = []
    for g in np.array_split(order, residual_bins(len(p))):
        w = m[g].sum()
        pred = float(np.sum(p[g] * m[g]) / w)
        obs = float(y[g].sum() / w)
        se = float(np.sqrt(np.sum(m[g] * p[g] * (1 - p[g]))) / w)
        rows.append({"rows": len(g), "fitted": pred, "observed": obs, "residual": obs - pred, "se": se})
    return pd.DataFrame(rows)


def _binned_residual_fig(table: pd.DataFrame):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.4), layout="constrained")
    ax = fig.subplots()
    x = table["fitted"].to_numpy()
    ax.fill_between(x, -2 * table["se"], 2 * table["se"], color="#dde6f0", label="+-2 SE expected under the model")
    ax.axhline(0, color="grey", lw=1)
    out = np.abs(table["residual"]) > 2 * table["se"]
    ax.scatter(x[~out], table["residual"][~out], s=18, color="#345", label="bin residual (observed - fitted)")
    ax.scatter(x[out], table["residual"][out], s=26, color="#8c1d13", label="outside +-2 SE")
    ax.set_xlabel("mean fitted probability in bin")
    ax.set_ylabel("observed - fitted rate")
    ax.set_title("Binned residuals")
    ax.legend(fontsize=8, loc="best", frameon=False)
    return fig


def _ppc_groups(post) -> tuple[list[tuple[str, np.ndarray | None]], str]:
    """``[("overall", None), ("g = a", row mask), ...]`` for every factor of the formula, and a note."""
    from ..interpret.effects import _variables
    from ..model import training_rows

    groups: list[tuple[str, np.ndarray | None]] = [("overall", None)]
    note = ""
    try:
        data = training_rows(post.model)
        variables = _variables(post.design, list(data.columns))
    except Exception as exc:  # noqa: BLE001 - the overall rate is still checked
        return groups, f"Per-level rates not shown: {' '.join(str(exc).split())[:200]}"
    for var, kind, levels in variables:
        if kind != "factor":
            continue
        col = data[var].astype(str).to_numpy()
        for level in levels[:PPC_MAX_LEVELS]:
            groups.append((f"{var} = {level}", col == str(level)))
        if len(levels) > PPC_MAX_LEVELS:
            note += f" {var}: the first {PPC_MAX_LEVELS} of {len(levels)} levels shown."
    return groups, note.strip()


def event_rate_ppc(post, *, seed: int | None = None) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The event rate, overall and per factor level, against its posterior predictive distribution.

    For each of at most :data:`PPC_MAX_DRAWS` evenly spaced draws, outcomes are replicated for
    every row (``y_rep ~ Bernoulli(p_i)``, or Binomial with trials) one row block at a time and
    summed per group on the fly: no draws x rows array is held. Returns the table (rows, observed
    rate, predictive mean and 95% interval of the replicated rate, ``P(rep >= observed)``), the
    replicated rates ``(groups, draws)`` and a note saying how many draws were used.
    """
    from scipy.special import expit

    from .. import _blocks

    d = post.design
    B, G = post.draws(), post.group_draws()
    S = B.shape[0]
    note = f"from all {S:,} draws"
    if S > PPC_MAX_DRAWS:
        kept = np.unique(np.linspace(0, S - 1, PPC_MAX_DRAWS).round().astype(np.int64))
        B = B[kept]
        G = None if G is None else [g[kept] for g in G]
        note = f"from {B.shape[0]:,} evenly spaced of the {S:,} draws"
    groups, gnote = _ppc_groups(post)
    y = np.asarray(d.y, dtype=float)
    m = np.ones(d.n_obs) if d.trials is None else np.asarray(d.trials, dtype=float)
    rng = np.random.default_rng(seed)
    rep = np.zeros((len(groups), B.shape[0]))
    for sl in _blocks.row_slices(d.n_obs, _blocks.block_rows(2 * B.shape[0])):
        eta = _blocks.eta_rows(d, sl, B, G)  # (rows, draws): one block, group terms included
        pb = expit(eta)
        if d.trials is None:
            yb = (rng.random(pb.shape) < pb).astype(float)
        else:
            yb = rng.binomial(m[sl].astype(np.int64)[:, None], pb).astype(float)
        for k, (_, mask) in enumerate(groups):
            rep[k] += yb.sum(axis=0) if mask is None else yb[mask[sl]].sum(axis=0)
    rows = []
    for k, (label, mask) in enumerate(groups):
        sel = slice(None) if mask is None else mask
        w = m[sel].sum()
        rate = rep[k] / w
        rep[k] = rate
        obs = float(y[sel].sum() / w)
        lo, hi = np.quantile(rate, [0.025, 0.975])
        rows.append(
            {
                "group": label,
                "rows": int(np.size(y[sel])),
                "observed": obs,
                "predicted": float(rate.mean()),
                "2.5%": float(lo),
                "97.5%": float(hi),
                "P(rep >= obs)": float(np.mean(rate >= obs)),
            }
        )
    table = pd.DataFrame(rows).set_index("group")
    return table, rep, (note + (". " + gnote if gnote else ""))


def _event_rate_fig(table: pd.DataFrame, rep: np.ndarray):
    from matplotlib.figure import Figure

    k = len(table)
    fig = Figure(figsize=(7, 0.45 * k + 1.4), layout="constrained")
    ax = fig.subplots()
    ypos = np.arange(k)[::-1]
    q = np.quantile(rep, [0.025, 0.25, 0.75, 0.975], axis=1)
    ax.hlines(ypos, q[0], q[3], color="#8fb3d9", lw=2, label="replicated rate, 95% interval")
    ax.hlines(ypos, q[1], q[2], color="#345", lw=5, label="replicated rate, 50% interval")
    ax.scatter(table["observed"], ypos, color="#c0392b", zorder=3, s=30, label="observed rate")
    ax.set_yticks(ypos, table.index, fontsize=8)
    ax.set_xlabel("event rate")
    ax.set_ylim(-0.8, k - 0.2 + 0.8)
    ax.legend(fontsize=8, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------
# pair plot, energy plot


AME_MAX_CELLS = 20_000_000
"""Above this many rows x draws, the report's marginal effects average over AME_ROWS random rows."""
AME_ROWS = 2_000
PAIR_MAX_COEFS = 6
PAIR_MAX_POINTS = 1_000


def _pair_fig(post):
    """Scatter of every pair of (at most :data:`PAIR_MAX_COEFS`) coefficients, histograms on the
    diagonal, the posterior correlation printed above it."""
    from matplotlib.figure import Figure

    draws = post.draws()
    names = post.coef_names[:PAIR_MAX_COEFS]
    P = len(names)
    keep = np.unique(np.linspace(0, draws.shape[0] - 1, min(PAIR_MAX_POINTS, draws.shape[0])).round().astype(np.int64))
    x = draws[keep][:, :P]
    corr = np.corrcoef(draws[:, :P], rowvar=False) if P > 1 else np.ones((1, 1))
    fig = Figure(figsize=(1.9 * P + 1, 1.9 * P + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(P, P, squeeze=False))
    for i in range(P):
        for j in range(P):
            ax = axes[i, j]
            if i == j:
                ax.hist(x[:, i], bins=30, color="#8fb3d9")
                ax.set_yticks([])
            elif i > j:
                ax.scatter(x[:, j], x[:, i], s=3, alpha=0.35, color="#345", linewidths=0)
            else:
                ax.axis("off")
                ax.text(
                    0.5,
                    0.5,
                    f"r = {corr[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=10,
                    color="#8c1d13" if abs(corr[i, j]) > 0.7 else "#222",
                    transform=ax.transAxes,
                )
                continue
            ax.tick_params(labelsize=7)
            if i == P - 1:
                ax.set_xlabel(names[j], fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(names[i], fontsize=8)
    return fig


def energy_stats(post) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(centred energy, energy transitions, E-BFMI per chain) from ``sample_stats.energy``, or None."""
    if "sample_stats" not in post.idata.children or "energy" not in post.idata.sample_stats:
        return None
    e = post.idata.sample_stats["energy"].transpose("chain", "draw").values.astype(float)
    centred = e - e.mean(axis=1, keepdims=True)
    trans = np.diff(e, axis=1)
    bfmi = np.sum(trans**2, axis=1) / np.sum(centred**2, axis=1)
    return centred.ravel(), trans.ravel(), bfmi


def _energy_fig(post):
    """Energy plot (Betancourt 2016): the marginal energy distribution (centred) against the
    distribution of the energy changes between successive draws."""
    from matplotlib.figure import Figure

    centred, trans, _ = energy_stats(post)
    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    edges = np.histogram_bin_edges(np.r_[centred, trans], bins=50)
    ax.hist(centred, bins=edges, density=True, color="#8fb3d9", alpha=0.75, label="marginal energy (centred)")
    ax.hist(trans, bins=edges, density=True, color="#c0392b", alpha=0.45, label="energy transition")
    ax.set_xlabel("energy - mean energy (per chain)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------
# small tables and notes


def default_prior_note(post) -> str:
    """One line saying where the autoscaled default prior numbers come from (empty if none)."""
    from ..priors import DEFAULT_SCALE

    pri = post.model.priors
    d = post.design
    parts = []
    for j, name in enumerate(post.coef_names):
        if pri.sources.get(name) != "default" or name == "Intercept":
            continue
        sd = float(np.std(d.X[:, j]))
        sigma = getattr(pri.priors[name], "sigma", None)
        if sd > 0 and isinstance(sigma, (int, float)) and np.isclose(DEFAULT_SCALE / sd, float(sigma), rtol=1e-5):
            parts.append(f"{name}: {DEFAULT_SCALE:g} / {sd:.5g} = {float(sigma):.6g}")
    if not parts:
        return ""
    text = (
        f"Default priors (rstanarm's autoscaling): each slope gets Normal(0, {DEFAULT_SCALE:g} / sd(x)), sd the "
        "standard deviation of its design column in the data (" + "; ".join(parts) + ")"
    )
    if pri.centered_intercept and pri.sources.get("Intercept") == "default":
        text += f"; the intercept gets Normal(0, {DEFAULT_SCALE:g}) on the log-odds at the predictor means"
    return text + "."


def loo_fit_quality(post, diag: Diagnostics) -> pd.DataFrame | None:
    """In-sample (posterior-mean probabilities) next to out-of-sample (PSIS-LOO predictive
    probabilities) Brier score, log score and AUC, on the same rows (the LOO rows). 0/1 data only."""
    from .diagnostics import _auc

    d = post.design
    if d.trials is not None or diag.loo is None:
        return None
    rows = diag.loo_rows if diag.loo_rows is not None else np.arange(d.n_obs)
    q_loo, y = _loo_probabilities(post, diag)
    q_in = np.clip(fitted_probabilities(post)[rows], 1e-15, 1 - 1e-15)
    q_loo = np.clip(q_loo, 1e-15, 1 - 1e-15)

    def scores(q):
        brier = float(np.mean((y - q) ** 2))
        log = float(np.mean(np.where(y == 1, np.log(q), np.log1p(-q))))
        return brier, log, _auc(q, y, 1 - y)

    ins, out = scores(q_in), scores(q_loo)
    table = pd.DataFrame(
        {"in sample": ins, "out of sample (PSIS-LOO)": out},
        index=pd.Index(["Brier score", "log score (mean)", "AUC"], name="fit quality"),
    )
    return table


def _versions() -> str:
    from importlib import metadata

    out = []
    for name in ("bayeslogit", "numpy", "scipy", "pandas", "arviz", "pymc", "numba", "matplotlib"):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            if name == "bayeslogit":
                out.append(f"bayeslogit {__version__}")
    return ", ".join(out)


def run_information(post, run_info: dict | None = None) -> list[tuple[str, str]]:
    """Date, versions, data source, sampler settings and run time (those known)."""
    import datetime
    import platform

    run_info = dict(run_info or {})
    attrs = post.idata.posterior.attrs
    rows = [
        ("Report written:", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")),
        ("Posterior created:", str(attrs.get("created_at", "unknown"))),
    ]
    rows.append(("Data source:", str(run_info.pop("data source", "not recorded (pass run_info={'data source': ...})"))))
    settings = (
        f"{post.method_label}; {post.n_chains} chains x {post.n_draws} draws, "
        f"{attrs.get('tuning_steps', '?')} tuning steps; random seed {post.random_seed}"
    )
    if "sampling_library" in attrs:
        settings += f"; {attrs['sampling_library']}"
    rows.append(("Sampler settings:", settings))
    t = run_info.pop("run time", None)
    if t is None and "sampling_time" in attrs:
        t = f"{float(attrs['sampling_time']):.1f} s (sampling)"
    rows.append(("Run time:", str(t) if t is not None else "not recorded"))
    for k, v in run_info.items():
        rows.append((f"{k[:1].upper()}{k[1:]}:", str(v)))
    rows.append(("Software:", _versions() + f"; Python {platform.python_version()}"))
    return rows


# ---------------------------------------------------------------------------------------------
# group terms: sds and correlations, caterpillar plot of the per-level effects


CATERPILLAR_MAX_LEVELS = 60
"""Levels drawn per panel of the caterpillar plot; above it, evenly spaced ranks (lowest and
highest included) and the caption says how many of how many."""
CATERPILLAR_LABELS = 40
"""Level names are written on the axis up to this many levels drawn."""


def caterpillar_data(post, term) -> dict[str, pd.DataFrame]:
    """Per varying coefficient of one group term, what its caterpillar panel draws: the levels
    sorted by the posterior mean of their effect ``b`` (from ``post.group_effects()``), thinned
    to at most :data:`CATERPILLAR_MAX_LEVELS` evenly spaced ranks (lowest and highest kept).
    Columns ``level``, ``mean``, ``lower``, ``upper`` (95% equal-tailed), ``rank`` (0 = lowest
    of all levels); ``attrs["levels"]`` the number of levels in all."""
    eff = post.group_effects()
    eff = eff[eff["term"] == term.label]
    out = {}
    for coef in term.coef_names:
        sub = eff[eff["coef"] == coef].sort_values("mean", kind="mergesort").reset_index(drop=True)
        sub = sub.rename(columns={"eti95_lb": "lower", "eti95_ub": "upper"})[["level", "mean", "lower", "upper"]]
        sub["rank"] = np.arange(len(sub))
        total = len(sub)
        if total > CATERPILLAR_MAX_LEVELS:
            keep = np.unique(np.linspace(0, total - 1, CATERPILLAR_MAX_LEVELS).round().astype(np.int64))
            sub = sub.iloc[keep].reset_index(drop=True)
        sub.attrs["levels"] = total
        out[coef] = sub
    return out


def _caterpillar_fig(post, term):
    """One panel per varying coefficient of ``term``: each level's effect (posterior mean, dot)
    with its 95% interval (line), levels sorted by the mean; a vertical line at 0 (the
    population coefficient)."""
    from matplotlib.figure import Figure

    data = caterpillar_data(post, term)
    k = len(data)
    shown = max(len(d) for d in data.values())
    labels = shown <= CATERPILLAR_LABELS
    fig = Figure(figsize=(min(11.0, 3.2 + 3.6 * k), 1.2 + 0.17 * max(shown, 8)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, k, squeeze=False)).ravel()
    for ax, (coef, d) in zip(axes, data.items()):
        ypos = np.arange(len(d))
        ax.hlines(ypos, d["lower"], d["upper"], color="#8fb3d9", lw=1.5, label="95% interval")
        ax.scatter(d["mean"], ypos, s=12, color="#345", zorder=3, label="posterior mean")
        ax.axvline(0, color="#c0392b", ls="--", lw=1, label="0: the population coefficient")
        if labels:
            ax.set_yticks(ypos, [str(v) for v in d["level"]], fontsize=7)
        else:
            ax.set_yticks([])
        ax.set_ylim(-1, len(d))
        ax.set_ylabel(
            f"level of {term.group_name} (sorted by mean)" + ("" if labels else ", names not shown"), fontsize=8
        )
        unit = "log-odds" if coef == "Intercept" else f"log-odds per unit of {coef}"
        ax.set_xlabel(f"b[{coef}]: deviation from the population {coef} ({unit})", fontsize=8)
        title = f"({term.label}): {coef}"
        if len(d) < d.attrs["levels"]:
            title += f", {len(d)} of {d.attrs['levels']} levels"
        ax.set_title(title, fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside upper center", ncol=3, fontsize=8, frameon=False)
    return fig


def _caterpillar_caption(post, term) -> str:
    data = caterpillar_data(post, term)
    total = next(iter(data.values())).attrs["levels"]
    shown = len(next(iter(data.values())))
    coefs = ", ".join(term.coef_names)
    text = (
        f"Caterpillar plot of ({term.label}): for each level of {term.group_name}, its effect b on "
        f"{coefs} (the deviation from the population coefficient, log-odds); dot: posterior mean, line: "
        f"95% equal-tailed interval; dashed line at 0 (the population value). Levels are sorted by "
        f"posterior mean in each panel separately. "
    )
    if shown < total:
        text += (
            f"{shown} of the {total:,} levels are drawn: evenly spaced ranks in the sorted order, the "
            "lowest and the highest included (post.group_effects() has all). "
        )
    else:
        text += f"All {total:,} levels are drawn. "
    if shown > CATERPILLAR_LABELS:
        text += "Level names are left off the axis (too many to read)."
    return text.strip()


def _group_section(post, log) -> str:
    """Group sds and correlations (table) and one caterpillar plot per group term."""
    groups = post.design.groups
    log("group effects")
    out = "<h2 id='groups'>Group effects</h2>"
    out += _info_table(
        [
            (
                f"({t.label}):",
                f"{t.n_levels:,} levels of {t.group_name}; varying "
                + ", ".join(t.coef_names)
                + ("" if t.correlated or t.n_coef == 1 else " (uncorrelated)"),
            )
            for t in groups.terms
        ]
    )
    summary = post.group_summary()
    out += "<h3>Group-level sds and correlations</h3>" + _table(summary)
    out += (
        "<p class='note'>sd(c | g): the standard deviation over the levels of g of the effect on c; "
        "cor(c1, c2 | g): the correlation of two effects of a level. Posterior mean, sd, 95% "
        "equal-tailed interval, ESS, R-hat and MCSE (ArviZ). Their priors are in the model section.</p>"
    )
    for t in groups.terms:
        out += _figure(
            lambda t=t: _caterpillar_fig(post, t), f"caterpillar plot of ({t.label})", _caterpillar_caption(post, t)
        )
    return out


def group_prior_note(post) -> str:
    """One line on the default priors of the group sds and correlations (empty if none is default)."""
    table = post.model.prior_summary()
    rows = table[[("|" in str(i)) or str(i).startswith("cor(") for i in table.index]]
    defaults = rows[rows["source"] == "default"]
    if defaults.empty:
        return ""
    return (
        "Group terms: each level's effects b ~ MvNormal(0, diag(sd) R diag(sd)), sampled non-centred. "
        "Default priors: every group sd HalfStudentT(3, 2.5) (brms's default for group-level sds), "
        "correlation matrices LKJ(1) (uniform over correlation matrices); rows marked 'default' above."
    )


# ---------------------------------------------------------------------------------------------
# the page


def _comparison_section(post, fits: Sequence[Results], log) -> str:
    parts = ["<h2 id='comparison'>Posterior next to the point estimates</h2>"]
    if not fits:
        parts.append(_table(post.coef_table()))
        parts.append(
            "<p class='note'>No MLE/MAP fits were given to compare with (pass <code>fits=(mle, map_)</code>).</p>"
        )
        return "".join(parts)
    log("comparison table and forest plot")
    comp = compare(*fits, post)
    parts.append(
        "<div class='scroll'>" + comp.to_html(float_format=lambda v: f"{v:.3f}", border=0, na_rep="") + "</div>"
    )
    for f in fits:
        if getattr(f, "separation", None):
            parts.append(
                f"<p class='note'><b>{html.escape(getattr(f, 'label', f.method))}</b>: "
                f"{html.escape(f.separation)} separation along "
                f"{html.escape(', '.join(f.separating_columns))}: the MLE does not exist and its "
                "numbers are not estimates.</p>"
            )
    parts.append(
        _figure(
            lambda: plot_compare(*fits, post),
            "forest plot of the point estimates and the posterior",
            "Estimates with 95% intervals (Wald for the MLE, Laplace for the MAP, equal-tailed "
            "for the posterior), one row per coefficient and fit.",
        )
    )
    parts.append("<h3>Posterior (ArviZ summary)</h3>" + _table(post.coef_table()))
    return "".join(parts)


def _ppc_section(post, log) -> str:
    d = post.design
    n = d.n_obs
    out = "<h2 id='ppc'>Posterior predictive checks</h2>"
    log("posterior predictive checks")
    table = binned_residuals(post)
    k = len(table)
    inside = float(np.mean(np.abs(table["residual"]) <= 2 * table["se"]))
    note = fitted_draws_note(post)
    out += _figure(
        lambda: _binned_residual_fig(table),
        "binned residual plot",
        f"Binned residuals: the {n:,} rows sorted by fitted probability (posterior mean) and cut into "
        f"{k} bins of about {n / k:,.0f} rows; dot: the bin's observed event rate minus its mean fitted "
        f"probability; band: +-2 standard errors of that difference under the model. About 95% of the "
        f"dots should lie in the band; here {inside:.0%} do." + (f" Fitted probabilities: {note}." if note else ""),
    )
    ppc, rep, pnote = event_rate_ppc(post, seed=post.random_seed)
    out += _figure(
        lambda: _event_rate_fig(ppc, rep),
        "event rate posterior predictive check",
        "Event rate, overall and per factor level: red dot, the observed rate; bars, the 50% and 95% "
        "intervals of the same rate in data sets replicated from the posterior (y_rep ~ "
        f"{'Bernoulli' if d.trials is None else 'Binomial'}(p), {pnote}). A dot outside its bar is a rate "
        "the model does not reproduce.",
    )
    out += _table(ppc, digits=3)
    out += (
        "<p class='note'>P(rep >= obs): share of replicated data sets whose rate is at least the observed "
        "one; values near 0 or 1 flag a misfit. Replicates are made one row block at a time.</p>"
    )
    return out


def render_report(
    post: PosteriorResults,
    *,
    fits: Sequence[Results] = (),
    title: str | None = None,
    progress: bool | Callable[[str], None] = False,
    run_info: dict | None = None,
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
        (
            "Sampler:",
            f"{post.method_label}; {post.n_chains} chains x {post.n_draws} draws, "
            f"{post.idata.posterior.attrs.get('tuning_steps', '?')} tuning steps",
        ),
        ("Random seed:", str(post.random_seed)),
    ]
    prior_note = default_prior_note(post)
    sections.append(
        "<h2 id='model'>Model</h2>"
        + _info_table(info)
        + "<h3>Priors</h3>"
        + _table(post.model.prior_summary())
        + (f"<p class='note' id='prior-scale'>{html.escape(prior_note)}</p>" if prior_note else "")
        + (
            f"<p class='note' id='group-priors'>{html.escape(group_prior_note(post))}</p>"
            if d.groups is not None and group_prior_note(post)
            else ""
        )
    )

    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        sections.append(_comparison_section(post, fits, log))
        if d.groups is not None:
            sections.append(_group_section(post, log))

        log("diagnostics")
        diag = post.diagnostics()
        status = (
            ("ok", "All convergence checks pass.")
            if diag.ok
            else ("FAIL", f"{len(diag.failed)} check(s) failed: " + ", ".join(c.name for c in diag.failed))
        )
        checks = diag.to_frame()
        sug = "".join(f"<li><b>{html.escape(c.name)}</b>: {html.escape(c.suggestion)}</li>" for c in diag.failed)
        sections.append(
            "<h2 id='diagnostics'>Diagnostics</h2>"
            f"<div class='banner {status[0]}'>{html.escape(status[1])}</div>"
            + _table(checks[["value", "rule", "verdict", "detail"]])
            + (f"<h3>What to do</h3><ul>{sug}</ul>" if sug else "")
            + "<h3>Per coefficient</h3>"
            + _table(diag.per_coef)
            + "<p class='note'>MCSE printed to 2 significant digits; R-hat to 3 decimals; ESS as whole draws.</p>"
            + "<h3>Fit quality (posterior-mean probabilities, in sample)</h3>"
            + _table(diag.fit.to_frame(), digits=4)
            + "<p class='note'>Brier score: lower is better; log score: mean log probability of the "
            "observed outcome, higher is better; AUC: 0.5 no discrimination, 1 perfect; "
            "miscalibration (PAV/CORP): Brier score minus that of the isotonic recalibration, 0 is "
            "perfectly calibrated."
            + (f" Computed with {html.escape(diag.fit.note)}." if diag.fit.note else "")
            + "</p>"
        )
        log("in-sample and out-of-sample fit quality")
        oos = loo_fit_quality(post, diag)
        if oos is not None:
            m = len(diag.loo_rows) if diag.loo_rows is not None else d.n_obs
            sections[-1] += (
                "<h3 id='oos'>In sample vs out of sample (PSIS-LOO)</h3>"
                + _table(oos, digits=4)
                + "<p class='note'>Both columns on the same "
                + (f"{m:,} rows" if m == d.n_obs else f"{m:,} rows of the LOO subsample (of {d.n_obs:,})")
                + ": in sample scores the posterior-mean probability of each row, out of sample its "
                "PSIS-LOO predictive probability (the row left out). A large gap means the model "
                "fits noise.</p>"
            )

        log("trace and rank plots")
        rank_caption = (
            f"Rank histograms per chain: the draws of all chains are ranked together and each chain's "
            f"ranks counted in {RANK_BINS} bins; grey band: the 95% range of a bin count when all chains "
            f"sample the same distribution (Binomial({post.n_draws}, 1/{RANK_BINS}), pointwise); dashed "
            "line: the expected count. Bars inside the band mean the chains agree."
        )
        sections.append(
            "<h2 id='trace'>Trace and rank plots</h2>"
            + _figure(
                lambda: _trace_fig(post),
                "trace plots",
                "Left: marginal density of each coefficient per chain (KDE); right: the draws of each chain "
                "in order. Colours: chains (legend on top).",
            )
            + (
                _figure(lambda: _rank_fig(post), "rank plots", rank_caption)
                if post.n_chains > 1
                else "<p class='note'>Rank plots need at least 2 chains.</p>"
            )
        )
        en = energy_stats(post)
        if en is not None:
            log("energy plot")
            bfmi = ", ".join(f"{v:.2f}" for v in en[2])
            sections.append(
                "<h2 id='energy'>Energy</h2>"
                + _figure(
                    lambda: _energy_fig(post),
                    "energy plot",
                    "Energy plot: the distribution of the Hamiltonian energy (centred per chain) and of its "
                    "change between successive draws. When the transition histogram is much narrower than "
                    f"the marginal one, the sampler explores the tails slowly. E-BFMI per chain: {bfmi} "
                    "(rule: >= 0.3).",
                )
            )

        log("pair plot")
        P = len(post.coef_names)
        corr = pd.DataFrame(
            np.corrcoef(post.draws(), rowvar=False).reshape(P, P), index=post.coef_names, columns=post.coef_names
        )
        corr.index.name = "posterior correlation"
        shown = min(P, PAIR_MAX_COEFS)
        sections.append(
            "<h2 id='pairs'>Coefficient pairs</h2>"
            + _figure(
                lambda: _pair_fig(post),
                "pair plot",
                f"Pairs of coefficient draws ({min(PAIR_MAX_POINTS, post.n_chains * post.n_draws):,} evenly "
                "spaced draws); diagonal: histograms; above: posterior correlation (red when |r| > 0.7). "
                + ("" if shown == P else f"The first {shown} of {P} coefficients; the table has all. "),
            )
            + "<div class='scroll'>"
            + _table(corr, digits=2)
            + "</div>"
        )

        log("odds ratios and marginal effects")
        eff = "<h2 id='effects'>Odds ratios and average marginal effects</h2>"
        try:
            eff += _table(post.odds_ratios(), digits=3)
            eff += (
                "<p class='note'>Odds ratio exp(coefficient): every draw transformed, then summarised "
                "(mean, median, equal-tailed interval).</p>"
            )
        except Exception as exc:  # noqa: BLE001
            eff += f"<p class='note'>Odds ratios not available: {html.escape(str(exc))}</p>"
        try:
            from ..model import training_rows

            rows = training_rows(post.model)
            over = f"the {d.n_obs:,} training rows"
            if d.n_obs * post.n_chains * post.n_draws > AME_MAX_CELLS and d.n_obs > AME_ROWS:
                pick = np.sort(np.random.default_rng(post.random_seed).choice(d.n_obs, AME_ROWS, replace=False))
                rows = rows.iloc[pick]
                over = f"a random subsample of {AME_ROWS:,} of the {d.n_obs:,} training rows (large data)"
            eff += _table(post.marginal_effects(data=rows), digits=4)
            eff += (
                "<p class='note'>Average marginal effect on P(event) per data variable, averaged over "
                f"{over} for every draw: dP/dx for numbers, the change from the first level for "
                "factors.</p>"
            )
        except Exception as exc:  # noqa: BLE001
            eff += f"<p class='note'>Marginal effects not available: {html.escape(' '.join(str(exc).split()))}</p>"
        sections.append(eff)

        log("prior vs posterior")
        sections.append(
            "<h2 id='prior'>Prior vs posterior</h2>"
            + _figure(
                lambda: _prior_posterior_fig(post),
                "prior and posterior densities",
                "Shaded: posterior density (KDE); line: prior density, on the same scale.",
            )
        )

        sections.append(_ppc_section(post, log))

        log("calibration and separation plots")
        cal = "<h2 id='calibration'>Calibration and separation</h2>"
        if d.trials is None and diag.loo is not None:
            cal += _figure(
                lambda: _calibration_fig(post, diag, post.random_seed),
                "PAV calibration plot",
                _calibration_caption(diag, d.n_obs),
            )
        else:
            cal += (
                "<p class='note'>The PAV calibration plot is drawn for binary (0/1) outcomes with "
                "PSIS-LOO available; the miscalibration number above covers aggregated data.</p>"
            )
        cal += _figure(lambda: _separation_fig(post), "separation plot", _separation_caption(post))
        sections.append(cal)

        log("LOO")
        loo = "<h2 id='loo'>PSIS-LOO</h2>"
        if diag.loo is not None:
            loo += f"<p class='note'>Method: {html.escape(diag.loo_method)}.</p>"
            loo += _table(diag.loo_frame()) + _table(diag.pareto_k_frame())
            loo += _figure(
                lambda: _khat_fig(diag),
                "Pareto k per observation",
                f"Pareto k per observation; dashed line: k = {float(diag.loo.good_k):.2f} (ArviZ's good_k "
                "for this number of draws): above it (red points), LOO is unreliable for that observation"
                + ("." if diag.loo_short == "exact" else f" ({diag.loo_short})."),
            )
        else:
            loo += "<p class='note'>PSIS-LOO not available (see the diagnostics above).</p>"
        sections.append(loo)

        sections.append("<h2 id='run'>Run information</h2>" + _info_table(run_information(post, run_info)))

    nav = "".join(
        f"<a href='#{a}'>{t}</a>"
        for a, t in (
            ("model", "Model"),
            ("comparison", "Comparison"),
            *((("groups", "Group effects"),) if d.groups is not None else ()),
            ("diagnostics", "Diagnostics"),
            ("trace", "Trace"),
            ("pairs", "Pairs"),
            ("effects", "Effects"),
            ("prior", "Prior vs posterior"),
            ("ppc", "Predictive checks"),
            ("calibration", "Calibration"),
            ("loo", "LOO"),
            ("run", "Run"),
        )
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><main>"
        f"<h1>{html.escape(title)}</h1><nav>{nav}</nav>{''.join(sections)}"
        f"<p class='note'>Written by bayeslogit {__version__}.</p></main></body></html>"
    )


def write_report(
    post: PosteriorResults,
    path,
    *,
    fits: Sequence[Results] = (),
    title: str | None = None,
    progress: bool | Callable[[str], None] = True,
    run_info: dict | None = None,
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
    page = render_report(post, fits=fits, title=title, progress=progress, run_info=run_info)
    from .._files import atomic_write_text  # temp file + rename: never a half-written report

    atomic_write_text(path, page)
    if progress is True:
        print(f"[report] wrote {path} ({len(page) / 1e6:.1f} MB)", file=sys.stderr, flush=True)
    elif callable(progress):
        progress(f"wrote {path}")
    return path
