"""K-fold cross-validation of a posterior fit (``bl.kfold``), for when PSIS-LOO is not reliable.

The diagnostics advise K-fold cross-validation when Pareto k is high. :func:`kfold` refits the
model K times, each time without one fold of the rows (folds stratified by the outcome, as
``scale_by_cv``'s), with the fit's priors (the resolved ones: the same autoscaled scales and
centring, not recomputed on the training part) and its sampler settings (draws, warm-up,
chains, sampler or Laplace, ``target_accept``, seed), and scores each held-out row by its log
predictive density under the fold's posterior,
``elpd_i = log( (1/S) sum_s p(y_i | beta_s) )``. The result is ArviZ's own
``ELPDDataLOOKFold`` (as ``arviz_stats.loo_kfold`` returns): ``elpd`` (the sum), ``se``
(``sqrt(n var(elpd_i))``), ``p`` (the full fit's lpd minus ``elpd``), ``elpd_i`` and
``p_kfold_i`` per row, so ``arviz.compare`` takes it.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numbers
from dataclasses import replace
from typing import Any

import numpy as np

from .._validation import check_seed
from ..errors import ArgumentError
from ..results.posterior import PosteriorResults

__all__ = ["kfold"]


def kfold(post: PosteriorResults, k: int = 10, *, random_seed: int | None = None, progressbar: bool = False):
    """K-fold cross-validation: refit on K stratified folds, score the held-out rows.

    Parameters
    ----------
    post : PosteriorResults
        A fit from :meth:`bayeslogit.LogitModel.sample` (NUTS or ``method="laplace"``; not a
        model with group terms).
    k : int
        Number of folds, 2 to the number of rows (10 by default, as loo's ``kfold``).
    random_seed : int, optional
        Seed of the fold assignment (the rows of each outcome are shuffled and dealt to the
        folds in turn). The refits use the fit's own sampling seed.
    progressbar : bool
        Show each refit's progress bar.

    Returns
    -------
    arviz_stats.utils.ELPDDataLOOKFold
        ``elpd`` (elpd_kfold), ``se``, ``p`` (p_kfold), ``n_folds``, and per row ``elpd_i`` and
        ``p_kfold_i`` (DataArrays over ``obs``, in the rows' order).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> post = bl.LogitModel("y ~ x1", simulate_seed(60, random_seed=1)).sample(
    ...     draws=100, tune=100, chains=1, random_seed=1, progressbar=False)
    >>> res = bl.kfold(post, k=3, random_seed=1)
    >>> res.n_folds, res.elpd_i.shape
    (3, (60,))
    """
    import xarray as xr
    from arviz_stats.utils import ELPDDataLOOKFold
    from scipy.special import logsumexp

    from ..fit.prior_scale import cv_folds
    from ..model import LogitModel
    from ..response import response_family

    if not isinstance(post, PosteriorResults):
        raise ArgumentError(f"kfold needs a posterior fit (LogitModel.sample()), got {type(post).__name__}")
    model = post.model
    d = model.design
    if d.groups is not None:
        raise ArgumentError("kfold does not support models with group terms (1 | g) yet")
    n = d.n_obs
    if not isinstance(k, numbers.Integral) or isinstance(k, bool) or not 2 <= k <= n:
        raise ArgumentError(f"k must be an integer in [2, {n}] (the number of rows), got {k!r}")
    random_seed = check_seed(random_seed)
    family = response_family(d)
    pairs = cv_folds(int(k), d.y, family, random_seed)
    settings = sampling_settings(post)
    elpd_i = np.empty(n)
    for train, test in pairs:
        fold = LogitModel._from_parts(_rows(d, train), model.priors)
        fit = fold.sample(**settings, progressbar=progressbar)
        ll = _loglik(d, family, test, fit.draws())  # (test rows, draws)
        elpd_i[test] = logsumexp(ll, axis=1) - np.log(ll.shape[1])
    B = post.draws()
    lpd_full = logsumexp(_loglik(d, family, np.arange(n), B), axis=1) - np.log(B.shape[0])
    p_i = lpd_full - elpd_i
    coords = {"obs": np.arange(n)}
    return ELPDDataLOOKFold(
        elpd=float(np.sum(elpd_i)),
        se=float(np.sqrt(n * np.var(elpd_i))),
        p=float(np.sum(p_i)),
        n_samples=int(B.shape[0]),
        n_data_points=n,
        scale="log",
        warning=False,
        good_k=None,  # type: ignore[arg-type]  # no importance sampling, as arviz_stats' own
        elpd_i=xr.DataArray(elpd_i, dims="obs", coords=coords, name="y"),
        n_folds=len(pairs),
        p_kfold_i=xr.DataArray(p_i, dims="obs", coords=coords, name="y"),
    )


def sampling_settings(post: PosteriorResults) -> dict[str, Any]:
    """The ``LogitModel.sample`` arguments that made ``post``: as recorded by ``sample()``
    (``post.sample_settings``), else read from the fit (a loaded file: draws, chains, the
    warm-up, the sampler used, the seed; ``target_accept`` its default)."""
    recorded = getattr(post, "sample_settings", None)
    if recorded:
        return dict(recorded)
    attrs = post.idata.posterior.attrs
    tune = attrs.get("tuning_steps")
    laplace = post.sampler.startswith("laplace")
    out: dict[str, Any] = {
        "draws": post.n_draws,
        "tune": None if attrs.get("tuning_steps_source") != "explicit" or tune is None else int(tune),
        "chains": post.n_chains,
        "random_seed": post.random_seed,
        "sampler": "auto" if laplace else post.sampler,
    }
    if laplace:
        out["method"] = "laplace"
    return out


def _rows(d, rows: np.ndarray):
    """The design restricted to ``rows`` (no group terms)."""
    take = {
        name: getattr(d, name)[rows]
        for name in ("y", "X", "trials", "weights", "offset")
        if getattr(d, name, None) is not None
    }
    return replace(d, **take)


def _loglik(d, family, rows: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Pointwise log-likelihood of ``rows`` for every draw (rows of ``B``): (rows, draws)."""
    eta = d.X[rows] @ B.T
    if getattr(d, "offset", None) is not None:
        eta += d.offset[rows][:, None]
    return family.take(rows).loglik_draws(eta, d.y[rows])
