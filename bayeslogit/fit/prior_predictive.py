"""Draws from the priors and the prior predictive distribution, in numpy, laid out like PyMC's.

Every prior family has an exact sampler here, so no PyMC model is compiled:

- ``Normal``, ``StudentT``, ``Cauchy``, ``Laplace``: numpy's generators;
- ``ElasticNet`` (density proportional to ``exp(-l1 |z| - l2 z^2 / 2)``, ``z = x - mu``): on
  each side of ``mu`` the density is a normal kernel ``exp(-l2 (|z| + l1 / l2)^2 / 2)``, so
  ``|z|`` is a normal with mean ``-l1 / l2`` and sd ``1 / sqrt(l2)`` truncated to ``[0, inf)``
  and the sign is a fair coin (both sides carry equal mass);
- ``Normal(mu, HalfNormal(s))`` (``HierNormal``): ``tau ~ HalfNormal(s)`` (one per distinct
  scale prior, as in :mod:`bayeslogit.fit.pymc_model`), ``z ~ N(0, 1)``, ``mu + tau z``;
- ``Horseshoe``: the regularized horseshoe's generative form (Piironen & Vehtari 2017):
  ``tau ~ HalfCauchy(tau0)``, ``lambda_j ~ HalfCauchy(1)``, ``c^2 ~ InvGamma(df/2, df s^2/2)``,
  ``beta_j = z_j tau lambda~_j``;
- ``Flat`` is improper: it has no draws, and asking for them is a :class:`~bayeslogit.PriorError`.

The priors apply to what :class:`~bayeslogit.priors.ResolvedPriors` says: with a centred
intercept the intercept's prior is on the log-odds at the predictor means, so the drawn
original-scale intercept is ``alpha_c - x_mean @ beta``. The ``prior`` group holds ``beta``
(dims ``coef``) and the free variables of :func:`bayeslogit.fit.pymc_model.build_model` under
the same names and dims (``beta_normal``, ``tau``, ``hs_lambda``...), so it lines up with a
PyMC posterior and with ``pm.sample_prior_predictive`` on ``model.pymc_model``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .. import _blocks
from ..design import Design
from ..errors import BayeslogitWarning, PriorError
from ..priors import ResolvedPriors

__all__ = ["draw_prior", "prior_predictive_tree", "warn_if_large", "PREDICTIVE_WARN_BYTES"]

PREDICTIVE_WARN_BYTES = 2**30
"""Replicated outcomes above this size (1 GiB) warn with their size first."""


def draw_prior(
    design: Design, priors: ResolvedPriors, draws: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, list[str]], dict[str, list[str]]]:
    """``draws`` joint draws from the priors: ``(variables, dims, coords)``.

    ``variables["beta"]`` has shape ``(draws, n_coef)`` (original scale); the free variables
    of the PyMC model come with it (leading axis ``draws``).
    """
    names = design.column_names
    flat = [n for n in names if priors.priors[n].family == "Flat"]
    if flat:
        raise PriorError(
            f"prior draws need proper priors, but {', '.join(flat)} {'has' if len(flat) == 1 else 'have'} "
            "a Flat prior (improper: it has no draws); give them a proper prior such as "
            "bl.Normal(0, 2.5) in LogitModel(..., priors={...})"
        )
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        groups.setdefault(priors.priors[name].family, []).append(j)
    raw = np.empty((draws, len(names)))
    out: dict[str, np.ndarray] = {}
    dims: dict[str, list[str]] = {"beta": ["coef"]}
    coords: dict[str, list[str]] = {"coef": list(names)}
    for family, idx in groups.items():
        dim = f"coef_{family.lower()}"
        coords[dim] = [names[j] for j in idx]
        ps = [priors.priors[names[j]] for j in idx]
        if family == "HierNormal":
            scales = list(dict.fromkeys(p.sigma for p in ps))
            taus = [np.abs(rng.normal(0.0, s.sigma, size=draws)) for s in scales]
            for k, t in enumerate(taus):
                out["tau" if k == 0 else f"tau_{k + 1}"] = t
            z = rng.standard_normal((draws, len(ps)))
            out["z_hiernormal"], dims["z_hiernormal"] = z, [dim]
            tau_mat = np.stack([taus[scales.index(p.sigma)] for p in ps], axis=1)
            raw[:, idx] = np.array([p.mu for p in ps]) + tau_mat * z
        elif family == "Horseshoe":
            raw[:, idx] = _horseshoe(ps, design, draws, rng, dim, out, dims)
        else:
            values = np.stack([_draw_one(p, draws, rng) for p in ps], axis=1)
            var = f"beta_{family.lower()}"
            out[var], dims[var] = values, [dim]
            raw[:, idx] = values
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


def _draw_one(p, draws: int, rng: np.random.Generator) -> np.ndarray:
    """Draws of one coefficient's prior (families with independent coefficients)."""
    fam = p.family
    if fam == "Normal":
        return rng.normal(p.mu, p.sigma, size=draws)
    if fam == "StudentT":
        return p.mu + p.sigma * rng.standard_t(p.nu, size=draws)
    if fam == "Cauchy":
        return p.mu + p.sigma * rng.standard_cauchy(size=draws)
    if fam == "Laplace":
        return rng.laplace(p.mu, p.b, size=draws)
    if fam == "ElasticNet":
        from scipy.stats import truncnorm

        m, s = -p.l1 / p.l2, 1.0 / math.sqrt(p.l2)
        size = truncnorm.rvs((0.0 - m) / s, np.inf, loc=m, scale=s, size=draws, random_state=rng)
        return p.mu + np.where(rng.random(draws) < 0.5, -size, size)
    raise AssertionError(f"no sampler for prior family {fam}")  # pragma: no cover


