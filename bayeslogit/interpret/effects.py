"""Interpretation: odds ratios and average marginal effects, for posterior and point fits.

Odds ratios are ``exp(coef)``. Posterior: the draws are transformed, then summarised (so the
mean is ``E[exp(beta)]``, not ``exp(E[beta])``). Point fits: ``exp`` of the estimate and of the
Wald interval.

Average marginal effects (AME) are per *variable* of the data, not per design column, so a
variable entering through several columns (``x1 + x1:x2``, ``center(x)``, ``np.log(x)``) gets
one effect that accounts for all of them:

- numeric variable ``x``: ``mean_i dP_i/dx``, with ``dP/dx = p (1 - p) * (dX_i/dx) @ beta``
  (plus ``d offset_i/dx`` when the model's offset is an expression of ``x``).
  The derivative of the design row, ``dX_i/dx``, is a central finite difference through the
  training design (exact up to rounding for terms linear in ``x``);
- factor (string, categorical, boolean or ``C(...)``) ``g``: for every level ``L`` other than
  the first, the discrete change ``mean_i [P_i(g = L) - P_i(g = first level)]``, every row
  set to each level in turn.

Averages run over the training rows (statsmodels' ``at="overall"``), or over ``data``.
Posterior: the AME is computed for every draw, then summarised. Point fits: delta method
with the analytic gradient of the AME in ``beta``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _numerics
from .._blocks import linear_predictor
from .._validation import renamed_arguments
from ..design.names import identifiers
from ..errors import ArgumentError
from ..model import training_rows
from ..results.base import resolve_ci_prob
from .predict import CHUNK_CELLS, interval_names, is_posterior, point_estimates, summarize_draws

if TYPE_CHECKING:  # pragma: no cover
    from ..results.base import Results
    from ..results.point import PointResults
    from ..results.posterior import PosteriorResults

__all__ = ["odds_ratios", "marginal_effects"]


@renamed_arguments(interval="ci_prob")
def odds_ratios(
    results: PointResults | PosteriorResults, *, ci_prob: float | None = None, per: float | dict | None = None
) -> pd.DataFrame:
    """See :meth:`bayeslogit.Results.odds_ratios` (``interval``: deprecated alias of ``ci_prob``)."""
    prob = resolve_ci_prob(ci_prob)
    lb, ub = interval_names(results, prob)
    names = results.coef_names
    units = _units(per, names)
    if is_posterior(results):
        ors = np.exp(results.draws() * units)
        table = pd.DataFrame(summarize_draws(ors, prob, (lb, ub)), index=names)
        table.insert(1, "median", np.median(ors, axis=0))
    else:
        beta, V = point_estimates(results)
        se = np.sqrt(np.diag(V)) * np.abs(units)
        beta = beta * units
        z = _numerics.normal_quantile((1 + prob) / 2)
        table = pd.DataFrame(
            {"estimate": np.exp(beta), lb: np.exp(beta - z * se), ub: np.exp(beta + z * se)}, index=names
        )
    table.index.name = "term"
    return table


def _units(per, names: list[str]) -> np.ndarray:
    """The change in units per coefficient that ``odds_ratios(per=)`` asks for (1: unscaled)."""
    units = np.ones(len(names))
    if per is None:
        return units
    if isinstance(per, dict):
        unknown = [k for k in per if k not in names]
        if unknown:
            raise ArgumentError(f"per= names {unknown[0]!r}, which is not a coefficient (coefficients: {names})")
        items = list(per.items())
    else:
        items = [(n, per) for n in names if n != "Intercept"]
    for name, value in items:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ArgumentError(f"per= must be a number or a dict of numbers, got {value!r} for {name!r}")
        if not np.isfinite(value) or value == 0:
            raise ArgumentError(f"per= must be finite and non-zero, got {value!r} for {name!r}")
        units[names.index(name)] = float(value)
    return units


# -- marginal effects ------------------------------------------------------------------------


def rhs_variables(design, columns) -> list[tuple[str, str, list]]:
    """``(variable, "numeric" | "factor", levels)`` for every data variable the RHS uses."""
    kinds: dict[str, set[str]] = {}
    levels: dict[str, list] = {}
    for factor, info in design.design_info.factor_infos.items():
        for name in identifiers(factor.code):
            if name not in columns:
                continue
            kinds.setdefault(name, set()).add(info.type)
            if info.type == "categorical":
                if not re.fullmatch(rf"(C\(\s*)?{re.escape(name)}\b.*", factor.code.strip()):
                    raise ArgumentError(
                        f"variable {name!r} enters the formula through the categorical expression "
                        f"{factor.code!r}; marginal effects need factors written as {name!r} or "
                        f"'C({name})' (make a column for the expression and refit)"
                    )
                levels[name] = list(info.categories)
    out = []
    for name in [c for c in columns if c in kinds]:
        if kinds[name] == {"numerical", "categorical"}:
            raise ArgumentError(
                f"variable {name!r} enters the formula both as a number and as a factor; "
                "marginal effects are not defined for it (use one or the other)"
            )
        kind = "numeric" if kinds[name] == {"numerical"} else "factor"
        out.append((name, kind, levels.get(name, [])))
    return out


def _set_level(df: pd.DataFrame, var: str, level) -> pd.DataFrame:
    out = df.copy()
    col = df[var]
    if isinstance(col.dtype, pd.CategoricalDtype):
        out[var] = pd.Categorical([level] * len(df), categories=col.cat.categories, ordered=col.cat.ordered)
    else:
        out[var] = pd.Series([level] * len(df), index=df.index, dtype=object if not isinstance(level, bool) else bool)
    return out


def _contrasts(results: Results, data: pd.DataFrame, offset=None):
    """Yield ``(label, type, X_a, X_b, o_a, o_b)``: numeric -> (X, dX/dx, offset, d offset/dx);
    factor -> (X at L, X at first, and their offsets). The offsets are None without one."""
    design = results.design
    X = design.encode(data)

    def off(df):
        return design.encode_offset(df, offset)

    O = off(data)
    for var, kind, levels in rhs_variables(design, list(data.columns)):
        if kind == "numeric":
            x = data[var].to_numpy(dtype=float)
            scale = np.std(x) if np.std(x) > 0 else max(np.abs(x).max(), 1.0)
            h = 1e-5 * scale
            plus = data.assign(**{var: x + h})
            minus = data.assign(**{var: x - h})
            dX = (design.encode(plus) - design.encode(minus)) / (2 * h)
            dO = None if O is None else (off(plus) - off(minus)) / (2 * h)
            yield var, "dP/dx", X, dX, O, dO
        else:
            ref = levels[0]
            at_ref = _set_level(data, var, ref)
            X0, O0 = design.encode(at_ref), off(at_ref)
            for level in levels[1:]:
                at_level = _set_level(data, var, level)
                X1, O1 = design.encode(at_level), off(at_level)
                yield f"{var}[{level} vs {ref}]", "discrete change", X1, X0, O1, O0


def _ame_draws(
    kind: str, Xa: np.ndarray, Xb: np.ndarray, B: np.ndarray, Oa: np.ndarray | None = None, Ob: np.ndarray | None = None
) -> np.ndarray:
    """AME for every row of ``B`` (draws x coef)."""
    out = np.empty(B.shape[0])
    step = max(1, CHUNK_CELLS // max(Xa.shape[0], 1))
    for s in range(0, B.shape[0], step):
        Bs = B[s : s + step].T  # (p, s)
        eta_a, eta_b = linear_predictor(Xa, Bs, Oa), linear_predictor(Xb, Bs, Ob)
        if kind == "dP/dx":
            p = _numerics.inv_logit(eta_a)
            out[s : s + step] = (p * (1 - p) * eta_b).mean(axis=0)
        else:
            out[s : s + step] = (_numerics.inv_logit(eta_a) - _numerics.inv_logit(eta_b)).mean(axis=0)
    return out


def _ame_point(
    kind: str,
    Xa: np.ndarray,
    Xb: np.ndarray,
    beta: np.ndarray,
    Oa: np.ndarray | None = None,
    Ob: np.ndarray | None = None,
) -> tuple[float, np.ndarray]:
    """AME and its gradient in ``beta``."""
    if kind == "dP/dx":
        p = _numerics.inv_logit(linear_predictor(Xa, beta, Oa))
        w = p * (1 - p)
        deta = linear_predictor(Xb, beta, Ob)
        ame = float(np.mean(w * deta))
        grad = ((w * (1 - 2 * p) * deta)[:, None] * Xa + w[:, None] * Xb).mean(axis=0)
        return ame, grad
    p1, p0 = _numerics.inv_logit(linear_predictor(Xa, beta, Oa)), _numerics.inv_logit(linear_predictor(Xb, beta, Ob))
    ame = float(np.mean(p1 - p0))
    grad = ((p1 * (1 - p1))[:, None] * Xa - (p0 * (1 - p0))[:, None] * Xb).mean(axis=0)
    return ame, grad


@renamed_arguments(interval="ci_prob")
def marginal_effects(
    results: PointResults | PosteriorResults,
    *,
    data: pd.DataFrame | None = None,
    ci_prob: float | None = None,
    offset=None,
) -> pd.DataFrame:
    """See :meth:`bayeslogit.Results.marginal_effects` (``interval``: deprecated alias of ``ci_prob``)."""
    prob = resolve_ci_prob(ci_prob)
    lb, ub = interval_names(results, prob)
    if data is None:
        data = training_rows(results.model)
    elif not isinstance(data, pd.DataFrame):
        raise ArgumentError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    rows, labels, types = [], [], []
    if is_posterior(results):
        B = results.draws()
        for label, kind, Xa, Xb, Oa, Ob in _contrasts(results, data, offset):
            s = summarize_draws(_ame_draws(kind, Xa, Xb, B, Oa, Ob)[:, None], prob, (lb, ub))
            rows.append({k: float(v[0]) for k, v in s.items()})
            labels.append(label)
            types.append(kind)
    else:
        beta, V = point_estimates(results)
        z = _numerics.normal_quantile((1 + prob) / 2)
        for label, kind, Xa, Xb, Oa, Ob in _contrasts(results, data, offset):
            ame, grad = _ame_point(kind, Xa, Xb, beta, Oa, Ob)
            se = float(np.sqrt(max(grad @ V @ grad, 0.0)))
            rows.append({"estimate": ame, "se": se, lb: ame - z * se, ub: ame + z * se})
            labels.append(label)
            types.append(kind)
    table = pd.DataFrame(rows, index=pd.Index(labels, name="effect"))
    table.insert(0, "type", types)
    return table
