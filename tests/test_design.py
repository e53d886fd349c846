"""The formula layer: coding of the response, design columns, and every bad-input error."""

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl
from bayeslogit.design import build_design


def test_numeric_design_matches_patsy_columns(seed_df):
    d = build_design("y ~ x1 + x2", seed_df)
    assert d.column_names == ["Intercept", "x1", "x2"]
    np.testing.assert_array_equal(d.X[:, 1], seed_df["x1"].to_numpy())
    np.testing.assert_array_equal(d.y, seed_df["y"].to_numpy())
    assert d.family == "bernoulli" and d.event == 1 and d.levels == (0, 1)


def test_categorical_interaction_and_transform(mixed_df):
    d = build_design("y ~ x1 + C(g) + x1:x2 + I(x1**2)", mixed_df)
    assert d.column_names == ["Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1", "x1:x2", "I(x1 ** 2)"]
    np.testing.assert_allclose(d.X[:, 4], mixed_df.x1 * mixed_df.x2)
    np.testing.assert_allclose(d.X[:, 5], mixed_df.x1**2)
    np.testing.assert_array_equal(d.X[:, 1], (mixed_df.g == "b").astype(float))


def test_string_response_default_event_is_last_sorted_level(mixed_df):
    d = build_design("yes_no ~ x1", mixed_df)
    assert d.event == "yes" and d.levels == ("no", "yes")
    np.testing.assert_array_equal(d.y, (mixed_df.yes_no == "yes").astype(int))


def test_string_response_explicit_event(mixed_df):
    d = build_design("yes_no ~ x1", mixed_df, event="no")
    assert d.event == "no"
    np.testing.assert_array_equal(d.y, (mixed_df.yes_no == "no").astype(int))


def test_categorical_response_uses_declared_order(mixed_df):
    df = mixed_df.assign(r=pd.Categorical(mixed_df.yes_no, categories=["yes", "no"]))
    d = build_design("r ~ x1", df)
    assert d.event == "no"  # last declared category, as R's second factor level


def test_boolean_response_and_expression_response(mixed_df):
    d = build_design("b ~ x1", mixed_df.assign(b=mixed_df.y == 1))
    assert d.event is True
    np.testing.assert_array_equal(d.y, mixed_df.y)
    d2 = build_design("I(g == 'a') ~ x1", mixed_df)
    np.testing.assert_array_equal(d2.y, (mixed_df.g == "a").astype(int))


def test_aggregated_binomial():
    df = pd.DataFrame({"k": [1, 3, 0, 5], "n": [4, 5, 2, 6], "x": [0.0, 1.0, -1.0, 2.0]})
    d = build_design("k ~ x", df, trials="n")
    assert d.family == "binomial"
    np.testing.assert_array_equal(d.trials, [4, 5, 2, 6])
    np.testing.assert_array_equal(d.y, [1, 3, 0, 5])


def test_encode_new_data_uses_training_levels(mixed_df):
    d = build_design("y ~ C(g) + x1", mixed_df)
    new = pd.DataFrame({"g": ["c", "a"], "x1": [0.5, -1.0]})
    np.testing.assert_array_equal(d.encode(new), [[1, 0, 1, 0.5], [1, 0, 0, -1.0]])


# -- errors: (call, exception type, regex the message must match) ------------------------------


def _df(**cols):
    base = {"y": [0, 1, 0, 1, 1, 0], "x": [0.1, 0.4, -0.3, 1.2, 0.8, -1.0]}
    base.update(cols)
    return pd.DataFrame(base)


