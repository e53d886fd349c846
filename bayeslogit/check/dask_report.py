"""Diagnostics and the HTML report of a Laplace fit of a dask DataFrame, from what the fit
holds and from reductions over the partitions: the rows never come to the client.

Where each number comes from (the page and ``diagnostics()`` say the same):

- **the draws**: the coefficient table, the importance-sampling Pareto k and ESS, the
  per-coefficient Monte Carlo SE (the fit's own numbers: no R-hat, the draws are weighted
  proposals, not chains);
- **a row subsample** (the LOO subsample: ``observations`` rows drawn with ``seed`` across the
  partitions, :func:`bayeslogit.interpret.loo_dask.draw_subsample`): PSIS-LOO with its Pareto k
  per row, the fit-quality scores (Brier, log score, AUC, PAV miscalibration:
  :func:`~bayeslogit.check.scores.fit_quality_of`) and the binned residuals
  (:func:`~bayeslogit.check.statistics.binned_residuals_of`), each of the posterior-mean
  probabilities over the draws, exactly as the in-memory fit computes them on those rows;
- **one pass over all rows** (per partition, :func:`expected_event_rate`): the observed event
  rate, overall and per factor level, against the posterior of the expected event rate (the
  mean fitted probability over those rows, per draw, for up to :data:`RATE_DRAWS` evenly
  spaced draws).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import _blocks, _numerics
from ..design.dask import import_dask, parquet_source, partition_arrays
from ..errors import ArgumentError
from ..interpret.loo_dask import RowSubsample, dask_loo, draw_subsample
from .diagnostics import ESS_PER_CHAIN, Check, Diagnostics
from .scores import fit_quality_of
from .statistics import PPC_MAX_LEVELS, binned_residuals_of

__all__ = ["RATE_DRAWS", "expected_event_rate", "subsample_probabilities", "dask_diagnose", "write_dask_report"]

RATE_DRAWS = 200
"""Evenly spaced draws of the expected event rate (one pass; rows x draws work per partition)."""
BLOCK_BYTES = 2 * 2**20
"""Rows x draws blocks of the per-row work (in cache; little memory per worker thread)."""


def _draws(post) -> np.ndarray:
    beta = post.idata.posterior["beta"].values
    return beta.reshape(-1, beta.shape[-1])


def subsample_probabilities(post, sub: RowSubsample) -> np.ndarray:
    """Posterior-mean ``P(y = 1)`` of the subsampled rows (the mean over the draws of
    ``expit(x beta)``), by row blocks."""
    Bt = np.ascontiguousarray(_draws(post).T)
    out = np.empty(sub.rows.size)
    for sl in _blocks.row_slices(sub.rows.size, _blocks.block_rows(Bt.shape[1], block_bytes=BLOCK_BYTES)):
        off = None if sub.offset is None else sub.offset[sl]
        out[sl] = _numerics.inv_logit(_blocks.linear_predictor(sub.X[sl], Bt, off)).mean(axis=1)
    return out


def _groups(recipe) -> list[tuple[str, object]]:
    """``(column, level)`` of every factor level the event-rate check shows (the first
    :data:`~bayeslogit.check.statistics.PPC_MAX_LEVELS` levels of each factor)."""
    out = []
    for c in recipe.categorical:
        if c in (recipe.response, recipe.trials, recipe.weights, recipe.offset):
            continue
        out += [(c, level) for level in list(recipe.proto[c].dtype.categories)[:PPC_MAX_LEVELS]]
    return out


def _rate_part(part: pd.DataFrame, recipe, Bt: np.ndarray) -> np.ndarray:
    """Per group (every row, then each factor level of :func:`_groups`): ``[events, trials,
    expected events per draw...]`` of one partition, shape ``(1 + levels, 2 + draws)``."""
    groups = _groups(recipe)
    a = partition_arrays(part, recipe)
    out = np.zeros((1 + len(groups), 2 + Bt.shape[1]))
    if len(a.y) == 0:
        return out
    kept = part.loc[~part[list(recipe.used)].isna().any(axis=1).to_numpy()]  # the rows partition_arrays keeps
    Z = np.ones((len(a.y), 1 + len(groups)))  # column 0: every row; then one indicator per level
    for j, (c, level) in enumerate(groups, start=1):
        Z[:, j] = (kept[c].astype(object) == level).to_numpy()
    m = np.ones(len(a.y)) if a.trials_fit is None else np.asarray(a.trials_fit, dtype=float)
    out[:, 0], out[:, 1] = Z.T @ np.asarray(a.y_fit, dtype=float), Z.T @ m
    with _blocks.one_blas_thread():
        for sl in _blocks.row_slices(len(m), _blocks.block_rows(Bt.shape[1], block_bytes=BLOCK_BYTES)):
            off = None if a.offset is None else a.offset[sl]
            out[:, 2:] += (Z[sl] * m[sl, None]).T @ _numerics.inv_logit(_blocks.linear_predictor(a.X[sl], Bt, off))
    return out


def expected_event_rate(post, *, max_draws: int = RATE_DRAWS) -> pd.DataFrame:
    """One pass over the partitions: the observed event rate (events / trials) over every row
    and per factor level, and the posterior of the expected rate ``sum m_i p_i / sum m_i`` over
    the same rows (up to ``max_draws`` evenly spaced draws): one row per group, the columns
    ``observed``, ``expected (mean)``, ``2.5%``, ``97.5%``, ``P(expected >= observed)``; the
    expected rate per draw in ``attrs["draws"]`` (groups x draws)."""
    dask, _ = import_dask()
    B = _draws(post)
    keep = np.unique(np.linspace(0, B.shape[0] - 1, min(max_draws, B.shape[0])).round().astype(np.int64))
    Bt = np.ascontiguousarray(B[keep].T)
    d = post.model.design
    parts = [dask.delayed(_rate_part)(p, d.recipe, Bt) for p in d.partitions()]
    total = np.sum(np.stack(dask.compute(*parts)), axis=0)
    names = ["overall"] + [f"{c} = {level}" for c, level in _groups(d.recipe)]
    with np.errstate(invalid="ignore", divide="ignore"):  # a level absent from the data: NaN
        obs = total[:, 0] / total[:, 1]
        exp = total[:, 2:] / total[:, 1:2]
    out = pd.DataFrame(
        {"observed": obs, "expected (mean)": exp.mean(axis=1), "2.5%": np.quantile(exp, 0.025, axis=1),
         "97.5%": np.quantile(exp, 0.975, axis=1), "P(expected >= observed)": (exp >= obs[:, None]).mean(axis=1)},
        index=pd.Index(names, name="event rate"),
    )  # fmt: skip
    out.attrs.update(draws=exp, n_draws=keep.size, of=B.shape[0])
    return out


def dask_diagnose(post, *, observations: int | None = None, seed: int = 0) -> Diagnostics:
    """The diagnostics of a dask Laplace fit (see the module docstring): importance sampling's
    Pareto k and ESS, PSIS-LOO's Pareto k and the fit quality on the row subsample."""
    sub = draw_subsample(post, observations=observations, seed=seed)
    loo = dask_loo(post, observations=sub.rows.size, seed=sub.seed)
    imp = post.idata["importance"]
    ct = post.coef_table()
    chains, draws = (int(v) for v in post.idata.posterior["beta"].shape[:2])
    per_coef = pd.DataFrame({"ess_is": ct["ess_is"], "mcse_mean": ct["mcse_mean"], "sd": ct["sd"]})
    per_coef.index.name = "term"
    ess_min = ESS_PER_CHAIN * chains
    rel = ct["mcse_mean"] / ct["sd"]
    k = loo.elpd_data.pareto_k.values
    nbad = int(np.sum(k > loo.elpd_data.good_k))
    checks = [
        Check(
            "Pareto k (importance sampling)", f"{post.pareto_k:.2f}", "<= 0.7", bool(post.pareto_k <= 0.7),
            f"Laplace + PSIS importance sampling of {imp.sizes['sample']:,} proposals, not MCMC: no R-hat",
            "the Laplace proposal does not cover the posterior: compress the rows and sample with NUTS "
            "(model.compress().sample()).",
        ),
        Check(
            "IS-ESS (importance sampling)", f"{post.ess_importance:.0f}", f">= {ess_min}",
            bool(post.ess_importance >= ess_min),
            f"1 / sum(w^2); per coefficient min {float(ct['ess_is'].min()):.0f} ({ct['ess_is'].idxmin()})",
            "too few effective draws: sample more draws.",
        ),
        Check("MCSE of mean / sd (max)", f"{float(rel.max()):.3f}", "informative", None, f"largest: {rel.idxmax()}"),
        Check(
            "Pareto k (PSIS-LOO)", f"{nbad} high of {k.size:,} subsampled rows",
            f"all <= {float(loo.elpd_data.good_k):.2f}", nbad == 0, f"max k = {np.max(k):.2f}",
            "LOO is unreliable for the rows with high k (very influential points): check them.",
        ),
    ]  # fmt: skip
    p = subsample_probabilities(post, sub)
    trials = np.ones(sub.rows.size) if sub.trials is None else np.asarray(sub.trials, dtype=float)
    where = f"{sub.describe()}, the LOO's rows"
    fit = fit_quality_of(
        p, sub.y, trials, note=f"{where}; posterior-mean probabilities over the {chains * draws:,} draws"
    )
    notes = [
        f"Row-level numbers (fit quality, PSIS-LOO and its Pareto k) are computed on {where}; the rest "
        "of the rows enter LOO through the point-estimate approximation summed per partition."
    ]
    return Diagnostics(
        checks=checks, per_coef=per_coef, loo=loo.elpd_data, fit=fit, n_chains=chains, n_draws=draws, notes=notes,
        loo_method=loo.label, loo_rows=loo.rows, loo_short=loo.short_label,
    )  # fmt: skip


