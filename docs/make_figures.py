"""The README's figures: ``python docs/make_figures.py`` (from the repository root) rewrites them.

- ``docs/interpretation.png``: the predicted probability against ``x1``, one line and 95% band
  per value of ``x2`` (mean - sd, mean, mean + sd), for the MLE, the MAP under sklearn's
  ``Normal(0, 1)`` prior and the posterior side by side (``bl.plot_predictions``), on the
  README's seed data.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import bayeslogit as bl  # noqa: E402
from bayeslogit.datasets import simulate_seed  # noqa: E402

HERE = Path(__file__).resolve().parent


def interpretation(path: Path = HERE / "interpretation.png") -> Path:
    df = simulate_seed(500, random_seed=1)
    model = bl.LogitModel("y ~ x1 + x2", data=df)
    mle = model.fit_mle()
    map_ = model.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False))
    post = model.sample(draws=500, chains=2, random_seed=1, progressbar=False)
    fig = bl.plot_predictions([mle, map_, post], ["x1", "x2"], points=40)
    fig.set_size_inches(10.5, 3.4)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    return path


if __name__ == "__main__":
    print(interpretation())
