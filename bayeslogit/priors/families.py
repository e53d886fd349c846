"""The coefficient prior families, each one class owning its math (see :mod:`bayeslogit.priors.base`).

``Normal`` (fixed scale, or a sampled ``HalfNormal`` scale: :class:`HierarchicalNormal` handles
those coefficients jointly), ``StudentT``, ``Cauchy``, ``Flat``, ``Laplace`` and ``ElasticNet``
(the regularized horseshoe has its own module, :mod:`bayeslogit.priors.horseshoe`); the
autoscaled default (:func:`default_priors`) and :func:`sklearn_prior`, the prior whose MAP is
scikit-learn's penalised fit.

A prior is a small frozen description (``Normal(0, 2.5)``); it knows how to make its PyMC
variable but does not import PyMC itself (the fitters pass the ``pm`` module in), so
``import bayeslogit`` stays light.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import PriorError
from .base import (
    KERNEL_ELASTIC,
    KERNEL_FLAT,
    KERNEL_LAPLACE,
    KERNEL_NORMAL,
    KERNEL_STUDENT,
    JointFamily,
    Prior,
    ScalePrior,
    check_location,
    check_positive,
    check_scale,
    std_normal_logpdf,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..design import Design

__all__ = [
    "Normal",
    "HierarchicalNormal",
    "StudentT",
    "Cauchy",
    "Flat",
    "Laplace",
    "ElasticNet",
    "DEFAULT_SCALE",
    "default_priors",
    "SklearnPrior",
    "sklearn_prior",
]

DEFAULT_SCALE = 2.5
"""rstanarm's default prior scale for logistic regression coefficients (log-odds units)."""


def _vec(priors: list, attr: str) -> np.ndarray:
    return np.array([getattr(p, attr) for p in priors], dtype=float)


