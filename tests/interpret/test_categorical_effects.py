"""Average marginal effects of multinomial and ordinal fits (issue 23): the ordinal MLE's
delta-method standard errors against an independent computation, and posterior effects on
new data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

import bayeslogit as bl


def _ordinal_data(n=400, seed=1):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    latent = 0.8 * df.x1 - 0.5 * df.x2 + 0.6 * (df.g == "v") + rng.logistic(size=n)
    lev = ["Low", "Medium", "High", "Top"]
    df["y"] = pd.Categorical(np.array(lev)[np.digitize(latent, [-0.5, 0.7, 2.0])], categories=lev, ordered=True)
    return df


def test_ordinal_marginal_effect_standard_errors_equal_an_independent_delta_method():
    """statsmodels' OrderedModel has no ``get_margeff``, so the reference is built here from
    its own pieces: its estimates and covariance in *its* parameterization (slopes, the first
    threshold, log increments of the others) and the average marginal effects as a function of
    those parameters, differentiated analytically (``f' = f (1 - 2F)`` for the logistic
    density). The delta method does not depend on the parameterization, so the standard errors
    must agree with bayeslogit's (polr cutpoints, central differences) up to the precision of
    statsmodels' numerical Hessian."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    df = _ordinal_data()
    fit = bl.LogitModel("y ~ x1 + x2 + C(g)", df).fit_mle()
    ref = OrderedModel.from_formula("y ~ x1 + x2 + C(g)", df, distr="logit").fit(
        method="bfgs", disp=0, maxiter=5000, gtol=1e-8
    )
    X = ref.model.exog  # C(g)[T.v], x1, x2 (no intercept)
    phi = ref.params.to_numpy()
    q, K = X.shape[1], 4

    def ame_and_jacobian(phi):
        beta, t = phi[:q], phi[q:]
        cut = np.cumsum(np.r_[t[0], np.exp(t[1:])])
        dcut = np.zeros((K - 1, K - 1))  # d cut_m / d t_r
        dcut[:, 0] = 1.0
        for r in range(1, K - 1):
            dcut[r:, r] = np.exp(t[r])
        eta = X @ beta
        F = expit(cut[None, :] - eta[:, None])
        f = F * (1 - F)
        fp = f * (1 - 2 * F)
        zero = np.zeros((len(eta), 1))
        fe, fpe = np.hstack([zero, f, zero]), np.hstack([zero, fp, zero])
        dens = np.diff(fe, axis=1)  # f(c_k - eta) - f(c_{k-1} - eta), (n, K)
        ame = -np.outer(beta, dens.mean(axis=0))  # (q, K)
        J = np.zeros((q, K, phi.size))
        for k in range(K):
            dd_eta = -(fpe[:, k + 1] - fpe[:, k])  # d dens_k / d eta
            for j in range(q):
                J[j, k, :q] = -beta[j] * (dd_eta[:, None] * X).mean(axis=0)
                J[j, k, j] -= dens[:, k].mean()
                dd_cut = np.zeros(K - 1)  # d mean dens_k / d cut_m
                if k < K - 1:
                    dd_cut[k] += fp[:, k].mean()
                if k > 0:
                    dd_cut[k - 1] -= fp[:, k - 1].mean()
                J[j, k, q:] = -beta[j] * (dd_cut @ dcut)
        return ame, J

    ame, J = ame_and_jacobian(phi)
    cov = ref.cov_params().to_numpy()
    se = np.sqrt(np.einsum("jka,ab,jkb->jk", J, cov, J))
    ours = fit.marginal_effects().set_index(["outcome", "term"])
    names = ["C(g)[T.v]", "x1", "x2"]
    for k, lev in enumerate(["Low", "Medium", "High", "Top"]):
        for j, name in enumerate(names):
            row = ours.loc[(lev, name)]
            assert row["dy/dx"] == pytest.approx(ame[j, k], rel=1e-6, abs=1e-9)
            assert row["std err"] == pytest.approx(se[j, k], rel=1e-6)
    # the analytic Jacobian itself, against central differences of the AME function
    h = 1e-6
    for a in range(phi.size):
        e = np.zeros_like(phi)
        e[a] = h
        num = (ame_and_jacobian(phi + e)[0] - ame_and_jacobian(phi - e)[0]) / (2 * h)
        np.testing.assert_allclose(J[..., a], num, atol=1e-8)
