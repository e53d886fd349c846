"""Predictions, comparisons and slopes on a grid, per row or averaged: marginaleffects' names.

Every quantity is a function of one or more *linear predictors* evaluated on copies of the
rows (``newdata``, default the training rows) with a variable changed:

- ``predictions``: ``P(y=1)`` of each row;
- ``comparisons``: ``P(hi) - P(lo)`` (``"difference"``), ``P(hi) / P(lo)`` (``"ratio"``) or
  ``logit P(hi) - logit P(lo)`` (``"lnor"``, the log odds ratio), where ``hi``/``lo`` are the
  rows with the variable changed. Numeric variable: ``+1`` by default (``lo`` = the row,
  ``hi`` = the row with ``x + 1``, marginaleffects' forward contrast), ``{"x": 2}`` for
  ``+2``, ``{"x": (a, b)}`` for ``x = b`` minus ``x = a``. Factor: every level against the
  first (reference) level by default, ``{"g": ["a", "c"]}`` for ``c`` minus ``a``;
- ``slopes``: ``dP/dx`` (``"dydx"``), ``dP/dx * x / P`` (``"eyex"``), ``dP/dx / P``
  (``"eydx"``), ``dP/dx * x`` (``"dyex"``), with ``dP/dx = P (1 - P) d eta/dx``: analytic in
  the coefficients, ``d eta/dx`` a central difference of step ``eps = 1e-4 (max x - min x)``
  (marginaleffects' step; exact up to rounding for terms linear in ``x``). A factor gets the
  ``"difference"`` comparisons instead (as marginaleffects).

The ``avg_`` functions (and ``by=``) average the per-row quantity over the rows, or over the
rows of each group of the ``by`` columns.

Uncertainty (``df.attrs["method"]`` says which):

- point fits (MLE, MAP): delta method, ``std_error = sqrt(J V J')`` with ``J`` the gradient of
  the quantity in the coefficients (analytic) and ``V = cov_params()``; ``statistic`` =
  estimate / std_error, ``p_value`` two-sided normal; ``conf_low``/``conf_high`` =
  estimate -+ z std_error, except for per-row ``predictions``, whose interval is built on the
  log-odds scale and mapped to probabilities (as ``predict()``; it stays in (0, 1)). For a
  model with group terms the point fits' quantities are population-level (the GLMM MLE's
  conditional modes enter ``predict()`` only; the pooled fits have no group effects);
- posteriors: the quantity is computed for every draw, by row blocks (no draws x rows array of
  the whole data), then ``estimate`` = posterior mean, ``std_error`` = posterior sd,
  ``conf_low``/``conf_high`` = equal-tailed interval at ``ci_prob``. Group effects are
  included as in ``predict()``: seen levels use their effects, unseen ones follow
  ``new_groups=`` (``"population"``: zero, ``"sample"``: a new effect per draw, shared by the
  copies of a row so that a contrast compares like with like). ``group_effects=False`` leaves
  every group effect out: population-level quantities (brms's ``re_formula = NA``, lme4's
  ``re.form = NA``), the group columns of the rows then play no part.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _blocks, _numerics
from .._validation import check_choice
from ..errors import ArgumentError
from ..model import training_rows
from ..results.base import resolve_ci_prob
from .effects import rhs_variables
from .grid import factor_levels, is_factor, model_variables, set_value
from .group_predict import check_new_groups, group_rows
from .predict import is_posterior, point_estimates

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results

__all__ = [
    "predictions",
    "avg_predictions",
    "comparisons",
    "avg_comparisons",
    "slopes",
    "avg_slopes",
    "COMPARISONS",
    "SLOPES",
]

COMPARISONS = ("difference", "ratio", "lnor")
SLOPES = ("dydx", "eyex", "eydx", "dyex")
METHOD_POINT = (
    "delta method: std_error = sqrt(J V J') (J: gradient in the coefficients, V: cov_params()); "
    "conf_low, conf_high = estimate -+ z std_error (per-row predictions: on the log-odds scale, "
    "mapped to probabilities)"
)
METHOD_POSTERIOR = (
    "posterior draws: estimate = posterior mean, std_error = posterior sd, conf_low, conf_high = "
    "equal-tailed interval at ci_prob"
)


# -- rows, encoded -----------------------------------------------------------------------------


@dataclass
class Encoded:
    """A copy of the rows encoded: design rows, offset, and (posteriors) group rows and draws."""

    X: np.ndarray
    offset: np.ndarray | None
    rows: Any = None
    G: Any = None


class Encoder:
    """Encodes copies of the rows the same way (one seed for new groups' effects in all copies)."""

    def __init__(self, results: Results, new_groups: str, random_seed: int | None, group_effects: bool = True):
        if not isinstance(group_effects, (bool, np.bool_)):
            raise ArgumentError(f"group_effects must be True or False, got {group_effects!r}")
        self.results = results
        self.group_effects = bool(group_effects)
        self.posterior = is_posterior(results)
        self.new_groups = check_new_groups(new_groups)
        self.seed = int(np.random.default_rng(random_seed).integers(2**31))

    def __call__(self, df: pd.DataFrame) -> Encoded:
        d = self.results.design
        X = d.encode(df)
        off = d.encode_offset(df)
        if not self.posterior:
            return Encoded(X, off)
        if not self.group_effects:  # population level: no group part (brms's re_formula = NA)
            return Encoded(X, off, SimpleNamespace(X=X, offset=off, groups=None), None)
        rows, G = group_rows(self.results, X, df, new_groups=self.new_groups, random_seed=self.seed, offset=off)
        return Encoded(X, off, rows, G)


Linear = list[tuple[float, Encoded]]
"""A linear predictor as a weighted sum of encoded copies (``d eta/dx``: two copies, +-1/h)."""


def _linear_point(lin: Linear, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    A = np.zeros_like(lin[0][1].X)
    for w, e in lin:
        A += w * e.X
    value = A @ beta
    for w, e in lin:
        if e.offset is not None:
            value = value + w * e.offset
    return value, A


def _linear_draws(lin: Linear, sl: slice, B: np.ndarray) -> np.ndarray:
    out = None
    for w, e in lin:
        eta = _blocks.eta_rows(e.rows, sl, B, e.G)
        out = w * eta if out is None else out + w * eta
    assert out is not None
    return out


# -- quantities: value and partial derivatives in each linear predictor -------------------------

Quantity = Callable[[list[np.ndarray], Any], tuple[np.ndarray, list[np.ndarray]]]


def _probability(L, x):
    p = _numerics.inv_logit(L[0])
    return p, [p * (1 - p)]


def _comparison(kind: str) -> Quantity:
    def fn(L, x):
        if kind == "lnor":
            one = np.ones_like(L[0])
            return L[0] - L[1], [one, -one]
        p1, p0 = _numerics.inv_logit(L[0]), _numerics.inv_logit(L[1])
        w1, w0 = p1 * (1 - p1), p0 * (1 - p0)
        if kind == "difference":
            return p1 - p0, [w1, -w0]
        return p1 / p0, [w1 / p0, -p1 * w0 / p0**2]

    return fn


def _slope(kind: str) -> Quantity:
    def fn(L, x):
        eta, deta = L
        if x is not None and eta.ndim == 2:
            x = x[:, None]
        p = _numerics.inv_logit(eta)
        w = p * (1 - p)
        if kind == "dydx":
            return w * deta, [w * (1 - 2 * p) * deta, w]
        if kind == "eydx":
            return (1 - p) * deta, [-w * deta, 1 - p]
        if kind == "dyex":
            return x * w * deta, [x * w * (1 - 2 * p) * deta, x * w]
        return x * (1 - p) * deta, [-x * w * deta, x * (1 - p)]

    return fn


@dataclass
class Term:
    """One quantity over the rows: its labels, linear predictors, function and ``x`` (slopes)."""

    term: str
    contrast: str
    inputs: list[Linear]
    fn: Quantity
    x: np.ndarray | None = None


# -- the computation ----------------------------------------------------------------------------


def _groups(data: pd.DataFrame, by) -> tuple[np.ndarray, pd.DataFrame]:
    """Group codes of the rows and the table of the groups' ``by`` values."""
    if by is None or by is False:
        return np.zeros(len(data), dtype=int), pd.DataFrame(index=range(1))
    cols = [by] if isinstance(by, str) else list(by)
    unknown = [c for c in cols if c not in data.columns]
    if unknown:
        raise ArgumentError(f"by: {unknown} not among the columns of the data; its columns are {list(data.columns)}")
    codes = data.groupby(cols, sort=True, observed=True, dropna=False).ngroup().to_numpy()
    table = data[cols].groupby(codes).first().reset_index(drop=True)
    return codes, table


def _point(results, term: Term, codes, K, prob, link_interval: bool) -> dict[str, np.ndarray]:
    beta, V = point_estimates(results)
    evaluated = [_linear_point(lin, beta) for lin in term.inputs]
    value, partials = term.fn([v for v, _ in evaluated], term.x)
    J = sum(d[:, None] * A for d, (_, A) in zip(partials, evaluated))
    z = _numerics.normal_quantile((1 + prob) / 2)
    if codes is not None:
        counts = np.maximum(np.bincount(codes, minlength=K), 1).astype(float)
        Jg = np.zeros((K, J.shape[1]))
        np.add.at(Jg, codes, J)
        value, J = np.bincount(codes, weights=value, minlength=K) / counts, Jg / counts[:, None]
    se = np.sqrt(np.maximum(np.einsum("kp,pq,kq->k", J, V, J), 0.0))
    if link_interval:
        eta, A = evaluated[0]
        se_eta = np.sqrt(np.maximum(np.einsum("kp,pq,kq->k", A, V, A), 0.0))
        lo, hi = _numerics.inv_logit(eta - z * se_eta), _numerics.inv_logit(eta + z * se_eta)
    else:
        lo, hi = value - z * se, value + z * se
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = value / se
    p_value = 2 * _numerics.normal_sf(np.abs(stat))
    return {
        "estimate": value,
        "std_error": se,
        "statistic": stat,
        "p_value": p_value,
        "conf_low": lo,
        "conf_high": hi,
    }


def _summary(values: np.ndarray, prob: float) -> dict[str, np.ndarray]:
    """Per column of ``values`` (draws x k): mean, sd and equal-tailed interval."""
    lo, hi = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return {"estimate": values.mean(axis=0), "std_error": values.std(axis=0, ddof=1), "conf_low": lo, "conf_high": hi}


def term_draws(results, term: Term, codes, K) -> np.ndarray:
    """Draws of a term (draws x groups) averaged over the rows of each group; per-row summaries
    are returned by :func:`_posterior` directly, never as a draws x rows array."""
    B = results.draws()
    S, n = B.shape[0], len(term.inputs[0][0][1].X)
    rows = _blocks.block_rows(S * (sum(len(lin) for lin in term.inputs) + 4))
    sums = np.zeros((K, S))
    for sl in _blocks.row_slices(n, rows):
        value, _ = term.fn([_linear_draws(lin, sl, B) for lin in term.inputs], _sliced(term.x, sl))
        np.add.at(sums, codes[sl], value)
    counts = np.bincount(codes, minlength=K).astype(float)
    return (sums / np.maximum(counts, 1.0)[:, None]).T


def _sliced(x, sl):
    return None if x is None else x[sl]


def _posterior(results, term: Term, codes, K, prob) -> dict[str, np.ndarray]:
    if codes is not None:
        return _summary(term_draws(results, term, codes, K), prob)
    B = results.draws()
    S, n = B.shape[0], len(term.inputs[0][0][1].X)
    rows = _blocks.block_rows(S * (sum(len(lin) for lin in term.inputs) + 4))
    parts = []
    for sl in _blocks.row_slices(n, rows):
        value, _ = term.fn([_linear_draws(lin, sl, B) for lin in term.inputs], _sliced(term.x, sl))
        parts.append(_summary(value.T, prob))
    keys = ("estimate", "std_error", "conf_low", "conf_high")
    return {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in keys}


def _table(results, terms: list[Term], data, *, average: bool, by, ci_prob, labels: bool, link_interval=False):
    prob = resolve_ci_prob(ci_prob)
    if average:
        codes, groups = _groups(data, by)
        K = len(groups)
    else:
        codes, groups, K = None, data.reset_index(drop=True), len(data)
    frames = []
    for term in terms:
        if is_posterior(results):
            cols = _posterior(results, term, codes, K, prob)
        else:
            cols = _point(results, term, codes, K, prob, link_interval and not average)
        head = {"term": term.term, "contrast": term.contrast} if labels else {}
        frame = pd.DataFrame({**{k: [v] * K for k, v in head.items()}, **cols})
        frames.append(pd.concat([frame, groups.reset_index(drop=True)], axis=1))
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out.attrs["method"] = METHOD_POSTERIOR if is_posterior(results) else METHOD_POINT
    out.attrs["ci_prob"] = prob
    return out


def _data(results, newdata) -> pd.DataFrame:
    if newdata is None:
        return training_rows(results.model)
    if not isinstance(newdata, pd.DataFrame):
        raise ArgumentError(
            f"newdata must be a pandas DataFrame (e.g. bl.datagrid(fit, ...)), got {type(newdata).__name__}"
        )
    return newdata.reset_index(drop=True)


# -- predictions -------------------------------------------------------------------------------


def predictions(
    results: Results,
    newdata: pd.DataFrame | None = None,
    *,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """Predicted probabilities, one row per row of ``newdata`` (default: the training rows), or
    averaged per group of the ``by`` columns.

    Returns a DataFrame with ``estimate``, ``std_error``, ``conf_low``, ``conf_high`` (point fits
    also ``statistic``, ``p_value``) and the columns of ``newdata``; ``df.attrs["method"]`` says
    how the uncertainty was computed (see :mod:`bayeslogit.interpret.marginal`).

    Examples
    --------
    >>> import bayeslogit as bl, pandas as pd
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0, 1, 1], "x": [1.0, 2, 3, 4, 5, 6, 7, 8]})
    >>> fit = bl.LogitModel("y ~ x", df).fit_mle()
    >>> p = bl.predictions(fit, bl.datagrid(fit, x=[1, 8]))
    >>> p[["x", "estimate"]].round(3)
         x  estimate
    0  1.0     0.314
    1  8.0     0.881
    """
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    term = Term("", "", [[(1.0, enc(data))]], _probability)
    return _table(
        results, [term], data, average=by is not None, by=by, ci_prob=ci_prob, labels=False, link_interval=True
    )


def avg_predictions(
    results: Results,
    newdata: pd.DataFrame | None = None,
    *,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """The average predicted probability over the rows (default: the training rows), or per
    group of the ``by`` columns; columns as :func:`predictions`."""
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    term = Term("", "", [[(1.0, enc(data))]], _probability)
    return _table(results, [term], data, average=True, by=by, ci_prob=ci_prob, labels=False)


# -- comparisons -------------------------------------------------------------------------------


def _variables(results, data: pd.DataFrame, variables) -> dict[str, Any]:
    """``{name: spec}`` with every name checked to be a variable of the model."""
    known = list(model_variables(results).columns)
    if variables is None:
        return {name: None for name, _, _ in rhs_variables(results.design, list(data.columns))}
    if isinstance(variables, str):
        variables = [variables]
    spec = dict(variables) if isinstance(variables, dict) else {v: None for v in variables}
    unknown = [v for v in spec if v not in known]
    if unknown:
        raise ArgumentError(
            f"variables: {unknown} {'is not a variable' if len(unknown) == 1 else 'are not variables'} "
            f"of the model; its variables are {known}"
        )
    missing = [v for v in spec if v not in data.columns]
    if missing:
        raise ArgumentError(f"variables: {missing} not among the columns of newdata")
    return spec


def _pairs(results, data: pd.DataFrame, name: str, spec) -> list[tuple[pd.DataFrame, pd.DataFrame, str, str, str]]:
    """``(lo, hi, lo label, hi label, "+k" or "")`` copies of the rows for variable ``name``."""
    train = model_variables(results)
    if is_factor(results, train, name):
        levels = factor_levels(train[name])
        if spec is None:
            pairs = [(levels[0], level) for level in levels[1:]]
        else:
            if isinstance(spec, (str, bytes, bool)) or len(spec) != 2:
                raise ArgumentError(
                    f"variables: give a factor's contrast as [from, to], e.g. {{{name!r}: {levels[:2]}}}"
                )
            bad = [v for v in spec if v not in levels]
            if bad:
                raise ArgumentError(f"variables: {bad} not among the levels of {name!r}; its levels are {levels}")
            pairs = [(spec[0], spec[1])]
        return [
            (set_value(data, name, a, train[name]), set_value(data, name, b, train[name]), str(a), str(b), "")
            for a, b in pairs
        ]
    x = data[name].to_numpy(dtype=float)
    if spec is None or (np.isscalar(spec) and not isinstance(spec, (str, bool))):
        k = 1.0 if spec is None else float(spec)  # type: ignore[arg-type]  # a number: checked just above
        return [(data.assign(**{name: x}), data.assign(**{name: x + k}), "", "", f"+{k:g}")]
    try:
        a, b = (float(v) for v in spec)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"variables: a numeric variable's contrast is a number (+k) or a pair (a, b), got {spec!r} for {name!r}"
        ) from None
    n = len(data)
    return [(data.assign(**{name: np.full(n, a)}), data.assign(**{name: np.full(n, b)}), f"{a:g}", f"{b:g}", "")]


def _contrast_label(comparison: str, lo: str, hi: str, plus: str) -> str:
    if plus:
        return plus
    return {"difference": f"{hi} - {lo}", "ratio": f"{hi} / {lo}", "lnor": f"ln(odds({hi}) / odds({lo}))"}[comparison]


def _comparison_terms(results, data, variables, comparison, enc) -> list[Term]:
    check_choice("comparison", comparison, COMPARISONS)
    terms = []
    for name, spec in _variables(results, data, variables).items():
        for lo, hi, a, b, plus in _pairs(results, data, name, spec):
            label = _contrast_label(comparison, a, b, plus)
            terms.append(Term(name, label, [[(1.0, enc(hi))], [(1.0, enc(lo))]], _comparison(comparison)))
    return terms


def comparisons(
    results: Results,
    variables=None,
    *,
    comparison: str = "difference",
    newdata: pd.DataFrame | None = None,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """Contrasts of predicted probabilities when one variable changes, one row per row of
    ``newdata`` and contrast (or averaged per group of ``by``).

    ``variables``: a name, a list of names, or ``{name: spec}`` (numeric: ``k`` for ``+k``,
    ``(a, b)`` for ``b`` minus ``a``; factor: ``[a, c]`` for ``c`` minus ``a``); default every
    predictor of the formula. ``comparison``: ``"difference"``, ``"ratio"`` or ``"lnor"``.
    Columns ``term``, ``contrast``, then as :func:`predictions`."""
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    terms = _comparison_terms(results, data, variables, comparison, enc)
    return _table(results, terms, data, average=by is not None, by=by, ci_prob=ci_prob, labels=True)


def avg_comparisons(
    results: Results,
    variables=None,
    *,
    comparison: str = "difference",
    newdata: pd.DataFrame | None = None,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """:func:`comparisons` averaged over the rows (or per group of ``by``): the average contrast."""
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    terms = _comparison_terms(results, data, variables, comparison, enc)
    return _table(results, terms, data, average=True, by=by, ci_prob=ci_prob, labels=True)


# -- slopes ------------------------------------------------------------------------------------

SLOPE_LABELS = {"dydx": "dY/dX", "eyex": "eY/eX", "eydx": "eY/dX", "dyex": "dY/eX"}


def _slope_terms(results, data, variables, slope, enc) -> list[Term]:
    check_choice("slope", slope, SLOPES)
    train = model_variables(results)
    terms = []
    for name, spec in _variables(results, data, variables).items():
        if spec is not None:
            raise ArgumentError(f"variables: slopes take variable names, not contrasts ({name!r}: {spec!r})")
        if is_factor(results, train, name):
            terms += _comparison_terms(results, data, [name], "difference", enc)
            continue
        x = data[name].to_numpy(dtype=float)
        t = train[name].to_numpy(dtype=float)
        h = 1e-4 * (t.max() - t.min()) if t.max() > t.min() else 1e-4
        eta = [(1.0, enc(data))]
        deta = [(1.0 / h, enc(data.assign(**{name: x + h / 2}))), (-1.0 / h, enc(data.assign(**{name: x - h / 2})))]
        terms.append(Term(name, SLOPE_LABELS[slope], [eta, deta], _slope(slope), x))
    return terms


def slopes(
    results: Results,
    variables=None,
    *,
    slope: str = "dydx",
    newdata: pd.DataFrame | None = None,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """Partial derivatives of the probability in numeric variables, one row per row of
    ``newdata`` and variable (or averaged per group of ``by``); a factor gets its
    ``"difference"`` comparisons. ``slope``: ``"dydx"``, ``"eyex"``, ``"eydx"`` or ``"dyex"``."""
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    terms = _slope_terms(results, data, variables, slope, enc)
    return _table(results, terms, data, average=by is not None, by=by, ci_prob=ci_prob, labels=True)


def avg_slopes(
    results: Results,
    variables=None,
    *,
    slope: str = "dydx",
    newdata: pd.DataFrame | None = None,
    by=None,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
) -> pd.DataFrame:
    """:func:`slopes` averaged over the rows (or per group of ``by``): average marginal effects
    (statsmodels' ``get_margeff(at="overall")`` for point fits)."""
    data = _data(results, newdata)
    enc = Encoder(results, new_groups, random_seed, group_effects)
    terms = _slope_terms(results, data, variables, slope, enc)
    return _table(results, terms, data, average=True, by=by, ci_prob=ci_prob, labels=True)
