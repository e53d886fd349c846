"""Priors of group terms: the sd of every varying coefficient and the correlations of a term.

The model of a group term ``(1 + x | g)`` with ``k`` varying coefficients is, for every level
``j`` of ``g``, ``b_j ~ MvNormal(0, diag(sd) R diag(sd))``, sampled non-centred
(``b_j = diag(sd) L z_j``, ``z_j ~ N(0, I)``, ``R = L L'``).

Defaults (one per group term, documented in ``prior_summary()``):

- every ``sd``: ``HalfStudentT(3, 2.5)``, a half-Student-t with 3 degrees of freedom and scale
  2.5 on the logit scale: brms's default for group-level standard deviations
  (``student_t(3, 0, 2.5)`` restricted to positive values; Bürkner 2017, brms ``get_prior``).
  Weakly informative: the median sd is about 1.9 and heavy tails let the data speak; it is
  the same scale as bayeslogit's coefficient default ``Normal(0, 2.5)``.
- the correlations of a term with ``k > 1`` correlated coefficients: ``LKJ(1)``, uniform over
  correlation matrices (brms's and rstanarm's ``decov(regularization=1)`` default;
  Lewandowski, Kurowicka and Joe 2009). ``(x || g)`` has no correlation parameters.

Override them per grouping factor with keys holding a ``|`` in ``priors=``::

    priors={"1|g": bl.HalfNormal(1),       # sd of g's varying intercept ("Intercept|g" too)
            "x|g": bl.HalfNormal(0.5),     # sd of g's varying slope of x
            "|g": bl.HalfStudentT(3, 1),   # every sd of the terms grouped by g
            "cor|g": bl.LKJ(2)}            # the correlations of g's term

(keys without ``|`` are coefficient priors as before; whitespace in keys is ignored.)

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import PriorError
from .base import CorrelationPrior, ScalePrior
from .registry import correlation_from_json, correlation_to_json, scale_from_json, scale_to_json
from .scales import DEFAULT_LKJ, DEFAULT_SD

__all__ = ["GroupPriors", "resolve_group_priors", "split_prior_spec"]


@dataclass(frozen=True)
class GroupPriors:
    """The priors of every group term, keyed by the term's ``key``.

    Attributes
    ----------
    sd : dict
        term key -> list of sd priors, one per varying coefficient.
    cor : dict
        term key -> :class:`~bayeslogit.LKJ` (correlated terms with k > 1 only).
    sources : dict
        ``(term key, coefficient or "cor")`` -> ``"default"`` or ``"user"``.
    labels : dict
        term key -> the term's label (``"1 + x | g"``) and its coefficient names.
    """

    sd: dict[str, list]
    cor: dict[str, CorrelationPrior]
    sources: dict = field(default_factory=dict)
    labels: dict = field(default_factory=dict)

    def table(self):
        """Rows for ``prior_summary()``: ``sd(x | g)`` and ``cor(g)`` with their prior."""
        import pandas as pd

        rows = []
        for key, priors in self.sd.items():
            label, coefs, group = self.labels[key]
            for c, p in zip(coefs, priors):
                rows.append(
                    {
                        "term": f"sd({c} | {group})",
                        "prior": str(p),
                        "applies to": f"group sd ({label})",
                        "source": self.sources[(key, c)],
                    }
                )
            if key in self.cor:
                rows.append(
                    {
                        "term": f"cor({group})",
                        "prior": str(self.cor[key]),
                        "applies to": f"group correlations ({label})",
                        "source": self.sources[(key, "cor")],
                    }
                )
        return pd.DataFrame(rows).set_index("term") if rows else pd.DataFrame(columns=["prior", "applies to", "source"])

    def to_json(self) -> dict[str, Any]:
        """The JSON form saved fits store (:mod:`bayeslogit.io`)."""
        return {
            "sd": {k: [scale_to_json(p) for p in v] for k, v in self.sd.items()},
            "cor": {k: correlation_to_json(v) for k, v in self.cor.items()},
            "sources": [[k, c, s] for (k, c), s in self.sources.items()],
            "labels": {k: [v[0], list(v[1]), v[2]] for k, v in self.labels.items()},
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> GroupPriors:
        """The priors :meth:`to_json` wrote."""
        return cls(
            sd={k: [scale_from_json(p) for p in v] for k, v in obj["sd"].items()},
            cor={k: correlation_from_json(v) for k, v in obj["cor"].items()},
            sources={(k, c): s for k, c, s in obj["sources"]},
            labels={k: (v[0], list(v[1]), v[2]) for k, v in obj["labels"].items()},
        )


def split_prior_spec(spec):
    """``(coefficient spec, group spec)``: a dict's keys holding ``|`` go to the group terms."""
    if isinstance(spec, Mapping):
        fixed = {k: v for k, v in spec.items() if not (isinstance(k, str) and "|" in k)}
        group = {k: v for k, v in spec.items() if isinstance(k, str) and "|" in k}
        return (fixed if fixed or not group else None), group
    return spec, {}


