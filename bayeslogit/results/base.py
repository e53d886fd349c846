"""Results objects. Every fit (posterior, MLE, MAP) shares one interface:
``params``, ``coef_table()``, ``summary()``, labelled by the design's column names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from .shortcuts import ResultsShortcuts

if TYPE_CHECKING:  # pragma: no cover
    from ..model import LogitModel

__all__ = ["Results", "DEFAULT_CI_PROB"]

DEFAULT_CI_PROB = 0.89
"""ArviZ 1.x's default credible-interval probability (an equal-tailed 89% interval)."""


class Results(ResultsShortcuts):
    """Shared interface of every fit of a :class:`~bayeslogit.LogitModel`.

    Subclasses set ``model`` and implement :attr:`params` and :meth:`coef_table`; point fits
    also ``cov_params()``. Prediction, interpretation and saving (``predict``, ``odds_ratios``,
    ``marginal_effects``, ``save``) are shortcuts to later stages, in
    :mod:`bayeslogit.results.shortcuts`.
    """

    model: "LogitModel"
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

    def _model_info(self) -> list[tuple[str, str]]:
        d = self.design
        coding = (
            f"{d.response} = {d.levels[1]!r} is the event" if d.trials is None
            else f"{d.response} successes of {d.trials_name} trials"
        )
        rows = [
            ("Formula:", d.formula),
            ("Response:", coding),
            ("Likelihood:", f"{d.family.capitalize()}, logit link"),
            ("Observations:", str(d.n_obs)),
        ]
        if d.n_dropped:
            rows.append(("Rows dropped (NA):", str(d.n_dropped)))
        return rows
