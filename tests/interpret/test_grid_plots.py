"""plot_predictions: the figure's lines and bands are predictions() on the grid it describes."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import bayeslogit as bl  # noqa: E402


@pytest.fixture(scope="module")
def fit():
    rng = np.random.default_rng(5)
    n = 200
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-(0.2 + df.x1 - 0.5 * df.x2 + (df.g == "b")))))
    return bl.LogitModel("y ~ x1 + x2 + g", df).fit_mle(), df


def _band(collection):
    """(x, lower, upper) of a fill_between band: its outline, lower edge forward then upper back."""
    v = collection.get_paths()[0].vertices
    return v


def test_one_line_and_band_per_level(fit):
    mle, df = fit
    fig = bl.plot_predictions(mle, ["x1", "g"], points=25)
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["a", "b", "c"]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "P(y = 1)"
    assert ax.get_legend().get_title().get_text() == "g"
    xs = np.linspace(df.x1.min(), df.x1.max(), 25)
    for line, band, level in zip(ax.lines, ax.collections, "abc"):
        grid = bl.datagrid(mle, x1=xs, g=level)
        expected = bl.predictions(mle, grid)
        np.testing.assert_allclose(line.get_xdata(), xs, rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), expected["estimate"], rtol=1e-12)
        v = _band(band)
        lows = {round(x, 9): y for x, y in v if np.isclose(y, np.interp(x, xs, expected["conf_low"]), rtol=1e-9)}
        highs = {round(x, 9): y for x, y in v if np.isclose(y, np.interp(x, xs, expected["conf_high"]), rtol=1e-9)}
        assert len(lows) == len(highs) == 25  # both edges of the band at every x
    np.testing.assert_allclose(fig.predictions_table["x2"], df.x2.mean(), rtol=1e-12)
    plt.close(fig)


def test_numeric_lines_and_factor_axis(fit):
    mle, df = fit
    fig = bl.plot_predictions(mle, ["x1", "x2"], points=10, ci_prob=0.8)
    m, s = df.x2.mean(), df.x2.std(ddof=1)
    assert [line.get_label() for line in fig.axes[0].lines] == [f"{v:.3g}" for v in (m - s, m, m + s)]
    assert fig.axes[0].get_title() == "80% confidence bands"
    plt.close(fig)
    fig = bl.plot_predictions(mle, "g")
    table = fig.predictions_table
    assert table["g"].tolist() == ["a", "b", "c"]
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["a", "b", "c"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), table["estimate"], rtol=1e-12)
    plt.close(fig)


def test_bad_condition(fit):
    mle, _ = fit
    with pytest.raises(bl.ArgumentError, match=r"\['z'\] is not a variable of the model; its variables are"):
        bl.plot_predictions(mle, ["z"])
    with pytest.raises(bl.ArgumentError, match=r"give one or two variables"):
        bl.plot_predictions(mle, ["x1", "x2", "g"])


def test_several_fits_side_by_side(fit):
    mle, df = fit
    model = mle.model
    map_ = model.fit_map(priors=bl.Normal(0, 0.5))
    fig = bl.plot_predictions([mle, map_], "x1", points=15)
    assert len(fig.axes) == 2
    assert [a.get_title().split(":")[0] for a in fig.axes] == [mle.label, map_.label]
    for a, f in zip(fig.axes, (mle, map_)):
        xs = np.linspace(df.x1.min(), df.x1.max(), 15)
        np.testing.assert_allclose(
            a.lines[0].get_ydata(), bl.predictions(f, bl.datagrid(f, x1=xs))["estimate"], rtol=1e-12
        )
    assert fig.predictions_table["fit"].unique().tolist() == [mle.label, map_.label]
    assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
    plt.close(fig)
    with pytest.raises(bl.ArgumentError, match=r"ax= draws one fit"):
        bl.plot_predictions([mle, map_], "x1", ax=fig.axes[0])


def _edges(band, xs, low, high):
    """Number of x values at which the band's outline passes through ``low`` and ``high``."""
    v = _band(band)
    lows = {round(x, 9) for x, y in v if np.isclose(y, np.interp(x, xs, low), rtol=1e-9, atol=1e-12)}
    highs = {round(x, 9) for x, y in v if np.isclose(y, np.interp(x, xs, high), rtol=1e-9, atol=1e-12)}
    return len(lows), len(highs)


