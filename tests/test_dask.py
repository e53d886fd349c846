"""Models of dask DataFrames (issue 25): the same fits as in memory, on the threads scheduler
and on a LocalCluster of two worker processes; bad input; compression; lazy prediction.

References: the in-memory fits (themselves checked against statsmodels and scikit-learn in
tests/results), statsmodels' GLM with frequency weights for the compressed fit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")

FORMULA = "y ~ x + C(g) + z + offset(np.log(e))"


def _frame(n=2000, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "g": rng.choice(["a", "b", "c"], n),
            "z": rng.normal(2.0, 3.0, size=n),
            "e": rng.uniform(1, 3, n),
            "k": rng.integers(0, 3, n),
            "h": rng.choice(["u", "v"], n),
        }
    )
    eta = 0.3 + df.x - (df.g == "b") + 0.1 * df.z + np.log(df.e) - 1.0
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return df


@pytest.fixture(scope="module")
def data():
    df = _frame()
    return df, dd.from_pandas(df, npartitions=4)


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        client = distributed.Client(lc, set_as_default=False)
    client.run(_warm)  # import bayeslogit's dask modules on the workers once
    yield client
    client.close()
    lc.close()


def _warm():
    import bayeslogit.fit.distributed  # noqa: F401


def _close(a, b, tol=1e-8):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=0, atol=tol)


@pytest.fixture(scope="module")
def reference(data):
    df, _ = data
    m = bl.LogitModel(FORMULA, df)
    return m, m.fit_mle(), m.fit_map(), m.fit_map(priors=bl.sklearn_prior(C=0.3))


def _check_mle(model, reference, *, summary=True):
    _, mle0, _, _ = reference
    mle = model.fit_mle()
    _close(mle.params, mle0.params)
    _close(mle.bse, mle0.bse)
    _close(mle.llf, mle0.llf, 1e-6)
    if summary:  # the null model: Newton on the intercept (with the offset) over the partitions
        _close(mle.llnull, mle0.llnull, 1e-6)
        _close(mle.bic, mle0.bic, 1e-6)
        assert "4 partitions" in str(mle.summary())


def _check_map(model, reference, *, sklearn=True):
    m0, _, map0, skl0 = reference
    fits = [(model.fit_map(), map0)] + ([(model.fit_map(priors=bl.sklearn_prior(C=0.3)), skl0)] if sklearn else [])
    for a, b in fits:
        _close(a.params, b.params)
        _close(a.bse, b.bse)
        _close(a.llf, b.llf, 1e-6)
    _close(fits[0][0].log_posterior, map0.log_posterior, 1e-6)
    assert list(model.prior_summary()["prior"]) == list(m0.prior_summary()["prior"])


@pytest.fixture(scope="module")
def threads_model(data):
    with dask.config.set(scheduler="threads"):
        yield bl.LogitModel(FORMULA, data[1])


def test_threads_mle_equal_in_memory(threads_model, reference):
    with dask.config.set(scheduler="threads"):
        _check_mle(threads_model, reference)


def test_threads_map_equal_in_memory(threads_model, reference):
    with dask.config.set(scheduler="threads"):
        _check_map(threads_model, reference)


def test_local_cluster_equal_in_memory(data, reference, cluster):
    with cluster.as_current():
        model = bl.LogitModel(FORMULA, data[1])
        _check_mle(model, reference, summary=False)
        _check_map(model, reference, sklearn=False)


def test_weights_and_trials_equal_in_memory(data):
    df, _ = data
    df = df.assign(w=np.arange(len(df)) % 3 + 1, n=np.arange(len(df)) % 4 + 1)
    df["s"] = np.minimum(df["y"] * df["n"], df["n"])
    ddf = dd.from_pandas(df, npartitions=3)
    with dask.config.set(scheduler="threads"):
        for f, kw in (("y ~ x + C(g)", dict(weights="w")), ("s ~ x + z", dict(trials="n"))):
            a, b = bl.LogitModel(f, ddf, **kw).fit_map(), bl.LogitModel(f, df, **kw).fit_map()
            _close(a.params, b.params)
            _close(a.bse, b.bse)


@pytest.mark.parametrize(
    "formula, kw",
    [
        ("ans ~ x + flag + cat", {}),  # text response, bool predictor, declared category order
        ("ans ~ x + flag", {"event": "no"}),
        ("I(y == 1) ~ x + np.log(e)", {}),
        ("y ~ x + C(k)", {"offset": "z"}),  # C() of a numeric column, offset column
    ],
)
def test_codings_equal_in_memory(data, formula, kw):
    df = data[0].assign(
        ans=np.where(data[0].y == 1, "yes", "no"),
        flag=data[0].x > 0.3,
        cat=pd.Categorical(data[0].g, categories=["c", "a", "b"]),
    )
    with dask.config.set(scheduler="threads"):
        a = bl.LogitModel(formula, dd.from_pandas(df, npartitions=3), **kw).fit_mle()
    b = bl.LogitModel(formula, df, **kw).fit_mle()
    assert list(a.params.index) == list(b.params.index)
    _close(a.params, b.params)
    _close(a.bse, b.bse)


def test_predict_is_lazy_and_equal(data, reference):
    df, ddf = data
    _, mle0, _, _ = reference
    with dask.config.set(scheduler="threads"):
        fit = bl.LogitModel(FORMULA, ddf).fit_mle()
        p = fit.fittedvalues
        assert type(p).__module__.startswith("dask")
        _close(p.compute().to_numpy(), mle0.fittedvalues, 1e-10)
        new = df.iloc[:50].drop(columns="y")
        lazy = fit.predict(dd.from_pandas(new, npartitions=2))
        assert type(lazy).__module__.startswith("dask")
        _close(lazy.compute().to_numpy(), mle0.predict(new)["estimate"], 1e-10)
        _close(fit.predict(new), mle0.predict(new)["estimate"], 1e-10)


def test_compressed_fit_equals_uncompressed():
    df = _frame(3000, seed=4)
    f = "y ~ C(g) + C(k) + h"
    ddf = dd.from_pandas(df, npartitions=3)
    with dask.config.set(scheduler="threads"):
        small = bl.LogitModel(f, ddf).compress(max_rows=100)
    full = bl.LogitModel(f, df)
    assert small.design.n_obs <= 2 * 3 * 3 * 2 and int(small.design.weights.sum()) == 3000
    a, b = small.fit_mle(), full.fit_mle()
    _close(a.params, b.params)
    _close(a.bse, b.bse)
    _close(a.llf, b.llf, 1e-8)  # 0/1 rows grouped by outcome: no binomial constant
    assert f"3000 ({small.design.n_obs} weighted rows)" in str(a.summary())
    mp = small.fit_map()
    assert f"3000 rows became {small.design.n_obs} patterns" in str(mp.summary())
    _close(mp.params, full.fit_map().params)
    _close(small.priors.logpdf(b.params.to_numpy()), full.priors.logpdf(b.params.to_numpy()), 1e-10)


def test_compressed_log_posterior_is_the_original():
    """What NUTS samples (bayeslogit's log density) is the same function on the patterns."""
    from bayeslogit.fit.laplace import log_density_blocks
    from bayeslogit.fit.nuts.density import LogDensity

    df = _frame(3000, seed=5)
    f = "y ~ C(g) * h + C(k)"
    with dask.config.set(scheduler="threads"):
        small = bl.LogitModel(f, dd.from_pandas(df, npartitions=3)).compress()
    full = bl.LogitModel(f, df)
    B = np.random.default_rng(0).normal(scale=0.5, size=(20, full.design.n_coef))
    a = log_density_blocks(LogDensity.from_model(small), B)
    b = log_density_blocks(LogDensity.from_model(full), B)
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert np.ptp(b) > 1  # the draws differ: a constant offset would have been caught


def test_compress_refuses_too_many_patterns(data):
    _, ddf = data
    with dask.config.set(scheduler="threads"):
        with pytest.raises(bl.DataError, match="max_rows=50 distinct patterns"):
            bl.LogitModel("y ~ x", ddf).compress(max_rows=50)


def test_sample_refused_with_advice(data):
    _, ddf = data
    with dask.config.set(scheduler="threads"):
        model = bl.LogitModel("y ~ x", ddf)
        with pytest.raises(bl.SamplerError, match=r"method='laplace'.*compress\(\)"):
            model.sample(random_seed=1)


def test_laplace_equals_in_memory(data):
    df, ddf = data
    f = "y ~ x + C(g) + z"
    ref = bl.LogitModel(f, df).sample(method="laplace", draws=250, chains=2, random_seed=5, progressbar=False)
    with dask.config.set(scheduler="threads"):
        post = bl.LogitModel(f, ddf).sample(method="laplace", draws=250, chains=2, random_seed=5)
    a, b = post.idata["importance"], ref.idata["importance"]
    _close(a["proposal"], b["proposal"], 1e-10)  # the same mode, curvature and seed
    assert np.ptp(a["log_p"].values - b["log_p"].values) < 1e-8  # equal up to a constant
    _close(post.pareto_k, ref.idata.posterior.attrs["pareto_k"], 1e-8)
    _close(post.ess_importance, ref.idata.posterior.attrs["ess_importance"], 1e-6)
    _close(post.params, ref.params, 1e-8)
    assert post.idata.posterior["beta"].shape == (2, 250, 5)
    assert "Pareto k" in str(post.summary())


def test_reprs(threads_model):
    assert "offset np.log(e)" in repr(threads_model) and "n=2000" in repr(threads_model)
    assert "Offset:" in threads_model._repr_html_()
    with dask.config.set(scheduler="threads"):
        fit = threads_model.fit_map()
    assert "n=2000" in repr(fit) and "<table" in fit._repr_html_()


def test_kinked_priors_refused_with_the_way_out(threads_model):
    with dask.config.set(scheduler="threads"), pytest.raises(bl.ArgumentError, match=r"smooth priors.*compress"):
        threads_model.fit_map(priors=bl.Laplace(0, 1))


def test_row_level_shortcuts_refused_by_name(threads_model, tmp_path):
    with dask.config.set(scheduler="threads"):
        fit = threads_model.fit_mle()
    with pytest.raises(bl.ArgumentError, match=r"report\(\) are for posterior fits.*method='laplace'"):
        fit.report(tmp_path / "r.html")
    with pytest.raises(bl.ArgumentError, match=r"marginal_effects\(\) needs the rows in memory.*compress"):
        fit.marginal_effects()


def test_laplace_refused_above_k(data, monkeypatch):
    from bayeslogit.fit import laplace

    _, ddf = data
    monkeypatch.setattr(laplace, "K_THRESHOLD", -10.0)  # every k is "too high": the refusal path
    with dask.config.set(scheduler="threads"):
        with pytest.raises(bl.SamplerError, match=r"Pareto k = .* exceeds -10.*model.compress\(\).sample\(\)"):
            bl.LogitModel("y ~ x", ddf).sample(method="laplace", draws=100, chains=2, random_seed=1)


def test_separation_checked_on_patterns():
    df = pd.DataFrame({"g": ["a", "b"] * 200, "x": [0.0, 1.0, 2.0, 3.0] * 100})
    df["y"] = (df["g"] == "b").astype(int)
    ddf = dd.from_pandas(df, npartitions=2)
    with dask.config.set(scheduler="threads"):
        with pytest.warns(bl.SeparationWarning, match="separation"):
            fit = bl.LogitModel("y ~ g + x", ddf).fit_mle()
    assert fit.separation == "complete" and fit.separating_columns == ["g[T.b]"]
    with dask.config.set(scheduler="threads"), bl.option_context(max_patterns=3):
        with pytest.warns(bl.SeparationWarning, match="more than 3 distinct patterns, so the exact separation check"):
            unchecked = bl.LogitModel("y ~ g + x", ddf).fit_mle()
    assert unchecked.separation is None and "not run" in str(unchecked.summary())


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda d: d.assign(x=d.x.where(d.index % 97 != 5)), r"rows have missing values \(per column: 'x' \(21\)\)"),
        (lambda d: d.assign(y=d.y.where(d.index != 3, 2)), "must have two outcomes"),
        (lambda d: d.assign(x=np.where(d.index % 2, "1.5", "abc")), "looks numeric"),
    ],
)
def test_bad_input_as_in_memory(data, change, match):
    df, _ = data
    bad = change(df.copy())
    with pytest.raises(bl.BayeslogitError, match=match):
        bl.LogitModel("y ~ x + C(g)", bad)
    with dask.config.set(scheduler="threads"), pytest.raises(bl.BayeslogitError, match=match):
        bl.LogitModel("y ~ x + C(g)", dd.from_pandas(bad, npartitions=3))


