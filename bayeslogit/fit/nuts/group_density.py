"""Models with group terms or sampled coefficient scales on bayeslogit's NUTS: layout, start, names.

The compiled density is :func:`bayeslogit.fit.nuts.group_kernel.group_logp_grad`; this module
lays out its position ``theta = [population block | log taus | per term: log sd, Cholesky
parameters, z]``, packs the arrays it takes, chooses where chains start and the initial metric,
and turns draws of ``theta`` into the variables PyMC's model gives (``beta``, ``beta_<family>``,
``tau``, ``z_hiernormal``, ``hs_tau``, ``hs_c2``, ``hs_lambda``, ``hs_z``, ``sd_g``, ``z_g``,
``b_g``, ``L_g``, ``cor_g``; same names, dims and
coords: :mod:`bayeslogit.fit.pymc_model`, :mod:`bayeslogit.fit.group_model`), so every consumer
of a posterior is unchanged.

The population block is in the priors' coordinates ``raw = T beta`` (``T`` the centring map,
unit determinant; the kernel gets ``X T^-1``), a coefficient under ``Normal(mu, HalfNormal(s))``
as its ``z`` (``raw = mu + tau z``), a horseshoe coefficient as its ``z`` (``raw = z tau
lambda~``). Start: the posterior mode of the model without group terms
(a sampled scale fixed at its prior's scale) and its Laplace covariance; log sds at ``log 0.5``
(taus at half their prior's scale, the horseshoe's ``c2`` at ``slab_scale^2``, its ``z`` at 0)
with sd 0.5; ``z`` at 0 with unit variance; the dense metric is
then adapted in Stan's windows.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...priors.base import KERNEL_INVGAMMA, PriorContext
from ..group_model import group_var_names, sd_part_names
from .density import LogDensity, Mode, newton_mode, no_categorical

#: Log sd where chains start (sd 0.5 on the logit scale), and the initial metric's sd of log sd.
START_LOG_SD, START_LOG_SD_SCALE = float(np.log(0.5)), 0.5


@dataclass
class TermLayout:
    """Where one group term's parameters sit in ``theta`` (plain data: the warm sampler
    process receives it pickled, and a term's patsy design does not pickle)."""

    key: str
    levels: list[str]
    coef_names: list[str]
    sd0: int
    chol0: int  # -1: uncorrelated (or one coefficient)
    z0: int

    @property
    def n_coef(self) -> int:
        return len(self.coef_names)

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def n_chol(self) -> int:
        k = self.n_coef
        return k * (k - 1) // 2 if self.chol0 >= 0 else 0


