"""Point fits (MLE, MAP) of multinomial and ordinal models, per outcome.

:func:`fit_categorical` runs :func:`bayeslogit.fit.categorical.categorical_mode` for a model
whose design has a categorical family and wraps the result as :class:`CategoricalResults`:
``params`` labelled by ``(outcome, term)`` (multinomial) or by term with ``MASS::polr``'s
cutpoint names (ordinal), a tidy ``coef_table()``, ``summary()``, ``predict()`` (the
probability of every outcome), ``predict_class()``, ``odds_ratios()`` and
``marginal_effects()`` (statsmodels' ``MNLogit.get_margeff()``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .. import _blocks
from .._numerics import normal_quantile, normal_sf
from .._validation import check_probability, check_seed
from ..errors import SeparationWarning
from ..fit.categorical import categorical_mode, to_reference
from ..fit.categorical_separation import categorical_separation, describe_separation
from ..fit.newton import covariance
from ..priors import ResolvedPriors, resolve_priors
from ..priors.families import SklearnPrior
from ..summary import Summary
from .base import DEFAULT_CI_PROB
from .categorical_draws import ame_draws, ame_terms, effect_rows, summarize
from .shortcuts import CategoricalPosteriorShortcuts, CategoricalShortcuts

SEPARATION_SE = 1e3
"""An MLE standard error above this (or no convergence, or a fitted probability below
:data:`SEPARATION_P`) makes the MLE suspect: the linear program of
:mod:`bayeslogit.fit.categorical_separation` then decides whether the data are separated."""
SEPARATION_P = 1e-8
CHECK_ALWAYS_MARGINS = 50_000
"""Up to this many margins (rows x (outcomes - 1)) every MLE is checked for separation."""

__all__ = [
    "CategoricalResults",
    "CategoricalPosterior",
    "fit_categorical",
    "outcome_probabilities",
    "new_rows",
    "is_categorical",
    "estimates",
]


def fit_categorical(model, spec: Any = None, *, mle: bool, tol: float, max_iter: int) -> CategoricalResults:
    """The MLE (``mle=True``) or the MAP under ``spec`` (None: the model's priors) of a
    categorical model.

    ``bl.sklearn_prior(C)`` on a multinomial model fits scikit-learn's symmetric
    parameterization: every level's coefficients get the penalty prior ``Normal(0, sqrt(C))``
    (that proper prior is what makes the K coefficient vectors identifiable: adding one vector
    to all K changes no probability but lowers the prior density unless their sum is zero);
    an unpenalised intercept is held at 0 for the reference level. The estimates are reported
    as differences from the reference level, like every other fit.
    """
    d = model.design
    fam = d.response_family
    if mle:
        priors, label = None, "MLE"
    else:
        priors = model.priors if spec is None else resolve_priors(spec, d)
        label = "MAP" if spec is None else f"MAP {spec.describe() if hasattr(spec, 'describe') else spec}"
    symmetric = isinstance(spec, SklearnPrior) and hasattr(fam, "with_symmetric")
    p = d.n_coef
    fit_fam = fam.with_symmetric(True) if symmetric else fam
    fixed = None
    if symmetric and priors is not None:
        improper = set(priors.improper_columns)
        fixed = np.zeros(fit_fam.n_params(p), dtype=bool)
        r = fam.reference
        for j, c in enumerate(d.column_names):
            fixed[r * p + j] = c in improper
    mode = categorical_mode(fit_fam, d.X, d.y, priors, offset=d.offset, fixed=fixed, tol=tol, max_iter=max_iter)
    res, free = mode.fit, mode.free
    # parameters held fixed or at a prior's kink (a lasso zero) get variance 0: the Laplace
    # approximation given the zeros (the posterior, by sample(), gives their uncertainty)
    cov = np.zeros((res.beta.size, res.beta.size))
    cov[np.ix_(free, free)] = covariance(res.neg_hessian)
    theta = res.beta
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    separation = None
    if mle and _suspect(fam, d, res.beta, se, res.converged):
        sep = categorical_separation(fam, d.X, d.y, res.beta, d.offset)
        if sep is not None and sep.kind != "not checked":
            separation = sep.kind
            warnings.warn(
                f"{describe_separation(sep, fam, d.column_names)}: the outcomes are separated by the "
                f"predictors, so the MLE of this {fam.label.lower()} model does not exist (coefficients "
                "diverge; standard errors are meaningless); use fit_map() or sample() (a proper prior "
                "keeps them finite), or drop/merge those columns or outcomes",
                SeparationWarning,
                stacklevel=3,
            )
        elif sep is not None:  # too large for the linear program: the symptoms, in words
            warnings.warn(
                f"the MLE of this {fam.label.lower()} model "
                + (
                    "did not converge"
                    if not res.converged
                    else "has huge standard errors or fitted probabilities near 0"
                )
                + f" and {describe_separation(sep, fam, d.column_names)}: the outcomes may be separated by the "
                "predictors, so the MLE may not exist; use fit_map() or sample() (a proper prior keeps them finite)",
                SeparationWarning,
                stacklevel=3,
            )
    if symmetric:
        theta, cov = to_reference(fam, theta, cov, p)
    return CategoricalResults(
        model,
        theta,
        cov,
        label=label,
        priors=priors,
        converged=res.converged and separation is None,  # separated: the optimum is at infinity
        iterations=res.iterations,
        separation=separation,
    )


def _suspect(fam, design, theta: np.ndarray, se: np.ndarray, converged: bool) -> bool:
    """Whether to check an MLE for separation: always when the data have at most
    :data:`CHECK_ALWAYS_MARGINS` margins (rows x other outcomes; the check then costs well under
    a second), else when it shows a symptom: no convergence, a standard error above
    :data:`SEPARATION_SE`, or a fitted probability below :data:`SEPARATION_P` (by row blocks).
    The symptoms alone miss separation when Newton stops early (a loose ``tol``: the
    estimates are still finite, the standard errors moderate)."""
    if design.n_obs * (fam.n_outcomes - 1) <= CHECK_ALWAYS_MARGINS:
        return True
    if not converged or np.max(se, initial=0.0) > SEPARATION_SE:
        return True
    off = design.offset
    for sl in _blocks.row_slices(design.n_obs, _blocks.block_rows(fam.n_outcomes)):
        if np.min(fam.probs(design.X[sl], theta, None if off is None else off[sl])) < SEPARATION_P:
            return True
    return False


def new_rows(model, data: pd.DataFrame | None, offset: Any = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, offset)`` of the training rows (``data=None``) or of new rows."""
    d = model.design
    if data is None:
        return d.X, d.offset
    return d.encode(data), d.encode_offset(data, offset)


def outcome_probabilities(model, theta: np.ndarray, data=None, offset=None) -> pd.DataFrame:
    """Probabilities of every outcome (columns: the outcome levels) at one parameter vector."""
    X, off = new_rows(model, data, offset)
    fam = model.design.response_family
    index = None if data is None else data.index
    return pd.DataFrame(fam.probs(X, theta, off), columns=list(fam.levels), index=index)


class CategoricalResults(CategoricalShortcuts):
    """A point fit (MLE or MAP) of a multinomial or ordinal model.

    Attributes
    ----------
    params : pandas.Series
        Estimates. Multinomial: indexed by ``(outcome, term)`` for every level but the
        reference (the log relative risk of that level against the reference per unit of the
        term). Ordinal: the slopes by term, then the cutpoints ``"Low|Medium"``...
        (``P(y <= k) = expit(cutpoint_k - x'beta)``, ``MASS::polr``'s convention).
    bse : pandas.Series
        Standard errors (MLE: observed information; MAP: Laplace sds).
    llf : float
        Log-likelihood at the estimate.
    label : str
        ``"MLE"``, ``"MAP"`` or ``"MAP <prior>"``.
    separation : str or None
        MLE only: ``"complete"`` or ``"quasi-complete"`` when a linear program found some
        outcome pair separated by the predictors (the MLE does not exist: the values are where
        Newton stopped), else None.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
    >>> fit = bl.LogitModel("y ~ x", df, family="multinomial").fit_mle()
    >>> fit.params.index.tolist()[:2]
    [('b', 'Intercept'), ('b', 'x')]
    """

    def __init__(
        self,
        model,
        theta,
        cov,
        *,
        label: str,
        priors: ResolvedPriors | None,
        converged: bool,
        iterations: int,
        separation: str | None = None,
    ):
        self.model = model
        self.design = model.design
        self.family = self.design.response_family
        self._theta = np.asarray(theta, dtype=float)
        self._cov = np.asarray(cov, dtype=float)
        self.label = label
        self.priors = priors
        self.converged = bool(converged)
        self.iterations = int(iterations)
        self.separation = separation

    def __repr__(self) -> str:
        return f"<CategoricalResults {self.label}: {self.family!r}, {self._theta.size} parameters>"

    @property
    def is_mle(self) -> bool:
        return self.priors is None

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._theta, index=self.family.param_index(self.design.column_names), name=self.label)

    @property
    def bse(self) -> pd.Series:
        return pd.Series(np.sqrt(np.clip(np.diag(self._cov), 0, None)), index=self.params.index, name="std err")

    def cov_params(self) -> pd.DataFrame:
        idx = self.params.index
        return pd.DataFrame(self._cov, index=idx, columns=idx)

    @property
    def llf(self) -> float:
        d = self.design
        return float(np.sum(self.family.loglik_rows_theta(d.X, d.y, self._theta, d.offset)))

    @property
    def nobs(self) -> float:
        w = self.family.weights
        return float(self.design.n_obs if w is None else np.sum(w))

    @property
    def aic(self) -> float:
        return -2 * self.llf + 2 * self._theta.size

    @property
    def bic(self) -> float:
        return -2 * self.llf + math.log(self.nobs) * self._theta.size

    def conf_int(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        ci_prob = check_probability("ci_prob", ci_prob)
        z = float(normal_quantile((1 + ci_prob) / 2))
        return pd.DataFrame({"lower": self.params - z * self.bse, "upper": self.params + z * self.bse})

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """A tidy table, one row per parameter: ``outcome`` (multinomial) and ``term``, then
        statsmodels' columns for the MLE (``coef``, ``std err``, ``z``, ``P>|z|`` and the Wald
        interval) or the mode, Laplace sd and interval for a MAP.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> t = bl.LogitModel("y ~ x", df, family="multinomial").fit_mle().coef_table()
        >>> t.columns.tolist()[:3], t["outcome"].tolist()
        (['outcome', 'term', 'coef'], ['b', 'b', 'c', 'c'])
        """
        ci = self.conf_int(ci_prob=ci_prob)
        if self.is_mle:
            z = self.params / self.bse
            lo, hi = f"[{(1 - ci_prob) / 2:.3g}", f"{(1 + ci_prob) / 2:.3g}]"
            cols = {"coef": self.params, "std err": self.bse, "z": z, "P>|z|": 2 * normal_sf(np.abs(z.to_numpy()))}
        else:
            lo, hi = "lower", "upper"
            cols = {"mode": self.params, "sd": self.bse}
        table = pd.DataFrame(cols, index=self.params.index)
        table[lo], table[hi] = ci["lower"], ci["upper"]
        return table.reset_index()

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        """The model, the fit statistics and one coefficient table per outcome (multinomial)
        or the slopes and cutpoints (ordinal)."""
        d = self.design
        info = [
            ("Model:", self.family.summary_label),
            ("Formula:", d.formula),
            ("Outcomes:", ", ".join(map(str, self.family.levels))),
            ("Observations:", str(d.n_obs)),
            ("Method:", self.label),
            ("Log-likelihood:", f"{self.llf:.4f}"),
            ("Converged:", str(self.converged)),
        ]
        notes = []
        if self.separation:
            notes.append(
                f"WARNING: {self.separation} separation: the MLE does not exist; estimates and standard "
                "errors are where Newton stopped and are not meaningful. Use fit_map() or sample() "
                "with a proper prior."
            )
        if getattr(self.family, "coef_outcomes", None) is not None:
            info.insert(3, ("Reference:", str(self.family.levels[self.family.reference])))
        table = self.coef_table(ci_prob=ci_prob)
        if "outcome" in table:
            tables = [
                g.drop(columns="outcome").set_index("term").rename_axis(f"{d.response} = {k}")
                for k, g in table.groupby("outcome", sort=False)
            ]
        else:
            tables = [table.set_index("term")]
        return Summary(f"{self.family.label} logistic regression", info, tables, notes)

    def predict(self, data: pd.DataFrame | None = None, *, offset: Any = None) -> pd.DataFrame:
        """The probability of every outcome, one column per level (rows of ``data``, or the
        training rows when None).

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> p = bl.LogitModel("y ~ x", df, family="multinomial").fit_mle().predict(df.head(2))
        >>> p.columns.tolist(), bool(np.allclose(p.sum(axis=1), 1))
        (['a', 'b', 'c'], True)
        """
        return outcome_probabilities(self.model, self._theta, data, offset)

    def predict_class(self, data: pd.DataFrame | None = None, *, offset: Any = None) -> pd.Series:
        """The most probable outcome of each row."""
        return self.predict(data, offset=offset).idxmax(axis=1).rename(self.design.response)

    def odds_ratios(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """``exp`` of the coefficients and of their interval's ends: relative risk ratios
        against the reference level (multinomial), or the odds of a higher outcome per unit
        of the term (ordinal, the same at every cutpoint); the cutpoints are left out."""
        ci = self.conf_int(ci_prob=ci_prob)
        table = pd.DataFrame(
            {"odds_ratio": np.exp(self.params), "lower": np.exp(ci["lower"]), "upper": np.exp(ci["upper"])}
        )
        if not isinstance(table.index, pd.MultiIndex):
            table = table.drop(index=self.family.cutpoint_names)
        return table.reset_index()

    def marginal_effects(self, *, data: pd.DataFrame | None = None, offset: Any = None) -> pd.DataFrame:
        """Average marginal effects ``mean_i dP(y_i = k) / dx_j`` for every outcome ``k``
        and every design column but the intercept, with delta-method standard errors (the
        derivatives of the effects in the parameters by central differences):
        statsmodels' ``MNLogit(...).get_margeff()`` (``at="overall"``, ``method="dydx"``).

        Parameters
        ----------
        data : pandas.DataFrame, optional
            Rows to average over, each once (default: the training rows, a weighted row
            counting ``w`` times).
        offset : array-like, optional
            With ``data`` and a model offset given as an array: the rows' offset.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> fit = bl.LogitModel("y ~ x", df, family="multinomial").fit_mle()
        >>> fit.marginal_effects(data=df.head(10))["outcome"].tolist()
        ['a', 'b', 'c']
        """
        d = self.design
        fam, X, off = effect_rows(self.model, data, offset)
        keep = [j for j, c in enumerate(d.column_names) if c != "Intercept"]

        def ame(theta):
            m = fam.marginal_effects(X, theta, off)
            return m if m.shape[0] == len(keep) else m[keep]

        m = ame(self._theta)
        J = np.empty((m.size, self._theta.size))
        for i in range(self._theta.size):
            h = 1e-6 * max(1.0, abs(self._theta[i]))
            e = np.zeros_like(self._theta)
            e[i] = h
            J[:, i] = (ame(self._theta + e) - ame(self._theta - e)).T.ravel() / (2 * h)
        se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", J, self._cov, J), 0, None))
        terms = [d.column_names[j] for j in keep]
        index = pd.MultiIndex.from_product([list(fam.levels), terms], names=["outcome", "term"])
        eff = m.T.ravel()
        z = eff / se
        out = pd.DataFrame({"dy/dx": eff, "std err": se, "z": z, "P>|z|": 2 * normal_sf(np.abs(z))}, index=index)
        return out.reset_index()


class CategoricalPosterior(CategoricalPosteriorShortcuts):
    """NUTS draws of a multinomial or ordinal model (from :meth:`bayeslogit.LogitModel.sample`).

    ``params`` are the posterior means, labelled as :class:`CategoricalResults`' ``params``;
    ``coef_table()`` is tidy (``outcome`` and ``term`` columns for a multinomial model) with
    the posterior mean, sd, an equal-tailed interval, R-hat and bulk ESS; ``predict()`` gives
    the posterior mean probability of every outcome, computed draw by draw (memory: rows x
    outcomes, never draws x rows). The draws are ``idata.posterior["theta"]`` (dims ``param``).
    """

    def __init__(self, model, idata, *, sampler: str, random_seed: int | None):
        self.model = model
        self.design = model.design
        self.family = self.design.response_family
        self.idata = idata
        self.sampler = sampler
        self.random_seed = random_seed
        self.label = "Posterior"
        th = idata.posterior["theta"]
        self._draws = np.asarray(th.values, dtype=float).reshape(-1, th.shape[-1])  # (chains x draws, params)

    def __repr__(self) -> str:
        return f"<CategoricalPosterior: {self.family!r}, {self._draws.shape[0]} draws ({self.sampler})>"

    @property
    def params(self) -> pd.Series:
        return pd.Series(self._draws.mean(axis=0), index=self.family.param_index(self.design.column_names), name="mean")

    @property
    def n_chains(self) -> int:
        return int(self.idata.posterior.sizes["chain"])

    @property
    def n_draws(self) -> int:
        """Draws per chain."""
        return int(self.idata.posterior.sizes["draw"])

    def draws(self) -> np.ndarray:
        """The parameter draws, shape ``(chains x draws, parameters)`` (chains one after
        another; parameters in the order of :attr:`params`)."""
        return self._draws

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """Posterior mean, sd, equal-tailed ``ci_prob`` interval, R-hat and bulk ESS per parameter.

        A ``method="laplace"`` fit is importance sampling, not MCMC: no R-hat (NaN), and its
        ESS is the importance-sampling ESS of the weighted proposals (the same for every
        parameter; the resampled draws repeat proposals, so ESS of the draws would overstate it)."""
        import arviz_stats as az  # the statistics half of ArviZ: no plotting import

        ci_prob = check_probability("ci_prob", ci_prob)
        lo, hi = (1 - ci_prob) / 2, (1 + ci_prob) / 2
        th = self.idata.posterior["theta"]
        table = pd.DataFrame(
            {
                "mean": self._draws.mean(axis=0),
                "sd": self._draws.std(axis=0, ddof=1),
                f"{100 * lo:g}%": np.quantile(self._draws, lo, axis=0),
                f"{100 * hi:g}%": np.quantile(self._draws, hi, axis=0),
                "r_hat": np.asarray(az.rhat(th).values, dtype=float),
                "ess_bulk": np.asarray(az.ess(th, method="bulk").values, dtype=float),
            },
            index=self.family.param_index(self.design.column_names),
        )
        if self.sampler == "laplace+psis":
            table["r_hat"] = np.nan
            table["ess_bulk"] = float(self.idata.posterior.attrs.get("ess_is", np.nan))
        return table.reset_index()

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        post = self.idata.posterior
        info = [
            ("Model:", self.family.summary_label),
            ("Formula:", self.design.formula),
            ("Outcomes:", ", ".join(map(str, self.family.levels))),
            ("Observations:", str(self.design.n_obs)),
            ("Sampler:", self.sampler),
            ("Draws:", f"{post.sizes['chain']} chains x {post.sizes['draw']}"),
        ]
        table = self.coef_table(ci_prob=ci_prob).set_index(list(self.params.index.names))
        return Summary(f"{self.family.label} logistic regression (posterior)", info, [table])

    def predict(self, data: pd.DataFrame | None = None, *, offset: Any = None) -> pd.DataFrame:
        """Posterior mean probability of every outcome (columns: the levels)."""
        X, off = new_rows(self.model, data, offset)
        total = np.zeros((X.shape[0], self.family.n_outcomes))
        for theta in self._draws:
            total += self.family.probs(X, theta, off)
        index = None if data is None else data.index
        return pd.DataFrame(total / len(self._draws), columns=list(self.family.levels), index=index)

    def posterior_predictive(
        self, data: pd.DataFrame | None = None, *, random_seed: int | None = None, offset: Any = None
    ) -> pd.DataFrame:
        """Replicated outcomes: one outcome per posterior draw (rows) and data row (columns),
        drawn from each draw's probabilities; values are the outcome levels. Memory: draws x
        rows outcome codes (the smallest integer type) plus one draw's rows x outcomes
        probabilities at a time.

        Parameters
        ----------
        data : DataFrame, optional
            New rows (default: the training rows).
        random_seed : int, optional
            Same seed -> the same outcomes.
        """
        X, off = new_rows(self.model, data, offset)
        rng = np.random.default_rng(check_seed(random_seed))
        fam = self.family
        codes = np.empty((self._draws.shape[0], X.shape[0]), dtype=fam.outcome_dtype())
        for s, theta in enumerate(self._draws):
            codes[s] = fam.draw(fam.probs(X, theta, off), rng)
        levels = np.asarray(fam.levels, dtype=object)
        return pd.DataFrame(levels[codes], columns=None if data is None else data.index)

    def odds_ratios(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """``exp`` of every coefficient draw, summarised: ``mean``, ``median``, ``sd`` and the
        equal-tailed interval (``eti95_lb``, ``eti95_ub``). Relative risk ratios against the
        reference level (multinomial) or the odds of a higher outcome per unit (ordinal; the
        cutpoints are left out), as :meth:`CategoricalResults.odds_ratios`."""
        ci_prob = check_probability("ci_prob", ci_prob)
        index = self.family.param_index(self.design.column_names)
        table = summarize(np.exp(self._draws), index, ci_prob, median=True)
        if not isinstance(table.index, pd.MultiIndex):
            table = table.drop(index=self.family.cutpoint_names)
        return table.reset_index()

    def marginal_effect_draws(self, *, data: pd.DataFrame | None = None, offset: Any = None) -> np.ndarray:
        """Average marginal effects ``mean_i dP(y_i = k) / dx_j`` over the training rows (a
        weighted row counts ``w`` times) or the rows of ``data`` (each once; ``offset``: their
        offset) at every draw: an array of shape ``(draws, outcomes, terms)`` (chains one after
        another; outcomes in the order of the levels; terms every design column but
        ``Intercept``), computed by row blocks."""
        fam, X, off = effect_rows(self.model, data, offset)
        return ame_draws(fam, X, off, self._draws, ame_terms(self.design)[0])

    def marginal_effects(
        self, *, data: pd.DataFrame | None = None, ci_prob: float = DEFAULT_CI_PROB, offset: Any = None
    ) -> pd.DataFrame:
        """Average marginal effects per outcome and term, summarised over the draws: one row
        per ``(outcome, term)`` with ``mean``, ``sd`` and the equal-tailed interval. At each
        draw they are :meth:`CategoricalResults.marginal_effects`' effects (statsmodels'
        ``get_margeff()`` at the MLE); see :meth:`marginal_effect_draws`. ``data``: rows to
        average over, each once (default: the training rows, a weighted row counting ``w``
        times); ``offset``: their offset.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(1)
        >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
        >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
        ...     draws=200, chains=2, random_seed=1, method="laplace")
        >>> post.marginal_effects().columns.tolist()
        ['outcome', 'term', 'mean', 'sd', 'eti95_lb', 'eti95_ub']
        """
        ci_prob = check_probability("ci_prob", ci_prob)
        m = self.marginal_effect_draws(data=data, offset=offset)
        index = pd.MultiIndex.from_product(
            [list(self.family.levels), ame_terms(self.design)[1]], names=["outcome", "term"]
        )
        return summarize(m.reshape(m.shape[0], -1), index, ci_prob).reset_index()

    def predict_class(self, data: pd.DataFrame | None = None, *, offset: Any = None) -> pd.Series:
        """The outcome of highest posterior mean probability for each row."""
        return self.predict(data, offset=offset).idxmax(axis=1).rename(self.design.response)


def is_categorical(fit: Any) -> bool:
    """Whether ``fit`` is a multinomial or ordinal fit (a point fit or a posterior)."""
    return isinstance(fit, (CategoricalResults, CategoricalPosterior))


def estimates(fit: CategoricalResults | CategoricalPosterior, ci_prob: float) -> pd.DataFrame:
    """``estimate``, ``sd``, ``lower``, ``upper`` per parameter (indexed as ``params``): the
    MLE or mode with its Wald / Laplace interval, or the posterior mean, sd and equal-tailed
    interval of the draws (:func:`bayeslogit.compare`)."""
    if isinstance(fit, CategoricalPosterior):
        th = fit.idata.posterior["theta"].values
        table = summarize(th.reshape(-1, th.shape[-1]), fit.params.index, ci_prob)
        return table.set_axis(["estimate", "sd", "lower", "upper"], axis=1)
    ci = fit.conf_int(ci_prob=ci_prob)
    return pd.DataFrame({"estimate": fit.params, "sd": fit.bse, "lower": ci["lower"], "upper": ci["upper"]})
