"""compare_models(): PSIS-LOO via ArviZ, checked against WAIC by hand and known truth."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

import bayeslogit as bl

KW = dict(draws=300, tune=300, chains=2, random_seed=12, progressbar=False)


@pytest.fixture(scope="module")
def fits(seed_df):
    return {
        "x1 + x2": bl.LogitModel("y ~ x1 + x2", seed_df).sample(**KW),
        "x1": bl.LogitModel("y ~ x1", seed_df).sample(**KW),
    }


def _waic(fit):
    ll = fit.log_likelihood().stack(sample=("chain", "draw")).transpose("sample", "obs").values
    lppd = logsumexp(ll, axis=0) - np.log(ll.shape[0])
    return float(np.sum(lppd - ll.var(axis=0, ddof=1)))


def test_true_model_ranks_first_and_elpd_matches_waic(fits):
    with warnings.catch_warnings():
        warnings.simplefilter("error", bl.ParetoKWarning)  # well-behaved data: no warning
        table = bl.compare_models(fits)
    assert list(table.index) == ["x1 + x2", "x1"]
    assert table.loc["x1 + x2", "elpd_diff"] == 0
    # Dropping x2 (true coefficient -1.5) costs many standard errors of predictive density.
    assert table.loc["x1", "elpd_diff"] < -3 * table.loc["x1", "dse"]
    np.testing.assert_allclose(
        table.loc["x1", "elpd_diff"], table.loc["x1", "elpd"] - table.loc["x1 + x2", "elpd"], rtol=1e-10
    )
    for name, fit in fits.items():  # PSIS-LOO ~ WAIC for a regular model with n=500, p<=3
        assert abs(table.loc[name, "elpd"] - _waic(fit)) < 0.5, name
        assert 1.0 < table.loc[name, "p"] < 5.0
    np.testing.assert_allclose(table["weight"].sum(), 1.0, atol=1e-6)
    assert (table["n_high_pareto_k"] == 0).all()


def test_pareto_k_warning_names_model_and_rows():
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-1, 1, 14), [6.0]])
    y = np.concatenate([(rng.random(14) < 1 / (1 + np.exp(-3 * x[:14]))).astype(int), [0]])
    df = pd.DataFrame({"x": x, "y": y})
    kw = dict(draws=100, tune=200, chains=2, random_seed=1, progressbar=False)
    a = bl.LogitModel("y ~ x", df, priors={"x": bl.Normal(0, 10)}).sample(**kw)
    b = bl.LogitModel("y ~ 1", df).sample(**kw)
    with pytest.warns(bl.ParetoKWarning, match=r"model 'outlier': \d+ of 15 observations have Pareto k > .*14"):
        table = bl.compare_models({"outlier": a, "null": b})
    assert table.loc["outlier", "n_high_pareto_k"] >= 1


def test_compare_models_errors(fits, mixed_df):
    post = fits["x1"]
    with pytest.raises(bl.ArgumentError, match=r"at least two named posterior fits"):
        bl.compare_models({"only": post})
    with pytest.raises(bl.ArgumentError, match=r"at least two"):
        bl.compare_models([post, post])
    with pytest.raises(bl.ArgumentError, match=r"fits\['b'\] is a str"):
        bl.compare_models({"a": post, "b": "nope"})
    with pytest.raises(
        bl.ArgumentError, match=r"method must be .stacking., .bb-pseudo-bma. or .pseudo-bma., got .waic.$"
    ):
        bl.compare_models(fits, method="waic")
    other = bl.LogitModel("y ~ x1", mixed_df).sample(draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    with pytest.raises(bl.ArgumentError, match=r"different observations"):
        bl.compare_models({"a": post, "b": other})


# -- PSIS-LOO by row blocks and subsampled (no draws x rows array) ----------------------------


def _materialised_tree(fit):
    import xarray as xr

    return xr.DataTree.from_dict(
        {
            "posterior": fit.idata.posterior.to_dataset(),
            "observed_data": fit.idata.observed_data.to_dataset(),
            "log_likelihood": fit.log_likelihood().to_dataset(),
        }
    )


def test_blockwise_exact_loo_equals_arviz(fits, monkeypatch):
    import arviz as az

    from bayeslogit.interpret.loo import psis_loo

    fit = fits["x1 + x2"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = az.loo(_materialised_tree(fit), pointwise=True, var_name="y")
    monkeypatch.setitem(bl.options, "block_bytes", 8 * 600 * 37)  # 37 rows per block: many odd blocks
    res = psis_loo(fit, method="exact", observations=None, seed=1)  # seed=1: not the cached one
    assert res.method == "exact" and res.label == "PSIS-LOO, exact (all 500 rows)"
    e = res.elpd_data
    assert (e.good_k, e.n_samples) == (ref.good_k, ref.n_samples)
    # the vectorised PSIS (bayeslogit._psis) equals ArviZ's per-observation loop to rounding
    np.testing.assert_allclose([e.elpd, e.se, e.p], [ref.elpd, ref.se, ref.p], rtol=1e-10)
    np.testing.assert_allclose(e.elpd_i.values, ref.elpd_i.values, rtol=1e-10)
    np.testing.assert_allclose(e.pareto_k.values, ref.pareto_k.values, rtol=1e-10, atol=1e-12)


def test_subsampled_loo_equals_arviz_on_the_materialised_group(fits):
    import arviz_stats as azs

    from bayeslogit.interpret.loo import psis_loo

    fit = fits["x1 + x2"]
    rows = np.sort(np.random.default_rng(7).choice(500, size=150, replace=False))
    res = psis_loo(fit, method="subsample", observations=rows)
    B = fit.draws()
    X, y = fit.design.X, fit.design.y

    def plpd(observed, data):
        eta = X @ data.posterior["beta"].values
        return y * eta - np.logaddexp(0, eta)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = azs.loo_subsample(
            _materialised_tree(fit), observations=rows, var_name="y", method="plpd", log_lik_fn=plpd, pointwise=True
        )
    e = res.elpd_data
    assert e.elpd == pytest.approx(ref.elpd, rel=1e-12)
    assert e.se == pytest.approx(ref.se, rel=1e-12)
    assert e.p == pytest.approx(ref.p, rel=1e-10)
    assert e.subsampling_se == pytest.approx(ref.subsampling_se, rel=1e-10)
    np.testing.assert_array_equal(res.rows, np.sort(ref.loo_subsample_observations))
    np.testing.assert_allclose(e.elpd_i.values, ref.elpd_i.values, rtol=1e-12)  # NaN outside alike
    np.testing.assert_allclose(e.pareto_k.values, ref.pareto_k.values, rtol=1e-12)
    assert res.rows.size == 150 and np.isfinite(e.pareto_k.values).sum() == 150
    assert res.label.startswith("PSIS-LOO with subsampling: 150 of 500 rows, point-estimate (plpd)")
    assert f"subsampling SE of {e.subsampling_se:.3f}" in res.label
    # and close to exact LOO (the subsampling SE is its error scale)
    exact = psis_loo(fit).elpd_data.elpd
    assert abs(e.elpd - exact) < 4 * e.subsampling_se + 0.05
    assert B.shape[0] == 600


def test_compare_models_subsamples_every_fit_alike_above_the_threshold(fits, monkeypatch):
    from bayeslogit.interpret import loo

    exact = bl.compare_models(fits)
    assert set(exact["loo_method"]) == {"PSIS-LOO, exact (all 500 rows)"}
    monkeypatch.setitem(bl.options, "loo_exact_max_cells", 1000)
    monkeypatch.setattr(loo, "LOO_SUBSAMPLE", 200)
    sub = bl.compare_models(fits)
    assert list(sub.index) == ["x1 + x2", "x1"]
    assert all(m.startswith("PSIS-LOO with subsampling: 200 of 500 rows") for m in sub["loo_method"])
    for name in fits:  # subsampled elpd within a few subsampling SEs of the exact one
        res = loo.psis_loo(fits[name], method="subsample", observations=200, seed=0)
        assert abs(sub.loc[name, "elpd"] - exact.loc[name, "elpd"]) < 4 * res.elpd_data.subsampling_se + 0.1
    assert sub.loc["x1", "elpd_diff"] < -3 * sub.loc["x1", "dse"]


@pytest.fixture(scope="module")
def laplace_fit(seed_df):
    fit = bl.LogitModel("y ~ x1 + x2", seed_df).sample(method="laplace", random_seed=3, progressbar=False)
    assert fit.sampler == "laplace+psis"
    return fit


def _proposal_tree(fit):
    """The Laplace proposals as one chain, with their log-likelihood materialised (small n only)."""
    import xarray as xr

    imp = fit.idata["importance"]
    P = imp["proposal"].values
    ll = fit.design.response_family.loglik_rows(fit.design, slice(None), P)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset({"beta": (("chain", "draw", "coef"), P[None])}),
            "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), ll.T[None])}),
        }
    )
    dims = ("chain", "draw")
    return tree, xr.DataArray(imp["log_p"].values[None], dims=dims), xr.DataArray(imp["log_q"].values[None], dims=dims)


def test_laplace_loo_equals_arviz_loo_approximate_posterior(laplace_fit, monkeypatch):
    import arviz_stats as azs

    from bayeslogit.interpret.loo import psis_loo

    tree, log_p, log_q = _proposal_tree(laplace_fit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = azs.loo_approximate_posterior(tree, log_p, log_q, pointwise=True, var_name="y")
    monkeypatch.setitem(bl.options, "block_bytes", 8 * 4000 * 37)  # 37 rows per block
    res = psis_loo(laplace_fit, method="exact", seed=1)  # seed=1: not the cached one
    e = res.elpd_data
    assert ref.approx_posterior and e.approx_posterior and res.approx_posterior
    assert (e.good_k, e.n_samples, e.n_data_points) == (ref.good_k, ref.n_samples, ref.n_data_points)
    np.testing.assert_allclose([e.elpd, e.se, e.p], [ref.elpd, ref.se, ref.p], rtol=1e-8)
    np.testing.assert_allclose(e.elpd_i.values, ref.elpd_i.values, rtol=1e-8)
    np.testing.assert_allclose(e.pareto_k.values, ref.pareto_k.values, rtol=1e-8, atol=1e-10)
    assert "on the 4,000 Laplace proposals with the approximate-posterior correction" in res.label
    assert res.short_label == "exact, approximate-posterior corrected"


def test_corrected_laplace_loo_agrees_with_nuts_psis_loo(laplace_fit, seed_df):
    """Same model, well-behaved data (n = 500, Pareto k < 0.5): the corrected Laplace LOO is
    within 0.25 of NUTS's PSIS-LOO in elpd and p_loo (Monte Carlo error of each ~0.05). PSIS-LOO
    of the raw Student-t proposals *without* the correction misses by more than 1 (checked
    below), so the tolerance can fail."""
    from bayeslogit import _psis
    from bayeslogit.interpret.loo import psis_loo

    nuts = bl.LogitModel("y ~ x1 + x2", seed_df).sample(random_seed=3, progressbar=False)
    a, b = psis_loo(laplace_fit).elpd_data, psis_loo(nuts).elpd_data
    assert max(np.max(a.pareto_k.values), np.max(b.pareto_k.values)) < 0.5
    assert abs(a.elpd - b.elpd) < 0.25
    assert abs(a.p - b.p) < 0.25
    np.testing.assert_allclose(a.elpd_i.values, b.elpd_i.values, atol=0.02)
    P = laplace_fit.idata["importance"]["proposal"].values
    e, _, p = _psis.loo_rows(laplace_fit.design.response_family.loglik_rows(laplace_fit.design, slice(None), P))
    assert abs(e.sum() - b.elpd) > 1.0 and abs(p.sum() - b.p) > 0.5


def test_subsampled_laplace_loo_is_corrected_and_labelled(laplace_fit):
    from bayeslogit.interpret.loo import psis_loo

    exact = psis_loo(laplace_fit)
    sub = psis_loo(laplace_fit, method="subsample", observations=150, seed=4)
    e = sub.elpd_data
    assert e.approx_posterior and sub.approx_posterior
    # the subsample's rows: the same corrected PSIS values as the exact computation
    np.testing.assert_allclose(e.elpd_i.values[sub.rows], exact.elpd_data.elpd_i.values[sub.rows], rtol=1e-12)
    assert abs(e.elpd - exact.elpd_data.elpd) < 4 * e.subsampling_se + 0.05
    assert sub.short_label == "subsampled, 150 of 500 rows, approximate-posterior corrected"
    assert "approximate-posterior correction" in sub.label


def test_laplace_loo_is_labelled_in_diagnostics_and_compare_models(laplace_fit, fits):
    table = bl.compare_models({"laplace": laplace_fit, "nuts x1": fits["x1"]})
    assert "approximate-posterior correction" in table.loc["laplace", "loo_method"]
    assert "approximate" not in table.loc["nuts x1", "loo_method"]
    diag = laplace_fit.diagnostics()
    assert "approximate-posterior correction" in diag.loo_method
    assert diag.loo_frame().index.name == "PSIS-LOO (exact, approximate-posterior corrected)"
    assert "approximate-posterior correction" in " ".join(str(diag).split())  # wrapped at 100 columns


def test_laplace_fit_without_importance_group_falls_back_and_says_so(laplace_fit):
    from bayeslogit.interpret.loo import psis_loo
    from bayeslogit.results.posterior import PosteriorResults

    idata = laplace_fit.idata.copy()
    del idata["importance"]
    old = PosteriorResults(laplace_fit.model, idata, sampler="laplace+psis", random_seed=3)
    res = psis_loo(old)
    assert not res.approx_posterior and not res.elpd_data.approx_posterior
    assert res.label.endswith("computed on the resampled Laplace + PSIS draws (no approximate-posterior correction)")


def test_laplace_loo_after_save_and_load_is_still_corrected(laplace_fit, tmp_path):
    from bayeslogit.interpret.loo import psis_loo

    path = tmp_path / "lap.nc"
    laplace_fit.save(path)
    loaded = bl.load(path)
    a, b = psis_loo(loaded), psis_loo(laplace_fit)
    assert a.approx_posterior and a.label == b.label
    assert a.elpd_data.elpd == pytest.approx(b.elpd_data.elpd, rel=1e-12)


def test_laplace_report_names_the_corrected_loo(laplace_fit, tmp_path):
    page = laplace_fit.report(tmp_path / "lap.html", progress=False).read_text()
    assert "on the 4,000 Laplace proposals with the approximate-posterior correction" in page
    assert "(exact, approximate-posterior corrected)" in page


def test_loo_repr_is_short(fits):
    """post.loo()'s repr dumped every row index (ArviZ's arrays); now one line of numbers."""
    loo = fits["x1 + x2"].loo()
    text = repr(loo)
    e = loo.elpd_data
    assert "\n" not in text and len(text) < 300, text
    assert f"elpd={e.elpd:.2f}" in text and f"se {e.se:.2f}" in text and f"p={e.p:.2f}" in text
    assert "exact" in text and "Pareto k:" in text
    k = np.asarray(e.pareto_k).ravel()
    assert f"{int((k <= e.good_k).sum())} good" in text
