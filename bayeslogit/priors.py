"""Priors on the coefficients, and how a user's prior specification is resolved per term.

A prior is a small frozen description (``Normal(0, 2.5)``); it knows how to make its PyMC
variable but does not import PyMC itself, so ``import bayeslogit`` stays light.

Resolution (:func:`resolve_priors`) gives every design column one prior:

- ``priors=None``: the weakly-informative default, rstanarm's autoscaling: each slope gets
  ``Normal(0, 2.5 / sd(x_j))``; the intercept gets ``Normal(0, 2.5)`` on the scale of
  *centred* predictors (the log-odds at the mean of the predictors). Coefficients are always
  reported on the original scale.
- a single prior (``priors=bl.Normal(0, 1)``): used for every slope; the intercept keeps its
  default.
- a dict keyed by design column name (or by a formula term such as ``"C(g)"``, which covers
  all its columns): those terms get the given prior; the rest keep the default.
  ``"Intercept"`` in the dict puts that prior on the original-scale intercept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._blocks import column_sd
from .errors import PriorError

if TYPE_CHECKING:  # pragma: no cover
    from .design import Design

__all__ = [
    "Prior",
    "Normal",
    "StudentT",
    "Cauchy",
    "Flat",
    "Laplace",
    "ElasticNet",
    "NONSMOOTH_FAMILIES",
    "HalfNormal",
    "Horseshoe",
    "HIERARCHICAL_FAMILIES",
    "ResolvedPriors",
    "resolve_priors",
    "DEFAULT_SCALE",
    "SklearnPrior",
    "sklearn_prior",
]

DEFAULT_SCALE = 2.5
"""rstanarm's default prior scale for logistic regression coefficients (log-odds units)."""


