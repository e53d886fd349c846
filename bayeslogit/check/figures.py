"""The report's figures: the only module of :mod:`bayeslogit.check` that imports matplotlib.

Each function takes numbers (the statistics of :mod:`.statistics`, or draws and names) and
returns a ``matplotlib.figure.Figure``; it computes nothing the report prints. :func:`to_png`
renders a figure and closes it; :func:`quiet_figures` is the context the report draws in.
matplotlib (and scipy's KDE) are imported inside the functions: ``import bayeslogit`` and the
CLI's start-up stay light.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.artist import Artist
    from matplotlib.figure import Figure

    from ..priors import Prior

__all__ = [
    "to_png",
    "quiet_figures",
    "trace_fig",
    "rank_fig",
    "prior_posterior_fig",
    "calibration_fig",
    "separation_fig",
    "khat_fig",
    "binned_residual_fig",
    "binned_outside",
    "posterior_span",
    "event_rate_fig",
    "pair_fig",
    "energy_fig",
    "caterpillar_fig",
    "conditional_effects_fig",
    "categorical_forest_fig",
    "confusion_fig",
    "outcome_calibration_fig",
    "cumulative_fig",
]

CHAIN_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")
CATERPILLAR_LABELS = 40
"""Level names are written on the axis up to this many levels drawn."""


def to_png(fig) -> bytes:
    """Render a matplotlib figure as PNG bytes and close it."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


@contextlib.contextmanager
def quiet_figures() -> Iterator[None]:
    """The report draws many figures: no warning about how many are open."""
    import matplotlib

    with matplotlib.rc_context({"figure.max_open_warning": 0}):
        yield


# ---------------------------------------------------------------------------------------------
# the draws: trace, ranks, prior vs posterior, pairs, energy


def trace_fig(beta: np.ndarray, names: Sequence[str]) -> Figure:
    """One row per coefficient of ``beta`` ``(chains, draws, coef)``: left, the marginal density
    of each chain (KDE); right, the draws of each chain in order. Axes labelled, chains
    coloured, one legend."""
    from matplotlib.figure import Figure
    from scipy.stats import gaussian_kde

    C, D, P = beta.shape
    fig = Figure(figsize=(10, 1.9 * P + 0.6), layout="constrained")
    axes = np.atleast_2d(fig.subplots(P, 2, gridspec_kw={"width_ratios": [1, 2]}))
    handles = []
    for j, name in enumerate(names):
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


