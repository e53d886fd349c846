"""A model with group terms on bayeslogit's NUTS: the position's layout, the start, the draws' names.

The compiled density is :func:`bayeslogit.fit.nuts.group_kernel.group_logp_grad`; this module
lays out its position ``theta = [beta | per term: log sd, Cholesky parameters, z]``, packs the
group arrays it takes, chooses where chains start and the initial metric (population
coefficients from the complete-pooling posterior mode and its Laplace covariance; log sds at
``log 0.5``; ``z`` at 0 with unit variance; the metric is then adapted in Stan's windows), and
turns draws of ``theta`` into the variables PyMC's model of :mod:`bayeslogit.fit.group_model`
gives (``beta``, ``beta_<family>``, ``sd_g``, ``z_g``, ``b_g``, ``L_g``, ``cor_g``; same names,
dims and coords), so every consumer of a posterior is unchanged.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..group_model import group_var_names
from .density import LogDensity, Mode, newton_mode, prior_arrays

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
    ``offset``, ``dim``, :meth:`kernel_X`, :meth:`kernel_groups`). Rows are not collapsed.
    """

    fixed: LogDensity  # the population part, rows as in the design (not collapsed)
    layouts: list[TermLayout]
    grp: tuple = field(repr=False)
    dim: int

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
        """Build from a :class:`~bayeslogit.LogitModel` with group terms."""
        from ...response import response_family

        d = model.design
        off = getattr(d, "offset", None)
        fixed = LogDensity(
            X=np.ascontiguousarray(d.X, dtype=float),
            y=np.asarray(d.y, dtype=float),
            m=response_family(d).kernel_trials(d.n_obs),
            n_rows=d.n_obs,
            priors=model.priors,
            offset=None if off is None else np.ascontiguousarray(off, dtype=float),
            **prior_arrays(model.priors, d.column_names),
        )
        gp = model.priors.groups
        terms = d.groups.terms
        pos, col = fixed.dim, 0
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
            sdp.extend(list(p.kernel_params()) for p in gp.sd[t.key])
            col += k
        grp = (
            np.ascontiguousarray(np.column_stack([t.index for t in terms]).astype(np.int64)),
            np.ascontiguousarray(np.column_stack([t.values for t in terms]).astype(float)),
            np.ascontiguousarray(np.asarray(rows, dtype=np.int64)),
            np.ascontiguousarray(np.asarray(sdp, dtype=float)),
            np.asarray([float(gp.cor[t.key].eta) if t.key in gp.cor else 1.0 for t in terms], dtype=float),
        )
        return cls(fixed=fixed, layouts=layouts, grp=grp, dim=pos)

    def start(self, model) -> Mode:
        """The chains' centre and initial metric (module docstring), as a :class:`Mode`."""
        d = self.dim
        center, cov = np.zeros(d), np.eye(d)
        pooled = LogDensity.from_model(model)
        mode = newton_mode(pooled)
        p = self.p
        if mode.converged:
            center[:p] = mode.beta
            cov[:p, :p] = mode.cov
        for lay in self.layouts:
            k = lay.n_coef
            center[lay.sd0 : lay.sd0 + k] = START_LOG_SD
            idx = np.arange(lay.sd0, lay.sd0 + k)
            cov[idx, idx] = START_LOG_SD_SCALE**2
            if lay.chol0 >= 0:
                idx = np.arange(lay.chol0, lay.chol0 + lay.n_chol)
                cov[idx, idx] = 0.25
        return Mode(center, cov, True, 0)

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
        beta = theta[..., :p]
        values: dict = {}
        dims: dict = {}
        coords: dict = {"coef": list(column_names)}
        raw = beta @ self.T.T
        for group in priors.by_family(column_names):
            var = f"beta_{group.name.lower()}"
            values[var], dims[var] = raw[..., group.index], [group.dim]
            coords[group.dim] = list(group.names)
        for t in self.layouts:
            lay = t
            v = group_var_names(t)
            k = t.n_coef
            coords[v["level"]], coords[v["coef"]] = list(t.levels), list(t.coef_names)
            sd = np.exp(theta[..., lay.sd0 : lay.sd0 + k])
            z = theta[..., lay.z0 : lay.z0 + t.n_levels * k].reshape(C, D, t.n_levels, k)
            values[v["sd"]], dims[v["sd"]] = sd, [v["coef"]]
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
