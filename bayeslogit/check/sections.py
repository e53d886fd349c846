"""The report's sections: one function per section, in :data:`SECTIONS`, the order of the page.

A section function takes the :class:`ReportContext` (the posterior, the other fits, the
diagnostics, the progress log) and returns its HTML, or ``""`` to leave itself (and its link
in the navigation bar) out. It reads its facts from the objects that own them (R-hat and ESS
from ``post.coef_table()`` and the diagnostics, LOO from the diagnostics, the priors' numbers
from the resolved priors), its numbers from :mod:`.statistics`, draws its figures with
:mod:`.figures` and writes HTML with :mod:`.page`. Adding a section: write one function here
and add it to :data:`SECTIONS`.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from .._version import __version__
from ..interpret.prior_plots import plot_prior_predictive
from ..interpret.side_by_side import compare, compare_groups, plot_compare
from . import figures, statistics
from .page import figure, info_table, table
from .scores import fitted_draws_note

INTERCEPT_ODDS_LABEL = "Intercept (baseline odds)"
"""The odds-ratio table's name for exp(Intercept): the odds at the reference point, not a ratio."""

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results
    from ..results.posterior import PosteriorResults
    from .diagnostics import Diagnostics

__all__ = [
    "ReportContext",
    "Section",
    "SECTIONS",
    "default_prior_note",
    "group_prior_note",
    "run_information",
]


@dataclass
class ReportContext:
    """What every section may read: the posterior, the fits shown next to it, facts for the run
    information, and the progress log. The diagnostics are computed once, on first use."""

    post: PosteriorResults
    fits: Sequence[Results] = ()
    run_info: dict | None = None
    log: Callable[[str], None] = lambda step: None
    effects: Sequence[str] | None = None  # the predictors of the conditional-effects section

    @cached_property
    def diag(self) -> Diagnostics:
        return self.post.diagnostics()


@dataclass(frozen=True)
class Section:
    """One section of the page: ``render(context)`` gives its HTML (``""``: left out);
    ``anchor`` is the id of its heading and ``nav`` its link text (None: no link)."""

    anchor: str
    nav: str | None
    render: Callable[[ReportContext], str]


# ---------------------------------------------------------------------------------------------
# notes: where the default priors' numbers come from, run information


def default_prior_note(post) -> str:
    """One line saying where the autoscaled default prior numbers come from (empty if none).

    The numbers are the resolved priors' own: a default slope prior is
    ``Normal(0, DEFAULT_SCALE / sd)``, so the sd it was scaled by is ``DEFAULT_SCALE / sigma``
    (with ``weights=``, the sd of the weights-expanded data, as the priors computed it).
    """
    from ..priors import DEFAULT_SCALE

    pri = post.model.priors
    d = post.design
    parts = []
    for j, name in enumerate(post.coef_names):
        if pri.sources.get(name) != "default" or name == "Intercept":
            continue
        sigma = getattr(pri.priors[name], "sigma", None)
        if not isinstance(sigma, (int, float)) or not sigma > 0:
            continue
        if sigma == DEFAULT_SCALE and np.ptp(d.X[:, j]) == 0:  # a constant column keeps the unscaled default
            continue
        sd = DEFAULT_SCALE / float(sigma)
        parts.append(f"{name}: {DEFAULT_SCALE:g} / {sd:.5g} = {float(sigma):.6g}")
    if not parts:
        return ""
    weighted = ", each row counted as often as its weight" if getattr(d, "weights", None) is not None else ""
    text = (
        f"Default priors (rstanarm's autoscaling): each slope gets Normal(0, {DEFAULT_SCALE:g} / sd(x)), sd the "
        f"standard deviation of its design column in the data{weighted} (" + "; ".join(parts) + ")"
    )
    if pri.centered_intercept and pri.sources.get("Intercept") == "default":
        text += f"; the intercept gets Normal(0, {DEFAULT_SCALE:g}) on the log-odds at the predictor means"
    return text + "."


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


