"""Rows to predict for a model with group terms: the design rows plus their group effects' draws.

For the training rows these are the design and the posterior's group draws. New rows are
encoded term by term (:meth:`bayeslogit.design.group_terms.GroupTerm.encode`): a seen level uses its
own effects; an *unseen* level (a new school) is not an error, and ``new_groups`` says what
its effects are:

- ``"population"`` (default): zero, the population-level prediction (lme4's
  ``predict(re.form=NA)`` for those rows, brms's ``allow_new_levels`` with no new effect);
- ``"sample"``: a new effect for every draw from the fitted group distribution,
  ``b_new ~ MvNormal(0, diag(sd) R diag(sd))`` of that draw (brms's
  ``sample_new_levels="gaussian"``), so the interval includes the between-group spread. Rows
  with the same unseen level share one new effect per draw; ``random_seed`` fixes the draws.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd

from .._validation import check_choice
from ..errors import ArgumentError
from ..fit.group_model import group_var_names

__all__ = ["NEW_GROUPS", "check_new_groups", "group_rows", "point_group_eta"]

NEW_GROUPS = ("population", "sample")


def check_new_groups(new_groups) -> str:
    return check_choice("new_groups", new_groups, NEW_GROUPS)


def group_rows(
    results,
    X: np.ndarray,
    new_df: pd.DataFrame | None,
    *,
    new_groups: str = "population",
    random_seed: int | np.random.Generator | None = None,
    offset: np.ndarray | None = None,
):
    """``(rows, G)``: an object with ``X``, ``offset`` and ``groups`` for :func:`bayeslogit._blocks.eta_rows`,
    and the group draws (one ``(draws, levels [+ unseen], k)`` array per term), or ``G=None``
    when the model has no group terms."""
    d = results.design
    if d.groups is None:
        return SimpleNamespace(X=X, offset=offset, groups=None), None
    G = results.group_draws()
    if new_df is None:
        return SimpleNamespace(X=X, offset=offset, groups=d.groups), G
    rng = np.random.default_rng(random_seed)
    terms, draws = [], []
    posterior = results.idata.posterior
    for t, Gt in zip(d.groups.terms, G):
        index, values, unseen = t.encode(new_df)
        terms.append(replace(t, index=index, values=values))
        if unseen:
            S, U, k = Gt.shape[0], len(unseen), t.n_coef
            new = np.zeros((S, U, k))
            if new_groups == "sample":
                v = group_var_names(t)
                sd = posterior[v["sd"]].transpose("chain", "draw", v["coef"]).values.reshape(S, k)
                z = rng.standard_normal((S, U, k))
                if t.correlated:
                    R = posterior[v["cor"]].transpose("chain", "draw", ...).values.reshape(S, k, k)
                    L = np.linalg.cholesky(R + 1e-12 * np.eye(k))
                    z = np.einsum("sij,suj->sui", L, z)  # L z for every draw and new level
                new = z * sd[:, None, :]
            Gt = np.concatenate([Gt, new], axis=1)
        draws.append(Gt)
    return SimpleNamespace(X=X, offset=offset, groups=replace(d.groups, terms=terms)), draws


def point_group_eta(results, new_df: pd.DataFrame | None, *, new_groups: str = "population") -> np.ndarray | float:
    """The group part of the linear predictor of a GLMM maximum-likelihood fit (lme4's
    ``predict``): each row's conditional modes (``results.group_modes()``); an unseen level
    gets zero, the population level. ``0.0`` for a point fit without group modes."""
    modes = getattr(results, "group_modes", None)
    groups = results.design.groups
    if modes is None or groups is None:
        return 0.0
    if new_groups == "sample":
        raise ArgumentError(
            "new_groups='sample' draws new group effects per posterior draw; a maximum-likelihood fit "
            "has no draws: use new_groups='population' (unseen levels at the population level), or sample()"
        )
    M = modes()
    if new_df is None:
        return groups.eta_block(slice(None), [m[None] for m in M])[:, 0]
    terms, G = [], []
    for t, m in zip(groups.terms, M):
        index, values, unseen = t.encode(new_df)
        terms.append(replace(t, index=index, values=values))
        G.append(np.concatenate([m, np.zeros((len(unseen), t.n_coef))])[None])
    return replace(groups, terms=terms).eta_block(slice(None), G)[:, 0]