def rank_fig(counts: np.ndarray, band: tuple[float, float], n_draws: int, names: Sequence[str]) -> Figure:
    """Rank histograms per chain (Vehtari et al. 2021), one panel per coefficient: ``counts``
    ``(coef, chain, bins)`` (:func:`~.statistics.rank_counts`), the 95% ``band`` of a bin count
    under agreement (:func:`~.statistics.rank_band`) and the expected count ``n_draws / bins``."""
    from matplotlib.figure import Figure

    P, C, bins = counts.shape
    lo, hi = band
    ncol = min(3, P)
    nrow = int(np.ceil(P / ncol))
    fig = Figure(figsize=(4.0 * ncol, 2.6 * nrow + 0.5), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    width = 1.0 / C
    handles = []
    for j, name in enumerate(names):
        ax = axes[j]
        band_patch = ax.axhspan(lo, hi, color="#dddddd", zorder=0, label="95% band if the chains agree")
        mid = ax.axhline(n_draws / bins, color="grey", ls="--", lw=1, label="expected count")
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
            handles = [band_patch, mid, *handles]
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("rank bin (all chains pooled)", fontsize=8)
        ax.set_ylabel("draws in bin", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[P:]:
        ax.set_visible(False)
    fig.legend(handles=handles, loc="outside upper center", ncol=min(len(handles), 5), fontsize=9, frameon=False)
    return fig


def prior_posterior_fig(panels: Sequence[tuple[str, np.ndarray, Prior]]) -> Figure:
    """Posterior density (KDE) of each quantity with its prior density, one panel per
    ``(label, draws, prior)`` (:func:`~.statistics.prior_posterior_draws`).

    The x-axis spans the posterior (a prior many times wider would make the posterior a spike);
    the prior is drawn over that span on its own axis (right, from 0 to the prior's peak), so a
    flat line near the top says "the prior is flat where the posterior is". One legend for the
    figure, above the panels; the prior's name in each panel's title."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from scipy.stats import gaussian_kde

    ncol = min(3, len(panels))
    nrow = int(np.ceil(len(panels) / ncol))
    fig = Figure(figsize=(4.2 * ncol, 2.9 * nrow + 0.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol)).ravel()
    drew_prior = False
    for j, (label, x, prior) in enumerate(panels):
        ax = axes[j]
        lo, hi = posterior_span(x)
        grid = np.linspace(lo, hi, 400)
        dens = gaussian_kde(x)(grid) if np.ptp(x) > 0 else np.zeros_like(grid)
        ax.fill_between(grid, dens, color="#8fb3d9", alpha=0.8)
        ax.set_xlim(lo, hi)
        ax.set_ylim(0, None)
        title = f"{label}: prior {prior}"
        if prior.improper:
            title = f"{label}: prior {prior.family} (improper)"
        elif not prior.has_density:
            title += " (no closed-form density)"
        else:
            span = prior.typical_range()
            wide = np.linspace(*(span if span is not None else (lo, hi)), 400)
            peak = float(np.exp(prior.logpdf(np.r_[wide, grid])).max())
            twin = ax.twinx()
            twin.plot(grid, np.exp(prior.logpdf(grid)), color="#c0392b", lw=1.8)
            twin.set_ylim(0, 1.08 * peak if peak > 0 and np.isfinite(peak) else 1.0)
            twin.set_yticks([])
            drew_prior = True
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
        ax.set_xlabel(label + " (log-odds)", fontsize=8)
        ax.set_ylabel("density", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    handles: list[Artist] = [Patch(color="#8fb3d9", alpha=0.8, label="posterior (left axis)")]
    if drew_prior:
        handles.append(Line2D([], [], color="#c0392b", lw=1.8, label="prior (right axis: 0 to the prior's peak)"))
    fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize=9, frameon=False)
    return fig


def posterior_span(x: np.ndarray) -> tuple[float, float]:
    """The x-range of a prior-vs-posterior panel: the posterior's 99.8% range, padded by 30%."""
    lo, hi = (float(v) for v in np.quantile(x, [0.001, 0.999]))
    pad = 0.3 * (hi - lo) if hi > lo else max(1.0, abs(lo)) * 0.1
    return lo - pad, hi + pad


def pair_fig(names: Sequence[str], x: np.ndarray, corr: np.ndarray) -> Figure:
    """Scatter of every pair of coefficients ``x`` ``(draws, coef)``, histograms on the diagonal,
    the posterior correlation ``corr`` printed above it (:func:`~.statistics.pair_draws`)."""
    from matplotlib.figure import Figure

    P = len(names)
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


def energy_fig(centred: np.ndarray, trans: np.ndarray) -> Figure:
    """Energy plot (Betancourt 2016): the marginal energy distribution (centred) against the
    distribution of the energy changes between successive draws (:func:`~.statistics.energy_stats`)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.2), layout="constrained")
    ax = fig.subplots()
    edges = np.histogram_bin_edges(np.r_[centred, trans], bins=50).tolist()
    ax.hist(centred, bins=edges, density=True, color="#8fb3d9", alpha=0.75, label="marginal energy (centred)")
    ax.hist(trans, bins=edges, density=True, color="#c0392b", alpha=0.45, label="energy transition")
    ax.set_xlabel("energy - mean energy (per chain)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8, loc="upper right", frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------
# predictions: calibration, separation, Pareto k, binned residuals, event rate


def calibration_fig(curve: pd.DataFrame) -> Figure:
    """LOO-PAV calibration plot: the conditional event probability against the LOO predictive
    probability, with its consistency band (:func:`~.statistics.calibration_curve`)."""
    from matplotlib.figure import Figure

    xs, cep = curve["p"].to_numpy(), curve["cep"].to_numpy()
    lo, hi = curve["lower"].to_numpy(), curve["upper"].to_numpy()
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


def separation_fig(rows: dict) -> Figure:
    """Separation plot (Greenhill, Ward & Sacks 2011) of :func:`~.statistics.separation_rows`:
    observations sorted by fitted probability, events drawn as dark bars (a good model piles
    them up on the right); binned rows: bar height the group's event rate, the line its mean
    fitted probability."""
    from matplotlib.figure import Figure

    height, line = rows["height"], rows["line"]
    if rows["binned"]:
        label, line_label = "event rate in the group", "mean fitted probability"
    else:
        label, line_label = "observed rate" if rows["aggregated"] else "events", "fitted probability"
    fig = Figure(figsize=(9, 1.8), layout="constrained")
    ax = fig.subplots()
    k = len(height)
    # one filled step artist per layer (not one rectangle per row: thousands of bars are slow)
    ax.axhspan(0, 1, color="#f3e6e4", linewidth=0)
    ax.stairs(height, np.arange(k + 1) - 0.5, fill=True, color="#8c1d13", label=label)
    ax.plot(np.arange(k), line, color="black", lw=1.5, label=line_label)
    # the expected number of events, counted from the right (in rows, or in groups)
    ax.axvline(rows["expected_at"], color="black", ls=":", lw=1, label="expected number of events")
    ax.set_xlim(-0.5, k - 0.5)
    ax.set_ylim(0, 1)
    ax.set_xticks([])
    ax.set_ylabel("P(event)")
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return fig


def khat_fig(pareto_k: np.ndarray, good_k: float) -> Figure:
    """Pareto k per observation (NaN for the rows a subsampled LOO left out), with the
    ``good_k`` cut."""
    from matplotlib.figure import Figure

    k = np.asarray(pareto_k, dtype=float).ravel()
    idx = np.flatnonzero(np.isfinite(k))
    good = float(good_k)
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


def binned_residual_fig(table: pd.DataFrame) -> Figure:
    """Binned residuals (:func:`~.statistics.binned_residuals`) with the +-2 SE band; the legend
    above the axes (inside, it can hide a bin and its markers read as data)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 3.6), layout="constrained")
    ax = fig.subplots()
    x = table["fitted"].to_numpy()
    ax.fill_between(x, -2 * table["se"], 2 * table["se"], color="#dde6f0", label="+-2 SE expected under the model")
    ax.axhline(0, color="grey", lw=1)
    out = binned_outside(table)
    ax.scatter(x[~out], table["residual"][~out], s=18, color="#345", label="bin residual (observed - fitted)")
    if out.any():
        ax.scatter(x[out], table["residual"][out], s=26, color="#8c1d13", label="bin residual outside +-2 SE")
    ax.set_xlabel("mean fitted probability in bin")
    ax.set_ylabel("observed - fitted rate")
    ax.set_title(f"Binned residuals: {int((~out).sum())} of {len(out)} bins within +-2 SE", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=len(handles), fontsize=8, frameon=False)
    return fig


