"""Results objects. Every fit (posterior, MLE, MAP) shares one interface:
``params``, ``coef_table()``, ``summary()``, labelled by the design's column names.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .._validation import check_probability
from ..errors import ArgumentError
from ..summary import Summary, shorten
from .shortcuts import ResultsShortcuts

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LogitModel

__all__ = ["Results", "DEFAULT_CI_PROB", "resolve_ci_prob"]

DEFAULT_CI_PROB = 0.95
"""The one default interval probability of every fit and every function taking ``ci_prob``.

0.95 is what statsmodels, brms and rstanarm users read, so the MLE's Wald interval, the MAP's
Laplace interval and the posterior's equal-tailed interval sit side by side at the same level.
(ArviZ 1.x defaults to 0.89; bayeslogit passes ``ci_prob`` to ArviZ explicitly.)"""


def resolve_ci_prob(ci_prob: float | None) -> float:
    """``ci_prob`` checked (:func:`~bayeslogit._validation.check_probability`); ``None`` gives
    :data:`DEFAULT_CI_PROB`."""
    return DEFAULT_CI_PROB if ci_prob is None else check_probability("ci_prob", ci_prob)


class Results(ResultsShortcuts):
    """Shared interface of every fit of a :class:`~bayeslogit.LogitModel`.

    A results object is built complete and does not change afterwards: what it is called
    (:attr:`label`) and which of its coefficients it shares with other fits of the model
    (:attr:`population_names`) are given to the constructor, saved with the fit and read-only.
    Subclasses call :meth:`_init_results` and implement :attr:`params` and :meth:`coef_table`;
    point fits also ``cov_params()``. Prediction, interpretation and saving (``predict``,
    ``odds_ratios``, ``marginal_effects``, ``save``) are shortcuts to later stages, in
    :mod:`bayeslogit.results.shortcuts`.
    """

    model: LogitModel
    method: str = ""
    _label: str
    _population_names: tuple[str, ...] | None

    def _init_results(self, model: LogitModel, *, label: str, population_names=None) -> None:
        """Set what every fit has: its model, label and population coefficient names."""
        self.model = model
        if not isinstance(label, str) or not label:
            raise ArgumentError(f"label must be a non-empty string, got {label!r}")
        self._label = label
        if population_names is None:
            self._population_names = None
        else:
            names = tuple(population_names)
            if not all(isinstance(n, str) for n in names):
                raise ArgumentError(f"population_names must be strings, got {population_names!r}")
            self._population_names = names

    @property
    def label(self) -> str:
        """What the fit is called in tables and plots: ``"MLE"``, ``"MLE (no pooling)"``,
        ``"MAP Normal(0, 1)"``, ``"Posterior"`` (default priors) or ``"Posterior Normal(0, 1)"``."""
        return self._label

    @property
    def population_names(self) -> list[str]:
        """The coefficients this fit shares with every fit of its model (``bl.compare`` lines
        fits up on them): the design's columns, except for a pooled point fit of a model with
        group terms (``fit_mle(pooling="none")`` adds a coefficient per level), where they are
        the model's own columns."""
        return list(self.coef_names if self._population_names is None else self._population_names)

    @property
    def design(self):
        """The model's :class:`~bayeslogit.design.Design`."""
        return self.model.design

    @property
    def coef_names(self) -> list[str]:
        """Design column names, in coefficient order."""
        return list(self.design.column_names)

    @property
    def params(self) -> pd.Series:  # pragma: no cover - abstract
        """Point estimates of the coefficients, indexed by design column name."""
        raise NotImplementedError

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:  # pragma: no cover - abstract
        """One row per coefficient, labelled by design column name."""
        raise NotImplementedError

    def _repr_facts(self) -> list[str]:
        """What the one-line ``repr`` says after the formula (subclasses add theirs)."""
        return [f"n={self.design.n_obs}", f"{self.design.n_coef} coef"]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {shorten(self.design.formula)!r}: {', '.join(self._repr_facts())}>"

    def _repr_html_(self) -> str:
        """A small table for notebooks: formula, rows, how it was fitted, the coefficient table."""
        d = self.design
        info = [
            ("Formula:", d.formula),
            ("Observations:", str(d.n_obs)),
            ("Method:", getattr(self, "method_label", None) or self.label),
        ]
        return Summary(type(self).__name__, info, [self.coef_table()]).as_html()

    def _model_info(self) -> list[tuple[str, str]]:
        d = self.design
        if d.response.replace(" ", "").startswith("cbind("):  # R's cbind(successes, failures)
            coding = f"{d.response}: successes and failures (binomial)"
        elif d.trials_name is None:
            coding = f"{d.response} = {d.levels[1]!r} is the event"
        else:
            coding = f"{d.response} successes of {d.trials_name} trials"
        if d.weights_name is not None:
            kind = "likelihood" if d.weights.dtype.kind == "f" else "frequency"
            coding += f", rows weighted by {d.weights_name} ({kind} weights)"
        rows = [
            ("Formula:", d.formula),
            ("Response:", coding),
            ("Likelihood:", f"{d.family.capitalize()}, logit link"),
            ("Observations:", str(d.n_obs)),
        ]
        if d.groups is not None:  # multilevel model: its group terms and their level counts
            rows.append(("Group terms:", "; ".join(f"({t.label}): {t.n_levels} levels" for t in d.groups.terms)))
        if d.weights is not None:
            total = d.weights.sum()
            rows.append(("Weighted observations:", f"{total:.6g}" if d.weights.dtype.kind == "f" else str(int(total))))
        if getattr(d, "offset", None) is not None:
            rows.append(("Offset:", f"{d.offset_label} (coefficient fixed at 1)"))
        if d.n_dropped:
            rows.append(("Rows dropped (NA):", str(d.n_dropped)))
        return rows
