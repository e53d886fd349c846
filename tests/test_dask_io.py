"""save() and bl.load() of the fits of a dask DataFrame (issue 25): the file holds what the fit
holds (estimate and Hessian, or the Laplace draws, proposals and weights; the design's recipe;
the Parquet path), never the rows; loading runs no code from the file.

References: the fit that was saved (bit-identical params, tables, summaries and predictions
after the round trip) and the in-memory fit of the same rows (predictions of the loaded fit).
"""

from __future__ import annotations

import json
import shutil

import h5py
import numpy as np
import pandas as pd
import pytest
from dask_data import FORMULA, offset_frame

import bayeslogit as bl

dd = pytest.importorskip("dask.dataframe")
dask = pytest.importorskip("dask")


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    df = offset_frame(1500, seed=2)
    path = tmp_path_factory.mktemp("dask_io") / "rows.parquet"
    df.to_parquet(path, row_group_size=500)
    return df, str(path)


@pytest.fixture(scope="module")
def fits(parquet):
    df, path = parquet
    with dask.config.set(scheduler="threads"):
        m = bl.LogitModel(FORMULA, dd.read_parquet(path))
        return m.fit_mle(), m.fit_map(), m.sample(method="laplace", draws=150, chains=2, random_seed=4)


def _shapes(path) -> list[tuple]:
    """The shape of every array in the file."""
    out: list[tuple] = []
    with h5py.File(path) as f:
        f.visititems(lambda name, obj: out.append(obj.shape) if isinstance(obj, h5py.Dataset) else None)
    return out


def _same(a, b):
    pd.testing.assert_series_equal(a.params, b.params, check_exact=True)
    pd.testing.assert_frame_equal(a.coef_table(), b.coef_table(), check_exact=True)
    assert str(a.summary()) == str(b.summary())


@pytest.mark.parametrize("which", [0, 1, 2], ids=["mle", "map", "laplace"])
def test_round_trip_without_rows(fits, parquet, tmp_path, which):
    """No array of the rows' length in the file; the loaded fit has the same numbers, and
    predicts new pandas and dask rows as the saved fit (and the in-memory MLE) does."""
    df, _ = parquet
    fit = fits[which]
    path = tmp_path / "fit.nc"
    with dask.config.set(scheduler="threads"):
        fit.save(path)
        back = bl.load(path)
    assert type(back) is type(fit)
    _same(back, fit)
    with h5py.File(path) as f:
        meta = json.loads(f["bayeslogit"].attrs["bayeslogit"])
    assert all(len(df) not in s for s in _shapes(path))  # nothing of the rows' length is stored
    assert meta["dask"]["parquet"] is not None  # fits come from read_parquet: the path is kept
    if which < 2:
        new = df.head(40)
        ref = bl.LogitModel(FORMULA, df).fit_mle().predict(new)["estimate"] if which == 0 else None
        with dask.config.set(scheduler="threads"):
            a = back.predict(new)
            b = back.predict(dd.from_pandas(new, npartitions=2)).compute()
        np.testing.assert_array_equal(a.to_numpy(), fit.predict(new).to_numpy())
        np.testing.assert_allclose(b.to_numpy(), a.to_numpy(), rtol=0, atol=1e-15)
        if ref is not None:
            np.testing.assert_allclose(a.to_numpy(), ref.to_numpy(), rtol=0, atol=1e-8)
    if which == 0:
        assert back.llnull == fit.llnull and back.separation == fit.separation


def test_parquet_path_reopened_and_missing(fits, parquet, tmp_path):
    """The Parquet path is reopened when it exists (row-level work runs: LOO equals the
    original's); when it is gone, the loaded fit still works and row-level work says why not."""
    _, src = parquet
    post = fits[2]
    path = tmp_path / "post.nc"
    with dask.config.set(scheduler="threads"):
        post.save(path)
        back = bl.load(path)
        assert back.model.design.frame is not None
        a, b = back.loo(observations=200, seed=1), post.loo(observations=200, seed=1)
    assert a.elpd_data.elpd == b.elpd_data.elpd and a.elpd_data.se == b.elpd_data.se
    moved = tmp_path / "copy.parquet"
    shutil.copy(src, moved)
    with dask.config.set(scheduler="threads"):
        m = bl.LogitModel(FORMULA, dd.read_parquet(str(moved)))
        fit = m.fit_map()
        fit.save(tmp_path / "map.nc")
    moved.unlink()
    back = bl.load(tmp_path / "map.nc")
    assert back.model.design.frame is None
    _same(back, fit)
    with pytest.raises(bl.DataError, match="loaded from a file, which holds no rows"):
        _ = back.fittedvalues


