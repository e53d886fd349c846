"""Choosing the prior scale ``C`` from the data: by cross-validation or by the evidence.

scikit-learn's ``C`` is a prior scale (``sklearn_prior(C)`` is ``Normal(0, sqrt(C))`` on the
slopes under L2). Two of the three classical ways to choose it are here; the third, a prior
on the scale sampled with the coefficients, is a prior family (:class:`bayeslogit.Normal`
with a :class:`bayeslogit.HalfNormal` scale).

- :func:`scale_by_cv`: K-fold cross-validation of the MAP's held-out log score, what
  ``LogisticRegressionCV(scoring="neg_log_loss")`` does (same folds -> same choice; tested).
  Works for every penalty (``l1_ratio``).
- :func:`scale_by_evidence`: empirical Bayes (MacKay 1992): maximise the marginal likelihood
  ``p(y | C)`` over the grid, each value by the Laplace approximation at the MAP,
  ``log p(y | C) ~= log p(y | b) + log p(b | C) + q/2 log(2 pi) - 1/2 log det H``
  (checked against brute-force importance sampling in the tests). L2 only: at an L1 kink the
  log posterior has no curvature, so there is no Laplace approximation. With
  ``fit_intercept=True`` the intercept's flat prior is improper, so the values are relative
  (a constant apart, the same for every ``C``): their differences and the maximiser are exact.

Written here because both are short loops over fits this package already makes (Newton and
the penalized MAP on row subsets); scikit-learn's CV needs its own estimator and folds.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._blocks import linear_predictor
from ..errors import ArgumentError
from ..priors import SklearnPrior, resolve_priors, sklearn_prior
from ..response import as_response, response_family
from .newton import newton
from .penalized import penalized_mode

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LogitModel

__all__ = ["ScaleChoice", "scale_by_cv", "scale_by_evidence"]


@dataclass
class ScaleChoice:
    """The chosen ``C``, the prior it makes and the score of every ``C`` tried.

    Attributes
    ----------
    C : float
        The chosen scale (scikit-learn's ``C``).
    prior : SklearnPrior
        ``sklearn_prior(C, ...)`` at the chosen ``C``: pass it to ``fit_map(priors=...)``.
    table : pandas.DataFrame
        Indexed by ``C``: ``log_score`` (mean held-out log-likelihood per row) and its
        standard error over folds for cross-validation, ``log_evidence`` for the evidence.
    method : str
        How ``C`` was chosen, in words.
    """

    C: float
    prior: SklearnPrior
    table: pd.DataFrame
    method: str
    notes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        extra = "".join(f"; {n}" for n in self.notes)
        return f"<ScaleChoice C={self.C:.4g} by {self.method}{extra}>"

    def plot(self, ax=None):
        """The score against ``C`` (log axis), the chosen ``C`` marked; returns the axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.2))
        col = self.table.columns[0]
        ax.plot(self.table.index, self.table[col], marker="o", ms=3)
        if "se" in self.table:
            ax.fill_between(
                self.table.index, self.table[col] - self.table["se"], self.table[col] + self.table["se"], alpha=0.2
            )
        ax.axvline(self.C, color="C3", ls="--", label=f"chosen C = {self.C:.3g}")
        ax.set_xscale("log")
        ax.set_xlabel("C (prior variance under L2)")
        ax.set_ylabel(col.replace("_", " "))
        ax.set_title(self.method, fontsize=9)
        ax.legend(fontsize=8)
        return ax


def _grid(Cs) -> np.ndarray:
    if isinstance(Cs, numbers.Integral) and not isinstance(Cs, bool):
        if Cs < 2:
            raise ArgumentError(f"Cs must be an integer >= 2 or a list of positive numbers, got {Cs!r}")
        return np.logspace(-4, 4, int(Cs))  # scikit-learn's LogisticRegressionCV grid
    try:
        grid = np.asarray(list(Cs), dtype=float)
    except (TypeError, ValueError):
        raise ArgumentError(f"Cs must be an integer >= 2 or a list of positive numbers, got {Cs!r}") from None
    if grid.ndim != 1 or grid.size < 1 or not np.all(np.isfinite(grid) & (grid > 0)):
        raise ArgumentError(f"Cs must be an integer >= 2 or a list of positive finite numbers, got {Cs!r}")
    return grid


