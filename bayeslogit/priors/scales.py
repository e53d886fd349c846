"""Priors on scales and correlation matrices: ``HalfNormal``, ``HalfStudentT``, ``LKJ``.

A scale prior is the prior of a group term's sd (:mod:`bayeslogit.priors.groups`) or, for
``HalfNormal``, the sampled scale of a hierarchical ``Normal(mu, HalfNormal(s))``. Each owns its
log density, its exact draws and its PyMC variable; ``LKJ`` owns its PyMC variable (the
Cholesky factor), the log density of that factor and its exact draws (:func:`lkj_correlation`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .base import KERNEL_HALFNORMAL, KERNEL_HALFSTUDENT, CorrelationPrior, ScalePrior, check_positive, check_scale

__all__ = ["HalfNormal", "HalfStudentT", "LKJ", "DEFAULT_SD", "DEFAULT_LKJ", "lkj_correlation"]


@dataclass(frozen=True)
class HalfNormal(ScalePrior):
    """Half-normal prior on a *scale* (sd ``sigma`` of the normal it folds): a hyperprior.

    ``bl.Normal(0, bl.HalfNormal(1))`` puts ``Normal(0, tau)`` on every coefficient it is
    given to, with one shared global scale ``tau ~ HalfNormal(1)`` sampled jointly with them
    (full Bayes for the penalty strength: under L2, ``C = tau**2``). Coefficients whose priors
    carry equal ``HalfNormal`` scales share one ``tau``. Also a prior of a group sd.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Normal(0, bl.HalfNormal(1)))
    'Normal(0, HalfNormal(1))'
    """

    sigma: float = 1.0
    family_name = "HalfNormal"
    normal_hyperprior = True

    def __post_init__(self):
        object.__setattr__(self, "sigma", check_scale("sigma", self.sigma, "HalfNormal scale prior"))

    def __str__(self) -> str:
        return f"HalfNormal({self.sigma:g})"

    def args(self):
        return [self.sigma]

    def logpdf(self, tau):
        t = np.asarray(tau, dtype=float)
        out = 0.5 * np.log(2 / np.pi) - np.log(self.sigma) - 0.5 * (t / self.sigma) ** 2
        return np.where(t >= 0, out, -np.inf)

    def draw(self, size, rng):
        return np.abs(rng.normal(0.0, self.sigma, size=size))

    def kernel_params(self):
        return KERNEL_HALFNORMAL, self.sigma, 1.0

    def pymc_variable(self, pm, name):
        return pm.HalfNormal(name, sigma=self.sigma)

    @classmethod
    def pymc_vector(cls, pm, name, priors, dim):
        return pm.HalfNormal(name, sigma=np.array([p.sigma for p in priors]), dims=dim)


@dataclass(frozen=True)
class HalfStudentT(ScalePrior):
    """Half-Student-t prior on a scale (a group sd): ``|t_nu(0, sigma)|``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.HalfStudentT(3, 2.5))
    'HalfStudentT(3, 2.5)'
    """

    nu: float = 3.0
    sigma: float = 2.5
    family_name = "HalfStudentT"

    def __post_init__(self):
        object.__setattr__(self, "nu", check_positive("nu", self.nu, "HalfStudentT prior"))
        object.__setattr__(self, "sigma", check_scale("sigma", self.sigma, "HalfStudentT prior"))

    def __str__(self) -> str:
        return f"HalfStudentT({self.nu:g}, {self.sigma:g})"

    def args(self):
        return [self.nu, self.sigma]

    def logpdf(self, s):
        from scipy import stats

        s = np.asarray(s, dtype=float)
        out = np.log(2.0) + stats.t.logpdf(s, self.nu, scale=self.sigma)
        return np.where(s >= 0, out, -np.inf)

    def draw(self, size, rng):
        return np.abs(self.sigma * rng.standard_t(self.nu, size=size))

    def kernel_params(self):
        return KERNEL_HALFSTUDENT, self.sigma, self.nu

    def pymc_variable(self, pm, name):
        return pm.HalfStudentT(name, nu=self.nu, sigma=self.sigma)

    @classmethod
    def pymc_vector(cls, pm, name, priors, dim):
        return pm.HalfStudentT(
            name, nu=np.array([p.nu for p in priors]), sigma=np.array([p.sigma for p in priors]), dims=dim
        )


@dataclass(frozen=True)
class LKJ(CorrelationPrior):
    """LKJ prior on a correlation matrix, density proportional to ``det(R)^(eta - 1)``
    (``eta = 1``: uniform over correlation matrices; larger: closer to the identity).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.LKJ(2))
    'LKJ(2)'
    """

    eta: float = 1.0
    family_name = "LKJ"

    def __post_init__(self):
        object.__setattr__(self, "eta", check_positive("eta", self.eta, "LKJ prior"))

    def __str__(self) -> str:
        return f"LKJ({self.eta:g})"

    def pymc_variable(self, pm, name, n):
        """PyMC's ``LKJCorr``: a distribution over the Cholesky factor of the correlations."""
        return pm.LKJCorr(name, n=n, eta=self.eta)

    def draw(self, k, rng):
        return lkj_correlation(self.eta, k, rng)

    def cholesky_logpdf(self, L):
        """``log c_k(eta) + sum_i (2 eta - 2 + k - i) log L_ii`` (``i = 1..k``): the LKJ density
        ``c_k det(R)^(eta - 1)`` of ``R = L L'`` (``det R = prod L_ii^2``) times the Jacobian of
        ``L -> R``, ``prod_i L_ii^(k - i)`` (Lewandowski, Kurowicka and Joe 2009; Stan's
        ``lkj_corr_cholesky``), with the normalising constant
        ``log c_k = sum_{i=1}^{k-1} [log Gamma(eta + (k-1)/2) - log Gamma(eta + (k-1-i)/2) - i/2 log pi]``."""
        from scipy.special import gammaln

        L = np.asarray(L, dtype=float)
        k = L.shape[-1]
        i = np.arange(1, k)
        log_c = float(
            np.sum(gammaln(self.eta + (k - 1) / 2) - gammaln(self.eta + (k - 1 - i) / 2) - 0.5 * i * np.log(np.pi))
        )
        diag = np.diagonal(L, axis1=-2, axis2=-1)
        exponents = 2 * self.eta - 2 + k - np.arange(1, k + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            return log_c + np.sum(exponents * np.log(diag), axis=-1)


def lkj_correlation(eta: float, k: int, rng: np.random.Generator) -> np.ndarray:
    """One ``k x k`` correlation matrix from ``LKJ(eta)`` by the C-vine method (Lewandowski,
    Kurowicka and Joe 2009, section 2.4): partial correlations ``2 Beta(b, b) - 1`` with
    ``b = eta + (k - 1 - i) / 2`` on tree ``i``, turned into correlations.

    Examples
    --------
    >>> import numpy as np
    >>> R = lkj_correlation(2.0, 3, np.random.default_rng(0))
    >>> R.shape, bool(np.allclose(np.diag(R), 1))
    ((3, 3), True)
    """
    P = np.zeros((k, k))
    R = np.eye(k)
    b = eta + (k - 1) / 2.0
    for i in range(k - 1):
        b -= 0.5
        for j in range(i + 1, k):
            P[i, j] = 2.0 * rng.beta(b, b) - 1.0
            r = P[i, j]
            for m in range(i - 1, -1, -1):
                r = r * np.sqrt((1 - P[m, i] ** 2) * (1 - P[m, j] ** 2)) + P[m, i] * P[m, j]
            R[i, j] = R[j, i] = r
    return R


DEFAULT_SD = HalfStudentT(3.0, 2.5)
"""The default prior of a group sd (brms's ``student_t(3, 0, 2.5)`` on positive values)."""
DEFAULT_LKJ = LKJ(1.0)
"""The default prior of a group term's correlations (uniform over correlation matrices)."""