def test_missing_drop_and_unseen_levels(data):
    df, _ = data
    bad = df.assign(x=df.x.where(df.index % 97 != 5))
    with dask.config.set(scheduler="threads"):
        with pytest.warns(bl.MissingDataWarning, match="dropped 21 of 2000"):
            m = bl.LogitModel("y ~ x + C(g)", dd.from_pandas(bad, npartitions=3), missing="drop")
        with pytest.warns(bl.MissingDataWarning):
            m0 = bl.LogitModel("y ~ x + C(g)", bad, missing="drop")
        _close(m.fit_mle().params, m0.fit_mle().params)
        new = dd.from_pandas(pd.DataFrame({"x": [0.0, 1.0], "g": ["a", "zz"]}), npartitions=1)
        with pytest.raises(bl.DataError, match="not seen when the model was fitted"):
            m.fit_mle().predict(new).compute()


def test_formula_limits(data):
    _, ddf = data
    with dask.config.set(scheduler="threads"):
        with pytest.raises(bl.FormulaError, match="stateful transform"):
            bl.LogitModel("y ~ center(x)", ddf)
        with pytest.raises(bl.FormulaError, match="evaluated on the workers"):
            bl.LogitModel("y ~ myfun(x)", ddf)
        with pytest.raises(bl.DesignError, match="rank deficient"):
            bl.LogitModel("y ~ x + I(2 * x)", ddf)


