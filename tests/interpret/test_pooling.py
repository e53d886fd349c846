"""The pooling figure's numbers: complete, no and partial pooling per level, each recomputed
here independently (closed-form logits, statsmodels per group, the raw posterior arrays)."""

import warnings

import matplotlib
import numpy as np
import pytest
from scipy.special import logit

import bayeslogit as bl
from bayeslogit.datasets import bugs_seeds, simulate_groups
from bayeslogit.errors import ArgumentError

matplotlib.use("Agg")


def _quiet(f, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the no-pooling MLE warns about its separated levels
        return f(*a, **kw)


@pytest.fixture(scope="module")
def seeds_post():
    """Seeds, intercept only: plate 16 has 0 of 4 seeds germinated (its own MLE is -inf)."""
    m = bl.LogitModel("r ~ 1 + (1 | plate)", bugs_seeds(), trials="n")
    return m.sample(draws=250, tune=300, chains=2, random_seed=3, progressbar=False)


@pytest.fixture(scope="module")
def slopes_post():
    df, _ = simulate_groups(12, (2, 40), random_seed=3)  # 3 levels separated, 1 of them all 0 or all 1
    post = bl.LogitModel("y ~ x + (1 + x | g)", df).sample(
        draws=250, tune=300, chains=2, random_seed=2, progressbar=False
    )
    return post, df


def test_intercepts_against_closed_form_logits(seeds_post):
    post = seeds_post
    df = bugs_seeds()
    table = _quiet(bl.pooling_table, post)
    assert table.index.name == "plate" and list(table.index) == [str(p) for p in df["plate"]]
    np.testing.assert_array_equal(table["n"], df["n"])
    np.testing.assert_array_equal(table["events"], df["r"])
    # complete pooling: one logit of the pooled rate; no pooling: the logit of each plate's own rate
    assert table["complete"].unique() == pytest.approx([logit(df["r"].sum() / df["n"].sum())], abs=1e-6)
    own = df["r"] / df["n"]
    sep = (df["r"] == 0) | (df["r"] == df["n"])
    assert table["separated"].tolist() == sep.tolist() and sep.sum() == 1  # plate 16: 0 of 4
    np.testing.assert_allclose(table["none"][~sep.to_numpy()], logit(own[~sep]), atol=1e-5)
    assert table.loc["16", "none"] == -np.inf and np.isnan(table.loc["16", "none_lb"])
    ok = ~sep.to_numpy()
    assert table["none_lb"].isna().all()  # the no-pooling MLE does not exist: no Wald intervals
    # partial pooling: beta + b per draw, straight from the posterior arrays
    b = post.idata.posterior["b_plate"].values[..., 0]  # (chain, draw, level)
    a = post.idata.posterior["beta"].sel(coef="Intercept").values
    draws = (a[..., None] + b).reshape(-1, b.shape[-1])
    np.testing.assert_allclose(table["partial"], draws.mean(axis=0), rtol=1e-10)
    np.testing.assert_allclose(table["partial_lb"], np.quantile(draws, 0.025, axis=0), rtol=1e-10)
    assert table["population"].iloc[0] == pytest.approx(a.mean(), rel=1e-12)
    # shrinkage: every plate's posterior mean lies between its own logit and the population mean
    pop = table["population"].iloc[0]
    between = (table["partial"] - pop) * (table["none"] - pop)
    assert (between[ok] >= 0).all()
    # (within 4 Monte Carlo errors: plates 12 and 19 have an own logit of 0, 0.03 from the
    # population mean, as close as the partial-pooling mean's Monte Carlo error at 500 draws)
    import arviz_stats

    mcse = arviz_stats.mcse(draws.reshape(b.shape), method="mean")  # (chain, draw, level) -> level
    assert (np.abs(table["partial"] - pop) <= np.abs(table["none"] - pop) + 4 * mcse)[ok].all()


def test_wald_intervals_when_no_level_is_separated():
    df = bugs_seeds().query("plate != 16")  # the one plate with 0 of 4 germinated left out
    post = bl.LogitModel("r ~ 1 + (1 | plate)", df, trials="n").sample(
        draws=100, tune=200, chains=1, random_seed=1, progressbar=False
    )
    table = bl.pooling_table(post, ci_prob=0.9)
    own = df["r"].to_numpy() / df["n"].to_numpy()
    assert not table["separated"].any()
    np.testing.assert_allclose(table["none"], logit(own), atol=1e-6)
    se = 1 / np.sqrt(df["n"].to_numpy() * own * (1 - own))  # Wald sd of a plate's own logit
    np.testing.assert_allclose(table["none_ub"] - table["none"], 1.644854 * se, rtol=1e-4)
    np.testing.assert_allclose(table["none"] - table["none_lb"], 1.644854 * se, rtol=1e-4)


def test_varying_slopes_against_per_group_statsmodels(slopes_post):
    import statsmodels.api as sm

    post, df = slopes_post
    m = post.model
    complete, none = m.fit_mle(pooling="complete"), _quiet(m.fit_mle, pooling="none")
    for coef, j in (("Intercept", 0), ("x", 1)):
        table = bl.pooling_table(post, term="g", coef=coef, complete=complete, none=none)
        assert table.attrs == {"term": "1 + x | g", "coef": coef, "ci_prob": 0.95}
        pooled = sm.Logit(df["y"], sm.add_constant(df["x"])).fit(disp=0)
        assert table["complete"].iloc[0] == pytest.approx(pooled.params.iloc[j], abs=1e-6)
        checked = 0
        for level, rows in df.groupby("g"):
            X = sm.add_constant(rows["x"])
            sep = rows["y"].nunique() == 1
            if not sep:
                # Konis's LP, independently: a level is separated iff statsmodels' MLE runs off
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = sm.Logit(rows["y"], X).fit(disp=0, maxiter=200)
                sep = bool(np.max(np.abs(fit.params)) > 30)
            assert table.loc[level, "separated"] == sep, level
            if sep and rows["y"].nunique() == 1:  # one outcome: intercept -inf/+inf, slope undetermined
                want = (np.inf if rows["y"].iloc[0] == 1 else -np.inf) if coef == "Intercept" else None
                assert table.loc[level, "none"] == want if want is not None else np.isnan(table.loc[level, "none"])
            elif sep:
                assert np.isinf(table.loc[level, "none"])
            else:
                assert table.loc[level, "none"] == pytest.approx(fit.params.iloc[j], abs=2e-4)
                checked += 1
        assert checked >= 6 and table["separated"].sum() >= 2
        assert table["none_ub"].isna().all()
        g = post.idata.posterior["b_g"].sel(g__coef=coef).transpose("chain", "draw", "g__level").values
        a = post.idata.posterior["beta"].sel(coef=coef).values
        draws = (a[..., None] + g).reshape(-1, g.shape[-1])
        np.testing.assert_allclose(table["partial"], draws.mean(axis=0), rtol=1e-10)
        np.testing.assert_allclose(table["partial_sd"], draws.std(axis=0, ddof=1), rtol=1e-10)
        np.testing.assert_array_equal(table["n"], df.groupby("g").size().loc[table.index])


def test_the_figure_draws_the_table(slopes_post):
    post, _ = slopes_post
    fig = _quiet(bl.plot_pooling, post, coef="x")
    table = fig.pooling_table
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    sep = table["separated"].to_numpy()
    # open circles: the finite no-pooling estimates; triangles: separated levels at the axes' edge
    circles = [c for c in ax.collections if c.get_label() == "no pooling (the level's own MLE)"][0]
    np.testing.assert_allclose(circles.get_offsets()[:, 1], table["none"][~sep])
    np.testing.assert_allclose(circles.get_offsets()[:, 0], table["n"][~sep] * 0.97)
    tri = [c for c in ax.collections if "infinite" in str(c.get_label())]
    crosses = [c for c in ax.collections if "undetermined" in str(c.get_label())]
    nan = table["none"].isna().to_numpy()
    assert sum(len(c.get_offsets()) for c in tri) == (sep & ~nan).sum() > 0
    assert sum(len(c.get_offsets()) for c in crosses) == nan.sum() > 0
    assert (crosses[0].get_offsets()[:, 1] < table["partial_lb"].min()).all()
    lo, hi = ax.get_ylim()
    for c in tri:
        for x, yv in c.get_offsets():
            assert lo < yv < hi  # inside the axes, beyond every finite value drawn
            assert yv > table["partial_ub"].max() or yv < table["partial_lb"].min()
    edges = np.unique(np.round(table.loc[sep, "none_plotted"], 12))
    assert len(edges) <= 2 and all(np.isclose(e, ax.get_ylim()).sum() == 0 for e in edges)
    # partial pooling: points with their intervals; lines at the pooled MLE and the population mean
    line = [ln for ln in ax.lines if ln.get_label() == "complete pooling (pooled MLE)"][0]
    assert line.get_ydata()[0] == pytest.approx(table["complete"].iloc[0])
    dots = [ln for ln in ax.lines if ln.get_marker() == "o"][0]
    np.testing.assert_allclose(np.asarray(dots.get_ydata(), dtype=float), table["partial"].to_numpy())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "partial pooling (posterior mean, 95% interval)" in labels
    assert "no pooling: infinite (level separated), at the edge" in labels
    assert "no pooling: undetermined (level all 0 or all 1), at the edge" in labels


def test_bad_arguments(slopes_post, seeds_post):
    post, df = slopes_post
    with pytest.raises(ArgumentError, match="not a group term"):
        bl.pooling_table(post, term="h")
    with pytest.raises(ArgumentError, match="does not vary"):
        bl.pooling_table(post, coef="z")
    with pytest.raises(ArgumentError, match="ci_prob"):
        bl.pooling_table(post, ci_prob=1.5)
    with pytest.raises(ArgumentError, match="group terms"):
        bl.pooling_table(post.model.fit_mle())
    with pytest.raises(ArgumentError, match=r"complete= takes the complete-pooling fit.*GLMM"):
        bl.pooling_table(post, complete=post.model.fit_mle())  # the GLMM MLE pools partially
    plain = bl.LogitModel("y ~ x", df).sample(draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    with pytest.raises(ArgumentError, match="group terms"):
        bl.pooling_table(plain)
    with pytest.raises(ArgumentError, match="sum-to-zero"):
        _quiet(bl.pooling_table, seeds_post, none=_quiet(post.model.fit_mle, pooling="none"))


def test_no_separation_warning_from_fits_the_user_did_not_call(seeds_post):
    """pooling_table fits the no-pooling MLE itself; its SeparationWarning advised fit_map(),
    which the user never called. The table flags the separated level instead."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.SeparationWarning)
        table = bl.pooling_table(seeds_post)
        fig = bl.plot_pooling(seeds_post)
    assert table["separated"].sum() == 1
    import matplotlib.pyplot as plt

    plt.close(fig)