def binned_outside(table: pd.DataFrame) -> np.ndarray:
    """Which bins of :func:`~.statistics.binned_residuals` lie outside +-2 SE (the figure's red
    dots; the caption counts the same)."""
    return (np.abs(table["residual"]) > 2 * table["se"]).to_numpy()


def event_rate_fig(table: pd.DataFrame, rep: np.ndarray) -> Figure:
    """Observed event rates against the 50% and 95% intervals of the replicated ones
    (:func:`~.statistics.event_rate_ppc`)."""
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
# group terms


def caterpillar_fig(data: dict[str, pd.DataFrame], term) -> Figure:
    """One panel per varying coefficient of the group term ``term``
    (:func:`~.statistics.caterpillar_data`): each level's effect (posterior mean, dot) with its
    95% interval (line), levels sorted by the mean; a vertical line at 0 (the population
    coefficient). Level names on the axis up to :data:`CATERPILLAR_LABELS` levels."""
    from matplotlib.figure import Figure

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


def conditional_effects_fig(panels: Sequence[tuple[str, str, pd.DataFrame]], ylabel: str) -> Figure:
    """One panel per predictor (:func:`~.statistics.conditional_effects`): the posterior mean
    probability against the predictor (line; a factor: dots) with its interval (band; a
    factor: error bars), on a shared probability axis from 0 to 1."""
    from matplotlib.figure import Figure

    k = len(panels)
    ncol = min(3, k)
    nrow = -(-k // ncol)
    fig = Figure(figsize=(3.4 * ncol + 0.4, 2.8 * nrow + 0.3), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False, sharey=True)).ravel()
    for ax, (name, kind, t) in zip(axes, panels):
        est = t["estimate"].to_numpy()
        lo, hi = t["conf_low"].to_numpy(), t["conf_high"].to_numpy()
        if kind == "factor":
            pos = np.arange(len(t))
            ax.errorbar(pos, est, yerr=[est - lo, hi - est], fmt="o", color="#345", ms=4, capsize=3)
            ax.set_xticks(pos, [str(v) for v in t[name]], fontsize=7, rotation=30 if len(t) > 6 else 0)
            ax.set_xlim(-0.5, len(t) - 0.5)
        else:
            x = t[name].to_numpy(dtype=float)
            ax.plot(x, est, color="#345", lw=1.5)
            ax.fill_between(x, lo, hi, color="#8fb3d9", alpha=0.5, lw=0)
        ax.set_xlabel(name, fontsize=8)
        ax.set_ylim(0, 1)
        ax.tick_params(labelsize=7)
    for ax in axes[:k:ncol]:
        ax.set_ylabel(ylabel, fontsize=8)
    for ax in axes[k:]:
        ax.set_visible(False)
    return fig


