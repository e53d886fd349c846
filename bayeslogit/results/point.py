"""Point estimates: maximum likelihood and the posterior mode (MAP), by Newton's method.

Both maximise ``log L(beta) + log p(beta)`` (the prior term is zero for the MLE) with
damped Newton steps and a backtracking line search, on the design matrix directly. The
log-likelihood uses ``logaddexp`` so it stays finite for any linear predictor. Standard errors
come from the inverse of the negative Hessian at the optimum (the observed information for the
MLE; the Laplace approximation for the MAP).

Separation (Albert & Anderson 1984) is detected exactly, by a linear program (Konis 2007):
a direction ``d`` with ``(2y-1) x_i'd >= 0`` for every row and ``> 0`` for some means the
likelihood keeps rising along ``d`` and the MLE does not exist. Only the MLE is affected; a
proper prior keeps the MAP and the posterior finite.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import _math
from .errors import ArgumentError, SeparationWarning, check_probability
from .priors import Prior, ResolvedPriors
from .results import Results
from .summary import Summary

if TYPE_CHECKING:  # pragma: no cover
    from .model import LogitModel

__all__ = ["PointResults", "MLEResults", "MAPResults", "newton", "detect_separation"]


@dataclass
class NewtonResult:
    beta: np.ndarray
    neg_hessian: np.ndarray
    logpost: float
    iterations: int
    converged: bool


def _prior_terms(priors: ResolvedPriors | None, beta: np.ndarray):
    """Value, gradient and Hessian of the joint log prior at ``beta`` (original scale)."""
    p = beta.size
    if priors is None:
        return 0.0, np.zeros(p), np.zeros((p, p))
    names = list(priors.priors)
    T = priors.centring_map()
    a = T @ beta
    val, d1, d2 = 0.0, np.zeros(p), np.zeros(p)
    for j, name in enumerate(names):
        v, g, h = _prior_derivs(priors.priors[name], a[j])
        val, d1[j], d2[j] = val + v, g, h
    return val, T.T @ d1, T.T @ (d2[:, None] * T)


def _prior_derivs(prior: Prior, x: float) -> tuple[float, float, float]:
    """log density, first and second derivative of one prior at ``x``."""
    fam = prior.family
    if fam == "Flat":
        return 0.0, 0.0, 0.0
    if fam == "Normal":
        z = (x - prior.mu) / prior.sigma
        return float(prior.logpdf(x)), -z / prior.sigma, -1.0 / prior.sigma**2
    nu = prior.nu if fam == "StudentT" else 1.0  # Cauchy is Student-t with one d.f.
    s = prior.sigma
    z = (x - prior.mu) / s
    d1 = -(nu + 1.0) * z / (s * (nu + z * z))
    d2 = -(nu + 1.0) * (nu - z * z) / (s * s * (nu + z * z) ** 2)
    return float(prior.logpdf(x)), d1, d2


def newton(
    X: np.ndarray,
    y: np.ndarray,
    trials: np.ndarray | None,
    priors: ResolvedPriors | None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    beta0: np.ndarray | None = None,
) -> NewtonResult:
    """Maximise the log posterior (log-likelihood when ``priors`` is None) by damped Newton.

    Converged when the Newton decrement ``g' H^-1 g / 2`` falls below ``tol``. Never raises
    ``LinAlgError``: a singular or indefinite Hessian is regularised (Levenberg damping).
    """
    n_trials = np.ones_like(y, dtype=float) if trials is None else trials.astype(float)
    yf = y.astype(float)

    def objective(b):
        eta = X @ b
        ll = float(np.sum(_math.log_likelihood(eta, yf, None if trials is None else n_trials)))
        lp, gp, hp = _prior_terms(priors, b)
        return ll + lp, eta, gp, hp

    beta = np.zeros(X.shape[1]) if beta0 is None else np.asarray(beta0, dtype=float).copy()
    f, eta, gp, hp = objective(beta)
    converged = False
    H = np.eye(X.shape[1])
    it = 0
    for it in range(1, max_iter + 1):
        mu = n_trials * _math.inv_logit(eta)
        w = mu * (1.0 - _math.inv_logit(eta))
        g = X.T @ (yf - mu) + gp
        H = (X * w[:, None]).T @ X - hp
        step = _solve_pd(H, g)
        decrement = float(g @ step) / 2.0
        t = 1.0
        while True:
            cand = beta + t * step
            f_new, eta_new, gp_new, hp_new = objective(cand)
            if np.isfinite(f_new) and f_new >= f - 1e-12 * abs(f):
                break
            t /= 2.0
            if t < 1e-10:
                break
        if t < 1e-10:  # no ascent possible along the Newton direction: at the optimum numerically
            converged = decrement < 1e-6
            break
        beta, f, eta, gp, hp = cand, f_new, eta_new, gp_new, hp_new
        if decrement < tol:  # the step just taken was tiny: quadratic convergence is done
            converged = True
            break
    else:
        it = max_iter
    mu = n_trials * _math.inv_logit(eta)
    w = mu * (1.0 - _math.inv_logit(eta))
    H = (X * w[:, None]).T @ X - hp
    return NewtonResult(beta=beta, neg_hessian=H, logpost=f, iterations=it, converged=converged)


def _solve_pd(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Solve ``H x = g`` for a (nearly) positive definite ``H``, damping it if needed."""
    scale = max(float(np.max(np.abs(np.diag(H)))), 1e-300)
    lam = 0.0
    for _ in range(60):
        try:
            L = np.linalg.cholesky(H + lam * np.eye(len(g)))
            return np.linalg.solve(L.T, np.linalg.solve(L, g))
        except np.linalg.LinAlgError:
            lam = scale * 1e-10 if lam == 0.0 else lam * 10.0
    return np.linalg.lstsq(H, g, rcond=None)[0]  # pragma: no cover - last resort


