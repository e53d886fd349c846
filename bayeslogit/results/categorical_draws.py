"""Per-draw quantities of a multinomial or ordinal posterior: odds ratios and average marginal
effects per outcome, summarised over the draws.

The average marginal effect of a draw is the point fits' function
(:meth:`~bayeslogit.response_categorical.Multinomial.marginal_effects`, which equals
statsmodels' ``MNLogit.get_margeff()`` at the MLE) evaluated at that draw, accumulated over
row blocks (:mod:`bayeslogit._blocks`): each block's weighted mean times its weight, summed and
divided by the total weight. Memory: one block's rows x outcomes at a time, and draws x
outcomes x terms for the result (never draws x rows).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import _blocks

__all__ = ["ame_terms", "ame_draws", "summarize", "interval_columns", "effect_rows"]


def effect_rows(model, data, offset=None):
    """``(family, X, offset)`` of the rows effects average over: the training rows with their
    weights (``data`` None; a weighted row counts ``w`` times), or the rows of ``data``, each
    once (``offset``: their offset, as :meth:`predict` takes it)."""
    import copy

    from ..errors import ArgumentError

    d = model.design
    fam = d.response_family
    if data is None:
        if offset is not None:
            raise ArgumentError(
                "offset= gives the offset of the rows of data=; without data= the training rows' own "
                "offset is used: drop offset= or pass data="
            )
        return fam, d.X, d.offset
    if not isinstance(data, pd.DataFrame) or len(data) == 0:
        raise ArgumentError(
            f"data must be a non-empty pandas DataFrame of rows with the model's predictors, got "
            f"{type(data).__name__}{' with no rows' if isinstance(data, pd.DataFrame) else ''}; "
            "leave it out to average over the training rows"
        )
    unweighted = copy.copy(fam)
    unweighted.weights = None
    return unweighted, d.encode(data), d.encode_offset(data, offset)


def interval_columns(ci_prob: float) -> tuple[str, str]:
    """``("eti95_lb", "eti95_ub")`` for ``ci_prob=0.95``, as the binary posteriors name them."""
    stem = f"eti{ci_prob * 100:g}"
    return f"{stem}_lb", f"{stem}_ub"


def summarize(values: np.ndarray, index, ci_prob: float, *, median: bool = False) -> pd.DataFrame:
    """``mean`` (``median``), ``sd`` and the equal-tailed ``ci_prob`` interval of each column
    of ``values`` (draws x quantities), one row per quantity of ``index``."""
    lb, ub = interval_columns(ci_prob)
    cols = {"mean": values.mean(axis=0)}
    if median:
        cols["median"] = np.median(values, axis=0)
    cols["sd"] = values.std(axis=0, ddof=1)
    cols[lb] = np.quantile(values, (1 - ci_prob) / 2, axis=0)
    cols[ub] = np.quantile(values, (1 + ci_prob) / 2, axis=0)
    return pd.DataFrame(cols, index=index)


def ame_terms(design) -> tuple[list[int], list[str]]:
    """Positions and names of the design columns that get an effect (every one but ``Intercept``)."""
    keep = [j for j, c in enumerate(design.column_names) if c != "Intercept"]
    return keep, [design.column_names[j] for j in keep]


def ame_draws(family, X: np.ndarray, offset: np.ndarray | None, draws: np.ndarray, keep: list[int]) -> np.ndarray:
    """Average marginal effects at every draw, shape ``(draws, outcomes, terms)``, by row blocks.

    ``family`` carries the rows' weights (a weighted row counts ``w`` times). The terms are the
    design columns ``keep`` (an ordinal family's effects are of its slope columns, which are
    those already)."""
    n, p = X.shape
    K = family.n_outcomes
    rows = _blocks.block_rows(2 * (K + p))
    w = np.ones(n) if family.weights is None else np.asarray(family.weights, dtype=float)
    total = float(w.sum())
    out = np.zeros((draws.shape[0], K, len(keep)))
    for sl in _blocks.row_slices(n, rows):
        fam_b, Xb = family.take(sl), X[sl]
        ob = None if offset is None else offset[sl]
        share = float(w[sl].sum()) / total
        for s, theta in enumerate(draws):
            m = fam_b.marginal_effects(Xb, theta, ob)  # (columns, K), the block's weighted mean
            m = m if m.shape[0] == len(keep) else m[keep]
            out[s] += share * m.T
    return out
