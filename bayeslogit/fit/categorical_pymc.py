"""The PyMC model of a multinomial or ordinal response, and its NUTS run.

The family gives the free parameters (:meth:`pymc_theta`: flat vectors; an ordinal model's
cutpoints through PyMC's ordered transform, whose log-Jacobian PyMC adds) and the likelihood
(:meth:`pymc_likelihood`: a softmax ``Categorical`` with the reference level's linear
predictor fixed at 0, or ``OrderedLogistic``). The priors are one potential: the log density
of each prior family's PyMC distribution (:meth:`~bayeslogit.priors.base.JointFamily.pymc_distribution`)
at the quantities the family's ``prior_blocks`` say they apply to (each level's coefficients;
the slopes and the cutpoints' intercepts at centred predictors), the same log prior as the
MAP's. The posterior holds ``theta`` with dims ``param`` (the labels of the results' ``params``).

``sampler="auto"`` and ``"bayeslogit"`` run bayeslogit's own NUTS on the same posterior
(:mod:`bayeslogit.fit.nuts.categorical_density`: the compiled kernel's softmax and
cumulative-logit densities, checked against this model's ``logp`` and ``dlogp`` in the tests);
``"auto"`` falls back to this model (nutpie when installed, else PyMC's NUTS) when Newton's
method finds no posterior mode or the model has more than
:data:`~bayeslogit.fit.nuts.categorical_density.MAX_DIM` parameters, where ``"bayeslogit"``
raises. ``"nutpie"`` and ``"pymc"`` always run this model.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ..errors import SamplerError
from . import pymc_model
from .nuts.categorical_density import SAMPLED_SCALE_MESSAGE

__all__ = ["build_categorical_model", "sample_categorical", "param_labels"]


def param_labels(index) -> list[str]:
    """Flat text labels of a parameter index (``"b:x1"`` for ``("b", "x1")``)."""
    return [":".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in index]


def build_categorical_model(design, priors, *, response_data: bool = False):
    """The PyMC model of a categorical design under ``priors`` (see the module docstring).

    With ``response_data=True`` the observed outcome codes are a ``pm.Data`` named ``"y_obs"``,
    so that one compiled model refits another response of the same length (nutpie's
    ``with_data``; simulation-based calibration)."""
    import pymc as pm
    import pytensor.tensor as pt

    from .categorical import categorical_mode

    if priors.sampled_scale:
        raise SamplerError(SAMPLED_SCALE_MESSAGE)
    fam = design.response_family
    p = design.n_coef
    labels = param_labels(fam.param_index(design.column_names))
    start = categorical_mode(fam, design.X, design.y, priors, offset=design.offset, max_iter=50).beta
    names = list(priors.priors)
    T = priors.centring_map()
    blocks = []  # (T J, column positions, the prior family's PyMC distribution as a template)
    for b, (J, include) in enumerate(fam.prior_blocks(p)):
        for group in priors.by_family([names[j] for j in include]):
            idx = [int(include[k]) for k in group.index]
            with pm.Model(coords={group.dim: group.names}):  # a template: only its density is used
                template = group.family_class.pymc_distribution(pm, f"prior_{b}", group.priors, group.dim)
            blocks.append((T @ J, idx, template))
    with pm.Model(coords={"param": labels, "obs": np.arange(design.n_obs)}) as model:
        theta = fam.pymc_theta(pm, start)
        terms = [pt.sum(pm.logp(template, pt.dot(pt.as_tensor(M), theta)[idx])) for M, idx, template in blocks]
        if terms:
            pm.Potential("log_prior", pt.sum(pt.stack(terms)))
        pm.Deterministic("theta", theta, dims="param")
        observed = pm.Data("y_obs", design.y, dims="obs") if response_data else design.y
        fam.pymc_likelihood(pm, pt, design.X, observed, theta, design.offset)
    return model


def sample_categorical(model, *, draws, tune, chains, random_seed, sampler, target_accept, progressbar):
    """NUTS on this posterior (module docstring); ``(DataTree, sampler used)``."""
    if sampler in ("auto", "bayeslogit"):
        from .nuts.categorical_density import sample_categorical_model

        tree = sample_categorical_model(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            required=sampler == "bayeslogit",
            progressbar=progressbar,
        )
        if tree is not None:
            return tree, "bayeslogit"
    if sampler == "auto":
        sampler = "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
    pm_model = build_categorical_model(model.design, model.priors)
    idata = pymc_model.sample(
        pm_model,
        draws=draws,
        tune=1000 if tune is None else tune,
        chains=chains,
        random_seed=random_seed,
        progressbar=progressbar,
        sampler=sampler,
        target_accept=target_accept,
    )
    return idata, sampler
