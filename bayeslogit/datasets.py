"""Small data sets: simulated ones with known truth (the seed tutorial's setting, and variants;
varying intercepts and slopes) and the BUGS Examples' "Seeds" data with its published posterior."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_seed", "SEED_TRUTH", "bugs_seeds", "BUGS_SEEDS_POSTERIOR", "lme4_cbpp", "simulate_groups"]

SEED_TRUTH = {"Intercept": -3.0, "x1": 2.0, "x2": -1.5}
"""True coefficients of the seed tutorial: eta = -3 + 2 x1 - 1.5 x2."""


def simulate_seed(n: int = 500, *, random_seed: int | None = 0, n_noise: int = 0) -> pd.DataFrame:
    """Simulate the seed tutorial's data: x1, x2 ~ N(0, 1), y ~ Bernoulli(logistic(-3 + 2 x1 - 1.5 x2)).

    Parameters
    ----------
    n : int
        Number of rows.
    random_seed : int, optional
        Seed of numpy's generator; the same seed gives the same data.
    n_noise : int
        Extra standard-normal columns ``z1..zK`` with zero true coefficient (the benchmark's
        large setting uses 20).

    Returns
    -------
    pandas.DataFrame
        Columns ``y`` (0/1), ``x1``, ``x2`` and any ``z`` columns.

    Examples
    --------
    >>> df = simulate_seed(5, random_seed=1)
    >>> list(df.columns), len(df)
    (['y', 'x1', 'x2'], 5)
    """
    rng = np.random.default_rng(random_seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    eta = SEED_TRUTH["Intercept"] + SEED_TRUTH["x1"] * x1 + SEED_TRUTH["x2"] * x2
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    df = pd.DataFrame({"y": y.astype(np.int64), "x1": x1, "x2": x2})
    for k in range(1, n_noise + 1):
        df[f"z{k}"] = rng.normal(size=n)
    return df


def bugs_seeds() -> pd.DataFrame:
    """The "Seeds" data of the BUGS Examples, Volume I (Crowder 1978, Table 3; Breslow and
    Clayton 1993): germinated seeds ``r`` of ``n`` on each of 21 plates, in a 2 x 2 design of
    seed type ``x1`` (0: O. aegyptiaca 75, 1: O. aegyptiaca 73) and root extract ``x2``
    (0: bean, 1: cucumber).

    The BUGS model is a random-effects logistic regression,
    ``logit p_i = a0 + a1 x1 + a2 x2 + a12 x1 x2 + b_i``, ``b_i ~ N(0, sigma)``: in bayeslogit
    ``LogitModel("r ~ x1 * x2 + (1 | plate)", bugs_seeds(), trials="n")``. Its published
    posterior is :data:`BUGS_SEEDS_POSTERIOR`.

    Returns
    -------
    pandas.DataFrame
        21 rows; columns ``plate`` (1..21), ``r``, ``n``, ``x1``, ``x2``.

    Examples
    --------
    >>> df = bugs_seeds()
    >>> len(df), int(df["r"].sum()), int(df["n"].sum())
    (21, 424, 831)
    """
    r = [10, 23, 23, 26, 17, 5, 53, 55, 32, 46, 10, 8, 10, 8, 23, 0, 3, 22, 15, 32, 3]
    n = [39, 62, 81, 51, 39, 6, 74, 72, 51, 79, 13, 16, 30, 28, 45, 4, 12, 41, 30, 51, 7]
    x1 = [0] * 11 + [1] * 10
    x2 = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    return pd.DataFrame({"plate": np.arange(1, 22), "r": r, "n": n, "x1": x1, "x2": x2})


BUGS_SEEDS_POSTERIOR = pd.DataFrame(
    {
        "mean": [-0.5473, 0.06959, 1.352, -0.8165, 0.2943],
        "sd": [0.1935, 0.3203, 0.2718, 0.4377, 0.1435],
        "2.5%": [-0.9384, -0.5839, 0.8208, -1.69, 0.05322],
        "median": [-0.5448, 0.08103, 1.349, -0.8186, 0.2827],
        "97.5%": [-0.1678, 0.667, 1.906, 0.05156, 0.6112],
    },
    index=pd.Index(["alpha0", "alpha1", "alpha2", "alpha12", "sigma"], name="node"),
)
"""The published posterior of the Seeds model (OpenBUGS / MultiBUGS tutorial: 14,000 draws
after 4,000 burn-in; Monte Carlo errors about 0.004 to 0.009). Priors: ``a* ~ N(0, sd 1000)``,
precision ``1 / sigma^2 ~ Gamma(0.001, 0.001)``. In bayeslogit's names: ``alpha0`` is
``Intercept``, ``alpha1`` ``x1``, ``alpha2`` ``x2``, ``alpha12`` ``x1:x2``, ``sigma``
``sd(Intercept | plate)``."""


def lme4_cbpp() -> pd.DataFrame:
    """lme4's ``cbpp`` data: contagious bovine pleuropneumonia in 15 Ethiopian zebu herds
    (Lesnoff et al. 2004, Preventive Veterinary Medicine 64, 27-40), new serological cases
    ``incidence`` among ``size`` cattle per herd and period (four periods; herd 2's fourth and
    herd 8's later visits are missing, as in lme4: 56 rows).

    lme4's example model is ``glmer(cbind(incidence, size - incidence) ~ period + (1 | herd),
    family = binomial)``: in bayeslogit
    ``LogitModel("incidence ~ period + (1 | herd)", lme4_cbpp(), trials="size")``.

    Returns
    -------
    pandas.DataFrame
        56 rows; ``herd`` (1..15), ``incidence``, ``size``, ``period`` (categorical "1".."4").

    Examples
    --------
    >>> df = lme4_cbpp()
    >>> len(df), int(df["incidence"].sum()), int(df["size"].sum())
    (56, 99, 842)
    """
    herd = [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7, 8]
    herd += [9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13, 13]
    herd += [14, 14, 14, 14, 15, 15, 15, 15]
    incidence = [2, 3, 4, 0, 3, 1, 1, 8, 2, 0, 2, 2, 0, 2, 0, 5, 0, 0, 1, 3, 0, 0, 1, 8, 1, 3, 0, 12]
    incidence += [2, 0, 0, 0, 1, 1, 0, 2, 0, 5, 3, 1, 2, 1, 0, 0, 1, 2, 0, 0, 11, 0, 0, 0, 1, 1, 1, 0]
    size = [14, 12, 9, 5, 22, 18, 21, 22, 16, 16, 20, 10, 10, 9, 6, 18, 25, 24, 4, 17, 17, 18, 20, 16]
    size += [10, 9, 5, 34, 9, 6, 8, 6, 22, 22, 18, 22, 25, 27, 22, 22, 10, 8, 6, 5, 21, 24, 19, 23]
    size += [19, 2, 3, 2, 19, 15, 15, 15]
    period = [1, 2, 3, 4, 1, 2, 3, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1]
    period += [1, 2, 3, 4] * 7
    return pd.DataFrame(
        {
            "herd": herd,
            "incidence": incidence,
            "size": size,
            "period": pd.Categorical([str(p) for p in period], categories=["1", "2", "3", "4"]),
        }
    )


def simulate_groups(
    n_groups: int = 30,
    rows_per_group: int | tuple[int, int] = (5, 60),
    *,
    intercept: float = -0.5,
    slope: float = 1.0,
    sd_intercept: float = 0.8,
    sd_slope: float = 0.5,
    cor: float = -0.4,
    random_seed: int | None = 0,
) -> tuple[pd.DataFrame, dict]:
    """Simulate 0/1 data with varying intercepts and slopes, ``y ~ x + (1 + x | g)``.

    Each group ``g`` gets ``(b0, b1) ~ MvNormal(0, S)`` with sds ``sd_intercept``,
    ``sd_slope`` and correlation ``cor``; its rows have ``x ~ N(0, 1)`` and
    ``y ~ Bernoulli(logistic(intercept + b0 + (slope + b1) x))``.

    Parameters
    ----------
    n_groups : int
        Number of groups (levels ``g01``, ``g02``, ...).
    rows_per_group : int or (int, int)
        Rows per group, or the range ``(low, high)`` from which each group's size is drawn
        uniformly (unequal sizes show the shrinkage of small groups).
    intercept, slope : float
        Population coefficients.
    sd_intercept, sd_slope, cor : float
        The group effects' sds and correlation.
    random_seed : int, optional
        Seed of numpy's generator.

    Returns
    -------
    (pandas.DataFrame, dict)
        The rows (columns ``y``, ``x``, ``g``) and the truth: ``"Intercept"``, ``"x"``,
        ``"sd(Intercept | g)"``, ``"sd(x | g)"``, ``"cor(Intercept, x | g)"``, and
        ``"effects"``, a DataFrame of the true ``b0``, ``b1`` and size ``n`` per level.

    Examples
    --------
    >>> df, truth = simulate_groups(4, 10, random_seed=1)
    >>> len(df), sorted(df["g"].unique()), truth["x"]
    (40, ['g1', 'g2', 'g3', 'g4'], 1.0)
    """
    rng = np.random.default_rng(random_seed)
    if isinstance(rows_per_group, (int, np.integer)):
        sizes = np.full(n_groups, int(rows_per_group))
    else:
        low, high = rows_per_group
        sizes = rng.integers(low, high + 1, size=n_groups)
    cov = np.array([[sd_intercept**2, cor * sd_intercept * sd_slope], [cor * sd_intercept * sd_slope, sd_slope**2]])
    b = rng.multivariate_normal(np.zeros(2), cov, size=n_groups)
    width = len(str(n_groups))
    levels = [f"g{j + 1:0{width}d}" for j in range(n_groups)]
    g = np.repeat(np.arange(n_groups), sizes)
    x = rng.normal(size=g.size)
    eta = intercept + b[g, 0] + (slope + b[g, 1]) * x
    y = rng.binomial(1, 1.0 / (1.0 + np.exp(-eta)))
    df = pd.DataFrame({"y": y.astype(np.int64), "x": x, "g": np.asarray(levels, dtype=object)[g]})
    effects = pd.DataFrame({"b0": b[:, 0], "b1": b[:, 1], "n": sizes}, index=pd.Index(levels, name="level"))
    truth = {
        "Intercept": intercept,
        "x": slope,
        "sd(Intercept | g)": sd_intercept,
        "sd(x | g)": sd_slope,
        "cor(Intercept, x | g)": cor,
        "effects": effects,
    }
    return df, truth