def _positive(name: str, value: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PriorError(f"{what}: {name} must be a number, got {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise PriorError(f"{what}: {name} must be a positive finite number, got {value!r}")
    return v


def _finite(name: str, value: float, what: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PriorError(f"{what}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise PriorError(f"{what}: {name} must be finite, got {value!r}")
    return v


class Prior:
    """Base class of coefficient priors."""

    family: str = ""

    def params(self) -> dict[str, float]:
        """The distribution's parameters, by name."""
        raise NotImplementedError

    def __str__(self) -> str:
        args = ", ".join(f"{v:g}" for v in self.params().values())
        return f"{self.family}({args})"

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density at ``x`` (numpy, for point estimates and checks)."""
        raise NotImplementedError

    def typical_range(self) -> tuple[float, float] | None:
        """Where most of the prior's mass is (for plots): ``mu +- 2 scale``; None when the prior
        is improper or has no closed-form density."""
        return None


@dataclass(frozen=True)
class HalfNormal:
    """Half-normal prior on a *scale* (sd ``sigma`` of the normal it folds): a hyperprior.

    ``bl.Normal(0, bl.HalfNormal(1))`` puts ``Normal(0, tau)`` on every coefficient it is
    given to, with one shared global scale ``tau ~ HalfNormal(1)`` sampled jointly with them
    (full Bayes for the penalty strength: under L2, ``C = tau**2``). Coefficients whose priors
    carry equal ``HalfNormal`` scales share one ``tau``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Normal(0, bl.HalfNormal(1)))
    'Normal(0, HalfNormal(1))'
    """

    sigma: float = 1.0

    def __post_init__(self):
        object.__setattr__(self, "sigma", _positive("sigma", self.sigma, "HalfNormal scale prior"))

    def __str__(self) -> str:
        return f"HalfNormal({self.sigma:g})"

    def logpdf(self, tau):
        t = np.asarray(tau, dtype=float)
        out = 0.5 * np.log(2 / np.pi) - np.log(self.sigma) - 0.5 * (t / self.sigma) ** 2
        return np.where(t >= 0, out, -np.inf)


@dataclass(frozen=True)
class Normal(Prior):
    """Normal prior ``N(mu, sigma)`` (``sigma`` is the standard deviation).

    ``sigma`` may be a :class:`HalfNormal` hyperprior: the scale is then unknown and sampled
    with the coefficients (a hierarchical, non-centred ``Normal(mu, tau)``; see
    :class:`HalfNormal`). Such a prior has no MAP (the joint mode collapses to ``tau = 0``);
    use ``sample()``, or choose the scale by :func:`bayeslogit.scale_by_evidence`.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Normal(0, 2.5))
    'Normal(0, 2.5)'
    """

    mu: float = 0.0
    sigma: float | HalfNormal = 1.0

    def __post_init__(self):
        object.__setattr__(self, "mu", _finite("mu", self.mu, "Normal prior"))
        if not isinstance(self.sigma, HalfNormal):
            object.__setattr__(self, "sigma", _positive("sigma", self.sigma, "Normal prior"))

    @property
    def family(self) -> str:  # type: ignore[override]
        return "HierNormal" if isinstance(self.sigma, HalfNormal) else "Normal"

    def params(self):
        return {"mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        s = self.sigma.sigma if isinstance(self.sigma, HalfNormal) else self.sigma
        return self.mu - 2 * s, self.mu + 2 * s

    def __str__(self) -> str:
        return f"Normal({self.mu:g}, {self.sigma if isinstance(self.sigma, HalfNormal) else format(self.sigma, 'g')})"

    def logpdf(self, x):
        if isinstance(self.sigma, HalfNormal):
            return _scale_mixture_logpdf(np.asarray(x, dtype=float) - self.mu, self.sigma)
        z = (np.asarray(x) - self.mu) / self.sigma
        return -0.5 * z * z - np.log(self.sigma) - 0.5 * np.log(2 * np.pi)


def _scale_mixture_logpdf(z: np.ndarray, scale: HalfNormal) -> np.ndarray:
    """Marginal log density of ``N(0, tau)`` with ``tau ~ HalfNormal(s)``, by quadrature in
    ``log tau`` (smooth integrand; 400 nodes give ~1e-9 relative accuracy)."""
    from scipy.special import logsumexp

    u = np.linspace(-12.0, 5.0, 400) + math.log(scale.sigma)  # log tau
    tau = np.exp(u)
    zz = np.atleast_1d(z)[:, None]
    log_int = (
        -0.5 * (zz / tau) ** 2 - np.log(tau) - 0.5 * math.log(2 * math.pi) + scale.logpdf(tau) + u
    )  # the Jacobian d tau = tau du
    out = logsumexp(log_int, axis=1) + math.log(u[1] - u[0])
    return out.reshape(np.shape(z))


@dataclass(frozen=True)
class StudentT(Prior):
    """Student-t prior with ``nu`` degrees of freedom, location ``mu`` and scale ``sigma``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.StudentT(3, 0, 2.5))
    'StudentT(3, 0, 2.5)'
    """

    nu: float = 3.0
    mu: float = 0.0
    sigma: float = 1.0
    family = "StudentT"

    def __post_init__(self):
        object.__setattr__(self, "nu", _positive("nu", self.nu, "StudentT prior"))
        object.__setattr__(self, "mu", _finite("mu", self.mu, "StudentT prior"))
        object.__setattr__(self, "sigma", _positive("sigma", self.sigma, "StudentT prior"))

    def params(self):
        return {"nu": self.nu, "mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        return self.mu - 2 * self.sigma, self.mu + 2 * self.sigma

    def logpdf(self, x):
        from scipy.stats import t

        return t.logpdf(np.asarray(x), self.nu, loc=self.mu, scale=self.sigma)


@dataclass(frozen=True)
class Cauchy(Prior):
    """Cauchy prior with location ``mu`` and scale ``sigma`` (Gelman et al. 2008 use 2.5).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Cauchy(0, 2.5))
    'Cauchy(0, 2.5)'
    """

    mu: float = 0.0
    sigma: float = 1.0
    family = "Cauchy"

    def __post_init__(self):
        object.__setattr__(self, "mu", _finite("mu", self.mu, "Cauchy prior"))
        object.__setattr__(self, "sigma", _positive("sigma", self.sigma, "Cauchy prior"))

    def params(self):
        return {"mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        return self.mu - 2 * self.sigma, self.mu + 2 * self.sigma

    def logpdf(self, x):
        z = (np.asarray(x) - self.mu) / self.sigma
        return -np.log1p(z * z) - np.log(np.pi * self.sigma)


@dataclass(frozen=True)
class Flat(Prior):
    """Improper flat prior (the likelihood alone). The posterior may be improper under separation.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Flat())
    'Flat()'
    """

    family = "Flat"

    def params(self):
        return {}

    def logpdf(self, x):
        return np.zeros_like(np.asarray(x, dtype=float))


@dataclass(frozen=True)
class Laplace(Prior):
    """Laplace (double-exponential) prior with location ``mu`` and scale ``b``.

    Density ``exp(-|x - mu| / b) / (2 b)``: minus its log is the L1 (lasso) penalty
    ``|x - mu| / b`` up to a constant, so the MAP under it is a lasso fit (exact zeros are
    possible) while the posterior, the Bayesian lasso (Park & Casella 2008), puts no mass at
    exactly zero. Standard deviation ``sqrt(2) b``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Laplace(0, 0.5))
    'Laplace(0, 0.5)'
    """

    mu: float = 0.0
    b: float = 1.0
    family = "Laplace"

    def __post_init__(self):
        object.__setattr__(self, "mu", _finite("mu", self.mu, "Laplace prior"))
        object.__setattr__(self, "b", _positive("b", self.b, "Laplace prior"))

    def params(self):
        return {"mu": self.mu, "b": self.b}

    def typical_range(self):
        return self.mu - 3 * self.b, self.mu + 3 * self.b  # 95% of the mass

    def logpdf(self, x):
        return -np.abs(np.asarray(x, dtype=float) - self.mu) / self.b - np.log(2 * self.b)


@dataclass(frozen=True)
class ElasticNet(Prior):
    """Elastic-net prior: density proportional to ``exp(-l1 |x - mu| - l2 (x - mu)^2 / 2)``.

    Minus its log is the elastic-net penalty, so the MAP under it is an elastic-net fit; it is
    the prior of the Bayesian elastic net (Li & Lin 2010), a product of a Laplace and a
    Gaussian kernel. ``l1 = 0`` would be ``Normal(mu, 1/sqrt(l2))`` and ``l2 = 0``
    ``Laplace(mu, 1/l1)``: use those families then. The normalising constant is
    ``sqrt(2 pi / l2) erfcx(l1 / sqrt(2 l2))``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.ElasticNet(0, 0.5, 1.0))
    'ElasticNet(0, 0.5, 1)'
    """

    mu: float = 0.0
    l1: float = 1.0
    l2: float = 1.0
    family = "ElasticNet"

    def __post_init__(self):
        object.__setattr__(self, "mu", _finite("mu", self.mu, "ElasticNet prior"))
        object.__setattr__(self, "l1", _positive("l1", self.l1, "ElasticNet prior"))
        object.__setattr__(self, "l2", _positive("l2", self.l2, "ElasticNet prior"))

    def params(self):
        return {"mu": self.mu, "l1": self.l1, "l2": self.l2}

    def typical_range(self):
        s = min(1 / math.sqrt(self.l2), 1.5 / self.l1)  # the narrower of the two kernels
        return self.mu - 2 * s, self.mu + 2 * s

    def log_norm(self) -> float:
        """``log`` of the normalising constant (stable for any ``l1``, ``l2`` > 0)."""
        from scipy.special import erfcx

        return 0.5 * math.log(2 * math.pi / self.l2) + math.log(erfcx(self.l1 / math.sqrt(2 * self.l2)))

    def logpdf(self, x):
        z = np.asarray(x, dtype=float) - self.mu
        return -self.l1 * np.abs(z) - 0.5 * self.l2 * z * z - self.log_norm()


@dataclass(frozen=True)
class Horseshoe(Prior):
    """The regularized horseshoe (Piironen & Vehtari 2017), for many predictors, few signals.

    For the coefficients it is given to (jointly): ``beta_j = z_j tau lambda~_j`` with
    ``z_j ~ N(0, 1)``, local scales ``lambda_j ~ HalfCauchy(1)``,
    ``lambda~_j^2 = c^2 lambda_j^2 / (c^2 + tau^2 lambda_j^2)``, slab ``c^2 ~
    InvGamma(slab_df / 2, slab_df slab_scale^2 / 2)`` and global scale ``tau ~
    HalfCauchy(tau0)``, with ``tau0 = p0 / (D - p0) * sigma / sqrt(n)`` from the expected number
    of non-zero coefficients ``p0`` among the ``D`` under this prior, ``n`` rows and the
    logistic pseudo-sd ``sigma = 1 / sqrt(ybar (1 - ybar))`` (their section 3.2). rstanarm's
    ``hs()`` and brms's ``horseshoe(par_ratio=...)`` are the same prior. Sampled by PyMC's or
    nutpie's NUTS (non-centred); it has no MAP and no closed-form marginal density.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Horseshoe(expected_nonzero=3))
    'Horseshoe(3, 2, 4)'
    """

    expected_nonzero: float = 1.0
    slab_scale: float = 2.0
    slab_df: float = 4.0
    family = "Horseshoe"

    def __post_init__(self):
        object.__setattr__(
            self, "expected_nonzero", _positive("expected_nonzero", self.expected_nonzero, "Horseshoe prior")
        )
        object.__setattr__(self, "slab_scale", _positive("slab_scale", self.slab_scale, "Horseshoe prior"))
        object.__setattr__(self, "slab_df", _positive("slab_df", self.slab_df, "Horseshoe prior"))

    def params(self):
        return {"expected_nonzero": self.expected_nonzero, "slab_scale": self.slab_scale, "slab_df": self.slab_df}

    def tau0(self, n_coef: int, n_obs: int, ybar: float) -> float:
        """Piironen & Vehtari's global scale for ``n_coef`` coefficients under this prior."""
        p0 = self.expected_nonzero
        if not p0 < n_coef:
            raise PriorError(
                f"Horseshoe prior: expected_nonzero={p0:g} must be below the number of coefficients under it ({n_coef})"
            )
        return p0 / (n_coef - p0) / math.sqrt(ybar * (1 - ybar)) / math.sqrt(n_obs)

    def logpdf(self, x):
        raise NotImplementedError("the regularized horseshoe has no closed-form marginal density")


