"""Choosing a NUTS implementation: unknown or uninstalled samplers fail early and clearly."""

import importlib.util

import pytest

import bayeslogit as bl


@pytest.mark.skipif(importlib.util.find_spec("numpyro") is not None, reason="numpyro is installed here")
def test_uninstalled_sampler_names_the_package(seed_df):
    with pytest.raises(bl.SamplerError, match=r"sampler='numpyro' needs the 'numpyro' package.*pip install numpyro"):
        bl.LogitModel("y ~ x1", seed_df).sample(sampler="numpyro", progressbar=False)
