"""diagnostics() and report() of a dask Laplace fit (issue 25): numbers from the draws, from the
LOO's row subsample and from one pass over all rows, each equal to the same computation in memory
on the same rows.

References: the in-memory Laplace fit of the same rows and seed (its fitted probabilities,
scores and binned residuals restricted to the subsampled rows), scikit-learn's ``roc_auc_score``
and ``brier_score_loss`` and numpy's expit of ``X beta`` for the event rate.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from dask_data import FORMULA, offset_frame

import bayeslogit as bl

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def pair():
    df = offset_frame(1600, seed=3)
    kw = dict(method="laplace", draws=200, chains=2, random_seed=8)
    ref = bl.LogitModel(FORMULA, df).sample(progressbar=False, **kw)
    with dask.config.set(scheduler="threads"):
        model = bl.LogitModel(FORMULA, dd.from_pandas(df, npartitions=4))
        post = model.sample(**kw)
        diag = post.diagnostics(observations=400, seed=2)
        mle = model.fit_mle()
    return df, ref, post, diag, mle


def test_diagnostics_match_in_memory_on_the_same_rows(pair):
    from sklearn.metrics import brier_score_loss, roc_auc_score

    from bayeslogit.check.scores import fit_quality_of, fitted_probabilities

    df, ref, post, diag, _ = pair
    rows = diag.loo_rows
    assert rows.size == 400
    np.testing.assert_array_equal(rows, np.sort(np.random.default_rng(2).choice(len(df), 400, replace=False)))
    p = fitted_probabilities(ref)[rows]
    y = df.y.to_numpy()[rows]
    want = fit_quality_of(p, y, np.ones(rows.size))
    for key in ("brier", "log_score", "auc", "miscalibration"):
        np.testing.assert_allclose(getattr(diag.fit, key), getattr(want, key), rtol=0, atol=1e-10)
    np.testing.assert_allclose(diag.fit.auc, roc_auc_score(y, p), rtol=0, atol=1e-10)
    np.testing.assert_allclose(diag.fit.brier, brier_score_loss(y, p), rtol=0, atol=1e-10)
    loo = ref.loo(method="subsample", observations=400, seed=2).elpd_data
    np.testing.assert_allclose(diag.loo.elpd, loo.elpd, rtol=0, atol=1e-8)
    frame = diag.to_frame()
    assert frame.loc["Pareto k (importance sampling)", "value"] == f"{post.pareto_k:.2f}"
    assert "subsample of 400 of 1,600 rows (seed 2)" in diag.notes[0] and "400 of 1,600" in diag.fit.note
    np.testing.assert_allclose(diag.per_coef["ess_is"], ref.importance_stats()["ess"], rtol=1e-6)


def test_event_rate_and_binned_residuals(pair):
    from bayeslogit.check.dask_report import expected_event_rate, subsample_probabilities
    from bayeslogit.check.statistics import binned_residuals_of
    from bayeslogit.interpret.loo_dask import draw_subsample

    df, ref, post, diag, _ = pair
    with dask.config.set(scheduler="threads"):
        rate = expected_event_rate(post, max_draws=50)
        sub = draw_subsample(post, observations=400, seed=2)
    B = ref.draws()
    keep = np.unique(np.linspace(0, B.shape[0] - 1, 50).round().astype(int))
    d = ref.design
    p = 1 / (1 + np.exp(-(d.X @ B[keep].T + d.offset[:, None])))  # rows x draws, in memory
    assert list(rate.index) == ["overall", "g = a", "g = b", "g = c"]
    for name, rows in [("overall", np.ones(len(df), bool))] + [(f"g = {v}", (df.g == v).to_numpy()) for v in "abc"]:
        want = p[rows].mean(axis=0)
        np.testing.assert_allclose(rate.attrs["draws"][list(rate.index).index(name)], want, rtol=1e-10)
        np.testing.assert_allclose(rate.loc[name, "observed"], df.y[rows].mean(), rtol=1e-12)
        np.testing.assert_allclose(rate.loc[name, "97.5%"], np.quantile(want, 0.975), rtol=1e-10)
    assert rate.loc["g = b", "observed"] < rate.loc["g = a", "observed"]  # the levels differ: not all-row copies
    from bayeslogit.check.scores import fitted_probabilities

    rows = sub.rows
    np.testing.assert_allclose(subsample_probabilities(post, sub), fitted_probabilities(ref)[rows], atol=1e-10)
    a = binned_residuals_of(subsample_probabilities(post, sub), sub.y.astype(float), np.ones(rows.size))
    b = binned_residuals_of(fitted_probabilities(ref)[rows], df.y.to_numpy()[rows].astype(float), np.ones(rows.size))
    pd.testing.assert_frame_equal(a, b, atol=1e-10)
    assert len(a) == 20 and a["rows"].sum() == 400


def test_report_written_self_contained_and_names_the_subsample(pair, tmp_path):
    df, _, post, diag, mle = pair
    path = tmp_path / "report.html"
    with dask.config.set(scheduler="threads"):
        out = post.report(path, fits=(mle,), observations=400, seed=2, run_info={"data source": "test frame"})
    assert out == path and os.listdir(tmp_path) == ["report.html"]  # no temporary file left
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<script" not in text and 'src="http' not in text
    assert "a random subsample of 400 of 1,600 rows (seed 2)" in text
    assert f"{diag.fit.brier:.4f}" in text and f"{df.y.mean():.4f}" in text
    assert f"{df.y[df.g == 'c'].mean():.4f}" in text and "g = c" in text  # the per-level event rate
    assert "400 of 1,600 rows drawn across the 4 partitions" in text
    assert "data:image/png;base64," in text and "test frame" in text
    with pytest.raises(bl.ArgumentError, match="does not exist"):
        post.report(tmp_path / "no" / "r.html")
    with pytest.raises(bl.ArgumentError, match=r"posterior fits.*method='laplace'"):
        mle.report(tmp_path / "m.html")


def test_cli_report_of_a_saved_dask_fit(tmp_path, monkeypatch):
    """``bayeslogit report FIT.nc`` of a saved dask Laplace fit reopens its Parquet files and
    writes the dask report (the default subsample named on the page)."""
    from bayeslogit.cli import main

    df = offset_frame(800, seed=4)
    df.to_parquet(tmp_path / "rows.parquet")
    with dask.config.set(scheduler="threads"):
        post = bl.LogitModel(FORMULA, dd.read_parquet(str(tmp_path / "rows.parquet"))).sample(
            method="laplace", draws=150, chains=2, random_seed=3
        )
        post.save(tmp_path / "fit.nc")
        status = main(["report", str(tmp_path / "fit.nc"), "--output", str(tmp_path / "r.html"), "--ignore-checks"])
    text = (tmp_path / "r.html").read_text()
    assert status == 0 and "a random subsample of 800 of 800 rows (seed 0)" in text
    assert "the Parquet files named in" in text
