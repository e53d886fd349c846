"""Draws from the priors and the prior predictive distribution, in numpy, laid out like PyMC's.

Every prior family draws itself exactly (:meth:`~bayeslogit.priors.base.Prior.draw` for one
coefficient, :meth:`~bayeslogit.priors.base.JointFamily.draw_joint` for the coefficients under
a family, sampled scales included), so no PyMC model is compiled; ``Flat`` is improper: it has
no draws, and asking for them is a :class:`~bayeslogit.PriorError`. The replicated outcomes
are the response family's (:meth:`~bayeslogit.response.ResponseFamily.replicate`).

The priors apply to what :class:`~bayeslogit.priors.ResolvedPriors` says: with a centred
intercept the intercept's prior is on the log-odds at the predictor means, so the drawn
original-scale intercept is ``alpha_c - x_mean @ beta``. The ``prior`` group holds ``beta``
(dims ``coef``) and the free variables of :func:`bayeslogit.fit.pymc_model.build_model` under
the same names and dims (``beta_normal``, ``tau``, ``hs_lambda``...), so it lines up with a
PyMC posterior and with ``pm.sample_prior_predictive`` on ``model.pymc_model``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .. import _blocks
from .._options import options
from ..design import Design
from ..errors import BayeslogitWarning, PriorError
from ..priors import PriorContext, ResolvedPriors
from ..response import ResponseFamily, as_response, response_family

__all__ = ["draw_prior", "prior_predictive_tree", "warn_if_large"]


def draw_prior(
    design: Design, priors: ResolvedPriors, draws: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, list[str]], dict[str, list[str]]]:
    """``draws`` joint draws from the priors: ``(variables, dims, coords)``.

    ``variables["beta"]`` has shape ``(draws, n_coef)`` (original scale); the free variables
    of the PyMC model come with it (leading axis ``draws``).
    """
    names = design.column_names
    flat = [n for n in names if priors.priors[n].improper]
    if flat:
        raise PriorError(
            f"prior draws need proper priors, but {', '.join(flat)} {'has' if len(flat) == 1 else 'have'} "
            "a Flat prior (improper: it has no draws); give them a proper prior such as "
            "bl.Normal(0, 2.5) in LogitModel(..., priors={...})"
        )
    ctx = PriorContext.from_design(design)
    raw = np.empty((draws, len(names)))
    out: dict[str, np.ndarray] = {}
    dims: dict[str, list[str]] = {"beta": ["coef"]}
    coords: dict[str, list[str]] = {"coef": list(names)}
    for group in priors.by_family(names):
        coords[group.dim] = group.names
        raw[:, group.index] = group.family_class.draw_joint(group.priors, draws, rng, ctx, group.dim, out, dims)
    beta = raw.copy()
    if priors.centered_intercept:
        i0 = names.index("Intercept")
        beta[:, i0] = raw[:, i0] - raw @ priors.x_mean  # x_mean[i0] == 0
    out["beta"] = beta
    if getattr(design, "groups", None) is not None:  # group sds, correlations and effects
        from .group_model import draw_group_prior

        g_values, g_dims, g_coords, _ = draw_group_prior(design, priors.groups, draws, rng)
        out.update(g_values)
        dims.update(g_dims)
        coords.update(g_coords)
    return out, dims, coords


def prior_predictive_tree(
    design: Design, priors: ResolvedPriors, *, draws: int, random_seed: int | None, predictive: bool = True
):
    """An ArviZ ``DataTree`` with ``prior``, ``prior_predictive`` (unless ``predictive=False``),
    ``observed_data`` and ``constant_data``, laid out like ``pm.sample_prior_predictive``'s
    (one chain of ``draws``); the outcome variable is named as the response. The outcomes are int8 for 0/1 data (see
    :meth:`bayeslogit.response.ResponseFamily.replicate`); above the ``predictive_warn_bytes`` option (:mod:`bayeslogit._options`) a
    :class:`~bayeslogit.BayeslogitWarning` gives their size first."""
    import arviz as az

    rng = np.random.default_rng(random_seed)
    values, dims, coords = draw_prior(design, priors, draws, rng)
    family = response_family(design)
    # the outcome is named as the response (ArviZ pairs observed_data and prior_predictive by
    # name); "y" where that name is taken by another variable of the tree
    name = str(getattr(design, "response", "") or "y")
    if name in {*values, *dims, "X", "trials", "offset"}:
        name = "y"
    groups: dict[str, dict[str, Any]] = {
        "prior": {k: v[None] for k, v in values.items()},
        "observed_data": {name: design.y},
        "constant_data": {"X": design.X, **family.constant_data()},
    }
    if getattr(design, "offset", None) is not None:
        groups["constant_data"]["offset"] = design.offset
    if predictive:
        warn_if_large(draws, design.n_obs, family, "prior predictive", stacklevel=4)
        G = None if design.groups is None else [values[f"b_{t.key}"] for t in design.groups.terms]
        groups["prior_predictive"] = {name: family.replicate(design, values["beta"], rng, G)[None]}
    all_coords: dict[str, Any] = {**coords, "obs": np.arange(design.n_obs)}
    dims = {**dims, name: ["obs"], "X": ["obs", "coef"], "trials": ["obs"], "offset": ["obs"]}
    tree = az.from_dict(groups, coords=all_coords, dims=dims)
    tree["prior"].attrs.update(
        {
            "created_by": "bayeslogit (numpy draws from the priors)",
            "random_seed": "None" if random_seed is None else int(random_seed),
        }
    )
    return tree


def warn_if_large(
    draws: int, n_rows: int, trials: ResponseFamily | np.ndarray | None, what: str, *, stacklevel: int = 3
) -> None:
    """Warn with the size when ``draws x rows`` replicated outcomes exceed the
    ``predictive_warn_bytes`` option, 1 GiB by default (``trials``:
    the response family, or the trials per row, None for Bernoulli rows)."""
    itemsize = as_response(trials).outcome_dtype().itemsize
    size = draws * n_rows * itemsize
    if size > options["predictive_warn_bytes"]:
        warnings.warn(
            f"the {what} outcomes are {draws:,} draws x {n_rows:,} rows x {itemsize} byte(s) = "
            f"{_blocks.nbytes_text(size)} of memory; ask for fewer draws, or predict() the "
            "probabilities (summarised by row blocks) if you do not need every replicate",
            BayeslogitWarning,
            stacklevel=stacklevel,
        )
