"""The report's statistics: the numbers behind its figures and tables, and nothing else.

Rank histograms and their band, energy statistics, binned residuals, the event-rate posterior
predictive check, LOO predictive probabilities with the PAV calibration curve and the
in-sample vs out-of-sample scores, the separation plot's rows (or bins), pair-plot draws and
posterior correlations, the rows the average marginal effects run over, and the caterpillar
plot's per-level effects. No matplotlib here (:mod:`.figures` draws these) and no HTML
(:mod:`.sections` writes it). Facts other objects own are read from them, not recomputed:
draws and effects from the posterior, LOO from the diagnostics, fitted probabilities from
:mod:`.scores`.

Everything per row and per draw is computed by row blocks (:mod:`bayeslogit._blocks`); the
per-row statistics bin or subsample rows above about 2,000 (the captions say so).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from .scores import fitted_probabilities, weighted_auc

if TYPE_CHECKING:  # pragma: no cover
    from ..priors import Prior
    from .diagnostics import Diagnostics

__all__ = [
    "chain_draws",
    "rank_counts",
    "rank_band",
    "energy_stats",
    "posterior_correlation",
    "pair_draws",
    "prior_posterior_draws",
    "loo_probabilities",
    "calibration_curve",
    "loo_fit_quality",
    "separation_rows",
    "residual_bins",
    "binned_residuals",
    "binned_residuals_of",
    "event_rate_ppc",
    "marginal_effect_rows",
    "caterpillar_data",
    "conditional_effects",
]

RANK_BINS = 20
"""Bins of the rank histograms."""
CALIBRATION_REPLICATES = 200
"""Replicates behind the PAV calibration plot's consistency band."""
SEPARATION_MAX_BARS = 2_000
"""The separation plot draws one bar per row up to this many rows, and bins rows above."""
SEPARATION_BINS = 1_000
PPC_MAX_DRAWS = 500
"""Draws (evenly spaced) behind the event-rate check: replicates are made row block by row block."""
PPC_MAX_LEVELS = 12
"""Factor levels shown per factor in the event-rate check."""
AME_MAX_CELLS = 20_000_000
"""Above this many rows x draws, the report's marginal effects average over AME_ROWS random rows."""
AME_ROWS = 2_000
PAIR_MAX_COEFS = 6
PAIR_MAX_POINTS = 1_000
CATERPILLAR_MAX_LEVELS = 60
CONDITIONAL_POINTS = 50
"""Conditional effects: grid points per numeric predictor."""
CONDITIONAL_MAX_PANELS = 12
"""Conditional effects: at most this many predictors (the first in the formula) get a panel."""
CONDITIONAL_MAX_LEVELS = 30
"""Conditional effects: a factor's most frequent levels drawn, at most."""
"""Levels drawn per panel of the caterpillar plot; above it, evenly spaced ranks (lowest and
highest included) and the caption says how many of how many."""


# ---------------------------------------------------------------------------------------------
# the draws: chains, ranks, energy, correlations


def chain_draws(post) -> np.ndarray:
    """``(chains, draws, coef)`` array of the coefficient draws."""
    return post.idata.posterior["beta"].transpose("chain", "draw", "coef").values


def rank_counts(post, bins: int = RANK_BINS) -> np.ndarray:
    """Rank histogram counts ``(coef, chain, bins)``: the draws of all chains are ranked together
    (per coefficient) and each chain's ranks are counted in ``bins`` equal bins."""
    from scipy.stats import rankdata

    beta = chain_draws(post)
    C, D, P = beta.shape
    out = np.empty((P, C, bins), dtype=np.int64)
    for j in range(P):
        r = rankdata(beta[:, :, j].ravel(), method="average").reshape(C, D)
        b = np.minimum(((r - 1) * bins / (C * D)).astype(np.int64), bins - 1)
        for c in range(C):
            out[j, c] = np.bincount(b[c], minlength=bins)
    return out


def rank_band(post, bins: int = RANK_BINS) -> tuple[float, float]:
    """Pointwise 95% range of one bin's count when every chain samples the same distribution:
    ``Binomial(draws, 1 / bins)`` quantiles 2.5% and 97.5%."""
    from scipy.stats import binom

    lo, hi = binom.ppf([0.025, 0.975], post.n_draws, 1.0 / bins)
    return float(lo), float(hi)


