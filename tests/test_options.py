"""bl.options and bl.option_context: the user-tunable limits, checked when set."""

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit import _blocks

DEFAULTS = {
    "max_levels": 1_000,
    "max_columns": 2_000,
    "block_bytes": 64 * 2**20,
    "loo_exact_max_cells": 40_000_000,
    "fitted_max_cells": 100_000_000,
    "log_likelihood_warn_bytes": 2**30,
    "predictive_warn_bytes": 2**30,
    "max_patterns": 1_000_000,
    "load_max_bytes": 8 * 2**30,
}


def test_the_options_and_their_defaults():
    assert dict(bl.options) == DEFAULTS
    assert {name: bl.options.default(name) for name in bl.options} == DEFAULTS
    assert "max_levels" in bl.options and "nope" not in bl.options and bl.options.get("nope") is None
    assert "loo_exact_max_cells" in repr(bl.options) and "40,000,000" in repr(bl.options)
    assert "group term" in bl.options.describe("max_levels")
    assert {"options", "option_context"} <= set(bl.__all__)


def test_setting_checks_the_name_and_the_value():
    names = ", ".join(repr(n) for n in sorted(DEFAULTS))
    with pytest.raises(bl.ArgumentError, match=rf"^unknown option 'max_level'; the options are {names}$"):
        bl.options["max_level"] = 5
    with pytest.raises(bl.ArgumentError, match=r"^unknown option 'max_level'"):
        bl.options["max_level"]
    with pytest.raises(bl.ArgumentError, match=r"^option 'max_levels' must be an integer >= 1, got 0$"):
        bl.options["max_levels"] = 0
    with pytest.raises(bl.ArgumentError, match=r"^option 'block_bytes' must be an integer >= 1, got 1.5$"):
        bl.options["block_bytes"] = 1.5
    with pytest.raises(bl.ArgumentError, match=r"^option 'loo_exact_max_cells' must be an integer >= 0, got -1$"):
        bl.option_context(loo_exact_max_cells=-1).__enter__()
    assert dict(bl.options) == DEFAULTS  # nothing was set by the refused calls


def test_update_sets_all_or_nothing_and_reset_restores():
    try:
        with pytest.raises(bl.ArgumentError, match="'max_columns' must be"):
            bl.options.update(max_levels=5, max_columns="many")
        assert bl.options["max_levels"] == 1_000
        bl.options.update({"max_levels": 5}, max_columns=np.int64(10))
        assert (bl.options["max_levels"], bl.options["max_columns"]) == (5, 10)
        assert type(bl.options["max_columns"]) is int
        bl.options.reset("max_levels")
        assert (bl.options["max_levels"], bl.options["max_columns"]) == (1_000, 10)
    finally:
        bl.options.reset()
    assert dict(bl.options) == DEFAULTS


def test_option_context_restores_the_previous_values_also_on_an_error():
    bl.options["max_levels"] = 7
    try:
        with bl.option_context(max_levels=5000, block_bytes=4096) as opts:
            assert opts is bl.options and (bl.options["max_levels"], bl.options["block_bytes"]) == (5000, 4096)
            with bl.option_context(max_levels=6000):
                assert bl.options["max_levels"] == 6000
            assert bl.options["max_levels"] == 5000
        assert (bl.options["max_levels"], bl.options["block_bytes"]) == (7, DEFAULTS["block_bytes"])
        with pytest.raises(RuntimeError), bl.option_context(block_bytes=4096):
            raise RuntimeError
        assert bl.options["block_bytes"] == DEFAULTS["block_bytes"]
    finally:
        bl.options.reset()


def test_block_bytes_sizes_the_row_blocks():
    assert _blocks.block_rows(1000) == 64 * 2**20 // 8000
    with bl.option_context(block_bytes=8 * 1000 * 37):
        assert _blocks.block_rows(1000) == 37
        assert _blocks.block_rows(1000, block_bytes=8 * 1000 * 5) == 5  # an explicit budget wins


def test_loo_exact_max_cells_chooses_the_method(seed_df):
    post = bl.LogitModel("y ~ x1", seed_df).sample(draws=50, tune=50, chains=2, random_seed=1, progressbar=False)
    assert post.loo().method == "exact"
    with bl.option_context(loo_exact_max_cells=500 * 100 - 1):
        assert post.loo().method == "subsample"
    with bl.option_context(loo_exact_max_cells=500 * 100):
        assert post.loo().method == "exact"


def test_log_likelihood_warn_bytes_sets_when_it_warns(seed_df):
    post = bl.LogitModel("y ~ x1", seed_df).sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    with bl.option_context(log_likelihood_warn_bytes=20 * 500 * 8 - 1):
        with pytest.warns(bl.BayeslogitWarning, match=r"1 chains x 20 draws x 500 rows x 8 bytes = 80.0 kB"):
            post.log_likelihood()
    import warnings

    with warnings.catch_warnings(), bl.option_context(log_likelihood_warn_bytes=20 * 500 * 8):
        warnings.simplefilter("error")
        post.log_likelihood()
