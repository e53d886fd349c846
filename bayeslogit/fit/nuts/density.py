"""The posterior log density of a :class:`~bayeslogit.LogitModel` in numpy, for many points at once.

Used by the built-in sampler (:mod:`bayeslogit.fit.nuts.driver`) and the Laplace path: the same
model as :func:`bayeslogit.fit.pymc_model.build_model` (checked against PyMC's compiled ``logp`` in the
tests), written over the original-scale coefficients ``beta``:

``log p(beta | y) = sum_j log prior_j((T beta)_j) + sum_i [y_i eta_i - m_i log(1 + e^eta_i)] + const``

with ``eta = X beta + offset`` (the model's offset, if any), ``m_i`` the trials (1 for Bernoulli rows) and ``T`` the centring map
(``(T beta)[Intercept] = beta[Intercept] + x_mean @ beta``, the identity elsewhere) when the
intercept's prior is on the log-odds at the predictor means. ``T`` is linear with unit
determinant, so no Jacobian term arises. Rows with identical covariates are collapsed into
binomial counts first (exact: the log-likelihood changes by a constant only; rows merge only
when their offsets are equal too).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..._blocks import linear_predictor
from ...priors import ResolvedPriors
from ...priors.base import KERNEL_ELASTIC as _ELASTIC
from ...priors.base import KERNEL_LAPLACE as _LAPLACE
from ...priors.base import KERNEL_NORMAL as _NORMAL
from ...priors.base import KERNEL_STUDENT as _STUDENT
from ...response import ResponseFamily, as_response, response_family
from ..newton import neg_hessian, newton
from ..penalized import penalized_mode
from ..separation import improper_separation


def collapse_rows(
    X: np.ndarray, y: np.ndarray, trials: ResponseFamily | np.ndarray | None, offset: np.ndarray | None = None
):
    """Merge rows of ``X`` that are identical into binomial counts.

    ``trials`` is the response family, or the trials per row (None: Bernoulli). Returns
    ``(X_unique, successes, trials)``, ``trials`` as the compiled kernel takes it
    (:meth:`~bayeslogit.response.ResponseFamily.kernel_trials`); when fewer than half the rows
    are duplicates the input comes back unchanged (``trials`` filled with ones for Bernoulli
    rows), since the merge would not pay.
    With an ``offset``, rows merge only when their offsets are equal too, and the result is
    ``(X_unique, successes, trials, offset_unique)``.
    """
    if offset is not None:
        Xo, y, m = collapse_rows(np.column_stack([X, offset]), y, trials)
        if Xo.shape[0] == X.shape[0]:  # nothing merged: the caller's X, not the stacked copy
            return X, y, m, offset
        return np.ascontiguousarray(Xo[:, :-1]), y, m, np.ascontiguousarray(Xo[:, -1])
    m = as_response(trials).kernel_trials(len(y))
    y = np.asarray(y, dtype=float)
    # A cheap screen: one random projection of each row; many distinct values -> nothing to merge.
    proj = X @ np.random.default_rng(0).normal(size=X.shape[1])
    if np.unique(proj).size > 0.5 * len(y):
        return X, y, m
    Xu, inverse = np.unique(X, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    k = Xu.shape[0]
    return Xu, np.bincount(inverse, weights=y, minlength=k), np.bincount(inverse, weights=m, minlength=k)


@dataclass
class LogDensity:
    """Log posterior density (up to a constant) and its gradient, vectorised over rows.

    ``logp_grad(B)`` takes ``B`` of shape ``(k, p)`` (k points, e.g. one per chain) and returns
    ``(logp (k,), grad (k, p))``.
    """

    X: np.ndarray  # (n_unique, p)
    y: np.ndarray  # successes per row
    m: np.ndarray  # trials per row
    T: np.ndarray  # (p, p) centring map: raw = T @ beta
    family: np.ndarray  # per coefficient, the kernel's prior code (Prior.kernel_params)
    mu: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray
    n_rows: int  # rows before collapsing
    priors: ResolvedPriors
    offset: np.ndarray | None = None  # per row of X, or None

    @classmethod
    def from_model(cls, model) -> LogDensity:
        """Build from a :class:`~bayeslogit.LogitModel` (its design and resolved priors)."""
        d = model.design
        off = getattr(d, "offset", None)
        X, y, m, *rest = collapse_rows(np.ascontiguousarray(d.X, dtype=float), d.y, response_family(d), off)
        return cls(
            X=np.ascontiguousarray(X),
            y=y,
            m=m,
            n_rows=d.n_obs,
            priors=model.priors,
            offset=rest[0] if rest else None,
            **prior_arrays(model.priors, d.column_names),
        )

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def kernel_X(self) -> np.ndarray:
        """``X`` as the compiled kernel (:mod:`bayeslogit.fit.nuts.kernel`) takes it: with an
        offset, the offset travels as one extra last column (``p + 1`` columns for ``p``
        coefficients), which the kernel adds to ``eta``; without one, ``X`` itself."""
        if self.offset is None:
            return self.X
        return np.ascontiguousarray(np.column_stack([self.X, self.offset]))

    def kernel_groups(self) -> tuple:
        """The group arrays the compiled kernel takes (:mod:`bayeslogit.fit.nuts.group_kernel`):
        none here (:func:`no_groups`)."""
        return no_groups(self.X.shape[0])

    def _prior(self, B: np.ndarray):
        raw = B @ self.T.T  # (k, p)
        z = (raw - self.mu) / self.sigma
        normal = self.family == _NORMAL
        student = self.family == _STUDENT
        lp = np.where(normal, -0.5 * z * z, 0.0)
        dz = np.where(normal, -z, 0.0)
        if student.any():
            nu = self.nu
            lp = lp + np.where(student, -0.5 * (nu + 1.0) * np.log1p(z * z / nu), 0.0)
            dz = dz + np.where(student, -(nu + 1.0) * z / (nu + z * z), 0.0)
        kinked = (self.family == _LAPLACE) | (self.family == _ELASTIC)
        if kinked.any():  # Laplace: -|z|; elastic net adds -l2 (x - mu)^2 / 2 (l2 kept in nu)
            quad = np.where(self.family == _ELASTIC, self.nu, 0.0)
            d = raw - self.mu
            lp = lp + np.where(kinked, -np.abs(z) - 0.5 * quad * d * d, 0.0)
            dz = dz + np.where(kinked, -np.sign(z) - quad * d * self.sigma, 0.0)
        return lp.sum(axis=1), (dz / self.sigma) @ self.T

    def logp_grad(self, B: np.ndarray):
        """Log density and gradient at the rows of ``B`` (shape ``(k, p)``)."""
        lp, g = self._prior(B)
        E = linear_predictor(self.X, B.T, self.offset)  # (n, k)
        a = np.exp(-np.abs(E))
        # log(1 + e^eta) = max(eta, 0) + log1p(e^-|eta|); sigmoid(eta) from the same exponential.
        softplus = np.maximum(E, 0.0) + np.log1p(a)
        s = np.where(E >= 0, 1.0, a) / (1.0 + a)
        lp = lp + self.y @ E - self.m @ softplus
        g = g + (self.y[:, None] - self.m[:, None] * s).T @ self.X
        return lp, g


def prior_arrays(priors: ResolvedPriors, names: list[str]) -> dict:
    """The kernel's per-coefficient prior arrays, from each prior's
    :meth:`~bayeslogit.priors.base.Prior.kernel_params` (sampled scales are not on this sampler)."""
    p = len(names)
    fam, mu, sigma, nu = np.zeros(p, int), np.zeros(p), np.ones(p), np.ones(p)
    for j, name in enumerate(names):
        fam[j], mu[j], sigma[j], nu[j] = priors.priors[name].kernel_params()
    return dict(T=priors.centring_map(), family=fam, mu=mu, sigma=sigma, nu=nu)


def no_groups(n: int = 0) -> tuple:
    """The kernel's group arrays for a model without group terms or sampled scales: ``terms``
    and ``tau_prior`` have no rows, and the response is binary
    (:mod:`bayeslogit.fit.nuts.group_kernel`)."""
    return (
        np.zeros((n, 0), dtype=np.int64),
        np.zeros((n, 0)),
        np.zeros((0, 6), dtype=np.int64),
        np.zeros((0, 3)),
        np.zeros(0),
        np.zeros(0, dtype=np.int64),
        np.zeros(0),
        np.zeros((0, 3)),
        no_categorical(),
    )


def no_categorical() -> np.ndarray:
    """The kernel's categorical description of a binary response (kind 0:
    :mod:`bayeslogit.fit.nuts.categorical_kernel`)."""
    return np.zeros(4, dtype=np.int64)


@dataclass
class Mode:
    """Posterior mode found by Newton's method, with the Laplace covariance there."""

    beta: np.ndarray
    cov: np.ndarray  # inverse of the negative Hessian
    converged: bool
    n_iter: int


