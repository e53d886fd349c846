"""Prior sensitivity: how much the posterior moves when the prior (or the likelihood) is
power-scaled (Kallioinen et al. 2024, ``arviz_stats.psense``).

This module owns the log prior density of every draw (:func:`log_prior_draws`; the joint prior
of the free variables, scales included, :func:`joint_log_prior_draws`) and the per-coefficient
sensitivities (:func:`prior_sensitivity`). Numbers only: the verdict on them (when a pull is a
conflict, what to do) is :func:`bayeslogit.check.diagnostics.diagnose`'s.

Cost: psense needs only the log-likelihood's sum over rows per draw, made by row blocks (no
draws x rows array) and shared with exact PSIS-LOO through the fit's cache. Above
``bl.options["fitted_max_cells"]`` rows x draws the pass runs on evenly spaced
draws of each chain, under the same budget as the fitted probabilities.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._options import options
from ..errors import ArgumentError
from ..priors import PriorContext
from . import scores

if TYPE_CHECKING:  # pragma: no cover
    from ..results.posterior import PosteriorResults

__all__ = ["prior_sensitivity", "log_prior_draws", "joint_log_prior_draws", "arviz_log_prior", "PSENSE_THRESHOLD"]

PSENSE_THRESHOLD = 0.05
"""Power-scaling sensitivity (CJS distance gradient) from which a component counts as influential
(Kallioinen et al. 2024; ``arviz_stats.psense_summary``'s default)."""


def log_prior_draws(post: PosteriorResults) -> np.ndarray:
    """Log prior density of every draw, per coefficient: shape ``(chains * draws, n_coef)``.

    Each coefficient's prior is evaluated at the quantity it applies to (for a centred
    intercept, the log-odds at the predictor means ``b0 + x_mean @ beta``), so the row sums are
    :meth:`bayeslogit.priors.ResolvedPriors.logpdf` of each draw.
    """
    priors = post.model.priors
    B = post.draws() @ priors.centring_map().T
    return np.column_stack(
        [np.asarray(priors.priors[name].logpdf(B[:, j]), dtype=float) for j, name in enumerate(post.coef_names)]
    )


def joint_log_prior_draws(post: PosteriorResults) -> dict[str, np.ndarray]:
    """Log prior density of every draw, per free variable of the PyMC model
    (:func:`bayeslogit.fit.pymc_model.build_model`): a dict of arrays of shape
    ``(chains * draws, k)``, whose total per draw is the joint log prior, as
    ``pm.compute_log_prior`` computes it (untransformed values, no Jacobian).

    Coefficients with a closed-form prior enter as in :func:`log_prior_draws` (key ``"beta"``,
    their columns only). ``Normal(mu, HalfNormal(s))`` coefficients enter through their
    non-centred free variables: ``tau`` (``tau_2``, ... for further distinct scales) ~
    ``HalfNormal(s)`` and ``z_hiernormal`` ~ ``N(0, 1)``; ``Horseshoe`` ones through ``hs_tau`` ~
    ``HalfCauchy(tau0)``, ``hs_lambda`` ~ ``HalfCauchy(1)``, ``hs_c2`` ~ ``InvGamma(df/2, df
    s^2/2)`` and ``hs_z`` ~ ``N(0, 1)``, read from ``post.idata.posterior``. Group terms enter
    through theirs (:func:`bayeslogit.fit.group_model.group_free_log_prior`): ``sd_g`` under
    its sd priors, ``z_g`` ~ ``N(0, 1)`` and ``L_g``, the Cholesky factor of the correlations,
    under ``LKJ`` (one number per draw, as PyMC's multivariate log density).

    Raises
    ------
    ArgumentError
        When the posterior lacks one of those free variables.

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> {k: v.shape for k, v in joint_log_prior_draws(post).items()}
    {'beta': (200, 2)}
    """
    posterior = post.idata.posterior

    def draws(var: str, family: str) -> np.ndarray:
        if var not in posterior:
            raise ArgumentError(
                f"the joint prior of the {family} priors needs the posterior draws of the model's free "
                f"variable {var!r}, which this posterior lacks; sample the model (PyMC or nutpie store "
                "them in post.idata.posterior)"
            )
        v = posterior[var]
        return v.transpose("chain", "draw", ...).values.reshape(post.n_chains * post.n_draws, -1)

    ctx = PriorContext.from_design(post.design)
    out = post.model.priors.free_log_prior(post.draws(), draws, ctx)
    if post.design.groups is not None:  # the group terms' sds, standardised effects, correlations
        from ..fit.group_model import group_free_log_prior

        out.update(group_free_log_prior(post.design, post.model.priors.groups, draws))
    return out


def arviz_log_prior(post: PosteriorResults):
    """The ``log_prior`` group of :meth:`PosteriorResults.to_arviz`: :func:`joint_log_prior_draws`
    as an ``xarray.Dataset``, each variable under the name and dims of its posterior variable
    (``pm.compute_log_prior``'s layout); coefficients with closed-form priors under ``beta``
    (dim ``coef``) when all are, else under their PyMC variable (``beta_normal``...)."""
    import xarray as xr

    posterior = post.idata.posterior
    C, D = post.n_chains, post.n_draws
    out = {}
    for key, values in joint_log_prior_draws(post).items():
        name = key
        if key == "beta" and values.shape[1] != len(post.coef_names):
            parts = [v for v in posterior.data_vars if str(v).startswith("beta_")]
            if len(parts) != 1:
                raise ArgumentError(
                    f"cannot name the log prior of the coefficients of {len(parts)} prior families "
                    f"({parts}) the way PyMC does; use to_arviz(log_prior=False)"
                )
            name = str(parts[0])
        var = posterior[name]
        dims = [d for d in var.dims if d not in ("chain", "draw")]
        shape = [var.sizes[d] for d in dims]
        if values.shape[1] == 1 and int(np.prod(shape)) != 1:  # a multivariate density (L_g): one per draw
            dims, shape = [], []
        out[name] = (("chain", "draw", *dims), values.reshape(C, D, *shape))
    return xr.Dataset(out, coords={k: v for k, v in posterior.coords.items()})


def prior_sensitivity(post: PosteriorResults, *, threshold: float = PSENSE_THRESHOLD) -> pd.DataFrame:
    """Power-scaling sensitivity of every coefficient to the prior and to the likelihood.

    Kallioinen et al. (2024), computed by ``arviz_stats.psense``: the posterior is reweighted
    by Pareto-smoothed importance sampling as if the prior (or the likelihood) were raised to a
    power ``alpha`` near 1, and the sensitivity is the derivative of the cumulative
    Jensen-Shannon distance between the perturbed and the actual posterior of each
    coefficient. ``arviz_stats`` takes the log prior and the log-likelihood of each draw; both
    are computed here, the log-likelihood as its sum over rows by row blocks (psense needs only
    that sum), so no ``draws x rows`` array is made; above the option ``fitted_max_cells``
    rows x draws that pass (and psense) runs on evenly spaced draws of each chain, as the fitted
    probabilities do, and the check says so. The diagnosis follows
    ``arviz_stats.psense_summary``: both >= ``threshold``: ``"potential prior-data conflict"``;
    prior >= ``threshold`` > likelihood: ``"potential strong prior / weak likelihood"``; else
    ``"✓"``.

    Parameters
    ----------
    post : PosteriorResults
        The fit, under any priors. With ``Normal(mu, HalfNormal(s))`` (``HierNormal``) or
        ``Horseshoe`` priors the power-scaled prior is the joint prior of the model's free
        variables, scales included (:func:`joint_log_prior_draws`), computed from their
        posterior draws; so it is with group terms (their sds, standardised effects and
        correlations are free variables too).
    threshold : float
        Sensitivity from which a component counts as influential (0.05, as psense_summary).

    Returns
    -------
    pandas.DataFrame
        Indexed by design column name, then (with group terms) by group sd as
        ``group_summary()`` names them (``sd(x | g)``); columns ``prior``, ``likelihood``
        (sensitivities), ``diagnosis`` and ``in prior tail`` (True when the posterior median of
        the quantity the prior applies to lies outside the prior's central range
        ``mu +- 2 scale``, :meth:`bayeslogit.priors.Prior.typical_range`; always False for
        group sds).

    Raises
    ------
    ArgumentError
        For hierarchical or horseshoe priors when the posterior lacks the draws of their free
        variables (``tau``, ``z_hiernormal``, ``hs_tau``...).

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> prior_sensitivity(post).columns.tolist()
    ['prior', 'likelihood', 'diagnosis', 'in prior tail']
    """
    import xarray as xr
    from arviz_stats import psense

    d = post.design
    C, D_all = post.n_chains, post.n_draws
    keep = _sensitivity_draws(d.n_obs, C, D_all)
    D = keep.size
    names = post.coef_names
    B = post.draws().reshape(C, D_all, len(names))[:, keep].reshape(C * D, len(names))
    hierarchical = post.model.priors.sampled_scale or d.groups is not None
    coords = {"chain": np.arange(C), "draw": np.arange(D), "coef": names}
    posterior = {"beta": (("chain", "draw", "coef"), B.reshape(C, D, len(names)))}
    sd_names = _group_sds(post, keep, posterior, coords)
    if hierarchical:  # the joint log prior of the free variables (scales included), summed per draw
        # np.asarray: sum()'s start 0 types the total ndarray | int (the dict is never empty)
        total = np.asarray(sum(v.sum(axis=1) for v in joint_log_prior_draws(post).values())).reshape(C, D_all)[:, keep]
        log_prior = xr.Dataset(
            {"joint": (("chain", "draw"), total)}, coords={"chain": coords["chain"], "draw": coords["draw"]}
        )
        lp_total = total
    else:
        lp = log_prior_draws(post).reshape(C, D_all, len(names))[:, keep]
        log_prior = xr.Dataset({"beta": (("chain", "draw", "coef"), lp)}, coords=coords)
        lp_total = lp.sum(axis=-1)
    ll = post._cache.loglik_totals(keep).reshape(C, D)  # one pass over draws x rows, kept (or LOO's)
    tree = xr.DataTree.from_dict(
        {
            "posterior": xr.Dataset(posterior, coords=coords),
            "log_prior": log_prior,
            "log_likelihood": xr.Dataset(
                {"y": (("chain", "draw"), ll)}, coords={"chain": coords["chain"], "draw": coords["draw"]}
            ),
        }
    )

    def sense(component: str, total: np.ndarray) -> pd.Series:
        if np.ptp(total) == 0:  # e.g. flat priors: power-scaling a constant changes nothing
            return pd.Series(0.0, index=names + sd_names)
        found = psense(tree, var_names=list(posterior), group=component)
        parts = [found["beta"].to_series().reindex(names)]
        if sd_names:
            parts.append(found["sd"].to_series().reindex(sd_names))
        return pd.concat(parts)

    out = pd.DataFrame({"prior": sense("prior", lp_total), "likelihood": sense("likelihood", ll)})
    out.index.name = "term"

    def diagnosis(row) -> str:
        if row["prior"] >= threshold and row["likelihood"] >= threshold:
            return "potential prior-data conflict"
        if row["prior"] > threshold > row["likelihood"]:
            return "potential strong prior / weak likelihood"
        return "✓"

    out["diagnosis"] = out.apply(diagnosis, axis=1)
    med = np.median(post.draws() @ post.model.priors.centring_map().T, axis=0)
    ranges = [post.model.priors.priors[name].typical_range() for name in names]
    out["in prior tail"] = [r is not None and not (r[0] <= m <= r[1]) for m, r in zip(med, ranges)] + [False] * len(
        sd_names
    )
    out.attrs["draws_used"], out.attrs["draws"] = C * D, C * D_all
    return out


def _group_sds(post: PosteriorResults, keep: np.ndarray, posterior: dict, coords: dict) -> list[str]:
    """Add the group sds' draws (of the kept draws) to ``posterior`` as ``sd`` (dim ``group_sd``,
    named as ``group_summary()``: ``sd(x | g)``) and return their names (none without groups)."""
    from ..fit.group_model import group_var_names

    if post.design.groups is None:
        return []
    names, blocks = [], []
    for t in post.design.groups.terms:
        sd = post.idata.posterior[group_var_names(t)["sd"]].transpose("chain", "draw", ...).values[:, keep]
        names += [f"sd({c} | {t.group_name})" for c in t.coef_names]
        blocks.append(sd.reshape(sd.shape[0], sd.shape[1], -1))
    posterior["sd"] = (("chain", "draw", "group_sd"), np.concatenate(blocks, axis=-1))
    coords["group_sd"] = names
    return names


def _sensitivity_draws(n: int, chains: int, draws: int) -> np.ndarray:
    """Indices of the draws (per chain) that power-scaling runs on: all of them up to
    the option ``fitted_max_cells`` rows x draws, evenly spaced ones above (at least
    :data:`.scores.FITTED_MIN_DRAWS` in all), so that its log-likelihood pass is bounded like the
    fitted probabilities' (at n = 1,000,000 and 4,000 draws: 100 per chain, 0.4e9 cells not
    4e9)."""
    max_cells = options["fitted_max_cells"]  # the fitted probabilities' budget, read when called
    if n * chains * draws <= max_cells:
        return np.arange(draws)
    per_chain = max(-(-scores.FITTED_MIN_DRAWS // chains), max_cells // max(n * chains, 1))
    if per_chain >= draws:
        return np.arange(draws)
    return np.unique(np.linspace(0, draws - 1, per_chain).round().astype(np.int64))
