"""Estimates side by side: MLE, MAP and posterior in one labelled table and one forest plot.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from .._validation import check_probability
from ..errors import ArgumentError, SeparationWarning
from ..results.base import DEFAULT_CI_PROB, Results
from ..results.categorical import estimates as categorical_estimates
from ..results.categorical import is_categorical
from ..results.point import MLEResults
from .predict import is_posterior, summarize_draws

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

    from ..results.point import PointResults
    from ..results.posterior import PosteriorResults

__all__ = ["compare", "compare_groups", "plot_compare"]


def _labelled(fits, names) -> dict[str, PointResults | PosteriorResults]:
    if len(fits) == 1 and isinstance(fits[0], dict):
        mapping = fits[0]
        fits = tuple(mapping.values())
        names = list(mapping.keys()) if names is None else names
    if not fits:
        raise ArgumentError("compare needs at least one fit, e.g. bl.compare(mle, map_, post)")
    for f in fits:
        if not isinstance(f, Results) and not is_categorical(f):
            raise ArgumentError(f"compare takes bayeslogit results (fit_mle/fit_map/sample), got {type(f).__name__}")
    if names is None:
        names = [f.label for f in fits]
    if len(names) != len(fits):
        raise ArgumentError(f"names has {len(names)} entries for {len(fits)} fits")
    out: dict[str, PointResults | PosteriorResults] = {}
    for name, fit in zip(names, fits):
        key, k = str(name), 2
        while key in out:
            key, k = f"{name} ({k})", k + 1
        out[key] = fit
    first = next(iter(out.values()))
    if any(is_categorical(f) for f in out.values()):  # multinomial, ordinal: the same parameters
        for key, fit in out.items():
            if not (is_categorical(fit) and fit.params.index.equals(first.params.index)):
                raise ArgumentError(
                    f"fit {key!r} does not have the parameters of {next(iter(out))!r}; compare "
                    "multinomial or ordinal fits of the same formula, family and reference level"
                )
        return out
    for key, fit in out.items():
        # a no-pooling fit of a model with group terms (fit_mle(pooling="none")) is compared on
        # the population coefficients it shares with the others (population_names)
        if fit.population_names != first.population_names:
            raise ArgumentError(
                f"fit {key!r} has coefficients {fit.population_names}, which differ from {first.population_names}; "
                "compare fits of the same formula"
            )
    return out


def _estimates(fit: PointResults | PosteriorResults, ci_prob: float) -> pd.DataFrame:
    """estimate, sd, lower, upper for one fit: Wald/Laplace for point fits, ETI for draws."""
    if is_categorical(fit):
        return categorical_estimates(cast(Any, fit), ci_prob)
    if is_posterior(fit):
        table = pd.DataFrame(summarize_draws(fit.draws(), ci_prob, ("lower", "upper")), index=fit.coef_names)
        return table.rename(columns={"mean": "estimate"})
    ci = fit.conf_int(ci_prob=ci_prob)
    names = fit.population_names
    return pd.DataFrame(
        {"estimate": fit.params, "sd": fit.bse, "lower": ci["lower"], "upper": ci["upper"]}, index=fit.coef_names
    ).loc[names]


def compare(*fits: Results, names: list[str] | None = None, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
    """Estimates of several fits of one model side by side.

    Parameters
    ----------
    *fits : results
        Fits of the same formula (``fit_mle()``, ``fit_map()``, ``sample()``), or one dict
        mapping names to fits.
    names : list of str, optional
        Column labels; default the fits' own labels (``"MLE"``, ``"MAP Normal(0, 1)"``,
        ``"Posterior"``, ``"Posterior Normal(0, 1)"``).
    ci_prob : float
        Interval probability: Wald (MLE), Laplace (MAP) or equal-tailed posterior (draws).

    Returns
    -------
    pandas.DataFrame
        Indexed by term (multinomial fits: by ``outcome`` and ``term``; ordinal: the slopes
        then the cutpoints); columns a (fit, statistic) MultiIndex with statistics
        ``estimate`` (MLE / mode / posterior mean), ``sd`` (standard error / Laplace sd /
        posterior sd), ``lower``, ``upper``. Prints as text; renders as HTML in notebooks.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> m = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1))
    >>> table = bl.compare(m.fit_mle(), m.fit_map(priors=bl.sklearn_prior(C=1, fit_intercept=False)))
    >>> table.columns.get_level_values(0).unique().tolist()
    ['MLE', 'MAP sklearn C=1, fit_intercept=False']
    """
    check_probability("ci_prob", ci_prob)
    labelled = _labelled(fits, names)
    for name, fit in labelled.items():
        separation = getattr(fit, "separation", None) if isinstance(fit, MLEResults) or is_categorical(fit) else None
        if separation:  # a categorical MLE names its separated outcome pairs in fit_mle()'s warning
            along = f" (along {fit.separating_columns})" if isinstance(fit, MLEResults) else ""
            warnings.warn(
                f"compare(): {name!r} is an MLE of {separation}ly separated data{along}: it does "
                "not exist, so its estimates and sds are where the "
                "optimiser stopped, not estimates; read the MAP or posterior columns instead",
                SeparationWarning,
                stacklevel=2,
            )
    parts = {name: _estimates(fit, ci_prob) for name, fit in labelled.items()}
    table = pd.concat(parts, axis=1)
    if table.index.nlevels == 1:
        table.index.name = "term"
    table.columns.names = ["fit", "statistic"]
    table.attrs["ci_prob"] = ci_prob
    return table


def compare_groups(*fits: Results, names: list[str] | None = None) -> pd.DataFrame | None:
    """The group sds and correlations of the fits that have them, side by side: the GLMM
    maximum likelihood's estimates (``fit_mle()`` of a model with group terms) and the
    posterior's means and sds, one row per ``sd(x | g)`` / ``cor(a, b | g)``; None when no fit
    has group terms (the pooled fits have none). Used by the report and the CLI.
    """
    labelled = _labelled(fits, names)
    cols: dict[tuple[str, str], pd.Series] = {}
    for name, fit in labelled.items():
        if is_categorical(fit) or fit.design.groups is None or not hasattr(fit, "group_summary"):
            continue
        gs = fit.group_summary()
        if is_posterior(fit):
            cols[(name, "estimate")], cols[(name, "sd")] = gs["mean"], gs["sd"]
        else:
            cols[(name, "estimate")] = gs["estimate"]
    if not cols:
        return None
    table = pd.DataFrame(cols)
    table.columns.names = ["fit", "statistic"]
    table.index.name = "term"
    return table


def plot_compare(
    *fits: Results, names: list[str] | None = None, ci_prob: float = DEFAULT_CI_PROB, ax=None
) -> matplotlib.figure.Figure:
    """Forest plot of :func:`compare`: each term's estimates and intervals, one colour per fit.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> m = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1))
    >>> fig = bl.plot_compare(m.fit_mle(), m.fit_map(priors=bl.Normal(0, 1)))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Intercept', 'x1', 'x2']
    """
    import matplotlib.pyplot as plt

    table = compare(*fits, names=names, ci_prob=ci_prob)
    fit_names = list(dict.fromkeys(table.columns.get_level_values(0)))
    terms = [":".join(map(str, t)) if isinstance(t, tuple) else str(t) for t in table.index]
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 0.6 + 0.55 * len(terms) * max(1, len(fit_names) / 2)))
    else:
        fig = ax.figure
    k = len(fit_names)
    offsets = (np.arange(k) - (k - 1) / 2) * (0.6 / max(k, 1))
    for i, name in enumerate(fit_names):
        sub = table[name]
        y = np.arange(len(terms))[::-1] + offsets[i]
        ax.errorbar(
            sub["estimate"],
            y,
            xerr=[sub["estimate"] - sub["lower"], sub["upper"] - sub["estimate"]],
            fmt="o",
            capsize=3,
            label=name,
        )
    ax.set_yticks(np.arange(len(terms))[::-1], terms)
    ax.axvline(0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel(f"coefficient (log-odds), {ci_prob:.0%} intervals")
    # above the axes: inside them, "best" could still cover a fit's points, and below them it
    # collides with the x-label at the default size
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(k, 3), fontsize="small", frameon=False)
    fig.tight_layout()
    return fig
