"""``hypotheses``: linear hypotheses on the coefficients, by name (``"x1 + x2 = 0"``).

A hypothesis is ``lhs = rhs`` (or an expression, meaning ``= 0``) where both sides are linear in
the coefficients: names of coefficients (``fit.coef_names``, e.g. ``x1``, ``C(g)[T.b]``,
``x1:x2``), numbers, ``+ - * /`` and parentheses. It is turned into ``c @ beta - r``.

- Point fits (MLE, MAP): the Wald test, as statsmodels' ``t_test`` (normal reference):
  ``estimate = c beta_hat - r``, ``std_error = sqrt(c V c')``, ``statistic`` = estimate /
  std_error, two-sided ``p_value``, and the interval estimate -+ z std_error;
- posteriors (brms's ``hypothesis()``): the draws of ``c beta - r``: ``estimate`` = posterior
  mean, ``std_error`` = posterior sd, equal-tailed interval at ``ci_prob``, and ``prob_gt_0``,
  the posterior probability that ``c beta - r > 0``.

``lrtest(big, small)``: the likelihood-ratio test between nested MLE fits, GLMM maximum
likelihoods (``fit_mle()`` of models with group terms) included.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _numerics
from ..errors import ArgumentError
from ..results.base import resolve_ci_prob
from .predict import is_posterior, point_estimates

if TYPE_CHECKING:  # pragma: no cover
    from ..results.glmm import GLMMResults
    from ..results.point import MLEResults, PointResults
    from ..results.posterior import PosteriorResults

__all__ = ["hypotheses", "linear_hypothesis", "lrtest"]

_OPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


def _tokens(text: str, names: list[str], whole: str) -> str:
    """``text`` with every coefficient name replaced by ``b[i]`` (longest names first)."""
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"\s+|(?P<name>{alternation})|(?P<num>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|(?P<op>[-+*/()])")
    out, pos = [], 0
    while pos < len(text):
        m = pattern.match(text, pos)
        if m is None or m.end() == pos:
            raise ArgumentError(
                f"hypotheses: cannot read {text[pos:].strip()!r} in {whole!r}; a hypothesis is made of the coefficient "
                f"names {names}, numbers, + - * / and parentheses"
            )
        if m.group("name"):
            out.append(f"b[{names.index(m.group('name'))}]")
        elif m.group("num") or m.group("op"):
            out.append(m.group(0))
        pos = m.end()
    return " ".join(out)


def _evaluate(node: ast.AST, b: np.ndarray) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, b)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, int):
        return float(b[node.slice.value])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        v = _evaluate(node.operand, b)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return float(_OPS[type(node.op)](_evaluate(node.left, b), _evaluate(node.right, b)))
    raise ValueError("not a linear expression")


def linear_hypothesis(text: str, names: list[str]) -> tuple[np.ndarray, float]:
    """``(c, r)`` such that the hypothesis ``text`` reads ``c @ beta = r``.

    >>> linear_hypothesis("x1 + 2 * x2 = 1", ["Intercept", "x1", "x2"])
    (array([0., 1., 2.]), 1.0)
    """
    if not isinstance(text, str):
        raise ArgumentError(f"hypotheses: a hypothesis is a string such as 'x1 + x2 = 0', got {type(text).__name__}")
    sides = text.split("=")
    if len(sides) > 2 or not all(s.strip() for s in sides):
        raise ArgumentError(f"hypotheses: {text!r} must read 'expression' or 'expression = expression'")
    parts = [_tokens(side, names, text) for side in sides]
    expr = parts[0] if len(parts) == 1 else f"({parts[0]}) - ({parts[1]})"
    try:
        tree = ast.parse(expr, mode="eval")
        p = len(names)
        f0 = _evaluate(tree, np.zeros(p))
        c = np.array([_evaluate(tree, e) - f0 for e in np.eye(p)])
        probe = np.random.default_rng(0).normal(size=(3, p))
        linear = all(np.isclose(_evaluate(tree, v), f0 + c @ v, rtol=1e-9, atol=1e-9) for v in probe)
    except (SyntaxError, ValueError, ZeroDivisionError):
        linear = False
    if not linear:
        raise ArgumentError(
            f"hypotheses: {text!r} is not linear in the coefficients {names} (products or quotients of "
            "coefficients, or a malformed expression)"
        )
    if not np.any(c):
        raise ArgumentError(f"hypotheses: {text!r} involves no coefficient; the coefficients are {names}")
    return c, -f0


def hypotheses(
    results: PointResults | PosteriorResults, hypothesis: str | list[str], *, ci_prob: float | None = None
) -> pd.DataFrame:
    """Linear hypotheses on the coefficients, one row per hypothesis.

    Parameters
    ----------
    results : MLEResults, MAPResults or PosteriorResults
    hypothesis : str or list of str
        ``"x1 + x2 = 0"``, ``"x1 = 2 * x2"``, ``"C(g)[T.b] - C(g)[T.c]"`` (``= 0``).
    ci_prob : float, optional
        Interval probability (default 0.95).

    Returns
    -------
    pandas.DataFrame
        ``hypothesis``, ``estimate`` (``lhs - rhs``), ``std_error``, ``conf_low``, ``conf_high``;
        point fits ``statistic`` and ``p_value`` (Wald, = statsmodels ``t_test``); posteriors
        ``prob_gt_0``. ``df.attrs["method"]`` says which.

    Examples
    --------
    >>> import bayeslogit as bl, pandas as pd
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x1": [1.0, 2, 3, 4, 5, 6, 7, 8],
    ...                    "x2": [0.5, 0.1, 0.3, 0.9, 0.2, 0.4, 0.8, 0.6]})
    >>> fit = bl.LogitModel("y ~ x1 + x2", df).fit_mle()
    >>> list(bl.hypotheses(fit, "x1 + x2 = 0").columns)
    ['hypothesis', 'estimate', 'std_error', 'statistic', 'p_value', 'conf_low', 'conf_high']
    """
    prob = resolve_ci_prob(ci_prob)
    texts = [hypothesis] if isinstance(hypothesis, str) else list(hypothesis)
    names = list(results.coef_names)
    C, r = (np.array(v) for v in zip(*(linear_hypothesis(t, names) for t in texts)))
    lo_q, hi_q = (1 - prob) / 2, (1 + prob) / 2
    if is_posterior(results):
        values = results.draws() @ C.T - r  # (draws, hypotheses)
        lo, hi = np.quantile(values, [lo_q, hi_q], axis=0)
        out = pd.DataFrame(
            {
                "hypothesis": texts,
                "estimate": values.mean(axis=0),
                "std_error": values.std(axis=0, ddof=1),
                "conf_low": lo,
                "conf_high": hi,
                "prob_gt_0": (values > 0).mean(axis=0),
            }
        )
        out.attrs["method"] = (
            "posterior draws of lhs - rhs: estimate = posterior mean, std_error = posterior sd, "
            "conf_low, conf_high = equal-tailed interval at ci_prob, prob_gt_0 = P(lhs - rhs > 0)"
        )
    else:
        beta, V = point_estimates(results)
        est = C @ beta - r
        se = np.sqrt(np.maximum(np.einsum("kp,pq,kq->k", C, V, C), 0.0))
        z = _numerics.normal_quantile(hi_q)
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = est / se
        out = pd.DataFrame(
            {
                "hypothesis": texts,
                "estimate": est,
                "std_error": se,
                "statistic": stat,
                "p_value": 2 * _numerics.normal_sf(np.abs(stat)),
                "conf_low": est - z * se,
                "conf_high": est + z * se,
            }
        )
        out.attrs["method"] = "Wald test (normal reference), std_error = sqrt(c V c') with V = cov_params()"
    out.attrs["ci_prob"] = prob
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def lrtest(big: MLEResults | GLMMResults, small: MLEResults | GLMMResults) -> pd.DataFrame:
    """Likelihood-ratio test of the nested MLE fit ``small`` against ``big``.

    ``statistic = 2 (llf_big - llf_small)``, referred to a chi-squared distribution with
    ``df = rank(X_big) - rank(X_small)`` degrees of freedom (the test statsmodels'
    ``compare_lr_test`` computes for OLS fits; ``big.llr``/``llr_pvalue`` is this test against the intercept-only
    model). The fits are nested when they were fitted to the same rows (response, trials,
    weights, offset) and every column of ``small``'s design lies in the column space of
    ``big``'s (e.g. a subset of its columns); otherwise an :class:`~bayeslogit.ArgumentError`.

    **GLMM fits** (``fit_mle()`` of a model with group terms, :class:`~bayeslogit.GLMMResults`,
    whose ``llf`` is the Laplace or ``nAGQ`` approximate marginal log-likelihood): two GLMMs are
    nested when they have the same group terms (same grouping, varying coefficients and levels)
    and the same ``nAGQ``, and their population columns are nested as above; ``df`` is the
    difference in population columns (lme4's ``anova``). A GLMM against the complete-pooling MLE
    of a smaller or equal population design (``fit_mle(pooling="complete")``, or the model
    without its group terms) tests the group variances too: ``df`` adds the covariance
    parameters (``len(big.theta)``). Those variances are on the boundary of their space (an sd
    of 0) under the smaller model, where the chi-squared reference does not hold: ``p_value``
    is the naive chi-squared one, conservative (too large; what lme4's ``anova`` prints), and
    ``p_value_boundary`` is the asymptotic null distribution when the GLMM adds a single scalar
    group term (one sd): the 50:50 mixture ``chi2(df - 1)`` and ``chi2(df)`` (Self and Liang
    1987; Stram and Lee 1994), so ``p = (chi2_sf(stat, df - 1) + chi2_sf(stat, df)) / 2`` with
    ``chi2(0)`` a point mass at 0 (with few groups more than half the statistics are 0 and
    the mixture is conservative too). With more covariance parameters the mixture's weights depend
    on the model, and ``p_value_boundary`` is NaN (use ``p_value``, knowing it is
    conservative, or a parametric bootstrap).

    Returns
    -------
    pandas.DataFrame
        One row: ``llf_big``, ``llf_small``, ``statistic``, ``df``, ``p_value`` (and for a GLMM
        against a fit without group terms, ``p_value_boundary``).

    Examples
    --------
    >>> import bayeslogit as bl, pandas as pd
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1, 0, 1], "x1": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ...                    "x2": [0.5, 0.1, 0.3, 0.9, 0.2, 0.4, 0.8, 0.6, 0.1, 0.7]})
    >>> big = bl.LogitModel("y ~ x1 + x2", df).fit_mle()
    >>> small = bl.LogitModel("y ~ x1", df).fit_mle()
    >>> int(bl.lrtest(big, small)["df"].iloc[0])
    1
    """
    from ..results.glmm import GLMMResults
    from ..results.point import MLEResults

    for name, fit in (("big", big), ("small", small)):
        if not isinstance(fit, (MLEResults, GLMMResults)):
            raise ArgumentError(
                f"lrtest: {name} must be a maximum-likelihood fit (fit_mle()), got {type(fit).__name__}; "
                "a likelihood-ratio test compares maximized likelihoods"
            )
    n_variance = _glmm_nesting(big, small)
    db, ds = big.design, small.design
    if db.n_obs != ds.n_obs or not _same(db.y, ds.y):
        raise ArgumentError(
            f"lrtest: the fits are not nested: they were fitted to different data ({db.n_obs} and {ds.n_obs} rows, "
            "or a different response); fit both models to the same rows"
        )
    for what in ("trials", "weights", "offset"):
        if not _same(getattr(db, what), getattr(ds, what)):
            raise ArgumentError(f"lrtest: the fits are not nested: their {what} differ")
    Xb, Xs = np.asarray(db.X, dtype=float), np.asarray(ds.X, dtype=float)
    coef, *_ = np.linalg.lstsq(Xb, Xs, rcond=None)
    residual = np.linalg.norm(Xs - Xb @ coef, axis=0) / np.maximum(np.linalg.norm(Xs, axis=0), 1e-300)
    outside = [n for n, r in zip(small.coef_names, residual) if r > 1e-8]
    rank_b, rank_s = np.linalg.matrix_rank(Xb), np.linalg.matrix_rank(Xs)
    if outside:
        hint = (
            "; the first fit is the larger model: lrtest(big, small)"
            if rank_s > rank_b or set(big.coef_names) < set(small.coef_names)
            else ""
        )
        raise ArgumentError(
            f"lrtest: the fits are not nested: the columns {outside} of the smaller model are not among (nor "
            f"combinations of) the columns {list(big.coef_names)} of the larger one{hint}"
        )
    df = int(rank_b - rank_s) + n_variance
    if df < 1:
        raise ArgumentError(
            f"lrtest: the two designs span the same columns (rank {rank_b}); there is no restriction to test"
        )
    stat = 2.0 * (big.llf - small.llf)
    out = pd.DataFrame(
        {
            "llf_big": [big.llf],
            "llf_small": [small.llf],
            "statistic": [stat],
            "df": [df],
            "p_value": [float(_numerics.chi2_sf(max(stat, 0.0), df))],
        }
    )
    out.attrs["method"] = (
        "likelihood-ratio test: statistic = 2 (llf_big - llf_small) ~ chi2(df) under the smaller model"
    )
    if n_variance:
        terms = big.design.groups.terms
        if len(terms) == 1 and terms[0].n_coef == 1:  # one sd on the boundary: 50:50 chi2(df - 1), chi2(df)
            low = float(_numerics.chi2_sf(max(stat, 0.0), df - 1)) if df > 1 else float(stat <= 0)
            out["p_value_boundary"] = 0.5 * (low + out["p_value"].iloc[0])
        else:
            out["p_value_boundary"] = np.nan
        out.attrs["method"] += (
            f"; {n_variance} group covariance parameter(s) tested at the boundary (sd = 0): p_value is "
            "conservative (lme4's anova); p_value_boundary the 50:50 chi-squared mixture (one scalar group term only)"
        )
    return out


def _glmm_nesting(big, small) -> int:
    """The covariance parameters ``big`` adds over ``small`` (0 between two GLMMs with the same
    group terms, or two plain MLEs); an :class:`~bayeslogit.ArgumentError` when the group parts
    are not nested that way."""
    from ..results.glmm import GLMMResults

    gb, gs = isinstance(big, GLMMResults), isinstance(small, GLMMResults)
    if gs and not gb:
        raise ArgumentError(
            "lrtest: the fits are not nested that way round: small has group terms and big has none; "
            "the first fit is the larger model: lrtest(glmm, pooled)"
        )
    if not gb:
        return 0
    if not gs:
        return len(big.theta)
    tb, ts = big.design.groups.terms, small.design.groups.terms
    same = len(tb) == len(ts) and all(
        a.label == b.label
        and a.correlated == b.correlated
        and list(a.levels) == list(b.levels)
        and _same(a.index, b.index)
        and _same(a.values, b.values)
        for a, b in zip(tb, ts)
    )
    if not same:
        raise ArgumentError(
            f"lrtest: two GLMMs are compared here only with the same group terms ({[t.label for t in tb]} and "
            f"{[t.label for t in ts]}); to test a group term, compare the GLMM with the fit without it "
            "(fit_mle(pooling='complete') when it was the only one)"
        )
    if big.n_agq != small.n_agq:
        raise ArgumentError(
            f"lrtest: the GLMM likelihoods use different approximations (nAGQ={big.n_agq} and {small.n_agq}); "
            "fit both with the same nAGQ"
        )
    return 0
