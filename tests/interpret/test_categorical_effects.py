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


def _multinomial_data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n), "g": rng.choice(["u", "v"], size=n)})
    eta = np.c_[np.zeros(n), 0.5 + df.x1, -0.3 + 0.8 * df.x2 - 0.5 * df.x1 + 0.4 * (df.g == "v")]
    P = np.exp(eta)
    P /= P.sum(axis=1, keepdims=True)
    df["y"] = np.array(["a", "b", "c"])[(np.cumsum(P, axis=1) < rng.random(n)[:, None]).sum(axis=1)]
    df["w"] = rng.integers(1, 4, size=n)
    return df


def _normal_posterior(model, *, draws=40, seed=0):
    import xarray as xr

    from bayeslogit.results.categorical import CategoricalPosterior

    fit = model.fit_mle()
    rng = np.random.default_rng(seed)
    mu, L = fit.params.to_numpy(), np.linalg.cholesky(fit.cov_params().to_numpy())
    theta = mu + rng.standard_normal((2, draws // 2, mu.size)) @ L.T
    labels = [":".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in fit.params.index]
    tree = xr.DataTree.from_dict(
        {"posterior": xr.Dataset({"theta": (("chain", "draw", "param"), theta)}, coords={"param": labels})}
    )
    return CategoricalPosterior(model, tree, sampler="nutpie", random_seed=seed)


def _fd_ame(model, theta, data, column, h=1e-6):
    """d mean_i P(y_i = k) / d column, by central differences of the probabilities of ``data``
    (through the family's probabilities on the encoded rows, nothing of the effects' code)."""
    fam, d = model.design.response_family, model.design
    up, down = d.encode(data.assign(**{column: data[column] + h})), d.encode(data.assign(**{column: data[column] - h}))
    return (fam.probs(up, theta) - fam.probs(down, theta)).mean(axis=0) / (2 * h)


@pytest.fixture(scope="module", params=["multinomial", "ordinal"])
def model_and_data(request):
    if request.param == "multinomial":
        df = _multinomial_data()
        return bl.LogitModel("y ~ x1 + x2 + C(g)", df, family="multinomial", weights="w"), df
    df = _ordinal_data()
    return bl.LogitModel("y ~ x1 + x2 + C(g)", df, family="ordinal"), df


def test_point_and_posterior_effects_on_new_data(model_and_data):
    model, df = model_and_data
    levels = list(model.design.response_family.levels)
    new = df.sample(50, random_state=3).assign(x1=lambda t: t.x1 + 1.0).drop(columns="y")
    fit = model.fit_mle()
    table = fit.marginal_effects(data=new).set_index(["outcome", "term"])
    for col in ("x1", "x2"):
        ref = _fd_ame(model, fit.params.to_numpy(), new, col)
        np.testing.assert_allclose(table.xs(col, level="term").loc[levels, "dy/dx"], ref, atol=1e-7)
    assert (table["std err"] > 0).all()
    post = _normal_posterior(model)
    m = post.marginal_effect_draws(data=new)
    assert m.shape == (40, len(levels), 3)
    for s in (0, 17, 39):
        ref = _fd_ame(model, post.draws()[s], new, "x2")
        np.testing.assert_allclose(m[s, :, 2], ref, atol=1e-7)
    summary = post.marginal_effects(data=new).set_index(["outcome", "term"])
    np.testing.assert_allclose(summary.xs("x1", level="term").loc[levels, "mean"], m[:, :, 1].mean(axis=0), rtol=1e-12)
    # the training rows as data=: each row once, so the weights (multinomial) no longer count
    train = post.marginal_effect_draws(data=df)
    same = np.allclose(train, post.marginal_effect_draws())
    assert same == (model.design.weights is None)


def test_effects_data_errors_name_the_argument(model_and_data):
    model, df = model_and_data
    fit = model.fit_mle()
    with pytest.raises(bl.ArgumentError, match="data must be a non-empty pandas DataFrame.*got ndarray"):
        fit.marginal_effects(data=df[["x1"]].to_numpy())
    with pytest.raises(bl.ArgumentError, match="data must be a non-empty pandas DataFrame.*with no rows"):
        _normal_posterior(model).marginal_effects(data=df.head(0))
    with pytest.raises(bl.ArgumentError, match="offset= gives the offset of the rows of data=.*drop offset="):
        fit.marginal_effects(offset=np.zeros(len(df)))
    with pytest.raises(bl.DataError, match="x2"):
        fit.marginal_effects(data=df.drop(columns="x2"))
