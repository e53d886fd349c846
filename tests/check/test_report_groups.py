"""The report of a model with group terms: the group terms and their priors in the model
section, the sds/correlations table, the caterpillar plot (numbers recomputed from the raw
draws; many levels thinned and said so), and the same browser checks as every report."""

import base64
import io
import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.check import figures, sections, statistics
from bayeslogit.datasets import simulate_groups


@pytest.fixture(scope="module")
def gpost():
    df, _ = simulate_groups(25, (3, 40), random_seed=3)
    model = bl.LogitModel("y ~ x + (1 + x | g)", df)
    return model.sample(draws=300, tune=300, chains=2, random_seed=1, progressbar=False)


@pytest.fixture(scope="module")
def greport(gpost, tmp_path_factory):
    import warnings

    path = tmp_path_factory.mktemp("greport") / "groups.html"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the no-pooling / separation warnings of the point fits
        fits = (gpost.model.fit_mle(), gpost.model.fit_map())
    steps = []
    out = gpost.report(path, fits=fits, progress=steps.append)
    return out, out.read_text(encoding="utf-8"), steps


def _section(page, anchor):
    return page.split(f"id='{anchor}'")[1].split("<h2")[0]


def test_model_section_shows_group_terms_and_their_priors(gpost, greport):
    _, page, steps = greport
    model = _section(page, "model")
    assert "(1 + x | g): 25 levels" in model
    table = gpost.model.prior_summary()
    for row in ("sd(Intercept | g)", "sd(x | g)", "cor(g)"):
        assert f">{row}</th>" in model
    assert model.count("HalfStudentT(3, 2.5)") >= 2 and "LKJ(1)" in model
    assert list(table.loc[["sd(Intercept | g)", "sd(x | g)"], "prior"]) == ["HalfStudentT(3, 2.5)"] * 2
    assert "id='group-priors'" in model and "brms" in model
    assert "group effects" in steps and steps.index("group effects") < steps.index("diagnostics")


def test_group_section_table_matches_the_draws(gpost, greport):
    _, page, _ = greport
    assert "<a href='#groups'>Group effects</a>" in page
    sec = _section(page, "groups")
    post = gpost.idata.posterior
    sd = post["sd_g"].values.reshape(-1, 2)
    cor = post["cor_g"].values.reshape(-1, 2, 2)[:, 1, 0]
    for name, draws in (("sd(Intercept | g)", sd[:, 0]), ("sd(x | g)", sd[:, 1]), ("cor(Intercept, x | g)", cor)):
        row = sec.split(f">{name}</th>")[1].split("</tr>")[0]
        cells = re.findall(r"<td>([^<]*)</td>", row)
        assert float(cells[0]) == pytest.approx(draws.mean(), abs=6e-4), name
        assert float(cells[1]) == pytest.approx(draws.std(ddof=1), abs=6e-4), name
        assert float(cells[2]) == pytest.approx(np.quantile(draws, 0.025), abs=6e-4), name
        assert float(cells[3]) == pytest.approx(np.quantile(draws, 0.975), abs=6e-4), name


def test_caterpillar_draws_each_level_sorted_with_its_interval(gpost, greport):
    import matplotlib.image as mpimg

    _, page, _ = greport
    term = gpost.design.groups.terms[0]
    data = statistics.caterpillar_data(gpost, term)
    b = gpost.idata.posterior["b_g"].transpose("chain", "draw", "g__level", "g__coef").values.reshape(-1, 25, 2)
    for c, coef in enumerate(["Intercept", "x"]):
        d = data[coef]
        assert len(d) == 25 and d.attrs["levels"] == 25
        mean = b[:, :, c].mean(axis=0)
        order = np.argsort(mean, kind="mergesort")
        assert list(d["level"]) == [term.levels[j] for j in order]
        np.testing.assert_allclose(d["mean"], mean[order], rtol=1e-10)
        np.testing.assert_allclose(d["lower"], np.quantile(b[:, order, c], 0.025, axis=0), rtol=1e-10)
        np.testing.assert_allclose(d["upper"], np.quantile(b[:, order, c], 0.975, axis=0), rtol=1e-10)
        assert (np.diff(d["mean"]) >= 0).all()
    fig = figures.caterpillar_fig(statistics.caterpillar_data(gpost, term), term)
    ax0, ax1 = fig.axes
    assert [t.get_text() for t in ax0.get_yticklabels()] == list(data["Intercept"]["level"])
    np.testing.assert_allclose(ax1.collections[1].get_offsets()[:, 0], data["x"]["mean"])
    assert "log-odds per unit of x" in ax1.get_xlabel()
    sec = _section(page, "groups")
    m = re.search(
        r'<img alt="caterpillar plot of \(1 \+ x \| g\)" src="data:image/png;base64,([^"]+)">'
        r"<figcaption>([^<]*)</figcaption>",
        sec,
    )
    assert m, "caterpillar figure missing"
    assert "All 25 levels are drawn." in m.group(2) and "95% equal-tailed interval" in m.group(2)
    assert "sorted by posterior mean" in m.group(2)
    pixels = mpimg.imread(io.BytesIO(base64.b64decode(m.group(1))))[..., :3]
    assert pixels.shape[0] > 300 and (pixels.min(axis=-1) < 0.8).mean() > 0.01


