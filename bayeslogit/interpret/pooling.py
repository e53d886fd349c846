"""Complete, no and partial pooling of one group term, per level: the shrinkage figure.

For a model with a group term such as ``(1 + x | g)``, each level ``j`` of ``g`` has its own
value of a varying coefficient (its intercept, its slope of ``x``). Three fits estimate it:

- **complete pooling** (``model.fit_mle(pooling="complete")``): the group term dropped; every level gets the one
  pooled MLE;
- **no pooling** (``model.fit_mle(pooling="none")``): the group term as sum-to-zero coded fixed
  effects, so level ``j``'s value is the population coefficient plus level ``j``'s deviation
  (the last level's deviation is minus the sum of the others'). A level whose own rows are
  separated (all events or none, or perfectly split along ``x``) has no finite MLE: it is
  reported as +-inf (NaN for a slope its data leave undetermined) and flagged, never as the
  number Newton's method stopped at;
- **partial pooling** (the posterior): the population coefficient plus the level's group
  effect, ``beta_c + b_g[j, c]``, summarised over the draws.

Plotted against each level's sample size, small levels are pulled (shrunk) towards the
population value and large ones keep close to their own no-pooling estimate.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

from .._validation import check_probability
from ..errors import ArgumentError, SeparationWarning
from ..response import as_response
from ..results.base import DEFAULT_CI_PROB
from .predict import is_posterior

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

    from ..results.point import MLEResults
    from ..results.posterior import PosteriorResults

__all__ = ["pooling_table", "plot_pooling"]


def _term(post, term):
    groups = post.design.groups
    if groups is None:
        raise ArgumentError(
            f"the pooling comparison needs group terms like (1 | g) in the formula, and "
            f"{post.design.formula!r} has none"
        )
    if term is None:
        return 0, groups.terms[0]
    wanted = str(term).replace(" ", "")
    for k, t in enumerate(groups.terms):
        if wanted in (t.label.replace(" ", ""), t.group_name, t.key):
            return k, t
    raise ArgumentError(
        f"term {term!r} is not a group term of the model; choose one of "
        f"{[t.label for t in groups.terms]} (or its grouping factor {[t.group_name for t in groups.terms]})"
    )


def _level_separated(values: np.ndarray, y: np.ndarray, trials: np.ndarray | None) -> bool:
    """Whether a level's own rows are separated along its varying columns (no finite MLE)."""
    m = as_response(trials).kernel_trials(len(y))
    if np.all(y == 0) or np.all(y == m):
        return True
    if values.shape[1] == 1:
        return False
    from ..fit.separation import detect_separation

    kind, _ = detect_separation(
        np.asarray(values, dtype=float),
        np.asarray(y, dtype=float),
        None if trials is None else np.asarray(trials, dtype=float),
    )
    return kind is not None