def test_plot_comparisons_lines_and_bands_are_the_table(fit):
    mle, df = fit
    fig = bl.plot_comparisons(mle, "x2", ["x1", "g"], points=20)
    ax = fig.axes[0]
    data_lines = [line for line in ax.lines if line.get_gid() != "zero"]
    assert [line.get_label() for line in data_lines] == ["a", "b", "c"]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "difference in P(y = 1), x2 +1"
    assert [line.get_gid() for line in ax.lines].count("zero") == 1
    xs = np.linspace(df.x1.min(), df.x1.max(), 20)
    for line, band, level in zip(data_lines, ax.collections, "abc"):
        expected = bl.comparisons(mle, "x2", newdata=bl.datagrid(mle, x1=xs, g=level))
        np.testing.assert_allclose(line.get_xdata(), xs, rtol=1e-12)
        np.testing.assert_allclose(line.get_ydata(), expected["estimate"], rtol=1e-12)
        assert _edges(band, xs, expected["conf_low"], expected["conf_high"]) == (20, 20)
        # by hand: P(x2 + 1) - P(x2) on the grid row
        grid = bl.datagrid(mle, x1=xs, g=level)
        hi = bl.predictions(mle, grid.assign(x2=grid.x2 + 1))["estimate"].to_numpy()
        lo = bl.predictions(mle, grid)["estimate"].to_numpy()
        np.testing.assert_allclose(line.get_ydata(), hi - lo, rtol=1e-10)
    plt.close(fig)


def test_plot_comparisons_factor_contrasts_one_line_each(fit):
    mle, df = fit
    fig = bl.plot_comparisons(mle, "g", "x1", points=12, comparison="lnor")
    ax = fig.axes[0]
    data_lines = [line for line in ax.lines if line.get_gid() != "zero"]
    assert [line.get_label() for line in data_lines] == [
        "ln(odds(b) / odds(a))",
        "ln(odds(c) / odds(a))",
    ]
    # the log odds ratio of a main-effects model is the coefficient, flat in x1
    coef = dict(zip(mle.coef_names, mle.params))
    ys = [line.get_ydata() for line in data_lines]
    b_name = next(n for n in mle.coef_names if n.endswith("[T.b]"))
    c_name = next(n for n in mle.coef_names if n.endswith("[T.c]"))
    np.testing.assert_allclose(ys[0], coef[b_name], rtol=1e-9)
    np.testing.assert_allclose(ys[1], coef[c_name], rtol=1e-9)
    fig2 = bl.plot_comparisons(mle, {"g": ["a", "c"]}, "x1", points=12)
    assert len([x for x in fig2.axes[0].lines if x.get_gid() != "zero"]) == 1
    assert fig2.comparisons_table["contrast"].unique().tolist() == ["c - a"]
    plt.close(fig)
    plt.close(fig2)


def test_plot_slopes_lines_and_bands_are_the_table(fit):
    mle, df = fit
    fig = bl.plot_slopes(mle, "x1", ["x1", "x2"], points=15, ci_prob=0.9)
    ax = fig.axes[0]
    data_lines = [line for line in ax.lines if line.get_gid() != "zero"]
    assert ax.get_ylabel() == "dP(y = 1)/dx1" and ax.get_title() == "90% confidence bands"
    m, s = df.x2.mean(), df.x2.std(ddof=1)
    xs = np.linspace(df.x1.min(), df.x1.max(), 15)
    beta = dict(zip(mle.coef_names, mle.params))["x1"]
    for line, band, x2 in zip(data_lines, ax.collections, (m - s, m, m + s)):
        grid = bl.datagrid(mle, x1=xs, x2=x2)
        expected = bl.slopes(mle, "x1", newdata=grid, ci_prob=0.9)
        np.testing.assert_allclose(line.get_ydata(), expected["estimate"], rtol=1e-12)
        assert _edges(band, xs, expected["conf_low"], expected["conf_high"]) == (15, 15)
        p = bl.predictions(mle, grid)["estimate"].to_numpy()
        np.testing.assert_allclose(line.get_ydata(), beta * p * (1 - p), rtol=1e-6)  # by hand
    plt.close(fig)
    with pytest.raises(bl.ArgumentError, match=r"'g' is a factor, which has no slope; use plot_comparisons"):
        bl.plot_slopes(mle, "g", "x1")
    with pytest.raises(bl.ArgumentError, match=r"variables names one"):
        bl.plot_comparisons(mle, ["x1", "x2"], "x1")


def test_plot_comparisons_and_slopes_several_fits(fit):
    mle, df = fit
    map_ = mle.model.fit_map(priors=bl.Normal(0, 0.5))
    for fig, attr in (
        (bl.plot_comparisons([mle, map_], "x2", "x1", points=10), "comparisons_table"),
        (bl.plot_slopes([mle, map_], "x2", "x1", points=10), "slopes_table"),
    ):
        assert len(fig.axes) == 2
        assert [a.get_title().split(":")[0] for a in fig.axes] == [mle.label, map_.label]
        table = getattr(fig, attr)
        for a, f in zip(fig.axes, (mle, map_)):
            line = next(x for x in a.lines if x.get_gid() != "zero")
            np.testing.assert_allclose(line.get_ydata(), table.loc[table.fit == f.label, "estimate"], rtol=1e-12)
        assert fig.axes[0].get_shared_y_axes().joined(fig.axes[0], fig.axes[1])
        plt.close(fig)
