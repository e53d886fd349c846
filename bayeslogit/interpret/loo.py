"""Model comparison by PSIS-LOO cross-validation, delegated to ArviZ (``arviz.loo``/``compare``)."""

from __future__ import annotations

import warnings
from typing import Mapping

import numpy as np
import pandas as pd

from ..errors import ArgumentError, ParetoKWarning
from ..results.posterior import PosteriorResults

__all__ = ["compare_models"]

_METHODS = ("stacking", "bb-pseudo-bma", "pseudo-bma")


def compare_models(fits: Mapping[str, "PosteriorResults"], *, method: str = "stacking") -> pd.DataFrame:
    """Compare posterior fits of the same data by PSIS-LOO expected log predictive density.

    Each fit's pointwise log-likelihood goes through ``arviz.loo``; ``arviz.compare`` ranks
    them. Observations whose Pareto k exceeds ArviZ's threshold (the LOO estimate is then
    unreliable for them) are reported with a :class:`~bayeslogit.ParetoKWarning` that names
    the model and the rows, and counted in the ``n_high_pareto_k`` column.

    Parameters
    ----------
    fits : dict of str -> PosteriorResults
        At least two posterior fits of the same observations (same response values, in the
        same order), keyed by the names to show.
    method : {"stacking", "bb-pseudo-bma", "pseudo-bma"}
        How ArviZ computes the model weights.

    Returns
    -------
    pandas.DataFrame
        ArviZ's table, best model first: ``rank``, ``elpd_diff`` (vs the best), ``dse`` (its
        standard error), ``p_worse``, ``diag_diff``, ``diag_elpd``, ``p`` (effective number of
        parameters), ``elpd``, ``se``, ``weight``; plus ``n_high_pareto_k``.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> df = simulate_seed(200, random_seed=1)
    >>> kw = dict(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    >>> full = bl.LogitModel("y ~ x1 + x2", df).sample(**kw)
    >>> small = bl.LogitModel("y ~ x1", df).sample(**kw)
    >>> bl.compare_models({"full": full, "x1 only": small}).index[0]
    'full'
    """
    import arviz as az

    if not isinstance(fits, Mapping) or len(fits) < 2:
        raise ArgumentError(
            "fits must be a dict of at least two named posterior fits, e.g. "
            "bl.compare_models({'m1': post1, 'm2': post2})"
        )
    if not isinstance(method, str) or method.lower() not in _METHODS:
        raise ArgumentError(f"method must be one of {_METHODS}, got {method!r}")
    first_name, first = next(iter(fits.items()))
    for name, fit in fits.items():
        if not isinstance(fit, PosteriorResults):
            raise ArgumentError(
                f"fits[{name!r}] is a {type(fit).__name__}; LOO comparison needs posterior fits "
                "(model.sample(...))"
            )
        if "log_likelihood" not in fit.idata.children:
            raise ArgumentError(
                f"fits[{name!r}] has no pointwise log-likelihood; sample it with log_likelihood=True"
            )
        same = fit.design.n_obs == first.design.n_obs and np.array_equal(fit.design.y, first.design.y)
        if not same:
            raise ArgumentError(
                f"fits[{name!r}] and fits[{first_name!r}] were fitted to different observations; "
                "LOO comparison needs the same rows and response in every model"
            )
    loos, high = {}, {}
    for name, fit in fits.items():
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
            res = az.loo(fit.idata, pointwise=True, var_name="y")
        k = np.asarray(res.pareto_k.values).ravel()
        bad = np.flatnonzero(k > res.good_k)
        high[name] = int(bad.size)
        if bad.size:
            shown = ", ".join(str(int(i)) for i in bad[:10]) + (", ..." if bad.size > 10 else "")
            warnings.warn(
                f"model {name!r}: {bad.size} of {k.size} observations have Pareto k > "
                f"{res.good_k:.2f} (rows {shown}; max k = {k.max():.2f}), so its PSIS-LOO estimate "
                "is unreliable; these are influential observations: run more draws, use a more "
                "robust model, or cross-validate exactly (k-fold)",
                ParetoKWarning,
                stacklevel=2,
            )
        loos[name] = res
    table = az.compare(loos, method=method, round_to="none")
    table["n_high_pareto_k"] = [high[name] for name in table.index]
    return table
