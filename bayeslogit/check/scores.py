"""Scores of the fitted probabilities: how well the posterior predicts its own data.

This module owns the posterior-mean predicted probabilities (:func:`fitted_probabilities`)
and the scores computed from them (:class:`FitQuality`, :func:`fit_quality`: Brier score, log
score, AUC and the PAV (CORP) calibration decomposition), plus the weighted AUC
(:func:`weighted_auc`) that the report's in-sample vs out-of-sample table reuses. Numbers only:
the verdicts are in :mod:`.diagnostics`, the plots in the report.

Cost: O(rows log rows) memory. The fitted probabilities are the mean over the draws of
``expit(X beta)`` computed by row blocks (:mod:`bayeslogit._blocks`): no draws x rows array;
above the option ``fitted_max_cells`` rows x draws, over an evenly thinned subset of the draws, which
:func:`fitted_draws_note` states. They are cached on the fit.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import _blocks
from .._options import options

if TYPE_CHECKING:  # pragma: no cover
    from ..results.posterior import PosteriorResults

__all__ = [
    "FitQuality",
    "fit_quality",
    "fit_quality_of",
    "fitted_probabilities",
    "fitted_draws_note",
    "weighted_auc",
    "FITTED_MIN_DRAWS",
]

FITTED_MIN_DRAWS = 250
"""Fewest draws the fitted probabilities are averaged over when thinned."""


@dataclass(frozen=True)
class FitQuality:
    """In-sample predictive quality of the posterior-mean probabilities, per trial.

    Attributes
    ----------
    brier : float
        Mean squared difference between outcome and predicted probability (lower is better).
    log_score : float
        Mean log predicted probability of the observed outcome (higher is better;
        ``-log_score`` is scikit-learn's ``log_loss``).
    auc : float
        Area under the ROC curve (0.5: no discrimination, 1: perfect).
    miscalibration : float
        PAV (CORP) miscalibration: Brier score minus the Brier score of the isotonic
        (pool-adjacent-violators) recalibration of the predictions; 0 is perfectly calibrated.
    discrimination, uncertainty : float
        The other two terms of the CORP decomposition ``brier = MCB - DSC + UNC``.
    n_trials : int
        Number of Bernoulli trials scored.
    note : str
        How the posterior-mean probabilities were computed (e.g. from thinned draws).
    """

    brier: float
    log_score: float
    auc: float
    miscalibration: float
    discrimination: float
    uncertainty: float
    n_trials: int
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a one-column DataFrame (``value``), indexed by metric name."""
        rows = {
            "Brier score": self.brier,
            "log score (mean)": self.log_score,
            "AUC": self.auc,
            "miscalibration (PAV)": self.miscalibration,
            "discrimination (PAV)": self.discrimination,
            "uncertainty": self.uncertainty,
        }
        out = pd.DataFrame({"value": pd.Series(rows, dtype=float)})
        out.index.name = "fit quality"
        return out


# ---------------------------------------------------------------------------------------------
# predictions


def fitted_probabilities(post: PosteriorResults) -> np.ndarray:
    """Posterior mean of P(y_i = 1) for every observation, shape (n_obs,).

    Computed by row blocks (no draws x rows array); cached on the fit. Above
    the option ``fitted_max_cells`` rows x draws, the mean runs over evenly spaced draws (at least
    :data:`FITTED_MIN_DRAWS`); :func:`fitted_draws_note` says how many.

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> fitted_probabilities(post).shape
    (6,)
    """
    cached = post._cache.fitted
    if cached is not None:
        return cached[0]
    B, G = post.draws(), post.group_draws()
    S, n = B.shape[0], post.design.n_obs
    note = ""
    max_cells = options["fitted_max_cells"]
    if n * S > max_cells:
        keep = max(FITTED_MIN_DRAWS, max_cells // max(n, 1))
        if keep < S:
            kept = np.unique(np.linspace(0, S - 1, keep).round().astype(np.int64))
            B = B[kept]
            G = None if G is None else [g[kept] for g in G]
            note = f"posterior-mean probabilities from {B.shape[0]:,} evenly spaced of the {S:,} draws ({n:,} rows)"
    # offset and group terms included (eta_rows)
    p = np.concatenate(
        [_blocks.mean_prob_rows(post.design, sl, B, G) for sl in _blocks.row_slices(n, _blocks.block_rows(B.shape[0]))]
    )
    post._cache.fitted = (p, note)
    return p


def fitted_draws_note(post: PosteriorResults) -> str:
    """How :func:`fitted_probabilities` was computed ('' when from every draw)."""
    fitted_probabilities(post)
    return post._cache.fitted[1] if post._cache.fitted else ""


# ---------------------------------------------------------------------------------------------
# fit quality


def weighted_auc(score: np.ndarray, w_pos: np.ndarray, w_neg: np.ndarray) -> float:
    """Weighted Mann-Whitney AUC: P(score_pos > score_neg) + P(tie) / 2."""
    order = np.argsort(score, kind="mergesort")
    s, wp, wn = score[order], w_pos[order], w_neg[order]
    uniq, start = np.unique(s, return_index=True)
    pos = np.add.reduceat(wp, start)
    neg = np.add.reduceat(wn, start)
    neg_below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    if total == 0:
        return float("nan")
    return float(np.sum(pos * (neg_below + 0.5 * neg)) / total)


def fit_quality(post: PosteriorResults) -> FitQuality:
    """Brier score, log score, AUC and PAV calibration of the posterior-mean probabilities.

    For aggregated binomial data every trial counts once (row ``i`` contributes ``y_i``
    successes and ``n_i - y_i`` failures at probability ``p_i``).

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> 0 <= fit_quality(post).auc <= 1
    True
    """
    d = post.design
    y = np.asarray(d.y, dtype=float)
    return fit_quality_of(
        fitted_probabilities(post), y, d.response_family.kernel_trials(len(y)), note=fitted_draws_note(post)
    )


def fit_quality_of(p: np.ndarray, y: np.ndarray, n: np.ndarray, *, note: str = "") -> FitQuality:
    """:func:`fit_quality` of probabilities ``p``, successes ``y`` and trials ``n`` per row (the
    rows of a fit, or a subsample of them)."""
    from scipy.optimize import isotonic_regression

    p = np.clip(np.asarray(p, dtype=float), 1e-15, 1 - 1e-15)
    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    fail = n - y
    total = n.sum()

    def brier(q):
        return float(np.sum(y * (1 - q) ** 2 + fail * q**2) / total)

    log_score = float(np.sum(y * np.log(p) + fail * np.log1p(-p)) / total)
    # PAV recalibration (CORP, Dimitriadis et al. 2021): isotonic regression of the observed
    # event rate on the predictions, weighted by trials, ties pooled.
    order = np.argsort(p, kind="mergesort")
    keep = n[order] > 0
    ps, ys, ns = p[order][keep], y[order][keep], n[order][keep]
    uniq, start = np.unique(ps, return_index=True)
    ysum, nsum = np.add.reduceat(ys, start), np.add.reduceat(ns, start)
    cep_u = isotonic_regression(ysum / nsum, weights=nsum, increasing=True).x
    cep = np.empty_like(p)
    cep[order[keep]] = np.repeat(cep_u, np.diff(np.append(start, len(ps))))
    cep[order[~keep]] = 0.5
    rate = np.full_like(p, y.sum() / total)
    unc = brier(rate)
    return FitQuality(
        brier=brier(p),
        log_score=log_score,
        auc=weighted_auc(p, y, fail),
        miscalibration=brier(p) - brier(cep),
        discrimination=unc - brier(cep),
        uncertainty=unc,
        n_trials=int(total),
        note=note,
    )