# -- LOO by subsampling rows across the partitions -------------------------------------------------

LOO_FORMULA = "y ~ x + C(g) + z + offset(np.log(e))"


@pytest.fixture(scope="module")
def laplace_pair(data):
    """The in-memory Laplace fit and the dask one of the same rows, seed and draws."""
    df, ddf = data
    ref = bl.LogitModel(LOO_FORMULA, df).sample(method="laplace", draws=250, chains=2, random_seed=5, progressbar=False)
    with dask.config.set(scheduler="threads"):
        post = bl.LogitModel(LOO_FORMULA, ddf).sample(method="laplace", draws=250, chains=2, random_seed=5)
    return ref, post


def _check_loo(a, b):
    """A dask subsampled LOO against the in-memory one of the same rows (same seed)."""
    np.testing.assert_array_equal(a.rows, b.rows)
    ea, eb = a.elpd_data, b.elpd_data
    for key in ("elpd", "se", "p", "subsampling_se"):
        _close(ea[key], eb[key], 1e-8)
    _close(ea.pareto_k.values, eb.pareto_k.values[b.rows], 1e-8)
    _close(ea.elpd_i.values, eb.elpd_i.values[b.rows], 1e-8)
    assert ea.n_data_points == eb.n_data_points and a.approx_posterior


