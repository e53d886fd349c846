"""The one registry of prior families by name: their text form (the CLI) and JSON form (saved fits).

Every family is listed here once, with the names it answers to; :mod:`bayeslogit.io` and
:mod:`bayeslogit.cli` go through these functions and name no family themselves.

JSON (the saved format, unchanged): a coefficient prior is ``{"family": name, "params":
{...}}`` with the family's :meth:`~bayeslogit.priors.base.Prior.params`, a sampled scale as
``{"HalfNormal": s}``; a group sd prior is ``{name: [args]}``; an LKJ prior its ``eta``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import PriorError
from .base import CorrelationPrior, Prior, ScalePrior
from .families import (
    Cauchy,
    ElasticNet,
    Flat,
    HierarchicalNormal,
    Laplace,
    Normal,
    SklearnPrior,
    StudentT,
    sklearn_prior,
)
from .horseshoe import Horseshoe
from .scales import LKJ, HalfNormal, HalfStudentT

__all__ = [
    "prior_to_json",
    "prior_from_json",
    "scale_to_json",
    "scale_from_json",
    "correlation_to_json",
    "correlation_from_json",
    "parse_prior",
    "parse_group_prior",
    "parse_sklearn_prior",
]

COEFFICIENT_FAMILIES: dict[str, type[Prior]] = {
    cls.family_name: cls for cls in (Normal, StudentT, Cauchy, Flat, Laplace, ElasticNet, Horseshoe)
}
"""JSON name -> class of every coefficient prior family."""
COEFFICIENT_FAMILIES[HierarchicalNormal.family_name] = Normal  # Normal(mu, HalfNormal(s)) is stored by that name
SCALE_FAMILIES: dict[str, type[ScalePrior]] = {cls.family_name: cls for cls in (HalfNormal, HalfStudentT)}
"""JSON name -> class of every scale prior (group sds, a Normal's sampled scale)."""

TEXT_NAMES: dict[str, type[Prior]] = {
    "normal": Normal,
    "studentt": StudentT,
    "student_t": StudentT,
    "t": StudentT,
    "cauchy": Cauchy,
    "flat": Flat,
    "laplace": Laplace,
    "elasticnet": ElasticNet,
    "elastic_net": ElasticNet,
    "horseshoe": Horseshoe,
}
"""The CLI's spellings of the coefficient families (case-insensitive)."""
GROUP_TEXT_NAMES: dict[str, type] = {
    "halfnormal": HalfNormal,
    "halfstudentt": HalfStudentT,
    "half_student_t": HalfStudentT,
    "lkj": LKJ,
}
"""The CLI's spellings of the group-term priors (case-insensitive)."""


# -- JSON ------------------------------------------------------------------------------------


def _param_to_json(value: Any) -> Any:
    if isinstance(value, ScalePrior):  # a sampled scale: {"HalfNormal": s}
        args = value.args()
        return {value.family_name: args[0] if len(args) == 1 else args}
    return value


def _param_from_json(value: Any) -> Any:
    if isinstance(value, dict):
        ((name, args),) = value.items()
        return _scale_class(name)(*(args if isinstance(args, list) else [args]))
    return value


def prior_to_json(prior: Prior) -> dict[str, Any]:
    """``{"family": ..., "params": ...}`` of a coefficient prior.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> prior_to_json(bl.Normal(0, bl.HalfNormal(2)))
    {'family': 'HierNormal', 'params': {'mu': 0.0, 'sigma': {'HalfNormal': 2.0}}}
    """
    return {"family": prior.family, "params": {k: _param_to_json(v) for k, v in prior.params().items()}}


def prior_from_json(obj: dict[str, Any]) -> Prior:
    """The prior :func:`prior_to_json` wrote (:class:`~bayeslogit.PriorError` for an unknown family).

    Examples
    --------
    >>> prior_from_json({"family": "StudentT", "params": {"nu": 3, "mu": 0, "sigma": 2.5}})
    StudentT(nu=3.0, mu=0.0, sigma=2.5)
    """
    name = obj["family"]
    if name not in COEFFICIENT_FAMILIES:
        raise PriorError(f"unknown prior family {name!r}; known: {sorted(COEFFICIENT_FAMILIES)}")
    return COEFFICIENT_FAMILIES[name](**{k: _param_from_json(v) for k, v in obj["params"].items()})


def _scale_class(name: str) -> type[ScalePrior]:
    if name not in SCALE_FAMILIES:
        raise PriorError(f"unknown scale prior {name!r}; known: {sorted(SCALE_FAMILIES)}")
    return SCALE_FAMILIES[name]


def scale_to_json(prior: ScalePrior) -> dict[str, list[float]]:
    """A group sd prior as ``{name: [args]}`` (``{"HalfStudentT": [3.0, 2.5]}``)."""
    return {prior.family_name: list(prior.args())}


def scale_from_json(obj: dict[str, list[float]]) -> ScalePrior:
    """The prior :func:`scale_to_json` wrote.

    Examples
    --------
    >>> scale_from_json({"HalfNormal": [1.0]})
    HalfNormal(sigma=1.0)
    """
    ((name, args),) = obj.items()
    return _scale_class(name)(*args)


def correlation_to_json(prior) -> float:
    """An LKJ prior as its ``eta``."""
    return float(prior.eta)


def correlation_from_json(eta: float) -> CorrelationPrior:
    """The LKJ prior of a stored ``eta``."""
    return LKJ(float(eta))


# -- text (the CLI) ----------------------------------------------------------------------------


MAX_PRIOR_TEXT = 200
"""The longest prior text the CLI parses (the longest real one, ``elasticnet(...)`` with long
decimals, is under 60 characters)."""


def _capped(text: str, what: str) -> str:
    """``text`` stripped; :class:`~bayeslogit.PriorError` when it is longer than
    :data:`MAX_PRIOR_TEXT` (checked before any pattern runs)."""
    body = (text or "").strip()
    if len(body) > MAX_PRIOR_TEXT:
        raise PriorError(
            f"cannot parse {what} {body[:40]!r}...: {len(body):,} characters, more than the "
            f"{MAX_PRIOR_TEXT} a prior can take; write e.g. 'normal(0, 1)'"
        )
    return body


def parse_prior(text: str) -> Prior:
    """Parse a prior written as text, e.g. ``"normal(0, 1)"`` or ``"flat"`` (for the CLI).

    Examples
    --------
    >>> parse_prior("Normal(0, 2.5)")
    Normal(mu=0.0, sigma=2.5)
    >>> parse_prior("normal(0, halfnormal(1))").sampled_scale
    True
    """
    text = _capped(text, "prior")
    # No two adjacent parts of a pattern can match the same characters (the arguments cannot
    # hold ',' '(' ')', and the spaces around them are stripped by float()), so matching is
    # linear in the length: overlapping `\s*` and `[^,()]+?` made it about n**4 (issue 27).
    hier = re.fullmatch(r"normal\s*\(([^,()]*),\s*halfnormal\s*\(([^,()]*)\)\s*\)", text, flags=re.IGNORECASE)
    if hier:
        try:
            return Normal(float(hier.group(1)), HalfNormal(float(hier.group(2))))
        except ValueError:
            raise PriorError(f"cannot parse prior {text!r}: arguments must be numbers") from None
    m = re.fullmatch(r"([A-Za-z]+)\s*(?:\(([^()]*)\))?", text)
    if not m or m.group(1).lower() not in TEXT_NAMES:
        raise PriorError(
            f"cannot parse prior {text!r}; write e.g. 'normal(0, 1)', 'studentt(3, 0, 2.5)', "
            "'cauchy(0, 2.5)', 'laplace(0, 1)', 'elasticnet(0, 0.5, 0.5)', 'normal(0, halfnormal(1))', "
            "'horseshoe(3)' or 'flat'"
        )
    args = [a.strip() for a in (m.group(2) or "").split(",") if a.strip()]
    try:
        values = [float(a) for a in args]
    except ValueError:
        raise PriorError(f"cannot parse prior {text!r}: arguments must be numbers") from None
    try:
        return TEXT_NAMES[m.group(1).lower()](*values)
    except TypeError:
        raise PriorError(f"cannot parse prior {text!r}: wrong number of arguments") from None


def parse_group_prior(text: str):
    """Parse a group-term prior written as text (for the CLI's ``--prior "1|g=halfnormal(1)"``):
    ``halfnormal(s)``, ``halfstudentt(nu, s)`` or ``lkj(eta)``.

    Examples
    --------
    >>> parse_group_prior("HalfStudentT(3, 1)"), parse_group_prior("lkj(2)")
    (HalfStudentT(nu=3.0, sigma=1.0), LKJ(eta=2.0))
    """
    m = re.fullmatch(r"([A-Za-z_]+)\s*\(([^()]*)\)", _capped(text, "group prior"))
    if not m or m.group(1).lower() not in GROUP_TEXT_NAMES:
        raise PriorError(
            f"cannot parse group prior {text!r}; write e.g. 'halfnormal(1)', 'halfstudentt(3, 2.5)' "
            "(a group sd) or 'lkj(2)' (correlations, with the key cor|g)"
        )
    try:
        values = [float(a) for a in m.group(2).split(",") if a.strip()]
        return GROUP_TEXT_NAMES[m.group(1).lower()](*values)
    except (TypeError, ValueError):
        raise PriorError(f"cannot parse group prior {text!r}: give numbers, e.g. 'halfstudentt(3, 2.5)'") from None


def parse_sklearn_prior(text: str) -> SklearnPrior:
    """Parse ``"sklearn:C=1,l1_ratio=1,fit_intercept=false"`` (the CLI's shorthand for
    :func:`~bayeslogit.sklearn_prior`; every key optional, defaults as there).

    Examples
    --------
    >>> parse_sklearn_prior("sklearn:C=0.5,l1_ratio=1").describe()
    'sklearn C=0.5, l1_ratio=1, fit_intercept=True'
    """
    body = _capped(text, "prior")
    if not body.lower().startswith("sklearn:") and body.lower() != "sklearn":
        raise PriorError(f"cannot parse {text!r}: the shorthand starts with 'sklearn:', e.g. 'sklearn:C=1,l1_ratio=1'")
    kwargs: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in body[len("sklearn:") :].split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep or key not in ("C", "l1_ratio", "fit_intercept"):
            raise PriorError(
                f"cannot parse {text!r}: {item!r} is not one of C=..., l1_ratio=..., fit_intercept=true|false"
            )
        if key == "fit_intercept":
            if value.lower() not in ("true", "false"):
                raise PriorError(f"cannot parse {text!r}: fit_intercept must be true or false, got {value!r}")
            kwargs[key] = value.lower() == "true"
        else:
            try:
                kwargs[key] = math.inf if value.lower() in ("inf", "infinity") else float(value)
            except ValueError:
                raise PriorError(f"cannot parse {text!r}: {key} must be a number, got {value!r}") from None
    C = kwargs.pop("C", 1.0)
    return sklearn_prior(C, kwargs.pop("fit_intercept", True), l1_ratio=kwargs.pop("l1_ratio", 0.0))
