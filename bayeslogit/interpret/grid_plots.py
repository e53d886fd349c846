"""``plot_predictions``, ``plot_comparisons``, ``plot_slopes``: a quantity against one variable,
one line per level of another.

The grid (:func:`~bayeslogit.datagrid`): the first ``condition`` variable on the x axis (numeric:
``points`` values evenly spaced over its training range; factor: its levels), the second, if
any, one line per value (factor: its levels; numeric: mean - sd, mean, mean + sd, as
marginaleffects), every other variable at its mean or most frequent level. Each line is
:func:`~bayeslogit.predictions` on that grid, with its band (``conf_low``/``conf_high``: the
delta-method interval of a point fit, the equal-tailed posterior interval of a posterior);
factors on the x axis are drawn as points with error bars. The table the figure shows rides on
it as ``fig.predictions_table``. ``plot_comparisons`` and ``plot_slopes`` draw
:func:`~bayeslogit.comparisons` and :func:`~bayeslogit.slopes` of one variable on the same grid
(``fig.comparisons_table``, ``fig.slopes_table``), with a dotted line at zero.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .grid import datagrid, factor_levels, is_factor, model_variables
from .marginal import SLOPE_LABELS, comparisons, predictions, slopes

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

    from ..results.base import Results

__all__ = ["plot_predictions", "plot_comparisons", "plot_slopes"]


def _values(results: Results, name: str, points: int, line: bool) -> list:
    train = model_variables(results)
    if is_factor(results, train, name):
        return factor_levels(train[name])
    x = train[name].to_numpy(dtype=float)
    if line:
        m, s = float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
        return [m - s, m, m + s] if s > 0 else [m]
    return list(np.linspace(x.min(), x.max(), points))


def _line_keys(table: pd.DataFrame, names: list[str]) -> list[str]:
    """The columns that tell the lines apart: the contrast (when several) and ``names[1]``."""
    keys = ["contrast"] if "contrast" in table and table["contrast"].nunique() > 1 else []
    return keys + names[1:]


def _label(key) -> str:
    parts = key if isinstance(key, tuple) else (key,)
    return ", ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in parts)


def _draw(results: Results, names: list[str], points: int, compute, ax) -> pd.DataFrame:
    """Draw one fit's lines and bands on ``ax`` (``compute(grid)`` gives the table); returns the
    plotted table."""
    values = {names[0]: _values(results, names[0], points, line=False)}
    if len(names) == 2:
        values[names[1]] = _values(results, names[1], points, line=True)
    grid = datagrid(results, **values)
    table = compute(grid)
    x_is_factor = is_factor(results, model_variables(results), names[0])
    keys = _line_keys(table, names)
    groups = (
        [(None, table)]
        if not keys
        else list(table.groupby(keys if len(keys) > 1 else keys[0], sort=False, observed=True))
    )
    for k, (level, sub) in enumerate(groups):
        label = None if level is None else _label(level)
        if x_is_factor:
            pos = np.arange(len(sub)) + (k - (len(groups) - 1) / 2) * 0.6 / max(len(groups), 1)
            est = sub["estimate"].to_numpy()
            err = [est - sub["conf_low"].to_numpy(), sub["conf_high"].to_numpy() - est]
            ax.errorbar(pos, est, yerr=err, fmt="o", capsize=3, label=label)
        else:
            x = sub[names[0]].to_numpy(dtype=float)
            (line,) = ax.plot(x, sub["estimate"].to_numpy(), label=label)
            ax.fill_between(
                x, sub["conf_low"].to_numpy(), sub["conf_high"].to_numpy(), color=line.get_color(), alpha=0.2, lw=0
            )
    if x_is_factor:
        ax.set_xticks(np.arange(len(values[names[0]])), [str(v) for v in values[names[0]]])
    ax.set_xlabel(names[0])
    kind = "posterior" if "posterior" in table.attrs["method"] else "confidence"
    ax.set_title(f"{table.attrs['ci_prob']:.0%} {kind} bands", fontsize="small")
    if keys:
        ax.legend(title=", ".join(keys), fontsize="small")
    return table


def _probability_label(results: Results) -> str:
    response = results.design.response
    return f"P({response} = 1)" if results.design.trials_name is None else f"P(event) of {response}"


def _fits(results, what: str) -> list[Results]:
    fits: list[Results] = list(results) if isinstance(results, (list, tuple)) else [cast("Results", results)]
    if not fits or not all(hasattr(f, "design") and hasattr(f, "coef_names") for f in fits):
        raise ArgumentError(f"{what} takes a fit (MLE, MAP or posterior) or a list of fits")
    return fits


def _condition(fits: list[Results], condition, points) -> list[str]:
    names = [condition] if isinstance(condition, str) else list(condition)
    if not 1 <= len(names) <= 2:
        raise ArgumentError(f"condition: give one or two variables (x axis, lines), got {names}")
    if int(points) < 2:
        raise ArgumentError(f"points must be at least 2, got {points!r}")
    for fit in fits:
        known = list(model_variables(fit).columns)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ArgumentError(
                f"condition: {unknown} {'is not a variable' if len(unknown) == 1 else 'are not variables'} "
                f"of the model; its variables are {known}"
            )
    return names


def _figure(fits: list[Results], names, points, ax, compute, ylabel, attr: str, *, probability: bool):
    import matplotlib.pyplot as plt

    if ax is not None and len(fits) > 1:
        raise ArgumentError("ax= draws one fit; several fits get a figure with one panel each (leave ax out)")
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        fig, grid_axes = plt.subplots(
            1, len(fits), figsize=(6.5 if len(fits) == 1 else 4.3 * len(fits), 4.2), sharey=True, squeeze=False
        )
        axes = list(grid_axes[0])
    tables = []
    for fit, a in zip(fits, axes):
        table = _draw(fit, names, int(points), lambda grid, fit=fit: compute(fit, grid), a)
        a.set_ylabel(ylabel(fit))
        if probability:
            a.set_ylim(0, 1)
        else:
            a.axhline(0.0, color="0.6", lw=0.8, ls=":", zorder=0, gid="zero")
        if len(fits) > 1:
            a.set_title(f"{fit.label}: {a.get_title()}", fontsize="small")
            if a is not axes[0]:
                a.set_ylabel("")
            table.insert(0, "fit", fit.label)
        tables.append(table)
    fig.tight_layout()
    out = tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)
    setattr(fig, attr, out)  # documented: the table rides on the Figure
    return fig


def plot_predictions(
    results: Results | Sequence[Results],
    condition: str | list[str],
    *,
    points: int = 50,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
    ax=None,
) -> matplotlib.figure.Figure:
    """Predicted probability against ``condition[0]``, one line (with its band) per value of
    ``condition[1]``; several fits (MLE, MAP, posterior) side by side, one panel each.

    Parameters
    ----------
    results : MLEResults, MAPResults or PosteriorResults, or a list of them
        A list gives one panel per fit (titled with its ``label``), on a shared y axis.
    condition : str or list of one or two str
        Variables of the model: the x axis, then the lines.
    points : int
        Values of a numeric x variable (evenly spaced over its training range).
    ci_prob : float, optional
        Band probability (default 0.95).
    new_groups, random_seed, group_effects
        As :func:`~bayeslogit.predictions` (posteriors of group models; ``group_effects=False``:
        population-level curves, no group effect).
    ax : matplotlib Axes, optional
        Draw there (one fit only); default a new figure.

    Returns
    -------
    matplotlib.figure.Figure
        With the plotted table as ``fig.predictions_table`` (several fits: a ``fit`` column
        holds each one's label).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> fit = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=1)).fit_mle()
    >>> fig = bl.plot_predictions(fit, ["x1", "x2"], points=20)
    >>> len(fig.axes[0].lines), fig.axes[0].get_xlabel()
    (3, 'x1')
    """
    fits = _fits(results, "plot_predictions")
    names = _condition(fits, condition, points)

    def compute(fit, grid):
        return predictions(
            fit, grid, ci_prob=ci_prob, new_groups=new_groups, random_seed=random_seed, group_effects=group_effects
        )

    return _figure(fits, names, points, ax, compute, _probability_label, "predictions_table", probability=True)


def _one_variable(variables, what: str) -> str:
    name = variables if isinstance(variables, str) else None
    if isinstance(variables, dict) and len(variables) == 1:
        name = next(iter(variables))
    if name is None:
        raise ArgumentError(f"{what}: variables names one variable (a name, or {{name: contrast}}), got {variables!r}")
    return name


def plot_comparisons(
    results: Results | Sequence[Results],
    variables,
    condition: str | list[str],
    *,
    comparison: str = "difference",
    points: int = 50,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
    ax=None,
) -> matplotlib.figure.Figure:
    """The contrast of :func:`~bayeslogit.comparisons` for one variable against
    ``condition[0]``, one line (with its band) per value of ``condition[1]`` (and per contrast,
    for a factor's default contrasts against its first level); several fits side by side.

    Parameters
    ----------
    results : MLEResults, MAPResults or PosteriorResults, or a list of them
    variables : str or {name: contrast}
        The variable whose change is compared (as :func:`~bayeslogit.comparisons`, e.g.
        ``"x2"`` for ``+1``, ``{"g": ["a", "c"]}``).
    condition : str or list of one or two str
        The x axis, then the lines (the grid is that of :func:`plot_predictions`).
    comparison : str
        ``"difference"``, ``"ratio"`` or ``"lnor"``.
    points, ci_prob, new_groups, random_seed, group_effects, ax
        As :func:`plot_predictions`.

    Returns
    -------
    matplotlib.figure.Figure
        With the plotted table as ``fig.comparisons_table``. A dotted line marks zero.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> fit = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=1)).fit_mle()
    >>> fig = bl.plot_comparisons(fit, "x2", "x1", points=20)
    >>> fig.axes[0].get_ylabel()
    'difference in P(y = 1), x2 +1'
    """
    fits = _fits(results, "plot_comparisons")
    names = _condition(fits, condition, points)
    name = _one_variable(variables, "plot_comparisons")
    spec = variables if isinstance(variables, dict) else [name]

    def compute(fit, grid):
        return comparisons(
            fit,
            spec,
            comparison=comparison,
            newdata=grid,
            ci_prob=ci_prob,
            new_groups=new_groups,
            random_seed=random_seed,
            group_effects=group_effects,
        )

    def ylabel(fit):
        table_label = {"difference": "difference in", "ratio": "ratio of", "lnor": "log odds ratio of"}
        text = f"{table_label.get(comparison, comparison)} {_probability_label(fit)}, {name}"
        if isinstance(variables, dict):
            return f"{text} {variables[name]}"
        return text + (" +1" if not is_factor(fit, model_variables(fit), name) else "")

    return _figure(fits, names, points, ax, compute, ylabel, "comparisons_table", probability=False)


def plot_slopes(
    results: Results | Sequence[Results],
    variables: str,
    condition: str | list[str],
    *,
    slope: str = "dydx",
    points: int = 50,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
    group_effects: bool = True,
    ax=None,
) -> matplotlib.figure.Figure:
    """The slope of :func:`~bayeslogit.slopes` in one numeric variable against
    ``condition[0]``, one line (with its band) per value of ``condition[1]``; several fits
    side by side.

    Parameters
    ----------
    results : MLEResults, MAPResults or PosteriorResults, or a list of them
    variables : str
        A numeric variable of the model (a factor: use :func:`plot_comparisons`).
    condition : str or list of one or two str
        The x axis, then the lines (the grid is that of :func:`plot_predictions`).
    slope : str
        ``"dydx"``, ``"eyex"``, ``"eydx"`` or ``"dyex"``.
    points, ci_prob, new_groups, random_seed, group_effects, ax
        As :func:`plot_predictions`.

    Returns
    -------
    matplotlib.figure.Figure
        With the plotted table as ``fig.slopes_table``. A dotted line marks zero.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> fit = bl.LogitModel("y ~ x1 + x2", simulate_seed(300, random_seed=1)).fit_mle()
    >>> fig = bl.plot_slopes(fit, "x1", "x1", points=20)
    >>> fig.axes[0].get_ylabel()
    'dP(y = 1)/dx1'
    """
    fits = _fits(results, "plot_slopes")
    names = _condition(fits, condition, points)
    if not isinstance(variables, str):
        raise ArgumentError(f"plot_slopes: variables names one numeric variable, got {variables!r}")
    for fit in fits:
        if variables in model_variables(fit).columns and is_factor(fit, model_variables(fit), variables):
            raise ArgumentError(
                f"plot_slopes: {variables!r} is a factor, which has no slope; use plot_comparisons(fit, {variables!r}, ...)"
            )

    def compute(fit, grid):
        return slopes(
            fit,
            [variables],
            slope=slope,
            newdata=grid,
            ci_prob=ci_prob,
            new_groups=new_groups,
            random_seed=random_seed,
            group_effects=group_effects,
        )

    def ylabel(fit):
        p = _probability_label(fit)
        return f"d{p}/d{variables}" if slope == "dydx" else f"{SLOPE_LABELS.get(slope, slope)} of {p} in {variables}"

    return _figure(fits, names, points, ax, compute, ylabel, "slopes_table", probability=False)