@dataclass
class GroupDensity:
    """The posterior of a model with group terms, as the compiled kernel takes it.

    Exposes what :func:`bayeslogit.fit.nuts.driver.sample_nuts` reads of a
    :class:`~bayeslogit.fit.nuts.density.LogDensity` (``X``, ``y``, ``m``, ``T``, prior arrays,
    ``offset``, ``dim``, :meth:`kernel_X`, :meth:`kernel_groups`). Rows are not collapsed; they are sorted by the first group term's level.
    """

    fixed: LogDensity  # the population part, rows as in the design (not collapsed), X T^-1
    layouts: list[TermLayout]
    grp: tuple = field(repr=False)
    dim: int
    Tinv: np.ndarray = field(repr=False)  # beta = Tinv raw
    hier: list = field(default_factory=list)  # per sampled-scale family: (indices, tau names, z name, dim, first tau)
    vectors: set = field(default_factory=set)  # scale names PyMC's model holds as vectors (hs_lambda)

    # the attributes the driver and the warm sampler read, forwarded from the population part
    @property
    def X(self):
        return self.fixed.X

    @property
    def y(self):
        return self.fixed.y

    @property
    def m(self):
        return self.fixed.m

    @property
    def T(self):
        return self.fixed.T

    @property
    def family(self):
        return self.fixed.family

    @property
    def mu(self):
        return self.fixed.mu

    @property
    def sigma(self):
        return self.fixed.sigma

    @property
    def nu(self):
        return self.fixed.nu

    @property
    def offset(self):
        return self.fixed.offset

    @property
    def p(self) -> int:
        return self.fixed.dim

    def kernel_X(self) -> np.ndarray:
        return self.fixed.kernel_X()

    def kernel_groups(self) -> tuple:
        return self.grp

    @classmethod
    def from_model(cls, model) -> GroupDensity:
        """Build from a :class:`~bayeslogit.LogitModel` with group terms and/or coefficient
        priors with a sampled scale that the kernel takes (:func:`supports`)."""
        from ...response import response_family

        d = model.design
        priors = model.priors
        names = list(d.column_names)
        p = len(names)
        off = getattr(d, "offset", None)
        # the population block in the priors' coordinates raw = T beta (T: the centring map,
        # unit determinant): X T^-1 raw = X beta
        T = priors.centring_map()
        Tinv = np.linalg.inv(T)
        fam, mu, sigma, nu = np.zeros(p, np.int64), np.zeros(p), np.ones(p), np.ones(p)
        hidx, hmu = np.full(p, -1, np.int64), np.zeros(p)
        tau_priors: list = []
        hier: list[tuple] = []  # (coefficient indices, tau names, z name, dim, first tau)
        vectors: set[str] = set()
        ctx = PriorContext.from_design(d)
        for group in priors.by_family(names):
            scales = group.family_class.kernel_scales(group.priors, ctx)
            if scales is None:
                for j in group.index:
                    fam[j], mu[j], sigma[j], nu[j] = priors.priors[names[j]].kernel_params()
                continue
            taus, which, mus = scales
            first = len(tau_priors)
            for j, h, m in zip(group.index, which, mus):
                hidx[j], hmu[j] = first + h, m  # z_j ~ N(0, 1): code 0, mu 0, sigma 1
            for q in taus:  # (code, s, nu, tau row, c2 row): a horseshoe's local scale links its tau and slab
                row = [*q.kernel_params(), -1, -1][:5]
                tau_priors.append(row[:3] + ([first + row[3], first + row[4]] if row[3] >= 0 else [-1, -1]))
            hier.append((list(group.index), *group.family_class.kernel_names(len(taus)), group.dim, first))
            vectors.update(group.family_class.kernel_vectors)
        gp = priors.groups
        terms = d.groups.terms if d.groups is not None else []
        # rows sorted by the first term's level (stable): the kernel's data pass runs level by
        # level (group_kernel._rows); the density does not depend on the rows' order
        order = np.argsort(terms[0].index, kind="stable") if terms else slice(None)
        fixed = LogDensity(
            X=np.ascontiguousarray(np.asarray(d.X, dtype=float)[order] @ Tinv),
            y=np.asarray(d.y, dtype=float)[order],
            m=response_family(d).kernel_trials(d.n_obs)[order],
            n_rows=d.n_obs,
            priors=priors,
            offset=None if off is None else np.ascontiguousarray(np.asarray(off, dtype=float)[order]),
            T=np.eye(p),
            family=fam,
            mu=mu,
            sigma=sigma,
            nu=nu,
        )
        pos, col = p + len(tau_priors), 0
        layouts: list[TermLayout] = []
        rows: list[list[int]] = []
        sdp: list[list[float]] = []
        for t in terms:
            k = t.n_coef
            sd0 = pos
            pos += k
            chol0 = -1
            if t.key in gp.cor and k > 1:
                chol0 = pos
                pos += k * (k - 1) // 2
            z0 = pos
            pos += t.n_levels * k
            layouts.append(TermLayout(t.key, list(t.levels), list(t.coef_names), sd0, chol0, z0))
            rows.append([k, col, t.n_levels, sd0, chol0, z0])
            sdp.extend(list(q.kernel_params()) for q in gp.sd[t.key])
            col += k
        n = d.n_obs
        grp = (
            np.ascontiguousarray(np.column_stack([t.index for t in terms]).astype(np.int64)[order])
            if terms
            else np.zeros((n, 0), np.int64),
            np.ascontiguousarray(np.column_stack([t.values for t in terms]).astype(float)[order])
            if terms
            else np.zeros((n, 0)),
            np.ascontiguousarray(np.asarray(rows, dtype=np.int64).reshape(-1, 6)),
            np.ascontiguousarray(np.asarray(sdp, dtype=float).reshape(-1, 3)),
            np.asarray([float(gp.cor[t.key].eta) if t.key in gp.cor else 1.0 for t in terms], dtype=float),
            hidx,
            hmu,
            np.ascontiguousarray(np.asarray(tau_priors, dtype=float).reshape(-1, 5)),
            no_categorical(),
        )
        return cls(fixed=fixed, layouts=layouts, grp=grp, dim=pos, Tinv=Tinv, hier=hier, vectors=vectors)

    def start(self, model, *, diag: bool = False) -> Mode:
        """The chains' centre and initial metric (module docstring), as a :class:`Mode`: the
        population block from the posterior mode of the model without group terms (a sampled
        scale fixed at its prior's scale) and its Laplace covariance, in the kernel's coordinates.
        ``diag=True`` (the diagonal metric): ``cov`` is the vector of variances, so no
        dim x dim matrix is built."""
        from dataclasses import replace
        from types import SimpleNamespace

        d = self.dim
        p = self.p
        center = np.zeros(d)
        var = np.ones(d)  # the variances outside the population block
        pop = np.eye(p)  # the population block's covariance
        hidx, hmu, tau_priors = self.grp[5], self.grp[6], self.grp[7]
        priors = model.priors
        fixed = {n: q.with_fixed_scale() for n, q in priors.priors.items()}
        pooled = LogDensity.from_model(SimpleNamespace(design=model.design, priors=replace(priors, priors=fixed)))
        mode = newton_mode(pooled)
        if mode.converged:
            T = np.linalg.inv(self.Tinv)
            center[:p] = T @ mode.beta
            pop = T @ mode.cov @ T.T
        for j in range(p):  # z = (raw - mu) / tau at tau = the prior's scale
            if hidx[j] >= 0 and tau_priors[hidx[j], 3] >= 0:  # a horseshoe's z: at 0, unit sd
                center[j] = 0.0
                pop[j, :] = pop[:, j] = 0.0
                pop[j, j] = 1.0
            elif hidx[j] >= 0:
                s = tau_priors[hidx[j], 1]
                center[j] = (center[j] - hmu[j]) / s
                pop[j, :] /= s
                pop[:, j] /= s
        for h in range(tau_priors.shape[0]):
            code, s, nu = tau_priors[h, :3]
            # half the prior's scale; an inverse gamma InvGamma(a, b) at b / a
            center[p + h] = np.log(nu / s) if code == KERNEL_INVGAMMA else np.log(s) + START_LOG_SD
            var[p + h] = START_LOG_SD_SCALE**2
        for lay in self.layouts:
            k = lay.n_coef
            center[lay.sd0 : lay.sd0 + k] = START_LOG_SD
            var[lay.sd0 : lay.sd0 + k] = START_LOG_SD_SCALE**2
            if lay.chol0 >= 0:
                var[lay.chol0 : lay.chol0 + lay.n_chol] = 0.25
        var[:p] = np.diag(pop)
        if diag:
            return Mode(center, var, True, 0)
        cov = np.diag(var)
        cov[:p, :p] = pop
        return Mode(center, cov, True, 0)

    def coefficients(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(raw, beta)`` of draws ``theta`` (leading axes kept): the coefficients in the
        priors' coordinates and on the original scale."""
        p = self.p
        raw = np.array(theta[..., :p])
        hidx, hmu, rows = self.grp[5], self.grp[6], self.grp[7]
        for j in range(p):
            h = hidx[j]
            if h < 0:
                continue
            scale = np.exp(theta[..., p + h])
            if rows[h, 3] >= 0:  # a horseshoe: tau lambda~, lambda~^2 = c2 lambda^2 / (c2 + tau^2 lambda^2)
                lt, lc = theta[..., p + int(rows[h, 3])], theta[..., p + int(rows[h, 4])]
                ll = theta[..., p + h]
                scale = np.exp(lt + 0.5 * (lc + 2 * ll - np.logaddexp(lc, 2 * (lt + ll))))
            raw[..., j] = hmu[j] + scale * theta[..., j]
        return raw, raw @ self.Tinv.T

    def logp_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """Log density (up to a constant) and gradient at one position, by the compiled kernel."""
        from . import group_kernel

        f = self.fixed
        g = np.empty(self.dim)
        lp = group_kernel.group_logp_grad(
            np.ascontiguousarray(theta, dtype=float),
            f.kernel_X(),
            f.y,
            f.m,
            f.T,
            f.family.astype(np.int64),
            f.mu,
            f.sigma,
            f.nu,
            self.grp,
            g,
        )
        return float(lp), g

    def posterior(self, theta: np.ndarray, priors, column_names: list[str]):
        """The posterior variables of draws ``theta`` ``(chains, draws, dim)``, named as in
        PyMC's model: ``(values, dims, coords)`` for :func:`arviz_base.from_dict`."""
        C, D = theta.shape[:2]
        p = self.p
        raw, beta = self.coefficients(theta)
        values: dict = {}
        dims: dict = {}
        coords: dict = {"coef": list(column_names)}
        sampled = {j for h in self.hier for j in h[0]}
        for group in priors.by_family(column_names):
            coords[group.dim] = list(group.names)
            if group.index[0] in sampled:
                continue
            var = f"beta_{group.name.lower()}"
            values[var], dims[var] = raw[..., group.index], [group.dim]
        for idx, tau_names, z_name, dim, first in self.hier:  # as the family's pymc_variables names them
            for name in dict.fromkeys(tau_names):
                rows = [p + first + h for h, n in enumerate(tau_names) if n == name]
                if name in self.vectors:  # one per coefficient (hs_lambda)
                    values[name], dims[name] = np.exp(theta[..., rows]), [dim]
                else:
                    values[name] = np.exp(theta[..., rows[0]])
            values[z_name], dims[z_name] = theta[..., idx], [dim]
        for lay in self.layouts:
            t = lay
            v = group_var_names(t)
            k = t.n_coef
            coords[v["level"]], coords[v["coef"]] = list(t.levels), list(t.coef_names)
            sd = np.exp(theta[..., lay.sd0 : lay.sd0 + k])
            z = theta[..., lay.z0 : lay.z0 + t.n_levels * k].reshape(C, D, t.n_levels, k)
            values[v["sd"]], dims[v["sd"]] = sd, [v["coef"]]
            for j, part in enumerate(sd_part_names(v["sd"], priors.groups.sd[t.key])):
                values[part], dims[part] = sd[..., j], []  # mixed sd families: as PyMC's model has them
            values[v["z"]], dims[v["z"]] = z, [v["level"], v["coef"]]
            if lay.chol0 >= 0:
                L = cholesky_corr(theta[..., lay.chol0 : lay.chol0 + lay.n_chol], k)
                values[v["L"]], dims[v["L"]] = L, [f"{v['L']}_dim_0", f"{v['L']}_dim_1"]
                coords[v["coef"] + "_"] = list(t.coef_names)
                values[v["cor"]], dims[v["cor"]] = L @ np.swapaxes(L, -1, -2), [v["coef"], v["coef"] + "_"]
                b = np.einsum("cdij,cdlj->cdli", L, z) * sd[:, :, None, :]
            else:
                b = z * sd[:, :, None, :]
            values[v["b"]], dims[v["b"]] = b, [v["level"], v["coef"]]
        values["beta"], dims["beta"] = beta, ["coef"]
        return values, dims, coords


def supports(priors) -> bool:
    """Whether every coefficient prior is on the compiled sampler: fixed scales, or sampled
    scales its family puts there (``Normal(mu, HalfNormal(s))``, the regularized horseshoe)."""
    return all(
        g.family_class.kernel_scales(g.priors) is not None
        for g in priors.by_family()
        if any(q.sampled_scale for q in g.priors)
    )


def cholesky_corr(y: np.ndarray, k: int) -> np.ndarray:
    """Stan's Cholesky factor of a correlation matrix from ``k(k-1)/2`` unconstrained values
    (last axis), vectorised over the leading axes (numpy mirror of the compiled transform).

    Examples
    --------
    >>> import numpy as np
    >>> L = cholesky_corr(np.array([0.3]), 2)
    >>> bool(np.allclose((L @ L.T)[0, 1], np.tanh(0.3)))
    True
    """
    y = np.asarray(y, dtype=float)
    shape = y.shape[:-1]
    L = np.zeros(shape + (k, k))
    L[..., 0, 0] = 1.0
    pos = 0
    for i in range(1, k):
        s = np.zeros(shape)
        for j in range(i):
            z = np.tanh(y[..., pos])
            L[..., i, j] = z * np.sqrt(1.0 - s)
            s = s + L[..., i, j] ** 2
            pos += 1
        L[..., i, i] = np.sqrt(1.0 - s)
    return L
