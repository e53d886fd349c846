"""The regularized horseshoe prior (Piironen & Vehtari 2017), one class owning its math (see
:mod:`bayeslogit.priors.base`): its ``tau0`` from the expected number of non-zero coefficients,
its PyMC variables (non-centred), its exact prior draws and its free variables' log prior.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import PriorError
from .base import (
    KERNEL_HALFSTUDENT,
    KERNEL_INVGAMMA,
    KernelScale,
    Prior,
    check_positive,
    half_cauchy_logpdf,
    std_normal_logpdf,
)

__all__ = ["Horseshoe"]


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
    ``hs()`` and brms's ``horseshoe(par_ratio=...)`` are the same prior. Sampled non-centred
    (variables ``hs_tau``, ``hs_lambda``, ``hs_c2``, ``hs_z``, as rstanarm and PyMC name the
    parts) by bayeslogit's own NUTS under ``sampler="auto"``/``"bayeslogit"`` (with or
    without group terms: ``log tau``, ``log lambda``, ``log c2`` and ``z`` unconstrained, the
    density of PyMC's model of it), or by nutpie/PyMC when asked; it has no MAP and no
    closed-form marginal density.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> str(bl.Horseshoe(expected_nonzero=3))
    'Horseshoe(3, 2, 4)'
    """

    expected_nonzero: float = 1.0
    slab_scale: float = 2.0
    slab_df: float = 4.0
    family_name = "Horseshoe"
    has_density = False
    # rstanarm's hs() samples with adapt_delta 0.99. Measured (2026-12-07, 200 rows, 20 slopes,
    # expected_nonzero=3, PyMC's NUTS, two seeds): 32 and 2 divergences at 0.8, none at 0.95 or
    # 0.99; 0.99 took 2.3x the time of 0.95 and 3x that of 0.8. On bayeslogit's NUTS (same design,
    # three seeds, benchmarks/README.md): 0 divergences at 0.99 and 0.95, 5 at 0.9; 0.99 took 2.6x
    # the time of 0.95; no divergences in the 500 replications of its SBC at 0.99.
    target_accept = 0.99
    kernel_vectors = ("hs_lambda",)

    def __post_init__(self):
        object.__setattr__(
            self, "expected_nonzero", check_positive("expected_nonzero", self.expected_nonzero, "Horseshoe prior")
        )
        object.__setattr__(self, "slab_scale", check_positive("slab_scale", self.slab_scale, "Horseshoe prior"))
        object.__setattr__(self, "slab_df", check_positive("slab_df", self.slab_df, "Horseshoe prior"))

    @property
    def sampled_scale(self) -> bool:
        return True

    def params(self):
        return {"expected_nonzero": self.expected_nonzero, "slab_scale": self.slab_scale, "slab_df": self.slab_df}

    def check_count(self, n_coef: int) -> None:
        """:class:`~bayeslogit.PriorError` unless ``expected_nonzero`` is below ``n_coef``, the
        number of coefficients under this prior (checked when the priors are resolved)."""
        p0 = self.expected_nonzero
        if not p0 < n_coef:
            raise PriorError(
                f"Horseshoe prior: expected_nonzero={p0:g} must be below the number of coefficients under it ({n_coef})"
            )

    @classmethod
    def check_resolved(cls, priors: list) -> None:
        priors[0].check_count(len(priors))

    def tau0(self, n_coef: int, n_obs: int, ybar: float) -> float:
        """Piironen & Vehtari's global scale for ``n_coef`` coefficients under this prior."""
        self.check_count(n_coef)
        p0 = self.expected_nonzero
        return p0 / (n_coef - p0) / math.sqrt(ybar * (1 - ybar)) / math.sqrt(n_obs)

    def logpdf(self, x):
        raise NotImplementedError("the regularized horseshoe has no closed-form marginal density")

    def derivs(self, x):
        raise NotImplementedError("the regularized horseshoe samples its scales: no MAP, no derivatives")

    def kernel_params(self):
        raise NotImplementedError(
            f"{self} is not on the compiled sampler coefficient by coefficient: its scales are sampled "
            "(the sampler takes them through kernel_scales)"
        )

    def with_fixed_scale(self):
        """``Normal(0, slab_scale)``: the slab, where the compiled sampler's start takes the
        other coefficients' mode (the horseshoe's own ``z`` start at 0)."""
        from .registry import COEFFICIENT_FAMILIES  # by name: the layout test keeps family classes in few modules

        return COEFFICIENT_FAMILIES["Normal"](0.0, self.slab_scale)

    @classmethod
    def kernel_scales(cls, priors, ctx=None):
        """The compiled sampler's scales (:mod:`bayeslogit.fit.nuts.group_kernel`): ``hs_tau``
        (half-Cauchy(tau0)), ``hs_c2`` (inverse gamma), then one ``hs_lambda`` per coefficient
        (half-Cauchy(1)) regularized by those two; coefficient ``j`` is ``z_j`` times the scale
        of its ``hs_lambda``. Names: :meth:`kernel_names`."""
        if ctx is None:
            return [], [], []  # only asked whether the family is on the sampler: it is
        hs, tau0 = cls._shared(priors, ctx)
        scales = [
            KernelScale(KERNEL_HALFSTUDENT, tau0, 1.0),
            KernelScale(KERNEL_INVGAMMA, hs.slab_df / 2, hs.slab_df * hs.slab_scale**2 / 2),
        ]
        scales += [KernelScale(KERNEL_HALFSTUDENT, 1.0, 1.0, tau=0, c2=1) for _ in priors]
        return scales, [2 + j for j in range(len(priors))], [0.0] * len(priors)

    @classmethod
    def kernel_names(cls, n: int) -> tuple[list[str], str]:
        """The PyMC names of the ``n`` scales of :meth:`kernel_scales` and of the ``z`` vector."""
        return ["hs_tau", "hs_c2"] + ["hs_lambda"] * (n - 2), "hs_z"

    @classmethod
    def _shared(cls, priors: list, ctx) -> tuple[Horseshoe, float]:
        """The one setting every coefficient under the horseshoe shares, and its ``tau0``."""
        hs = priors[0]
        if any(p != hs for p in priors):
            raise PriorError("all coefficients under a Horseshoe prior must share the same Horseshoe(...) settings")
        return hs, hs.tau0(len(priors), ctx.n_obs, ctx.ybar)

    @classmethod
    def pymc_variables(cls, pm, pt, priors, dim, ctx):
        # Piironen & Vehtari (2017), appendix C.1, non-centred
        hs, tau0 = cls._shared(priors, ctx)
        tau = pm.HalfCauchy("hs_tau", beta=tau0)
        lam = pm.HalfCauchy("hs_lambda", beta=1.0, dims=dim)
        c2 = pm.InverseGamma("hs_c2", alpha=hs.slab_df / 2, beta=hs.slab_df * hs.slab_scale**2 / 2)
        z = pm.Normal("hs_z", 0.0, 1.0, dims=dim)
        lam_t = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
        return z * tau * lam_t

    @classmethod
    def draw_joint(cls, priors, draws, rng, ctx, dim, out, dims):
        hs, tau0 = cls._shared(priors, ctx)
        tau = np.abs(tau0 * rng.standard_cauchy(draws))
        lam = np.abs(rng.standard_cauchy((draws, len(priors))))
        c2 = (hs.slab_df * hs.slab_scale**2 / 2) / rng.gamma(hs.slab_df / 2, 1.0, size=draws)
        z = rng.standard_normal((draws, len(priors)))
        out["hs_tau"], out["hs_c2"] = tau, c2
        out["hs_lambda"], dims["hs_lambda"] = lam, [dim]
        out["hs_z"], dims["hs_z"] = z, [dim]
        lam_t = np.sqrt(c2[:, None] * lam**2 / (c2[:, None] + tau[:, None] ** 2 * lam**2))
        return z * tau[:, None] * lam_t

    @classmethod
    def free_log_prior(cls, priors, free, ctx):
        from scipy.special import gammaln

        hs, tau0 = cls._shared(priors, ctx)
        out = {
            "hs_tau": half_cauchy_logpdf(free("hs_tau", cls.family_name), tau0),
            "hs_lambda": half_cauchy_logpdf(free("hs_lambda", cls.family_name), 1.0),
        }
        a, b = hs.slab_df / 2, hs.slab_df * hs.slab_scale**2 / 2
        c2 = free("hs_c2", cls.family_name)
        out["hs_c2"] = np.where(c2 > 0, a * np.log(b) - gammaln(a) - (a + 1) * np.log(c2) - b / c2, -np.inf)
        out["hs_z"] = std_normal_logpdf(free("hs_z", cls.family_name))
        return out
