"""prior, prior_predictive and posterior_predictive groups in post.idata; ArviZ 1.x plots on them."""

import matplotlib

matplotlib.use("Agg")

import arviz_plots as azp  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.special import expit  # noqa: E402

import bayeslogit as bl  # noqa: E402


@pytest.fixture(scope="module")
def post(seed_df):
    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=500, tune=500, chains=2, random_seed=4, progressbar=False)
    post.sample_prior_predictive(500, random_seed=1)
    post.sample_posterior_predictive(random_seed=2)
    return post


def test_groups_line_up_with_the_observed_data(post, seed_df):
    idata = post.idata
    assert {"posterior", "prior", "prior_predictive", "posterior_predictive", "observed_data"} <= set(idata.children)
    assert list(idata.prior.data_vars) == ["beta"]  # only what the posterior has: plots pair them
    np.testing.assert_array_equal(idata.prior["coef"].values, idata.posterior["coef"].values)
    for group in ("prior_predictive", "posterior_predictive"):
        y = idata[group]["y"]
        assert y.dims == ("chain", "draw", "obs") and y.dtype == np.int8
        np.testing.assert_array_equal(y["obs"].values, idata.observed_data["obs"].values)
    assert idata.posterior_predictive["y"].shape == (2, 500, len(seed_df))


def test_posterior_predictive_follows_the_posterior_draws(post, seed_df):
    y = post.idata.posterior_predictive["y"].values.reshape(-1, len(seed_df))
    X = seed_df.assign(one=1.0)[["one", "x1", "x2"]].to_numpy()
    p = expit(X @ post.draws().T).T  # (draws, rows), independent of the package's kernels
    z = (y.sum(axis=1) - p.sum(axis=1)) / np.sqrt((p * (1 - p)).sum(axis=1))
    assert abs(z.mean()) < 5 / np.sqrt(z.size) and 0.8 < z.std() < 1.2  # standardised per draw
    # the observed event count sits inside its posterior predictive distribution
    lo, hi = np.quantile(y.sum(axis=1), [0.005, 0.995])
    assert lo < seed_df["y"].sum() < hi


def test_extend_false_leaves_the_fit_alone_and_seeds_reproduce(post):
    before = post.idata.posterior_predictive["y"].values.copy()
    tree = post.sample_posterior_predictive(random_seed=2, extend=False)
    assert set(tree.children) == {"posterior_predictive", "observed_data"}
    np.testing.assert_array_equal(tree.posterior_predictive["y"].values, before)  # same seed
    other = post.sample_posterior_predictive(random_seed=3, extend=False)
    assert not np.array_equal(other.posterior_predictive["y"].values, before)
    np.testing.assert_array_equal(post.idata.posterior_predictive["y"].values, before)
    prior = post.sample_prior_predictive(50, random_seed=9, extend=False)
    assert prior.prior.sizes["draw"] == 50 and post.idata.prior.sizes["draw"] == 500
    with pytest.raises(bl.ArgumentError, match="extend must be True or False"):
        post.sample_posterior_predictive(extend="yes")


def test_posterior_predictive_warns_with_its_size(post, monkeypatch):

    monkeypatch.setitem(bl.options, "predictive_warn_bytes", 1000)
    with pytest.warns(bl.BayeslogitWarning, match=r"1,000 draws x 500 rows x 1 byte\(s\) = 500.0 kB"):
        post.sample_posterior_predictive(random_seed=1, extend=False)


def test_groups_survive_save_and_load(post, tmp_path):
    post.save(tmp_path / "fit.nc")
    loaded = bl.load(tmp_path / "fit.nc")
    for group in ("prior", "prior_predictive", "posterior_predictive"):
        np.testing.assert_array_equal(
            loaded.idata[group].to_dataset()[list(post.idata[group].data_vars)[0]].values,
            post.idata[group].to_dataset()[list(post.idata[group].data_vars)[0]].values,
        )


@pytest.mark.parametrize(
    "plot, kwargs",
    [
        ("plot_ppc_dist", {"kind": "hist"}),
        ("plot_ppc_dist", {"group": "prior_predictive", "kind": "hist"}),
        ("plot_ppc_pava", {}),
        ("plot_ppc_rootogram", {}),
        ("plot_prior_posterior", {"var_names": ["beta"]}),
        ("plot_dist", {}),
        ("plot_forest", {}),
    ],
)
def test_arviz_plots_take_the_fit_unchanged(post, plot, kwargs):
    plt.close("all")
    pc = getattr(azp, plot)(post.idata, **kwargs)
    assert pc is not None
    fig = plt.gcf()
    drawn = sum(len(ax.lines) + len(ax.collections) + len(ax.patches) for ax in fig.axes)
    assert fig.axes and drawn > 0
    plt.close("all")
