"""``plot_predictions``: predicted probability against one variable, one line per level of another.

The grid (:func:`~bayeslogit.datagrid`): the first ``condition`` variable on the x axis (numeric:
``points`` values evenly spaced over its training range; factor: its levels), the second, if
any, one line per value (factor: its levels; numeric: mean - sd, mean, mean + sd, as
marginaleffects), every other variable at its mean or most frequent level. Each line is
:func:`~bayeslogit.predictions` on that grid, with its band (``conf_low``/``conf_high``: the
delta-method interval of a point fit, the equal-tailed posterior interval of a posterior);
factors on the x axis are drawn as points with error bars. The table the figure shows rides on
it as ``fig.predictions_table``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .grid import datagrid, factor_levels, is_factor, model_variables
from .marginal import predictions

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

    from ..results.base import Results

__all__ = ["plot_predictions"]


def _values(results: Results, name: str, points: int, line: bool) -> list:
    train = model_variables(results)
    if is_factor(results, train, name):
        return factor_levels(train[name])
    x = train[name].to_numpy(dtype=float)
    if line:
        m, s = float(x.mean()), float(x.std(ddof=1)) if len(x) > 1 else 0.0
        return [m - s, m, m + s] if s > 0 else [m]
    return list(np.linspace(x.min(), x.max(), points))


def _draw(results: Results, names: list[str], points: int, ci_prob, new_groups, random_seed, ax) -> pd.DataFrame:
    """Draw one fit's lines and bands on ``ax``; returns the plotted table."""
    values = {names[0]: _values(results, names[0], points, line=False)}
    if len(names) == 2:
        values[names[1]] = _values(results, names[1], points, line=True)
    grid = datagrid(results, **values)
    table = predictions(results, grid, ci_prob=ci_prob, new_groups=new_groups, random_seed=random_seed)
    x_is_factor = is_factor(results, model_variables(results), names[0])
    groups = [(None, table)] if len(names) == 1 else list(table.groupby(names[1], sort=False, observed=True))
    for k, (level, sub) in enumerate(groups):
        label = None if level is None else (f"{level:.3g}" if isinstance(level, float) else str(level))
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
    response = results.design.response
    ax.set_ylabel(f"P({response} = 1)" if results.design.trials_name is None else f"P(event) of {response}")
    ax.set_ylim(0, 1)
    kind = "posterior" if "posterior" in table.attrs["method"] else "confidence"
    ax.set_title(f"{table.attrs['ci_prob']:.0%} {kind} bands", fontsize="small")
    if len(names) == 2:
        ax.legend(title=names[1], fontsize="small")
    return table


def plot_predictions(
    results: Results | Sequence[Results],
    condition: str | list[str],
    *,
    points: int = 50,
    ci_prob: float | None = None,
    new_groups: str = "population",
    random_seed: int | None = None,
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
    new_groups, random_seed
        As :func:`~bayeslogit.predictions` (posteriors of group models).
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
    import matplotlib.pyplot as plt

    fits: list[Results] = list(results) if isinstance(results, (list, tuple)) else [cast("Results", results)]
    if not fits or not all(hasattr(f, "design") and hasattr(f, "coef_names") for f in fits):
        raise ArgumentError("plot_predictions takes a fit (MLE, MAP or posterior) or a list of fits")
    if ax is not None and len(fits) > 1:
        raise ArgumentError("ax= draws one fit; several fits get a figure with one panel each (leave ax out)")
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
    if ax is not None:
        fig, axes = ax.figure, [ax]
    else:
        fig, grid_axes = plt.subplots(
            1, len(fits), figsize=(6.5 if len(fits) == 1 else 4.3 * len(fits), 4.2), sharey=True, squeeze=False
        )
        axes = list(grid_axes[0])
    tables = []
    for fit, a in zip(fits, axes):
        table = _draw(fit, names, int(points), ci_prob, new_groups, random_seed, a)
        if len(fits) > 1:
            a.set_title(f"{fit.label}: {a.get_title()}", fontsize="small")
            if a is not axes[0]:
                a.set_ylabel("")
            table.insert(0, "fit", fit.label)
        tables.append(table)
    fig.tight_layout()
    out = tables[0] if len(tables) == 1 else pd.concat(tables, ignore_index=True)
    fig.predictions_table = out  # type: ignore[attr-defined]  # documented: the table rides on the Figure
    return fig