NONSMOOTH_FAMILIES = ("Laplace", "ElasticNet")
"""Families with a kink at ``mu``: their MAP needs :mod:`bayeslogit.fit.penalized`, not Newton."""

HIERARCHICAL_FAMILIES = ("HierNormal", "Horseshoe")
"""Families with a sampled scale: no MAP, no Laplace approximation; NUTS by PyMC/nutpie."""


@dataclass(frozen=True)
class SklearnPrior:
    """The prior whose MAP is scikit-learn's penalised ``LogisticRegression(C=C, l1_ratio=...)``.

    Made by :func:`sklearn_prior`; usable wherever priors are accepted.
    """

    C: float = 1.0
    fit_intercept: bool = True
    l1_ratio: float = 0.0

    def __repr__(self) -> str:  # what made it: bl.sklearn_prior(...)
        return f"sklearn_prior(C={self.C!r}, fit_intercept={self.fit_intercept!r}, l1_ratio={self.l1_ratio!r})"

    def describe(self) -> str:
        ratio = "" if self.l1_ratio == 0 else f", l1_ratio={self.l1_ratio:g}"
        return f"sklearn C={self.C:g}{ratio}, fit_intercept={self.fit_intercept}"

    def penalty_prior(self) -> Prior:
        """The prior of every penalised coefficient (see :func:`sklearn_prior`)."""
        C, r = self.C, self.l1_ratio
        if math.isinf(C):
            return Flat()
        if r == 0:
            return Normal(0.0, math.sqrt(C))
        if r == 1:
            return Laplace(0.0, C)
        return ElasticNet(0.0, r / C, (1 - r) / C)

    def as_dict(self, design: Design) -> dict[str, Prior]:
        slope = self.penalty_prior()
        out = {name: slope for name in design.column_names}
        if self.fit_intercept:
            if not design.has_intercept:
                raise PriorError(
                    "sklearn_prior(fit_intercept=True) needs an intercept in the formula, but the "
                    "design has none; use fit_intercept=False (the intercept is then an ordinary, "
                    "penalised column) or add an intercept to the formula"
                )
            out["Intercept"] = Flat()  # lbfgs/newton-cg/newton-cholesky/saga do not penalise it
        return out


