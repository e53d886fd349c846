"""Posterior diagnostics with verdicts, and fit quality for a binary (or binomial) outcome.

The MCMC numbers (R-hat, ESS, MCSE, E-BFMI, PSIS-LOO) come from ArviZ; this module only
collects them, compares them with the usual thresholds and says in plain words what to do
when one fails. Fit quality (Brier score, log score, AUC, PAV calibration) is computed from
the posterior-mean predicted probabilities.

Cost: O(draws x coefficients + rows log rows) memory. Per-row quantities are computed by row
blocks (:mod:`bayeslogit._blocks`): the fitted probabilities are the mean over the draws of
``expit(X beta)`` block by block (above :data:`FITTED_MAX_CELLS` rows x draws, over an evenly
thinned subset of the draws, which the fit-quality note states), PSIS-LOO comes from
:func:`bayeslogit.interpret.loo.psis_loo` (exact or subsampled, labelled), and separation is
certified by one pass over the rows before any linear program. All three are cached on the fit.

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
  (see :func:`prior_sensitivity`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _blocks
from ..errors import ArgumentError
from ..fit.separation import LP_MAX_ROWS, check_separation
from ..interpret.loo import LooResult, psis_loo
from ..summary import Summary

if TYPE_CHECKING:  # pragma: no cover
    from ..results.posterior import PosteriorResults

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
PSENSE_THRESHOLD = 0.05
"""Power-scaling sensitivity (CJS distance gradient) from which a component counts as influential
(Kallioinen et al. 2024; ``arviz_stats.psense_summary``'s default)."""
FITTED_MAX_CELLS = 100_000_000
"""Fitted probabilities average all draws up to this many rows x draws, thinned draws above."""
FITTED_MIN_DRAWS = 250
"""Fewest draws the fitted probabilities are averaged over when thinned."""


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


@dataclass(frozen=True)
class FitQuality:
    """In-sample predictive quality of the posterior-mean probabilities, per trial.

    Attributes
    ----------
    brier : float
        Mean squared difference between outcome and predicted probability (lower is better).
    log_score : float
        Mean log predicted probability of the observed outcome (higher is better;
        ``-log_score`` is scikit-learn's ``log_loss``).
    auc : float
        Area under the ROC curve (0.5: no discrimination, 1: perfect).
    miscalibration : float
        PAV (CORP) miscalibration: Brier score minus the Brier score of the isotonic
        (pool-adjacent-violators) recalibration of the predictions; 0 is perfectly calibrated.
    discrimination, uncertainty : float
        The other two terms of the CORP decomposition ``brier = MCB - DSC + UNC``.
    n_trials : int
        Number of Bernoulli trials scored.
    note : str
        How the posterior-mean probabilities were computed (e.g. from thinned draws).
    """

    brier: float
    log_score: float
    auc: float
    miscalibration: float
    discrimination: float
    uncertainty: float
    n_trials: int
    note: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a one-column DataFrame (``value``), indexed by metric name."""
        rows = {
            "Brier score": self.brier,
            "log score (mean)": self.log_score,
            "AUC": self.auc,
            "miscalibration (PAV)": self.miscalibration,
            "discrimination (PAV)": self.discrimination,
            "uncertainty": self.uncertainty,
        }
        out = pd.DataFrame({"value": pd.Series(rows, dtype=float)})
        out.index.name = "fit quality"
        return out


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

    def _summary(self) -> Summary:
        status = "all checks pass" if self.ok else f"{len(self.failed)} check(s) FAILED"
        info = [
            ("Chains x draws:", f"{self.n_chains} x {self.n_draws}"),
            ("Verdict:", status),
        ]
        checks = self.to_frame()[["value", "rule", "verdict", "detail"]]
        tables = [checks, self.per_coef]
        if self.prior_sensitivity is not None:
            tables.append(self.prior_sensitivity)
        loo = self.loo_frame()
        if loo is not None:
            tables += [loo, self.pareto_k_frame()]
        tables.append(self.fit.to_frame())
        notes = [f"{c.name}: {c.suggestion}" for c in self.failed if c.suggestion] + self.notes
        if self.loo_method:
            notes.append(f"LOO: {self.loo_method}.")
        if self.fit.note:
            notes.append(f"Fit quality: {self.fit.note}.")
        return Summary("Posterior diagnostics", info, tables, notes)

    def __str__(self) -> str:
        return str(self._summary())

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self._summary().as_html()


# ---------------------------------------------------------------------------------------------
# predictions


def fitted_probabilities(post: PosteriorResults) -> np.ndarray:
    """Posterior mean of P(y_i = 1) for every observation, shape (n_obs,).

    Computed by row blocks (no draws x rows array); cached on the fit. Above
    :data:`FITTED_MAX_CELLS` rows x draws, the mean runs over evenly spaced draws (at least
    :data:`FITTED_MIN_DRAWS`); :func:`fitted_draws_note` says how many.

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> fitted_probabilities(post).shape
    (6,)
    """
    cached = post._cache.fitted
    if cached is not None:
        return cached[0]
    B, G = post.draws(), post.group_draws()
    S, n = B.shape[0], post.design.n_obs
    note = ""
    if n * S > FITTED_MAX_CELLS:
        keep = max(FITTED_MIN_DRAWS, FITTED_MAX_CELLS // max(n, 1))
        if keep < S:
            kept = np.unique(np.linspace(0, S - 1, keep).round().astype(np.int64))
            B = B[kept]
            G = None if G is None else [g[kept] for g in G]
            note = f"posterior-mean probabilities from {B.shape[0]:,} evenly spaced of the {S:,} draws ({n:,} rows)"
    # offset and group terms included (eta_rows)
    p = np.concatenate(
        [_blocks.mean_prob_rows(post.design, sl, B, G) for sl in _blocks.row_slices(n, _blocks.block_rows(B.shape[0]))]
    )
    post._cache.fitted = (p, note)
    return p


def fitted_draws_note(post: PosteriorResults) -> str:
    """How :func:`fitted_probabilities` was computed ('' when from every draw)."""
    fitted_probabilities(post)
    return post._cache.fitted[1] if post._cache.fitted else ""


# ---------------------------------------------------------------------------------------------
# fit quality


def _auc(score: np.ndarray, w_pos: np.ndarray, w_neg: np.ndarray) -> float:
    """Weighted Mann-Whitney AUC: P(score_pos > score_neg) + P(tie) / 2."""
    order = np.argsort(score, kind="mergesort")
    s, wp, wn = score[order], w_pos[order], w_neg[order]
    uniq, start = np.unique(s, return_index=True)
    pos = np.add.reduceat(wp, start)
    neg = np.add.reduceat(wn, start)
    neg_below = np.cumsum(neg) - neg
    total = pos.sum() * neg.sum()
    if total == 0:
        return float("nan")
    return float(np.sum(pos * (neg_below + 0.5 * neg)) / total)


def fit_quality(post: PosteriorResults) -> FitQuality:
    """Brier score, log score, AUC and PAV calibration of the posterior-mean probabilities.

    For aggregated binomial data every trial counts once (row ``i`` contributes ``y_i``
    successes and ``n_i - y_i`` failures at probability ``p_i``).

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> 0 <= fit_quality(post).auc <= 1
    True
    """
    from scipy.optimize import isotonic_regression

    d = post.design
    p = np.clip(fitted_probabilities(post), 1e-15, 1 - 1e-15)
    y = np.asarray(d.y, dtype=float)
    n = np.ones_like(y) if d.trials is None else np.asarray(d.trials, dtype=float)
    fail = n - y
    total = n.sum()

    def brier(q):
        return float(np.sum(y * (1 - q) ** 2 + fail * q**2) / total)

    log_score = float(np.sum(y * np.log(p) + fail * np.log1p(-p)) / total)
    # PAV recalibration (CORP, Dimitriadis et al. 2021): isotonic regression of the observed
    # event rate on the predictions, weighted by trials, ties pooled.
    order = np.argsort(p, kind="mergesort")
    keep = n[order] > 0
    ps, ys, ns = p[order][keep], y[order][keep], n[order][keep]
    uniq, start = np.unique(ps, return_index=True)
    ysum, nsum = np.add.reduceat(ys, start), np.add.reduceat(ns, start)
    cep_u = isotonic_regression(ysum / nsum, weights=nsum, increasing=True).x
    cep = np.empty_like(p)
    cep[order[keep]] = np.repeat(cep_u, np.diff(np.append(start, len(ps))))
    cep[order[~keep]] = 0.5
    rate = np.full_like(p, y.sum() / total)
    unc = brier(rate)
    return FitQuality(
        brier=brier(p),
        log_score=log_score,
        auc=_auc(p, y, fail),
        miscalibration=brier(p) - brier(cep),
        discrimination=unc - brier(cep),
        uncertainty=unc,
        n_trials=int(total),
        note=fitted_draws_note(post),
    )


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
    return any(p.family == "Flat" for p in post.model.priors.priors.values())


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
        flat = [k for k, p in post.model.priors.priors.items() if p.family == "Flat"]
        why = (
            "makes the posterior improper"
            if kind
            else "leaves the posterior improper if the data are (quasi-)separated"
        )
        return where + f"the Flat prior on {', '.join(flat)} {why}: use a proper prior such as bl.Normal(0, 2.5)"
    if kind:
        return where + "a stronger (smaller-scale) prior on those columns keeps the posterior well-behaved"
    return "a stronger (smaller-scale) prior helps if the posterior is very wide"


# ---------------------------------------------------------------------------------------------
# prior sensitivity


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
    s^2/2)`` and ``hs_z`` ~ ``N(0, 1)``, read from ``post.idata.posterior``.

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
    from scipy.special import gammaln

    priors = post.model.priors.priors
    names = post.coef_names
    by_family: dict[str, list] = {}
    for name in names:
        by_family.setdefault(priors[name].family, []).append(priors[name])
    plain = [j for j, n in enumerate(names) if priors[n].family not in ("HierNormal", "Horseshoe")]
    out: dict[str, np.ndarray] = {}
    if plain:  # as log_prior_draws, on those columns only
        raw = post.draws() @ post.model.priors.centring_map().T
        out["beta"] = np.column_stack([np.asarray(priors[names[j]].logpdf(raw[:, j]), dtype=float) for j in plain])
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

    def std_normal(z):
        return -0.5 * z * z - 0.5 * np.log(2 * np.pi)

    def half_cauchy(x, scale):
        return np.where(x >= 0, np.log(2 / (np.pi * scale)) - np.log1p((x / scale) ** 2), -np.inf)

    if "HierNormal" in by_family:
        scales = list(dict.fromkeys(p.sigma for p in by_family["HierNormal"]))
        for k, scale in enumerate(scales):
            var = "tau" if k == 0 else f"tau_{k + 1}"
            out[var] = scale.logpdf(draws(var, "HierNormal"))
        out["z_hiernormal"] = std_normal(draws("z_hiernormal", "HierNormal"))
    if "Horseshoe" in by_family:
        hs = by_family["Horseshoe"][0]
        d = post.design
        ybar = float(np.sum(d.y) / (d.n_obs if d.trials is None else np.sum(d.trials)))
        tau0 = hs.tau0(len(by_family["Horseshoe"]), d.n_obs, ybar)
        out["hs_tau"] = half_cauchy(draws("hs_tau", "Horseshoe"), tau0)
        out["hs_lambda"] = half_cauchy(draws("hs_lambda", "Horseshoe"), 1.0)
        a, b = hs.slab_df / 2, hs.slab_df * hs.slab_scale**2 / 2
        c2 = draws("hs_c2", "Horseshoe")
        out["hs_c2"] = np.where(c2 > 0, a * np.log(b) - gammaln(a) - (a + 1) * np.log(c2) - b / c2, -np.inf)
        out["hs_z"] = std_normal(draws("hs_z", "Horseshoe"))
    return out


def prior_sensitivity(post: PosteriorResults, *, threshold: float = PSENSE_THRESHOLD) -> pd.DataFrame:
    """Power-scaling sensitivity of every coefficient to the prior and to the likelihood.

    Kallioinen et al. (2024), computed by ``arviz_stats.psense``: the posterior is reweighted
    by Pareto-smoothed importance sampling as if the prior (or the likelihood) were raised to a
    power ``alpha`` near 1, and the sensitivity is the derivative of the cumulative
    Jensen-Shannon distance between the perturbed and the actual posterior of each
    coefficient. ``arviz_stats`` takes the log prior and the log-likelihood of each draw; both
    are computed here, the log-likelihood as its sum over rows by row blocks (psense needs only
    that sum), so no ``draws x rows`` array is made; above :data:`FITTED_MAX_CELLS` rows x
    draws that pass (and psense) runs on evenly spaced draws of each chain, as the fitted
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
        posterior draws.
    threshold : float
        Sensitivity from which a component counts as influential (0.05, as psense_summary).

    Returns
    -------
    pandas.DataFrame
        Indexed by design column name; columns ``prior``, ``likelihood`` (sensitivities),
        ``diagnosis`` and ``in prior tail`` (True when the posterior median of the quantity
        the prior applies to lies outside the prior's central range ``mu +- 2 scale``,
        :meth:`bayeslogit.priors.Prior.typical_range`).

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

    from ..priors import HIERARCHICAL_FAMILIES

    if post.design.groups is not None:
        raise ArgumentError(
            "prior_sensitivity needs the joint prior density of the group terms' sds and correlations, "
            "which is not computed here; not available for fits with group terms"
        )
    d = post.design
    C, D_all = post.n_chains, post.n_draws
    keep = _sensitivity_draws(d.n_obs, C, D_all)
    D = keep.size
    names = post.coef_names
    B = post.draws().reshape(C, D_all, len(names))[:, keep].reshape(C * D, len(names))
    hierarchical = any(p.family in HIERARCHICAL_FAMILIES for p in post.model.priors.priors.values())
    coords = {"chain": np.arange(C), "draw": np.arange(D), "coef": names}
    if hierarchical:  # the joint log prior of the free variables (scales included), summed per draw
        total = sum(v.sum(axis=1) for v in joint_log_prior_draws(post).values()).reshape(C, D_all)[:, keep]
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
            "posterior": xr.Dataset({"beta": (("chain", "draw", "coef"), B.reshape(C, D, len(names)))}, coords=coords),
            "log_prior": log_prior,
            "log_likelihood": xr.Dataset(
                {"y": (("chain", "draw"), ll)}, coords={"chain": coords["chain"], "draw": coords["draw"]}
            ),
        }
    )

    def sense(component: str, total: np.ndarray) -> pd.Series:
        if np.ptp(total) == 0:  # e.g. flat priors: power-scaling a constant changes nothing
            return pd.Series(0.0, index=names)
        return psense(tree, var_names=["beta"], group=component)["beta"].to_series().reindex(names)

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
    out["in prior tail"] = [r is not None and not (r[0] <= m <= r[1]) for m, r in zip(med, ranges)]
    out.attrs["draws_used"], out.attrs["draws"] = C * D, C * D_all
    return out


def _sensitivity_draws(n: int, chains: int, draws: int) -> np.ndarray:
    """Indices of the draws (per chain) that power-scaling runs on: all of them up to
    :data:`FITTED_MAX_CELLS` rows x draws, evenly spaced ones above (at least
    :data:`FITTED_MIN_DRAWS` in all), so that its log-likelihood pass is bounded like the fitted
    probabilities' (at n = 1,000,000 and 4,000 draws: 100 per chain, 0.4e9 cells not 4e9)."""
    if n * chains * draws <= FITTED_MAX_CELLS:
        return np.arange(draws)
    per_chain = max(-(-FITTED_MIN_DRAWS // chains), FITTED_MAX_CELLS // max(n * chains, 1))
    if per_chain >= draws:
        return np.arange(draws)
    return np.unique(np.linspace(0, draws - 1, per_chain).round().astype(np.int64))


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
    if loo is not None:
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
                "check them, use K-fold cross-validation (arviz.loo_kfold), or more draws.",
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
    )