# ---------------------------------------------------------------------------------------------
# multinomial and ordinal posteriors (numbers from .categorical_statistics)


def categorical_forest_fig(panels: dict[str, pd.DataFrame], ci_prob: float) -> Figure:
    """One forest panel per outcome (multinomial: log relative risk against the reference) or
    the ordinal slopes and cutpoints: posterior mean and equal-tailed interval per term."""
    from matplotlib.figure import Figure

    rows = max(len(t) for t in panels.values())
    fig = Figure(figsize=(3.6 * len(panels), 0.9 + 0.42 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(panels), squeeze=False)[0])
    for ax, (name, t) in zip(axes, panels.items()):
        y = np.arange(len(t))[::-1]
        mean = t["mean"].to_numpy()
        ax.errorbar(mean, y, xerr=[mean - t["lower"].to_numpy(), t["upper"].to_numpy() - mean], fmt="o", capsize=3)
        ax.set_yticks(y, [str(v) for v in t.index])
        ax.axvline(0, color="grey", lw=0.8, ls=":")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"posterior mean, {ci_prob:.0%} interval", fontsize=8)
    return fig


def confusion_fig(counts: pd.DataFrame) -> Figure:
    """Heat map of observed (rows) by predicted (columns) outcome counts, each row shaded by
    its share of the observed outcome's rows, the count written in each cell."""
    from matplotlib.figure import Figure

    values = counts.to_numpy()
    share = values / np.maximum(values.sum(axis=1, keepdims=True), 1e-300)
    K = len(counts)
    fig = Figure(figsize=(1.6 + 0.8 * K, 1.2 + 0.7 * K), layout="constrained")
    ax = fig.subplots()
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(K):
        for j in range(K):
            ax.text(
                j, i, f"{values[i, j]:g}", ha="center", va="center", color="white" if share[i, j] > 0.6 else "black"
            )
    ax.set_xticks(range(K), [str(c) for c in counts.columns])
    ax.set_yticks(range(K), [str(c) for c in counts.index])
    ax.set_xlabel("predicted (most probable)")
    ax.set_ylabel("observed")
    fig.colorbar(im, ax=ax, label="share of the observed outcome's rows")
    return fig


def outcome_calibration_fig(table: pd.DataFrame) -> Figure:
    """Observed share against mean predicted probability per bin, one line per outcome."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1)
    for outcome, t in table.groupby("outcome", sort=False):
        ax.plot(t["predicted"], t["observed"], "o-", ms=4, label=str(outcome))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("predicted probability (posterior mean, in sample)")
    ax.set_ylabel("observed share")
    ax.legend(title="outcome", fontsize=8, frameon=False)
    return fig


def cumulative_fig(curves: pd.DataFrame, observed: pd.DataFrame, names: Sequence[str]) -> Figure:
    """Ordinal: ``P(y <= k)`` against the linear predictor, per cutpoint the posterior mean
    curve with its 90% band and the observed cumulative shares of binned rows (points)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.2), layout="constrained")
    ax = fig.subplots()
    for i, name in enumerate(names):
        colour = CHAIN_COLOURS[i % len(CHAIN_COLOURS)]
        ax.fill_between(curves["eta"], curves[f"{name} lower"], curves[f"{name} upper"], color=colour, alpha=0.2, lw=0)
        ax.plot(curves["eta"], curves[name], color=colour, label=f"P(y <= {name.split('|')[0]})")
        ax.plot(observed["eta"], observed[name], "o", color=colour, ms=4)
    ax.set_ylim(0, 1)
    ax.set_xlabel("linear predictor x'beta (posterior mean slopes)")
    ax.set_ylabel("cumulative probability")
    ax.legend(fontsize=8, frameon=False)
    return fig
