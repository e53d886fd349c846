"""Draws from the priors of a multinomial or ordinal model, and its prior predictive outcomes.

The priors are those of the PyMC model (:func:`bayeslogit.fit.categorical_pymc.build_categorical_model`),
drawn exactly in numpy with the binary models' :func:`~bayeslogit.fit.prior_predictive.draw_prior`:

- multinomial: every non-reference level's coefficient vector is one independent draw of the
  design columns' priors (the intercept's prior at centred predictors when it is centred);
- ordinal: the slopes are one draw of their columns' priors; each cutpoint ``theta_k`` is the
  binary split ``y > k``'s intercept ``-theta_k`` (at centred predictors:
  ``a_k = x_mean @ beta - theta_k``), whose prior is the ``Intercept``'s. The model's density
  is the product of the ``a_k``'s priors on the ordered cutpoints, which is the law of
  independent draws of ``a_k`` sorted (largest ``a`` to the lowest cutpoint).

The ``prior`` group holds ``theta`` (dims ``param``, labelled as the fits' ``params``); the
``prior_predictive`` and ``observed_data`` groups hold outcome codes (``0..K-1``, the levels in
the attribute ``levels``), one draw's rows x outcomes probabilities at a time.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

from ..errors import PriorError
from .categorical_pymc import param_labels
from .prior_predictive import draw_prior, warn_if_large

__all__ = ["draw_categorical_prior", "categorical_prior_predictive_tree"]


def draw_categorical_prior(design, priors, draws: int, rng: np.random.Generator) -> np.ndarray:
    """``draws`` joint draws of the parameter vector ``theta`` from the priors, ``(draws, params)``."""
    if priors.sampled_scale:
        raise PriorError(
            "multinomial and ordinal models take priors with a fixed scale for now (Normal, Student-t, "
            "Cauchy, Laplace, elastic net); hierarchical and horseshoe priors come later"
        )
    fam = design.response_family
    p = design.n_coef
    cutpoints = getattr(fam, "cutpoint_names", None)
    if cutpoints is None:  # multinomial: one draw of the column priors per non-reference level
        return np.hstack([draw_prior(design, priors, draws, rng)[0]["beta"] for _ in fam.coef_outcomes])
    slopes = fam.slope_columns(p)
    i0 = design.column_names.index("Intercept")
    xm = np.asarray(priors.x_mean, dtype=float) if priors.centered_intercept else np.zeros(p)
    a = np.empty((draws, len(cutpoints)))
    beta = np.empty((draws, len(slopes)))
    for k in range(len(cutpoints)):
        full = draw_prior(design, priors, draws, rng)[0]["beta"]
        a[:, k] = full[:, i0] + full @ xm  # the intercept's own draw (at centred predictors)
        if k == 0:
            beta = full[:, slopes]
    a = -np.sort(-a, axis=1)  # descending: the largest a gives the lowest cutpoint
    cut = (beta @ xm[slopes])[:, None] - a
    return np.hstack([beta, cut])


def categorical_prior_predictive_tree(design, priors, *, draws: int, random_seed: int | None, predictive: bool = True):
    """An ArviZ ``DataTree`` with ``prior`` (``theta``), ``prior_predictive`` (unless
    ``predictive=False``), ``observed_data`` and ``constant_data``, one chain of ``draws``."""
    import arviz as az

    rng = np.random.default_rng(random_seed)
    fam = design.response_family
    theta = draw_categorical_prior(design, priors, draws, rng)
    name = str(design.response or "y")
    if name in {"theta", "X", "offset"}:
        name = "y"
    groups: dict = {
        "prior": {"theta": theta[None]},
        "observed_data": {name: design.y.astype(fam.outcome_dtype())},
        "constant_data": {"X": design.X},
    }
    if design.offset is not None:
        groups["constant_data"]["offset"] = design.offset
    if predictive:
        warn_if_large(draws, design.n_obs, fam, "prior predictive", stacklevel=4)
        codes = np.empty((draws, design.n_obs), dtype=fam.outcome_dtype())
        for s in range(draws):
            codes[s] = fam.draw(fam.probs(design.X, theta[s], design.offset), rng)
        groups["prior_predictive"] = {name: codes[None]}
    coords = {"param": param_labels(fam.param_index(design.column_names)), "obs": np.arange(design.n_obs)}
    coords["coef"] = list(design.column_names)
    dims = {"theta": ["param"], name: ["obs"], "X": ["obs", "coef"], "offset": ["obs"]}
    tree = az.from_dict(groups, coords=coords, dims=dims)
    tree["prior"].attrs.update(
        {
            "created_by": "bayeslogit (numpy draws from the priors)",
            "random_seed": "None" if random_seed is None else int(random_seed),
        }
    )
    for group in ("observed_data", *(("prior_predictive",) if predictive else ())):
        tree[group].attrs["levels"] = [str(v) for v in fam.levels]
    return tree