def _map(X, y, trials, priors, offset=None):
    if priors.has_kink:
        return penalized_mode(X, y, trials, priors, offset=offset).fit
    return newton(X, y, trials, priors, offset=offset)


def cv_folds(folds, y: np.ndarray, family, random_seed) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices: ``folds`` stratified folds of the outcome (each outcome's
    rows shuffled by ``random_seed`` and dealt to the folds in turn), or the pairs given
    (``scale_by_cv``, ``bl.kfold``)."""
    n = len(y)
    if isinstance(folds, numbers.Integral) and not isinstance(folds, bool):
        k = int(folds)
        if not 2 <= k <= n:
            raise ArgumentError(
                f"folds must be an integer in [2, {n}] or a list of (train, test) index pairs, got {folds!r}"
            )
        # Stratified: each outcome's rows (shuffled by random_seed) dealt round-robin to the folds.
        rng = np.random.default_rng(random_seed)
        event = as_response(family).stratum(y)  # the family, or the trials (None: Bernoulli)
        fold_of = np.empty(n, dtype=int)
        start = 0
        for rows in (np.flatnonzero(~event), np.flatnonzero(event)):
            rows = rng.permutation(rows)
            fold_of[rows] = (start + np.arange(rows.size)) % k
            start += rows.size
        return [(np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)) for f in range(k)]
    try:
        pairs = [(np.asarray(tr, dtype=int), np.asarray(te, dtype=int)) for tr, te in folds]
    except (TypeError, ValueError):
        raise ArgumentError(
            f"folds must be an integer or a list of (train, test) index pairs, got {type(folds).__name__}"
        ) from None
    if not pairs:
        raise ArgumentError("folds is empty; give an integer >= 2 or (train, test) index pairs")
    return pairs


def scale_by_cv(
    model: LogitModel,
    *,
    Cs: int | Sequence[float] = 10,
    l1_ratio: float = 0.0,
    fit_intercept: bool = True,
    folds: int | Iterable = 5,
    random_seed: int | None = None,
) -> ScaleChoice:
    """Choose ``C`` by K-fold cross-validation of the MAP's held-out log score.

    For every ``C`` the MAP under ``sklearn_prior(C, fit_intercept, l1_ratio=l1_ratio)`` is fitted
    on each training part and scored by the mean log-likelihood of the held-out rows; the ``C``
    with the best mean over folds wins (the first on ties), as in scikit-learn's
    ``LogisticRegressionCV(Cs, cv, scoring="neg_log_loss")``.

    Parameters
    ----------
    model : LogitModel
        The model (its design and response; its own priors are not used).
    Cs : int or list of float
        The grid: an integer gives scikit-learn's ``np.logspace(-4, 4, Cs)``.
    l1_ratio : float
        The penalty, as in :func:`bayeslogit.sklearn_prior` (0 = L2, 1 = L1).
    fit_intercept : bool
        As in :func:`bayeslogit.sklearn_prior`.
    folds : int or list of (train, test) index pairs
        Number of stratified folds (rows shuffled by ``random_seed``), or explicit row indices,
        e.g. ``list(StratifiedKFold(5).split(X, y))`` to match scikit-learn exactly.
    random_seed : int, optional
        Seed of the fold assignment when ``folds`` is an integer.

    Returns
    -------
    ScaleChoice

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> model = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=2))
    >>> choice = bl.scale_by_cv(model, Cs=[0.01, 0.1, 1, 10], random_seed=1)
    >>> choice.table.columns.tolist()
    ['log_score', 'se']
    """
    grid = _grid(Cs)
    d = model.design
    family = response_family(d)
    pairs = cv_folds(folds, d.y, family, random_seed)
    scores = np.empty((grid.size, len(pairs)))
    for i, C in enumerate(grid):
        priors = resolve_priors(sklearn_prior(float(C), fit_intercept, l1_ratio=l1_ratio), d)
        for f, (tr, te) in enumerate(pairs):
            off = getattr(d, "offset", None)
            beta = _map(d.X[tr], d.y[tr], family.take(tr), priors, None if off is None else off[tr]).beta
            eta = linear_predictor(d.X[te], beta, None if off is None else off[te])
            ll = family.take(te).loglik(eta, d.y[te])
            scores[i, f] = float(np.mean(ll))
    mean = scores.mean(axis=1)
    se = scores.std(axis=1, ddof=1) / math.sqrt(len(pairs)) if len(pairs) > 1 else np.full(grid.size, np.nan)
    best = int(np.argmax(mean))
    table = pd.DataFrame({"log_score": mean, "se": se}, index=pd.Index(grid, name="C"))
    method = f"{len(pairs)}-fold cross-validation (held-out log score)"
    return ScaleChoice(
        float(grid[best]),
        sklearn_prior(float(grid[best]), fit_intercept, l1_ratio=l1_ratio),
        table,
        method,
        _edge_note(best, grid),
    )


def _edge_note(best: int, grid: np.ndarray) -> list[str]:
    if grid.size > 1 and best in (0, grid.size - 1):
        return [f"the best C is at the {'lower' if best == 0 else 'upper'} end of the grid; widen Cs"]
    return []


def scale_by_evidence(model: LogitModel, *, Cs: int | Sequence[float] = 41, fit_intercept: bool = True) -> ScaleChoice:
    """Choose ``C`` by the Laplace-approximated marginal likelihood (empirical Bayes, L2 only).

    Parameters
    ----------
    model : LogitModel
        The model (its design and response; its own priors are not used).
    Cs : int or list of float
        The grid: an integer gives ``np.logspace(-4, 4, Cs)``.
    fit_intercept : bool
        As in :func:`bayeslogit.sklearn_prior`: True leaves the intercept flat (the evidence is
        then known up to a constant shared by every ``C``).

    Returns
    -------
    ScaleChoice
        ``table["log_evidence"]`` per ``C``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> model = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=2))
    >>> choice = bl.scale_by_evidence(model, Cs=[0.01, 0.1, 1, 10, 100])
    >>> choice.C
    10.0
    """
    grid = _grid(Cs)
    d = model.design
    values = np.empty(grid.size)
    for i, C in enumerate(grid):
        priors = resolve_priors(sklearn_prior(float(C), fit_intercept), d)
        values[i] = log_evidence_laplace(d.X, d.y, response_family(d), priors, offset=getattr(d, "offset", None))
    best = int(np.argmax(values))
    table = pd.DataFrame({"log_evidence": values}, index=pd.Index(grid, name="C"))
    notes = _edge_note(best, grid)
    if fit_intercept:
        notes.append("relative: the flat intercept makes the evidence known up to a constant")
    return ScaleChoice(
        float(grid[best]),
        sklearn_prior(float(grid[best]), fit_intercept),
        table,
        "Laplace-approximated evidence (empirical Bayes)",
        notes,
    )


def log_evidence_laplace(X, y, trials, priors, *, offset=None) -> float:
    """``log p(y)`` by the Laplace approximation at the MAP (flat priors contribute 0);
    ``trials``: the response family, or the trials per row (None: Bernoulli)."""
    if priors.has_kink:
        raise ArgumentError(
            "the Laplace-approximated evidence needs a smooth log posterior; L1 / elastic-net priors "
            "have a kink at zero (use scale_by_cv for them)"
        )
    fit = newton(X, y, trials, priors, offset=offset)
    sign, logdet = np.linalg.slogdet(fit.neg_hessian)
    if sign <= 0:
        raise ArgumentError("the log posterior has no proper mode here (separated data under a flat prior?)")
    q = len(fit.beta)  # fit.logpost: log-likelihood (binomial coefficients included) + log prior
    return float(fit.logpost) + 0.5 * q * math.log(2 * math.pi) - 0.5 * logdet
