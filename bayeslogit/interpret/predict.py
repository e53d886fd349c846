"""Predictions from any fit: probabilities or log-odds for new (or the training) data.

Posterior fits: every draw of the coefficients gives a linear predictor ``eta = X beta`` (plus
the model's offset, if any: :func:`bayeslogit._blocks.linear_predictor`) and a
probability ``inv_logit(eta)``; the summary per row is the mean, sd and an equal-tailed
interval of those draws. Point fits (MLE/MAP): ``eta = X beta_hat`` with a delta-method
standard error ``sqrt(x' V x)`` (``V = cov_params()``); the interval is built on the
log-odds scale and mapped through ``inv_logit`` for probabilities (so it stays in (0, 1)).

New data are encoded with the training design (:meth:`bayeslogit.design.Design.encode`): a
missing column, a missing value or an unseen factor level is a :class:`~bayeslogit.DataError`.
A model with an offset evaluates it on the new rows (:meth:`bayeslogit.design.Design.encode_offset`:
the formula's ``offset(...)`` terms and the ``offset=`` column; an offset given as an array
must be given again, ``predict(new, offset=...)``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from .. import _blocks, _numerics
from .._validation import check_bool, check_choice, renamed_arguments
from ..design.response import as_counts
from ..errors import ArgumentError, DataError
from ..response import as_response
from ..results.base import resolve_ci_prob
from .group_predict import check_new_groups, group_rows, point_group_eta

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from typing_extensions import TypeIs

    from ..results.base import Results
    from ..results.point import PointResults
    from ..results.posterior import PosteriorResults

__all__ = ["predict", "posterior_predictive", "sample_posterior_predictive"]

CHUNK_CELLS = 2_000_000  # rows x draws held in memory at once


# -- shared helpers (also used by effects.py) ------------------------------------------------


def is_posterior(results: Results) -> TypeIs[PosteriorResults]:
    """True for fits made of draws (``PosteriorResults``), False for point fits (MLE/MAP)."""
    return hasattr(results, "idata") and hasattr(results, "draws")


def interval_names(results: Results, prob: float) -> tuple[str, str]:
    """Column names of an interval: ``eti95_lb``/``eti95_ub`` (posterior), ``ci95_lb``/... (point)."""
    stem = ("eti" if is_posterior(results) else "ci") + f"{prob * 100:g}"
    return f"{stem}_lb", f"{stem}_ub"


def point_estimates(results: PointResults) -> tuple[np.ndarray, np.ndarray]:
    """``(beta_hat, V)`` of a point fit, in design column order."""
    names = results.coef_names
    beta = results.params.loc[names].to_numpy(dtype=float)
    cov = results.cov_params()
    V = np.asarray(cov.loc[names, names] if isinstance(cov, pd.DataFrame) else cov, dtype=float)
    return beta, V


def summarize_draws(values: np.ndarray, prob: float, names: tuple[str, str]) -> dict[str, np.ndarray]:
    """Mean, sd and equal-tailed interval over axis 0 (the draws)."""
    lo, hi = np.quantile(values, [(1 - prob) / 2, (1 + prob) / 2], axis=0)
    return {"mean": values.mean(axis=0), "sd": values.std(axis=0, ddof=1), names[0]: lo, names[1]: hi}


def design_matrix(results: Results, new_df: pd.DataFrame | None) -> np.ndarray:
    """The training design matrix, or ``new_df`` encoded with the training design."""
    if new_df is None:
        return results.design.X
    return results.design.encode(new_df)


def offset_values(results: Results, new_df: pd.DataFrame | None, offset=None) -> np.ndarray | None:
    """The offset of the training rows, or of ``new_df`` (``offset``: the ``offset=`` part for
    new rows, see :meth:`bayeslogit.design.Design.encode_offset`); None without an offset."""
    d = results.design
    if new_df is None:
        if offset is not None:
            raise ArgumentError(
                "offset= gives the offset of new rows, but no new data were given (the training "
                "rows' offset is the model's); pass new_df too, or leave offset= out"
            )
        return d.offset
    return d.encode_offset(new_df, offset)


# -- predict ---------------------------------------------------------------------------------


@renamed_arguments(interval="ci_prob")
def predict(
    results: PointResults | PosteriorResults,
    new_df: pd.DataFrame | None = None,
    *,
    kind: Literal["prob", "linear", "draws"] = "prob",
    ci_prob: float | None = None,
    offset=None,
    new_groups: str = "population",
    random_seed: int | None = None,
):
    """See :meth:`bayeslogit.Results.predict` (``interval`` is a deprecated alias of ``ci_prob``)."""
    check_choice("kind", kind, ("prob", "linear", "draws"))
    prob = resolve_ci_prob(ci_prob)
    check_new_groups(new_groups)
    X = design_matrix(results, new_df)
    off = offset_values(results, new_df, offset)
    rows, G = (
        group_rows(results, X, new_df, new_groups=new_groups, random_seed=random_seed, offset=off)
        if is_posterior(results)
        else (None, None)
    )
    index = new_df.index if new_df is not None else pd.RangeIndex(X.shape[0], name="obs")
    if kind == "draws":
        if not is_posterior(results):
            raise ArgumentError(
                f"kind='draws' needs posterior draws, but this is a {results.method or 'point'} fit; "
                "use kind='prob' or kind='linear' (delta-method intervals)"
            )
        return _prob_draws(results, X, rows, G)
    lb, ub = interval_names(results, prob)
    if is_posterior(results):
        B = results.draws()
        transform = _numerics.inv_logit if kind == "prob" else (lambda e: e)
        step = max(1, CHUNK_CELLS // B.shape[0])
        parts = [
            summarize_draws(transform(_blocks.eta_rows(rows, slice(i, i + step), B, G).T), prob, (lb, ub))
            for i in range(0, X.shape[0], step)
        ]
        cols = {k: np.concatenate([p[k] for p in parts]) if parts else np.empty(0) for k in ("mean", "sd", lb, ub)}
        return pd.DataFrame(cols, index=index)
    beta, V = point_estimates(results)
    # a GLMM MLE adds each row's conditional modes (the interval is the population part's)
    eta = _blocks.linear_predictor(X, beta, off) + point_group_eta(results, new_df, new_groups=new_groups)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", X, V, X), 0.0))
    z = _numerics.normal_quantile((1 + prob) / 2)
    lo, hi = eta - z * se, eta + z * se
    if kind == "linear":
        return pd.DataFrame({"estimate": eta, "se": se, lb: lo, ub: hi}, index=index)
    p = _numerics.inv_logit(eta)
    return pd.DataFrame(
        {"estimate": p, "se": p * (1 - p) * se, lb: _numerics.inv_logit(lo), ub: _numerics.inv_logit(hi)},
        index=index,
    )


def _prob_draws(results, X: np.ndarray, rows, G=None) -> xr.DataArray:
    import xarray as xr

    beta = results.idata.posterior["beta"].transpose("chain", "draw", "coef")
    C, D = beta.shape[:2]
    # the offset and each row's group effects included (eta_rows)
    p = _numerics.inv_logit(_blocks.eta_rows(rows, slice(None), results.draws(), G).T).reshape(C, D, -1)
    return xr.DataArray(
        p,
        dims=("chain", "draw", "obs"),
        name="p",
        coords={"chain": beta["chain"].values, "draw": beta["draw"].values, "obs": np.arange(X.shape[0])},
    )


# -- posterior predictive ----------------------------------------------------------------------


def _new_trials(d, new_df: pd.DataFrame) -> np.ndarray:
    if d.trials_name not in new_df.columns:
        raise DataError(
            f"the model is binomial with trials column {d.trials_name!r}, which new data lacks; "
            "add it (the number of trials per row) to draw counts"
        )
    n = as_counts(new_df[d.trials_name], f"trials column {d.trials_name!r}")
    if np.any(n < 1):
        raise DataError(f"trials column {d.trials_name!r} must be >= 1 in every row; found {int(n.min())}")
    return n


def _replicates(
    results: PosteriorResults,
    X: np.ndarray,
    trials: np.ndarray | None,
    random_seed: int | None,
    what: str,
    offset: np.ndarray | None = None,
    new_df: pd.DataFrame | None = None,
    new_groups: str = "population",
) -> xr.DataArray:
    """``y_rep`` for every draw and row of ``X``: dims ``(chain, draw, obs)``, int8 for 0/1."""
    import xarray as xr

    from ..fit.prior_predictive import warn_if_large

    post = results.idata.posterior
    C, D = results.n_chains, results.n_draws
    warn_if_large(C * D, X.shape[0], trials, what, stacklevel=5)
    rng = np.random.default_rng(random_seed)
    rows, G = group_rows(results, X, new_df, new_groups=new_groups, random_seed=rng, offset=offset)
    y = as_response(trials).replicate(rows, results.draws(), rng, G)
    out = xr.DataArray(
        y.reshape(C, D, X.shape[0]),
        dims=("chain", "draw", "obs"),
        name="y",
        coords={"chain": post["chain"].values, "draw": post["draw"].values, "obs": np.arange(X.shape[0])},
    )
    out.attrs["trials"] = results.design.trials_name or "1 (Bernoulli)"
    return out


def posterior_predictive(
    results: PosteriorResults,
    new_df: pd.DataFrame | None = None,
    *,
    random_seed: int | None = None,
    offset=None,
    new_groups: str = "population",
) -> xr.DataArray:
    """See :meth:`bayeslogit.PosteriorResults.posterior_predictive`."""
    check_new_groups(new_groups)
    d = results.design
    X = design_matrix(results, new_df)
    off = offset_values(results, new_df, offset)
    if d.trials is None or (new_df is not None and d.trials_name is None):  # new rows: weight 1
        trials = None
    else:
        trials = d.trials if new_df is None else _new_trials(d, new_df)
    return _replicates(results, X, trials, random_seed, "posterior predictive", off, new_df, new_groups)


def sample_posterior_predictive(results: PosteriorResults, *, random_seed: int | None = None, extend: bool = True):
    """See :meth:`bayeslogit.PosteriorResults.sample_posterior_predictive`."""
    import xarray as xr

    check_bool("extend", extend)
    d = results.design
    rep = _replicates(results, d.X, d.trials, random_seed, "posterior predictive", d.offset)
    rep.attrs.update({"random_seed": "None" if random_seed is None else int(random_seed)})
    group = xr.DataTree(rep.to_dataset())
    group.attrs.update(
        {
            "created_by": "bayeslogit (outcomes replicated from the posterior draws)",
            "random_seed": "None" if random_seed is None else int(random_seed),
        }
    )
    if not extend:
        return xr.DataTree.from_dict(
            {"posterior_predictive": group, "observed_data": results.idata["observed_data"].copy()}
        )
    results.idata["posterior_predictive"] = group
    return results.idata