def test_many_levels_are_thinned_and_the_caption_says_so():
    """300 levels: 60 evenly spaced ranks drawn (lowest and highest kept), names left off."""
    rng = np.random.default_rng(0)
    levels = [f"L{i:03d}" for i in range(300)]
    mean = rng.normal(size=300)
    eff = pd.DataFrame(
        {
            "term": "1 | school",
            "group": "school",
            "level": levels,
            "coef": "Intercept",
            "mean": mean,
            "sd": 0.3,
            "eti95_lb": mean - 0.6,
            "eti95_ub": mean + 0.6,
        }
    )
    post = SimpleNamespace(group_effects=lambda: eff)
    term = SimpleNamespace(label="1 | school", coef_names=["Intercept"], group_name="school", correlated=True)
    d = statistics.caterpillar_data(post, term)["Intercept"]
    assert len(d) == statistics.CATERPILLAR_MAX_LEVELS == 60 and d.attrs["levels"] == 300
    assert d["rank"].iloc[0] == 0 and d["rank"].iloc[-1] == 299
    assert d["mean"].iloc[0] == mean.min() and d["mean"].iloc[-1] == mean.max()
    assert np.ptp(np.diff(d["rank"])) <= 1  # evenly spaced ranks
    np.testing.assert_allclose(d["mean"], np.sort(mean)[d["rank"]])
    caption = sections._caterpillar_caption(statistics.caterpillar_data(post, term), term)
    assert "60 of the 300 levels are drawn" in caption and "names are left off" in caption
    fig = figures.caterpillar_fig(statistics.caterpillar_data(post, term), term)
    assert fig.axes[0].get_yticklabels() == [] and "60 of 300 levels" in fig.axes[0].get_title()


def test_group_report_renders_in_headless_chromium(greport, tmp_path):
    from test_report import _check_in_chromium, _chromium

    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium not found (see test_report.py::test_report_renders_in_headless_chromium)")
    path, page, _ = greport
    _check_in_chromium(browser, path, page, tmp_path)


def test_a_report_without_group_terms_has_no_group_section(seed_df, tmp_path):
    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=100, tune=100, chains=2, random_seed=2, progressbar=False)
    page = post.report(tmp_path / "plain.html", progress=False).read_text()
    assert "id='groups'" not in page and "Group effects" not in page and "group-priors" not in page
    assert "caterpillar" not in page
    nav = re.search(r"<nav>(.*?)</nav>", page).group(1)
    assert re.findall(r"href='#(\w+)'", nav) == [
        "model",
        "comparison",
        "diagnostics",
        "trace",
        "pairs",
        "effects",
        "conditional",
        "prior",
        "ppc",
        "calibration",
        "loo",
        "run",
    ]


def test_conditional_effects_of_a_group_model_are_population_level(gpost, greport):
    from scipy.special import expit

    stats = statistics
    section = _section(greport[1], "conditional")
    assert 'alt="conditional effects"' in section and "Group effects are left out (population level)." in section
    panels, total = stats.conditional_effects(gpost)
    assert total == 1 and [(n, k) for n, k, _ in panels] == [("x", "numeric")]  # g is a group, not a predictor
    t = panels[0][2]
    c = dict(zip(gpost.coef_names, gpost.draws().T))
    p = expit(c["Intercept"][None, :] + np.outer(t["x"], c["x"]))  # no group part
    np.testing.assert_allclose(t["estimate"], p.mean(axis=1), rtol=1e-10)
    np.testing.assert_allclose(t["conf_high"], np.quantile(p, 0.975, axis=1), rtol=1e-10)


def test_comparison_shows_the_glmm_mle_and_its_group_sds(gpost, greport):
    """fit_mle() of the group model is the GLMM (glmer's) MLE: its coefficients and its group
    sd sit next to the posterior's in the comparison section."""
    _, page, _ = greport
    comparison = _section(page, "comparison")
    assert "MLE (GLMM, Laplace)" in comparison and "Group sds and correlations" in comparison
    sd = gpost.model.fit_mle().group_summary()["estimate"].iloc[0]
    assert f"{sd:.3f}" in comparison.split("Group sds and correlations")[1]