def column_scales(X: np.ndarray) -> np.ndarray:
    """Per design column, 1 when its largest |value| is within [2^-20, 2^20] (ordinary data:
    untouched, bit for bit), else that magnitude rounded to a power of two (exact division)."""
    top = np.abs(X).max(axis=0) if X.shape[0] else np.ones(X.shape[1])
    s = np.ones(X.shape[1])
    odd = (top > 0) & ((top < 2.0**-20) | (top > 2.0**20))
    s[odd] = 2.0 ** np.round(np.log2(top[odd]))
    return s


def rescaled(dens: LogDensity, mode: Mode, s: np.ndarray) -> tuple[LogDensity, Mode]:
    """The same posterior over ``beta_s = s * beta`` (columns ``X / s``), so that columns of
    magnitude 1e-90 or 1e90 give coefficients of ordinary size; ``mode`` mapped alongside
    (the covariance from the rescaled Hessian, not by scaling an inverse of a badly scaled one).
    The prior stays on the original scale through ``T diag(1/s)``; the Jacobian is constant."""
    from dataclasses import replace

    new = replace(dens, X=np.ascontiguousarray(dens.X / s), T=dens.T / s[None, :])
    return new, Mode(mode.beta * s, mode.cov * np.outer(s, s), mode.converged, mode.n_iter)


