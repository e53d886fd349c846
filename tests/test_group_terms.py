"""Group terms (issue 16): parsing, the group design, encoding new data, priors and the errors.

No sampling here (tests/fit/test_group_model.py samples)."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit._formula import UnsafeFormula, check_formula, factor_codes
from bayeslogit._group_syntax import split_group_terms
from bayeslogit.design import build_design
from bayeslogit.errors import DataError, DesignError, FormulaError, PriorError, SamplerError


def _frame(n_groups=5, per=8, seed=0):
    rng = np.random.default_rng(seed)
    g = np.repeat([f"s{i}" for i in range(n_groups)], per)
    h = np.tile(["a", "b"], n_groups * per // 2)
    x = rng.normal(size=g.size)
    y = rng.binomial(1, 0.5, size=g.size)
    return pd.DataFrame(
        {"y": y, "x": x, "z": rng.normal(size=g.size), "g": g, "h": h, "code": np.repeat(np.arange(n_groups) * 10, per)}
    )


# -- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "formula, fixed, labels",
    [
        ("y ~ x + (1 | g)", "y ~ x", ["1 | g"]),
        ("y ~ (1|g)", "y ~ 1", ["1 | g"]),
        ("y ~ (1|g) + x", "y ~ x", ["1 | g"]),
        ("y ~ x + (1 + x | g) + z", "y ~ x + z", ["1 + x | g"]),
        ("y ~ x + (x || g)", "y ~ x", ["x || g"]),
        ("y ~ x + (1 | g/h)", "y ~ x", ["1 | g", "1 | g:h"]),
        ("y ~ x + (1 | g:h)", "y ~ x", ["1 | g:h"]),
        ("y ~ x + (1 | g) + (0 + x | h)", "y ~ x", ["1 | g", "0 + x | h"]),
        ("y ~ x + (1 + I((x + 1) ** 2) | g)", "y ~ x", ["1 + I((x + 1) ** 2) | g"]),  # nested parentheses
        ("y ~ I(x | z) + (1 | g)", "y ~ I(x | z)", ["1 | g"]),  # a call's '|' is patsy's business
        ("y ~ x + (1 | C(code))", "y ~ x", ["1 | code"]),
    ],
)
def test_split_group_terms(formula, fixed, labels):
    f, terms = split_group_terms(formula)
    assert f == fixed
    assert [t.label for t in terms] == labels


def test_split_marks_uncorrelated_and_wrapped_factors():
    _, (t,) = split_group_terms("y ~ (1 + x || C(code))")
    assert not t.correlated and t.factors == ("code",) and t.categorical == (True,)


@pytest.mark.parametrize(
    "formula, exc, match",
    [
        ("y ~ x + ( | g)", DesignError, "is empty before"),
        ("y ~ x + (1 | )", DesignError, "no grouping variable"),
        ("y ~ x - (1 | g)", FormulaError, "term of its own"),
        ("y ~ x:(1 | g)", FormulaError, "term of its own"),
        ("y ~ x + (1 | g + h)", FormulaError, "must be a column name"),
        ("y ~ x + (1 | g/)", FormulaError, "empty factor"),
    ],
)
def test_split_errors(formula, exc, match):
    with pytest.raises(exc, match=match):
        split_group_terms(formula)


# -- the group design ---------------------------------------------------------------------------


def test_group_design_index_values_and_no_dense_z():
    df = _frame()
    d = build_design("y ~ x + (1 + x | g)", df)
    assert d.column_names == ["Intercept", "x"]  # the fixed part is today's design
    (t,) = d.groups.terms
    assert t.coef_names == ["Intercept", "x"] and t.levels == [f"s{i}" for i in range(5)]
    assert t.values.shape == (len(df), 2) and t.index.dtype == np.int32
    np.testing.assert_array_equal(t.values[:, 1], df.x.to_numpy())
    np.testing.assert_array_equal(np.asarray(t.levels)[t.index], df.g.to_numpy())
    assert t.correlated and t.key == "g"


def test_nested_and_interaction_levels():
    df = _frame()
    d = build_design("y ~ x + (1 | g/h)", df)
    outer, inner = d.groups.terms
    assert outer.levels == [f"s{i}" for i in range(5)]
    assert inner.group_name == "g:h" and inner.key == "g_h"
    assert inner.levels == [f"s{i}:{h}" for i in range(5) for h in "ab"]
    np.testing.assert_array_equal(np.asarray(inner.levels)[inner.index], (df.g + ":" + df.h).to_numpy())


def test_integer_codes_group_and_levels_sort_numerically():
    df = _frame()
    t = build_design("y ~ x + (1 | code)", df).groups.terms[0]
    assert t.levels == ["0", "10", "20", "30", "40"]


def test_encode_seen_and_unseen_levels():
    df = _frame()
    t = build_design("y ~ x + (1 + x | g)", df).groups.terms[0]
    new = pd.DataFrame({"x": [0.5, 1.0, 2.0, 3.0], "g": ["s3", "new1", "s0", "new1"]})
    index, values, unseen = t.encode(new)
    assert unseen == ["new1"]
    assert index.tolist() == [3, 5, 0, 5]  # the unseen level numbered after the 5 seen ones
    np.testing.assert_array_equal(values, np.column_stack([np.ones(4), new.x]))
    with pytest.raises(DataError, match="grouping column"):
        t.encode(pd.DataFrame({"x": [1.0]}))


def test_numeric_continuous_grouping_factor_is_refused_with_the_fix():
    df = _frame().assign(w=lambda d: d.x * 3.7)
    with pytest.raises(DesignError, match=r"numeric-continuous.*Wrap it in C\(\) if it is a code"):
        build_design("y ~ x + (1 | w)", df)
    # in C() it is taken as a code
    d = build_design("y ~ x + (1 | C(w))", df)
    assert d.groups.terms[0].n_levels == len(df)


def test_one_level_grouping_factor_is_refused():
    df = _frame().assign(one="only")
    with pytest.raises(DesignError, match="has one level"):
        build_design("y ~ x + (1 | one)", df)


def test_unknown_grouping_column_and_missing_values():
    df = _frame()
    with pytest.raises(DesignError, match="not a column"):
        build_design("y ~ x + (1 | nope)", df)
    df.loc[3, "g"] = None
    with pytest.raises(DataError, match="'g'"):
        build_design("y ~ x + (1 | g)", df)
    with pytest.warns(bl.MissingDataWarning):
        d = build_design("y ~ x + (1 | g)", df, missing="drop")
    assert d.n_obs == len(df) - 1 and d.groups.terms[0].index.size == d.n_obs


def test_safe_grammar_reads_group_terms_but_refuses_code():
    cols = ["y", "x", "g", "h"]
    check_formula("y ~ x + (1 + x | g) + (1 | g:h) + (x || h)", cols)
    assert set(factor_codes("y ~ x + (1 + np.log(x) | g)")) == {"y", "x", "np.log(x)", "g"}
    with pytest.raises(UnsafeFormula):
        check_formula("y ~ x + (1 + __import__('os').getcwd() | g)", cols)
    with pytest.raises(UnsafeFormula):
        check_formula("y ~ x + (1 | os.system)", cols)


# -- priors ------------------------------------------------------------------------------------


def test_default_group_priors_and_prior_summary():
    m = bl.LogitModel("y ~ x + (1 + x | g)", _frame())
    table = m.prior_summary()
    assert table.loc["sd(Intercept | g)", "prior"] == "HalfStudentT(3, 2.5)"
    assert table.loc["sd(x | g)", "prior"] == "HalfStudentT(3, 2.5)"
    assert table.loc["cor(g)", "prior"] == "LKJ(1)"
    assert table.loc["Intercept", "prior"] == "Normal(0, 2.5)"  # the coefficient priors unchanged
    assert "cor(g)" not in bl.LogitModel("y ~ x + (1 + x || g)", _frame()).prior_summary().index


def test_group_prior_keys():
    m = bl.LogitModel(
        "y ~ x + (1 + x | g) + (1 | h)",
        _frame(),
        priors={
            "x": bl.Normal(0, 1),
            "1|g": bl.HalfNormal(1),
            "x | g": bl.HalfNormal(0.5),
            "|h": bl.HalfStudentT(4, 1),
            "cor|g": bl.LKJ(2),
        },
    )
    t = m.prior_summary()
    assert t.loc["x", "prior"] == "Normal(0, 1)"
    assert t.loc["sd(Intercept | g)", "prior"] == "HalfNormal(1)"
    assert t.loc["sd(x | g)", "prior"] == "HalfNormal(0.5)"
    assert t.loc["sd(Intercept | h)", "prior"] == "HalfStudentT(4, 1)"
    assert t.loc["cor(g)", ["prior", "source"]].tolist() == ["LKJ(2)", "user"]


@pytest.mark.parametrize(
    "priors, match",
    [
        ({"1|nope": bl.HalfNormal(1)}, "no group term is grouped by 'nope'"),
        ({"z|g": bl.HalfNormal(1)}, "no varying coefficient"),
        ({"1|g": bl.Normal(0, 1)}, "must be bl.HalfNormal"),
        ({"cor|g": bl.HalfNormal(1)}, r"must be bl.LKJ"),
    ],
)
def test_group_prior_errors(priors, match):
    with pytest.raises(PriorError, match=match):
        bl.LogitModel("y ~ x + (1 + x | g)", _frame(), priors=priors)


def test_group_prior_key_without_group_terms():
    with pytest.raises(PriorError, match="no group terms"):
        bl.LogitModel("y ~ x", _frame(), priors={"1|g": bl.HalfNormal(1)})


# -- what is refused or routed -------------------------------------------------------------------


def test_horseshoe_beside_group_terms_samples_and_laplace_is_refused():
    m = bl.LogitModel(
        "y ~ x + z + (1 | g)",
        _frame().assign(z=np.arange(len(_frame())) % 5),
        priors={"x": bl.Horseshoe(1), "z": bl.Horseshoe(1)},
    )
    post = m.sample(sampler="bayeslogit", draws=10, tune=10, chains=1, progressbar=False)  # issue 22
    assert post.sampler == "bayeslogit" and {"hs_tau", "hs_lambda", "sd_g"} <= set(post.idata.posterior.data_vars)
    m = bl.LogitModel("y ~ x + (1 | g)", _frame())
    with pytest.raises(SamplerError, match="method='laplace' is not available"):
        m.sample(method="laplace", progressbar=False)


def test_model_pickles_with_its_group_design():
    m = bl.LogitModel("y ~ x + (1 + x | g)", _frame())
    m2 = pickle.loads(pickle.dumps(m))
    t, t2 = m.design.groups.terms[0], m2.design.groups.terms[0]
    assert t2.levels == t.levels and np.array_equal(t2.values, t.values) and np.array_equal(t2.index, t.index)
    assert m2.prior_summary().equals(m.prior_summary())


# -- pooled and no-pooling point fits ----------------------------------------------------------


def test_complete_pooling_mle_is_the_fit_without_group_terms():
    df = _frame(n_groups=6, per=30)
    m = bl.LogitModel("y ~ x + (1 | g)", df)
    pooled = m.fit_mle(pooling="complete")
    ref = bl.LogitModel("y ~ x", df).fit_mle()
    assert pooled.label == "MLE (complete pooling)"
    np.testing.assert_allclose(pooled.params, ref.params, rtol=1e-10)
    assert m.fit_map().label == "MAP model priors, complete pooling"
    mp = m.fit_map(priors={"x": bl.Normal(0, 1), "1|g": bl.HalfNormal(1)})  # group keys ignored there
    ref_map = bl.LogitModel("y ~ x", df).fit_map(priors={"x": bl.Normal(0, 1)})
    np.testing.assert_allclose(mp.params, ref_map.params, rtol=1e-8)


def test_no_pooling_mle_matches_statsmodels_on_sum_coding():
    sm = pytest.importorskip("statsmodels.api")
    import patsy

    df = _frame(n_groups=6, per=30)
    m = bl.LogitModel("y ~ x + (1 + x | g)", df)
    fit = m.fit_mle(pooling="none")
    assert fit.label == "MLE (no pooling)"
    y, X = patsy.dmatrices("y ~ x + C(g, Sum) + x:C(g, Sum)", df, return_type="dataframe")
    ref = sm.Logit(y, X).fit(disp=0)
    np.testing.assert_allclose(fit.params.loc[X.columns].to_numpy(), ref.params.to_numpy(), rtol=1e-6, atol=1e-8)
    # Intercept and x are the averages over the groups' own intercepts and slopes under sum coding
    table = bl.compare(m.fit_mle(pooling="complete"), fit)
    assert list(table.index) == ["Intercept", "x"]


def test_pooling_argument_errors():
    m = bl.LogitModel("y ~ x + (1 | g)", _frame())
    with pytest.raises(bl.ArgumentError, match="pooling must be"):
        m.fit_mle(pooling="partial")
    with pytest.raises(bl.ArgumentError, match="needs group terms"):
        bl.LogitModel("y ~ x", _frame()).fit_mle(pooling="none")


def test_cli_parses_group_priors():
    from bayeslogit.cli import parse_priors

    spec = parse_priors(["x=normal(0,1)", "1|g=halfnormal(1)", "x | g=halfstudentt(3, 0.5)", "cor|g=lkj(2)"])
    assert spec == {"x": bl.Normal(0, 1), "1|g": bl.HalfNormal(1), "x | g": bl.HalfStudentT(3, 0.5), "cor|g": bl.LKJ(2)}
    with pytest.raises(PriorError, match="cannot parse group prior"):
        parse_priors(["1|g=normal(0, 1)"])


def test_no_pooling_with_group_level_predictors_is_refused_with_the_reason():
    df = _frame(n_groups=6, per=10).assign(level_x=lambda d: d.g.str[1:].astype(float))
    m = bl.LogitModel("y ~ level_x + (1 | g)", df)
    with pytest.raises(DesignError, match=r"pooling='none' fits .* not identified.*constant within the groups"):
        m.fit_mle(pooling="none")
