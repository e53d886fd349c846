"""Saving fits to netCDF and loading them back (bl.load): round trip and refusals."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import bayeslogit as bl

KW = dict(draws=100, tune=100, chains=2, random_seed=4, progressbar=False)


@pytest.fixture(scope="module")
def mixed_post(mixed_df):
    """String response with an explicit event, a factor, a stateful transform, user priors."""
    df = mixed_df.copy()
    df.loc[3, "x2"] = np.nan  # dropped: the stored rows must be the fitted ones
    priors = {"x2": bl.StudentT(3, 0, 2), "C(g)": bl.Cauchy(0, 1)}
    with pytest.warns(bl.MissingDataWarning):
        model = bl.LogitModel("yes_no ~ center(x1) * x2 + C(g)", df, priors=priors, event="yes", missing="drop")
    return model.sample(**KW)


@pytest.fixture(scope="module")
def saved(mixed_post, tmp_path_factory):
    path = tmp_path_factory.mktemp("io") / "fit.nc"
    mixed_post.save(path)
    return path, bl.load(path)


def test_round_trip_draws_bit_identical(mixed_post, saved):
    _, loaded = saved
    assert isinstance(loaded, bl.PosteriorResults)
    np.testing.assert_array_equal(loaded.draws(), mixed_post.draws())
    for group in ("posterior", "sample_stats", "observed_data", "constant_data"):
        xr.testing.assert_identical(loaded.idata[group].to_dataset(), mixed_post.idata[group].to_dataset())
    assert set(loaded.idata.children) == set(mixed_post.idata.children)


def test_round_trip_restores_model(mixed_post, saved):
    _, loaded = saved
    a, b = mixed_post.design, loaded.design
    assert b.formula == a.formula and b.column_names == a.column_names
    assert (b.response, b.event, b.levels, b.n_dropped) == (a.response, a.event, a.levels, 1)
    np.testing.assert_array_equal(b.X, a.X)
    np.testing.assert_array_equal(b.y, a.y)
    pd.testing.assert_frame_equal(loaded.model.prior_summary(), mixed_post.model.prior_summary())
    assert loaded.model.priors.priors == mixed_post.model.priors.priors
    np.testing.assert_array_equal(loaded.model.priors.x_mean, mixed_post.model.priors.x_mean)
    assert loaded.model.priors.centered_intercept is True
    assert (loaded.sampler, loaded.random_seed) == (mixed_post.sampler, 4)
    pd.testing.assert_frame_equal(loaded.coef_table(), mixed_post.coef_table())


def test_loaded_design_encodes_new_data_like_the_original(mixed_post, saved, mixed_df):
    """center(x1) must subtract the *training* mean, and C(g) keep its levels, after loading."""
    _, loaded = saved
    new = pd.DataFrame({"x1": [0.0, 2.0], "x2": [1.0, -1.0], "g": ["c", "a"]})
    np.testing.assert_array_equal(loaded.design.encode(new), mixed_post.design.encode(new))
    x1_mean = mixed_df["x1"].drop(index=3).mean()
    col = loaded.design.column_names.index("center(x1)")
    np.testing.assert_allclose(loaded.design.encode(new)[:, col], [0.0 - x1_mean, 2.0 - x1_mean], rtol=1e-12)
    with pytest.raises(bl.DataError, match=r"level 'd'"):
        loaded.design.encode(new.assign(g=["d", "a"]))


def test_save_leaves_the_fit_unchanged(mixed_post, saved):
    assert "bayeslogit" not in mixed_post.idata.children
    assert "bayeslogit" not in saved[1].idata.children


def test_binomial_categorical_and_bool_columns_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    n = 30
    df = pd.DataFrame(
        {
            "k": rng.integers(0, 5, size=n),
            "dose": pd.Categorical(
                rng.choice(["low", "mid", "high"], size=n), categories=["low", "mid", "high"], ordered=True
            ),
            "flag": rng.random(n) > 0.5,
        }
    )
    df["n"] = df["k"] + rng.integers(1, 4, size=n)
    post = bl.LogitModel("k ~ dose + flag", df, trials="n").sample(**KW)
    post.save(tmp_path / "binom.nc")
    loaded = bl.load(str(tmp_path / "binom.nc"))
    np.testing.assert_array_equal(loaded.draws(), post.draws())
    assert loaded.design.family == "binomial" and loaded.design.trials_name == "n"
    np.testing.assert_array_equal(loaded.design.trials, post.design.trials)
    np.testing.assert_array_equal(loaded.design.X, post.design.X)
    stored = loaded.model._data
    assert list(stored["dose"].cat.categories) == ["low", "mid", "high"] and stored["dose"].cat.ordered
    assert stored["flag"].dtype == bool


def test_load_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(bl.FitFileError, match=r"no file at .*nope\.nc.*check the path"):
        bl.load(tmp_path / "nope.nc")
    with pytest.raises(OSError):  # FitFileError is also an OSError
        bl.load(tmp_path / "nope.nc")


def test_load_refuses_files_that_are_not_fits(tmp_path):
    text = tmp_path / "notes.nc"
    text.write_text("not netcdf at all")
    with pytest.raises(bl.FitFileError, match=r"is not a bayeslogit fit \(cannot read it"):
        bl.load(text)
    other = tmp_path / "other.nc"
    xr.DataTree.from_dict({"/": xr.Dataset({"a": ("x", [1.0, 2.0])})}).to_netcdf(other, engine="h5netcdf")
    with pytest.raises(bl.FitFileError, match=r"is not a bayeslogit fit \(no 'bayeslogit' group"):
        bl.load(other)
    fake = tmp_path / "fake.nc"
    xr.DataTree.from_dict({"/bayeslogit": xr.Dataset(attrs={"bayeslogit": '{"format": "other"}'})}).to_netcdf(
        fake, engine="h5netcdf"
    )
    with pytest.raises(bl.FitFileError, match=r"is not a bayeslogit fit"):
        bl.load(fake)
    with pytest.raises(bl.FitFileError, match=r"is a directory"):
        bl.load(tmp_path)


def test_formula_with_own_function_needs_namespace(tmp_path, seed_df):
    def double(x):
        return 2 * x

    post = bl.LogitModel("y ~ double(x1) + np.exp(x2)", seed_df.head(100)).sample(**KW)
    post.save(tmp_path / "f.nc")
    with pytest.raises(bl.FitFileError, match=r"'double' \(an unknown function.*namespace=\{'double': double\}"):
        bl.load(tmp_path / "f.nc")
    loaded = bl.load(tmp_path / "f.nc", namespace={"double": double})
    np.testing.assert_array_equal(loaded.design.X, post.design.X)


@pytest.mark.parametrize("method", ["mle", "map"])
def test_point_fits_round_trip(tmp_path, mixed_df, method):
    model = bl.LogitModel("y ~ x1 + C(g)", mixed_df)
    fit = model.fit_mle() if method == "mle" else model.fit_map(priors=bl.Normal(0, 0.5))
    fit.save(tmp_path / "point.nc")
    loaded = bl.load(tmp_path / "point.nc")
    assert type(loaded) is type(fit) and loaded.method == method
    np.testing.assert_array_equal(loaded.params, fit.params)
    np.testing.assert_array_equal(loaded.cov_params(), fit.cov_params())
    pd.testing.assert_frame_equal(loaded.coef_table(), fit.coef_table())
    assert loaded.converged == fit.converged
    new = mixed_df.head(4)
    pd.testing.assert_frame_equal(loaded.predict(new), fit.predict(new))
    pd.testing.assert_frame_equal(loaded.marginal_effects(), fit.marginal_effects())
    if method == "map":
        assert loaded.label == "MAP Normal(0, 0.5)"
        assert loaded.priors.priors == fit.priors.priors
    else:
        assert loaded.llf == fit.llf and loaded.separation is None


def test_a_loaded_fit_saves_again_identically(saved, tmp_path):
    _, loaded = saved
    loaded.save(tmp_path / "again.nc")
    twice = bl.load(tmp_path / "again.nc")
    np.testing.assert_array_equal(twice.draws(), loaded.draws())
    pd.testing.assert_frame_equal(twice.model._data, loaded.model._data)


# -- a crash while saving never destroys the previous file (issue 12) --------------------------------


def _point_fits(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", seed_df.head(200))
    return model.fit_mle(), model.fit_map(priors=bl.Normal(0, 1))


def test_an_exception_while_saving_leaves_the_previous_file(tmp_path, seed_df, monkeypatch):
    import xarray as xr

    a, b = _point_fits(seed_df)
    a.save(tmp_path / "fit.nc")

    def broken(self, target, *args, **kwargs):  # save() writes to memory, then to the file
        partial = b"\x89HDF\r\n\x1a\n" + b"\0" * 92  # a partial HDF5 header
        if hasattr(target, "write"):
            target.write(partial)
        else:
            with open(target, "wb") as f:
                f.write(partial)
        raise OSError("disk full")

    monkeypatch.setattr(xr.DataTree, "to_netcdf", broken)
    with pytest.raises(OSError, match="disk full"):
        b.save(tmp_path / "fit.nc")
    monkeypatch.undo()
    np.testing.assert_array_equal(bl.load(tmp_path / "fit.nc").params, a.params)
    assert list(tmp_path.iterdir()) == [tmp_path / "fit.nc"]  # no temporary file left behind


def test_a_process_killed_while_saving_leaves_the_previous_file(tmp_path, seed_df):
    import subprocess
    import sys

    seed_df.head(200).to_csv(tmp_path / "d.csv", index=False)
    code = f"""