def sklearn_prior(C: float = 1.0, fit_intercept: bool = True, *, l1_ratio: float = 0.0) -> SklearnPrior:
    """The prior that makes our MAP equal scikit-learn's ``LogisticRegression(C=C, l1_ratio=r)``.

    scikit-learn (>= 1.8 spells the penalty with ``l1_ratio``; ``penalty=`` is deprecated)
    minimises ``sum_i logloss_i + [r ||w||_1 + (1 - r) ||w||^2 / 2] / C``, which is minus the
    log posterior under independent priors on the coefficients:

    - ``l1_ratio=0`` (L2, the default): ``w_j ~ Normal(0, sqrt(C))`` (variance C);
    - ``l1_ratio=1`` (L1, lasso): ``w_j ~ Laplace(0, C)``;
    - in between (elastic net): ``ElasticNet(0, l1=r/C, l2=(1-r)/C)``, the product density
      of the Bayesian elastic net (Li & Lin 2010).

    With ``fit_intercept=True`` sklearn's intercept is a separate, unpenalised parameter: a
    flat prior on the design's ``Intercept``. With ``fit_intercept=False`` every design column,
    the ``Intercept`` column included, gets the penalty prior (the seed tutorial's case).
    ``C=inf`` (no penalty) gives flat priors, i.e. the MLE.

    Parameters
    ----------
    C : float
        sklearn's inverse regularisation strength (> 0; ``math.inf`` for no penalty).
    fit_intercept : bool
        sklearn's ``fit_intercept``.
    l1_ratio : float
        sklearn's ``l1_ratio`` in [0, 1].

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> m = bl.LogitModel("y ~ x", df)
    >>> m.fit_map(priors=bl.sklearn_prior(C=4.0)).priors.table()["prior"].tolist()
    ['Flat()', 'Normal(0, 2)']
    >>> str(bl.sklearn_prior(C=0.5, l1_ratio=1).penalty_prior())
    'Laplace(0, 0.5)'
    """
    if isinstance(C, bool) or not isinstance(C, (int, float)) or not C > 0 or math.isnan(C):
        raise PriorError(f"sklearn_prior: C must be a positive number (math.inf for no penalty), got {C!r}")
    if not isinstance(fit_intercept, bool):
        raise PriorError(f"sklearn_prior: fit_intercept must be True or False, got {fit_intercept!r}")
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, (int, float)) or not 0 <= l1_ratio <= 1:
        raise PriorError(f"sklearn_prior: l1_ratio must be a number in [0, 1] (0 = L2, 1 = L1), got {l1_ratio!r}")
    return SklearnPrior(float(C), fit_intercept, float(l1_ratio))