def newton_mode(dens: LogDensity, *, tol: float = 1e-10, max_iter: int = 100, scale: np.ndarray | None = None) -> Mode:
    """The posterior mode by :func:`bayeslogit.fit.newton.newton` (on the collapsed rows), and the
    Laplace covariance there.

    ``converged`` is False when Newton's method did not converge or the mode is not a proper
    maximum (e.g. the coefficients run off to infinity: separation under flat priors).
    """
    if dens.priors.has_kink:
        res = _kinked_mode(dens, tol=tol, max_iter=max_iter)
    else:
        res = newton(dens.X, dens.y, dens.m, dens.priors, tol=tol, max_iter=max_iter, offset=dens.offset)
    p = dens.dim
    s = np.ones(p) if scale is None else scale
    ok = res.converged and np.all(np.isfinite(res.beta)) and np.abs(res.beta * s).max() < 1e6
    if ok and dens.priors.improper_columns:  # separation along the Flat columns leaves no mode
        ok = improper_separation(dens.X, dens.y, dens.m, dens.priors)[0] is None
    if ok:
        try:  # invert on the rescaled scale: columns of magnitude 1e-90 make H badly scaled
            cov_s = np.linalg.inv(res.neg_hessian / np.outer(s, s))
            cov = (cov_s + cov_s.T) / 2 / np.outer(s, s)
            np.linalg.cholesky((cov_s + cov_s.T) / 2)
        except np.linalg.LinAlgError:
            ok = False
    if not ok:
        return Mode(res.beta, np.full((p, p), np.nan), False, res.iterations)
    return Mode(res.beta, cov, True, res.iterations)


def _kinked_mode(dens: LogDensity, *, tol: float, max_iter: int):
    """Under Laplace / elastic-net priors: the mode by :mod:`bayeslogit.fit.penalized`, and as
    the metric the curvature of the smooth part there (likelihood and Gaussian prior factors),
    which is positive definite also in the coordinates sitting at a kink."""
    from dataclasses import replace

    res = penalized_mode(dens.X, dens.y, dens.m, dens.priors, tol=tol, max_iter=max_iter, offset=dens.offset)
    # Laplace contributes 0 to the prior's Hessian, elastic net -l2, the others as usual
    return replace(res.fit, neg_hessian=neg_hessian(dens.X, dens.m, res.fit.beta, dens.priors, dens.offset))


def other_modes(dens: LogDensity, mode: Mode, *, min_distance: float = 3.0) -> list[Mode]:
    """Other posterior modes worth starting chains at: under Student-t / Cauchy priors a prior
    centre far from the data's estimate can make the posterior bimodal (prior-data conflict),
    and Newton from zero finds only one mode. Newton is rerun from the prior's centre; a
    converged proper maximum more than ``min_distance`` sd (Mahalanobis, under ``mode``'s
    covariance) away is returned. Normal and flat priors give a log-concave posterior: no
    other mode, nothing is run."""
    if not mode.converged or dens.priors.log_concave:
        return []
    centre = dens.mu  # each prior's centre (kernel_params: 0 for a flat prior)
    beta0 = np.linalg.solve(dens.T, centre)
    other = _mode_from(dens, beta0)
    if other is None:
        return []
    diff = other.beta - mode.beta
    dist = float(np.sqrt(diff @ np.linalg.solve(mode.cov, diff)))
    if not np.isfinite(dist) or dist <= min_distance:
        return []
    return [other]


def _mode_from(dens: LogDensity, beta0: np.ndarray) -> Mode | None:
    res = newton(dens.X, dens.y, dens.m, dens.priors, beta0=beta0, offset=dens.offset)
    if not (res.converged and np.all(np.isfinite(res.beta)) and np.abs(res.beta).max() < 1e6):
        return None
    try:
        cov = np.linalg.inv(res.neg_hessian)
        cov = (cov + cov.T) / 2
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        return None
    return Mode(res.beta, cov, True, res.iterations)
