"""Results objects. Every fit (posterior, MLE, MAP) shares one interface:
``params``, ``coef_table()``, ``summary()``, labelled by the design's column names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..errors import check_probability, renamed_argument
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


def resolve_ci_prob(
    ci_prob: float | None, interval: float | None = None, *, where: str = "", stacklevel: int = 4
) -> float:
    """``ci_prob`` checked (``None``: :data:`DEFAULT_CI_PROB`); ``interval`` is its deprecated
    alias (FutureWarning; both given is an :class:`~bayeslogit.ArgumentError`)."""
    ci_prob = renamed_argument("ci_prob", ci_prob, "interval", interval, where=where, stacklevel=stacklevel)
    return DEFAULT_CI_PROB if ci_prob is None else check_probability(ci_prob, "ci_prob")


class Results(ResultsShortcuts):
    """Shared interface of every fit of a :class:`~bayeslogit.LogitModel`.

    Subclasses set ``model`` and implement :attr:`params` and :meth:`coef_table`; point fits
    also ``cov_params()``. Prediction, interpretation and saving (``predict``, ``odds_ratios``,
    ``marginal_effects``, ``save``) are shortcuts to later stages, in
    :mod:`bayeslogit.results.shortcuts`.
    """

    model: LogitModel
    method: str = ""

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

    def coef_table(self, **kwargs) -> pd.DataFrame:  # pragma: no cover - abstract
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
        coding = (
            f"{d.response} = {d.levels[1]!r} is the event"
            if d.trials_name is None
            else f"{d.response} successes of {d.trials_name} trials"
        )
        if d.weights_name is not None:
            coding += f", rows weighted by {d.weights_name} (frequency weights)"
        rows = [
            ("Formula:", d.formula),
            ("Response:", coding),
            ("Likelihood:", f"{d.family.capitalize()}, logit link"),
            ("Observations:", str(d.n_obs)),
        ]
        if d.groups is not None:  # multilevel model: its group terms and their level counts
            rows.append(("Group terms:", "; ".join(f"({t.label}): {t.n_levels} levels" for t in d.groups.terms)))
        if d.weights is not None:
            rows.append(("Weighted observations:", str(int(d.weights.sum()))))
        if getattr(d, "offset", None) is not None:
            rows.append(("Offset:", f"{d.offset_label} (coefficient fixed at 1)"))
        if d.n_dropped:
            rows.append(("Rows dropped (NA):", str(d.n_dropped)))
        return rows
