"""The posterior log density of a :class:`~bayeslogit.LogitModel` in numpy, for many points at once.

Used by the built-in sampler (:mod:`bayeslogit._fastnuts`) and the Laplace path: the same
model as :func:`bayeslogit._pymc.build_model` (checked against PyMC's compiled ``logp`` in the
tests), written over the original-scale coefficients ``beta``:

``log p(beta | y) = sum_j log prior_j((T beta)_j) + sum_i [y_i eta_i - m_i log(1 + e^eta_i)] + const``

with ``eta = X beta``, ``m_i`` the trials (1 for Bernoulli rows) and ``T`` the centring map
(``(T beta)[Intercept] = beta[Intercept] + x_mean @ beta``, the identity elsewhere) when the
intercept's prior is on the log-odds at the predictor means. ``T`` is linear with unit
determinant, so no Jacobian term arises. Rows with identical covariates are collapsed into
binomial counts first (exact: the log-likelihood changes by a constant only).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .priors import ResolvedPriors

_NORMAL, _STUDENT, _FLAT = 0, 1, 2


def collapse_rows(X: np.ndarray, y: np.ndarray, trials: np.ndarray | None):
    """Merge rows of ``X`` that are identical into binomial counts.

    Returns ``(X_unique, successes, trials)``; when fewer than half the rows are duplicates the
    input comes back unchanged (``trials`` filled with ones), since the merge would not pay.
    """
    m = np.ones(len(y)) if trials is None else np.asarray(trials, dtype=float)
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
    """Log posterior density (up to a constant), its gradient and Hessian, vectorised over rows.

    ``logp_grad(B)`` takes ``B`` of shape ``(k, p)`` (k points, e.g. one per chain) and returns
    ``(logp (k,), grad (k, p))``.
    """

    X: np.ndarray  # (n_unique, p)
    y: np.ndarray  # successes per row
    m: np.ndarray  # trials per row
    T: np.ndarray  # (p, p) centring map: raw = T @ beta
    family: np.ndarray  # per coefficient: 0 normal, 1 Student-t (Cauchy: nu=1), 2 flat
    mu: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray
    n_rows: int  # rows before collapsing

    @classmethod
    def from_model(cls, model) -> "LogDensity":
        """Build from a :class:`~bayeslogit.LogitModel` (its design and resolved priors)."""
        d = model.design
        X, y, m = collapse_rows(np.ascontiguousarray(d.X, dtype=float), d.y, d.trials)
        return cls(X=np.ascontiguousarray(X), y=y, m=m, n_rows=d.n_obs,
                   **_prior_arrays(model.priors, d.column_names))

    @property
    def dim(self) -> int:
        return self.X.shape[1]

    def _prior(self, B: np.ndarray, *, hessian: bool = False):
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
        g_raw = dz / self.sigma
        out = (lp.sum(axis=1), g_raw @ self.T)
        if not hessian:
            return out
        h = np.where(normal, -1.0, 0.0) + np.zeros_like(z)
        if student.any():
            h = h + np.where(student, -(self.nu + 1.0) * (self.nu - z * z) / (self.nu + z * z) ** 2, 0.0)
        h = h / self.sigma**2  # (k, p): diagonal Hessian in raw coordinates
        return out + ((self.T.T[None] * h[:, None, :]) @ self.T,)

    def logp_grad(self, B: np.ndarray):
        """Log density and gradient at the rows of ``B`` (shape ``(k, p)``)."""
        lp, g = self._prior(B)
        E = self.X @ B.T  # (n, k)
        a = np.exp(-np.abs(E))
        # log(1 + e^eta) = max(eta, 0) + log1p(e^-|eta|); sigmoid(eta) from the same exponential.
        softplus = np.maximum(E, 0.0) + np.log1p(a)
        s = np.where(E >= 0, 1.0, a) / (1.0 + a)
        lp = lp + self.y @ E - self.m @ softplus
        g = g + (self.y[:, None] - self.m[:, None] * s).T @ self.X
        return lp, g

    def hessian(self, beta: np.ndarray) -> np.ndarray:
        """Hessian of the log density at one point ``beta`` (p,)."""
        B = beta[None, :]
        *_, h_prior = self._prior(B, hessian=True)
        eta = self.X @ beta
        a = np.exp(-np.abs(eta))
        s = np.where(eta >= 0, 1.0, a) / (1.0 + a)
        w = self.m * s * (1.0 - s)
        return h_prior[0] - (self.X * w[:, None]).T @ self.X


def _prior_arrays(priors: ResolvedPriors, names: list[str]) -> dict:
    p = len(names)
    fam, mu, sigma, nu = np.zeros(p, int), np.zeros(p), np.ones(p), np.ones(p)
    for j, name in enumerate(names):
        prior = priors.priors[name]
        if prior.family == "Normal":
            fam[j], mu[j], sigma[j] = _NORMAL, prior.mu, prior.sigma
        elif prior.family == "StudentT":
            fam[j], mu[j], sigma[j], nu[j] = _STUDENT, prior.mu, prior.sigma, prior.nu
        elif prior.family == "Cauchy":
            fam[j], mu[j], sigma[j], nu[j] = _STUDENT, prior.mu, prior.sigma, 1.0
        elif prior.family == "Flat":
            fam[j] = _FLAT
        else:  # pragma: no cover
            raise AssertionError(f"unknown prior family {prior.family}")
    T = np.eye(p)
    if priors.centered_intercept:
        i0 = names.index("Intercept")
        T[i0] += priors.x_mean  # x_mean[i0] == 0
    return dict(T=T, family=fam, mu=mu, sigma=sigma, nu=nu)


@dataclass
class Mode:
    """Posterior mode found by Newton's method, with the Laplace covariance there."""

    beta: np.ndarray
    cov: np.ndarray  # inverse of the negative Hessian
    converged: bool
    n_iter: int


def newton_mode(dens: LogDensity, *, tol: float = 1e-8, max_iter: int = 100) -> Mode:
    """Maximise the log density by damped Newton steps from ``beta = 0``.

    ``converged`` is False when the iteration ran out, the Hessian at the end is not negative
    definite, or the mode runs off to infinity (e.g. separation under flat priors).
    """
    beta = np.zeros(dens.dim)
    lp, g = (v[0] for v in dens.logp_grad(beta[None]))
    for it in range(1, max_iter + 1):
        H = dens.hessian(beta)
        try:
            L = np.linalg.cholesky(-H)
            step = np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            step = g / max(1.0, np.abs(g).max())  # not concave here: a short gradient step
        t = 1.0
        while True:
            new = beta + t * step
            lp_new, g_new = (v[0] for v in dens.logp_grad(new[None]))
            if np.isfinite(lp_new) and lp_new >= lp - 1e-10 * abs(lp):
                break
            t *= 0.5
            if t < 1e-10:
                return Mode(beta, np.full((dens.dim, dens.dim), np.nan), False, it)
        beta, lp, g = new, lp_new, g_new
        if not np.all(np.isfinite(beta)) or np.abs(beta).max() > 1e6:
            break
        if np.abs(t * step).max() < tol * (1.0 + np.abs(beta).max()):
            try:
                cov = np.linalg.inv(-dens.hessian(beta))
                np.linalg.cholesky(cov)
            except np.linalg.LinAlgError:
                break
            return Mode(beta, (cov + cov.T) / 2, True, it)
    return Mode(beta, np.full((dens.dim, dens.dim), np.nan), False, max_iter)
