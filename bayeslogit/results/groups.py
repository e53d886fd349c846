"""Group terms in a posterior: the group effects' draws, their tidy table, and the sds/correlations.

The population coefficients stay where they always are (``params``, ``coef_table()``); what a
model with group terms adds is here, used by :class:`~bayeslogit.PosteriorResults`'
``group_draws()``, ``group_effects()`` and ``group_summary()``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._validation import check_probability
from ..errors import ArgumentError
from ..fit.group_model import group_var_names

if TYPE_CHECKING:  # pragma: no cover
    from .posterior import PosteriorResults

__all__ = ["group_draws", "read_group_draws", "group_effects", "group_summary"]


def _groups(post: PosteriorResults, what: str):
    groups = post.design.groups
    if groups is None:
        raise ArgumentError(
            f"{what} needs group terms like (1 | g) in the formula, and {post.design.formula!r} has none"
        )
    return groups


def group_draws(post: PosteriorResults) -> list[np.ndarray] | None:
    """Per group term, its effects' draws ``(chains * draws, levels, k)``; None without group
    terms. Read once per fit (kept in its cache)."""
    return post._cache.group_effect_draws()


def read_group_draws(post: PosteriorResults) -> list[np.ndarray] | None:
    """:func:`group_draws` read from the fit's ``DataTree`` (each time it is called)."""
    groups = post.design.groups
    if groups is None:
        return None
    posterior = post.idata.posterior
    out = []
    for t in groups.terms:
        v = group_var_names(t)
        b = posterior[v["b"]].sel({v["level"]: list(t.levels), v["coef"]: list(t.coef_names)})  # by label
        b = b.transpose("chain", "draw", v["level"], v["coef"]).values
        out.append(b.reshape(-1, t.n_levels, t.n_coef))
    return out


def group_effects(post: PosteriorResults, *, ci_prob: float = 0.95) -> pd.DataFrame:
    """One row per group term, level and varying coefficient: the deviation ``b`` of that level
    from the population coefficient (mean, sd and equal-tailed interval of its draws)."""
    groups = _groups(post, "group_effects()")
    check_probability("ci_prob", ci_prob)
    lo_q, hi_q = (1 - ci_prob) / 2, (1 + ci_prob) / 2
    stem = f"eti{ci_prob * 100:g}"
    frames = []
    draws = group_draws(post)
    assert draws is not None  # _groups() raised for a model without group terms
    for t, B in zip(groups.terms, draws):
        lo, hi = np.quantile(B, [lo_q, hi_q], axis=0)
        L, k = t.n_levels, t.n_coef
        frames.append(
            pd.DataFrame(
                {
                    "term": t.label,
                    "group": t.group_name,
                    "level": np.repeat(np.asarray(t.levels, dtype=object), k),
                    "coef": np.tile(np.asarray(t.coef_names, dtype=object), L),
                    "mean": B.mean(axis=0).ravel(),
                    "sd": B.std(axis=0, ddof=1).ravel(),
                    f"{stem}_lb": lo.ravel(),
                    f"{stem}_ub": hi.ravel(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def group_summary(post: PosteriorResults, *, ci_prob: float = 0.95) -> pd.DataFrame:
    """The group sds and correlations, summarised by ArviZ (mean, sd, interval, ESS, R-hat),
    indexed ``sd(x | g)`` and ``cor(Intercept, x | g)``."""
    import arviz_stats as az

    groups = _groups(post, "group_summary()")
    check_probability("ci_prob", ci_prob)
    rows = []
    for t in groups.terms:
        v = group_var_names(t)
        tab = az.summary(post.idata, var_names=[v["sd"]], ci_prob=ci_prob, ci_kind="eti", round_to="none")
        tab.index = [f"sd({c} | {t.group_name})" for c in t.coef_names]
        rows.append(pd.DataFrame(tab).astype(float))
        if t.correlated:  # the lower triangle only (the diagonal is 1: no ESS or R-hat to compute)
            import xarray as xr

            cor = post.idata.posterior[v["cor"]].transpose("chain", "draw", ...).values
            k = t.n_coef
            pairs = [(i, j) for i in range(k) for j in range(i)]
            vals = np.stack([cor[..., i, j] for i, j in pairs], axis=-1)
            ds = xr.Dataset({"cor": (("chain", "draw", "pair"), vals)})
            tab = pd.DataFrame(az.summary(ds, ci_prob=ci_prob, ci_kind="eti", round_to="none")).astype(float)
            tab.index = [f"cor({t.coef_names[j]}, {t.coef_names[i]} | {t.group_name})" for i, j in pairs]
            rows.append(tab)
    out = pd.concat(rows)
    out.index.name = "term"
    return out
