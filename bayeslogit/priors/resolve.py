"""How a user's prior specification is resolved per design column: :func:`resolve_priors`.

Resolution gives every design column one prior:

- ``priors=None``: the weakly-informative default, rstanarm's autoscaling: each slope gets
  ``Normal(0, 2.5 / sd(x_j))``; the intercept gets ``Normal(0, 2.5)`` on the scale of
  *centred* predictors (the log-odds at the mean of the predictors). Coefficients are always
  reported on the original scale.
- a single prior (``priors=bl.Normal(0, 1)``): used for every slope; the intercept keeps its
  default.
- a dict keyed by design column name (or by a formula term such as ``"C(g)"``, which covers
  all its columns): those terms get the given prior; the rest keep the default.
  ``"Intercept"`` in the dict puts that prior on the original-scale intercept.

:class:`ResolvedPriors` is what the fitters take; it answers the questions they have about the
priors as a whole (:attr:`~ResolvedPriors.has_kink`, :attr:`~ResolvedPriors.sampled_scale`,
:attr:`~ResolvedPriors.improper_columns`, :meth:`~ResolvedPriors.by_family`...).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from .._blocks import column_sd
from ..errors import PriorError
from .base import FreeDraws, JointFamily, Prior, PriorContext
from .families import SklearnPrior, default_priors
from .groups import GroupPriors
from .registry import prior_from_json, prior_to_json

if TYPE_CHECKING:  # pragma: no cover
    from ..design import Design

__all__ = ["ResolvedPriors", "FamilyGroup", "resolve_priors", "PriorSpec"]

PriorSpec = None | Prior | SklearnPrior | Mapping[str, Prior]


@dataclass(frozen=True)
class FamilyGroup:
    """The coefficients under one family, in coefficient order (:meth:`ResolvedPriors.by_family`).

    Attributes
    ----------
    family_class : type
        The class whose classmethods handle them jointly (:class:`~bayeslogit.priors.base.JointFamily`).
    index : list of int
        Their positions among the design columns.
    names : list of str
        Their design column names.
    priors : list of Prior
        Their priors.
    """

    family_class: type[JointFamily]
    index: list[int]
    names: list[str]
    priors: list[Prior]

    @property
    def name(self) -> str:
        """The family's name (``"Normal"``, ``"HierNormal"``...)."""
        return self.family_class.family_name

    @property
    def dim(self) -> str:
        """The coordinate of the family's PyMC variables: ``coef_<family>``."""
        return f"coef_{self.name.lower()}"


