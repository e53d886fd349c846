"""Point fits: the maximum likelihood (MLE) and the posterior mode (MAP) as results objects.

The numbers come from :mod:`bayeslogit.fit.newton` (Newton's method) and
:mod:`bayeslogit.fit.separation` (the separation check); this module wraps them with the
statistics statsmodels' ``Logit`` reports and the shared results interface.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _numerics
from .._blocks import linear_predictor
from .._validation import check_int, check_number, check_probability
from ..errors import ArgumentError, SeparationWarning
from ..fit.newton import NewtonResult, covariance, newton
from ..fit.penalized import penalized_mode
from ..fit.separation import detect_separation
from ..priors import Prior, ResolvedPriors, resolve_priors
from ..summary import Summary
from .base import DEFAULT_CI_PROB, Results

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LogitModel

__all__ = ["PointResults", "MLEResults", "MAPResults", "fit_mle", "fit_map", "describe_spec"]


class PointResults(Results):
    """A point estimate with a Gaussian approximation: shared by the MLE and the MAP."""

    _newton: NewtonResult

    def __init__(self, model: LogitModel, fit: NewtonResult, *, label: str, population_names=None) -> None:
        self._init_results(model, label=label, population_names=population_names)
        self._newton = fit
        self._cov = covariance(fit.neg_hessian)

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
        return pd.Series(2 * _numerics.normal_sf(np.abs(self.tvalues)), index=self.coef_names, name="P>|z|")

    def conf_int(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Wald intervals ``params +- z * bse`` with coverage ``ci_prob``."""
        check_probability("ci_prob", ci_prob)
        z = _numerics.normal_quantile(0.5 + ci_prob / 2)
        return pd.DataFrame(
            {"lower": self.params - z * self.bse, "upper": self.params + z * self.bse}, index=self.coef_names
        )

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
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
            {
                "coef": self.params,
                "std err": self.bse,
                "z": self.tvalues,
                "P>|z|": self.pvalues,
                lo: ci["lower"],
                hi: ci["upper"],
            }
        )
        table.index.name = "term"
        return table

    @property
    def llf(self) -> float:
        """Log-likelihood at the estimate."""
        d = self.design
        return float(np.sum(d.response_family.loglik(self._eta(), d.y)))

    def _eta(self) -> np.ndarray:
        """The linear predictor of the training rows at the estimate (offset included)."""
        d = self.design
        return linear_predictor(d.X, self._newton.beta, d.offset)

    @property
    def converged(self) -> bool:
        return bool(self._newton.converged)

    @property
    def iterations(self) -> int:
        return int(self._newton.iterations)

    def _repr_facts(self) -> list[str]:
        return super()._repr_facts() + ["converged" if self.converged else "NOT converged"]

    @property
    def fittedvalues(self) -> np.ndarray:
        """Fitted probabilities per row."""
        return _numerics.inv_logit(self._eta())

    def _counts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per training row: successes, trials (1 for 0/1 data; frequency weights folded in),
        and the fitted probability."""
        d = self.design
        y = np.asarray(d.y, dtype=float)
        n = np.ones_like(y) if d.trials is None else np.asarray(d.trials, dtype=float)
        return y, n, self.fittedvalues

    @property
    def resid_deviance(self) -> np.ndarray:
        """Deviance residuals per row, ``sign(y - n p) * sqrt(d_i)`` (statsmodels GLM Binomial's
        ``resid_deviance``; with ``trials``, of the success counts)."""
        y, n, p = self._counts()
        return np.sign(y - n * p) * np.sqrt(np.clip(_unit_deviance(y, n, p), 0, None))

    @property
    def resid_pearson(self) -> np.ndarray:
        """Pearson residuals per row, ``(y - n p) / sqrt(n p (1 - p))`` (statsmodels GLM
        Binomial's ``resid_pearson``)."""
        y, n, p = self._counts()
        return (y - n * p) / np.sqrt(n * p * (1 - p))

    @property
    def deviance(self) -> float:
        """The residual deviance, ``2 * (saturated log-likelihood - llf)`` (R's and statsmodels'
        GLM ``deviance``; for 0/1 data, ``-2 * llf``)."""
        y, n, p = self._counts()
        return float(np.sum(_unit_deviance(y, n, p)))


def _unit_deviance(y: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``2 * (y log(y / (n p)) + (n - y) log((n - y) / (n (1 - p))))``, with ``0 log 0 = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * (np.log(y) - np.log(n * p)), 0.0)
        b = np.where(n - y > 0, (n - y) * (np.log(n - y) - np.log(n * (1 - p))), 0.0)
    return 2 * (a + b)


class MLEResults(PointResults):
    """Maximum-likelihood fit, with the statistics statsmodels' ``Logit`` reports.

    Parameters
    ----------
    model : LogitModel
        The model fitted (for a pooled fit, the pooled model).
    fit : NewtonResult
        Newton's estimate and negative Hessian.
    separation, separating_columns
        See the attributes.
    label : str
        What the fit is called (:attr:`label`), default ``"MLE"``; ``"MLE (no pooling)"`` for
        ``fit_mle(pooling="none")``.
    population_names : list of str, optional
        The coefficients it shares with the other fits of its model (:attr:`population_names`).

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

    def __init__(
        self, model, fit, *, separation=None, separating_columns=(), label: str = "MLE", population_names=None
    ):
        super().__init__(model, fit, label=label, population_names=population_names)
        self.separation = separation
        self.separating_columns = list(separating_columns)

    def _repr_facts(self) -> list[str]:
        facts = super()._repr_facts()
        if self.separation:
            facts.append(f"{self.separation} separation: no MLE")
        return facts

    @property
    def llnull(self) -> float:
        """Log-likelihood of the intercept-only model (with the model's offset, if any, as
        statsmodels' ``GLM`` does)."""
        d = self.design
        if d.offset is not None:
            fit = newton(np.ones((d.n_obs, 1)), d.y, d.trials, None, offset=d.offset)
            return float(np.sum(d.response_family.loglik(fit.beta[0] + d.offset, d.y)))
        pbar = d.response_family.mean_response(d.y)
        eta = np.full(d.n_obs, math.log(pbar / (1 - pbar)))
        return float(np.sum(d.response_family.loglik(eta, d.y)))

    @property
    def df_model(self) -> int:
        return self.design.n_coef - int(self.design.has_intercept)

    @property
    def nobs(self) -> int:
        """Observations: rows, or the sum of the frequency weights (statsmodels GLM's ``wnobs``);
        rows under non-integer (likelihood) weights, as statsmodels' ``var_weights``."""
        d = self.design
        return d.n_obs if d.weights is None or d.weights.dtype.kind == "f" else int(d.weights.sum())

    @property
    def df_resid(self) -> int:
        return self.nobs - self.design.n_coef

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
        return float(_numerics.chi2_sf(self.llr, self.df_model))

    @property
    def aic(self) -> float:
        return -2.0 * self.llf + 2.0 * self.design.n_coef

    @property
    def bic(self) -> float:
        return -2.0 * self.llf + math.log(self.nobs) * self.design.n_coef

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        """statsmodels-style ``Logit`` summary of the maximum-likelihood fit."""
        d = self.design
        info = [
            ("Dep. Variable:", d.response),
            ("Model:", d.response_family.summary_label),
            *([("Offset:", d.offset_label)] if d.offset is not None else []),
            ("Method:", "MLE (Newton)"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            (
                "No. Observations:",
                str(self.nobs)
                if d.weights is None or d.weights.dtype.kind == "f"
                else f"{self.nobs} ({d.n_obs} weighted rows)",
            ),
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

    Its :attr:`label` is ``"MAP "`` followed by :attr:`prior_label`, the priors in words
    (``"Normal(0, 1)"``, ``"model priors, no pooling"``); both are given to the constructor
    and read-only, as :attr:`population_names` is.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> m = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1))
    >>> m.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False)).params.round(2).tolist()
    [-3.04, 1.72, -1.36]
    """

    method = "map"

    def __init__(
        self,
        model,
        fit,
        priors: ResolvedPriors,
        *,
        prior_label: str,
        at_kink: np.ndarray | None = None,
        population_names=None,
    ):
        super().__init__(model, fit, label=f"MAP {prior_label}", population_names=population_names)
        self.priors = priors
        self._prior_label = prior_label
        p = len(fit.beta)
        self.at_kink = np.zeros(p, dtype=bool) if at_kink is None else np.asarray(at_kink, dtype=bool)
        if self.at_kink.any():
            # No Laplace sd at a kink: the mode sits on a corner of the log posterior, where the
            # Gaussian approximation does not exist. The others' covariance is conditional on them.
            free = ~self.at_kink
            cov = np.full((p, p), np.nan)
            cov[np.ix_(free, free)] = covariance(fit.neg_hessian[np.ix_(free, free)])
            self._cov = cov

    def _repr_facts(self) -> list[str]:
        facts = super()._repr_facts()
        return facts[:2] + [self.prior_label] + facts[2:]

    @property
    def has_kinked_prior(self) -> bool:
        """True when some coefficient has a Laplace or elastic-net prior (L1 / elastic net)."""
        return self.priors.has_kink

    @property
    def prior_label(self) -> str:
        """The priors of the fit in words, e.g. ``"Normal(0, 1)"`` or ``"model priors"``."""
        return self._prior_label

    @property
    def log_posterior(self) -> float:
        """Unnormalised log posterior at the mode (log-likelihood + log prior)."""
        return float(self._newton.logpost)

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """mode, Laplace sd and the Laplace (Gaussian) interval per term.

        Under a Laplace or elastic-net prior the table also has ``at_kink``: True where the
        mode is exactly the prior's location (a lasso zero). There the sd and interval are
        NaN: the log posterior has a corner, no curvature, so no Gaussian approximation; the
        posterior (``sample()`` under the same prior) gives those coefficients' uncertainty.
        """
        ci = self.conf_int(ci_prob=ci_prob)
        table = pd.DataFrame({"mode": self.params, "sd": self.bse, "lower": ci["lower"], "upper": ci["upper"]})
        if self.has_kinked_prior:
            table["at_kink"] = self.at_kink
        table.index.name = "term"
        return table

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        """Summary of the MAP fit: the prior per term, the mode and Laplace intervals."""
        info = self._model_info() + [
            ("Method:", "MAP (Newton), Laplace sd"),
            ("converged:", str(self.converged)),
            ("Iterations:", str(self.iterations)),
            ("Log-Likelihood:", f"{self.llf:.3f}"),
            ("Log posterior:", f"{self.log_posterior:.3f}"),
        ]
        notes = [f"Intervals are {ci_prob:.0%} Laplace (Gaussian at the mode) intervals."]
        if self.at_kink.any():
            zeros = [n for n, k in zip(self.coef_names, self.at_kink) if k]
            notes.append(
                f"{len(zeros)} coefficient(s) sit exactly at the kink of their Laplace/elastic-net "
                f"prior ({', '.join(zeros)}): no Laplace sd exists there (NaN), and the others' sds "
                "are conditional on them. The posterior under the same prior (sample()) has no mass "
                "at exactly zero and gives their uncertainty."
            )
        return Summary(
            f"Logistic regression, posterior mode ({self.prior_label})",
            info,
            [self.coef_table(ci_prob=ci_prob), self.priors.table()],
            notes,
        )


def _newton_options(tol, max_iter) -> tuple[float, int]:
    """``tol`` in (0, 1) and ``max_iter`` >= 1, checked (the options of Newton's method)."""
    return check_number("tol", tol, low=0, high=1), check_int("max_iter", max_iter, low=1)


def fit_mle(
    model: LogitModel, *, tol: float = 1e-10, max_iter: int = 100, label: str = "MLE", population_names=None
) -> MLEResults:
    """Maximum likelihood (see :meth:`LogitModel.fit_mle`); ``label`` and ``population_names``
    go to :class:`MLEResults`."""
    tol, max_iter = _newton_options(tol, max_iter)
    d = model.design
    fit = newton(d.X, d.y, d.trials, None, tol=tol, max_iter=max_iter, offset=d.offset)
    kind, cols = None, []
    eta = linear_predictor(d.X, fit.beta, d.offset)
    p_hat = _numerics.inv_logit(eta)
    suspicious = (not fit.converged) or np.max(np.abs(eta)) > 15 or np.min(p_hat * (1 - p_hat)) < 1e-8
    if suspicious:
        kind, direction = detect_separation(d.X, d.y, d.trials)  # X and y only: not the offset
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
    return MLEResults(
        model, fit, separation=kind, separating_columns=cols, label=label, population_names=population_names
    )


def fit_map(
    model: LogitModel,
    spec=None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    label_suffix: str = "",
    population_names=None,
) -> MAPResults:
    """Posterior mode under the prior ``spec`` (see :meth:`LogitModel.fit_map`); its
    ``prior_label`` is the priors in words followed by ``label_suffix`` (``", no pooling"``),
    and ``population_names`` goes to :class:`MAPResults`."""
    tol, max_iter = _newton_options(tol, max_iter)
    priors = model.priors if spec is None else resolve_priors(spec, model.design)
    d = model.design
    label = ("model priors" if spec is None else _describe_spec(spec)) + label_suffix
    sampled = [n for n, p in priors.priors.items() if p.sampled_scale]
    if sampled:
        raise ArgumentError(
            f"fit_map() has no mode to find for {sampled}: their prior samples its own scale "
            "(hierarchical Normal or horseshoe), and the joint mode collapses to a zero scale; use "
            "sample(), or choose a fixed scale with bl.scale_by_evidence / bl.scale_by_cv"
        )
    if priors.has_kink:
        res = penalized_mode(d.X, d.y, d.trials, priors, tol=tol, max_iter=max_iter, offset=d.offset)
        return MAPResults(
            model, res.fit, priors, prior_label=label, at_kink=res.at_kink, population_names=population_names
        )
    fit = newton(d.X, d.y, d.trials, priors, tol=tol, max_iter=max_iter, offset=d.offset)
    return MAPResults(model, fit, priors, prior_label=label, population_names=population_names)


def describe_spec(spec) -> str:
    """The priors of a fit in words (its label): ``"Normal(0, 1)"``, ``"custom priors"``..."""
    return _describe_spec(spec)


def _describe_spec(spec) -> str:
    if isinstance(spec, Prior):
        return str(spec)
    if hasattr(spec, "describe"):
        return spec.describe()
    return "custom priors"
