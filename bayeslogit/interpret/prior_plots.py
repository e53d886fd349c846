"""``plot_prior_predictive``: what the priors imply for 0/1 (and binomial) data, as a figure.

ArviZ's ``plot_ppc_dist(..., group="prior_predictive", kind="hist")`` draws the replicated 0/1
outcomes themselves: for binary data one flat line. The quantities a prior predictive check of a
logistic regression reads are the **event rate** each prior draw implies over the training rows
(``sum_i m_i p_i / sum_i m_i``, ``m_i`` the trials, 1 for 0/1 data) against the observed rate,
and the **implied P(y=1)** of the rows, pooled over draws: vague priors pile it up at 0 and 1.
Computed from the prior draws of the coefficients (:meth:`bayeslogit.LogitModel.
sample_prior_predictive`, ``predictive=False``) by row blocks: no draws x rows array is kept.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import expit

from .. import _blocks

if TYPE_CHECKING:  # pragma: no cover
    import matplotlib.figure

__all__ = ["plot_prior_predictive", "prior_predictive_rates"]

P_BINS = 40
"""Bins of the implied P(y=1) histogram on [0, 1]."""
EXTREME = 0.01
"""P(y=1) below this or above 1 - this counts as "near 0 or 1" in the table."""


def prior_predictive_rates(model, draws: int = 500, *, random_seed: int | None = None) -> dict:
    """The numbers :func:`plot_prior_predictive` draws: ``rate`` (the event rate of each prior
    draw, shape ``(draws,)``), ``p_counts`` (how many of the ``draws x rows`` implied P(y=1)
    fall in each of :data:`P_BINS` equal bins of [0, 1]), ``observed`` (the observed rate) and
    ``table`` (a one-column summary). ``model``: a ``LogitModel`` or any fit of one (its model).
    Group terms: the population coefficients only (the group effects are left at 0)."""
    model = getattr(model, "model", model)
    d = model.design
    tree = model.sample_prior_predictive(draws, random_seed=random_seed, predictive=False)
    B = np.asarray(tree["prior"]["beta"]).reshape(-1, len(d.column_names))
    S, n = B.shape[0], d.n_obs
    m = np.asarray(d.response_family.kernel_trials(n), dtype=float)
    events = np.zeros(S)
    counts = np.zeros(P_BINS, dtype=np.int64)
    edges = np.linspace(0.0, 1.0, P_BINS + 1)
    extreme = 0
    for rows in _blocks.row_slices(n, _blocks.block_rows(S)):
        p = expit(_blocks.eta_rows(d, rows, B))  # (rows, draws)
        events += m[rows] @ p
        counts += np.histogram(p, bins=edges)[0]
        extreme += int(np.count_nonzero((p < EXTREME) | (p > 1 - EXTREME)))
    rate = events / m.sum()
    observed = float(np.asarray(d.y, dtype=float).sum() / m.sum())
    lo, med, hi = np.quantile(rate, [0.05, 0.5, 0.95])
    table = pd.DataFrame(
        {
            "value": [
                observed,
                round(float(med), 3),
                f"{lo:.3f} to {hi:.3f}",
                f"{100 * float(np.mean(rate <= observed)):.0f}%",
                f"{100 * extreme / (S * n):.0f}%",
            ]
        },
        index=[
            "observed event rate",
            "prior event rate (median)",
            "prior event rate (90% interval)",
            "prior draws with a rate <= the observed",
            f"implied P(y=1) < {EXTREME} or > {1 - EXTREME}",
        ],
    )
    table.index.name = f"prior predictive ({S} draws, {n:,} rows)"
    return {"rate": rate, "p_counts": counts, "edges": edges, "observed": observed, "table": table}


def plot_prior_predictive(model, draws: int = 500, *, random_seed: int | None = None) -> matplotlib.figure.Figure:
    """What the priors imply for the data: left, the event rate of each prior draw over the
    training rows (histogram) with the observed rate; right, the implied P(y=1) of every row
    under every prior draw (histogram on [0, 1]). The numbers ride on the figure as
    ``fig.prior_predictive_table``.

    For 0/1 data this is the prior predictive check to read (ArviZ's ``plot_ppc_dist`` of the
    0/1 outcomes draws one flat line). ``model``: a ``LogitModel`` or any fit of one.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import bayeslogit as bl
    >>> from bayeslogit.datasets import simulate_seed
    >>> fig = bl.plot_prior_predictive(bl.LogitModel("y ~ x1 + x2", simulate_seed(200, random_seed=1)),
    ...                                random_seed=1)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['event rate over the training rows', 'implied P(y = 1) of a row']
    """
    import matplotlib.pyplot as plt

    r = prior_predictive_rates(model, draws, random_seed=random_seed)
    fig, (ax_r, ax_p) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    ax_r.hist(r["rate"], bins=np.linspace(0, 1, 41), color="#8fb3d9", label="prior draws")
    ax_r.axvline(r["observed"], color="#c0392b", lw=2, label=f"observed rate {r['observed']:.3f}")
    ax_r.set_xlim(0, 1)
    ax_r.set_xlabel("event rate over the training rows")
    ax_r.set_ylabel("prior draws")
    ax_r.set_title("Event rate under the priors", fontsize=10)
    edges, counts = r["edges"], r["p_counts"]
    ax_p.stairs(counts / counts.sum(), edges, fill=True, color="#8fb3d9")
    ax_p.set_xlim(0, 1)
    ax_p.set_xlabel("implied P(y = 1) of a row")
    ax_p.set_ylabel("share of rows x draws")
    ax_p.set_title("P(y = 1) under the priors", fontsize=10)
    handles, labels = ax_r.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=2, fontsize=8, frameon=False)
    fig.prior_predictive_table = r["table"]  # type: ignore[attr-defined]
    return fig