def test_filtered_frame_stores_no_path(parquet, tmp_path):
    df, src = parquet
    with dask.config.set(scheduler="threads"):
        fit = bl.LogitModel(FORMULA, dd.read_parquet(src).assign(x=lambda d: d.x * 1.0)).fit_mle()
        fit.save(tmp_path / "f.nc")
    with h5py.File(tmp_path / "f.nc") as f:
        assert json.loads(f["bayeslogit"].attrs["bayeslogit"])["dask"]["parquet"] is None
    assert bl.load(tmp_path / "f.nc").model.design.frame is None


def _both(meta, **kw):
    meta.update(kw)
    meta["dask"].update(kw)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: _both(m, formula="y ~ __import__('os').system('touch pwned')"), "does not run code"),
        (lambda m: m["dask"]["columns"][0].update(dtype="evil"), "unknown dtype 'evil'"),
        (lambda m: _both(m, column_names=["Intercept", "x"]), "other columns than the fit"),
        (lambda m: m.update(column_names=["Intercept", "x"]), "does not match its description"),
        (lambda m: m["priors"]["priors"]["x"].update(family="Nope"), "its stored priors are invalid"),
    ],
)
def test_a_damaged_or_crafted_file_is_refused(fits, tmp_path, edit, match, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "fit.nc"
    fits[0].save(path)
    with h5py.File(path, "r+") as f:
        meta = json.loads(f["bayeslogit"].attrs["bayeslogit"])
        edit(meta)
        f["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)
    with pytest.raises(bl.FitFileError, match=match):
        bl.load(path)
    assert not (tmp_path / "pwned").exists()


def test_compressed_model_fits_round_trip(tmp_path):
    """The fits of model.compress() store the patterns and the dask design's recipe (not the
    rows): the same numbers, summary (with its 'rows became patterns' line), predictions of new
    rows and LOO after loading, and a loaded fit saves again."""
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], 3000), "h": rng.choice(["u", "v"], 3000)})
    df["k"] = rng.integers(0, 3, 3000)
    df["y"] = rng.binomial(1, 0.3 + 0.2 * (df.g == "b"))
    with dask.config.set(scheduler="threads"):
        small = bl.LogitModel("y ~ C(g) * h + C(k)", dd.from_pandas(df, npartitions=3)).compress()
    post = small.sample(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    full_model = bl.LogitModel("y ~ C(g) * h + C(k)", df)
    full = {"mle": full_model.fit_mle(), "map": full_model.fit_map()}
    for fit in (small.fit_mle(), small.fit_map(), post):
        path = tmp_path / "c.nc"
        fit.save(path)
        back = bl.load(path)
        assert type(back) is type(fit)
        _same(back, fit)
        m = small.design.n_obs
        said = f"3000 ({m} weighted rows)" if fit.method == "mle" else f"3000 rows became {m} patterns"
        assert said in str(back.summary())
        new = df.head(30)
        np.testing.assert_array_equal(back.predict(new).to_numpy(), fit.predict(new).to_numpy())
        if fit is not post:
            ref = full[fit.method].predict(new).iloc[:, 0]  # the in-memory fit of the rows themselves
            np.testing.assert_allclose(back.predict(new).iloc[:, 0], ref, rtol=0, atol=1e-8)
        assert all(3000 not in s for s in _shapes(path))
        back.save(tmp_path / "again.nc")
        _same(bl.load(tmp_path / "again.nc"), fit)
    assert back.loo().elpd_data.elpd == post.loo().elpd_data.elpd
