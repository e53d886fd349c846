"""Timings of the categorical families (issue 23) on scikit-learn's wine data (178 rows, 13
predictors, 3 outcomes) and the UCLA ordinal example: MLE, scikit-learn's default as a MAP,
and the posterior through PyMC's model with nutpie (bayeslogit's own NUTS does not take these
families yet). Run: ``python benchmarks/bench_categorical.py``.

The wine data are separated (three classes linearly separable), so only the MAP and the
posterior exist there; the predictors are standardized as one does for scikit-learn.
"""

from __future__ import annotations

import os
import time
import warnings

import numpy as np
import pandas as pd


def main() -> None:
    import arviz as az
    from sklearn.datasets import load_wine

    import bayeslogit as bl

    wine = load_wine(as_frame=True)
    X = (wine.data - wine.data.mean()) / wine.data.std()
    X.columns = [f"x{j}" for j in range(X.shape[1])]
    df = X.assign(y=wine.target_names[wine.target])
    formula = "y ~ " + " + ".join(X.columns)
    model = bl.LogitModel(formula, df, family="multinomial")
    t = time.perf_counter()
    model.fit_map(priors=bl.sklearn_prior(1.0))
    print(f"wine: MAP under sklearn_prior(C=1): {time.perf_counter() - t:.3f} s")
    t = time.perf_counter()
    model.fit_map()
    print(f"wine: MAP under the default priors: {time.perf_counter() - t:.3f} s")
    for run in ("cold (compiles)", "warm"):
        t = time.perf_counter()
        post = model.sample(draws=1000, chains=4, random_seed=1, progressbar=False)
        took = time.perf_counter() - t
        ess = float(az.ess(post.idata.posterior["theta"], method="bulk").min())
        print(f"wine: posterior ({post.sampler}, 4 x 1000 draws) {run}: {took:.1f} s, min bulk ESS {ess:.0f}")

    import statsmodels.miscmodels.tests.results as sm_results

    ucla = pd.read_csv(os.path.join(os.path.dirname(sm_results.__file__), "ologit_ucla.csv"))
    ucla["apply"] = pd.Categorical(ucla["apply"], ["unlikely", "somewhat likely", "very likely"], ordered=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        om = bl.LogitModel("apply ~ pared + public + gpa", ucla)
    t = time.perf_counter()
    om.fit_mle()
    print(f"ucla ordinal: MLE {time.perf_counter() - t:.3f} s")
    t = time.perf_counter()
    om.sample(draws=1000, chains=4, random_seed=1, progressbar=False)
    print(f"ucla ordinal: posterior (4 x 1000 draws, first run) {time.perf_counter() - t:.1f} s")
    rng = np.random.default_rng(0)
    n = 100_000
    big = pd.DataFrame(rng.normal(size=(n, 10)), columns=[f"z{j}" for j in range(10)])
    B = rng.normal(scale=0.3, size=(10, 4))
    eta = np.c_[np.zeros(n), big.to_numpy() @ B]
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    big["y"] = np.array(list("abcde"))[(P.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1)]
    bm = bl.LogitModel("y ~ " + " + ".join(f"z{j}" for j in range(10)), big, family="multinomial")
    t = time.perf_counter()
    bm.fit_mle()
    print(f"100,000 x 10 x 5 outcomes: MLE {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