BAD = [
    (
        "three-level numeric response",
        lambda: build_design("y ~ x", _df(y=[0, 1, 2, 1, 0, 1])),
        bl.DataError,
        r"response 'y' must have two outcomes, but has 3 distinct values",
    ),
    (
        "response not 0/1",
        lambda: build_design("y ~ x", _df(y=[1, 2, 1, 2, 1, 2])),
        bl.DataError,
        r"response 'y' must be 0/1, but holds the values 1, 2",
    ),
    (
        "constant response",
        lambda: build_design("y ~ x", _df(y=[1] * 6)),
        bl.DataError,
        r"response 'y' is constant \(every row is 1\)",
    ),
    (  # family="auto" takes three text outcomes as multinomial (issue 23)
        "three-level string",
        lambda: build_design("y ~ x", _df(y=list("abcabc")), family="bernoulli"),
        bl.DataError,
        r"'a', 'b', 'c'.*family='multinomial'",
    ),
    (
        "event not present",
        lambda: build_design("y ~ x", _df(y=list("ababab")), event="z"),
        bl.DataError,
        r"event='z' is not a value of response 'y'",
    ),
    (
        "missing values raise",
        lambda: build_design("y ~ x", _df(x=[0.1, np.nan, 0.2, np.nan, 1, 2])),
        bl.DataError,
        r"2 of 6 rows have missing values \(per column: 'x' \(2\)\).*missing='drop'",
    ),
    ("missing response", lambda: build_design("y ~ x", _df(y=[0, 1, None, 1, 0, 1])), bl.DataError, r"'y' \(1\)"),
    (
        "unknown column",
        lambda: build_design("y ~ x + x3", _df()),
        bl.FormulaError,
        r"uses 'x3', which is not a column of data",
    ),
    ("no tilde", lambda: build_design("y x", _df()), bl.FormulaError, r"formula must be a string like"),
    ("empty frame", lambda: build_design("y ~ x", _df().iloc[:0]), bl.DataError, r"data has no rows"),
    (
        "rank deficient",
        lambda: build_design("y ~ x + x2", _df().assign(x2=lambda d: 2 * d.x)),
        bl.DesignError,
        r"rank deficient \(rank 2 < 3 columns\).*'x2'",
    ),
    ("constant column", lambda: build_design("y ~ x + c", _df(c=[3.0] * 6)), bl.DesignError, r"\['c'\] are constant"),
    (
        "inf predictor",
        lambda: build_design("y ~ x", _df(x=[0.1, np.inf, 0, 1, 2, 3])),
        bl.DataError,
        r"non-finite .* design column\(s\) \['x'\]",
    ),
    (
        "garbage in numeric column",
        lambda: build_design("y ~ x", _df(x=["1", "2", "a", "3", "4", "5"])),
        bl.DataError,
        r"column 'x' looks numeric but holds 1 non-numeric value\(s\) \(first: 'a' at index 2\)",
    ),
    (
        "successes exceed trials",
        lambda: build_design("k ~ x", _df(k=[1, 5, 0, 1, 1, 1], n=[2, 4, 1, 1, 1, 1]), trials="n"),
        bl.DataError,
        r"response 'k' exceeds trials 'n' in 1 row\(s\) \(first at row 1: 5 > 4\)",
    ),
    (
        "negative trials",
        lambda: build_design("k ~ x", _df(k=[0] * 6, n=[1, -1, 1, 1, 1, 1]), trials="n"),
        bl.DataError,
        r"trials column 'n' must hold non-negative whole numbers; found -1",
    ),
    (
        "fractional trials",
        lambda: build_design("k ~ x", _df(k=[0] * 6, n=[1, 1.5, 1, 1, 1, 1]), trials="n"),
        bl.DataError,
        r"trials column 'n' must hold non-negative whole numbers; found 1.5",
    ),
    (
        "unknown trials column",
        lambda: build_design("k ~ x", _df(k=[0] * 6), trials="nn"),
        bl.DataError,
        r"trials='nn' is not a column of data",
    ),
    (
        "bad missing option",
        lambda: build_design("y ~ x", _df(), missing="ignore"),
        bl.DataError,
        r"missing must be 'raise' or 'drop'",
    ),
    (
        "more columns than rows",
        lambda: build_design("y ~ C(g) + x", _df(g=list("abcdef"))),
        bl.DesignError,
        r"the design has 7 columns but only 6 rows",
    ),
]