PriorSpec = None | Prior | SklearnPrior | Mapping[str, Prior]


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
        The priors of the group terms' sds and correlations (:mod:`bayeslogit.group_priors`),
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

    def table(self):
        """A DataFrame describing each coefficient's prior (what ``prior_summary`` prints)."""
        import pandas as pd

        rows = []
        for name, prior in self.priors.items():
            on = "intercept at centred predictors" if name == "Intercept" and self.centered_intercept else "coefficient"
            rows.append({"term": name, "prior": str(prior), "applies to": on, "source": self.sources[name]})
        table = pd.DataFrame(rows).set_index("term")
        if self.groups is not None:  # group sds and correlations (bayeslogit.group_priors)
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


def _term_columns(design: Design) -> dict[str, list[str]]:
    """Map each formula term name (e.g. ``"C(g)"``, ``"x1:x2"``) to its design columns."""
    out: dict[str, list[str]] = {}
    for term, sl in design.design_info.term_name_slices.items():
        out[term] = design.column_names[sl]
    return out


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
    X = design.X
    w = getattr(design, "weights", None)  # frequency weights: the sds of the expanded data
    if w is None:
        sd = column_sd(X)  # X.std(axis=0), by row blocks when X is large
    else:
        sd = np.sqrt(np.average((X - np.average(X, axis=0, weights=w)) ** 2, axis=0, weights=w))
    priors: dict[str, Prior] = {}
    sources: dict[str, str] = {}
    for j, name in enumerate(names):
        if name == "Intercept":
            priors[name] = Normal(0.0, DEFAULT_SCALE)
        else:
            priors[name] = Normal(0.0, DEFAULT_SCALE / sd[j] if sd[j] > 0 else DEFAULT_SCALE)
        sources[name] = "default"
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
    x_mean = np.average(X, axis=0, weights=w)
    if design.has_intercept:
        x_mean[names.index("Intercept")] = 0.0
    if not centered:
        x_mean = np.zeros_like(x_mean)
    return ResolvedPriors(priors=priors, centered_intercept=centered, x_mean=x_mean, sources=sources)


def parse_prior(text: str) -> Prior:
    """Parse a prior written as text, e.g. ``"normal(0, 1)"`` or ``"flat"`` (for the CLI).

    Examples
    --------
    >>> parse_prior("Normal(0, 2.5)")
    Normal(mu=0.0, sigma=2.5)
    """
    import re

    hier = re.fullmatch(
        r"\s*normal\s*\(\s*([^,()]+?)\s*,\s*halfnormal\s*\(\s*([^,()]+?)\s*\)\s*\)\s*", text or "", flags=re.IGNORECASE
    )
    if hier:
        try:
            return Normal(float(hier.group(1)), HalfNormal(float(hier.group(2))))
        except ValueError:
            raise PriorError(f"cannot parse prior {text!r}: arguments must be numbers") from None
    m = re.fullmatch(r"\s*([A-Za-z]+)\s*(?:\((.*)\))?\s*", text or "")
    families: dict[str, Any] = {
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
    if not m or m.group(1).lower() not in families:
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
        return families[m.group(1).lower()](*values)
    except TypeError:
        raise PriorError(f"cannot parse prior {text!r}: wrong number of arguments") from None


def parse_sklearn_prior(text: str) -> SklearnPrior:
    """Parse ``"sklearn:C=1,l1_ratio=1,fit_intercept=false"`` (the CLI's shorthand for
    :func:`sklearn_prior`; every key optional, defaults as there).

    Examples
    --------
    >>> parse_sklearn_prior("sklearn:C=0.5,l1_ratio=1").describe()
    'sklearn C=0.5, l1_ratio=1, fit_intercept=True'
    """
    body = (text or "").strip()
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