def pooling_table(
    post: PosteriorResults,
    *,
    term: str | None = None,
    coef: str = "Intercept",
    ci_prob: float = DEFAULT_CI_PROB,
    complete: MLEResults | None = None,
    none: MLEResults | None = None,
) -> pd.DataFrame:
    """Per level of a group term: its value of one varying coefficient under complete, no and
    partial pooling, with the level's sample size (what :func:`plot_pooling` draws).

    Parameters
    ----------
    post : PosteriorResults
        A posterior of a model with group terms.
    term : str, optional
        The group term, by label (``"1 + x | g"``) or grouping factor (``"g"``); default the
        first. Its grouping factor must be a single column (not ``g1:g2``).
    coef : str
        The varying coefficient: ``"Intercept"`` (default) or a slope of the term, e.g. ``"x"``.
    ci_prob : float
        Probability of the intervals (Wald for the no-pooling MLE, equal-tailed for the posterior).
    complete, none : MLEResults, optional
        ``post.model.fit_mle(pooling="complete")`` and ``post.model.fit_mle(pooling="none")`` if already fitted;
        fitted here otherwise.

    Returns
    -------
    pandas.DataFrame
        Indexed by level (in the term's level order), columns: ``n`` (rows of the level, or its
        trials for binomial data), ``events``, ``complete`` (the pooled MLE, the same for every
        level), ``none`` (population coefficient + the level's sum-to-zero deviation; for a
        separated level +-inf, or NaN for a slope of a level with one outcome only, which the
        data leave undetermined), ``none_lb``/``none_ub`` (Wald interval; NaN for every level when the no-pooling MLE
        does not exist, i.e. some level is separated),
        ``separated`` (bool), ``partial`` (posterior mean of ``beta + b``), ``partial_sd``,
        ``partial_lb``/``partial_ub`` (equal-tailed interval), and ``population`` (the
        posterior mean of the population coefficient). ``attrs`` holds ``term``, ``coef`` and
        ``ci_prob``.

    Raises
    ------
    DesignError
        When the no-pooling model is not identified: a grouping factor nested in the fixed
        effects (plate-level predictors, as in the BUGS Seeds model ``r ~ x1 * x2 + (1 | plate)``
        with one row per plate). Compare an intercept-only model there (``r ~ 1 + (1 | plate)``).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_groups
    >>> df, truth = simulate_groups(8, (10, 40), random_seed=2)
    >>> post = bl.LogitModel("y ~ x + (1 | g)", df).sample(draws=200, tune=300, chains=2,
    ...                                                   random_seed=1, progressbar=False)
    >>> table = bl.pooling_table(post)
    >>> table.columns[:4].tolist(), len(table)
    (['n', 'events', 'complete', 'none'], 8)
    """
    from scipy.stats import norm

    if not is_posterior(post) or post.design.groups is None:
        raise ArgumentError(
            "pooling_table takes the posterior (model.sample()) of a model with group terms like (1 | g)"
        )
    check_probability("ci_prob", ci_prob)
    k, t = _term(post, term)
    if coef not in t.coef_names:
        raise ArgumentError(f"coef {coef!r} does not vary in the group term ({t.label}); choose one of {t.coef_names}")
    if len(t.factors) != 1:
        raise ArgumentError(
            f"the pooling comparison is drawn for a single grouping column, and ({t.label}) groups by "
            f"{t.group_name!r}; choose another term"
        )
    if coef not in post.coef_names:
        raise ArgumentError(
            f"coef {coef!r} varies by {t.group_name} but has no population coefficient in "
            f"{post.design.formula!r}; add it to the fixed part (e.g. y ~ {coef} + ({t.label}))"
        )
    model = post.model
    for name, given in (("complete", complete), ("none", none)):
        if given is not None and given.design.groups is not None:  # the GLMM MLE (fit_mle() without pooling=)
            raise ArgumentError(
                f"{name}= takes the {name}-pooling fit, model.fit_mle(pooling={name!r}); the fit given has group "
                "terms (the GLMM maximum likelihood, which pools partially like the posterior)"
            )
    # pooled fits are MLEResults (the GLMM is fit_mle() without pooling=)
    complete = cast("MLEResults", model.fit_mle(pooling="complete")) if complete is None else complete
    if none is None:  # separated levels are flagged in the table: no warning advising fit_map()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SeparationWarning)
            none = cast("MLEResults", model.fit_mle(pooling="none"))
    c = t.coef_names.index(coef)
    d = post.design
    y = np.asarray(d.y, dtype=float)
    trials = None if d.trials is None else np.asarray(d.trials, dtype=float)
    L = t.n_levels
    idx = np.asarray(t.index)
    n = np.bincount(idx, weights=None if trials is None else trials, minlength=L).astype(float)
    events = np.bincount(idx, weights=y, minlength=L)

    # no pooling: population coefficient + the level's sum-to-zero deviation
    factor = t.factors[0]
    prefix = "" if coef == "Intercept" else f"{coef}:"
    names = {lev: f"{prefix}C({factor}, Sum)[S.{lev}]" for lev in t.levels}
    params, cov = none.params, none.cov_params()
    present = [lev for lev in t.levels if names[lev] in params.index]
    missing = [lev for lev in t.levels if names[lev] not in params.index]
    if len(missing) != 1 or coef not in params.index:
        raise ArgumentError(
            f"the no-pooling fit {getattr(none, 'label', '')!r} does not have the sum-to-zero columns "
            f"{prefix}C({factor}, Sum)[S.level] of ({t.label}); pass none=model.fit_mle(pooling='none')"
        )
    cols = [coef] + [names[lev] for lev in present]
    V = cov.loc[cols, cols].to_numpy(dtype=float)
    est = np.empty(L)
    se = np.empty(L)
    for j, lev in enumerate(t.levels):
        a = np.zeros(len(cols))
        a[0] = 1.0
        if lev in present:
            a[1 + present.index(lev)] = 1.0
        else:  # the omitted level: minus the sum of the others' deviations
            a[1:] = -1.0
        est[j] = float(a @ params[cols].to_numpy(dtype=float))
        se[j] = float(np.sqrt(max(a @ V @ a, 0.0)))
    separated = np.zeros(L, dtype=bool)
    for j in range(L):
        rows = idx == j
        separated[j] = _level_separated(t.values[rows], y[rows], None if trials is None else trials[rows])
    z = norm.ppf((1 + ci_prob) / 2)
    # a separated level has no finite MLE: all events (none) sends its intercept to +inf (-inf)
    # and leaves its slopes undetermined (NaN); a split along x sends them off in the direction
    # Newton's method was going
    m = d.response_family.kernel_trials(len(y))
    all_events = np.bincount(idx, weights=y, minlength=L) == np.bincount(idx, weights=m, minlength=L)
    no_events = events == 0
    none_est = np.where(separated, np.copysign(np.inf, est), est)
    one_outcome = separated & (all_events | no_events)
    if coef == "Intercept":
        none_est[one_outcome] = np.where(all_events[one_outcome], np.inf, -np.inf)
    else:
        none_est[one_outcome] = np.nan
    # Wald intervals only where the no-pooling MLE exists: when some level is separated, the joint
    # fit stops while those coefficients run off and the inverse Hessian is not to be trusted
    exists = not getattr(none, "separation", None) and not separated.any()
    none_lb = est - z * se if exists else np.full(L, np.nan)
    none_ub = est + z * se if exists else np.full(L, np.nan)

    # partial pooling: beta_c + b[j, c], every draw
    beta = post.draws()[:, post.coef_names.index(coef)]
    draws = beta[:, None] + post.group_draws()[k][:, :, c]  # type: ignore[index]  # not None: design.groups checked above
    lo, hi = np.quantile(draws, [(1 - ci_prob) / 2, (1 + ci_prob) / 2], axis=0)
    table = pd.DataFrame(
        {
            "n": n,
            "events": events,
            "complete": float(complete.params[coef]),
            "none": none_est,
            "none_lb": none_lb,
            "none_ub": none_ub,
            "separated": separated,
            "partial": draws.mean(axis=0),
            "partial_sd": draws.std(axis=0, ddof=1),
            "partial_lb": lo,
            "partial_ub": hi,
            "population": float(beta.mean()),
        },
        index=pd.Index(list(t.levels), name=t.group_name),
    )
    table.attrs.update(term=t.label, coef=coef, ci_prob=ci_prob)
    return table


