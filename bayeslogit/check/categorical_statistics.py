"""The numbers behind the report of a multinomial or ordinal posterior (no plotting, no HTML).

- :func:`forest_rows`: each parameter's posterior mean and equal-tailed interval, by outcome;
- :func:`confusion_counts`: observed outcome by predicted outcome (the most probable under the
  posterior mean probabilities), weighted rows counted ``w`` times;
- :func:`outcome_calibration`: per outcome, rows binned by their predicted probability of that
  outcome (equal-count bins), the mean predicted probability and the observed share per bin;
- :func:`cumulative_curves` (ordinal): ``P(y <= k)`` against the linear predictor at the
  posterior mean slopes, the posterior mean and 90% band over the cutpoint draws, and the
  observed cumulative shares of rows binned by that linear predictor.

The probabilities are the posterior means (``post.predict()``, computed draw by draw: rows x
outcomes in memory, never draws x rows), in sample.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

__all__ = ["forest_rows", "confusion_counts", "outcome_calibration", "cumulative_curves", "CALIBRATION_BINS"]

CALIBRATION_BINS = 10
"""Equal-count bins of the per-outcome calibration plot (fewer when there are fewer rows)."""
CURVE_POINTS = 101
"""Points of the linear-predictor grid of the cumulative-probability plot."""


def _weights(post) -> np.ndarray:
    w = post.family.weights
    return np.ones(post.design.n_obs) if w is None else np.asarray(w, dtype=float)


def _draws(post) -> np.ndarray:
    th = post.idata.posterior["theta"].values
    return np.asarray(th, dtype=float).reshape(-1, th.shape[-1])


def forest_rows(post, ci_prob: float = 0.95) -> dict[str, pd.DataFrame]:
    """``{panel: DataFrame(mean, lower, upper) by term}``: one panel per non-reference outcome
    (multinomial), or ``"slopes"`` and ``"cutpoints"`` (ordinal)."""
    draws = _draws(post)
    index = post.params.index
    table = pd.DataFrame(
        {
            "mean": draws.mean(axis=0),
            "lower": np.quantile(draws, (1 - ci_prob) / 2, axis=0),
            "upper": np.quantile(draws, (1 + ci_prob) / 2, axis=0),
        },
        index=index,
    )
    if isinstance(index, pd.MultiIndex):
        return {str(k): g.droplevel(0) for k, g in table.groupby(level=0, sort=False)}
    cuts = list(post.family.cutpoint_names)
    return {"slopes": table.drop(index=cuts), "cutpoints": table.loc[cuts]}


def confusion_counts(post, probs: pd.DataFrame | None = None) -> pd.DataFrame:
    """Weighted counts of observed (rows) by predicted (columns) outcome, both in level order."""
    probs = post.predict() if probs is None else probs
    levels = list(post.family.levels)
    K = len(levels)
    predicted = np.argmax(probs.to_numpy(), axis=1)
    counts = np.zeros((K, K))
    np.add.at(counts, (post.design.y, predicted), _weights(post))
    return pd.DataFrame(
        counts,
        index=pd.Index(levels, name="observed"),
        columns=pd.Index(levels, name="predicted"),
    )


def outcome_calibration(post, probs: pd.DataFrame | None = None, *, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """One row per outcome and bin: ``outcome``, ``predicted`` (weighted mean probability),
    ``observed`` (weighted share of rows with that outcome), ``n`` (weight in the bin). Rows
    are sorted by their probability of the outcome and cut into ``bins`` groups of equal count."""
    probs = post.predict() if probs is None else probs
    w, y = _weights(post), post.design.y
    n = len(y)
    bins = max(1, min(bins, n // 5 or 1))
    edges = np.linspace(0, n, bins + 1).round().astype(int)
    rows: list[dict[str, Any]] = []
    for k, level in enumerate(post.family.levels):
        p = probs.to_numpy()[:, k]
        order = np.argsort(p, kind="stable")
        for b in range(bins):
            idx = order[edges[b] : edges[b + 1]]
            if idx.size == 0:
                continue
            wb = w[idx]
            rows.append(
                {
                    "outcome": level,
                    "predicted": float(wb @ p[idx] / wb.sum()),
                    "observed": float(wb @ (y[idx] == k) / wb.sum()),
                    "n": float(wb.sum()),
                }
            )
    return pd.DataFrame(rows)


def cumulative_curves(post, *, bins: int = CALIBRATION_BINS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An ordinal posterior's ``(curves, observed)``.

    ``curves``: columns ``eta`` (a grid over the rows' linear predictor at the posterior mean
    slopes), then per cutpoint ``"Low|Medium"`` the posterior mean of ``expit(cut - eta)`` and
    its 5% and 95% quantiles over the draws (``"Low|Medium lower"``, ``"... upper"``).
    ``observed``: per equal-count bin of rows by that linear predictor, its weighted mean
    ``eta`` and each cutpoint's observed share ``P(y <= k)``.
    """
    fam, d = post.family, post.design
    draws = _draws(post)
    p = d.X.shape[1]
    mean = draws.mean(axis=0)
    eta = fam.eta(d.X, mean, d.offset)
    lo, hi = np.quantile(eta, [0.005, 0.995])
    grid = np.linspace(lo - 0.5, hi + 0.5, CURVE_POINTS)
    cuts = np.array([fam.split(t, p)[1] for t in draws])  # (draws, K - 1)
    curves = {"eta": grid}
    for k, name in enumerate(fam.cutpoint_names):
        F = expit(cuts[:, k : k + 1] - grid[None, :])  # (draws, grid points)
        curves[name] = F.mean(axis=0)
        curves[f"{name} lower"], curves[f"{name} upper"] = np.quantile(F, [0.05, 0.95], axis=0)
    w, y = _weights(post), d.y
    n = len(y)
    bins = max(1, min(bins, n // 5 or 1))
    edges = np.linspace(0, n, bins + 1).round().astype(int)
    order = np.argsort(eta, kind="stable")
    rows = []
    for b in range(bins):
        idx = order[edges[b] : edges[b + 1]]
        wb = w[idx]
        row = {"eta": float(wb @ eta[idx] / wb.sum())}
        for k, name in enumerate(fam.cutpoint_names):
            row[name] = float(wb @ (y[idx] <= k) / wb.sum())
        rows.append(row)
    return pd.DataFrame(curves), pd.DataFrame(rows)
