"""The BUGS Examples' Seeds model (Vol. I) against its published posterior table.

``r ~ x1 * x2 + (1 | plate)`` with BUGS's N(0, sd 1000) priors on the fixed effects, 4 chains x
1000 draws (about 30 s). Tolerance per coefficient: four combined Monte Carlo errors of the
difference (ours, from this run's MCSE; BUGS's, 0.009, the largest published) plus 0.15
published posterior sd for the one prior we cannot match: BUGS's Gamma(0.001, 0.001) on the
precision 1/sigma^2 against bayeslogit's HalfStudentT(3, 2.5) on sigma. With the BUGS prior
written in plain PyMC the alphas move by less than 0.1 sd and sigma by about 0.2 sd (notebook 06);
a wrong prior on the alphas or a wrong likelihood moves them by several tenths of an sd.
"""

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.datasets import BUGS_SEEDS_POSTERIOR, bugs_seeds

BUGS_MC_ERROR = 0.009
NAMES = {"alpha0": "Intercept", "alpha1": "x1", "alpha2": "x2", "alpha12": "x1:x2"}


@pytest.fixture(scope="module")
def seeds_post():
    priors = {name: bl.Normal(0, 1000) for name in NAMES.values()}
    model = bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n", priors=priors)
    # target_accept 0.9: at the default 0.8 this funnel gives a single divergent transition in
    # about 3 runs of 20 (seeds 1-20 on 2026-12-07: 3 of 80,000 transitions, on the kernel before
    # and after its blocked data pass alike), so "no divergences" would test the seed; at 0.9 none
    # in the same 20 runs
    return model.sample(draws=1000, tune=1000, chains=4, random_seed=1, target_accept=0.9, progressbar=False)


def test_population_coefficients_match_the_published_posterior(seeds_post):
    table = seeds_post.coef_table()
    assert seeds_post.sampler_stats()["divergences"] == 0
    for node, name in NAMES.items():
        ref = BUGS_SEEDS_POSTERIOR.loc[node]
        ours = table.loc[name]
        allowed = 4 * np.hypot(ours["mcse_mean"], BUGS_MC_ERROR) + 0.15 * ref["sd"]
        assert abs(ours["mean"] - ref["mean"]) <= allowed, (node, ours["mean"], ref["mean"], allowed)
        # posterior sds agree to within 20%: the sd prior widens ours (alpha0's sd with nutpie,
        # seeds 1-3 on 2026-12-07: 0.227, 0.225, 0.210 against BUGS's 0.1935, i.e. +14% on
        # average with +-4% Monte Carlo spread); a wrong likelihood changes them by far more
        assert ours["sd"] == pytest.approx(ref["sd"], rel=0.20), node
        assert table.loc[name, "r_hat"] < 1.01


def test_sigma_is_pulled_up_by_the_half_t_prior_and_not_further(seeds_post):
    """BUGS's gamma prior on the precision piles mass near sigma = 0, the half-t does not: our
    sigma is larger, by less than half a published sd."""
    ref = BUGS_SEEDS_POSTERIOR.loc["sigma"]
    ours = seeds_post.group_summary().loc["sd(Intercept | plate)"]
    assert ours["mean"] > ref["mean"] + 2 * np.hypot(ours["mcse_mean"], BUGS_MC_ERROR)
    assert ours["mean"] < ref["mean"] + 0.5 * ref["sd"]
    assert seeds_post.model.prior_summary().loc["sd(Intercept | plate)", "prior"] == "HalfStudentT(3, 2.5)"