def energy_stats(post) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(centred energy, energy transitions, E-BFMI per chain) from ``sample_stats.energy``, or None.

    The report prints the E-BFMI the diagnostics hold (ArviZ's, the same number)."""
    if "sample_stats" not in post.idata.children or "energy" not in post.idata.sample_stats:
        return None
    e = post.idata.sample_stats["energy"].transpose("chain", "draw").values.astype(float)
    centred = e - e.mean(axis=1, keepdims=True)
    trans = np.diff(e, axis=1)
    bfmi = np.sum(trans**2, axis=1) / np.sum(centred**2, axis=1)
    return centred.ravel(), trans.ravel(), bfmi


def posterior_correlation(post) -> pd.DataFrame:
    """The posterior correlation of every pair of coefficients (``coef x coef``)."""
    P = len(post.coef_names)
    corr = pd.DataFrame(
        np.corrcoef(post.draws(), rowvar=False).reshape(P, P), index=post.coef_names, columns=post.coef_names
    )
    corr.index.name = "posterior correlation"
    return corr


def pair_draws(post) -> tuple[list[str], np.ndarray, np.ndarray]:
    """What the pair plot draws: the first :data:`PAIR_MAX_COEFS` coefficient names, at most
    :data:`PAIR_MAX_POINTS` evenly spaced draws of them ``(draws, coef)``, and their posterior
    correlation (from all draws)."""
    draws = post.draws()
    names = post.coef_names[:PAIR_MAX_COEFS]
    P = len(names)
    keep = np.unique(np.linspace(0, draws.shape[0] - 1, min(PAIR_MAX_POINTS, draws.shape[0])).round().astype(np.int64))
    x = draws[keep][:, :P]
    corr = np.corrcoef(draws[:, :P], rowvar=False) if P > 1 else np.ones((1, 1))
    return names, x, corr


def prior_posterior_draws(post) -> list[tuple[str, np.ndarray, Prior]]:
    """Per coefficient, ``(label, draws, prior)``: the posterior draws of the quantity its prior
    applies to, with that prior. A centred intercept's prior is on the log-odds at the predictor
    means, so that quantity (``Intercept + x_mean @ beta``) is given for it."""
    draws = post.draws()
    priors = post.model.priors
    out = []
    for j, name in enumerate(post.coef_names):
        x = draws[:, j]
        label = name
        if name == "Intercept" and priors.centered_intercept:
            x = draws @ priors.x_mean + draws[:, j]
            label = "Intercept at centred predictors"
        out.append((label, x, priors.priors[name]))
    return out


# ---------------------------------------------------------------------------------------------
# LOO: predictive probabilities, calibration, in sample vs out of sample


def loo_probabilities(post, diag: Diagnostics) -> tuple[np.ndarray, np.ndarray]:
    """LOO predictive P(y_i = 1) and y_i on the rows with exact PSIS values (binary data).

    For a Bernoulli row, ``exp(elpd_i)`` is the LOO predictive probability of the observed
    outcome, so P(y_i = 1) is ``exp(elpd_i)`` for events and ``1 - exp(elpd_i)`` otherwise.
    """
    rows = diag.loo_rows if diag.loo_rows is not None else np.arange(post.design.n_obs)
    elpd_i = np.asarray(diag.loo.elpd_i.values, dtype=float)[rows]
    y = np.asarray(post.design.y, dtype=float)[rows]
    q = np.exp(elpd_i)
    return np.clip(np.where(y == 1, q, 1.0 - q), 0.0, 1.0), y


def calibration_curve(post, diag: Diagnostics, seed: int | None) -> pd.DataFrame:
    """LOO-PAV calibration (Dimitriadis, Gneiting & Jordan 2021; ArviZ's ``plot_loo_pava``): the
    isotonic (PAV) fit of the outcome on the LOO predictive probability (``cep``), with a 95%
    consistency band (``lower``, ``upper``) from :data:`CALIBRATION_REPLICATES` replicates
    ``y_rep ~ Bernoulli(p_loo)``; one row per LOO row, sorted by ``p``. Made from the PSIS-LOO
    already computed (no draws x rows array): ArviZ's version resamples every row for every draw."""
    from scipy.optimize import isotonic_regression

    x, y = loo_probabilities(post, diag)
    order = np.argsort(x, kind="mergesort")
    xs, ys = x[order], y[order]
    cep = isotonic_regression(ys, increasing=True).x
    rng = np.random.default_rng(seed)
    reps = np.empty((CALIBRATION_REPLICATES, xs.size))
    for r in range(CALIBRATION_REPLICATES):
        reps[r] = isotonic_regression((rng.random(xs.size) < xs).astype(float), increasing=True).x
    lo, hi = np.quantile(reps, [0.025, 0.975], axis=0)
    return pd.DataFrame({"p": xs, "cep": cep, "lower": lo, "upper": hi})


def loo_fit_quality(post, diag: Diagnostics) -> pd.DataFrame | None:
    """In-sample (posterior-mean probabilities) next to out-of-sample (PSIS-LOO predictive
    probabilities) Brier score, log score and AUC, on the same rows (the LOO rows). 0/1 data only."""
    d = post.design
    if not d.response_family.binary or diag.loo is None:
        return None
    rows = diag.loo_rows if diag.loo_rows is not None else np.arange(d.n_obs)
    q_loo, y = loo_probabilities(post, diag)
    q_in = np.clip(fitted_probabilities(post)[rows], 1e-15, 1 - 1e-15)
    q_loo = np.clip(q_loo, 1e-15, 1 - 1e-15)

    def scores(q):
        brier = float(np.mean((y - q) ** 2))
        log = float(np.mean(np.where(y == 1, np.log(q), np.log1p(-q))))
        return brier, log, weighted_auc(q, y, 1 - y)

    ins, out = scores(q_in), scores(q_loo)
    table = pd.DataFrame(
        {"in sample": ins, "out of sample (PSIS-LOO)": out},
        index=pd.Index(["Brier score", "log score (mean)", "AUC"], name="fit quality"),
    )
    return table


# ---------------------------------------------------------------------------------------------
# fitted probabilities: separation plot, binned residuals


def separation_bins(n: int) -> int:
    """Groups the separation plot bins ``n`` rows into (0: one bar per row)."""
    return 0 if n <= SEPARATION_MAX_BARS else SEPARATION_BINS


def separation_rows(post) -> dict:
    """What the separation plot (Greenhill, Ward & Sacks 2011) draws: the rows sorted by fitted
    probability, ``height`` the observed rate (1/0 for events) and ``line`` the fitted
    probability of each; above :data:`SEPARATION_MAX_BARS` rows, of :func:`separation_bins`
    groups of sorted rows (the group's event rate and mean fitted probability). ``expected_at``:
    where the expected number of events, counted from the right, falls on that axis;
    ``binned``, ``aggregated`` (binomial rows): which labels apply."""
    d = post.design
    p = fitted_probabilities(post)
    m = d.response_family.kernel_trials(len(p))
    rate = d.y / m
    order = np.argsort(p, kind="mergesort")
    expected = float(np.sum(p * m))
    bins = separation_bins(len(p))
    if bins:
        groups = np.array_split(order, bins)
        w = np.array([m[g].sum() for g in groups])
        height = np.array([d.y[g].sum() for g in groups], dtype=float) / w
        line = np.array([np.sum(p[g] * m[g]) for g in groups]) / w
    else:
        height, line = rate[order], p[order]
    k = len(height)
    return {
        "height": height,
        "line": line,
        "expected_at": (len(p) - expected) * k / len(p) - 0.5,
        "binned": bool(bins),
        "aggregated": not d.response_family.binary,
    }


def residual_bins(n: int) -> int:
    """Bins of the binned-residual plot: about sqrt(n), between 5 and 50 (never more than n)."""
    return int(min(n, max(5, min(50, round(np.sqrt(n))))))


def binned_residuals(post) -> pd.DataFrame:
    """Binned residuals (Gelman & Hill 2007, 5.6): the rows sorted by fitted probability (posterior
    mean, computed by row blocks) and cut into :func:`residual_bins` groups of equal size; per
    group the mean fitted probability, the observed event rate, their difference and its standard
    error under the model, ``sqrt(sum m_i p_i (1 - p_i)) / sum m_i`` (``m_i`` trials; 1 for 0/1 data).
    About 95% of the residuals should lie within +-2 SE."""
    d = post.design
    p = fitted_probabilities(post)
    return binned_residuals_of(p, np.asarray(d.y, dtype=float), d.response_family.kernel_trials(len(p)))


def binned_residuals_of(p: np.ndarray, y: np.ndarray, m: np.ndarray) -> pd.DataFrame:
    """:func:`binned_residuals` of probabilities ``p``, successes ``y`` and trials ``m`` per row."""
    order = np.argsort(p, kind="mergesort")
    rows = []
    for g in np.array_split(order, residual_bins(len(p))):
        w = m[g].sum()
        pred = float(np.sum(p[g] * m[g]) / w)
        obs = float(y[g].sum() / w)
        se = float(np.sqrt(np.sum(m[g] * p[g] * (1 - p[g]))) / w)
        rows.append({"rows": len(g), "fitted": pred, "observed": obs, "residual": obs - pred, "se": se})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------
# posterior predictive check of the event rate, by row blocks


def _ppc_groups(post) -> tuple[list[tuple[str, np.ndarray | None]], str]:
    """``[("overall", None), ("g = a", row mask), ...]`` for every factor of the formula, and a note."""
    from ..interpret.effects import rhs_variables
    from ..model import training_rows

    groups: list[tuple[str, np.ndarray | None]] = [("overall", None)]
    note = ""
    try:
        data = training_rows(post.model)
        variables = rhs_variables(post.design, list(data.columns))
    except Exception as exc:  # noqa: BLE001 - the overall rate is still checked
        return groups, f"Per-level rates not shown: {' '.join(str(exc).split())[:200]}"
    for var, kind, levels in variables:
        if kind != "factor":
            continue
        col = data[var].astype(str).to_numpy()
        for level in levels[:PPC_MAX_LEVELS]:
            groups.append((f"{var} = {level}", col == str(level)))
        if len(levels) > PPC_MAX_LEVELS:
            note += f" {var}: the first {PPC_MAX_LEVELS} of {len(levels)} levels shown."
    return groups, note.strip()


def event_rate_ppc(post, *, seed: int | None = None) -> tuple[pd.DataFrame, np.ndarray, str]:
    """The event rate, overall and per factor level, against its posterior predictive distribution.

    For each of at most :data:`PPC_MAX_DRAWS` evenly spaced draws, outcomes are replicated for
    every row (``y_rep ~ Bernoulli(p_i)``, or Binomial with trials) one row block at a time and
    summed per group on the fly: no draws x rows array is held. Returns the table (rows, observed
    rate, predictive mean and 95% interval of the replicated rate, ``P(rep >= observed)``), the
    replicated rates ``(groups, draws)`` and a note saying how many draws were used.
    """
    from scipy.special import expit

    from .. import _blocks

    d = post.design
    B, G = post.draws(), post.group_draws()
    S = B.shape[0]
    note = f"from all {S:,} draws"
    if S > PPC_MAX_DRAWS:
        kept = np.unique(np.linspace(0, S - 1, PPC_MAX_DRAWS).round().astype(np.int64))
        B = B[kept]
        G = None if G is None else [g[kept] for g in G]
        note = f"from {B.shape[0]:,} evenly spaced of the {S:,} draws"
    groups, gnote = _ppc_groups(post)
    y = np.asarray(d.y, dtype=float)
    family = d.response_family
    m = family.kernel_trials(d.n_obs)
    rng = np.random.default_rng(seed)
    rep = np.zeros((len(groups), B.shape[0]))
    for sl in _blocks.row_slices(d.n_obs, _blocks.block_rows(2 * B.shape[0])):
        eta = _blocks.eta_rows(d, sl, B, G)  # (rows, draws): one block, group terms included
        pb = expit(eta)
        yb = family.take(sl).draw(pb, rng).T.astype(float)  # (rows, draws)
        for k, (_, mask) in enumerate(groups):
            rep[k] += yb.sum(axis=0) if mask is None else yb[mask[sl]].sum(axis=0)
    rows = []
    for k, (label, mask) in enumerate(groups):
        sel = slice(None) if mask is None else mask
        w = m[sel].sum()
        rate = rep[k] / w
        rep[k] = rate
        obs = float(y[sel].sum() / w)
        lo, hi = np.quantile(rate, [0.025, 0.975])
        rows.append(
            {
                "group": label,
                "rows": int(np.size(y[sel])),
                "observed": obs,
                "predicted": float(rate.mean()),
                "2.5%": float(lo),
                "97.5%": float(hi),
                "P(rep >= obs)": float(np.mean(rate >= obs)),
            }
        )
    table = pd.DataFrame(rows).set_index("group")
    return table, rep, (note + (". " + gnote if gnote else ""))


# ---------------------------------------------------------------------------------------------
# marginal effects' rows; group terms' per-level effects


def marginal_effect_rows(post) -> tuple[pd.DataFrame, bool]:
    """The training rows the average marginal effects run over, and whether they are a random
    subsample: :data:`AME_ROWS` rows (seeded by the fit's seed) when rows x draws exceed
    :data:`AME_MAX_CELLS`, every row otherwise."""
    from ..model import training_rows

    d = post.design
    rows = training_rows(post.model)
    if d.n_obs * post.n_chains * post.n_draws > AME_MAX_CELLS and d.n_obs > AME_ROWS:
        pick = np.sort(np.random.default_rng(post.random_seed).choice(d.n_obs, AME_ROWS, replace=False))
        return rows.iloc[pick], True
    return rows, False


def caterpillar_data(post, term) -> dict[str, pd.DataFrame]:
    """Per varying coefficient of one group term, what its caterpillar panel draws: the levels
    sorted by the posterior mean of their effect ``b`` (from ``post.group_effects()``), thinned
    to at most :data:`CATERPILLAR_MAX_LEVELS` evenly spaced ranks (lowest and highest kept).
    Columns ``level``, ``mean``, ``lower``, ``upper`` (95% equal-tailed), ``rank`` (0 = lowest
    of all levels); ``attrs["levels"]`` the number of levels in all."""
    eff = post.group_effects()
    eff = eff[eff["term"] == term.label]
    out = {}
    for coef in term.coef_names:
        sub = eff[eff["coef"] == coef].sort_values("mean", kind="mergesort").reset_index(drop=True)
        sub = sub.rename(columns={"eti95_lb": "lower", "eti95_ub": "upper"})[["level", "mean", "lower", "upper"]]
        sub["rank"] = np.arange(len(sub))
        total = len(sub)
        if total > CATERPILLAR_MAX_LEVELS:
            keep = np.unique(np.linspace(0, total - 1, CATERPILLAR_MAX_LEVELS).round().astype(np.int64))
            sub = sub.iloc[keep].reset_index(drop=True)
        sub.attrs["levels"] = total
        out[coef] = sub
    return out


def effect_variables(design, columns, names: Sequence[str] | None = None) -> list[tuple[str, str, list]]:
    """The predictors of ``design`` (``(name, "numeric" | "factor", levels)``, as
    :func:`bayeslogit.interpret.effects.rhs_variables` finds them among ``columns``), or the
    ones ``names`` asks for, in that order; a name that is no predictor is an
    :class:`~bayeslogit.ArgumentError` listing the predictors."""
    from ..interpret.effects import rhs_variables

    variables = rhs_variables(design, list(columns))
    if names is None:
        return variables
    by_name = {v[0]: v for v in variables}
    unknown = [n for n in names if n not in by_name]
    if unknown or not names:
        raise ArgumentError(
            f"effects: {', '.join(repr(n) for n in unknown) or 'no variable'} "
            f"{'is not a predictor' if len(unknown) == 1 else 'are not predictors'} of the model "
            f"{design.formula!r}; its predictors are {list(by_name)}"
        )
    return [by_name[n] for n in dict.fromkeys(names)]


def conditional_effects(
    post, variables: Sequence[str] | None = None
) -> tuple[list[tuple[str, str, pd.DataFrame]], int]:
    """The conditional-effects panels: for each predictor of the formula (the first
    :data:`CONDITIONAL_MAX_PANELS`), :func:`~bayeslogit.predictions` of ``post`` on a
    :func:`~bayeslogit.datagrid` where that predictor varies (numeric:
    :data:`CONDITIONAL_POINTS` evenly spaced values over its training range; factor: its levels,
    at most the :data:`CONDITIONAL_MAX_LEVELS` most frequent) and every other variable is at its
    mean or most frequent level; population level (no group effects). Returns
    ``[(name, "numeric" | "factor", table)]`` and the number of predictors in all. Bounded: a
    grid of at most 50 rows per panel, the draws taken by row blocks."""
    from ..interpret.grid import datagrid, factor_levels, model_variables
    from ..interpret.marginal import predictions

    train = model_variables(post)
    chosen = effect_variables(post.design, train.columns, variables)
    out = []
    for name, kind, _ in chosen[:CONDITIONAL_MAX_PANELS]:
        if kind == "factor":
            counts = train[name].value_counts(sort=True)
            keep = set(counts.index[:CONDITIONAL_MAX_LEVELS])
            values = [v for v in factor_levels(train[name]) if v in keep]
        else:
            x = train[name].to_numpy(dtype=float)
            values = list(np.linspace(x.min(), x.max(), CONDITIONAL_POINTS))
        table = predictions(post, datagrid(post, **{name: values}), group_effects=False)
        out.append((name, kind, table))
    return out, len(chosen)