@dataclass(frozen=True)
class Normal(Prior):
    """Normal prior ``N(mu, sigma)`` (``sigma`` is the standard deviation).

    ``sigma`` may be a :class:`~bayeslogit.HalfNormal` hyperprior: the scale is then unknown and
    sampled with the coefficients (a hierarchical, non-centred ``Normal(mu, tau)``; see
    :class:`HierarchicalNormal`). Such a prior has no MAP (the joint mode collapses to
    ``tau = 0``); use ``sample()``, or choose the scale by :func:`bayeslogit.scale_by_evidence`.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Normal(0, 2.5))
    'Normal(0, 2.5)'
    >>> bl.Normal(0, 2.0).derivs(1.0)[1:]
    (-0.25, -0.25)
    """

    mu: float = 0.0
    sigma: float | ScalePrior = 1.0
    family_name = "Normal"
    log_concave = True

    def __post_init__(self):
        object.__setattr__(self, "mu", check_location("mu", self.mu, "Normal prior"))
        if not (isinstance(self.sigma, ScalePrior) and self.sigma.normal_hyperprior):
            object.__setattr__(self, "sigma", check_scale("sigma", self.sigma, "Normal prior"))

    @property
    def sampled_scale(self) -> bool:
        return isinstance(self.sigma, ScalePrior)

    @property
    def family_class(self) -> type[JointFamily]:
        return HierarchicalNormal if self.sampled_scale else Normal

    def with_fixed_scale(self) -> Normal:
        """``Normal(mu, s)`` for ``Normal(mu, HalfNormal(s))`` (a sampled scale fixed at its
        prior's scale: the compiled sampler's start), else this prior."""
        return Normal(self.mu, self.sigma.sigma) if isinstance(self.sigma, ScalePrior) else self

    def params(self):
        return {"mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        s = self.sigma.sigma if isinstance(self.sigma, ScalePrior) else self.sigma
        return self.mu - 2 * s, self.mu + 2 * s

    def __str__(self) -> str:
        return f"Normal({self.mu:g}, {self.sigma if isinstance(self.sigma, ScalePrior) else format(self.sigma, 'g')})"

    def logpdf(self, x):
        if isinstance(self.sigma, ScalePrior):
            return self.sigma.mixture_logpdf(np.asarray(x, dtype=float) - self.mu)
        z = (np.asarray(x) - self.mu) / self.sigma
        return -0.5 * z * z - np.log(self.sigma) - 0.5 * np.log(2 * np.pi)

    def derivs(self, x):
        if self.sampled_scale:
            raise NotImplementedError(f"{self} samples its scale: no MAP, no derivatives")
        z = (x - self.mu) / self.sigma
        return float(self.logpdf(x)), -z / self.sigma, -1.0 / self.sigma**2

    def kernel_params(self):
        if self.sampled_scale:
            raise NotImplementedError(f"{self} is not on the compiled sampler: its scale is sampled (PyMC or nutpie)")
        return KERNEL_NORMAL, self.mu, self.sigma, 1.0

    def draw(self, draws, rng):
        return rng.normal(self.mu, self.sigma, size=draws)

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        return pm.Normal(name, mu=_vec(priors, "mu"), sigma=_vec(priors, "sigma"), dims=dim)


class HierarchicalNormal(JointFamily):
    """The coefficients under ``Normal(mu, HalfNormal(s))``, jointly: non-centred
    ``mu + tau * z``, ``z ~ N(0, 1)`` (the funnel of the centred form is what NUTS cannot cross),
    one ``tau ~ HalfNormal(s)`` per distinct scale prior: ``tau``, then ``tau_2``, ...
    (variables ``tau``..., ``z_hiernormal``)."""

    family_name = "HierNormal"

    @staticmethod
    def _scales(priors: list) -> list:
        return list(dict.fromkeys(p.sigma for p in priors))

    @staticmethod
    def _tau_name(k: int) -> str:
        return "tau" if k == 0 else f"tau_{k + 1}"

    @classmethod
    def pymc_variables(cls, pm, pt, priors, dim, ctx):
        scales = cls._scales(priors)
        taus = [s.pymc_variable(pm, cls._tau_name(k)) for k, s in enumerate(scales)]
        z = pm.Normal("z_hiernormal", 0.0, 1.0, dims=dim)
        tau_vec = pt.stack([taus[scales.index(p.sigma)] for p in priors])
        mu = np.array([p.mu for p in priors], dtype=float)
        return mu + tau_vec * z

    @classmethod
    def kernel_scales(cls, priors, ctx=None):
        """``(scale priors, tau index per coefficient, mu per coefficient)``: the compiled
        sampler's non-centred form (:mod:`bayeslogit.fit.nuts.group_kernel`), taus named and
        ordered as :meth:`pymc_variables` names them."""
        scales = cls._scales(priors)
        return scales, [scales.index(p.sigma) for p in priors], [float(p.mu) for p in priors]

    @classmethod
    def kernel_names(cls, n: int) -> tuple[list[str], str]:
        """The PyMC names of the ``n`` taus (``tau``, ``tau_2``...) and of the ``z`` vector."""
        return [cls._tau_name(k) for k in range(n)], "z_hiernormal"

    @classmethod
    def draw_joint(cls, priors, draws, rng, ctx, dim, out, dims):
        scales = cls._scales(priors)
        taus = [s.draw(draws, rng) for s in scales]
        for k, t in enumerate(taus):
            out[cls._tau_name(k)] = t
        z = rng.standard_normal((draws, len(priors)))
        out["z_hiernormal"], dims["z_hiernormal"] = z, [dim]
        tau_mat = np.stack([taus[scales.index(p.sigma)] for p in priors], axis=1)
        return np.array([p.mu for p in priors]) + tau_mat * z

    @classmethod
    def free_log_prior(cls, priors, free, ctx):
        out = {}
        for k, scale in enumerate(cls._scales(priors)):
            var = cls._tau_name(k)
            out[var] = scale.logpdf(free(var, cls.family_name))
        out["z_hiernormal"] = std_normal_logpdf(free("z_hiernormal", cls.family_name))
        return out


def _student_derivs(prior: StudentT | Cauchy, x: float, nu: float) -> tuple[float, float, float]:
    s = prior.sigma
    z = (x - prior.mu) / s
    d1 = -(nu + 1.0) * z / (s * (nu + z * z))
    d2 = -(nu + 1.0) * (nu - z * z) / (s * s * (nu + z * z) ** 2)
    return float(prior.logpdf(x)), d1, d2


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
    family_name = "StudentT"

    def __post_init__(self):
        object.__setattr__(self, "nu", check_positive("nu", self.nu, "StudentT prior"))
        object.__setattr__(self, "mu", check_location("mu", self.mu, "StudentT prior"))
        object.__setattr__(self, "sigma", check_scale("sigma", self.sigma, "StudentT prior"))

    def params(self):
        return {"nu": self.nu, "mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        return self.mu - 2 * self.sigma, self.mu + 2 * self.sigma

    def logpdf(self, x):
        from scipy.stats import t

        return t.logpdf(np.asarray(x), self.nu, loc=self.mu, scale=self.sigma)

    def derivs(self, x):
        return _student_derivs(self, x, self.nu)

    @property
    def mean_free_tail(self) -> bool:
        return self.nu <= 1.0

    def kernel_params(self):
        return KERNEL_STUDENT, self.mu, self.sigma, self.nu

    def draw(self, draws, rng):
        return self.mu + self.sigma * rng.standard_t(self.nu, size=draws)

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        return pm.StudentT(name, nu=_vec(priors, "nu"), mu=_vec(priors, "mu"), sigma=_vec(priors, "sigma"), dims=dim)


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
    family_name = "Cauchy"

    def __post_init__(self):
        object.__setattr__(self, "mu", check_location("mu", self.mu, "Cauchy prior"))
        object.__setattr__(self, "sigma", check_scale("sigma", self.sigma, "Cauchy prior"))

    def params(self):
        return {"mu": self.mu, "sigma": self.sigma}

    def typical_range(self):
        return self.mu - 2 * self.sigma, self.mu + 2 * self.sigma

    def logpdf(self, x):
        z = (np.asarray(x) - self.mu) / self.sigma
        return -np.log1p(z * z) - np.log(np.pi * self.sigma)

    def derivs(self, x):
        return _student_derivs(self, x, 1.0)  # Student-t with one d.f.

    @property
    def mean_free_tail(self) -> bool:
        return True

    def kernel_params(self):
        return KERNEL_STUDENT, self.mu, self.sigma, 1.0

    def draw(self, draws, rng):
        return self.mu + self.sigma * rng.standard_cauchy(size=draws)

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        return pm.Cauchy(name, alpha=_vec(priors, "mu"), beta=_vec(priors, "sigma"), dims=dim)


@dataclass(frozen=True)
class Flat(Prior):
    """Improper flat prior (the likelihood alone). The posterior may be improper under separation.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Flat()), bl.Flat().improper
    ('Flat()', True)
    """

    family_name = "Flat"
    improper = True
    log_concave = True

    def params(self):
        return {}

    def logpdf(self, x):
        return np.zeros_like(np.asarray(x, dtype=float))

    def derivs(self, x):
        return 0.0, 0.0, 0.0

    def kernel_params(self):
        return KERNEL_FLAT, 0.0, 1.0, 1.0

    def draw(self, draws, rng):
        raise PriorError("a Flat prior is improper: it has no draws")

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        return pm.Flat(name, dims=dim)


class _Kinked(Prior):
    """A density ``exp(-l1 |x - mu| - l2 (x - mu)^2 / 2)`` up to a constant (Laplace: ``l2 = 0``)."""

    has_kink = True
    log_concave = True
    mu: float

    def _l1_l2(self) -> tuple[float, float]:
        raise NotImplementedError

    def derivs(self, x):
        # Smooth inside an orthant (x != mu): the derivatives there. fit/penalized.py handles
        # the kink at mu; Newton only ever sees these families on coefficients away from it.
        z = x - self.mu
        l1, l2 = self._l1_l2()
        return float(self.logpdf(x)), -l1 * float(np.sign(z)) - l2 * z, -l2

    @property
    def kink_location(self) -> float:
        return self.mu

    @property
    def l1_weight(self) -> float:
        return self._l1_l2()[0]


@dataclass(frozen=True)
class Laplace(_Kinked):
    """Laplace (double-exponential) prior with location ``mu`` and scale ``b``.

    Density ``exp(-|x - mu| / b) / (2 b)``: minus its log is the L1 (lasso) penalty
    ``|x - mu| / b`` up to a constant, so the MAP under it is a lasso fit (exact zeros are
    possible) while the posterior, the Bayesian lasso (Park & Casella 2008), puts no mass at
    exactly zero. Standard deviation ``sqrt(2) b``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Laplace(0, 0.5)), bl.Laplace(0, 0.5).l1_weight
    ('Laplace(0, 0.5)', 2.0)
    """

    mu: float = 0.0
    b: float = 1.0
    family_name = "Laplace"

    def __post_init__(self):
        object.__setattr__(self, "mu", check_location("mu", self.mu, "Laplace prior"))
        object.__setattr__(self, "b", check_scale("b", self.b, "Laplace prior"))

    def params(self):
        return {"mu": self.mu, "b": self.b}

    def typical_range(self):
        return self.mu - 3 * self.b, self.mu + 3 * self.b  # 95% of the mass

    def logpdf(self, x):
        return -np.abs(np.asarray(x, dtype=float) - self.mu) / self.b - np.log(2 * self.b)

    def _l1_l2(self):
        return 1.0 / self.b, 0.0

    def smooth_part(self) -> Prior:
        return Flat()  # constants do not move the mode

    def kernel_params(self):
        return KERNEL_LAPLACE, self.mu, self.b, 1.0

    def draw(self, draws, rng):
        return rng.laplace(self.mu, self.b, size=draws)

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        return pm.Laplace(name, mu=_vec(priors, "mu"), b=_vec(priors, "b"), dims=dim)


@dataclass(frozen=True)
class ElasticNet(_Kinked):
    """Elastic-net prior: density proportional to ``exp(-l1 |x - mu| - l2 (x - mu)^2 / 2)``.

    Minus its log is the elastic-net penalty, so the MAP under it is an elastic-net fit; it is
    the prior of the Bayesian elastic net (Li & Lin 2010), a product of a Laplace and a
    Gaussian kernel. ``l1 = 0`` would be ``Normal(mu, 1/sqrt(l2))`` and ``l2 = 0``
    ``Laplace(mu, 1/l1)``: use those families then. The normalising constant is
    ``sqrt(2 pi / l2) erfcx(l1 / sqrt(2 l2))``.

    Exact draws: on each side of ``mu`` the density is a normal kernel
    ``exp(-l2 (|z| + l1 / l2)^2 / 2)``, so ``|z|`` is a normal with mean ``-l1 / l2`` and sd
    ``1 / sqrt(l2)`` truncated to ``[0, inf)`` and the sign is a fair coin.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.ElasticNet(0, 0.5, 1.0)), str(bl.ElasticNet(0, 0.5, 4.0).smooth_part())
    ('ElasticNet(0, 0.5, 1)', 'Normal(0, 0.5)')
    """

    mu: float = 0.0
    l1: float = 1.0
    l2: float = 1.0
    family_name = "ElasticNet"

    def __post_init__(self):
        object.__setattr__(self, "mu", check_location("mu", self.mu, "ElasticNet prior"))
        object.__setattr__(self, "l1", check_positive("l1", self.l1, "ElasticNet prior"))
        object.__setattr__(self, "l2", check_positive("l2", self.l2, "ElasticNet prior"))

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

    def _l1_l2(self):
        return self.l1, self.l2

    def smooth_part(self) -> Prior:
        return Normal(self.mu, 1.0 / np.sqrt(self.l2))  # the Gaussian kernel

    def kernel_params(self):
        return KERNEL_ELASTIC, self.mu, 1.0 / self.l1, self.l2  # l2 travels as nu

    def draw(self, draws, rng):
        from scipy.stats import truncnorm

        m, s = -self.l1 / self.l2, 1.0 / math.sqrt(self.l2)
        size = truncnorm.rvs((0.0 - m) / s, np.inf, loc=m, scale=s, size=draws, random_state=rng)
        return self.mu + np.where(rng.random(draws) < 0.5, -size, size)

    @classmethod
    def pymc_distribution(cls, pm, name, priors, dim):
        mu, l1, l2 = _vec(priors, "mu"), _vec(priors, "l1"), _vec(priors, "l2")
        log_norm = np.array([p.log_norm() for p in priors])

        def logp(value, mu, l1, l2, log_norm):
            z = value - mu
            return -l1 * abs(z) - 0.5 * l2 * z * z - log_norm

        return pm.CustomDist(name, mu, l1, l2, log_norm, logp=logp, dims=dim)


def default_priors(names: list[str], sd: np.ndarray) -> dict[str, Prior]:
    """The weakly-informative default, rstanarm's autoscaling: each slope gets
    ``Normal(0, 2.5 / sd(x_j))``, ``sd`` as R's (``n - 1`` in the denominator; ``Normal(0, 2.5)``
    for a constant column); the intercept
    ``Normal(0, 2.5)`` (on the log-odds at the predictor means when it is centred).

    Examples
    --------
    >>> import numpy as np
    >>> [str(p) for p in default_priors(["Intercept", "x"], np.array([0.0, 0.5])).values()]
    ['Normal(0, 2.5)', 'Normal(0, 5)']
    """
    priors: dict[str, Prior] = {}
    for j, name in enumerate(names):
        if name == "Intercept":
            priors[name] = Normal(0.0, DEFAULT_SCALE)
        else:
            priors[name] = Normal(0.0, DEFAULT_SCALE / sd[j] if sd[j] > 0 else DEFAULT_SCALE)
    return priors


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