import os, signal, pandas as pd, xarray as xr, bayeslogit as bl
df = pd.read_csv({str(tmp_path / "d.csv")!r})
model = bl.LogitModel("y ~ x1 + x2", df)
model.fit_mle().save({str(tmp_path / "fit.nc")!r})
import bayeslogit.io
def killed(path, *args, **kwargs):  # save() writes the file from memory with open(): killed mid-write
    with open(path, "wb") as f:
        f.write(b"partial")
        f.flush()
    os.kill(os.getpid(), signal.SIGKILL)
bayeslogit.io.open = killed
model.fit_map().save({str(tmp_path / "fit.nc")!r})
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert r.returncode == -9, r.stderr[-2000:]
    mle = bl.LogitModel("y ~ x1 + x2", seed_df.head(200)).fit_mle()
    loaded = bl.load(tmp_path / "fit.nc")
    assert loaded.method == "mle"
    np.testing.assert_allclose(loaded.params, mle.params, rtol=1e-12)


def test_saved_files_have_ordinary_permissions(tmp_path, seed_df):
    import os

    a, _ = _point_fits(seed_df)
    a.save(tmp_path / "fit.nc")
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(tmp_path / "fit.nc").st_mode & 0o777 == 0o666 & ~umask


# -- what is stored: draws, data and metadata, compressed; never the derived log-likelihood -----


