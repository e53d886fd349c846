"""bl.plot_prior_predictive: the event rate and the implied P(y=1) under the priors, for 0/1
data (ArviZ's plot_ppc_dist of 0/1 outcomes draws one flat line) (issue 26)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

import bayeslogit as bl  # noqa: E402
from bayeslogit.interpret.prior_plots import EXTREME, P_BINS, prior_predictive_rates  # noqa: E402


def test_rates_match_the_prior_draws_row_by_row(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, 1))
    r = prior_predictive_rates(model, 300, random_seed=3)
    B = model.sample_prior_predictive(300, random_seed=3, predictive=False)["prior"]["beta"].values.reshape(300, -1)
    p = expit(model.design.X @ B.T)  # (rows, draws): small enough here
    np.testing.assert_allclose(r["rate"], p.mean(axis=0), rtol=1e-10)
    assert r["p_counts"].sum() == p.size and len(r["p_counts"]) == P_BINS
    np.testing.assert_array_equal(r["p_counts"], np.histogram(p, bins=np.linspace(0, 1, P_BINS + 1))[0])
    assert r["observed"] == pytest.approx(seed_df["y"].mean())
    t = r["table"]["value"]
    assert t["observed event rate"] == pytest.approx(seed_df["y"].mean())
    share = np.mean((p < EXTREME) | (p > 1 - EXTREME))
    assert t[f"implied P(y=1) < {EXTREME} or > {1 - EXTREME}"] == f"{100 * share:.0f}%"


def test_vague_priors_pile_p_up_at_0_and_1(seed_df):
    vague = prior_predictive_rates(bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, 10)), 200, random_seed=1)
    tight = prior_predictive_rates(bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, 0.5)), 200, random_seed=1)
    ends = lambda c: (c[0] + c[-1]) / c.sum()  # noqa: E731
    assert ends(vague["p_counts"]) > 0.5 > 0.2 > ends(tight["p_counts"])


def test_figure_is_not_a_flat_line_and_its_legend_is_off_the_data(seed_df, tmp_path):
    fig = bl.plot_prior_predictive(bl.LogitModel("y ~ x1 + x2", seed_df), random_seed=2)
    try:
        assert [ax.get_xlabel() for ax in fig.axes] == [
            "event rate over the training rows",
            "implied P(y = 1) of a row",
        ]
        ax_r, ax_p = fig.axes
        heights = [p.get_height() for p in ax_r.patches]
        assert sum(heights) == 500 and max(heights) < 500  # a histogram of 500 prior draws, spread out
        assert fig.prior_predictive_table.index[0] == "observed event rate"
        fig.savefig(tmp_path / "prior.png")
        r = fig.canvas.get_renderer()
        for leg in fig.legends:
            assert not any(leg.get_window_extent(r).overlaps(ax.get_window_extent(r)) for ax in fig.axes)
        obs = [line for line in ax_r.get_lines() if "observed" in line.get_label()]
        assert obs and obs[0].get_xdata()[0] == pytest.approx(seed_df["y"].mean())
    finally:
        plt.close(fig)


def test_takes_a_fit_and_binomial_counts(seed_df):
    agg = seed_df.assign(k=seed_df["y"] * 3, n=3)
    model = bl.LogitModel("k ~ x1", agg, trials="n")
    r = prior_predictive_rates(model.fit_map(), 100, random_seed=4)
    assert r["observed"] == pytest.approx(agg["k"].sum() / agg["n"].sum())
    assert r["rate"].shape == (100,)