@pytest.mark.parametrize("case,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input_errors(case, call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_errors_share_one_base_class():
    for exc in (bl.DataError, bl.FormulaError, bl.DesignError, bl.PriorError, bl.SamplerError, bl.ArgumentError):
        assert issubclass(exc, bl.BayeslogitError)


def test_missing_drop_warns_with_count():
    with pytest.warns(bl.MissingDataWarning, match=r"dropped 2 of 6 rows .*'x' \(2\)"):
        d = build_design("y ~ x", _df(x=[0.1, np.nan, 0.2, np.nan, 1, 2]), missing="drop")
    assert d.n_obs == 4 and d.n_dropped == 2


def test_unrelated_missing_column_is_ignored():
    d = build_design("y ~ x", _df(other=[np.nan] * 6))
    assert d.n_obs == 6


def test_new_data_errors(mixed_df):
    d = build_design("y ~ C(g) + x1", mixed_df)
    with pytest.raises(bl.DataError, match=r"factor level .*'z'.* not seen .*C\(g\) has levels \['a', 'b', 'c'\]"):
        d.encode(pd.DataFrame({"g": ["z"], "x1": [0.0]}))
    with pytest.raises(bl.DataError, match=r"lacks column\(s\) \['x1'\]"):
        d.encode(pd.DataFrame({"g": ["a"]}))
    with pytest.raises(bl.DataError, match=r"missing values in 'x1' \(1 row\)"):
        d.encode(pd.DataFrame({"g": ["a"], "x1": [np.nan]}))


def test_spline_next_to_the_intercept_advises_constraints_center():
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"x": rng.uniform(0, 10, 300)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-np.sin(df.x))))
    # patsy's natural cubic regression spline sums to one: it duplicates the intercept.
    with pytest.raises(bl.DesignError, match=r"rank deficient.*cr\(x, df=4\).*constraints=\"center\".*'- 1'"):
        bl.LogitModel("y ~ cr(x, df=4)", df)
    with pytest.raises(bl.DesignError, match=r"bs\(x, df=4, include_intercept=True\).*constraints=\"center\""):
        bl.LogitModel("y ~ bs(x, df=4, include_intercept=True)", df)
    # Each fix the message names gives a full-rank design, and the two span one function space
    # (intercept + centred df=4 basis = the df=5 basis without the intercept): same fit.
    centred = bl.LogitModel('y ~ cr(x, df=4, constraints="center")', df).fit_mle()
    no_intercept = bl.LogitModel("y ~ cr(x, df=5) - 1", df).fit_mle()
    assert centred.design.n_coef == 5 and no_intercept.design.n_coef == 5
    np.testing.assert_allclose(centred.fittedvalues, no_intercept.fittedvalues, rtol=1e-8)
    np.testing.assert_allclose(centred.llf, no_intercept.llf, rtol=1e-10)
    assert bl.LogitModel("y ~ bs(x, df=4)", df).design.n_coef == 5  # bs() leaves the intercept out
    # Other rank deficiencies keep their plain advice.
    with pytest.raises(bl.DesignError, match=r"drop them or merge levels"):
        bl.LogitModel("y ~ x + I(2 * x)", df)


def test_r_dot_means_all_other_columns(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "y": rng.integers(0, 2, 80),
            "x": rng.normal(size=80),
            "a b": rng.normal(size=80),
            "g": rng.choice(["u", "v"], 80),
            "n": 1,
        }
    )
    d = build_design("y ~ .", df.drop(columns="n"))
    assert d.column_names == ["Intercept", "g[T.v]", "x", "Q('a b')"]
    assert build_design("y ~ . - x", df.drop(columns="n")).column_names == ["Intercept", "g[T.v]", "Q('a b')"]
    # the trials column is not a predictor (as R's glm with cbind)
    assert "n" not in build_design("y ~ .", df, trials="n").column_names
    fit = bl.LogitModel("y ~ .", df.drop(columns="n")).fit_mle()
    fit.save(tmp_path / "dot.nc")
    again = bl.load(tmp_path / "dot.nc")
    np.testing.assert_allclose(again.params, fit.params, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(again.predict(df.head(5))), np.asarray(fit.predict(df.head(5))), rtol=1e-12)


def test_categorical_box_response_is_decoded(mixed_df, tmp_path):
    d = build_design("C(yes_no) ~ x1", mixed_df)
    assert d.event == "yes" and d.y.tolist() == (mixed_df["yes_no"] == "yes").astype(int).tolist()
    d = build_design("C(yes_no, levels=['yes', 'no']) ~ x1", mixed_df)
    assert d.event == "no"  # the last declared level, as R
    fit = bl.LogitModel("C(yes_no) ~ x1", mixed_df).fit_mle()
    fit.save(tmp_path / "c.nc")
    np.testing.assert_allclose(bl.load(tmp_path / "c.nc").params, fit.params, rtol=1e-12)
    with pytest.raises(bl.DataError, match=r"response 'C\(k\)' is constant \(every row is 1\)"):
        build_design("C(k) ~ x1", mixed_df.assign(k=1))


@pytest.mark.parametrize(
    "rhs, match",
    [
        ("ns(x1, 3)", r"cr\(x, df=3\) is the equivalent"),
    ],
)
def test_r_functions_name_the_patsy_equivalent(mixed_df, rhs, match):
    with pytest.raises(bl.FormulaError, match=match):
        build_design(f"yes_no ~ {rhs}", mixed_df)