def test_file_holds_no_log_likelihood_and_no_design_matrix(seed_df, tmp_path):
    import h5py

    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(
        draws=200, tune=100, chains=2, random_seed=2, progressbar=False, log_likelihood=True
    )
    assert "log_likelihood" in post.idata.children
    path = tmp_path / "fit.nc"
    post.save(path)
    with h5py.File(path, "r") as f:
        assert "log_likelihood" not in f and "X" not in f["constant_data"]
        beta = f["posterior"]["beta"]
        assert beta.compression == "gzip" and beta.shuffle
    # draws 2 x 200 x 3 x 8 B = 9.6 kB, data 500 x 3 columns x 8 B = 12 kB: the file is small
    # (the log-likelihood alone would be 2 x 200 x 500 x 8 B = 1.6 MB)
    assert path.stat().st_size < 150_000
    loaded = bl.load(path)
    assert "log_likelihood" not in loaded.idata.children
    np.testing.assert_array_equal(loaded.idata.constant_data["X"].values, post.design.X)
    xr.testing.assert_identical(loaded.log_likelihood(), post.idata["log_likelihood"]["y"])


def test_files_of_the_earlier_layout_still_load(seed_df, tmp_path):
    """Before: log_likelihood group and the design matrix stored, no digest."""
    import json

    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=50, tune=50, chains=2, random_seed=2, progressbar=False)
    path = tmp_path / "new.nc"
    post.save(path)
    tree = xr.open_datatree(path, engine="h5netcdf").load()
    meta = json.loads(tree["bayeslogit"].attrs["bayeslogit"])
    del meta["X_sha256"]
    old = {k: v.to_dataset() for k, v in tree.children.items()}
    old["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)
    old["constant_data"]["X"] = (("obs", "coef"), post.design.X)
    old["log_likelihood"] = post.log_likelihood().to_dataset()
    old_path = tmp_path / "old.nc"
    xr.DataTree.from_dict({"/": tree.to_dataset(), **old}).to_netcdf(old_path, engine="h5netcdf")
    loaded = bl.load(old_path)
    np.testing.assert_array_equal(loaded.draws(), post.draws())
    assert "log_likelihood" not in loaded.idata.children
    # a damaged stored matrix is still caught in old files
    old["constant_data"]["X"] = (("obs", "coef"), post.design.X + 1e-9)
    bad_path = tmp_path / "bad.nc"
    xr.DataTree.from_dict({"/": tree.to_dataset(), **old}).to_netcdf(bad_path, engine="h5netcdf")
    with pytest.raises(bl.FitFileError, match="differs from the one the draws were made with"):
        bl.load(bad_path)


def test_changed_training_rows_are_caught_by_the_digest(seed_df, tmp_path):
    import h5py

    post = bl.LogitModel("y ~ x1 + x2", seed_df).sample(draws=50, tune=50, chains=1, random_seed=2, progressbar=False)
    path = tmp_path / "fit.nc"
    post.save(path)
    with h5py.File(path, "r+") as f:
        for name, var in f["bayeslogit"].items():
            if var.attrs.get("name") == "x1":
                var[0] = var[0] + 1.0
    with pytest.raises(bl.FitFileError, match="differs from the one the draws were made with"):
        bl.load(path)


# -- pooled point fits keep what they are (issue 21) -------------------------------------------


def _grouped_frame(n_groups=6, per=30, seed=0):
    rng = np.random.default_rng(seed)
    g = np.repeat([f"s{i}" for i in range(n_groups)], per)
    return pd.DataFrame({"y": rng.binomial(1, 0.5, size=g.size), "x": rng.normal(size=g.size), "g": g})


@pytest.mark.parametrize("pooling", ["none", "complete"])
def test_pooled_point_fits_round_trip_with_their_label(tmp_path, pooling):
    """A fit_mle(pooling="none") saved and loaded came back labelled "MLE" without its population
    coefficients, so bl.compare(loaded, m.fit_mle()) raised ArgumentError (the unsaved fit works)."""
    m = bl.LogitModel("y ~ x + (1 + x | g)", _grouped_frame())
    for fit in (m.fit_mle(pooling=pooling), m.fit_map(pooling=pooling)):
        fit.save(tmp_path / "pooled.nc")
        loaded = bl.load(tmp_path / "pooled.nc")
        assert loaded.label == fit.label
        assert loaded.population_names == fit.population_names == ["Intercept", "x"]
        pd.testing.assert_frame_equal(bl.compare(loaded, m.fit_mle()), bl.compare(fit, m.fit_mle()))


def _rewrite_meta(path, new_path, change):
    """A copy of the saved fit at ``path`` with its stored description changed by ``change``."""
    import json

    tree = xr.open_datatree(path, engine="h5netcdf").load()
    meta = json.loads(tree["bayeslogit"].attrs["bayeslogit"])
    change(meta)
    groups = {k: v.to_dataset() for k, v in tree.children.items()}
    groups["bayeslogit"].attrs["bayeslogit"] = json.dumps(meta)
    xr.DataTree.from_dict({"/": tree.to_dataset(), **groups}).to_netcdf(new_path, engine="h5netcdf")


def test_files_without_label_and_population_names_still_load(tmp_path, seed_df):
    """Files written before issue 21 have neither: the defaults ("MLE", "Posterior", the design's
    columns) come back, as they did."""
    model = bl.LogitModel("y ~ x1 + x2", seed_df.head(200))
    post = model.sample(draws=30, tune=30, chains=1, random_seed=2, progressbar=False)
    for fit, label in (
        (model.fit_mle(), "MLE"),
        (model.fit_map(priors=bl.Normal(0, 1)), "MAP Normal(0, 1)"),
        (post, "Posterior"),
    ):
        fit.save(tmp_path / "new.nc")

        def forget(meta):
            del meta["label"], meta["population_names"]

        _rewrite_meta(tmp_path / "new.nc", tmp_path / "old.nc", forget)
        loaded = bl.load(tmp_path / "old.nc")
        assert loaded.label == label and loaded.population_names == ["Intercept", "x1", "x2"]


@pytest.mark.parametrize(
    "key, value, match",
    [
        ("label", 3, r"'label' must be a non-empty text"),
        ("label", "", r"'label' must be a non-empty text"),
        ("population_names", "x", r"'population_names' must be a list of text"),
        ("population_names", [1, 2], r"'population_names' must be a list of text"),
    ],
)
def test_a_damaged_label_or_population_names_is_a_fit_file_error(tmp_path, seed_df, key, value, match):
    bl.LogitModel("y ~ x1", seed_df.head(100)).fit_mle().save(tmp_path / "fit.nc")
    _rewrite_meta(tmp_path / "fit.nc", tmp_path / "bad.nc", lambda meta: meta.__setitem__(key, value))
    with pytest.raises(bl.FitFileError, match=rf"is damaged: {match}"):
        bl.load(tmp_path / "bad.nc")