def test_loo_subsample_equals_in_memory(laplace_pair):
    """The same rows (a global row index drawn as the in-memory LOO draws it), the same PSIS on
    the Laplace proposals, the difference estimator from per-partition sums: in-memory's numbers;
    and the exact in-memory LOO lies within the subsampling SE."""
    ref, post = laplace_pair
    with dask.config.set(scheduler="threads"):
        a = post.loo(observations=300, seed=3)
    b = ref.loo(method="subsample", observations=300, seed=3)
    _check_loo(a, b)
    exact = ref.loo(method="exact").elpd_data
    assert abs(a.elpd_data.elpd - exact.elpd) < a.elpd_data.subsampling_se  # 0.19 against 0.25 here
    assert "300 of 2,000 rows drawn across the 4 partitions" in a.label and "seed 3" in a.label
    assert "approximate-posterior correction" in a.label


def test_loo_subsample_weights_and_dropped_rows(data):
    """Binomial rows from weights, and rows dropped for missing values (the row index counts the
    kept rows, partition by partition, as the in-memory design orders them)."""
    df = data[0].assign(w=np.arange(len(data[0])) % 3 + 1)
    df["x"] = df.x.where(df.index % 97 != 5)
    f = "y ~ x + C(g)"
    kw = dict(method="laplace", draws=200, chains=2, random_seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", bl.MissingDataWarning)
        ref = bl.LogitModel(f, df, weights="w", missing="drop").sample(progressbar=False, **kw)
        with dask.config.set(scheduler="threads"):
            post = bl.LogitModel(f, dd.from_pandas(df, npartitions=3), weights="w", missing="drop").sample(**kw)
            a = post.loo(observations=200, seed=7)
    assert post.model.design.n_obs == 1979
    _check_loo(a, ref.loo(method="subsample", observations=200, seed=7))
    from bayeslogit.check.dask_report import expected_event_rate

    with dask.config.set(scheduler="threads"):  # the report's event rates: dropped rows left out, weights counted
        rate = expected_event_rate(post)
    kept = df[df.x.notna()]
    for level in "abc":
        rows = kept[kept.g == level]
        _close(rate.loc[f"g = {level}", "observed"], (rows.w * rows.y).sum() / rows.w.sum(), 1e-12)


def test_loo_on_local_cluster_equals_threads(data, laplace_pair, cluster):
    ref, _ = laplace_pair
    with cluster.as_current():
        post = bl.LogitModel(LOO_FORMULA, data[1]).sample(method="laplace", draws=250, chains=2, random_seed=5)
        a = post.loo(observations=300, seed=3)
        diag = post.diagnostics(observations=300, seed=3)  # the same rows: LOO reused, scores added
    _check_loo(a, ref.loo(method="subsample", observations=300, seed=3))
    with dask.config.set(scheduler="threads"):
        threads = laplace_pair[1].diagnostics(observations=300, seed=3)
    for key in ("brier", "log_score", "auc", "miscalibration"):
        _close(getattr(diag.fit, key), getattr(threads.fit, key), 1e-12)


def test_loo_of_point_fit_refused(threads_model):
    with dask.config.set(scheduler="threads"):
        fit = threads_model.fit_map()
    with pytest.raises(bl.ArgumentError, match=r"loo\(\) needs a posterior.*method='laplace'"):
        fit.loo()