def compile_apart(run_time: str | None, compile_s: float) -> str | None:
    """The run-time line with the first run's compile of the sampler counted apart
    (``compile_s``: the posterior's ``compile_time`` attribute; 0 when the kernel was ready)."""
    if compile_s <= 0:
        return run_time
    return f"{run_time or 'sampling not recorded'}; plus {compile_s:.1f} s compiling the sampler (first use)"


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
    t = run_info.pop("run time", None)  # the CLI's: it counts the compile apart already
    if t is None:
        if "sampling_time" in attrs:
            t = f"{float(attrs['sampling_time']):.1f} s (sampling)"
        t = compile_apart(t, float(attrs.get("compile_time", 0.0)))
    rows.append(("Run time:", str(t) if t is not None else "not recorded"))
    for k, v in run_info.items():
        rows.append((f"{k[:1].upper()}{k[1:]}:", str(v)))
    rows.append(("Software:", _versions() + f"; Python {platform.python_version()}"))
    return rows


# ---------------------------------------------------------------------------------------------
# the sections, in page order


def model_section(r: ReportContext) -> str:
    """Formula, data, response coding, sampler; the priors and where their numbers come from."""
    post, d = r.post, r.post.design
    r.log("model and priors")
    info = post._model_info() + [
        (
            "Sampler:",
            f"{post.method_label}; {post.n_chains} chains x {post.n_draws} draws, "
            f"{post.idata.posterior.attrs.get('tuning_steps', '?')} tuning steps",
        ),
        ("Random seed:", str(post.random_seed)),
    ]
    prior_note = default_prior_note(post)
    return (
        "<h2 id='model'>Model</h2>"
        + info_table(info)
        + "<h3>Priors</h3>"
        + table(post.model.prior_summary())
        + (f"<p class='note' id='prior-scale'>{html.escape(prior_note)}</p>" if prior_note else "")
        + (
            f"<p class='note' id='group-priors'>{html.escape(group_prior_note(post))}</p>"
            if d.groups is not None and group_prior_note(post)
            else ""
        )
    )


def comparison_section(r: ReportContext) -> str:
    """The posterior's summary, next to the MLE / MAP fits (table and forest plot) when given."""
    post, fits = r.post, r.fits
    parts = ["<h2 id='comparison'>Posterior next to the point estimates</h2>"]
    if not fits:
        parts.append(table(post.coef_table()))
        parts.append(
            "<p class='note'>No MLE/MAP fits were given to compare with (pass <code>fits=(mle, map_)</code>).</p>"
        )
        return "".join(parts)
    r.log("comparison table and forest plot")
    comp = compare(*fits, post)
    parts.append(
        "<div class='scroll'>" + comp.to_html(float_format=lambda v: f"{v:.3f}", border=0, na_rep="") + "</div>"
    )
    for f in fits:
        separation = getattr(f, "separation", None)  # point fits only
        if separation:
            parts.append(
                f"<p class='note'><b>{html.escape(getattr(f, 'label', f.method))}</b>: "
                f"{html.escape(separation)} separation along "
                f"{html.escape(', '.join(getattr(f, 'separating_columns', [])))}: the MLE does not exist and its "
                "numbers are not estimates.</p>"
            )
    groups = compare_groups(*fits, post)
    if groups is not None:  # the GLMM maximum likelihood's group sds next to the posterior's
        parts.append(
            "<h3>Group sds and correlations</h3><div class='scroll'>"
            + groups.to_html(float_format=lambda v: f"{v:.3f}", border=0, na_rep="")
            + "</div><p class='note'>The GLMM maximum likelihood (lme4's glmer: group effects integrated "
            "out) gives point estimates; the posterior its means and sds. The pooled fits have no group "
            "terms.</p>"
        )
    parts.append(
        figure(
            lambda: plot_compare(*fits, post),
            "forest plot of the point estimates and the posterior",
            "Estimates with 95% intervals (Wald for the MLE, Laplace for the MAP, equal-tailed "
            "for the posterior), one row per coefficient and fit.",
        )
    )
    parts.append("<h3>Posterior (ArviZ summary)</h3>" + table(post.coef_table()))
    return "".join(parts)


def _caterpillar_caption(data: dict, term) -> str:
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
    if shown > figures.CATERPILLAR_LABELS:
        text += "Level names are left off the axis (too many to read)."
    return text.strip()


