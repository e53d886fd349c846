"""Posterior diagnostics with verdicts: each check, the rule it is judged by, and what to do.

The MCMC numbers (R-hat, ESS, MCSE, E-BFMI, PSIS-LOO) come from ArviZ (R-hat, ESS and MCSE as
``post.coef_table()`` holds them); the scores of the fitted probabilities from :mod:`.scores`;
the power-scaling sensitivities from :mod:`.sensitivity`. This module only collects them,
compares them with the usual thresholds and says in plain words what to do when one fails
(:class:`Check`, :class:`Diagnostics`, :func:`diagnose`). It also owns the separation check
of the data (:func:`separation`), which the suggestions name.

Thresholds (Vehtari et al. 2021; Stan's ``diagnose``; ArviZ's ``diagnose``):

- R-hat <= 1.01 for every coefficient;
- bulk and tail ESS >= 100 per chain (400 for 4 chains);
- no divergent transitions;
- no transition saturating the maximum tree depth;
- E-BFMI >= 0.3 in every chain;
- Pareto k <= ArviZ's ``good_k`` (0.7 or less) for every observation (else LOO is unreliable);
- power-scaling prior sensitivity (Kallioinen et al. 2024, ``arviz_stats.psense``) below 0.05
  for every coefficient. A coefficient at or above it (a potential prior-data conflict, or a
  strong prior / weak likelihood) FAILS when its posterior also sits in the tail of its prior
  (median beyond 2 prior scales from the prior's centre); otherwise the row is informative:
  a weakly informative prior on few data has some pull without being in conflict
  (see :func:`~bayeslogit.check.sensitivity.prior_sensitivity`).

Cost: PSIS-LOO comes from :func:`bayeslogit.interpret.loo.psis_loo` (exact or subsampled,
labelled), and separation is certified by one pass over the rows before any linear program;
both are cached on the fit, as are the fitted probabilities.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ArgumentError
from ..fit.separation import LP_MAX_ROWS, check_separation
from ..interpret.loo import LooResult, psis_loo
from ..summary import Summary
from .scores import FitQuality, fit_quality, fitted_probabilities
from .sensitivity import PSENSE_THRESHOLD, joint_log_prior_draws, prior_sensitivity

TEXT_WIDTH = 100
"""The widest line ``print(post.diagnostics())`` writes."""

if TYPE_CHECKING:  # pragma: no cover
    from ..results.posterior import PosteriorResults

# FitQuality, fit_quality, fitted_probabilities (now in .scores) and prior_sensitivity,
# joint_log_prior_draws, PSENSE_THRESHOLD (now in .sensitivity) stay importable from here.
__all__ = [
    "Check",
    "Diagnostics",
    "FitQuality",
    "diagnose",
    "fit_quality",
    "fitted_probabilities",
    "separation",
    "prior_sensitivity",
    "joint_log_prior_draws",
    "PSENSE_THRESHOLD",
    "RHAT_MAX",
    "ESS_PER_CHAIN",
    "BFMI_MIN",
]

RHAT_MAX = 1.01
"""Largest acceptable rank-normalized split R-hat."""
ESS_PER_CHAIN = 100
"""Smallest acceptable bulk/tail effective sample size, per chain (400 for 4 chains)."""
BFMI_MIN = 0.3
"""Smallest acceptable E-BFMI in any chain."""


@dataclass(frozen=True)
class Check:
    """One diagnostic: its value, the rule it is judged by, the verdict and what to do.

    ``ok`` is None for purely informative rows (no accepted threshold, e.g. MCSE).
    """

    name: str
    value: str
    rule: str
    ok: bool | None
    detail: str = ""
    suggestion: str = ""

    @property
    def verdict(self) -> str:
        """``"ok"``, ``"FAIL"`` or ``"info"``."""
        return "info" if self.ok is None else ("ok" if self.ok else "FAIL")


@dataclass
class Diagnostics:
    """Convergence checks with verdicts, per-coefficient MCMC statistics, LOO and fit quality.

    ``str(diag)`` gives text, notebooks show HTML, :meth:`to_frame` gives the checks as a
    DataFrame.

    Attributes
    ----------
    checks : list of Check
        One row per diagnostic, with verdict and suggestion.
    per_coef : pandas.DataFrame
        R-hat, bulk/tail ESS and MCSE of mean and sd, per design column.
    loo : arviz_stats ELPDData or None
        PSIS-LOO (``elpd``, ``se``, ``p``, ``pareto_k``...), None when it could not be computed.
    fit : FitQuality
        Brier score, log score, AUC and PAV calibration.
    loo_method : str
        Which PSIS-LOO was used (exact, or subsampled with its subsampling SE), in words.
    loo_rows : numpy.ndarray or None
        The observations with exact PSIS values (all rows, or the LOO subsample).
    prior_sensitivity : pandas.DataFrame or None
        Power-scaling sensitivity per coefficient (:func:`prior_sensitivity`): ``prior``,
        ``likelihood``, ``diagnosis``; None when it could not be computed.
    bfmi : numpy.ndarray or None
        E-BFMI per chain (ArviZ), None when the sampler recorded no energy.
    """

    checks: list[Check]
    per_coef: pd.DataFrame
    loo: Any
    fit: FitQuality
    n_chains: int
    n_draws: int
    notes: list[str] = field(default_factory=list)
    loo_method: str = ""
    loo_rows: np.ndarray | None = None
    loo_short: str = ""
    prior_sensitivity: pd.DataFrame | None = None
    bfmi: np.ndarray | None = None

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
        df = pd.DataFrame(
            [
                {
                    "check": c.name,
                    "value": c.value,
                    "rule": c.rule,
                    "verdict": c.verdict,
                    "detail": c.detail,
                    "suggestion": c.suggestion,
                }
                for c in self.checks
            ]
        ).set_index("check")
        return df

    def loo_frame(self) -> pd.DataFrame | None:
        """PSIS-LOO estimates and Pareto k counts as a DataFrame (None without LOO)."""
        if self.loo is None:
            return None
        rows = {
            "elpd_loo": (self.loo.elpd, self.loo.se),
            "p_loo": (self.loo.p, np.nan),
            "looic (-2 elpd)": (-2 * self.loo.elpd, 2 * self.loo.se),
        }
        out = pd.DataFrame.from_dict(rows, orient="index", columns=["estimate", "se"])
        sub = getattr(self.loo, "subsampling_se", None)
        if sub is not None:
            out["subsampling se"] = [float(sub), np.nan, 2 * float(sub)]
        out.index.name = f"PSIS-LOO ({self.loo_short})" if self.loo_short else "PSIS-LOO"
        return out

    def pareto_k_frame(self) -> pd.DataFrame | None:
        """Counts and percentages of observations per Pareto k band (None without LOO)."""
        if self.loo is None:
            return None
        counts = pd.Series(pareto_k_counts(self.loo), name="count")
        out = pd.DataFrame({"count": counts, "percent": (100 * counts / max(counts.sum(), 1)).round(1)})
        out.index.name = "Pareto k" if self.loo_short in ("", "exact") else f"Pareto k ({self.loo_short})"
        return out

    def _summary(self, *, text: bool = False) -> Summary:
        """The summary block; ``text=True`` (``print``): each check's detail goes under the
        table, wrapped, so that no line is wider than :data:`TEXT_WIDTH`."""
        status = "all checks pass" if self.ok else f"{len(self.failed)} check(s) FAILED"
        info = [
            ("Chains x draws:", f"{self.n_chains} x {self.n_draws}"),
            ("Verdict:", status),
        ]
        checks = self.to_frame()[["value", "rule", "verdict"] if text else ["value", "rule", "verdict", "detail"]]
        tables = [checks, self.per_coef]
        if self.prior_sensitivity is not None:
            tables.append(self.prior_sensitivity)
        loo, pareto_k = self.loo_frame(), self.pareto_k_frame()  # both None without LOO
        if loo is not None and pareto_k is not None:
            tables += [loo, pareto_k]
        tables.append(self.fit.to_frame())
        notes = [f"{c.name}: {c.suggestion}" for c in self.failed if c.suggestion] + self.notes
        if self.loo_method:
            notes.append(f"LOO: {self.loo_method}.")
        if self.fit.note:
            notes.append(f"Fit quality: {self.fit.note}.")
        if text:
            details = [f"{c.name}: {c.detail}" for c in self.checks if c.detail]
            notes = (["Details:", *(f"  {d}" for d in details)] if details else []) + notes
            notes = [
                "\n".join(
                    textwrap.wrap(n, TEXT_WIDTH, subsequent_indent="    ", break_long_words=True, drop_whitespace=True)
                    or [""]
                )
                for n in notes
            ]
        return Summary("Posterior diagnostics", info, tables, notes)

    def __str__(self) -> str:
        return str(self._summary(text=True))

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self._summary().as_html()


# ---------------------------------------------------------------------------------------------
# MCMC checks


def pareto_k_counts(loo) -> dict[str, int]:
    """Number of observations with good / bad / very bad Pareto k (ArviZ's ``good_k`` cut);
    with subsampled LOO, of the subsampled observations (the others have no k)."""
    k = np.asarray(loo.pareto_k).ravel()
    k = k[np.isfinite(k)]
    good = float(loo.good_k)
    return {
        f"<= {good:.2f} (good)": int(np.sum(k <= good)),
        f"({good:.2f}, 1] (bad)": int(np.sum((k > good) & (k <= 1))),
        "> 1 (very bad)": int(np.sum(k > 1)),
    }


def _stat(stats, *names):
    for name in names:
        if name in stats:
            return stats[name]
    return None


def _has_flat_prior(post) -> bool:
    return bool(post.model.priors.improper_columns)


def separation(d, *, beta: np.ndarray | None = None) -> tuple[str | None, list[str]]:
    """``(kind, columns)`` for a :class:`~bayeslogit.Design`: ``"complete"`` / ``"quasi-complete"``
    separation and the design columns along which it happens, or ``(None, [])``.

    With ``beta`` (e.g. the posterior mean), a one-pass certificate of no separation is tried
    first; otherwise, or when it is inconclusive, the exact linear program decides (see
    :func:`bayeslogit.fit.separation.check_separation`; above 200,000 rows an inconclusive
    certificate gives ``("not checked", [])``).
    """
    kind, direction = check_separation(d.X, d.y, d.trials, beta, d.offset)  # of X and y: see there
    if kind is None or direction is None:
        return kind, []
    sd = d.X.std(axis=0)
    scale = np.abs(direction) * sd
    cols = [c for c, v, s_ in zip(d.column_names, scale, sd) if s_ > 0 and v > 1e-8 * scale.max()]
    return kind, cols


def _post_separation(post) -> tuple[str | None, list[str]]:
    if post._cache.separation is None:
        post._cache.separation = separation(post.design, beta=post.draws().mean(axis=0))
    return post._cache.separation


def _prior_hint(post, sep: tuple[str | None, list[str]]) -> str:
    kind, cols = sep
    if kind == "not checked":
        kind = None
    where = (
        f"the data are {kind}ly separated along {', '.join(cols) or 'the intercept'} (the MLE does not exist); "
        if kind
        else ""
    )
    if _has_flat_prior(post):
        flat = post.model.priors.improper_columns
        why = (
            "makes the posterior improper"
            if kind
            else "leaves the posterior improper if the data are (quasi-)separated"
        )
        return where + f"the Flat prior on {', '.join(flat)} {why}: use a proper prior such as bl.Normal(0, 2.5)"
    if kind:
        return where + "a stronger (smaller-scale) prior on those columns keeps the posterior well-behaved"
    return "a stronger (smaller-scale) prior helps if the posterior is very wide"


def _sensitivity_check(post) -> tuple[Check, pd.DataFrame | None]:
    """The power-scaling Check and its per-coefficient frame."""

    name, rule = "Prior sensitivity (power-scaling)", f"prior sensitivity < {PSENSE_THRESHOLD}"
    try:
        table = prior_sensitivity(post)
    except ArgumentError as err:
        return Check(name, "n/a", rule, None, str(err).split(";")[0]), None
    except (ValueError, FloatingPointError) as err:  # degenerate weights (e.g. a drifting posterior)
        return Check(name, "n/a", rule, None, f"power-scaling failed: {err}"), None
    worst = table["prior"].idxmax()
    value = f"{table['prior'].max():.3f}"
    used, every = table.attrs.get("draws_used"), table.attrs.get("draws")
    thinned = f" (on {used:,} evenly spaced of the {every:,} draws)" if used and used < every else ""
    flagged = table[table["diagnosis"] != "✓"]
    if flagged.empty:
        return Check(name, value, rule, True, f"largest: {worst}; the posterior is driven by the data{thinned}"), table
    priors = post.model.priors.priors
    tail = flagged[flagged["in prior tail"]]
    if tail.empty:  # psense's 'potential' flag, posterior in the prior's central range: worth a look
        return Check(
            name,
            value,
            rule,
            None,
            f"{flagged['diagnosis'].iloc[0]}: {', '.join(flagged.index)} (posterior within the "
            f"prior's central range; fine for a deliberate or weakly informative prior){thinned}",
            "the prior has a noticeable pull on these coefficients; compare with a wider prior "
            "if that was not intended.",
        ), table
    which = ", ".join(f"{c} ~ {priors[c]}" for c in tail.index)
    return Check(
        name,
        value,
        rule,
        False,
        f"{tail['diagnosis'].iloc[0]}, posterior in the prior's tail (beyond 2 prior scales): "
        f"{', '.join(tail.index)}{thinned}",
        f"the data pull these coefficients into the tail of their prior ({which}): check that the "
        "prior is what you meant and that the data are coded as you think; if the prior was not "
        "meant to be this informative, widen it. See diagnostics().prior_sensitivity.",
    ), table


def diagnose(post: PosteriorResults) -> Diagnostics:
    """Run every diagnostic on a posterior. Prefer :meth:`PosteriorResults.diagnostics`.

    Parameters
    ----------
    post : PosteriorResults
        The fit to check.

    Returns
    -------
    Diagnostics

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> diagnose(post).to_frame().index[:2].tolist()
    ['R-hat (max)', 'ESS bulk (min)']
    """
    import arviz_stats as az  # arviz's statistics half: no matplotlib import (CLI start-up)

    idata = post.idata
    names = post.coef_names
    chains, draws = post.n_chains, post.n_draws
    total = chains * draws

    # R-hat, ESS and MCSE as ArviZ's summary gives them in coef_table() (cached on the fit: the
    # summary printed before the diagnostics already computed them)
    ct = post.coef_table()
    rhat, ess_bulk, ess_tail = ct["r_hat"], ct["ess_bulk"], ct["ess_tail"]
    mcse_mean, mcse_sd = ct["mcse_mean"], ct["mcse_sd"]
    sd = post.bse.reindex(names)
    table = pd.DataFrame(
        {
            "r_hat": rhat,
            "ess_bulk": ess_bulk,
            "ess_tail": ess_tail,
            "mcse_mean": mcse_mean,
            "mcse_sd": mcse_sd,
            "sd": sd,
        }
    )
    table.index.name = "term"

    sep = _post_separation(post)
    prior_hint = _prior_hint(post, sep)
    checks: list[Check] = []
    imp = post.importance_stats()
    if imp is not None:  # Laplace + PSIS: independent weighted draws, judged as importance sampling
        table["ess_bulk"], table["ess_tail"] = imp["ess"], np.nan
        table["r_hat"], table["mcse_mean"], table["mcse_sd"] = np.nan, imp["mcse_mean"], np.nan
        k_is = float(idata["importance"].attrs["pareto_k"])
        ess_is = float(idata["importance"].attrs["ess_is"])
        checks.append(
            Check(
                "Pareto k (importance sampling)",
                f"{k_is:.2f}",
                "<= 0.7",
                bool(k_is <= 0.7),
                "Laplace + PSIS importance sampling, not MCMC: no R-hat",
                "the Laplace proposal does not cover the posterior: sample with NUTS (method='nuts').",
            )
        )
        ess_min = ESS_PER_CHAIN * chains
        checks.append(
            Check(
                "IS-ESS (importance sampling)",
                f"{ess_is:.0f}",
                f">= {ess_min}",
                bool(ess_is >= ess_min),
                f"1 / sum(w^2) of {total} weighted proposals; per coefficient min "
                f"{float(imp['ess'].min()):.0f} ({imp['ess'].idxmin()})",
                "too few effective draws: increase draws, or sample with NUTS (method='nuts').",
            )
        )
    else:
        if rhat.notna().all():
            r, worst = float(rhat.max()), f"worst: {rhat.idxmax()}"
        else:  # ArviZ returns NaN when the chains are too short to split
            r, worst = float("nan"), f"not computable for {', '.join(rhat.index[rhat.isna()])}"
        checks.append(
            Check(
                "R-hat (max)",
                f"{r:.3f}",
                f"<= {RHAT_MAX}",
                bool(r <= RHAT_MAX),
                worst,
                "the chains disagree: sample longer (more tune and draws) and with 4 chains; "
                f"if it persists, {prior_hint}.",
            )
        )
        ess_min = ESS_PER_CHAIN * chains
        for label, ess in (("bulk", ess_bulk), ("tail", ess_tail)):
            e = float(ess.min())
            checks.append(
                Check(
                    f"ESS {label} (min)",
                    f"{e:.0f}",
                    f">= {ess_min} (100 per chain)",
                    bool(e >= ess_min),
                    f"worst: {ess.idxmin()}; {total} draws in all",
                    f"too few effective draws for stable {'means' if label == 'bulk' else 'interval ends'}: "
                    f"increase draws (now {draws} per chain) and tune; strong autocorrelation can also "
                    f"mean a badly shaped posterior ({prior_hint}).",
                )
            )
    mcse_mean = table["mcse_mean"]
    rel = float((mcse_mean / sd).max())
    checks.append(
        Check(
            "MCSE of mean / sd (max)",
            f"{rel:.3f}",
            "informative",
            None,
            f"largest: {(mcse_mean / sd).idxmax()}",
        )
    )

    stats = idata.sample_stats if "sample_stats" in idata.children else None
    diverging = _stat(stats, "diverging") if stats is not None else None
    if diverging is not None:
        nd = int(diverging.sum())
        checks.append(
            Check(
                "Divergent transitions",
                str(nd),
                "0",
                nd == 0,
                f"{100 * nd / total:.1f}% of draws",
                "NUTS could not follow the posterior's curvature: raise target_accept (e.g. "
                f"target_accept=0.95); if divergences remain, {prior_hint}.",
            )
        )
    depth = _stat(stats, "reached_max_treedepth", "maxdepth_reached") if stats is not None else None
    if depth is not None:
        nt = int(depth.sum())
        checks.append(
            Check(
                "Tree depth saturation",
                str(nt),
                "0 transitions at max depth",
                nt == 0,
                f"{100 * nt / total:.1f}% of draws",
                "trajectories hit the maximum tree depth: the posterior is very wide or strongly "
                f"correlated; {prior_hint}, or rescale the predictors.",
            )
        )
    bfmi = None
    if stats is not None and "energy" in stats:
        bfmi = np.atleast_1d(np.asarray(az.bfmi(idata)["energy"].values, dtype=float))
        b = float(np.min(bfmi))
        checks.append(
            Check(
                "E-BFMI (min over chains)",
                f"{b:.2f}",
                f">= {BFMI_MIN}",
                bool(b >= BFMI_MIN),
                "per chain: " + ", ".join(f"{v:.2f}" for v in bfmi),
                f"the momentum resampling explores the energy poorly: tune longer (e.g. tune=2000); {prior_hint}.",
            )
        )

    checks.append(
        Check(
            "Separation (data)",
            sep[0] or "none",
            "informative",
            None,
            f"along {', '.join(sep[1])}"
            if sep[1]
            else (
                f"one-pass certificate inconclusive; the linear program is skipped above {LP_MAX_ROWS:,} rows"
                if sep[0] == "not checked"
                else ""
            ),
            "",
        )
    )

    loo = None
    loo_res: LooResult | None = None
    loo_error: Exception | None = None
    notes: list[str] = []
    try:  # before prior sensitivity: exact LOO's pass over the rows leaves the per-draw
        loo_res = psis_loo(post)  # log-likelihood totals that the sensitivity reads
        loo = loo_res.elpd_data
    except (ValueError, FloatingPointError) as err:
        loo_error = err

    sens_check, sensitivity = _sensitivity_check(post)
    checks.append(sens_check)

    if loo_error is not None:
        checks.append(
            Check(
                "Pareto k (PSIS-LOO)",
                "n/a",
                "computable",
                False,
                f"PSIS-LOO failed: {loo_error}",
                f"the pointwise log-likelihood is degenerate (fitted probabilities of exactly 0 or 1): {prior_hint}.",
            )
        )
    if loo is not None and loo_res is not None:  # set together, by psis_loo
        k = np.asarray(loo.pareto_k).ravel()
        k = k[np.isfinite(k)]
        nbad = int(np.sum(k > loo.good_k))
        where = "" if loo_res.method == "exact" else f" of {k.size:,} subsampled rows"
        checks.append(
            Check(
                "Pareto k (PSIS-LOO)",
                f"{nbad} high{where}",
                f"all <= {float(loo.good_k):.2f}",
                nbad == 0,
                f"max k = {np.max(k):.2f}",
                "LOO is unreliable for the observations with high k (very influential points): "
                "check them, use K-fold cross-validation (bl.kfold(post)), or more draws.",
            )
        )

    return Diagnostics(
        checks=checks,
        per_coef=table,
        loo=loo,
        fit=fit_quality(post),
        n_chains=chains,
        n_draws=draws,
        notes=notes,
        loo_method=loo_res.label if loo_res is not None else "",
        loo_rows=loo_res.rows if loo_res is not None else None,
        loo_short=loo_res.short_label if loo_res is not None else "",
        prior_sensitivity=sensitivity,
        bfmi=bfmi,
    )
