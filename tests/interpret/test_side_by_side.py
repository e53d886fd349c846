"""bl.compare and bl.plot_compare: the three fits side by side."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from scipy import stats

import bayeslogit as bl


@pytest.fixture(scope="module")
def fits(seed_df):
    m = bl.LogitModel("y ~ x1 + x2", seed_df)
    post = m.sample(draws=300, tune=300, chains=2, random_seed=4, progressbar=False)
    return m.fit_mle(), m.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False)), post


def test_table_layout_and_values(fits):
    mle, map_, post = fits
    table = bl.compare(mle, map_, post, ci_prob=0.9)
    assert list(table.index) == ["Intercept", "x1", "x2"]
    assert list(dict.fromkeys(table.columns.get_level_values(0))) == [
        "MLE",
        "MAP sklearn C=1, fit_intercept=False",
        "Posterior",
    ]
    assert list(table["MLE"].columns) == ["estimate", "sd", "lower", "upper"]
    np.testing.assert_allclose(table["MLE"]["estimate"], mle.params)
    np.testing.assert_allclose(table["MLE"]["sd"], mle.bse)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(table["MLE"]["upper"], mle.params + z * mle.bse)
    draws = post.draws()
    np.testing.assert_allclose(table["Posterior"]["estimate"], draws.mean(axis=0))
    np.testing.assert_allclose(table["Posterior"]["lower"], np.quantile(draws, 0.05, axis=0))
    assert "<table" in table.to_html() and "Posterior" in table.to_string()


def test_shrinkage_order(fits):
    """The N(0, 1) MAP is pulled towards zero relative to the MLE on every coefficient."""
    mle, map_, _ = fits
    assert np.all(np.abs(map_.params) < np.abs(mle.params))


def test_names_and_errors(fits, mixed_df):
    mle, map_, post = fits
    table = bl.compare({"a": mle, "b": post})
    assert list(dict.fromkeys(table.columns.get_level_values(0))) == ["a", "b"]
    assert "MLE (2)" in bl.compare(mle, mle).columns.get_level_values(0)
    other = bl.LogitModel("y ~ x1", mixed_df).fit_mle()
    with pytest.raises(bl.ArgumentError, match=r"fit 'MLE \(2\)' has coefficients \['Intercept', 'x1'\]"):
        bl.compare(mle, other)
    with pytest.raises(bl.ArgumentError, match=r"compare takes bayeslogit results"):
        bl.compare(mle, 3)
    with pytest.raises(bl.ArgumentError, match=r"ci_prob must be a probability"):
        bl.compare(mle, ci_prob=95)


def test_plot_compare_draws_every_fit(fits):
    fig = bl.plot_compare(*fits)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "MLE",
        "MAP sklearn C=1, fit_intercept=False",
        "Posterior",
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Intercept", "x1", "x2"]
    # one point per (fit, term) at the estimates
    xs = np.concatenate([np.asarray(c.lines[0].get_xdata(), dtype=float) for c in ax.containers])
    np.testing.assert_allclose(
        np.sort(xs), np.sort(bl.compare(*fits).xs("estimate", axis=1, level=1).to_numpy().ravel())
    )


def test_compare_warns_that_a_separated_mle_has_no_estimates():
    import pandas as pd

    df = pd.DataFrame({"y": [0, 0, 0, 1, 1, 1, 0, 1], "x": [-3.0, -2, -1, 1, 2, 3, -0.5, 0.5]})
    m = bl.LogitModel("y ~ x", df)
    with pytest.warns(bl.SeparationWarning):
        mle = m.fit_mle()
    with pytest.warns(bl.SeparationWarning, match=r"'MLE' is an MLE of completely separated data.*not estimates"):
        bl.compare(mle, m.fit_map())


def test_posteriors_are_labelled_by_their_priors(seed_df):
    """bl.compare(post_a, post_b) said "Posterior", "Posterior (2)"; posteriors are labelled by
    their priors now, as MAP fits are."""
    kw = dict(draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    a = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Normal(0, 1)).sample(**kw)
    b = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.StudentT(3, 0, 2.5)).sample(**kw)
    c = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.sklearn_prior(C=1)).sample(**kw)
    assert a.label == "Posterior Normal(0, 1)" and b.label == "Posterior StudentT(3, 0, 2.5)"
    assert c.label == "Posterior Normal(0, 1), Intercept Flat()"
    table = bl.compare(a, b)
    assert list(dict.fromkeys(table.columns.get_level_values(0))) == [a.label, b.label]
    assert bl.LogitModel("y ~ x1", seed_df).sample(**kw).label == "Posterior"  # default priors
