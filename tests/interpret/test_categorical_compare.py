"""bl.plot_compare and bl.compare of multinomial and ordinal fits (issue 23)."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

matplotlib.use("Agg")


def _data(n=300, seed=2):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    eta = np.c_[np.zeros(n), 0.5 + df.x, -0.3 - df.x + 0.5 * (df.g == "v")]
    P = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    df["y"] = np.array(["a", "b", "c"])[(P.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)]
    lev = ["Low", "Mid", "High"]
    df["level"] = pd.Categorical(np.array(lev)[np.digitize(df.x + rng.logistic(size=n), [-0.5, 1])], lev, ordered=True)
    return df


@pytest.mark.parametrize(
    ("formula", "family", "labels"),
    [
        ("y ~ x + g", "multinomial", ["b:Intercept", "b:g[T.v]", "b:x", "c:Intercept", "c:g[T.v]", "c:x"]),
        ("level ~ x + g", "ordinal", ["g[T.v]", "x", "Low|Mid", "Mid|High"]),
    ],
)
def test_plot_compare_draws_every_fit_of_a_categorical_model(formula, family, labels):
    model = bl.LogitModel(formula, _data(), family=family)
    fits = (
        model.fit_mle(),
        model.fit_map(priors=bl.Normal(0, 1)),
        model.sample(draws=300, chains=2, random_seed=1, method="laplace"),
    )
    fig = bl.plot_compare(*fits, ci_prob=0.9)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["MLE", "MAP Normal(0, 1)", "Posterior"]
    assert [t.get_text() for t in ax.get_yticklabels()] == labels  # one row per (outcome, term)
    table = bl.compare(*fits, ci_prob=0.9)
    for container, name in zip(ax.containers, ["MLE", "MAP Normal(0, 1)", "Posterior"], strict=True):
        xs = np.asarray(container.lines[0].get_xdata(), dtype=float)
        np.testing.assert_allclose(xs, table[(name, "estimate")].to_numpy(), rtol=1e-12)
        # the bars run from the interval's lower to its upper end
        segs = container.lines[2][0].get_segments()
        np.testing.assert_allclose([s[0][0] for s in segs], table[(name, "lower")], rtol=1e-12)
        np.testing.assert_allclose([s[1][0] for s in segs], table[(name, "upper")], rtol=1e-12)
    # the MLE's 90% Wald interval, by hand
    mle = fits[0]
    np.testing.assert_allclose(table[("MLE", "upper")] - mle.params, 1.6448536 * mle.bse, rtol=1e-6)
    matplotlib.pyplot.close(fig)


def test_compare_warns_that_a_separated_categorical_mle_has_no_estimates():
    df = _data()
    df.loc[(df.g == "v") & (df.y == "c"), "y"] = "a"  # 'c' never at g = v
    model = bl.LogitModel("y ~ x + g", df, family="multinomial")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.SeparationWarning)
        mle = model.fit_mle()
    with pytest.warns(bl.SeparationWarning, match=r"'MLE' is an MLE of quasi-completely separated data: it does not"):
        bl.compare(mle, model.fit_map(priors=bl.Normal(0, 1)))
