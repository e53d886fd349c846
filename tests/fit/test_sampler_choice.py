"""Choosing a NUTS implementation: unknown or uninstalled samplers fail early and clearly."""

import importlib.util

import pytest

import bayeslogit as bl


@pytest.mark.skipif(importlib.util.find_spec("numpyro") is not None, reason="numpyro is installed here")
def test_uninstalled_sampler_names_the_package(seed_df):
    with pytest.raises(bl.SamplerError, match=r"sampler='numpyro' needs the 'numpyro' package.*pip install numpyro"):
        bl.LogitModel("y ~ x1", seed_df).sample(sampler="numpyro", progressbar=False)


def test_the_horseshoe_samples_at_rstanarms_target_accept_by_default(seed_df, monkeypatch):
    """target_accept=None: 0.8, or what the priors ask for (the horseshoe: 0.99, as rstanarm's
    hs()); recorded in the attrs and shown in the summary; an explicit value is used as given."""
    from bayeslogit.fit import sampling

    real = sampling.sample_posterior
    plain = bl.LogitModel("y ~ x1 + x2", seed_df)
    seen = []

    def recording(model, **kw):  # the rate asked for; cheap draws of the plain model (same columns)
        seen.append(kw["target_accept"])
        return real(plain, **{**kw, "sampler": "bayeslogit"})

    monkeypatch.setattr(sampling, "sample_posterior", recording)
    hs = bl.LogitModel("y ~ x1 + x2", seed_df, priors=bl.Horseshoe(expected_nonzero=1))
    assert hs.priors.target_accept == 0.99 and plain.priors.target_accept == 0.8
    small = {"draws": 50, "tune": 50, "chains": 1, "random_seed": 1, "progressbar": False}
    post = hs.sample(**small)
    assert seen[-1] == 0.99
    attrs = post.idata.sample_stats.attrs
    assert (attrs["target_accept"], attrs["target_accept_source"]) == (0.99, "auto")
    assert "Target accept:" in str(post.summary()) and "0.99 (auto)" in str(post.summary())
    post = hs.sample(**small, target_accept=0.9)
    assert seen[-1] == 0.9 and post.idata.posterior.attrs["target_accept_source"] == "explicit"
    post = plain.sample(**small)
    assert seen[-1] == 0.8 and "Target accept:" not in str(post.summary())