@dataclass(frozen=True)
class ResolvedPriors:
    """One prior per design column, plus how the intercept is treated.

    Attributes
    ----------
    priors : dict
        Design column name -> :class:`Prior`. For a centred intercept this is the prior of the
        log-odds at the predictor means, not of the original-scale intercept.
    centered_intercept : bool
        True when the intercept's prior applies to the intercept of centred predictors
        (the default), False when it applies to the original-scale intercept.
    x_mean : ndarray
        Column means of the design (zero for the intercept), used for centring.
    sources : dict
        Design column name -> ``"default"``, ``"all slopes"`` or ``"user"``: where each came from.
    groups : GroupPriors or None
        The priors of the group terms' sds and correlations (:mod:`bayeslogit.priors.groups`),
        None without group terms.
    """

    priors: dict[str, Prior]
    centered_intercept: bool
    x_mean: np.ndarray
    sources: dict[str, str]
    groups: Any = None

    def __repr__(self) -> str:
        items = [f"{name}: {prior}" for name, prior in self.priors.items()]
        shown = ", ".join(items[:4]) + (f", ... ({len(items)} in all)" if len(items) > 4 else "")
        centred = "; intercept at centred predictors" if self.centered_intercept else ""
        return f"<ResolvedPriors {shown}{centred}>"

    def _repr_html_(self) -> str:
        return self.table().to_html(border=0)

    def describe(self) -> str:
        """The priors the user chose, in a few words, for labels (``"Posterior Normal(0, 1)"``):
        the slopes' one prior (``"custom priors"`` when they differ), then a user-set intercept's;
        ``""`` when every prior is the default.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> from bayeslogit.design import build_design
        >>> d = build_design("y ~ x", pd.DataFrame({"y": [0, 1, 0, 1], "x": [0.0, 1.0, 2.0, 3.0]}))
        >>> resolve_priors(bl.Normal(0, 1), d).describe(), resolve_priors(None, d).describe()
        ('Normal(0, 1)', '')
        >>> resolve_priors(bl.sklearn_prior(C=4.0), d).describe()
        'Normal(0, 2), Intercept Flat()'
        """
        if all(source == "default" for source in self.sources.values()):
            return ""
        slopes = {str(p) for name, p in self.priors.items() if name != "Intercept"}
        text = slopes.pop() if len(slopes) == 1 else ("custom priors" if slopes else "")
        icpt = self.priors.get("Intercept")
        if icpt is not None and self.sources.get("Intercept") != "default" and str(icpt) != text:
            text = f"{text}, Intercept {icpt}" if text else f"Intercept {icpt}"
        return text

    # -- what the fitters ask -------------------------------------------------------------------

    @property
    def has_kink(self) -> bool:
        """Some coefficient's prior has a kink (Laplace, elastic net): the MAP needs
        :mod:`bayeslogit.fit.penalized`."""
        return any(p.has_kink for p in self.priors.values())

    @property
    def target_accept(self) -> float:
        """The NUTS target acceptance rate these priors need by default: the largest a family
        asks for (:attr:`~bayeslogit.priors.base.Prior.target_accept`, the horseshoe 0.99), else 0.8."""
        asked = [p.target_accept for p in self.priors.values() if p.target_accept is not None]
        return max(asked, default=0.8)

    @property
    def sampled_scale(self) -> bool:
        """Some coefficient's prior samples its own scale (hierarchical Normal, horseshoe): no
        MAP, no Laplace approximation, not on the compiled sampler."""
        return any(p.sampled_scale for p in self.priors.values())

    @property
    def improper_columns(self) -> list[str]:
        """The columns whose prior is improper (Flat), in column order."""
        return [name for name, p in self.priors.items() if p.improper]

    @property
    def log_concave(self) -> bool:
        """Every prior is log-concave (so is the posterior: one mode)."""
        return all(p.log_concave for p in self.priors.values())

    def by_family(self, names: list[str] | None = None) -> list[FamilyGroup]:
        """The coefficients grouped by family, families in the order they first appear.

        Examples
        --------
        >>> import numpy as np, bayeslogit as bl
        >>> r = ResolvedPriors({"a": bl.Normal(0, 1), "b": bl.Flat(), "c": bl.Normal(0, 2)}, False,
        ...                    np.zeros(3), {})
        >>> [(g.dim, g.index) for g in r.by_family()]
        [('coef_normal', [0, 2]), ('coef_flat', [1])]
        """
        names = list(self.priors) if names is None else list(names)
        groups: dict[type[JointFamily], list[int]] = {}
        for j, name in enumerate(names):
            groups.setdefault(self.priors[name].family_class, []).append(j)
        return [
            FamilyGroup(cls, idx, [names[j] for j in idx], [self.priors[names[j]] for j in idx])
            for cls, idx in groups.items()
        ]

    def smooth_part(self) -> ResolvedPriors:
        """The same with every prior replaced by its differentiable factor
        (:meth:`~bayeslogit.priors.base.Prior.smooth_part`)."""
        return replace(self, priors={n: p.smooth_part() for n, p in self.priors.items()})

    def free_log_prior(self, beta: np.ndarray, free: FreeDraws, ctx: PriorContext) -> dict[str, np.ndarray]:
        """Log prior density of every draw per free variable of the PyMC model
        (:func:`bayeslogit.fit.pymc_model.build_model`), as ``pm.compute_log_prior``
        (untransformed values, no Jacobian): the total per draw is the joint log prior.

        Coefficients whose prior has a closed-form density enter under ``"beta"`` (those columns
        only, in column order) by :meth:`logpdf` of the quantity the prior applies to; families
        with a sampled scale enter through their free variables
        (:meth:`~bayeslogit.priors.base.JointFamily.free_log_prior`), families in the order
        they first appear.

        Parameters
        ----------
        beta : ndarray
            Original-scale coefficient draws, ``(draws, n_coef)``.
        free : callable
            ``free(var, family)``: the draws ``(draws, k)`` of a free variable.
        ctx : PriorContext
            What the joint priors need from the data.
        """
        names = list(self.priors)
        plain = [j for j, n in enumerate(names) if not self.priors[n].sampled_scale]
        out: dict[str, np.ndarray] = {}
        if plain:
            raw = beta @ self.centring_map().T
            out["beta"] = np.column_stack(
                [np.asarray(self.priors[names[j]].logpdf(raw[:, j]), dtype=float) for j in plain]
            )
        for group in self.by_family(names):
            out.update(group.family_class.free_log_prior(group.priors, free, ctx))
        return out

    # -- tables, maps, densities ----------------------------------------------------------------

    def table(self):
        """A DataFrame describing each coefficient's prior (what ``prior_summary`` prints)."""
        import pandas as pd

        rows = []
        for name, prior in self.priors.items():
            on = "intercept at centred predictors" if name == "Intercept" and self.centered_intercept else "coefficient"
            rows.append({"term": name, "prior": str(prior), "applies to": on, "source": self.sources[name]})
        table = pd.DataFrame(rows).set_index("term")
        if self.groups is not None:  # group sds and correlations (bayeslogit.priors.groups)
            table = pd.concat([table, self.groups.table()])
        return table

    def centring_map(self) -> np.ndarray:
        """The (p, p) matrix ``T`` with ``T @ beta`` = the quantities the priors apply to.

        The identity, except that with a centred intercept its row is ``e_0 + x_mean``
        (``alpha_c = b0 + x_mean @ beta``). Linear with unit determinant: no Jacobian.
        """
        names = list(self.priors)
        T = np.eye(len(names))
        if self.centered_intercept:
            T[names.index("Intercept")] += self.x_mean  # x_mean[Intercept] == 0
        return T

    def logpdf(self, beta: np.ndarray) -> float:
        """Joint log prior density of the original-scale coefficient vector ``beta``."""
        beta = np.asarray(beta, dtype=float)
        names = list(self.priors)
        total = 0.0
        for j, name in enumerate(names):
            x = beta[j]
            if name == "Intercept" and self.centered_intercept:
                x = beta[j] + float(self.x_mean @ beta)
            total += float(self.priors[name].logpdf(x))
        return total

    # -- JSON (saved fits) ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The JSON form saved fits store (:mod:`bayeslogit.io`)."""
        return {
            "priors": {name: prior_to_json(p) for name, p in self.priors.items()},
            "centered_intercept": bool(self.centered_intercept),
            "x_mean": [float(v) for v in self.x_mean],
            "sources": dict(self.sources),
            **({"groups": self.groups.to_json()} if self.groups is not None else {}),
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ResolvedPriors:
        """The priors :meth:`to_json` wrote."""
        priors = {name: prior_from_json(p) for name, p in obj["priors"].items()}
        groups = GroupPriors.from_json(obj["groups"]) if "groups" in obj else None  # group sds, LKJ
        return cls(
            priors=priors,
            centered_intercept=bool(obj["centered_intercept"]),
            x_mean=np.asarray(obj["x_mean"], dtype=float),
            sources=dict(obj["sources"]),
            groups=groups,
        )


def _term_columns(design: Design) -> dict[str, list[str]]:
    """Map each formula term name (e.g. ``"C(g)"``, ``"x1:x2"``) to its design columns."""
    out: dict[str, list[str]] = {}
    for term, sl in design.design_info.term_name_slices.items():
        out[term] = design.column_names[sl]
    return out


def column_moments(design: Design) -> tuple[np.ndarray, np.ndarray]:
    """The design columns' sds (R's ``sd()``, n - 1 in the denominator, as rstanarm's
    autoscaling; frequency weights: the sample sd of the expanded data, ``sum w (x - m)^2 /
    (sum w - 1)``) and (weighted) means. A design whose rows are not in memory (a dask
    DataFrame's, :mod:`bayeslogit.design.dask`) gives its own, reduced over its partitions."""
    own = getattr(design, "column_moments", None)
    if own is not None:
        return own()
    X = design.X
    w = getattr(design, "weights", None)
    if w is None:
        sd = column_sd(X, ddof=1)  # X.std(axis=0, ddof=1), by row blocks when X is large
    else:
        total = float(np.sum(w))
        ss = np.asarray(w, dtype=float) @ (X - np.average(X, axis=0, weights=w)) ** 2
        sd = np.sqrt(ss / (total - 1)) if total > 1 else np.zeros(X.shape[1])
    return sd, np.average(X, axis=0, weights=w)


def resolve_priors(spec: PriorSpec, design: Design) -> ResolvedPriors:
    """Give every design column a prior (see the module docstring for the rules).

    Parameters
    ----------
    spec : None, Prior or dict
        What the user asked for.
    design : Design
        The design the priors are for.

    Returns
    -------
    ResolvedPriors

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> from bayeslogit.design import build_design
    >>> d = build_design("y ~ x", pd.DataFrame({"y": [0, 1, 0, 1], "x": [0.0, 1.0, 2.0, 3.0]}))
    >>> r = resolve_priors({"x": bl.Normal(0, 1)}, d)
    >>> [str(p) for p in r.priors.values()]
    ['Normal(0, 2.5)', 'Normal(0, 1)']
    """
    names = design.column_names
    sd, x_mean = column_moments(design)
    priors = default_priors(names, sd)
    sources = {name: "default" for name in names}
    centered = design.has_intercept

    if isinstance(spec, SklearnPrior):
        spec = spec.as_dict(design)
    if spec is None:
        pass
    elif isinstance(spec, Prior):
        for name in names:
            if name != "Intercept":
                priors[name] = spec
                sources[name] = "all slopes"
    elif isinstance(spec, Mapping):
        terms = _term_columns(design)
        for key, prior in spec.items():
            if not isinstance(prior, Prior):
                raise PriorError(f"priors[{key!r}] must be a bayeslogit prior such as bl.Normal(0, 1), got {prior!r}")
            if key in names:
                cols = [key]
            elif key in terms:
                cols = terms[key]
            else:
                raise PriorError(f"priors has key {key!r}, which is not a design column or term; columns are {names}")
            for col in cols:
                priors[col] = prior
                sources[col] = "user"
                if col == "Intercept":
                    centered = False
    else:
        raise PriorError(
            "priors must be None, one prior such as bl.Normal(0, 1), or a dict mapping design "
            f"columns to priors; got {type(spec).__name__}"
        )
    if design.has_intercept:
        x_mean[names.index("Intercept")] = 0.0
    if not centered:
        x_mean = np.zeros_like(x_mean)
    resolved = ResolvedPriors(priors=priors, centered_intercept=centered, x_mean=x_mean, sources=sources)
    for group in resolved.by_family():  # e.g. a Horseshoe's p0 below the coefficients under it
        group.family_class.check_resolved(group.priors)
    return resolved