def _sections(post, diag: Diagnostics, fits: Sequence, run_info: dict | None, sub: RowSubsample) -> list[str]:
    from . import figures
    from .page import figure, info_table, table
    from .sections import binned_inside_text

    d = post.model.design
    source = parquet_source(d.frame) if d.frame is not None else None
    info = [
        ("Formula:", d.formula),
        ("Data:", f"dask DataFrame, {d.n_obs:,} rows in {d.n_partitions} partitions" + (f" ({source})" if source else "")),
        ("Response:", f"{d.response} ({d.family})"),
        ("Method:", "Laplace approximation + Pareto-smoothed importance sampling (rows summed per partition)"),
        ("Draws:", f"{diag.n_chains} x {diag.n_draws} resampled; random seed {post.random_seed}"),
        ("Row subsample:", f"{sub.describe()}: LOO, fit quality and binned residuals are computed on these rows"),
    ]  # fmt: skip
    out = ["<h2 id='model'>Model</h2>" + info_table(info) + "<h3>Priors</h3>" + table(post.model.prior_summary())]
    est = "<h2 id='estimates'>Posterior</h2>" + table(post.coef_table())
    for f in fits:
        est += f"<h3>{html.escape(f.label)}</h3>" + table(f.coef_table())
    out.append(est)
    status = "ok" if diag.ok else "FAIL"
    text = (
        "All checks pass."
        if diag.ok
        else f"{len(diag.failed)} check(s) failed: " + ", ".join(c.name for c in diag.failed)
    )
    out.append(
        "<h2 id='diagnostics'>Diagnostics</h2>"
        f"<div class='banner {status}'>{html.escape(text)}</div>"
        + table(diag.to_frame()[["value", "rule", "verdict", "detail"]])
        + "<h3>Per coefficient (importance sampling)</h3>" + table(diag.per_coef)
        + f"<h3>Fit quality (on {html.escape(sub.describe())})</h3>" + table(diag.fit.to_frame(), digits=4)
        + f"<p class='note'>{html.escape(diag.fit.note)}. Brier score: lower is better; log score: higher is "
        "better; AUC: 0.5 no discrimination; miscalibration (PAV/CORP): 0 is perfectly calibrated.</p>"
    )  # fmt: skip
    rate_table = expected_event_rate(post)
    trials = np.ones(sub.rows.size) if sub.trials is None else np.asarray(sub.trials, dtype=float)
    bins = binned_residuals_of(subsample_probabilities(post, sub), np.asarray(sub.y, dtype=float), trials)
    k = len(bins)
    out.append(
        "<h2 id='ppc'>Predictive checks</h2>" + table(rate_table, digits=4)
        + f"<p class='note'>Over all {d.n_obs:,} rows and per factor level, one pass over the partitions: the "
        f"observed event rate and the expected rate (mean fitted probability) under {rate_table.attrs['n_draws']:,} "
        f"evenly spaced of the {rate_table.attrs['of']:,} draws; an observed rate outside the interval is one "
        "the model does not reproduce (the expected rate, not a replicated one: at these sizes the "
        "binomial noise of a replicate is small).</p>"
        + figure(
            lambda: figures.binned_residual_fig(bins), "binned residual plot",
            f"Binned residuals on {sub.describe()}: those rows sorted by fitted probability (posterior mean) "
            f"and cut into {k} bins of about {sub.rows.size / k:,.0f} rows; dot: observed rate minus mean "
            "fitted probability; band: +-2 SE under the model. " + binned_inside_text(bins),
        )
    )  # fmt: skip
    loo = "<h2 id='loo'>PSIS-LOO</h2>" + f"<p class='note'>Method: {html.escape(diag.loo_method)}.</p>"
    for frame in (diag.loo_frame(), diag.pareto_k_frame()):
        loo += table(frame) if frame is not None else ""
    loo += figure(
        lambda: figures.khat_fig(diag.loo.pareto_k.values, diag.loo.good_k), "Pareto k per subsampled row",
        f"Pareto k of the {sub.rows.size:,} subsampled rows (in row order); dashed line: "
        f"k = {float(diag.loo.good_k):.2f}.",
    )  # fmt: skip
    out.append(loo)
    out.append("<h2 id='run'>Run information</h2>" + info_table(_run_rows(post, run_info)))
    return out