def plot_pooling(
    post: PosteriorResults,
    *,
    term: str | None = None,
    coef: str = "Intercept",
    ci_prob: float = DEFAULT_CI_PROB,
    complete: MLEResults | None = None,
    none: MLEResults | None = None,
    ax=None,
) -> matplotlib.figure.Figure:
    """Complete vs no vs partial pooling in one figure: each level's value of a varying
    coefficient against the level's sample size (log scale).

    Drawn from :func:`pooling_table` (see there for the numbers): a dashed line at the
    complete-pooling MLE; per level an open circle at its no-pooling MLE and a filled dot with
    its posterior interval (partial pooling), joined by a thin line (the shrinkage); a dotted
    line at the posterior mean of the population coefficient. A level whose no-pooling MLE is
    infinite (separated) is drawn as a triangle at the edge of the axes, pointing the way it
    diverges; a slope the level's data leave undetermined (all 0 or all 1) as a cross at the
    lower edge. The table is attached to the figure as ``fig.pooling_table``.

    Parameters
    ----------
    post, term, coef, ci_prob, complete, none
        As in :func:`pooling_table`.
    ax : matplotlib Axes, optional
        Draw into these axes; default a new figure.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_groups
    >>> df, truth = simulate_groups(8, (10, 40), random_seed=2)
    >>> post = bl.LogitModel("y ~ x + (1 | g)", df).sample(draws=200, tune=300, chains=2,
    ...                                                   random_seed=1, progressbar=False)
    >>> fig = bl.plot_pooling(post)
    >>> fig.axes[0].get_xscale(), len(fig.pooling_table)
    ('log', 8)
    """
    import matplotlib.pyplot as plt

    table = pooling_table(post, term=term, coef=coef, ci_prob=ci_prob, complete=complete, none=none)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(8, 4.5))
    else:
        fig = ax.figure
    n = table["n"].to_numpy()
    sep = table["separated"].to_numpy()
    finite = table["none"].to_numpy()[~sep]
    vals = np.r_[table["partial_lb"], table["partial_ub"], finite, table["complete"].iloc[0]]
    lo, hi = float(np.min(vals)), float(np.max(vals))
    pad = 0.08 * (hi - lo if hi > lo else 1.0)
    ylo, yhi = lo - 2 * pad, hi + 2 * pad
    edge_lo, edge_hi = lo - pad, hi + pad  # separated levels are drawn here
    undetermined = sep & np.isnan(table["none"].to_numpy())
    shown_none = np.where(sep, np.where(table["none"].to_numpy() > 0, edge_hi, edge_lo), table["none"].to_numpy())
    table["none_plotted"] = shown_none
    left, right = n * 0.97, n * 1.03
    for j in range(len(table)):
        ax.plot([left[j], right[j]], [shown_none[j], table["partial"].iloc[j]], color="#999999", lw=0.7, zorder=1)
    ax.axhline(table["complete"].iloc[0], color="#c0392b", ls="--", lw=1.2, label="complete pooling (pooled MLE)")
    ax.axhline(
        table["population"].iloc[0], color="#345", ls=":", lw=1.2, label="population coefficient (posterior mean)"
    )
    ax.scatter(
        left[~sep],
        shown_none[~sep],
        s=28,
        facecolors="none",
        edgecolors="#c0392b",
        zorder=3,
        label="no pooling (the level's own MLE)",
    )
    if sep.any():
        up = sep & (table["none"].to_numpy() > 0)
        down = sep & ~up & ~undetermined
        for mask, marker in ((up, "^"), (down, "v")):
            if mask.any():
                ax.scatter(
                    left[mask],
                    shown_none[mask],
                    s=40,
                    marker=marker,
                    facecolors="none",
                    edgecolors="#c0392b",
                    zorder=3,
                    label="no pooling: infinite (level separated), at the edge",
                )
        if undetermined.any():
            ax.scatter(
                left[undetermined],
                shown_none[undetermined],
                s=40,
                marker="x",
                color="#c0392b",
                zorder=3,
                label="no pooling: undetermined (level all 0 or all 1), at the edge",
            )
    ax.errorbar(
        right,
        table["partial"],
        yerr=[table["partial"] - table["partial_lb"], table["partial_ub"] - table["partial"]],
        fmt="o",
        ms=4,
        color="#1f77b4",
        ecolor="#8fb3d9",
        lw=1,
        zorder=2,
        label=f"partial pooling (posterior mean, {ci_prob:.0%} interval)",
    )
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter

    plain = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if str(f"{v:g}")[0] in "235" else ""))
    ax.set_ylim(ylo, yhi)
    what = "n (rows)" if post.design.response_family.binary else "n (trials)"
    ax.set_xlabel(f"level sample size {what}, log scale")
    label = f"{coef} + b[{coef}]" if coef != "Intercept" else "Intercept + b"
    unit = "log-odds" if coef == "Intercept" else f"log-odds per unit of {coef}"
    ax.set_ylabel(f"{label} per level of {table.index.name} ({unit})")
    ax.set_title(f"Pooling of ({table.attrs['term']}): {coef}", fontsize=10)
    handles, labels = ax.get_legend_handles_labels()
    keep = dict(zip(labels, handles))
    ax.legend(
        keep.values(),
        keep.keys(),
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=2,
        fontsize="small",
        frameon=False,
    )
    if own:
        fig.tight_layout()
    fig.pooling_table = table  # type: ignore[attr-defined]  # documented: the table rides on the Figure
    return fig
