"""Multinomial and ordinal models on bayeslogit's NUTS: the kernel's arrays, the start, the draws.

The compiled density is :func:`bayeslogit.fit.nuts.categorical_kernel.categorical_logp_grad`,
the posterior of PyMC's model of these families
(:func:`bayeslogit.fit.categorical_pymc.build_categorical_model`): the same likelihood, the
same priors at the same quantities (each block of the family's ``prior_blocks``), an ordinal
model's cutpoints through the same ordered transform. This module packs its arrays
(:class:`CategoricalDensity`, read by :func:`bayeslogit.fit.nuts.driver.sample_nuts` as it reads
a binary :class:`~bayeslogit.fit.nuts.density.LogDensity`), starts the chains at the posterior
mode (:func:`bayeslogit.fit.categorical.categorical_mode`) with the Laplace covariance as the
dense metric, as the binary path does, and returns the draws as PyMC's model names them:
``theta`` with dims ``param`` (the labels of the results' ``params``), so every consumer of a
categorical posterior is unchanged.

Under priors with a kink (Laplace, elastic net) the metric is the curvature of the smooth part
at the mode plus, per kinked prior, that of a normal of the prior's scale (the kink itself has
none, and the mode may sit on it).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...errors import SamplerError
from ...priors.base import KERNEL_ELASTIC, KERNEL_FLAT, KERNEL_LAPLACE
from .density import Mode, no_groups

#: The family codes of the compiled kernel (:mod:`.categorical_kernel`; 0: a binary response).
MULTINOMIAL, ORDINAL = 1, 2

#: The largest position ``sampler="auto"`` puts on bayeslogit's NUTS (its dense metric costs
#: O(dim^2) per gradient); larger models go to nutpie (or PyMC), as for group models.
MAX_DIM = 1000

#: A Laplace sd (in the kernel's coordinates) above this at the mode means the mode is not a proper
#: maximum (separation under flat priors): the heuristic of the categorical MLE's warning.
SEPARATION_SD = 1e3

SAMPLED_SCALE_MESSAGE = (
    "multinomial and ordinal models take priors with a fixed scale for now (Normal, "
    "Student-t, Cauchy, Flat, Laplace, elastic net); hierarchical and horseshoe priors come later"
)


@dataclass
class CategoricalDensity:
    """The posterior of a multinomial or ordinal model as the compiled kernel takes it.

    ``X`` holds the design columns that carry coefficients (an ordinal model's without its
    ``Intercept``), ``y`` the outcome codes, ``m`` the row weights, ``T`` the stacked prior map
    (one row per prior that counts, over ``theta``), ``family``/``mu``/``sigma``/``nu`` the
    prior of each row (:meth:`~bayeslogit.priors.base.Prior.kernel_params`), ``cat`` the
    family's description (:mod:`.categorical_kernel`). Rows are not collapsed.
    """

    X: np.ndarray
    y: np.ndarray
    m: np.ndarray
    T: np.ndarray
    family: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    nu: np.ndarray
    cat: np.ndarray
    offset: np.ndarray | None = None

    @classmethod
    def from_model(cls, model, family=None) -> CategoricalDensity:
        """The density of a :class:`~bayeslogit.LogitModel` with a categorical response
        (``family``: another parameterization of its family, e.g. scikit-learn's symmetric one).

        Raises
        ------
        SamplerError
            A prior that samples its scale (hierarchical Normal, horseshoe).
        """
        d, priors = model.design, model.priors
        if priors.sampled_scale:
            raise SamplerError(SAMPLED_SCALE_MESSAGE)
        fam = d.response_family if family is None else family
        p = d.n_coef
        names = list(priors.priors)
        Tc = priors.centring_map()
        rows, params = [], []
        for J, include in fam.prior_blocks(p):
            M = Tc @ J
            for j in include:
                code, mu, sigma, nu = priors.priors[names[j]].kernel_params()
                if code != KERNEL_FLAT:
                    rows.append(M[j])
                    params.append((code, mu, sigma, nu))
        dim = fam.n_params(p)
        P = np.asarray(params, dtype=float).reshape(-1, 4)
        if hasattr(fam, "slope_columns"):  # ordinal: eta from the slope columns
            cols = fam.slope_columns(p)
            cat = [ORDINAL, fam.n_outcomes, 1, len(cols)] + [0] * fam.n_outcomes
        else:
            cols = np.arange(p)
            outs = fam.coef_outcomes
            pos = [outs.index(k) if k in outs else -1 for k in range(fam.n_outcomes)]
            cat = [MULTINOMIAL, fam.n_outcomes, len(outs), p] + pos
        w = np.ones(d.n_obs) if fam.weights is None else np.asarray(fam.weights, dtype=float)
        return cls(
            X=np.ascontiguousarray(d.X[:, cols], dtype=float),
            y=np.asarray(d.y, dtype=float),
            m=np.ascontiguousarray(w),
            T=np.ascontiguousarray(np.asarray(rows, dtype=float).reshape(-1, dim)),
            family=P[:, 0].astype(np.int64),
            mu=np.ascontiguousarray(P[:, 1]),
            sigma=np.ascontiguousarray(P[:, 2]),
            nu=np.ascontiguousarray(P[:, 3]),
            cat=np.asarray(cat, dtype=np.int64),
            offset=None if d.offset is None else np.asarray(d.offset, dtype=float),
        )

    @property
    def dim(self) -> int:
        return self.T.shape[1]

    def kernel_X(self) -> np.ndarray:
        """``X`` with the offset as one last column when there is one (as the binary kernel)."""
        if self.offset is None:
            return self.X
        return np.ascontiguousarray(np.column_stack([self.X, self.offset]))

    def kernel_groups(self) -> tuple:
        """No group terms; the family's description in the last place."""
        return no_groups(self.X.shape[0])[:8] + (self.cat,)

    def logp_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        """Log density (up to a constant) and gradient at one position, by the compiled kernel."""
        from .categorical_kernel import categorical_logp_grad

        g = np.empty(self.dim)
        lp = categorical_logp_grad(
            np.ascontiguousarray(z, dtype=float),
            self.kernel_X(),
            self.y,
            self.m,
            self.T,
            self.family,
            self.mu,
            self.sigma,
            self.nu,
            self.cat,
            g,
        )
        return float(lp), g

    def start(self, model, family=None) -> Mode:
        """The posterior mode in the kernel's coordinates and the Laplace covariance there;
        ``converged`` False when there is no proper mode (e.g. separation under flat priors)."""
        from ..categorical import categorical_mode, log_prior

        d, priors = model.design, model.priors
        fam = d.response_family if family is None else family
        dim = self.dim
        try:
            res = categorical_mode(fam, d.X, d.y, priors, offset=d.offset).fit
        except (np.linalg.LinAlgError, FloatingPointError, ValueError):
            return Mode(np.zeros(dim), np.full((dim, dim), np.nan), False, 0)
        theta = res.beta
        ok = res.converged and np.all(np.isfinite(theta)) and np.abs(theta).max(initial=0.0) < 1e6
        if ok:
            blocks = fam.prior_blocks(d.n_coef)
            _, _, H = fam.loglik_grad_hess(d.X, d.y, theta, d.offset)
            _, _, Hp = log_prior(priors.smooth_part() if priors.has_kink else priors, blocks, theta)
            neg = -(H + Hp)
            kinked = (self.family == KERNEL_LAPLACE) | (self.family == KERNEL_ELASTIC)
            if kinked.any():
                Mk = self.T[kinked]
                neg = neg + Mk.T @ (Mk / self.sigma[kinked, None] ** 2)
            if self.cat[0] == ORDINAL:  # into the transform's coordinates: D' (-H) D at the mode
                neg = _jacobian(theta, int(self.cat[3])).T @ neg @ _jacobian(theta, int(self.cat[3]))
            try:
                cov = np.linalg.inv((neg + neg.T) / 2)
                cov = (cov + cov.T) / 2
                np.linalg.cholesky(cov)
                # Newton "converges" far out along a separating direction when the log-likelihood
                # flattens there: Laplace sds this large mean no mode (as the MLE's warning)
                ok = bool(np.sqrt(np.diag(cov)).max(initial=0.0) < SEPARATION_SD)
            except np.linalg.LinAlgError:
                ok = False
        if not ok or not np.all(np.isfinite(cov)):
            return Mode(np.zeros(dim), np.full((dim, dim), np.nan), False, res.iterations)
        z = z_of(theta, self.cat)
        if not np.all(np.isfinite(z)):
            return Mode(np.zeros(dim), np.full((dim, dim), np.nan), False, res.iterations)
        return Mode(z, cov, True, res.iterations)


def _jacobian(theta: np.ndarray, q: int) -> np.ndarray:
    """``d theta / d z`` of the ordered transform at ``theta`` (slopes: the identity)."""
    dim = theta.size
    D = np.eye(dim)
    gaps = np.diff(theta[q:])
    for k in range(q + 1, dim):
        D[k:, k] = gaps[k - q - 1]  # c_j depends on u_k (k <= j) through exp(u_k) = gap
    D[q:, q] = 1.0
    return D


def sample_categorical_model(
    model,
    *,
    draws: int,
    tune: int | None,
    chains: int,
    random_seed,
    target_accept: float,
    required: bool,
    progressbar=False,
):
    """Sample a multinomial or ordinal model with bayeslogit's NUTS; an ArviZ ``DataTree``
    with ``posterior.theta`` (dims ``param``), the sampler statistics of
    :func:`~bayeslogit.fit.nuts.driver.sample_nuts` and ``observed_data.y`` (the outcome codes);
    ``None`` when the model does not suit it (no posterior mode, or more than :data:`MAX_DIM`
    parameters; the caller runs PyMC's model), or with ``required`` a
    :class:`~bayeslogit.SamplerError` saying why. ``tune=None``:
    :data:`~bayeslogit.fit.nuts.driver.DEFAULT_TUNE_AT_MODE`, as the binary path."""
    from arviz_base import from_dict

    from ..categorical_pymc import param_labels
    from .driver import DEFAULT_TUNE_AT_MODE, sample_nuts, tag_run

    dens = CategoricalDensity.from_model(model)
    if dens.dim > MAX_DIM and not required:
        return None
    mode = dens.start(model)
    if not mode.converged:
        if required:
            raise SamplerError(
                "sampler='bayeslogit' starts from the posterior mode, and Newton's method did not find "
                "one (the coefficients run off to infinity: separation under flat priors?); use proper "
                "priors, or sampler='nutpie' / 'pymc'"
            )
        return None
    source = "auto" if tune is None else "explicit"
    tune = DEFAULT_TUNE_AT_MODE if tune is None else tune
    res = sample_nuts(
        dens,
        mode,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        target_accept=target_accept,
        progressbar=progressbar,
    )
    d = model.design
    labels = param_labels(d.response_family.param_index(d.column_names))
    tree = from_dict(
        {
            "posterior": {"theta": theta_of(res.beta, dens.cat)},
            "sample_stats": res.stats,
            "observed_data": {"y": np.asarray(d.y)},
        },
        coords={"param": labels, "obs": np.arange(d.n_obs)},
        dims={"theta": ["param"], "y": ["obs"]},
    )
    tag_run(tree, res, tune=tune, source=source, target_accept=target_accept)
    return tree


def theta_of(z: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """The parameters ``theta`` of positions ``z`` (``(..., d)``), in numpy: the ordered
    transform's inverse for an ordinal model's cutpoints, the identity otherwise."""
    z = np.asarray(z, dtype=float)
    if cat[0] != ORDINAL:
        return z.copy()
    q = int(cat[3])
    cut = np.concatenate([z[..., q : q + 1], np.exp(z[..., q + 1 :])], axis=-1)
    return np.concatenate([z[..., :q], np.cumsum(cut, axis=-1)], axis=-1)


def z_of(theta: np.ndarray, cat: np.ndarray) -> np.ndarray:
    """The positions of ``theta`` (the ordered transform's forward direction)."""
    theta = np.asarray(theta, dtype=float)
    if cat[0] != ORDINAL:
        return theta.copy()
    q = int(cat[3])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.concatenate([theta[..., : q + 1], np.log(np.diff(theta[..., q:], axis=-1))], axis=-1)
