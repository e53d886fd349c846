"""The interface every prior family implements, and what the joint priors need from the data.

A prior family is one class that owns its math (the pattern of glum's
``ExponentialDispersionModel``): the fitters in :mod:`bayeslogit.fit` ask the object and never
switch on its name. Two levels:

- **per coefficient** (methods of a :class:`Prior` instance): the log density
  (:meth:`Prior.logpdf`), its first and second derivatives (:meth:`Prior.derivs`, for Newton),
  whether it has a kink (:attr:`Prior.has_kink`, with :attr:`Prior.l1_weight`,
  :attr:`Prior.kink_location` and :meth:`Prior.smooth_part` for the penalized MAP), whether it is
  improper (:attr:`Prior.improper`), whether it samples its own scale
  (:attr:`Prior.sampled_scale`), what the compiled sampler takes
  (:meth:`Prior.kernel_params`), and one coefficient's exact draws (:meth:`Prior.draw`);
- **per family** (classmethods of :class:`JointFamily`, given every coefficient under the
  family in coefficient order and a :class:`PriorContext`): the PyMC variables
  (:meth:`JointFamily.pymc_variables`), exact joint draws (:meth:`JointFamily.draw_joint`) and
  the log prior of the free variables for prior sensitivity
  (:meth:`JointFamily.free_log_prior`). Families of independent coefficients inherit these;
  families with a sampled scale (a hierarchical Normal, the horseshoe) override them.

Every method that carries math is abstract here (it raises ``NotImplementedError``): a new
family that forgets one fails loudly instead of borrowing another family's formula.

Scale priors (:class:`ScalePrior`: a group sd, a hierarchical Normal's scale) and correlation
priors (:class:`CorrelationPrior`) have their own small interfaces.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..errors import PriorError
from ..response import response_family

__all__ = [
    "Prior",
    "JointFamily",
    "ScalePrior",
    "CorrelationPrior",
    "PriorContext",
    "KernelScale",
]

# The prior codes of the compiled sampler (bayeslogit.fit.nuts.kernel) and its numpy mirror
# (bayeslogit.fit.nuts.density): a family's kernel_params() returns one of them.
KERNEL_NORMAL, KERNEL_STUDENT, KERNEL_FLAT, KERNEL_LAPLACE, KERNEL_ELASTIC = 0, 1, 2, 3, 4
# The codes of a group sd's prior in the compiled sampler (bayeslogit.fit.nuts.group_kernel):
# a scale prior's kernel_params() returns one of them.
KERNEL_HALFNORMAL, KERNEL_HALFSTUDENT, KERNEL_INVGAMMA = 0, 1, 2


def _refuse_text_and_bool(name: str, value: Any, what: str) -> None:
    """``float('0')`` and ``float(True)`` succeed: a prior argument given as text or as a bool is
    almost always a mistake (a column name, a flag in the wrong place), so it is refused."""
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise PriorError(f"{what}: {name} must be a number, got {value!r} (text and True/False are not numbers)")


SCALE_MIN, SCALE_MAX = 1e-150, 1e150
"""The range of a prior's scale (``sigma``, ``b``): its square and inverse square stay finite
floats (the MAP's Newton steps use ``1 / sigma**2``; ``1e-300`` divides by zero, ``1e300``
overflows)."""


def check_scale(name: str, value: float, what: str) -> float:
    """``value`` as a positive float within [:data:`SCALE_MIN`, :data:`SCALE_MAX`], else
    :class:`~bayeslogit.PriorError` naming the limits."""
    v = check_positive(name, value, what)
    if not SCALE_MIN <= v <= SCALE_MAX:
        raise PriorError(
            f"{what}: {name}={v:g} is outside [{SCALE_MIN:g}, {SCALE_MAX:g}], the scales whose square "
            "and inverse square are finite numbers"
        )
    return v


def check_positive(name: str, value: float, what: str) -> float:
    """``value`` as a positive finite float, else :class:`~bayeslogit.PriorError`."""
    _refuse_text_and_bool(name, value, what)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PriorError(f"{what}: {name} must be a number, got {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise PriorError(f"{what}: {name} must be a positive finite number, got {value!r}")
    return v


LOCATION_MAX = 1e150
"""The largest prior location (``mu``) in absolute value: the densities square ``x - mu``, which
overflows to ``inf`` beyond it (``Normal(1e200, 1)`` gave a MAP of zeros)."""


def check_location(name: str, value: float, what: str) -> float:
    """``value`` as a finite float with ``|value| <=`` :data:`LOCATION_MAX`, else
    :class:`~bayeslogit.PriorError`."""
    _refuse_text_and_bool(name, value, what)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise PriorError(f"{what}: {name} must be a number, got {value!r}") from None
    if not math.isfinite(v):
        raise PriorError(f"{what}: {name} must be finite, got {value!r}")
    if abs(v) > LOCATION_MAX:
        raise PriorError(
            f"{what}: {name}={v:g} is outside [-{LOCATION_MAX:g}, {LOCATION_MAX:g}], the locations whose "
            "distance to a coefficient can be squared"
        )
    return v


def std_normal_logpdf(z: np.ndarray) -> np.ndarray:
    """Log density of ``N(0, 1)``."""
    return -0.5 * z * z - 0.5 * np.log(2 * np.pi)


def half_cauchy_logpdf(x: np.ndarray, scale: float) -> np.ndarray:
    """Log density of ``HalfCauchy(scale)`` (``-inf`` below zero)."""
    return np.where(x >= 0, np.log(2 / (np.pi * scale)) - np.log1p((x / scale) ** 2), -np.inf)


@dataclass(frozen=True)
class PriorContext:
    """What the joint priors need from the data, computed once per design.

    Attributes
    ----------
    n_obs : int
        Rows of the design.
    ybar : float
        The response mean (events per trial), from the design's response family
        (:meth:`bayeslogit.response.ResponseFamily.mean_response`).

    Examples
    --------
    >>> import pandas as pd
    >>> from bayeslogit.design import build_design
    >>> PriorContext.from_design(build_design("y ~ x", pd.DataFrame({"y": [0, 1, 1, 1], "x": [0.0, 1, 2, 3]})))
    PriorContext(n_obs=4, ybar=0.75)
    """

    n_obs: int
    ybar: float

    @classmethod
    def from_design(cls, design) -> PriorContext:
        return cls(design.n_obs, response_family(design).mean_response(design.y))


@dataclass(frozen=True)
class KernelScale:
    """One sampled scale of the compiled sampler (:mod:`bayeslogit.fit.nuts.group_kernel`),
    for a family without a :class:`ScalePrior` of its own (the horseshoe): its prior's code
    (``KERNEL_HALFSTUDENT`` with ``nu = 1``: half-Cauchy; ``KERNEL_INVGAMMA``: ``s`` the shape,
    ``nu`` the scale), and for a coefficient's local scale the indices, among the family's
    scales, of the global scale ``tau`` and the slab ``c2`` it is regularized by (-1: none).

    Examples
    --------
    >>> KernelScale(KERNEL_HALFSTUDENT, 1.0, 1.0, tau=0, c2=1).kernel_params()
    (1, 1.0, 1.0, 0, 1)
    """

    code: int
    s: float
    nu: float
    tau: int = -1
    c2: int = -1

    def kernel_params(self) -> tuple[int, float, float, int, int]:
        return self.code, self.s, self.nu, self.tau, self.c2


FreeDraws = Callable[[str, str], np.ndarray]
"""``free(var, family) -> (draws, k)``: posterior draws of a free variable of the PyMC model
(the family's name only goes into the message when the draws are missing)."""


class JointFamily:
    """Family-level operations over every coefficient under one family (classmethods).

    ``priors`` is the list of the coefficients' priors in coefficient order, ``dim`` the name
    of their coordinate (``coef_<family>``) and ``ctx`` the :class:`PriorContext`. The defaults
    here are those of families whose coefficients are independent: one PyMC vector
    ``beta_<family>`` (:meth:`pymc_distribution`), draws coefficient by coefficient
    (:meth:`Prior.draw`), and no free variable besides the coefficient itself.
    """

    family_name: ClassVar[str] = ""
    """The family's name: its JSON ``family``, and ``<family>`` in PyMC variable names (lower case)."""

    @classmethod
    def check_resolved(cls, priors: list) -> None:
        """Raise :class:`~bayeslogit.PriorError` if these priors cannot hold together over this
        many coefficients (checked when the priors are resolved); independent families: none."""

    @classmethod
    def pymc_distribution(cls, pm, name: str, priors: list, dim: str) -> Any:
        """One PyMC vector variable ``name`` (dims ``dim``) for independent coefficients."""
        raise NotImplementedError(f"{cls.__name__} has no PyMC distribution")

    @classmethod
    def pymc_variables(cls, pm, pt, priors: list, dim: str, ctx: PriorContext) -> Any:
        """Add the family's free variables to the PyMC model in context; return the vector of
        the coefficients (indexable, one entry per prior in ``priors``)."""
        return cls.pymc_distribution(pm, f"beta_{cls.family_name.lower()}", priors, dim)

    @classmethod
    def draw_joint(
        cls,
        priors: list,
        draws: int,
        rng: np.random.Generator,
        ctx: PriorContext,
        dim: str,
        out: dict[str, np.ndarray],
        dims: dict[str, list[str]],
    ) -> np.ndarray:
        """Exact joint draws ``(draws, len(priors))`` of the coefficients; the family's free
        variables go into ``out`` (and their dims into ``dims``) under the PyMC model's names."""
        values = np.stack([p.draw(draws, rng) for p in priors], axis=1)
        var = f"beta_{cls.family_name.lower()}"
        out[var], dims[var] = values, [dim]
        return values

    kernel_vectors: ClassVar[tuple[str, ...]] = ()
    """The names among :meth:`kernel_scales`' scales that PyMC's model holds as one vector over
    the family's coefficients (the horseshoe's ``hs_lambda``); the others are scalars."""

    @classmethod
    def kernel_scales(cls, priors: list, ctx: PriorContext | None = None) -> Any:
        """For a family whose coefficients have sampled scales that the compiled sampler takes
        (non-centred ``mu + scale z``), ``(scales, scale index per coefficient, mu per
        coefficient)``, each scale an object with ``kernel_params()`` (:class:`KernelScale`,
        or a :class:`ScalePrior`); None for every other family (independent coefficients need
        none). ``ctx`` is only None when the caller asks whether the family is on the sampler."""
        return None

    @classmethod
    def free_log_prior(cls, priors: list, free: FreeDraws, ctx: PriorContext) -> dict[str, np.ndarray]:
        """Log prior density of the posterior draws of the family's free variables other than
        the coefficients (name -> ``(draws, k)``), as ``pm.compute_log_prior`` (untransformed,
        no Jacobian). Independent coefficients have none: their density is :meth:`Prior.logpdf`
        of the coefficient."""
        return {}


class Prior(JointFamily):
    """Base class of coefficient priors (see the module docstring for the interface).

    Class attributes ``has_kink``, ``improper``, ``log_concave`` and ``has_density`` describe
    the family; a family with a kink also gives :attr:`l1_weight`, :attr:`kink_location` and
    :meth:`smooth_part`.
    """

    has_kink: ClassVar[bool] = False
    """A kink at :attr:`kink_location`: the MAP needs :mod:`bayeslogit.fit.penalized`."""
    improper: ClassVar[bool] = False
    """Improper (Flat): no draws; separation leaves the posterior improper."""
    log_concave: ClassVar[bool] = False
    """The log density is concave (no other posterior mode to look for)."""
    has_density: ClassVar[bool] = True
    """A closed-form marginal density (:meth:`logpdf`) exists."""
    target_accept: ClassVar[float | None] = None
    """The NUTS target acceptance rate the family's posterior needs by default (None: the
    sampler's usual 0.8); ``sample(target_accept=None)`` takes the largest among the priors."""

    @property
    def family_class(self) -> type[JointFamily]:
        """The class whose classmethods handle every coefficient under this prior's family."""
        return type(self)

    def with_fixed_scale(self) -> Prior:
        """This prior with a sampled scale fixed at its prior's scale (where the family has
        one the compiled sampler takes); by default the prior itself."""
        return self

    @property
    def family(self) -> str:
        """The family's name (``"Normal"``, ``"HierNormal"``...): its JSON and PyMC name.
        Do not switch on it: ask the prior (:attr:`has_kink`, :attr:`sampled_scale`...)."""
        return self.family_class.family_name

    @property
    def mean_free_tail(self) -> bool:
        """A tail too heavy for a mean (Cauchy; Student-t with ``nu <= 1``): under separation
        along this coefficient its posterior mean does not exist."""
        return False

    @property
    def sampled_scale(self) -> bool:
        """The prior samples its own scale (no MAP, no Laplace approximation, not on the
        compiled sampler): PyMC's or nutpie's NUTS."""
        return False

    def params(self) -> dict[str, Any]:
        """The distribution's parameters, by name."""
        raise NotImplementedError

    def __str__(self) -> str:
        args = ", ".join(f"{v:g}" for v in self.params().values())
        return f"{self.family}({args})"

    def logpdf(self, x: np.ndarray | float) -> np.ndarray:
        """Log density at ``x`` (numpy, for point estimates and checks)."""
        raise NotImplementedError(f"{self}: no log density")

    def derivs(self, x: float) -> tuple[float, float, float]:
        """``(log density, first derivative, second derivative)`` at ``x`` (for Newton); a
        family with a kink gives those of the orthant ``x`` is in."""
        raise NotImplementedError(f"{self}: no derivatives")

    def kernel_params(self) -> tuple[int, float, float, float]:
        """``(code, mu, sigma, nu)`` of the compiled sampler's prior (:mod:`bayeslogit.fit.nuts.kernel`)."""
        raise NotImplementedError(f"{self}: not on the compiled sampler")

    def draw(self, draws: int, rng: np.random.Generator) -> np.ndarray:
        """``draws`` exact draws of one coefficient."""
        raise NotImplementedError(f"{self}: no draws")

    @property
    def l1_weight(self) -> float:
        """The weight of ``|x - kink_location|`` in minus the log density (0 without a kink)."""
        return 0.0

    @property
    def kink_location(self) -> float | None:
        """Where the kink is (None without one)."""
        return None

    def smooth_part(self) -> Prior:
        """The differentiable factor of the density (the prior itself without a kink)."""
        return self

    def typical_range(self) -> tuple[float, float] | None:
        """Where most of the prior's mass is (for plots): ``mu +- 2 scale``; None when the prior
        is improper or has no closed-form density."""
        return None


class ScalePrior:
    """Base class of priors on a scale (a group sd; a hierarchical Normal's scale)."""

    family_name: ClassVar[str] = ""
    sigma: float
    normal_hyperprior: ClassVar[bool] = False
    """Accepted as the ``sigma`` of a Normal (a sampled scale)."""

    def args(self) -> list[float]:
        """The positional parameters (the JSON form)."""
        raise NotImplementedError

    def logpdf(self, s: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def kernel_params(self) -> tuple[int, float, float]:
        """``(code, sigma, nu)`` of this prior in the compiled sampler
        (:mod:`bayeslogit.fit.nuts.group_kernel`)."""
        raise NotImplementedError(f"{self} is not on the compiled sampler")

    def mixture_logpdf(self, z: np.ndarray) -> np.ndarray:
        """Marginal log density of ``N(0, tau)`` with ``tau`` under this prior, by quadrature in
        ``log tau`` (smooth integrand; 400 nodes give ~1e-9 relative accuracy)."""
        from scipy.special import logsumexp

        u = np.linspace(-12.0, 5.0, 400) + math.log(self.sigma)  # log tau
        tau = np.exp(u)
        zz = np.atleast_1d(z)[:, None]
        log_int = (
            -0.5 * (zz / tau) ** 2 - np.log(tau) - 0.5 * math.log(2 * math.pi) + self.logpdf(tau) + u
        )  # the Jacobian d tau = tau du
        out = logsumexp(log_int, axis=1) + math.log(u[1] - u[0])
        return out.reshape(np.shape(z))

    def draw(self, size, rng: np.random.Generator) -> np.ndarray:
        """Exact draws."""
        raise NotImplementedError

    def pymc_variable(self, pm, name: str) -> Any:
        """One scalar PyMC variable ``name``."""
        raise NotImplementedError

    @classmethod
    def pymc_vector(cls, pm, name: str, priors: list, dim: str) -> Any:
        """One PyMC vector variable (dims ``dim``) for ``priors``, all of this class."""
        raise NotImplementedError


class CorrelationPrior:
    """Base class of priors on a correlation matrix."""

    family_name: ClassVar[str] = ""

    def pymc_variable(self, pm, name: str, n: int) -> Any:
        """The PyMC variable: the Cholesky factor of an ``n x n`` correlation matrix."""
        raise NotImplementedError

    def draw(self, k: int, rng: np.random.Generator) -> np.ndarray:
        """One exact ``k x k`` correlation matrix."""
        raise NotImplementedError

    def cholesky_logpdf(self, L: np.ndarray) -> np.ndarray:
        """Log density of Cholesky factors ``L`` (``(draws, k, k)``, lower triangular) of the
        correlation matrices, as the PyMC variable's (the density of the factor, the Jacobian
        from the matrix included): shape ``(draws,)``."""
        raise NotImplementedError