def _horseshoe(
    ps: list,
    design: Design,
    draws: int,
    rng: np.random.Generator,
    dim: str,
    out: dict[str, np.ndarray],
    dims: dict[str, list[str]],
) -> np.ndarray:
    hs = ps[0]
    if any(p != hs for p in ps):
        raise PriorError("all coefficients under a Horseshoe prior must share the same Horseshoe(...) settings")
    ybar = float(np.sum(design.y) / (design.n_obs if design.trials is None else np.sum(design.trials)))
    tau0 = hs.tau0(len(ps), design.n_obs, ybar)
    tau = np.abs(tau0 * rng.standard_cauchy(draws))
    lam = np.abs(rng.standard_cauchy((draws, len(ps))))
    c2 = (hs.slab_df * hs.slab_scale**2 / 2) / rng.gamma(hs.slab_df / 2, 1.0, size=draws)
    z = rng.standard_normal((draws, len(ps)))
    out["hs_tau"], out["hs_c2"] = tau, c2
    out["hs_lambda"], dims["hs_lambda"] = lam, [dim]
    out["hs_z"], dims["hs_z"] = z, [dim]
    lam_t = np.sqrt(c2[:, None] * lam**2 / (c2[:, None] + tau[:, None] ** 2 * lam**2))
    return z * tau[:, None] * lam_t


def prior_predictive_tree(
    design: Design, priors: ResolvedPriors, *, draws: int, random_seed: int | None, predictive: bool = True
):
    """An ArviZ ``DataTree`` with ``prior``, ``prior_predictive`` (unless ``predictive=False``),
    ``observed_data`` and ``constant_data``, laid out like ``pm.sample_prior_predictive``'s
    (one chain of ``draws``). The outcomes are int8 for 0/1 data (see
    :func:`bayeslogit._blocks.replicate_outcomes`); above :data:`PREDICTIVE_WARN_BYTES` a
    :class:`~bayeslogit.BayeslogitWarning` gives their size first."""
    import arviz as az

    rng = np.random.default_rng(random_seed)
    values, dims, coords = draw_prior(design, priors, draws, rng)
    groups: dict[str, dict[str, Any]] = {
        "prior": {k: v[None] for k, v in values.items()},
        "observed_data": {"y": design.y},
        "constant_data": {"X": design.X} if design.trials is None else {"X": design.X, "trials": design.trials},
    }
    if getattr(design, "offset", None) is not None:
        groups["constant_data"]["offset"] = design.offset
    if predictive:
        warn_if_large(draws, design.n_obs, design.trials, "prior predictive", stacklevel=4)
        G = None if design.groups is None else [values[f"b_{t.key}"] for t in design.groups.terms]
        groups["prior_predictive"] = {
            "y": _blocks.replicate_outcomes(design, design.trials, values["beta"], rng, G)[None]
        }
    coords = {**coords, "obs": np.arange(design.n_obs)}
    dims = {**dims, "y": ["obs"], "X": ["obs", "coef"], "trials": ["obs"], "offset": ["obs"]}
    tree = az.from_dict(groups, coords=coords, dims=dims)
    tree["prior"].attrs.update(
        {
            "created_by": "bayeslogit (numpy draws from the priors)",
            "random_seed": "None" if random_seed is None else int(random_seed),
        }
    )
    return tree


def warn_if_large(draws: int, n_rows: int, trials: np.ndarray | None, what: str, *, stacklevel: int = 3) -> None:
    """Warn with the size when ``draws x rows`` replicated outcomes exceed 1 GiB."""
    itemsize = _blocks.outcome_dtype(1 if trials is None else int(np.max(trials, initial=1))).itemsize
    size = draws * n_rows * itemsize
    if size > PREDICTIVE_WARN_BYTES:
        warnings.warn(
            f"the {what} outcomes are {draws:,} draws x {n_rows:,} rows x {itemsize} byte(s) = "
            f"{_blocks.nbytes_text(size)} of memory; ask for fewer draws, or predict() the "
            "probabilities (summarised by row blocks) if you do not need every replicate",
            BayeslogitWarning,
            stacklevel=stacklevel,
        )