def resolve_group_priors(spec: Mapping[str, Any] | None, groups) -> GroupPriors | None:
    """Give every group sd and correlation matrix a prior (see the module docstring).

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> from bayeslogit.design import build_design
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [.1, .5, .2, .9, .3, .7],
    ...                    "g": ["a", "a", "b", "b", "c", "c"]})
    >>> gp = resolve_group_priors({"1|g": bl.HalfNormal(1)}, build_design("y ~ x + (1 | g)", df).groups)
    >>> [str(p) for p in gp.sd["g"]]
    ['HalfNormal(1)']
    """
    if groups is None:
        if spec:
            raise PriorError(f"priors has group keys {list(spec)} but the formula has no group terms like (1 | g)")
        return None
    sd: dict[str, list[ScalePrior]] = {}
    cor: dict[str, CorrelationPrior] = {}
    sources: dict = {}
    labels: dict = {}
    for t in groups.terms:
        sd[t.key] = [DEFAULT_SD for _ in range(t.n_coef)]
        for c in t.coef_names:
            sources[(t.key, c)] = "default"
        if t.correlated:
            cor[t.key] = DEFAULT_LKJ
            sources[(t.key, "cor")] = "default"
        labels[t.key] = (t.label, list(t.coef_names), t.group_name)
    valid = [f"{c}|{t.group_name}" for t in groups.terms for c in ["", "1", *t.coef_names]] + [
        f"cor|{t.group_name}" for t in groups.terms if t.correlated
    ]
    for raw, prior in (spec or {}).items():
        key = "".join(raw.split())
        coef, _, gname = key.partition("|")
        terms = [t for t in groups.terms if t.group_name == gname]
        if not terms:
            raise PriorError(
                f"priors has key {raw!r}, but no group term is grouped by {gname!r}; group keys are {valid}"
            )
        if coef == "cor":
            if not isinstance(prior, CorrelationPrior):
                raise PriorError(f"priors[{raw!r}] must be bl.LKJ(eta), got {prior!r}")
            hit = [t for t in terms if t.correlated]
            if not hit:
                raise PriorError(
                    f"priors has key {raw!r}, but no term grouped by {gname!r} has correlations "
                    "(one coefficient, or '||')"
                )
            for t in hit:
                cor[t.key] = prior
                sources[(t.key, "cor")] = "user"
            continue
        if not isinstance(prior, ScalePrior):
            raise PriorError(
                f"priors[{raw!r}] is the prior of a group sd and must be bl.HalfNormal(s) or "
                f"bl.HalfStudentT(nu, s), got {prior!r}"
            )
        found = False
        for t in terms:
            for j, c in enumerate(t.coef_names):
                if coef == "" or c == coef or (coef == "1" and c == "Intercept"):
                    sd[t.key] = list(sd[t.key])
                    sd[t.key][j] = prior
                    sources[(t.key, c)] = "user"
                    found = True
        if not found:
            raise PriorError(
                f"priors has key {raw!r}, which is no varying coefficient of a group term; group keys are {valid}"
            )
    return GroupPriors(sd=sd, cor=cor, sources=sources, labels=labels)