def _covariance(neg_hessian: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(neg_hessian)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(neg_hessian)


def detect_separation(X: np.ndarray, y: np.ndarray, trials: np.ndarray | None = None):
    """Check for complete or quasi-complete separation with Konis's linear program.

    Returns
    -------
    (kind, direction) : tuple
        ``kind`` is ``None``, ``"complete"`` or ``"quasi-complete"``; ``direction`` is the
        recession direction of the log-likelihood (None when there is none).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.column_stack([np.ones(4), [-2.0, -1.0, 1.0, 2.0]])
    >>> detect_separation(X, np.array([0, 0, 1, 1]))[0]
    'complete'
    """
    from scipy.optimize import linprog

    n_trials = np.ones_like(y) if trials is None else trials
    s_pos = y >= n_trials  # all successes: x'd >= 0
    s_neg = y <= 0  # all failures: x'd <= 0
    mixed = ~(s_pos | s_neg)
    sign = np.where(s_pos, 1.0, -1.0)
    norms = np.maximum(np.linalg.norm(X, axis=0), 1e-300)
    A = X / norms
    p = X.shape[1]
    sA = sign[~mixed, None] * A[~mixed]
    # Sparsest (L1-minimal) direction d = u - v with every margin s_i x_i'd >= 0, their sum >= 1,
    # and x_i'd = 0 for rows with both outcomes. Feasible iff the data are separated.
    A_ub = np.vstack([np.hstack([-sA, sA]), np.r_[-sA.sum(axis=0), sA.sum(axis=0)]])
    b_ub = np.r_[np.zeros(sA.shape[0]), -1.0]
    A_eq = np.hstack([A[mixed], -A[mixed]]) if mixed.any() else None
    const = np.ptp(X, axis=0) == 0  # the intercept: free, so the cost counts predictors only
    cost = np.where(const, 1e-6, 1.0)
    res = linprog(
        np.r_[cost, cost], A_ub=A_ub, b_ub=b_ub, A_eq=A_eq,
        b_eq=None if A_eq is None else np.zeros(A_eq.shape[0]), bounds=(0, None), method="highs",
    )
    if res.status != 0:
        return None, None
    d = (res.x[:p] - res.x[p:]) / norms
    if mixed.any():
        return "quasi-complete", d
    # Complete separation iff some direction gives every row a strictly positive margin t.
    p = X.shape[1]
    strict = linprog(
        np.r_[np.zeros(p), -1.0],
        A_ub=np.column_stack([-sA, np.ones(sA.shape[0])]), b_ub=np.zeros(sA.shape[0]),
        bounds=[(-1.0, 1.0)] * p + [(None, 1.0)], method="highs",
    )
    if strict.status == 0 and -strict.fun > 1e-9:
        return "complete", d
    return "quasi-complete", d


class PointResults(Results):
    """A point estimate with a Gaussian approximation: shared by the MLE and the MAP."""

    _newton: NewtonResult
    default_ci_prob = 0.95

    def __init__(self, model: "LogitModel", fit: NewtonResult) -> None:
        self.model = model
        self._newton = fit
        self._cov = _covariance(fit.neg_hessian)

    # -- the shared interface ---------------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Point estimates of the coefficients, indexed by design column name."""
        return pd.Series(self._newton.beta, index=self.coef_names, name="coef")

    @property
    def bse(self) -> pd.Series:
        """Standard errors: square roots of the diagonal of :meth:`cov_params`."""
        return pd.Series(np.sqrt(np.clip(np.diag(self._cov), 0, None)), index=self.coef_names, name="std err")

    def cov_params(self) -> pd.DataFrame:
        """Covariance matrix of the estimates (inverse negative Hessian at the optimum)."""
        return pd.DataFrame(self._cov, index=self.coef_names, columns=self.coef_names)

    @property
    def tvalues(self) -> pd.Series:
        """Wald z statistics, ``params / bse``."""
        return (self.params / self.bse).rename("z")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values of the Wald z statistics."""
        return pd.Series(2 * _math.normal_sf(np.abs(self.tvalues)), index=self.coef_names, name="P>|z|")

    def conf_int(self, *, ci_prob: float = 0.95) -> pd.DataFrame:
        """Wald intervals ``params +- z * bse`` with coverage ``ci_prob``."""
        check_probability(ci_prob, "ci_prob")
        z = _math.normal_quantile(0.5 + ci_prob / 2)
        return pd.DataFrame(
            {"lower": self.params - z * self.bse, "upper": self.params + z * self.bse}, index=self.coef_names
        )

    def coef_table(self, *, ci_prob: float = 0.95) -> pd.DataFrame:
        """coef, std err, z, P>|z| and the Wald interval per term (statsmodels' columns).

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> bl.LogitModel("y ~ x", df).fit_mle().coef_table().columns.tolist()
        ['coef', 'std err', 'z', 'P>|z|', '[0.025', '0.975]']
        """
        ci = self.conf_int(ci_prob=ci_prob)
        lo, hi = f"[{(1 - ci_prob) / 2:.3g}", f"{(1 + ci_prob) / 2:.3g}]"
        table = pd.DataFrame(
            {"coef": self.params, "std err": self.bse, "z": self.tvalues, "P>|z|": self.pvalues,
             lo: ci["lower"], hi: ci["upper"]}
        )
        table.index.name = "term"
        return table

    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        d = self.design
        return float(np.sum(_math.log_likelihood(d.X @ self._newton.beta, d.y, d.trials)))

    @property
    def converged(self) -> bool:
        return bool(self._newton.converged)

    @property
    def iterations(self) -> int:
        return int(self._newton.iterations)

    @property
    def fittedvalues(self) -> np.ndarray:
        """Fitted probabilities per row."""
        return _math.inv_logit(self.design.X @ self._newton.beta)


class MLEResults(PointResults):
    """Maximum-likelihood fit, with the statistics statsmodels' ``Logit`` reports.

    Attributes
    ----------
    separation : str or None
        ``"complete"`` / ``"quasi-complete"`` when the data are separated (the MLE does not
        exist: the reported values are where Newton stopped), else None.
    separating_columns : list of str
        Design columns along which the likelihood keeps increasing.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> mle = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1)).fit_mle()
    >>> mle.converged, mle.params.round(2).tolist()
    (True, [-3.44, 2.02, -1.57])
    """

    method = "mle"
    label = "MLE"

    def __init__(self, model, fit, *, separation=None, separating_columns=()):
        super().__init__(model, fit)
        self.separation = separation
        self.separating_columns = list(separating_columns)

    @property
    def llnull(self) -> float:
        """Log-likelihood of the intercept-only model."""
        d = self.design
        n = np.ones_like(d.y) if d.trials is None else d.trials
        pbar = d.y.sum() / n.sum()
        eta = np.full(d.n_obs, math.log(pbar / (1 - pbar)))
        return float(np.sum(_math.log_likelihood(eta, d.y, d.trials)))

    @property
    def df_model(self) -> int:
        return self.design.n_coef - int(self.design.has_intercept)

    @property
    def df_resid(self) -> int:
        return self.design.n_obs - self.design.n_coef

    @property
    def prsquared(self) -> float:
        """McFadden's pseudo R-squared, ``1 - llf / llnull``."""
        return 1.0 - self.llf / self.llnull

    @property
    def llr(self) -> float:
        """Likelihood-ratio statistic against the intercept-only model."""
        return 2.0 * (self.llf - self.llnull)

    @property
    def llr_pvalue(self) -> float:
        return float(_math.chi2_sf(self.llr, self.df_model))

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * self.design.n_coef

    @property
    def bic(self) -> float:
        return -2.0 * self.llf + math.log(self.design.n_obs) * self.design.n_coef

    def summary(self, *, ci_prob: float = 0.95) -> Summary:
        """statsmodels-style ``Logit`` summary of the maximum-likelihood fit."""
        d = self.design
        info = [
            ("Dep. Variable:", d.response),
            ("Model:", "Logit" if d.trials is None else "Binomial (logit)"),
            ("Method:", "MLE (Newton)"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            ("No. Observations:", str(d.n_obs)),
            ("Df Residuals:", str(self.df_resid)),
            ("Df Model:", str(self.df_model)),
            ("Pseudo R-squ.:", f"{self.prsquared:.4f}"),
            ("Log-Likelihood:", f"{self.llf:.3f}"),
            ("LL-Null:", f"{self.llnull:.3f}"),
            ("LLR p-value:", f"{self.llr_pvalue:.4g}"),
            ("AIC:", f"{self.aic:.3f}"),
            ("BIC:", f"{self.bic:.3f}"),
        ]
        notes = []
        if self.separation:
            notes.append(
                f"WARNING: {self.separation} separation along {self.separating_columns}: the MLE does "
                "not exist; estimates and standard errors are where Newton stopped and are not "
                "meaningful. Use fit_map() or sample() with a proper prior."
            )
        return Summary("Logit Regression Results (maximum likelihood)", info, [self.coef_table(ci_prob=ci_prob)], notes)


class MAPResults(PointResults):
    """Posterior mode (MAP) under the model's or a given prior, with Laplace standard deviations.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> m = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1))
    >>> m.fit_map(prior=bl.sklearn_prior(C=1.0, fit_intercept=False)).params.round(2).tolist()
    [-3.04, 1.72, -1.36]
    """

    method = "map"

    def __init__(self, model, fit, priors: ResolvedPriors, *, prior_label: str):
        super().__init__(model, fit)
        self.priors = priors
        self.prior_label = prior_label

    @property
    def label(self) -> str:
        return f"MAP {self.prior_label}"

    @property
    def log_posterior(self) -> float:
        """Unnormalised log posterior at the mode (log-likelihood + log prior)."""
        return float(self._newton.logpost)

    def coef_table(self, *, ci_prob: float = 0.95) -> pd.DataFrame:
        """mode, Laplace sd and the Laplace (Gaussian) interval per term."""
        ci = self.conf_int(ci_prob=ci_prob)
        table = pd.DataFrame({"mode": self.params, "sd": self.bse, "lower": ci["lower"], "upper": ci["upper"]})
        table.index.name = "term"
        return table

    def summary(self, *, ci_prob: float = 0.95) -> Summary:
        """Summary of the MAP fit: the prior per term, the mode and Laplace intervals."""
        info = self._model_info() + [
            ("Method:", "MAP (Newton), Laplace sd"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            ("Log-Likelihood:", f"{self.llf:.3f}"),
            ("Log posterior:", f"{self.log_posterior:.3f}"),
        ]
        notes = [f"Intervals are {ci_prob:.0%} Laplace (Gaussian at the mode) intervals."]
        return Summary(f"Logistic regression, posterior mode ({self.prior_label})", info,
                       [self.coef_table(ci_prob=ci_prob), self.priors.table()], notes)


def check_newton_args(tol: float, max_iter: int) -> None:
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not 0 < tol < 1:
        raise ArgumentError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ArgumentError(f"max_iter must be an integer >= 1, got {max_iter!r}")


def fit_mle(model: "LogitModel", *, tol: float = 1e-10, max_iter: int = 100) -> MLEResults:
    """Maximum likelihood (see :meth:`LogitModel.fit_mle`)."""
    check_newton_args(tol, max_iter)
    d = model.design
    fit = newton(d.X, d.y, d.trials, None, tol=tol, max_iter=max_iter)
    kind, cols = None, []
    p_hat = _math.inv_logit(d.X @ fit.beta)
    suspicious = (not fit.converged) or np.max(np.abs(d.X @ fit.beta)) > 15 or np.min(p_hat * (1 - p_hat)) < 1e-8
    if suspicious:
        kind, direction = detect_separation(d.X, d.y, d.trials)
        if kind is not None:
            big = np.abs(direction) > 1e-6 * np.max(np.abs(direction))
            cols = [n for n, b in zip(d.column_names, big) if b and n != "Intercept"] or [
                n for n, b in zip(d.column_names, big) if b
            ]
            warnings.warn(
                f"{kind} separation: the outcome is perfectly predicted along {cols}, so the MLE "
                "does not exist (coefficients diverge; standard errors are meaningless). Use "
                "fit_map() or sample() with a proper prior, or drop/merge those columns.",
                SeparationWarning,
                stacklevel=3,
            )
    if kind is not None:
        fit.converged = False  # the optimum is at infinity: nothing converged to an MLE
    return MLEResults(model, fit, separation=kind, separating_columns=cols)


def fit_map(model: "LogitModel", prior=None, *, tol: float = 1e-10, max_iter: int = 100) -> MAPResults:
    """Posterior mode (see :meth:`LogitModel.fit_map`)."""
    from .priors import resolve_priors

    check_newton_args(tol, max_iter)
    priors = model.priors if prior is None else resolve_priors(prior, model.design)
    d = model.design
    fit = newton(d.X, d.y, d.trials, priors, tol=tol, max_iter=max_iter)
    label = "model priors" if prior is None else _describe_spec(prior)
    return MAPResults(model, fit, priors, prior_label=label)


def _describe_spec(spec) -> str:
    if isinstance(spec, Prior):
        return str(spec)
    if hasattr(spec, "describe"):
        return spec.describe()
    return "custom priors"
