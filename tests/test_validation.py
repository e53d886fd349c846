"""bayeslogit._validation: one check per kind of fault, one message per fault, ArgumentError.

The same fault gets the same class and message wherever it is made, and renamed arguments are
declared once, on the function (``@renamed_arguments``).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit._validation import (
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_probability,
    check_seed,
    renamed_arguments,
)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: check_int("draws", 0, low=1), r"^draws must be an integer >= 1, got 0$"),
        (lambda: check_int("draws", True, low=1), r"^draws must be an integer >= 1, got True$"),
        (lambda: check_int("draws", 2.0, low=1), r"^draws must be an integer >= 1, got 2.0$"),
        (lambda: check_int("seed", "1"), r"^seed must be an integer, got '1'$"),
        (lambda: check_seed(-1), r"^random_seed must be None or an integer >= 0, got -1$"),
        (lambda: check_seed(np.float64(1)), r"^random_seed must be None or an integer >= 0, got np.float64\(1.0\)$"),
        (lambda: check_probability("ci_prob", 1), r"^ci_prob must be a probability in \(0, 1\), got 1$"),
        (lambda: check_probability("ci_prob", float("nan")), r"^ci_prob must be a probability in \(0, 1\), got nan$"),
        (lambda: check_probability("ci_prob", True), r"^ci_prob must be a probability in \(0, 1\), got True$"),
        (lambda: check_number("tol", 0, low=0, high=1), r"^tol must be a number in \(0, 1\), got 0$"),
        (lambda: check_choice("kind", "odds", ("prob", "linear")), r"^kind must be 'prob' or 'linear', got 'odds'$"),
        (lambda: check_choice("m", 1, ("a", "b", "c")), r"^m must be 'a', 'b' or 'c', got 1$"),
        (lambda: check_bool("extend", 1), r"^extend must be True or False, got 1$"),
    ],
)
def test_each_check_raises_argument_error_with_one_message(call, match):
    with pytest.raises(bl.ArgumentError, match=match) as info:
        call()
    assert isinstance(info.value, bl.BayeslogitError) and isinstance(info.value, ValueError)


def test_checks_return_the_value_to_use():
    assert check_int("chains", np.int64(3), low=1) == 3 and type(check_int("chains", np.int64(3))) is int
    assert check_seed(None) is None and check_seed(np.int32(7)) == 7
    assert check_probability("ci_prob", np.float32(0.5)) == 0.5
    assert check_choice("method", "nuts", ("nuts", "laplace")) == "nuts"
    assert check_bool("predictive", True) is True
    with pytest.raises(bl.ArgumentError):  # an array is never a choice (no ambiguous truth value)
        check_choice("kind", np.array(["prob"]), ("prob",))


def _df():
    return pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 0], "x": [0.9, 0.4, -0.3, 1.2, 0.8, -1.0, 0.5, 0.2]})


@pytest.fixture(scope="module")
def fits():
    m = bl.LogitModel("y ~ x", _df())
    post = m.sample(draws=30, tune=30, chains=1, random_seed=1, progressbar=False)
    return m, m.fit_mle(), post


def test_the_same_ci_prob_fault_is_the_same_error_everywhere(fits):
    m, mle, post = fits
    calls = [
        lambda: mle.coef_table(ci_prob=1.5),
        lambda: post.coef_table(ci_prob=1.5),
        lambda: mle.predict(ci_prob=1.5),
        lambda: post.odds_ratios(ci_prob=1.5),
        lambda: mle.marginal_effects(ci_prob=1.5),
        lambda: bl.compare(mle, post, ci_prob=1.5),
    ]
    for call in calls:
        with pytest.raises(bl.ArgumentError, match=r"^ci_prob must be a probability in \(0, 1\), got 1.5$"):
            call()


def test_the_same_newton_faults_are_the_same_errors_in_fit_mle_and_fit_map(fits):
    m = fits[0]
    for fit in (m.fit_mle, m.fit_map):
        with pytest.raises(bl.ArgumentError, match=r"^tol must be a number in \(0, 1\), got 2$"):
            fit(tol=2)
        with pytest.raises(bl.ArgumentError, match=r"^max_iter must be an integer >= 1, got 0$"):
            fit(max_iter=0)


def test_extend_and_predictive_are_checked_alike(fits):
    m, _, post = fits
    for call, name in (
        (lambda: post.sample_prior_predictive(10, extend="yes"), "extend"),
        (lambda: post.sample_posterior_predictive(extend="yes"), "extend"),
        (lambda: m.sample_prior_predictive(10, predictive="yes"), "predictive"),
    ):
        with pytest.raises(bl.ArgumentError, match=rf"^{name} must be True or False, got 'yes'$"):
            call()


def test_an_unknown_sampler_is_an_argument_error(fits):
    """SamplerError is for what a sampler cannot do, not for a bad argument value."""
    with pytest.raises(bl.ArgumentError, match=r"^sampler must be 'auto', 'bayeslogit', 'pymc', 'nutpie' or"):
        fits[0].sample(sampler="stan", progressbar=False)
    assert not issubclass(bl.ArgumentError, bl.SamplerError) and not issubclass(bl.SamplerError, bl.ArgumentError)


# -- renamed arguments ---------------------------------------------------------------------------


def test_renamed_arguments_warn_pass_the_value_and_refuse_both():
    @renamed_arguments(old="new", older="newer")
    def f(a, *, new=None, newer=None):
        return a, new, newer

    with pytest.warns(
        FutureWarning,
        match=r"^old= is deprecated and will be removed in the next release; use new= instead \(f\(\.\.\.\)\)$",
    ) as rec:
        assert f(1, old=2) == (1, 2, None)
    assert rec[0].filename == __file__  # the warning points at the caller
    with pytest.raises(
        bl.ArgumentError, match=r"^f\(\.\.\.\) got both new= and its deprecated alias old=; pass only new=$"
    ):
        f(1, new=2, old=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert f(1, new=2, old=None) == (1, 2, None)  # an old name given as None: not given
        assert f(1, newer=5) == (1, None, 5)
    assert f.__renamed_arguments__ == {"old": "new", "older": "newer"} and f.__name__ == "f"


def test_the_deprecated_aliases_are_declared_on_the_functions(fits):
    from bayeslogit.interpret import effects, predict

    m, mle, _ = fits
    assert bl.LogitModel.fit_map.__renamed_arguments__ == {"prior": "priors"}
    for fn in (
        type(mle).predict,
        type(mle).odds_ratios,
        type(mle).marginal_effects,
        predict.predict,
        effects.odds_ratios,
    ):
        assert fn.__renamed_arguments__ == {"interval": "ci_prob"}
    with pytest.warns(FutureWarning, match=r"prior= is deprecated .* use priors= instead \(fit_map\(\.\.\.\)\)") as rec:
        m.fit_map(prior=bl.Normal(0, 1))
    assert rec[0].filename == __file__
    with pytest.warns(
        FutureWarning, match=r"interval= is deprecated .* use ci_prob= instead \(odds_ratios\(\.\.\.\)\)"
    ):
        effects.odds_ratios(mle, interval=0.9)
