"""The GLMM maximum likelihood: group effects integrated out by Laplace or adaptive Gauss-Hermite.

For a model with group terms, ``eta = X beta + offset + sum_t v_t(i)' b_t[g_t(i)]`` with every
level's effects ``b_tj ~ N(0, Sigma_t)``. As in lme4 (Bates, Maechler, Bolker and Walker 2015,
"Fitting linear mixed-effects models using lme4", J. Stat. Softw. 67(1); lme4's
``vignette("glmer")``), ``Sigma_t = Lambda_t Lambda_t'`` with ``Lambda_t`` lower triangular and
its free entries ``theta`` (column by column; diagonal only for ``(x || g)``; the diagonal
reported >= 0), and ``b_tj = Lambda_t u_tj`` with spherical ``u ~ N(0, I)``.

**Laplace** (``nAGQ=1``, glmer's default): for given ``(beta, theta)`` the conditional modes
``u*`` maximise ``l(beta, u) - ||u||^2 / 2`` (penalized IRLS: Newton's method on ``u`` with
step halving), and

    -2 log L(beta, theta) ~ -2 l(beta, u*) + ||u*||^2 + log det(I + A' W A),

with ``A = Z Lambda`` and ``W`` the IRLS weights at ``u*``: lme4's Laplace deviance,
binomial coefficients included (so ``llf`` is glmer's ``logLik``), except that lme4 takes
``log det`` from the factorisation made before its last PIRLS update (lme4 issue #998), which
moves its optimum by up to ~1e-3 from the exact Laplace approximation computed here. ``A`` is never built dense:
each row holds ``a_i = v_i' Lambda`` (k numbers per term) and its level index. With one group
term ``I + A'WA`` is block diagonal, one ``k x k`` block per level, summed by ``np.bincount``
and solved as a batch; with several terms (nested or crossed) ``A`` is a sparse matrix with
``n x sum(k)`` non-zeros and ``I + A'WA`` is solved by a sparse LU (``scipy.sparse``).

**Adaptive Gauss-Hermite** (``nAGQ=K > 1``, one scalar group term only, as glmer): each level's
integral ``int prod_i p(y_i | u) phi(u) du`` by ``K`` probabilists' Gauss-Hermite nodes centred
at the level's mode ``u*_j`` and scaled by its Laplace sd ``h_j^{-1/2}`` (Liu and Pierce 1994);
``K = 1`` is the Laplace approximation again.

The outer problem minimises that deviance over ``(theta, beta)`` jointly (glmer's second
stage) with L-BFGS-B, unbounded (the deviance is even in each column of ``Lambda``, so the
signs are normalised afterwards; a bound at 0 would stop projected steps at ``theta = 0``, a
stationary point of every such deviance), gradients by central differences of the deviance
(the inner modes converge to machine precision, so the differences are smooth), then Newton
steps with the finite-difference Hessian, which also gives the standard errors: as lme4's
``vcov()`` (``use.hessian=TRUE``), the ``beta`` block of the inverse of half the Hessian of
the deviance in ``(theta, beta)``. A diagonal ``theta`` that ends within 1e-3 of 0 with no
better deviance away from 0 is set to 0 (a singular fit, an sd estimated as 0) and held
there; the covariance is then that of the other parameters. Cost: each deviance is a few
Newton steps on ``u`` (``O(rows x k^2 + levels x k^3)`` for one term); the Hessian takes
``O(m^2)`` deviances for ``m`` parameters, computed once or twice.

Hand-written because no Python library fits glmer's model: statsmodels' ``BinomialBayesMixedGLM``
is a variational Bayes fit, not the Laplace or quadrature maximum likelihood, and nothing
offers lme4's ``theta`` parametrisation with nAGQ.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._blocks import linear_predictor
from ..errors import ArgumentError

__all__ = ["GLMMFit", "GLMMProblem", "fit_glmm", "theta_layout"]

_INNER_MAX_ITER = 60


def theta_layout(k: int, correlated: bool) -> list[tuple[int, int]]:
    """The ``(row, col)`` of ``Lambda`` held by each ``theta`` of a term with ``k`` varying
    coefficients: the lower triangle column by column (lme4's order), or the diagonal."""
    if not correlated:
        return [(c, c) for c in range(k)]
    return [(r, c) for c in range(k) for r in range(c, k)]


@dataclass
class GLMMFit:
    """The numbers of a GLMM maximum-likelihood fit.

    Attributes
    ----------
    beta : ndarray (p,)
        Population coefficients.
    theta : ndarray
        The relative Cholesky factors' free entries, term after term (lme4's ``getME(, "theta")``).
    lambdas : list of ndarray (k, k)
        ``Lambda_t`` per term: ``Sigma_t = Lambda_t Lambda_t'``.
    modes : list of ndarray (levels, k)
        The conditional modes of the group effects, ``b_tj = Lambda_t u*_tj`` (lme4's ``ranef``).
    mode_cov : list of ndarray (levels, k, k) or None
        Their conditional covariances ``Lambda (I + A'WA)^-1 Lambda'`` per level (lme4's
        ``condVar``); None when not computed (several terms with many levels).
    deviance : float
        ``-2`` times the approximate marginal log-likelihood (Laplace or AGQ).
    hessian : ndarray (m, m)
        Half the finite-difference Hessian of the deviance in ``(theta, beta)`` (NaN rows and
        columns for ``theta`` held at the boundary).
    cov_beta : ndarray (p, p)
        Covariance of ``beta``: the ``beta`` block of the inverse of ``hessian`` (free parameters).
    converged : bool
    iterations : int
        Outer iterations (L-BFGS-B + Newton).
    n_agq : int
    boundary : list of int
        Indices into ``theta`` held at 0.
    """

    beta: np.ndarray
    theta: np.ndarray
    lambdas: list[np.ndarray]
    modes: list[np.ndarray]
    mode_cov: list[np.ndarray] | None
    deviance: float
    hessian: np.ndarray
    cov_beta: np.ndarray
    converged: bool
    iterations: int
    n_agq: int
    boundary: list[int] = field(default_factory=list)


class GLMMProblem:
    """The Laplace / AGQ deviance of a design with group terms, as a function of ``(theta, beta)``.

    Parameters
    ----------
    design : Design
        With ``design.groups`` (a level index per row and the varying part's values per term).
    n_agq : int
        1 (Laplace) or the number of adaptive Gauss-Hermite nodes (one scalar group term only).
    """

    def __init__(self, design, *, n_agq: int = 1) -> None:
        if design.groups is None:
            raise ArgumentError("the GLMM likelihood needs group terms like (1 | g) in the formula")
        self.X = design.X
        self.offset = design.offset
        self.y = np.asarray(design.y, dtype=float)
        self.family = design.response_family
        self.terms = list(design.groups.terms)
        self.layouts = [theta_layout(t.n_coef, t.correlated) for t in self.terms]
        self.n_theta = sum(len(lay) for lay in self.layouts)
        self.p = self.X.shape[1]
        self.sizes = [t.n_levels * t.n_coef for t in self.terms]
        self.q = int(sum(self.sizes))
        self.single = len(self.terms) == 1
        if n_agq > 1 and not (self.single and self.terms[0].n_coef == 1):
            raise ArgumentError(
                f"nAGQ={n_agq} (adaptive Gauss-Hermite quadrature) needs a single scalar group term such as "
                f"(1 | g), as glmer; this model has {', '.join(f'({t.label})' for t in self.terms)}. "
                "Use nAGQ=1 (the Laplace approximation)"
            )
        self.n_agq = n_agq
        self.u = np.zeros(self.q)  # the last conditional modes: the warm start of the next solve
        if not self.single:
            self._sparse_pattern()

    # -- parameters ------------------------------------------------------------------------------
    def theta_start(self) -> np.ndarray:
        """lme4's start: 1 on the diagonals of every ``Lambda``, 0 below."""
        return np.concatenate([[1.0 if r == c else 0.0 for r, c in lay] for lay in self.layouts])

    def lower_bounds(self) -> np.ndarray:
        """0 for ``theta`` on a diagonal, ``-inf`` below it (the diagonal's mask: finite entries)."""
        return np.concatenate([[0.0 if r == c else -np.inf for r, c in lay] for lay in self.layouts])

    def canonical(self, phi: np.ndarray) -> np.ndarray:
        """``phi`` with every column of each ``Lambda`` whose diagonal is negative negated (the
        same covariance ``Lambda Lambda'``, the same deviance): lme4's ``theta_diag >= 0``."""
        phi = np.array(phi, dtype=float)
        j = 0
        for lay in self.layouts:
            cols = [c for r, c in lay]
            diag = {c: j + i for i, (r, c) in enumerate(lay) if r == c}
            for c, jd in diag.items():
                if phi[jd] < 0:
                    for i, cc in enumerate(cols):
                        if cc == c:
                            phi[j + i] = -phi[j + i]
            j += len(lay)
        return phi

    def lambdas(self, theta: np.ndarray) -> list[np.ndarray]:
        out, j = [], 0
        for t, lay in zip(self.terms, self.layouts):
            lam = np.zeros((t.n_coef, t.n_coef))
            for r, c in lay:
                lam[r, c] = theta[j]
                j += 1
            out.append(lam)
        return out

    # -- the inner problem: conditional modes --------------------------------------------------
    def _sparse_pattern(self) -> None:
        """Row and column of every non-zero of ``A = Z Lambda`` (several terms)."""
        rows, cols, start = [], [], 0
        n = self.X.shape[0]
        for t, size in zip(self.terms, self.sizes):
            k = t.n_coef
            rows.append(np.repeat(np.arange(n), k))
            cols.append(start + (t.index.astype(np.int64)[:, None] * k + np.arange(k)).ravel())
            start += size
        self._rows, self._cols = np.concatenate(rows), np.concatenate(cols)

    def _a_rows(self, lams: list[np.ndarray]) -> list[np.ndarray]:
        """Per term ``a_i = v_i' Lambda`` (n x k): the row of ``A`` for that term's level."""
        return [t.values @ lam for t, lam in zip(self.terms, lams)]

    def _group_eta(self, a: list[np.ndarray], u: np.ndarray) -> np.ndarray:
        out = np.zeros(self.X.shape[0])
        start = 0
        for t, at, size in zip(self.terms, a, self.sizes):
            U = u[start : start + size].reshape(t.n_levels, t.n_coef)
            out += np.einsum("ik,ik->i", at, U[t.index])
            start += size
        return out

    def _penalized(self, eta0, a, u) -> tuple[float, np.ndarray]:
        eta = eta0 + self._group_eta(a, u)
        return float(-np.sum(self.family.loglik(eta, self.y)) + 0.5 * (u @ u)), eta

    def _system(self, a, eta, u):
        """Gradient of the penalized log-likelihood in ``u`` and ``H = I + A'WA`` (a batch of
        per-level blocks for one term, a sparse matrix for several)."""
        mu, w = self.family.mean_weight(eta)
        r = self.y - mu
        if self.single:
            t, at = self.terms[0], a[0]
            L, k = t.n_levels, t.n_coef
            g = np.stack([np.bincount(t.index, weights=r * at[:, c], minlength=L) for c in range(k)], axis=1)
            H = np.zeros((L, k, k))
            for c in range(k):
                for d in range(c + 1):
                    H[:, c, d] = H[:, d, c] = np.bincount(t.index, weights=w * at[:, c] * at[:, d], minlength=L)
            H[:, np.arange(k), np.arange(k)] += 1.0
            return g.ravel() - u, H
        import scipy.sparse as sp

        A = sp.csr_matrix((np.concatenate([x.ravel() for x in a]), (self._rows, self._cols)), shape=(len(r), self.q))
        g = A.T @ r - u
        H = (A.T @ sp.diags(w) @ A + sp.identity(self.q)).tocsc()
        return g, H

    def _solve(self, H, g) -> tuple[np.ndarray, float, object]:
        """``H^-1 g``, ``log det H`` and the factor (to reuse)."""
        if self.single:
            C = np.linalg.cholesky(H)
            L, k = H.shape[0], H.shape[1]
            x = np.linalg.solve(H, g.reshape(L, k, 1)).ravel()
            return x, float(2 * np.sum(np.log(np.diagonal(C, axis1=1, axis2=2)))), C
        from scipy.sparse.linalg import splu

        lu = splu(H)
        return lu.solve(g), float(np.sum(np.log(np.abs(lu.U.diagonal())))), lu

    def modes(self, beta: np.ndarray, lams: list[np.ndarray], u0: np.ndarray | None = None):
        """The conditional modes ``u*`` at ``(beta, Lambda)`` by penalized IRLS (Newton with step
        halving, to machine precision): ``(u, eta, a, H, logdet, factor, eta0)``."""
        eta0 = linear_predictor(self.X, beta, self.offset)
        a = self._a_rows(lams)
        u = (self.u if u0 is None else u0).copy()
        f, eta = self._penalized(eta0, a, u)
        if not np.isfinite(f):
            u = np.zeros(self.q)
            f, eta = self._penalized(eta0, a, u)
        for _ in range(_INNER_MAX_ITER):
            g, H = self._system(a, eta, u)
            step, _, _ = self._solve(H, g)
            t = 1.0
            while True:
                cand = u + t * step
                f_new, eta_new = self._penalized(eta0, a, cand)
                if np.isfinite(f_new) and f_new <= f + 1e-13 * abs(f):
                    break
                t /= 2.0
                if t < 1e-8:
                    break
            if t < 1e-8:
                break
            u, f, eta = cand, f_new, eta_new
            if np.max(np.abs(t * step), initial=0.0) < 1e-11 * (1.0 + np.max(np.abs(u), initial=0.0)):
                break
        g, H = self._system(a, eta, u)
        _, logdet, factor = self._solve(H, g)
        return u, eta, a, H, logdet, factor, eta0

    # -- the outer objective ---------------------------------------------------------------------
    def split(self, phi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return phi[: self.n_theta], phi[self.n_theta :]

    def deviance(self, phi: np.ndarray, u0: np.ndarray | None = None) -> float:
        """``-2 log L`` at ``phi = (theta, beta)``: Laplace, or AGQ with ``n_agq`` nodes."""
        theta, beta = self.split(np.asarray(phi, dtype=float))
        u, eta, a, H, logdet, _, eta0 = self.modes(beta, self.lambdas(theta), u0)
        if u0 is None:
            self.u = u
        if self.n_agq == 1:
            return float(-2.0 * np.sum(self.family.loglik(eta, self.y)) + u @ u + logdet)
        return self._agq(eta0, a[0][:, 0], u, H[:, 0, 0])

    def _agq(self, eta0: np.ndarray, a: np.ndarray, u: np.ndarray, h: np.ndarray) -> float:
        """``-2 sum_j log int prod_i p(y_i | u) phi(u) du`` by adaptive Gauss-Hermite (one scalar term)."""
        from numpy.polynomial.hermite_e import hermegauss
        from scipy.special import logsumexp

        t = self.terms[0]
        z, wq = hermegauss(self.n_agq)
        logw = np.log(wq / np.sqrt(2 * np.pi))  # E over N(0, 1) of g = sum_k w_k g(z_k)
        sd = 1.0 / np.sqrt(h)
        L = t.n_levels
        terms = np.empty((L, len(z)))
        for k, zk in enumerate(z):
            uk = u + sd * zk
            ll = self.family.loglik(eta0 + a * uk[t.index], self.y)
            terms[:, k] = np.bincount(t.index, weights=ll, minlength=L) - 0.5 * uk**2 + 0.5 * zk**2 + logw[k]
        return float(-2.0 * np.sum(logsumexp(terms, axis=1) + np.log(sd)))

    def gradient(self, phi: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Central differences of :meth:`deviance` (warm-started at ``phi``'s modes)."""
        self.deviance(phi)
        u0 = self.u.copy()
        g = np.empty(phi.size)
        for j in range(phi.size):
            e = np.zeros(phi.size)
            e[j] = steps[j]
            g[j] = (self.deviance(phi + e, u0) - self.deviance(phi - e, u0)) / (2 * steps[j])
        self.u = u0
        return g

    def hessian(self, phi: np.ndarray, free: np.ndarray, steps: np.ndarray) -> np.ndarray:
        """Finite-difference Hessian of :meth:`deviance` over the ``free`` coordinates (NaN elsewhere)."""
        m = phi.size
        f0 = self.deviance(phi)
        u0 = self.u.copy()
        Hs = np.full((m, m), np.nan)
        idx = np.flatnonzero(free)

        def f(di, dj, i, j):
            x = phi.copy()
            x[i] += di
            x[j] += dj
            return self.deviance(x, u0)

        for a_, i in enumerate(idx):
            hi = steps[i]
            Hs[i, i] = (f(hi, 0, i, i) - 2 * f0 + f(-hi, 0, i, i)) / hi**2
            for j in idx[:a_]:
                hj = steps[j]
                v = (f(hi, hj, i, j) - f(hi, -hj, i, j) - f(-hi, hj, i, j) + f(-hi, -hj, i, j)) / (4 * hi * hj)
                Hs[i, j] = Hs[j, i] = v
        self.u = u0
        return Hs

    def mode_covariances(self, phi: np.ndarray) -> list[np.ndarray] | None:
        """``Lambda (I + A'WA)^-1 Lambda'`` per level (lme4's ``condVar``); for several terms only
        while ``q`` (all levels x coefficients) is at most 4000 (a dense inverse)."""
        theta, beta = self.split(phi)
        lams = self.lambdas(theta)
        u, eta, a, H, _, factor, _ = self.modes(beta, lams)
        if self.single:
            t, lam = self.terms[0], lams[0]
            Hinv = np.linalg.inv(H)
            return [np.einsum("ab,lbc,dc->lad", lam, Hinv, lam)]
        if self.q > 4000:
            return None
        Hinv = factor.solve(np.eye(self.q))  # type: ignore[attr-defined]
        out, start = [], 0
        for t, lam, size in zip(self.terms, lams, self.sizes):
            k = t.n_coef
            blocks = np.stack(
                [
                    Hinv[start + j * k : start + (j + 1) * k, start + j * k : start + (j + 1) * k]
                    for j in range(t.n_levels)
                ]
            )
            out.append(np.einsum("ab,lbc,dc->lad", lam, blocks, lam))
            start += size
        return out


def _steps(phi: np.ndarray, rel: float) -> np.ndarray:
    return rel * np.maximum(1.0, np.abs(phi))


def fit_glmm(design, *, n_agq: int = 1, beta0: np.ndarray | None = None, max_iter: int = 500) -> GLMMFit:
    """The GLMM maximum likelihood of ``design`` (see the module docstring).

    ``beta0``: the start of ``beta`` (default zeros; the model passes the complete-pooling MLE).
    """
    from scipy.optimize import minimize

    prob = GLMMProblem(design, n_agq=n_agq)
    phi = np.concatenate([prob.theta_start(), np.zeros(prob.p) if beta0 is None else np.asarray(beta0, float)])
    # unbounded: the deviance is even in each column of Lambda (b = Lambda u, u ~ N(0, I) is
    # symmetric), so a negative diagonal is the same model; bounds at 0 would make L-BFGS-B's
    # projected steps stop at theta = 0, a stationary point of every such deviance
    res = minimize(
        prob.deviance,
        phi,
        jac=lambda x: prob.gradient(x, _steps(x, 1e-6)),
        method="L-BFGS-B",
        options={"maxiter": max_iter, "ftol": 1e-15, "gtol": 1e-9, "maxcor": 20},
    )
    phi = prob.canonical(res.x)
    iterations = int(res.nit)
    diagonal = np.isfinite(prob.lower_bounds())
    held = np.zeros(phi.size, dtype=bool)
    f_now = prob.deviance(phi)
    for j in np.flatnonzero(diagonal & (np.abs(phi[: prob.n_theta]) < 1e-3)):  # an sd at 0: the boundary
        cand = phi.copy()
        cand[j] = 0.0
        f_zero = prob.deviance(cand)
        if f_zero <= f_now + 1e-9:
            phi, f_now, held[j] = cand, min(f_now, f_zero), True
    # Newton polish with the finite-difference Hessian (also the covariance); theta at 0 held there
    free = ~held
    converged = False
    hs = _steps(phi, 1e-4)
    Hs = prob.hessian(phi, free, hs)  # O(m^2) deviances: once here, once more if Newton moves
    phi_start = phi.copy()
    for _ in range(8):
        g = prob.gradient(phi, _steps(phi, 1e-6))
        Hf, gf = Hs[np.ix_(free, free)], g[free]
        try:
            step = -np.linalg.solve(Hf, gf)
        except np.linalg.LinAlgError:
            break
        decrement = float(-gf @ step) / 2
        iterations += 1
        if not np.isfinite(decrement) or decrement < 0:
            break
        if decrement < 1e-12:
            converged = True
            break
        f0 = prob.deviance(phi)
        t = 1.0
        while t > 1e-4:
            cand = phi.copy()
            cand[free] += t * step
            if prob.deviance(cand) <= f0 + 1e-12:
                break
            t /= 2
        if t <= 1e-4:
            converged = decrement < 1e-6
            break
        phi = cand
    if not np.array_equal(phi, phi_start):
        Hs = prob.hessian(phi, free, hs)
    phi = prob.canonical(phi)
    theta, beta = prob.split(phi)
    free = ~np.isnan(np.diag(Hs))
    half = Hs[np.ix_(free, free)] / 2
    positive = bool(np.all(np.linalg.eigvalsh(half) > 0))  # a minimum: else no covariance to trust
    converged = converged and positive
    cov = np.linalg.inv(half) if positive else np.linalg.pinv(half)
    beta_idx = np.flatnonzero(free[prob.n_theta :])
    cov_beta = np.full((prob.p, prob.p), np.nan)
    pos = np.arange(free.sum())[np.sum(free[: prob.n_theta]) :]
    cov_beta[np.ix_(beta_idx, beta_idx)] = cov[np.ix_(pos, pos)]
    dev = prob.deviance(phi)
    lams = prob.lambdas(theta)
    u = prob.u
    modes, start = [], 0
    for t, lam, size in zip(prob.terms, lams, prob.sizes):
        modes.append(u[start : start + size].reshape(t.n_levels, t.n_coef) @ lam.T)
        start += size
    return GLMMFit(
        beta=beta,
        theta=theta,
        lambdas=lams,
        modes=modes,
        mode_cov=prob.mode_covariances(phi),
        deviance=dev,
        hessian=Hs / 2,
        cov_beta=cov_beta,
        converged=bool(converged),
        iterations=iterations,
        n_agq=n_agq,
        boundary=[int(i) for i in np.flatnonzero(~free[: prob.n_theta])],
    )
