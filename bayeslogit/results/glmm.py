"""The GLMM maximum likelihood as a results object: ``fit_mle()`` of a model with group terms.

:class:`GLMMResults` wraps :func:`bayeslogit.fit.glmm.fit_glmm` (lme4 ``glmer``'s Laplace or
adaptive Gauss-Hermite maximum likelihood) with the shared results interface (``params``,
``coef_table()``, ``summary()``, ``predict()``) and the group calls of a posterior
(``group_summary()``, ``group_effects()``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _numerics
from .._validation import check_int
from ..errors import ArgumentError, BayeslogitWarning, SeparationWarning
from ..fit.glmm import GLMMFit, fit_glmm
from ..fit.newton import NewtonResult, newton
from ..fit.separation import detect_separation
from ..summary import Summary
from .base import DEFAULT_CI_PROB, resolve_ci_prob
from .point import PointResults

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LogitModel

__all__ = ["GLMMResults", "fit_glmm_mle", "glmm_from_state", "glmm_state"]


class GLMMResults(PointResults):
    """Maximum likelihood of a model with group terms, the group effects integrated out (lme4's ``glmer``).

    ``params``, ``bse``, ``cov_params()``, ``coef_table()`` are the population coefficients
    with lme4's standard errors (the ``beta`` block of the inverse Hessian of the approximate
    deviance in the coefficients and the covariance parameters jointly, as lme4's ``vcov``);
    ``group_summary()`` gives the group sds and correlations (the same call as on a posterior),
    ``group_effects()`` the conditional modes of the group effects (lme4's ``ranef``) with
    their conditional sds (``condVar``). ``llf`` is the approximate marginal log-likelihood
    (Laplace, or adaptive Gauss-Hermite with ``nAGQ`` nodes), binomial coefficients included
    as lme4's ``logLik`` at ``nAGQ=1``; ``aic``/``bic`` count the coefficients and the
    covariance parameters.

    ``predict()`` adds the conditional modes of a row's levels (lme4's ``predict``): seen
    levels use their modes, unseen ones zero (``new_groups="population"``, the population
    level); the interval is the delta method on the population part (conditional on the modes,
    lme4 gives none). ``fittedvalues``, ``resid_*`` and ``deviance`` are conditional on the modes.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import bugs_seeds
    >>> fit = bl.LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n").fit_mle()
    >>> fit.label, round(fit.llf, 2), fit.group_summary()["estimate"].round(3).tolist()
    ('MLE (GLMM, Laplace)', -53.77, [0.235])
    """

    method = "glmm"

    def __init__(self, model: LogitModel, fit: GLMMFit, *, label: str | None = None) -> None:
        how = "Laplace" if fit.n_agq == 1 else f"nAGQ={fit.n_agq}"
        newton_like = NewtonResult(
            beta=fit.beta,
            neg_hessian=np.eye(len(fit.beta)),
            logpost=-fit.deviance / 2,
            iterations=fit.iterations,
            converged=fit.converged,
        )
        super().__init__(model, newton_like, label=label or f"MLE (GLMM, {how})")
        self._glmm = fit
        self._cov = fit.cov_beta

    # -- what a GLMM adds ----------------------------------------------------------------------
    @property
    def n_agq(self) -> int:
        """Quadrature nodes per level: 1 is the Laplace approximation."""
        return self._glmm.n_agq

    @property
    def theta(self) -> np.ndarray:
        """The relative Cholesky factors' free entries (lme4's ``getME(fit, "theta")``)."""
        return self._glmm.theta.copy()

    @property
    def llf(self) -> float:
        """The approximate marginal log-likelihood at the estimate (group effects integrated out)."""
        return -self._glmm.deviance / 2

    @property
    def n_params(self) -> int:
        """Parameters estimated: population coefficients + covariance parameters (lme4's ``df``)."""
        return self.design.n_coef + len(self._glmm.theta)

    @property
    def nobs(self) -> int:
        """Rows (lme4's ``nobs``: binomial rows count once whatever their trials)."""
        return self.design.n_obs

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        return -2.0 * self.llf + math.log(self.nobs) * self.n_params

    @property
    def boundary(self) -> bool:
        """True when some group sd is estimated as exactly 0 (a singular fit, lme4's ``isSingular``)."""
        return bool(self._glmm.boundary)

    def group_modes(self) -> list[np.ndarray]:
        """Per group term, the conditional modes ``(levels, k)`` of its effects."""
        return [m.copy() for m in self._glmm.modes]

    def _eta(self) -> np.ndarray:
        from .._blocks import eta_rows

        d = self.design
        return eta_rows(d, slice(None), self._glmm.beta[None, :], [m[None] for m in self._glmm.modes])[:, 0]

    def group_summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The group sds and correlations, indexed as a posterior's ``group_summary()``
        (``sd(x | g)``, ``cor(Intercept, x | g)``); one column, ``estimate`` (``ci_prob`` is
        accepted for the same call, lme4 gives no interval here either)."""
        resolve_ci_prob(ci_prob)
        names, values = [], []
        for t, lam in zip(self.design.groups.terms, self._glmm.lambdas):
            S = lam @ lam.T
            sd = np.sqrt(np.diag(S))
            names += [f"sd({c} | {t.group_name})" for c in t.coef_names]
            values += list(sd)
            if t.correlated:
                k = t.n_coef
                for i in range(k):
                    for j in range(i):
                        names.append(f"cor({t.coef_names[j]}, {t.coef_names[i]} | {t.group_name})")
                        values.append(S[i, j] / (sd[i] * sd[j]) if sd[i] > 0 and sd[j] > 0 else np.nan)
        out = pd.DataFrame({"estimate": values}, index=pd.Index(names, name="term"))
        return out

    def group_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """One row per group term, level and varying coefficient: the conditional mode ``b``
        (lme4's ``ranef``), its conditional sd (``condVar``) and ``mode -+ z sd``."""
        prob = resolve_ci_prob(ci_prob)
        z = _numerics.normal_quantile((1 + prob) / 2)
        stem = f"ci{prob * 100:g}"
        frames = []
        covs = self._glmm.mode_cov
        for i, (t, B) in enumerate(zip(self.design.groups.terms, self._glmm.modes)):
            L, k = t.n_levels, t.n_coef
            if covs is None:
                sd = np.full(L * k, np.nan)
            else:
                sd = np.sqrt(np.clip(np.diagonal(covs[i], axis1=1, axis2=2), 0, None)).ravel()
            frames.append(
                pd.DataFrame(
                    {
                        "term": t.label,
                        "group": t.group_name,
                        "level": np.repeat(np.asarray(t.levels, dtype=object), k),
                        "coef": np.tile(np.asarray(t.coef_names, dtype=object), L),
                        "mode": B.ravel(),
                        "sd": sd,
                        f"{stem}_lb": B.ravel() - z * sd,
                        f"{stem}_ub": B.ravel() + z * sd,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def _repr_facts(self) -> list[str]:
        return super()._repr_facts() + (["singular (an sd at 0)"] if self.boundary else [])

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        """glmer-style summary: the fit statistics, the group sds and correlations, the population coefficients."""
        how = "Laplace approximation" if self.n_agq == 1 else f"adaptive Gauss-Hermite quadrature (nAGQ = {self.n_agq})"
        info = self._model_info() + [
            ("Method:", f"maximum likelihood, {how}"),
            ("converged:", str(self.converged)),
            ("Log-Likelihood:", f"{self.llf:.4f}"),
            ("-2 log-likelihood:", f"{-2 * self.llf:.4f}"),
            ("AIC:", f"{self.aic:.3f}"),
            ("BIC:", f"{self.bic:.3f}"),
            ("Parameters:", f"{self.design.n_coef} coefficients + {len(self._glmm.theta)} covariance"),
        ]
        notes = [
            "Standard errors: the coefficients' block of the inverse Hessian of the approximate "
            "deviance in the coefficients and covariance parameters jointly (lme4's vcov)."
        ]
        if self.boundary:
            notes.append(
                "Singular fit: some group sd is estimated as 0 (its covariance parameter is on the "
                "boundary and held there for the standard errors)."
            )
        if not self.converged:
            notes.append("WARNING: the optimiser did not converge; the estimates may be off.")
        return Summary(
            "Generalized linear mixed model (binomial, logit), maximum likelihood",
            info,
            [self.group_summary(), self.coef_table(ci_prob=ci_prob)],
            notes,
        )


def fit_glmm_mle(model: LogitModel, *, nAGQ: int = 1, max_iter: int = 500) -> GLMMResults:
    """The GLMM maximum likelihood of ``model`` (see :meth:`LogitModel.fit_mle`), started at the
    complete-pooling MLE."""
    n_agq = check_int("nAGQ", nAGQ, low=1)
    if n_agq > 100:
        raise ArgumentError(f"nAGQ must be at most 100 (glmer's limit is 25), got {n_agq}")
    d = model.design
    start = newton(d.X, d.y, d.trials, None, offset=d.offset, max_iter=50)
    beta0 = np.where(np.isfinite(start.beta), np.clip(start.beta, -20, 20), 0.0)
    fit = fit_glmm(d, n_agq=n_agq, beta0=beta0, max_iter=max_iter)
    if not fit.converged:
        kind, direction = detect_separation(d.X, d.y, d.trials)  # population columns that separate
        if kind is not None:
            big = np.abs(direction) > 1e-6 * np.max(np.abs(direction))
            cols = [n for n, b in zip(d.column_names, big) if b and n != "Intercept"] or [
                n for n, b in zip(d.column_names, big) if b
            ]
            warnings.warn(
                f"{kind} separation: the outcome is perfectly predicted along {cols}, so the GLMM maximum "
                "likelihood does not exist either (coefficients diverge; standard errors are meaningless). "
                "Use sample() with a proper prior, or drop/merge those columns.",
                SeparationWarning,
                stacklevel=3,
            )
            return GLMMResults(model, fit)
        warnings.warn(
            "the GLMM maximum likelihood did not converge (the approximate deviance has no clear minimum "
            "where the optimiser stopped: separated data, or a covariance the data cannot determine); "
            "its estimates and standard errors are not reliable: simplify the group terms, or use sample()",
            BayeslogitWarning,
            stacklevel=3,
        )
    return GLMMResults(model, fit)


# -- what save() stores of a GLMM fit, and rebuilding it (bayeslogit.io) ----------------------


def _levels_digest(levels: list[str]) -> str:
    return hashlib.sha256("\x1f".join(levels).encode()).hexdigest()


def glmm_state(results: GLMMResults) -> tuple[dict[str, tuple[tuple[str, ...], np.ndarray]], dict[str, Any]]:
    """The arrays (``name -> (dims, values)``) and JSON facts that restore ``results`` on a
    rebuilt model: every field of its :class:`~bayeslogit.fit.glmm.GLMMFit`, term ``i``'s
    ``Lambda``, modes and conditional covariances as ``lambda_i``, ``modes_i``, ``mode_cov_i``,
    and a digest of each term's levels (checked on loading against the rebuilt design)."""
    f = results._glmm
    arrays: dict[str, tuple[tuple[str, ...], np.ndarray]] = {
        "beta": (("coef",), f.beta),
        "theta": (("theta_entry",), f.theta),
        "hessian": (("phi", "phi_b"), f.hessian),
        "cov_beta": (("coef", "coef_b"), f.cov_beta),
    }
    for i, (lam, modes) in enumerate(zip(f.lambdas, f.modes)):
        arrays[f"lambda_{i}"] = ((f"k_{i}", f"k_{i}b"), lam)
        arrays[f"modes_{i}"] = ((f"level_{i}", f"k_{i}"), modes)
        if f.mode_cov is not None:
            arrays[f"mode_cov_{i}"] = ((f"level_{i}", f"k_{i}", f"k_{i}b"), f.mode_cov[i])
    facts = {
        "deviance": float(f.deviance),
        "iterations": int(f.iterations),
        "converged": bool(f.converged),
        "n_agq": int(f.n_agq),
        "boundary": [int(i) for i in f.boundary],
        "has_mode_cov": f.mode_cov is not None,
        "levels_sha256": [_levels_digest(t.levels) for t in results.design.groups.terms],
    }
    return arrays, facts


def glmm_from_state(
    model: LogitModel, arrays: Mapping[str, np.ndarray], facts: Mapping[str, Any], *, label: str
) -> GLMMResults:
    """The :class:`GLMMResults` that :func:`glmm_state` described, on ``model`` (rebuilt from
    the stored rows). Raises ``ValueError`` naming the first stored number that does not fit
    the model (a damaged or edited file)."""
    d = model.design
    terms = d.groups.terms if d.groups is not None else []
    if [_levels_digest(t.levels) for t in terms] != list(facts["levels_sha256"]):
        raise ValueError("the stored group levels differ from those of the rebuilt design")
    p = d.n_coef
    n_theta = sum(t.n_coef * (t.n_coef + 1) // 2 if t.correlated else t.n_coef for t in terms)
    m = n_theta + p
    shapes: dict[str, tuple[int, ...]] = {"beta": (p,), "theta": (n_theta,), "hessian": (m, m), "cov_beta": (p, p)}
    for i, t in enumerate(terms):
        k, L = t.n_coef, t.n_levels
        shapes.update({f"lambda_{i}": (k, k), f"modes_{i}": (L, k)})
        if facts["has_mode_cov"]:
            shapes[f"mode_cov_{i}"] = (L, k, k)
    got = {}
    for name, shape in shapes.items():
        if name not in arrays:
            raise ValueError(f"the stored GLMM fit lacks {name!r}")
        values = np.array(arrays[name], dtype=float)
        if values.shape != shape:
            raise ValueError(f"the stored {name!r} has shape {values.shape}, the model needs {shape}")
        if name in ("beta", "theta") or name.startswith(("lambda_", "modes_")):
            if not np.all(np.isfinite(values)):
                raise ValueError(f"the stored {name!r} holds values that are not finite")
        got[name] = values
    boundary = [int(i) for i in facts["boundary"]]
    if not all(0 <= i < n_theta for i in boundary):
        raise ValueError(f"the stored boundary indices {boundary} are outside theta (length {n_theta})")
    fit = GLMMFit(
        beta=got["beta"],
        theta=got["theta"],
        lambdas=[got[f"lambda_{i}"] for i in range(len(terms))],
        modes=[got[f"modes_{i}"] for i in range(len(terms))],
        mode_cov=[got[f"mode_cov_{i}"] for i in range(len(terms))] if facts["has_mode_cov"] else None,
        deviance=float(facts["deviance"]),
        hessian=got["hessian"],
        cov_beta=got["cov_beta"],
        converged=bool(facts["converged"]),
        iterations=int(facts["iterations"]),
        n_agq=int(facts["n_agq"]),
        boundary=boundary,
    )
    return GLMMResults(model, fit, label=label)
