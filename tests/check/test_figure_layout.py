"""Issue 26, "Figures and messages": legends off the data, the prior-vs-posterior panels on the
posterior's scale, the caption's count agreeing with the dots, the odds-ratio table's baseline
odds, the diagnostics' printed width."""

import os

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.check import figures, sections, statistics


@pytest.fixture(scope="module")
def post(seed_df):
    return bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=300, chains=2, random_seed=5, progressbar=False)


def _draw(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    if os.environ.get("BAYESLOGIT_FIG_DIR"):  # to look at them
        fig.savefig(os.path.join(os.environ["BAYESLOGIT_FIG_DIR"], f"{id(fig)}.png"), dpi=90)
    return canvas.get_renderer()


def _legends(fig):
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]


def _points_px(ax):
    """Display coordinates of every scatter point drawn on ``ax``."""
    pts = [c.get_offsets() for c in ax.collections if hasattr(c, "get_offsets") and len(c.get_offsets())]
    pts = [p for p in pts if np.asarray(p).ndim == 2 and np.asarray(p).shape[1] == 2]
    return ax.transData.transform(np.vstack(pts)) if pts else np.zeros((0, 2))


def _binned_table(k=200, outside=1):
    rng = np.random.default_rng(0)
    fitted = np.sort(rng.uniform(0.02, 0.98, k))
    se = np.full(k, 0.05)
    resid = rng.uniform(-1.5, 1.5, k) * se
    resid[np.arange(outside) * 7 + 3] = 3 * se[0]
    return pd.DataFrame({"rows": 10, "fitted": fitted, "observed": fitted + resid, "residual": resid, "se": se})


def test_binned_residual_legend_is_outside_the_axes_and_caption_counts_the_dots(post):
    for table in (statistics.binned_residuals(post), _binned_table()):
        fig = figures.binned_residual_fig(table)
        r = _draw(fig)
        ax = fig.axes[0]
        area = ax.get_window_extent(r)
        for leg in _legends(fig):
            box = leg.get_window_extent(r)
            assert not box.overlaps(area), "the legend sits on the data area"
        red = [c for c in ax.collections if np.allclose(c.get_facecolor()[0][:3], (0x8C / 255, 0x1D / 255, 0x13 / 255))]
        n_red = sum(len(c.get_offsets()) for c in red)
        assert n_red == int(figures.binned_outside(table).sum())
    # 199 of 200 inside: a percentage printed "100%" beside a red dot
    text = sections.binned_inside_text(_binned_table(200, 1))
    assert "199 of 200" in text and "100%" not in text and "1 in red" in text
    assert "2 of 2 do." in sections.binned_inside_text(_binned_table(2, 0))


def test_prior_posterior_panels_span_the_posterior_and_keep_legends_off_it(post):
    panels = statistics.prior_posterior_draws(post)
    fig = figures.prior_posterior_fig(panels)
    r = _draw(fig)
    data_axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_ylabel() == "density"]
    assert len(data_axes) == len(panels)
    for ax, (label, x, prior) in zip(data_axes, panels):
        lo, hi = np.quantile(x, [0.001, 0.999])
        xlo, xhi = ax.get_xlim()
        # the posterior fills the panel: not a spike on a prior's typical range
        assert (hi - lo) / (xhi - xlo) > 0.5, (label, (lo, hi), (xlo, xhi))
        assert str(prior.family) in ax.get_title()
    assert all(ax.get_legend() is None for ax in fig.axes)
    for leg in fig.legends:
        box = leg.get_window_extent(r)
        assert not any(box.overlaps(ax.get_window_extent(r)) for ax in data_axes)
    # the prior drawn on its own axis, scaled to its peak: visible, not a flat line at zero
    twins = [ax for ax in fig.axes if ax not in data_axes and ax.get_visible()]
    assert len(twins) == len(panels)
    for tw in twins:
        (line,) = tw.get_lines()
        assert np.max(line.get_ydata()) > 0.05 * tw.get_ylim()[1]


def test_plot_compare_legend_clears_the_x_label_and_the_points(seed_df):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    fig = bl.plot_compare(m.fit_mle(), m.fit_map(priors=bl.Normal(0, 1)))  # the default size for two fits
    try:
        r = _draw(fig)
        ax = fig.axes[0]
        leg = ax.get_legend().get_window_extent(r)
        label = ax.xaxis.label.get_window_extent(r)
        ticks = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
        assert not leg.overlaps(label)
        assert not any(leg.overlaps(t) for t in ticks)
        assert not leg.overlaps(ax.get_window_extent(r))
        fb = fig.bbox
        assert fb.x0 - 1 <= leg.x0 and leg.x1 <= fb.x1 + 1 and fb.y0 - 1 <= leg.y0 and leg.y1 <= fb.y1 + 1
    finally:
        plt.close(fig)


def test_report_calls_the_intercept_the_baseline_odds(post, tmp_path):
    from bayeslogit.check.sections import ReportContext, effects_section

    html = effects_section(ReportContext(post))
    table = html.split("<p class='note'>")[0]
    assert "Intercept (baseline odds)" in table
    assert ">Intercept<" not in table
    assert "not a ratio" in html


def test_printed_diagnostics_fit_100_columns(post, seed_df):
    import warnings

    from bayeslogit.check.diagnostics import TEXT_WIDTH

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=30, tune=5, chains=1, random_seed=1, progressbar=False)
    for diag in (post.diagnostics(), bad.diagnostics()):
        text = str(diag)
        assert TEXT_WIDTH == 100
        assert max(len(line) for line in text.splitlines()) <= 100, text
        assert repr(diag) == text
        # the details are still there, under the table
        for c in diag.checks:
            if c.detail:
                assert " ".join(f"{c.name}: {c.detail}".split()) in " ".join(text.split())
    assert "increase draws" in str(bad.diagnostics())


def test_report_has_the_prior_predictive_check(post):
    from bayeslogit.check.sections import ReportContext, prior_section
    from bayeslogit.interpret.prior_plots import prior_predictive_rates

    html = prior_section(ReportContext(post))
    assert "Prior predictive check" in html and html.count("<img") == 2
    observed = prior_predictive_rates(post, 20, random_seed=1)["observed"]
    assert f"{observed:.3f}" in html.split("Prior predictive check")[1]
    assert "on the same scale" not in html
