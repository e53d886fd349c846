"""Diagnostics of a multinomial or ordinal posterior, with verdicts (``post.diagnostics()``).

The same rules as the binary posteriors' (:mod:`.diagnostics`, whose :class:`Check` and
thresholds this module reuses): split R-hat <= 1.01 and bulk and tail ESS >= 100 per chain for
every parameter (ArviZ's ``rhat`` and ``ess`` on the ``theta`` draws), no divergent transition,
no transition at the maximum tree depth, E-BFMI >= 0.3 (when the sampler recorded them), and
PSIS-LOO's Pareto k <= 0.7 for every row (from the blockwise
:meth:`~bayeslogit.results.categorical.CategoricalPosterior.loo`). A ``method="laplace"`` fit
is importance sampling, not MCMC: its checks are the proposal's Pareto k and importance ESS,
and its PSIS-LOO runs on the proposals with the approximate-posterior correction.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..summary import Summary
from .diagnostics import BFMI_MIN, ESS_PER_CHAIN, RHAT_MAX, TEXT_WIDTH, Check

__all__ = ["CategoricalDiagnostics", "diagnose_categorical"]

K_MAX = 0.7
"""Largest acceptable Pareto k (of the Laplace proposal, and of each row's LOO weights)."""


@dataclass
class CategoricalDiagnostics:
    """Checks with verdicts, per-parameter MCMC statistics and PSIS-LOO of a categorical posterior.

    Attributes
    ----------
    checks : list of Check
        One row per diagnostic, with verdict and suggestion.
    per_param : pandas.DataFrame
        ``r_hat``, ``ess_bulk``, ``ess_tail``, ``mcse_mean`` and ``sd`` per parameter
        (labelled as ``post.params``).
    loo : pandas.Series or None
        :meth:`~bayeslogit.results.categorical.CategoricalPosterior.loo`, None when not computed.
    """

    checks: list[Check]
    per_param: pd.DataFrame
    loo: pd.Series | None
    n_chains: int
    n_draws: int
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return not any(c.ok is False for c in self.checks)

    @property
    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [c for c in self.checks if c.ok is False]

    def to_frame(self) -> pd.DataFrame:
        """The checks as a DataFrame: ``value``, ``rule``, ``verdict``, ``detail``, ``suggestion``."""
        keys = ("value", "rule", "verdict", "detail", "suggestion")
        rows = [{"check": c.name, **{k: getattr(c, k) for k in keys}} for c in self.checks]
        return pd.DataFrame(rows).set_index("check")

    def _summary(self, *, text: bool = False) -> Summary:
        status = "all checks pass" if self.ok else f"{len(self.failed)} check(s) FAILED"
        info = [("Chains x draws:", f"{self.n_chains} x {self.n_draws}"), ("Verdict:", status)]
        tables: list[pd.DataFrame] = [self.to_frame()[["value", "rule", "verdict", "detail"]], self.per_param]
        if self.loo is not None:
            tables.append(self.loo.to_frame("PSIS-LOO"))
        notes = [f"{c.name}: {c.suggestion}" for c in self.failed if c.suggestion] + self.notes
        if text:  # print(): no line wider than TEXT_WIDTH
            notes = ["\n".join(textwrap.wrap(n, TEXT_WIDTH, subsequent_indent="    ")) for n in notes]
        return Summary("Posterior diagnostics", info, tables, notes)

    def __str__(self) -> str:
        return str(self._summary(text=True))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self._summary().as_html()


def _labels(index) -> list[str]:
    return [":".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in index]


def _mcmc_checks(post, th, table: pd.DataFrame) -> list[Check]:
    """R-hat, bulk and tail ESS, divergences, tree depth and E-BFMI of NUTS draws."""
    import arviz_stats as azs

    chains, draws = th.sizes["chain"], th.sizes["draw"]
    total = chains * draws
    table["r_hat"] = np.asarray(azs.rhat(th).values, dtype=float)
    table["ess_bulk"] = np.asarray(azs.ess(th, method="bulk").values, dtype=float)
    table["ess_tail"] = np.asarray(azs.ess(th, method="tail").values, dtype=float)
    table["mcse_mean"] = np.asarray(azs.mcse(th).values, dtype=float)
    checks = []
    rhat = table["r_hat"]
    r = float(rhat.max()) if rhat.notna().all() else float("nan")
    checks.append(
        Check(
            "R-hat (max)",
            f"{r:.3f}",
            f"<= {RHAT_MAX}",
            bool(r <= RHAT_MAX),
            f"worst: {rhat.idxmax()}" if rhat.notna().all() else "not computable (chains too short to split)",
            "the chains disagree: sample longer (more tune and draws) and with 4 chains.",
        )
    )
    ess_min = ESS_PER_CHAIN * chains
    for label in ("bulk", "tail"):
        ess = table[f"ess_{label}"]
        e = float(ess.min())
        checks.append(
            Check(
                f"ESS {label} (min)",
                f"{e:.0f}",
                f">= {ess_min} (100 per chain)",
                bool(e >= ess_min),
                f"worst: {ess.idxmin()}; {total} draws in all",
                f"too few effective draws: increase draws (now {draws} per chain) and tune.",
            )
        )
    stats = post.idata["sample_stats"] if "sample_stats" in post.idata.children else None
    if stats is None:
        return checks
    for names, title, rule, advice in (
        (
            ("diverging",),
            "Divergent transitions",
            "0",
            "NUTS could not follow the posterior's curvature: raise target_accept (e.g. 0.95), or "
            "use a stronger prior if the outcomes are (nearly) separated by the predictors.",
        ),
        (
            ("reached_max_treedepth", "maxdepth_reached"),
            "Tree depth saturation",
            "0 transitions at max depth",
            "trajectories hit the maximum tree depth: rescale the predictors or use a stronger prior.",
        ),
    ):
        name = next((n for n in names if n in stats), None)
        if name is not None:
            count = int(np.asarray(stats[name].values, dtype=bool).sum())
            checks.append(Check(title, str(count), rule, count == 0, f"{100 * count / total:.1f}% of draws", advice))
    if "energy" in stats:
        bfmi = np.atleast_1d(np.asarray(azs.bfmi(post.idata)["energy"].values, dtype=float))
        b = float(np.min(bfmi))
        checks.append(
            Check(
                "E-BFMI (min over chains)",
                f"{b:.2f}",
                f">= {BFMI_MIN}",
                bool(b >= BFMI_MIN),
                "per chain: " + ", ".join(f"{v:.2f}" for v in bfmi),
                "the momentum resampling explores the energy poorly: tune longer (e.g. tune=2000).",
            )
        )
    return checks


def _importance_checks(post, th) -> list[Check]:
    """The Laplace proposal's Pareto k and importance-sampling ESS."""
    attrs = post.idata["posterior"].attrs
    k, ess = float(attrs.get("pareto_k", np.nan)), float(attrs.get("ess_is", np.nan))
    ess_min = ESS_PER_CHAIN * th.sizes["chain"]
    return [
        Check(
            "Pareto k (importance sampling)",
            f"{k:.2f}",
            f"<= {K_MAX}",
            bool(k <= K_MAX),
            "Laplace + PSIS importance sampling, not MCMC: no R-hat",
            "the Laplace proposal does not cover the posterior: sample with NUTS (method='nuts').",
        ),
        Check(
            "IS-ESS (importance sampling)",
            f"{ess:.0f}",
            f">= {ess_min}",
            bool(ess >= ess_min),
            "1 / sum(w^2) of the weighted proposals",
            "too few effective draws: increase draws, or sample with NUTS (method='nuts').",
        ),
    ]


def diagnose_categorical(post: Any) -> CategoricalDiagnostics:
    """Run every diagnostic on a categorical posterior. Prefer ``post.diagnostics()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=90), "y": np.repeat(["a", "b", "c"], 30)})
    >>> post = bl.LogitModel("y ~ x", df, family="multinomial").sample(
    ...     draws=300, chains=2, random_seed=1, method="laplace")
    >>> diagnose_categorical(post).to_frame().index.tolist()[:2]
    ['Pareto k (importance sampling)', 'IS-ESS (importance sampling)']
    """
    th = post.idata.posterior["theta"]
    values = np.asarray(th.values, dtype=float).reshape(-1, th.shape[-1])
    table = pd.DataFrame(index=pd.Index(_labels(post.params.index), name="parameter"))
    laplace = post.sampler == "laplace+psis"
    checks = _importance_checks(post, th) if laplace else _mcmc_checks(post, th, table)
    table["sd"] = values.std(axis=0, ddof=1)
    notes: list[str] = []
    loo = post.loo()
    nbad = int(loo["n_k_above_0.7"])
    checks.append(
        Check(
            "Pareto k (PSIS-LOO)",
            f"{nbad} high",
            f"all <= {K_MAX}",
            nbad == 0,
            f"max k = {loo['max_k']:.2f}",
            "LOO is unreliable for the rows with high k (very influential points): check them, or "
            "use K-fold cross-validation.",
        )
    )
    notes.append(loo.attrs["label"] + ".")
    return CategoricalDiagnostics(
        checks=checks,
        per_param=table,
        loo=loo,
        n_chains=int(th.sizes["chain"]),
        n_draws=int(th.sizes["draw"]),
        notes=notes,
    )
