import numpy as np
import pandas as pd
import pytest

from bayeslogit.datasets import simulate_seed


@pytest.fixture(scope="session")
def seed_df() -> pd.DataFrame:
    """The seed tutorial's setting: n=500, eta = -3 + 2 x1 - 1.5 x2, fixed seed."""
    return simulate_seed(500, random_seed=20261128)


@pytest.fixture(scope="session")
def mixed_df() -> pd.DataFrame:
    """Numeric, categorical and string columns, with a known data-generating process."""
    rng = np.random.default_rng(7)
    n = 400
    g = rng.choice(["a", "b", "c"], size=n)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    eta = -0.5 + 1.0 * x1 - 0.7 * x2 + 0.5 * x1 * x2 + np.select([g == "b", g == "c"], [0.8, -0.6], 0.0)
    y = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return pd.DataFrame({"y": y, "x1": x1, "x2": x2, "g": g, "yes_no": np.where(y == 1, "yes", "no")})