def group_section(r: ReportContext) -> str:
    """Group sds and correlations (table) and one caterpillar plot per group term (no group
    terms: no section)."""
    post = r.post
    groups = post.design.groups
    if groups is None:
        return ""
    r.log("group effects")
    out = "<h2 id='groups'>Group effects</h2>"
    out += info_table(
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
    out += "<h3>Group-level sds and correlations</h3>" + table(summary)
    out += (
        "<p class='note'>sd(c | g): the standard deviation over the levels of g of the effect on c; "
        "cor(c1, c2 | g): the correlation of two effects of a level. Posterior mean, sd, 95% "
        "equal-tailed interval, ESS, R-hat and MCSE (ArviZ). Their priors are in the model section.</p>"
    )
    for t in groups.terms:
        data = statistics.caterpillar_data(post, t)
        out += figure(
            lambda t=t, data=data: figures.caterpillar_fig(data, t),
            f"caterpillar plot of ({t.label})",
            _caterpillar_caption(data, t),
        )
    return out


def diagnostics_section(r: ReportContext) -> str:
    """The checks with verdicts and what to do, per-coefficient MCMC statistics, fit quality."""
    r.log("diagnostics")
    diag = r.diag
    status = (
        ("ok", "All convergence checks pass.")
        if diag.ok
        else ("FAIL", f"{len(diag.failed)} check(s) failed: " + ", ".join(c.name for c in diag.failed))
    )
    checks = diag.to_frame()
    sug = "".join(f"<li><b>{html.escape(c.name)}</b>: {html.escape(c.suggestion)}</li>" for c in diag.failed)
    return (
        "<h2 id='diagnostics'>Diagnostics</h2>"
        f"<div class='banner {status[0]}'>{html.escape(status[1])}</div>"
        + table(checks[["value", "rule", "verdict", "detail"]])
        + (f"<h3>What to do</h3><ul>{sug}</ul>" if sug else "")
        + "<h3>Per coefficient</h3>"
        + table(diag.per_coef)
        + "<p class='note'>MCSE printed to 2 significant digits; R-hat to 3 decimals; ESS as whole draws.</p>"
        + "<h3>Fit quality (posterior-mean probabilities, in sample)</h3>"
        + table(diag.fit.to_frame(), digits=4)
        + "<p class='note'>Brier score: lower is better; log score: mean log probability of the "
        "observed outcome, higher is better; AUC: 0.5 no discrimination, 1 perfect; "
        "miscalibration (PAV/CORP): Brier score minus that of the isotonic recalibration, 0 is "
        "perfectly calibrated." + (f" Computed with {html.escape(diag.fit.note)}." if diag.fit.note else "") + "</p>"
    )


def out_of_sample_section(r: ReportContext) -> str:
    """In-sample vs PSIS-LOO scores on the same rows (0/1 data with LOO only)."""
    d, diag = r.post.design, r.diag
    r.log("in-sample and out-of-sample fit quality")
    oos = statistics.loo_fit_quality(r.post, diag)
    if oos is None:
        return ""
    m = len(diag.loo_rows) if diag.loo_rows is not None else d.n_obs
    return (
        "<h3 id='oos'>In sample vs out of sample (PSIS-LOO)</h3>"
        + table(oos, digits=4)
        + "<p class='note'>Both columns on the same "
        + (f"{m:,} rows" if m == d.n_obs else f"{m:,} rows of the LOO subsample (of {d.n_obs:,})")
        + ": in sample scores the posterior-mean probability of each row, out of sample its "
        "PSIS-LOO predictive probability (the row left out). A large gap means the model "
        "fits noise.</p>"
    )


def trace_section(r: ReportContext) -> str:
    """Trace plots (densities and draws per chain) and rank histograms."""
    post = r.post
    r.log("trace and rank plots")
    bins = statistics.RANK_BINS
    rank_caption = (
        f"Rank histograms per chain: the draws of all chains are ranked together and each chain's "
        f"ranks counted in {bins} bins; grey band: the 95% range of a bin count when all chains "
        f"sample the same distribution (Binomial({post.n_draws}, 1/{bins}), pointwise); dashed "
        "line: the expected count. Bars inside the band mean the chains agree."
    )
    return (
        "<h2 id='trace'>Trace and rank plots</h2>"
        + figure(
            lambda: figures.trace_fig(statistics.chain_draws(post), post.coef_names),
            "trace plots",
            "Left: marginal density of each coefficient per chain (KDE); right: the draws of each chain "
            "in order. Colours: chains (legend on top).",
        )
        + (
            figure(
                lambda: figures.rank_fig(
                    statistics.rank_counts(post), statistics.rank_band(post), post.n_draws, post.coef_names
                ),
                "rank plots",
                rank_caption,
            )
            if post.n_chains > 1
            else "<p class='note'>Rank plots need at least 2 chains.</p>"
        )
    )


def energy_section(r: ReportContext) -> str:
    """The energy plot, with the E-BFMI the diagnostics computed (samplers that record energy)."""
    en = statistics.energy_stats(r.post)
    if en is None:
        return ""
    r.log("energy plot")
    per_chain = r.diag.bfmi if r.diag.bfmi is not None else en[2]  # both exist when energy was recorded
    bfmi = ", ".join(f"{v:.2f}" for v in per_chain)
    return "<h2 id='energy'>Energy</h2>" + figure(
        lambda: figures.energy_fig(en[0], en[1]),
        "energy plot",
        "Energy plot: the distribution of the Hamiltonian energy (centred per chain) and of its "
        "change between successive draws. When the transition histogram is much narrower than "
        f"the marginal one, the sampler explores the tails slowly. E-BFMI per chain: {bfmi} "
        "(rule: >= 0.3).",
    )


def pairs_section(r: ReportContext) -> str:
    """Pair plot of the first coefficients and the table of all posterior correlations."""
    post = r.post
    r.log("pair plot")
    P = len(post.coef_names)
    corr = statistics.posterior_correlation(post)
    shown = min(P, statistics.PAIR_MAX_COEFS)
    return (
        "<h2 id='pairs'>Coefficient pairs</h2>"
        + figure(
            lambda: figures.pair_fig(*statistics.pair_draws(post)),
            "pair plot",
            f"Pairs of coefficient draws ({min(statistics.PAIR_MAX_POINTS, post.n_chains * post.n_draws):,} evenly "
            "spaced draws); diagonal: histograms; above: posterior correlation (red when |r| > 0.7). "
            + ("" if shown == P else f"The first {shown} of {P} coefficients; the table has all. "),
        )
        + "<div class='scroll'>"
        + table(corr, digits=2)
        + "</div>"
    )


def binned_inside_text(bins) -> str:
    """The caption's count of the bins inside the band: the same test as the figure's red dots,
    written as a count (a percentage rounds 199 of 200 up to 100%)."""
    out = figures.binned_outside(bins)
    k, inside = len(out), int((~out).sum())
    text = f"About 95% of the dots should lie in the band; here {inside} of {k} do"
    return text + (f" ({k - inside} in red outside it)." if inside < k else ".")


def effects_section(r: ReportContext) -> str:
    """Odds ratios and average marginal effects (each as the posterior computes them)."""
    post, d = r.post, r.post.design
    r.log("odds ratios and marginal effects")
    eff = "<h2 id='effects'>Odds ratios and average marginal effects</h2>"
    try:
        ors = post.odds_ratios()
        has_intercept = "Intercept" in ors.index
        # exp(Intercept) is the odds at the reference point, not a ratio of odds: say so
        ors = ors.rename(index={"Intercept": INTERCEPT_ODDS_LABEL})
        eff += table(ors, digits=3)
        eff += (
            "<p class='note'>Odds ratio exp(coefficient): every draw transformed, then summarised "
            "(mean, median, equal-tailed interval)."
            + (
                f" The row '{INTERCEPT_ODDS_LABEL}' is exp(Intercept): the odds of the event at the "
                "reference point (every predictor at 0 or its reference level), not a ratio."
                if has_intercept
                else ""
            )
            + "</p>"
        )
    except Exception as exc:  # noqa: BLE001
        eff += f"<p class='note'>Odds ratios not available: {html.escape(str(exc))}</p>"
    try:
        rows, subsampled = statistics.marginal_effect_rows(post)
        over = (
            f"a random subsample of {statistics.AME_ROWS:,} of the {d.n_obs:,} training rows (large data)"
            if subsampled
            else f"the {d.n_obs:,} training rows"
        )
        eff += table(post.marginal_effects(data=rows), digits=4)
        eff += (
            "<p class='note'>Average marginal effect on P(event) per data variable, averaged over "
            f"{over} for every draw: dP/dx for numbers, the change from the first level for "
            "factors.</p>"
        )
    except Exception as exc:  # noqa: BLE001
        eff += f"<p class='note'>Marginal effects not available: {html.escape(' '.join(str(exc).split()))}</p>"
    return eff


def conditional_section(r: ReportContext) -> str:
    """Conditional effects: the predicted probability against each predictor, the others held
    at their grid values (``bl.datagrid``), population level."""
    post, d = r.post, r.post.design
    r.log("conditional effects")
    out = "<h2 id='conditional'>Conditional effects</h2>"
    try:
        panels, total = statistics.conditional_effects(post, r.effects)
    except Exception as exc:  # noqa: BLE001
        return out + f"<p class='note'>Conditional effects not available: {html.escape(' '.join(str(exc).split()))}</p>"
    if not panels:
        return out + "<p class='note'>The formula has no predictor: no conditional effect to draw.</p>"
    prob = panels[0][2].attrs["ci_prob"]
    response = d.response if d.trials_name is None else f"event of {d.response}"
    ylabel = f"P({d.response} = 1)" if d.trials_name is None else f"P(event) of {d.response}"
    shown = "" if len(panels) == total else f" The first {len(panels)} of {total} predictors are drawn."
    groups = " Group effects are left out (population level)." if d.groups is not None else ""
    caption = (
        f"Conditional effects: the probability of the {html.escape(response)} against each predictor, every other "
        "variable held at its training mean (numbers) or most frequent level (factors), as bl.datagrid(post). "
        f"Line or dot: posterior mean; band or bar: {prob:.0%} equal-tailed posterior interval "
        f"(bl.predictions on a grid of {statistics.CONDITIONAL_POINTS} values over a numeric predictor's "
        f"range, or a factor's levels, at most {statistics.CONDITIONAL_MAX_LEVELS}).{groups}{shown}"
    )
    return out + figure(lambda: figures.conditional_effects_fig(panels, ylabel), "conditional effects", caption)


def prior_section(r: ReportContext) -> str:
    """Each coefficient's posterior density with its prior's; the prior predictive check (the
    event rate and the implied P(y=1) under the priors, :func:`bayeslogit.plot_prior_predictive`)."""
    r.log("prior vs posterior")
    out = "<h2 id='prior'>Prior vs posterior</h2>" + figure(
        lambda: figures.prior_posterior_fig(statistics.prior_posterior_draws(r.post)),
        "prior and posterior densities",
        "Shaded: posterior density (KDE, left axis), over the posterior's range; line: the prior "
        "density over the same range on its own axis (right, from 0 to the prior's peak): a line "
        "flat near the top means the prior is flat where the posterior is.",
    )
    r.log("prior predictive check")
    made: dict = {}

    def make():
        fig = plot_prior_predictive(r.post.model, random_seed=r.post.random_seed)
        made["table"] = fig.prior_predictive_table
        return fig

    out += "<h3 id='prior-predictive'>Prior predictive check</h3>" + figure(
        make,
        "prior predictive check",
        "What the priors imply before seeing y (500 prior draws of the coefficients; group "
        "effects left at 0). Left: the event rate of each prior draw over the training rows, with "
        "the observed rate (red); right: the implied P(y = 1) of every row under every draw. "
        "Priors that pile P(y = 1) up at 0 and 1 say that every row is all but certain before "
        "seeing the data.",
    )
    if "table" in made:
        out += table(made["table"], digits=3)
    return out


def ppc_section(r: ReportContext) -> str:
    """Posterior predictive checks: binned residuals and the event rate (overall, per level)."""
    post = r.post
    d = post.design
    n = d.n_obs
    out = "<h2 id='ppc'>Posterior predictive checks</h2>"
    r.log("posterior predictive checks")
    bins = statistics.binned_residuals(post)
    k = len(bins)
    note = fitted_draws_note(post)
    out += figure(
        lambda: figures.binned_residual_fig(bins),
        "binned residual plot",
        f"Binned residuals: the {n:,} rows sorted by fitted probability (posterior mean) and cut into "
        f"{k} bins of about {n / k:,.0f} rows; dot: the bin's observed event rate minus its mean fitted "
        f"probability; band: +-2 standard errors of that difference under the model. "
        + binned_inside_text(bins)
        + (f" Fitted probabilities: {note}." if note else ""),
    )
    ppc, rep, pnote = statistics.event_rate_ppc(post, seed=post.random_seed)
    out += figure(
        lambda: figures.event_rate_fig(ppc, rep),
        "event rate posterior predictive check",
        "Event rate, overall and per factor level: red dot, the observed rate; bars, the 50% and 95% "
        "intervals of the same rate in data sets replicated from the posterior (y_rep ~ "
        f"{d.response_family.label}(p), {pnote}). A dot outside its bar is a rate "
        "the model does not reproduce.",
    )
    out += table(ppc, digits=3)
    out += (
        "<p class='note'>P(rep >= obs): share of replicated data sets whose rate is at least the observed "
        "one; values near 0 or 1 flag a misfit. Replicates are made one row block at a time.</p>"
    )
    return out


def _calibration_caption(diag: Diagnostics, n: int) -> str:
    m = n if diag.loo_rows is None else diag.loo_rows.size
    rows = f"all {n:,} rows" if m == n else f"the {m:,} rows of the LOO subsample (of {n:,})"
    return (
        "Conditional event probability (isotonic/PAV fit of the outcome on the LOO predictive "
        f"probability) with a 95% consistency band from {statistics.CALIBRATION_REPLICATES} replicates; on the "
        f"diagonal means well calibrated. Drawn from {rows}."
    )


def _separation_caption(post) -> str:
    n = post.design.n_obs
    bins = statistics.separation_bins(n)
    text = "Separation plot: observations sorted by fitted probability; dark bars are events."
    if bins:
        text = (
            f"Separation plot: the {n:,} rows sorted by fitted probability and binned into {bins:,} "
            f"groups of about {n / bins:,.0f} rows; bar height: the group's event rate, line: its "
            "mean fitted probability."
        )
    note = fitted_draws_note(post)
    return text + (f" Fitted probabilities: {note}." if note else "")


def calibration_section(r: ReportContext) -> str:
    """The LOO-PAV calibration plot (0/1 data with LOO) and the separation plot."""
    post, diag, d = r.post, r.diag, r.post.design
    r.log("calibration and separation plots")
    cal = "<h2 id='calibration'>Calibration and separation</h2>"
    if d.response_family.binary and diag.loo is not None:
        cal += figure(
            lambda: figures.calibration_fig(statistics.calibration_curve(post, diag, post.random_seed)),
            "PAV calibration plot",
            _calibration_caption(diag, d.n_obs),
        )
    else:
        cal += (
            "<p class='note'>The PAV calibration plot is drawn for binary (0/1) outcomes with "
            "PSIS-LOO available; the miscalibration number above covers aggregated data.</p>"
        )
    cal += figure(
        lambda: figures.separation_fig(statistics.separation_rows(post)), "separation plot", _separation_caption(post)
    )
    return cal


def loo_section(r: ReportContext) -> str:
    """PSIS-LOO as the diagnostics computed it: estimates, Pareto k counts and plot."""
    diag = r.diag
    r.log("LOO")
    loo = "<h2 id='loo'>PSIS-LOO</h2>"
    if diag.loo is not None:
        loo += f"<p class='note'>Method: {html.escape(diag.loo_method)}.</p>"
        for frame in (diag.loo_frame(), diag.pareto_k_frame()):  # both present with LOO
            loo += table(frame) if frame is not None else ""
        loo += figure(
            lambda: figures.khat_fig(diag.loo.pareto_k.values, diag.loo.good_k),
            "Pareto k per observation",
            f"Pareto k per observation; dashed line: k = {float(diag.loo.good_k):.2f} (ArviZ's good_k "
            "for this number of draws): above it (red points), LOO is unreliable for that observation"
            + ("." if diag.loo_short == "exact" else f" ({diag.loo_short})."),
        )
    else:
        loo += "<p class='note'>PSIS-LOO not available (see the diagnostics above).</p>"
    return loo


def run_section(r: ReportContext) -> str:
    """Date, versions, data source, sampler settings, run time."""
    return "<h2 id='run'>Run information</h2>" + info_table(run_information(r.post, r.run_info))


SECTIONS: list[Section] = [
    Section("model", "Model", model_section),
    Section("comparison", "Comparison", comparison_section),
    Section("groups", "Group effects", group_section),
    Section("diagnostics", "Diagnostics", diagnostics_section),
    Section("oos", None, out_of_sample_section),
    Section("trace", "Trace", trace_section),
    Section("energy", None, energy_section),
    Section("pairs", "Pairs", pairs_section),
    Section("effects", "Effects", effects_section),
    Section("conditional", "Conditional effects", conditional_section),
    Section("prior", "Prior vs posterior", prior_section),
    Section("ppc", "Predictive checks", ppc_section),
    Section("calibration", "Calibration", calibration_section),
    Section("loo", "LOO", loo_section),
    Section("run", "Run", run_section),
]
"""The report's sections in page order; :func:`~bayeslogit.check.report.render_report` walks it."""
