"""The HTML report: self-contained, every section present, numbers as computed, renders in Chromium."""

import base64
import contextlib
import io
import os
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.errors import ArgumentError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def post(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", data=seed_df)
    return model.sample(draws=400, tune=400, chains=2, random_seed=5, progressbar=False)


@pytest.fixture(scope="module")
def report(post, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        out = post.report(path)  # progress=True: one status line per step on stderr
    return out, out.read_text(encoding="utf-8"), err.getvalue().splitlines()


def _images(page):
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


def test_report_is_one_self_contained_file(report):
    path, page, _ = report
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing fetched: no URLs, no external scripts/styles/fonts, every src is inline data
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", page)
    assert not re.search(r"(?i)(https?|ftp|file):|//[a-z0-9]", text)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    srcs = re.findall(r'\bsrc="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(h.startswith("#") for h in re.findall(r"\bhref=['\"]([^'\"]*)", page))


def test_every_figure_is_a_nonblank_png(report):
    import matplotlib.image as mpimg

    _, page, _ = report
    imgs = _images(page)
    alts = [a for a, _ in imgs]
    for wanted in (
        "trace plots",
        "rank plots",
        "prior and posterior densities",
        "PAV calibration plot",
        "separation plot",
        "Pareto k per observation",
        "energy plot",
        "pair plot",
        "binned residual plot",
        "event rate posterior predictive check",
    ):
        assert wanted in alts
    for alt, data in imgs:
        raw = base64.b64decode(data)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n", alt
        pixels = mpimg.imread(io.BytesIO(raw))[..., :3]
        assert pixels.shape[0] > 100 and pixels.shape[1] > 200, alt
        assert (pixels.min(axis=-1) < 0.8).mean() > 0.01, f"{alt} is (nearly) blank"


def test_sections_and_numbers_match_the_fit(post, report):
    _, page, lines = report
    for heading in (
        "Model",
        "Priors",
        "Posterior next to the point estimates",
        "Diagnostics",
        "Trace and rank plots",
        "Prior vs posterior",
        "Calibration and separation",
        "PSIS-LOO",
        "Energy",
        "Coefficient pairs",
        "Odds ratios and average marginal effects",
        "Posterior predictive checks",
        "Run information",
        "In sample vs out of sample (PSIS-LOO)",
    ):
        assert f">{heading}</h" in page
    assert "y ~ x1 + x2" in page and "y = 1 is the event" in page and "<td class='text'>500</td>" in page
    for prior in post.model.prior_summary()["prior"]:
        assert prior in page
    table = post.coef_table()
    for name in post.coef_names:
        assert f"{table.loc[name, 'mean']:.3f}" in page
        assert f"{table.loc[name, 'eti95_lb']:.3f}" in page
    diag = post.diagnostics()
    assert f"{diag.loo.elpd:.3f}" in page and f"{diag.loo.p:.3f}" in page
    assert f"{diag.fit.brier:.4f}" in page and f"{diag.fit.auc:.4f}" in page
    assert "All convergence checks pass." in page and "class='FAIL'" not in page
    steps = [line.split("] ", 1)[1] for line in lines]
    assert steps[:5] == [
        "model and priors",
        "diagnostics",
        "in-sample and out-of-sample fit quality",
        "trace and rank plots",
        "energy plot",
    ]
    assert all(line.startswith("[report") for line in lines) and "wrote" in lines[-1]


def test_failing_fit_shows_verdicts_and_suggestions(seed_df, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = bl.LogitModel("y ~ x1 + x2", data=seed_df).sample(
            draws=30, tune=5, chains=1, random_seed=1, progressbar=False
        )
        capsys.readouterr()
        steps = []
        page = bad.report(tmp_path / "bad.html", progress=steps.append).read_text()
    assert capsys.readouterr().err == ""  # a callable gets the status lines instead of stderr
    assert steps[0] == "model and priors" and steps[-1].startswith("wrote ")
    assert "Rank plots need at least 2 chains" in page
    assert "check(s) failed" in page and "<td class='FAIL'>FAIL</td>" in page
    assert "What to do" in page and "increase draws" in page


def test_bad_path_and_mismatched_fits_raise(post, tmp_path, seed_df):
    with pytest.raises(ArgumentError, match="does not exist"):
        post.report(tmp_path / "no" / "such" / "r.html", progress=False)


def _chromium():
    env = os.environ.get("BAYESLOGIT_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


_PROBE = """<script>
window.addEventListener('error', e => document.documentElement.setAttribute('data-js-error', String(e.message)));
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.documentElement.setAttribute('data-images', ok + '/' + imgs.length);
  console.log('bayeslogit-probe images ' + ok + '/' + imgs.length);
});
</script>"""


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip(
            "Chromium not found: `make test` installs Debian's `chromium` (needs root and apt-get); "
            "set BAYESLOGIT_CHROMIUM to a Chromium binary to run this test"
        )
    path, page, _ = report
    _check_in_chromium(browser, path, page, tmp_path)


def _check_in_chromium(browser, path, page, tmp_path):
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    # 1. the report itself (unmodified) as a screenshot
    shot = tmp_path / "report.png"
    subprocess.run(
        flags + ["--window-size=1200,2400", f"--screenshot={shot}", path.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    dark = (pixels.min(axis=-1) < 0.5).mean()
    assert dark > 0.005, f"screenshot is (nearly) blank: {dark:.4f} of pixels dark"
    assert pixels.std() > 0.05
    # 2. a copy with a probe script: every image decoded, no script errors, no console errors
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    res = subprocess.run(
        flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", probe.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    n_img = len(_images(page))
    assert f'data-images="{n_img}/{n_img}"' in res.stdout
    assert "data-js-error=" not in res.stdout
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console and all("bayeslogit-probe images" in line for line in console), console
    # 3. layout: the boxes of every heading, table, figure, image, caption and paragraph, compared
    # pairwise in the browser: no two in-flow blocks overlap, nothing sticks out of the page
    boxes = tmp_path / "boxes.html"
    boxes.write_text(page.replace("</body>", _BOXES + "</body>"), encoding="utf-8")
    res = subprocess.run(
        flags + ["--window-size=1200,900", "--virtual-time-budget=10000", "--dump-dom", boxes.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'data-layout="([^"]*)"', res.stdout)
    assert m, "layout probe did not run"
    checked, problems = m.group(1).split("|", 1)
    assert int(checked) >= 30, checked  # the probe measured the page's blocks
    assert problems == "", problems.replace("&gt;", ">")


_BOXES = """<script>
window.addEventListener('load', () => {
  const main = document.querySelector('main').getBoundingClientRect();
  const sel = 'main > h1, main > h2, main > h3, main > nav, main > p, main > table, main > div, main > ul, main > figure';
  const els = Array.from(document.querySelectorAll(sel));
  const bad = [];
  const name = e => e.tagName + (e.id ? '#' + e.id : '') + ':' + (e.textContent || e.alt || '').trim().slice(0, 30);
  for (let i = 0; i < els.length; i++) {
    const a = els[i].getBoundingClientRect();
    if (a.right > main.right + 0.5 || a.left < main.left - 0.5) bad.push('outside the page: ' + name(els[i]));
    if (i > 0) {
      const b = els[i - 1].getBoundingClientRect();
      if (a.top < b.bottom - 0.5) bad.push('overlap: ' + name(els[i - 1]) + ' / ' + name(els[i]));
    }
  }
  for (const f of document.querySelectorAll('figure')) {
    const img = f.querySelector('img'), cap = f.querySelector('figcaption');
    const r = img.getBoundingClientRect();
    if (r.width < 100 || r.height < 50) bad.push('image too small: ' + img.alt);
    if (r.right > main.right + 0.5) bad.push('image outside the page: ' + img.alt);
    if (cap && cap.getBoundingClientRect().top < r.bottom - 0.5) bad.push('caption over image: ' + img.alt);
  }
  document.documentElement.setAttribute('data-layout', els.length + '|' + bad.join('; '));
});
</script>"""


def test_new_sections_match_independent_computations(post, report, seed_df):
    """Binned residuals, event rate, pair correlations, odds ratios, in/out-of-sample scores and
    the default prior note, each recomputed here from the draws with numpy / scikit-learn."""
    from scipy.special import expit
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from bayeslogit.check import statistics as stats
    from bayeslogit.summary import significant

    _, page, _ = report
    B = post.draws()
    X = np.column_stack([np.ones(len(seed_df)), seed_df["x1"], seed_df["x2"]])
    y = seed_df["y"].to_numpy(dtype=float)
    p = expit(X @ B.T).mean(axis=1)  # posterior-mean probability, the whole array (small data)
    bins = stats.binned_residuals(post)
    order = np.argsort(p, kind="mergesort")
    groups = np.array_split(order, stats.residual_bins(len(y)))
    assert len(bins) == len(groups) == 22  # about sqrt(500)
    np.testing.assert_allclose(bins["observed"], [y[g].mean() for g in groups], atol=1e-12)
    np.testing.assert_allclose(bins["fitted"], [p[g].mean() for g in groups], rtol=1e-9)
    np.testing.assert_allclose(bins["se"], [np.sqrt(np.sum(p[g] * (1 - p[g]))) / len(g) for g in groups], rtol=1e-9)
    # event rate: observed is the data's; predicted is E[mean_i p_i] up to replicate noise
    table, reps, note = stats.event_rate_ppc(post, seed=1)
    assert list(table.index) == ["overall"] and "from 500 evenly spaced of the 800 draws" in note
    assert table.loc["overall", "observed"] == pytest.approx(y.mean(), abs=1e-12)
    noise = np.sqrt(y.mean() * (1 - y.mean()) / len(y)) / np.sqrt(reps.shape[1])
    assert table.loc["overall", "predicted"] == pytest.approx(expit(X @ B.T).mean(), abs=4 * noise + 1e-3)
    assert table.loc["overall", "2.5%"] < y.mean() < table.loc["overall", "97.5%"]
    assert f"{table.loc['overall', 'observed']:.3f}" in page
    # pair plot's correlation table
    corr = np.corrcoef(B, rowvar=False)
    assert f"{corr[0, 1]:.2f}" in page.split("id='pairs'")[1].split("<h2")[0]
    # odds ratios: every draw transformed, then averaged
    ors = post.odds_ratios()
    np.testing.assert_allclose(ors["mean"], np.exp(B).mean(axis=0), rtol=1e-10)
    assert f"{ors.loc['x1', 'mean']:.3f}" in page
    # in sample vs PSIS-LOO, on every row (exact LOO)
    oos = stats.loo_fit_quality(post, post.diagnostics())
    assert oos.loc["Brier score", "in sample"] == pytest.approx(brier_score_loss(y, p), rel=1e-9)
    assert oos.loc["AUC", "in sample"] == pytest.approx(roc_auc_score(y, p), rel=1e-9)
    assert oos.loc["log score (mean)", "out of sample (PSIS-LOO)"] == pytest.approx(
        post.diagnostics().loo.elpd / len(y), rel=1e-9
    )
    assert oos.loc["log score (mean)", "out of sample (PSIS-LOO)"] < oos.loc["log score (mean)", "in sample"]
    # where the default prior scales come from: 2.5 / sd(x) with R's sd() (n - 1)
    sd = float(np.std(seed_df["x1"], ddof=1))
    assert f"x1: 2.5 / {sd:.5g} = {2.5 / sd:.6g}" in page
    assert str(post.model.priors.priors["x1"]) == f"Normal(0, {2.5 / sd:.6g})"
    # MCSE never printed as 0.000: two significant digits
    per_coef = post.diagnostics().per_coef
    for v in per_coef["mcse_mean"]:
        assert f"<td>{significant(v)}</td>" in page and float(significant(v)) > 0
    # energy: E-BFMI per chain as ArviZ computes it
    import arviz as az

    bfmi = np.asarray(az.bfmi(post.idata)["energy"].values).ravel()
    np.testing.assert_allclose(stats.energy_stats(post)[2], bfmi, rtol=1e-6)
    assert "E-BFMI per chain: " + ", ".join(f"{v:.2f}" for v in post.diagnostics().bfmi) in page
    # run information
    run = page.split("id='run'")[1]
    for text in ("Report written:", "Data source:", "Sampler settings:", "numpy ", "arviz ", "2 chains x 400 draws"):
        assert text in run, text


def test_default_prior_note_with_weights_reads_the_priors_numbers(seed_df):
    """With weights=, the default slopes are scaled by the sd of the weights-expanded data; the
    note giving those numbers used to vanish (the report recomputed an unweighted sd, which
    did not match the prior). It now reads them from the resolved priors: sd = 2.5 / sigma."""
    from bayeslogit.check.report import render_report

    w = np.random.default_rng(0).integers(1, 4, len(seed_df))
    df = seed_df.assign(w=w)
    post = bl.LogitModel("y ~ x1 + x2", df, weights="w").sample(
        draws=100, tune=100, chains=2, random_seed=1, progressbar=False
    )
    page = render_report(post)
    note = page.split("id='prior-scale'>")[1].split("</p>")[0]
    for col in ("x1", "x2"):
        x = df[col].to_numpy()
        sd = np.std(np.repeat(x, w), ddof=1)  # the expanded data's sample sd, not np.std(x, ddof=1)
        assert abs(sd / np.std(x, ddof=1) - 1) > 1e-3
        assert f"{col}: 2.5 / {sd:.5g} = {2.5 / sd:.6g}" in note
        assert str(post.model.priors.priors[col]) == f"Normal(0, {2.5 / sd:.6g})"
    assert "each row counted as often as its weight" in note


def test_default_prior_note_leaves_out_a_constant_column(seed_df):
    """Without an intercept, one constant column keeps the unscaled Normal(0, 2.5): no sd to give."""
    from bayeslogit.check.sections import default_prior_note

    fit = bl.LogitModel("y ~ 0 + c + x1", seed_df.assign(c=3.0)).fit_map()
    assert str(fit.model.priors.priors["c"]) == "Normal(0, 2.5)"
    note = default_prior_note(fit)
    assert "x1: 2.5 / " in note and "c: " not in note


def test_rank_histograms_count_pooled_ranks(post):
    from scipy.stats import binom, rankdata

    from bayeslogit.check import statistics as stats

    counts = stats.rank_counts(post)
    beta = post.idata.posterior["beta"].transpose("chain", "draw", "coef").values
    assert counts.shape == (3, 2, stats.RANK_BINS) and (counts.sum(axis=2) == 400).all()
    r = rankdata(beta[:, :, 1].ravel()).reshape(2, 400)  # x1
    expected = np.histogram(r[0], bins=np.linspace(1, 801, stats.RANK_BINS + 1))[0]
    np.testing.assert_array_equal(counts[1, 0], expected)
    assert stats.rank_band(post) == tuple(binom.ppf([0.025, 0.975], 400, 1 / stats.RANK_BINS))


@pytest.fixture(scope="module")
def post7():
    """Seven coefficients (a 3-level factor and two noise columns): many panels."""
    from bayeslogit.datasets import simulate_seed

    rng = np.random.default_rng(0)
    df = simulate_seed(300, random_seed=3, n_noise=2)
    df["g"] = rng.choice(["a", "b", "c"], size=len(df))
    return bl.LogitModel("y ~ x1 + x2 + z1 + z2 + C(g)", df).sample(
        draws=200, tune=200, chains=4, random_seed=1, progressbar=False
    ), df


def _text_boxes(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    r = canvas.get_renderer()
    out = []
    for k, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        if not ax.axison:  # axis("off"): only its texts are drawn
            out += [(k, t.get_text(), t.get_window_extent(r)) for t in ax.texts]
            continue
        # ticks in view, of the axes drawn (a twin's x-axis is hidden)
        drawn = [t.label1 for axis in (ax.xaxis, ax.yaxis) if axis.get_visible() for t in axis._update_ticks()]
        labels = [axis.label for axis in (ax.xaxis, ax.yaxis) if axis.get_visible()]
        texts = [ax.title, ax._left_title, *labels, *drawn]
        out += [(k, t.get_text(), t.get_window_extent(r)) for t in texts if t.get_text() and t.get_visible()]
    return out


def _rank_fig(post):
    from bayeslogit.check import figures, statistics

    return figures.rank_fig(statistics.rank_counts(post), statistics.rank_band(post), post.n_draws, post.coef_names)


def _trace_fig(post):
    from bayeslogit.check import figures, statistics

    return figures.trace_fig(statistics.chain_draws(post), post.coef_names)


def _prior_posterior_fig(post):
    from bayeslogit.check import figures, statistics

    return figures.prior_posterior_fig(statistics.prior_posterior_draws(post))


def _pair_fig(post):
    from bayeslogit.check import figures, statistics

    return figures.pair_fig(*statistics.pair_draws(post))


@pytest.mark.parametrize("which", ["_rank_fig", "_trace_fig", "_prior_posterior_fig", "_pair_fig"])
def test_panel_titles_and_labels_do_not_overlap_with_many_coefficients(post7, which):
    fig = globals()[which](post7[0])
    boxes = _text_boxes(fig)
    titles = [(k, s, b) for k, s, b in boxes if b is not None]
    clashes = [
        (s1, s2)
        for i, (k1, s1, b1) in enumerate(titles)
        for k2, s2, b2 in titles[i + 1 :]
        if k1 != k2 and b1.overlaps(b2) and b1.width > 0 and b2.width > 0
    ]
    assert not clashes, clashes[:5]


def test_factor_levels_in_the_event_rate_check(post7):
    from bayeslogit.check import statistics as stats

    post, df = post7
    table, reps, _ = stats.event_rate_ppc(post, seed=2)
    assert list(table.index) == ["overall", "g = a", "g = b", "g = c"]
    observed = df.groupby("g")["y"].mean()
    for level in "abc":
        assert table.loc[f"g = {level}", "observed"] == pytest.approx(observed[level], abs=1e-12)
        assert table.loc[f"g = {level}", "rows"] == (df["g"] == level).sum()
    assert reps.shape == (4, 500)


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_report_with_seven_coefficients_renders_in_chromium(post7, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium not found (see test_report_renders_in_headless_chromium)")
    post, _ = post7
    path = post.report(tmp_path / "r7.html", fits=(post.model.fit_mle(), post.model.fit_map()), progress=False)
    _check_in_chromium(browser, path, path.read_text(encoding="utf-8"), tmp_path)


def test_conditional_effects_section(post, report, seed_df):
    """One panel per predictor, the others at their datagrid values: numbers by hand from the
    draws, the figure's lines and bands the table's, the section with its figure and caption."""
    import matplotlib

    matplotlib.use("Agg")
    from scipy.special import expit

    from bayeslogit.check import figures
    from bayeslogit.check import statistics as stats

    _, page, lines = report
    section = page.split("id='conditional'")[1].split("<h2")[0]
    assert ">Conditional effects</h2>" in page and "href='#conditional'" in page.replace('"', "'")
    assert 'alt="conditional effects"' in section
    assert "every other variable held at its training mean" in section and "95% equal-tailed" in section
    assert any(line.endswith("conditional effects") for line in lines)
    panels, total = stats.conditional_effects(post)
    assert total == 2 and [(n, k) for n, k, _ in panels] == [("x1", "numeric"), ("x2", "numeric")]
    B = post.draws()
    for name, other in (("x1", "x2"), ("x2", "x1")):
        t = dict((n, tab) for n, _, tab in panels)[name]
        x = np.linspace(seed_df[name].min(), seed_df[name].max(), stats.CONDITIONAL_POINTS)
        np.testing.assert_allclose(t[name], x, rtol=1e-12)
        np.testing.assert_allclose(t[other], seed_df[other].mean(), rtol=1e-12)
        cols = {name: x, other: np.full_like(x, seed_df[other].mean())}
        X = np.column_stack([np.ones_like(x), cols["x1"], cols["x2"]])
        p = expit(X @ B.T)  # (grid, draws)
        np.testing.assert_allclose(t["estimate"], p.mean(axis=1), rtol=1e-10)
        np.testing.assert_allclose(t["conf_low"], np.quantile(p, 0.025, axis=1), rtol=1e-10)
        np.testing.assert_allclose(t["conf_high"], np.quantile(p, 0.975, axis=1), rtol=1e-10)
    fig = figures.conditional_effects_fig(panels, "P(y = 1)")
    axes = [a for a in fig.axes if a.get_visible()]
    assert [a.get_xlabel() for a in axes] == ["x1", "x2"] and axes[0].get_ylabel() == "P(y = 1)"
    for ax, (name, _, t) in zip(axes, panels):
        np.testing.assert_allclose(ax.lines[0].get_ydata(), t["estimate"], rtol=1e-12)
        v = ax.collections[0].get_paths()[0].vertices
        n = len(t)
        low = {round(a, 9) for a, b in v if np.isclose(b, np.interp(a, t[name], t["conf_low"]), rtol=1e-9)}
        high = {round(a, 9) for a, b in v if np.isclose(b, np.interp(a, t[name], t["conf_high"]), rtol=1e-9)}
        assert len(low) == len(high) == n


def test_conditional_effects_factor_and_bounded(seed_df):
    """A factor gets its levels (dots, error bars); a large data set still a 50-point grid."""
    import matplotlib

    matplotlib.use("Agg")
    from bayeslogit.check import figures
    from bayeslogit.check import statistics as stats

    rng = np.random.default_rng(3)
    df = seed_df.assign(g=rng.choice(["lo", "mid", "hi"], len(seed_df)))
    post = bl.LogitModel("y ~ x1 + g", df).sample(draws=100, tune=100, chains=1, random_seed=2, progressbar=False)
    panels, _ = stats.conditional_effects(post)
    (x1, kx, tx), (g, kg, tg) = panels
    assert (x1, kx, len(tx)) == ("x1", "numeric", stats.CONDITIONAL_POINTS)
    assert (g, kg) == ("g", "factor") and sorted(tg["g"]) == ["hi", "lo", "mid"]
    ref = bl.predictions(post, bl.datagrid(post, g=list(tg["g"])))
    np.testing.assert_allclose(tg["estimate"], ref["estimate"], rtol=1e-12)
    fig = figures.conditional_effects_fig(panels, "P(y = 1)")
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == list(tg["g"])