def test_cbind_response_is_binomial_with_trials(tmp_path):
    import statsmodels.api as sm
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(5)
    agg = pd.DataFrame({"x": rng.normal(size=40), "n": rng.integers(1, 12, 40)})
    agg["s"] = rng.binomial(agg["n"], 1 / (1 + np.exp(-0.3 - 0.8 * agg["x"])))
    agg["f"] = agg["n"] - agg["s"]
    d = build_design("cbind(s, f) ~ x", agg)
    assert d.y.tolist() == agg["s"].tolist() and d.trials.tolist() == agg["n"].tolist()
    assert build_design("cbind(s, f) ~ .", agg.drop(columns="n")).column_names == ["Intercept", "x"]
    fit = bl.LogitModel("cbind(s, f) ~ x", agg).fit_mle()
    ref = smf.glm("s + f ~ x", agg, family=sm.families.Binomial()).fit(tol=1e-12)  # R's glm(cbind(s, f) ~ x)
    np.testing.assert_allclose(fit.params, ref.params, rtol=1e-8)
    np.testing.assert_allclose(fit.params, bl.LogitModel("s ~ x", agg, trials="n").fit_mle().params, rtol=1e-12)
    assert "successes and failures" in str(bl.LogitModel("cbind(s, f) ~ x", agg).fit_map().summary())
    fit.save(tmp_path / "cbind.nc")
    np.testing.assert_allclose(bl.load(tmp_path / "cbind.nc").params, fit.params, rtol=1e-12)
    with pytest.raises(bl.FormulaError, match=r"gives the trials.*drop trials='n'"):
        build_design("cbind(s, f) ~ x", agg, trials="n")
    with pytest.raises(bl.FormulaError, match=r"must be cbind\(successes, failures\)"):
        build_design("cbind(s) ~ x", agg)
    with pytest.raises(bl.DataError, match=r"successes \+ failures must be >= 1.*1 row"):
        build_design("cbind(s, f) ~ x", agg.assign(s=np.r_[0, agg["s"][1:]], f=np.r_[0, agg["f"][1:]]))


def test_poly_is_rs_orthogonal_basis_and_new_data_use_the_training_one(tmp_path):
    # R: poly(1:10, 2)
    r_poly = np.array(
        [[-0.49543369, 0.52223297], [-0.38533732, 0.17407766], [-0.27524094, -0.08703883],
         [-0.16514456, -0.26111648], [-0.05504819, -0.34815531], [0.05504819, -0.34815531],
         [0.16514456, -0.26111648], [0.27524094, -0.08703883], [0.38533732, 0.17407766],
         [0.49543369, 0.52223297]]
    )  # fmt: skip
    df = pd.DataFrame({"y": [0, 1, 1, 0, 1, 0, 0, 1, 1, 0], "x": np.arange(1.0, 11.0)})
    d = build_design("y ~ poly(x, 2)", df)
    assert d.column_names == ["Intercept", "poly(x, 2)[0]", "poly(x, 2)[1]"]
    np.testing.assert_allclose(d.X[:, 1:], r_poly, atol=5e-9)
    # against numpy's QR of the centred Vandermonde matrix, on other data, degree 3
    rng = np.random.default_rng(2)
    big = pd.DataFrame({"x": rng.gamma(2.0, size=300)})
    big["y"] = rng.binomial(1, 1 / (1 + np.exp(-(big["x"] - 2))))
    d = build_design("y ~ poly(x, 3)", big)
    Q, R = np.linalg.qr(np.vander(big["x"] - big["x"].mean(), 4, increasing=True))
    np.testing.assert_allclose(d.X[:, 1:], (Q * np.sign(np.diag(R)))[:, 1:], atol=1e-10)
    # new rows: the training basis (not a basis refitted on them)
    new = big.head(7)
    np.testing.assert_allclose(d.encode(new), d.X[:7], atol=1e-10)
    fit = bl.LogitModel("y ~ poly(x, 3)", big).fit_mle()
    ref = bl.LogitModel("y ~ x + I(x**2) + I(x**3)", big).fit_mle()
    assert fit.llf == pytest.approx(ref.llf, rel=1e-9)  # the same model, other coefficients
    np.testing.assert_allclose(fit.predict(new)["estimate"], ref.predict(new)["estimate"], rtol=1e-7)
    fit.save(tmp_path / "poly.nc")
    np.testing.assert_allclose(
        bl.load(tmp_path / "poly.nc").predict(new)["estimate"], fit.predict(new)["estimate"], rtol=1e-12
    )
    with pytest.raises(bl.FormulaError, match=r"degree must be a whole number from 1 to 20"):
        build_design("y ~ poly(x, 0)", big)
    with pytest.raises(bl.DesignError, match=r"more than 3 distinct values"):
        build_design("y ~ poly(x, 3)", big.assign(x=big["x"].round() % 3))
