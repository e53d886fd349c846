"""Simulated rows for the dask save/load and report tests: ``FORMULA``'s columns, with an offset."""

from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA = "y ~ x + C(g) + z + offset(np.log(e))"


def offset_frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n), "z": rng.normal(2.0, 3.0, size=n),
         "e": rng.uniform(1, 3, n)}
    )  # fmt: skip
    eta = 0.3 + df.x - (df.g == "b") + 0.1 * df.z + np.log(df.e) - 1.0
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-eta)))
    return df
