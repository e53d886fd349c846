"""The group terms of the PyMC model: non-centred varying effects with their sds and correlations.

For a group term with key ``g``, ``k`` varying coefficients (coords ``g__coef``) and ``L``
levels (coords ``g__level``), :func:`group_eta` adds to the model being built

- ``sd_g`` (``g__coef``): the sds, each with its prior (default ``HalfStudentT(3, 2.5)``);
- ``z_g`` (``g__level``, ``g__coef``): standard normal;
- for a correlated term with ``k > 1``: ``L_g``, the Cholesky factor of the correlation matrix
  under ``LKJCorr(eta)`` (PyMC's ``LKJCorr`` is a distribution over that factor), and the
  deterministic ``cor_g = L L'`` (``g__coef``, ``g__coef_``);
- ``b_g = z_g (diag(sd) L)'`` (or ``z_g * sd``): the group effects, deterministic, so every
  level's ``b_j ~ MvNormal(0, diag(sd) R diag(sd))`` with the funnel of the centred form
  removed (Papaspiliopoulos, Roberts and Sköld 2007; Betancourt and Girolami 2015),

and returns the group part of the linear predictor, ``sum_c values[i, c] * b_g[index[i], c]``
summed over the terms (a gather, never a dense ``Z``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_eta", "group_free_log_prior", "group_var_names", "sd_part_names"]


def group_var_names(term) -> dict[str, str]:
    """The posterior variable names of a term: ``{"b": "b_g", "sd": "sd_g", "cor": "cor_g"}``."""
    return {
        "b": f"b_{term.key}",
        "sd": f"sd_{term.key}",
        "cor": f"cor_{term.key}",
        "z": f"z_{term.key}",
        "L": f"L_{term.key}",
        "level": f"{term.key}__level",
        "coef": f"{term.key}__coef",
    }


def sd_part_names(name: str, priors: list) -> list[str]:
    """The per-coefficient sd variables of a term whose sd priors are of different families
    (``sd_g_0``, ``sd_g_1``, ... stacked into ``sd_g``); ``[]`` when one vector ``sd_g`` holds them."""
    return [f"{name}_{j}" for j in range(len(priors))] if len({type(p) for p in priors}) > 1 else []


def _sd_rv(pm, pt, name: str, priors: list, dim: str):
    """One vector of sds when every coefficient's prior is of the same family, else a stack
    (each scale prior makes its own PyMC variable: :class:`~bayeslogit.priors.base.ScalePrior`)."""
    names = sd_part_names(name, priors)
    if not names:
        return type(priors[0]).pymc_vector(pm, name, priors, dim)
    parts = [p.pymc_variable(pm, part) for part, p in zip(names, priors)]
    return pm.Deterministic(name, pt.stack(parts), dims=dim)


def group_eta(design, gpriors):
    """Add every group term's variables to the PyMC model in context; return the group part
    of the linear predictor (a tensor of shape ``(n,)``)."""
    import pymc as pm
    import pytensor.tensor as pt

    model = pm.modelcontext(None)
    total = None
    for t in design.groups.terms:
        v = group_var_names(t)
        model.add_coord(v["level"], t.levels)
        model.add_coord(v["coef"], t.coef_names)
        sd = _sd_rv(pm, pt, v["sd"], gpriors.sd[t.key], v["coef"])
        z = pm.Normal(v["z"], 0.0, 1.0, dims=(v["level"], v["coef"]))
        if t.correlated:
            model.add_coord(v["coef"] + "_", t.coef_names)
            L = gpriors.cor[t.key].pymc_variable(pm, v["L"], t.n_coef)  # LKJCorr: the Cholesky factor
            pm.Deterministic(v["cor"], L @ L.T, dims=(v["coef"], v["coef"] + "_"))
            b = pt.dot(z, (sd[:, None] * L).T)
        else:
            b = z * sd[None, :]
        b = pm.Deterministic(v["b"], b, dims=(v["level"], v["coef"]))
        part = pt.sum(pt.as_tensor(t.values) * b[pt.as_tensor(t.index.astype(np.int64))], axis=1)
        total = part if total is None else total + part
    return total


def draw_group_prior(design, gpriors, draws: int, rng: np.random.Generator):
    """Exact numpy draws of every group term's prior, named like the PyMC model's variables:
    ``(values, dims, coords, G)`` with ``G`` the group effects ``(draws, levels, k)`` per term.
    Each sd and correlation prior draws itself (``HalfNormal(s)``: ``|N(0, s)|``;
    ``HalfStudentT(nu, s)``: ``|s t_nu|``; ``LKJ``: :func:`bayeslogit.priors.scales.lkj_correlation`);
    ``b_j = diag(sd) L z_j``."""
    values, dims, coords, G = {}, {}, {}, []
    for t in design.groups.terms:
        v = group_var_names(t)
        k = t.n_coef
        coords[v["level"]], coords[v["coef"]] = list(t.levels), list(t.coef_names)
        sd = np.empty((draws, k))
        for c, p in enumerate(gpriors.sd[t.key]):
            sd[:, c] = p.draw(draws, rng)
        z = rng.standard_normal((draws, t.n_levels, k))
        if t.correlated:
            R = np.stack([gpriors.cor[t.key].draw(k, rng) for _ in range(draws)])
            L = np.linalg.cholesky(R)
            b = np.einsum("sij,slj->sli", L, z) * sd[:, None, :]
            coords[v["coef"] + "_"] = list(t.coef_names)
            values[v["cor"]], dims[v["cor"]] = R, [v["coef"], v["coef"] + "_"]
        else:
            b = z * sd[:, None, :]
        values[v["sd"]], dims[v["sd"]] = sd, [v["coef"]]
        values[v["z"]], dims[v["z"]] = z, [v["level"], v["coef"]]
        values[v["b"]], dims[v["b"]] = b, [v["level"], v["coef"]]
        G.append(b)
    return values, dims, coords, G


def group_free_log_prior(design, gpriors, free) -> dict[str, np.ndarray]:
    """Log prior density of the posterior draws of every group term's free variables, as
    ``pm.compute_log_prior`` of the model :func:`group_eta` builds (untransformed values, no
    Jacobian): name -> ``(draws, m)``, ``free(var, family)`` giving a variable's draws as
    ``(draws, m)``. Per term: ``sd_g`` (or ``sd_g_0``, ``sd_g_1``... when its sds' priors are of
    different families) by each sd prior's log density; ``z_g`` standard normal; ``L_g`` (a
    correlated term with ``k > 1``) by the correlation prior's density of the Cholesky factor
    (:meth:`~bayeslogit.priors.base.CorrelationPrior.cholesky_logpdf`)."""
    out: dict[str, np.ndarray] = {}
    for t in design.groups.terms:
        v = group_var_names(t)
        priors = gpriors.sd[t.key]
        if len({type(p) for p in priors}) == 1:
            sd = free(v["sd"], "group sd")
            out[v["sd"]] = np.column_stack([p.logpdf(sd[:, c]) for c, p in enumerate(priors)])
        else:
            for c, p in enumerate(priors):
                name = f"{v['sd']}_{c}"
                out[name] = np.asarray(p.logpdf(free(name, "group sd")), dtype=float).reshape(-1, 1)
        z = free(v["z"], "group effect")
        out[v["z"]] = -0.5 * z**2 - 0.5 * np.log(2 * np.pi)
        if t.correlated and t.n_coef > 1:
            k = t.n_coef
            L = free(v["L"], "group correlation").reshape(-1, k, k)
            out[v["L"]] = gpriors.cor[t.key].cholesky_logpdf(L)[:, None]
    return out
