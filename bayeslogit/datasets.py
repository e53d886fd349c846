"""Simulated data sets with known truth (the seed tutorial's setting, and variants)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_seed", "SEED_TRUTH"]

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