def _run_rows(post, run_info: dict | None) -> list[tuple[str, str]]:
    import datetime
    import platform
    from importlib import metadata

    run_info = dict(run_info or {})
    rows = [("Report written:", datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"))]
    rows.append(("Data source:", str(run_info.pop("data source", "not recorded (pass run_info={'data source': ...})"))))
    rows += [(f"{k[:1].upper()}{k[1:]}:", str(v)) for k, v in run_info.items()]
    versions = []
    for name in ("bayeslogit", "numpy", "pandas", "dask", "distributed", "arviz-stats"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    rows.append(("Software:", ", ".join(versions) + f"; Python {platform.python_version()}"))
    return rows


def write_dask_report(
    post,
    path,
    *,
    fits: Sequence = (),
    title: str | None = None,
    run_info: dict | None = None,
    observations: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> Path:
    """Write the self-contained HTML report of a dask Laplace fit (see the module docstring);
    a temporary file renamed over ``path``. ``fits``: point fits (dask MLE/MAP) whose tables are
    shown too."""
    from .._files import atomic_write_text
    from .figures import quiet_figures
    from .page import page

    path = Path(path)
    if not path.parent.exists():
        raise ArgumentError(f"path: folder {str(path.parent)!r} does not exist; create it or choose another path")
    for f in fits:
        if list(getattr(f, "coef_names", [])) != list(post.coef_names):
            raise ArgumentError("fits must be fits of the same model as the posterior (same design columns)")
    sub = draw_subsample(post, observations=observations, seed=seed)
    diag = dask_diagnose(post, observations=sub.rows.size, seed=sub.seed)
    with quiet_figures():
        parts = _sections(post, diag, fits, run_info, sub)
    links = [("model", "Model"), ("estimates", "Posterior"), ("diagnostics", "Diagnostics"),
             ("ppc", "Predictive checks"), ("loo", "LOO"), ("run", "Run")]  # fmt: skip
    text = page(title or f"Bayesian logistic regression (dask): {post.model.design.formula}", links, parts)
    atomic_write_text(path, text)
    if progress:
        print(f"[report] wrote {path} ({len(text) / 1e6:.1f} MB)", file=sys.stderr, flush=True)
    return path
