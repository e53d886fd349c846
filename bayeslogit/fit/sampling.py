"""The sampler choice: which sampler draws a model's posterior, and the fallbacks between them.

:func:`sample_posterior` is the one place a sampler is chosen (``LogitModel.sample`` checks
its arguments, calls it and wraps the draws as results). In order:

- ``sampler`` is checked (an unknown or uninstalled sampler fails first), and flat priors on
  separating columns warn that the posterior is improper;
- a model with group terms: ``"auto"`` and ``"bayeslogit"`` run bayeslogit's own NUTS
  (:func:`.nuts.driver.sample_group_model`) unless a coefficient prior samples a scale the
  kernel does not take (none of today's families) or the position has more than
  :data:`MAX_GROUP_DIM` parameters (its memory), when ``"auto"`` picks nutpie when installed,
  else PyMC's NUTS; ``"nutpie"``/``"pymc"`` run PyMC's model;
- sampled coefficient scales without group terms (``Normal(mu, HalfNormal(s))``, the
  regularized horseshoe): the same sampler, the same size limit;
- ``method="laplace"``: Laplace draws corrected by PSIS (:mod:`.laplace`) when the posterior is
  smooth and the approximation is trusted, else NUTS with a warning saying why;
- ``"auto"`` and ``"bayeslogit"``: bayeslogit's own NUTS (:mod:`.nuts.driver`) when Newton's
  method finds the posterior mode, else PyMC's NUTS (``"bayeslogit"`` raises instead);
- otherwise the named sampler on the PyMC model (:mod:`.pymc_model`), with the warm-up used
  recorded as bayeslogit's NUTS records it.

A new sampler is a module in ``fit/`` returning a ``DataTree`` shaped like PyMC's, and a branch
here.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import warnings

from ..errors import BayeslogitWarning, SamplerError, SeparationWarning
from . import laplace, pymc_model
from .nuts import driver
from .nuts.group_density import supports
from .separation import improper_separation, mean_undefined_columns

__all__ = ["sample_posterior"]

#: The largest position (population coefficients, group sds, correlations, levels x varying
#: coefficients) that ``sampler="auto"`` puts on bayeslogit's NUTS. Above
#: :data:`.nuts.driver.DENSE_MAX_DIM` it samples with a diagonal metric (O(dim) per gradient);
#: the limit bounds its memory (the starting metric is a dense dim x dim matrix, 200 MB here,
#: and each chain's tree keeps about 2 x 1024 x dim floats); larger models go to nutpie (or PyMC).
MAX_GROUP_DIM = 5000


def sample_posterior(
    model,
    *,
    draws: int,
    tune: int | None,
    chains: int,
    random_seed: int | None,
    sampler: str,
    target_accept: float,
    progressbar,
    method: str,
):
    """Draw from the posterior of ``model`` with the sampler its design, priors and ``sampler``
    call for; ``(DataTree, sampler used)``.

    The arguments are :meth:`bayeslogit.LogitModel.sample`'s, already checked (``tune=None``:
    the sampler's default warm-up). The sampler used is ``"bayeslogit"``, ``"laplace+psis"``,
    ``"pymc"``, ``"nutpie"`` or ``"numpyro"``.

    Raises
    ------
    SamplerError
        An unknown or uninstalled sampler; ``sampler="bayeslogit"`` for a model it does not
        take (a sampled scale without a kernel code) or, without group terms and sampled scales, without a posterior mode;
        ``method="laplace"`` with group terms.
    """
    used = pymc_model.resolve_sampler(sampler)
    _warn_if_posterior_improper(model)
    _warn_if_mean_undefined(model)
    kinked = model.priors.has_kink
    hierarchical = model.priors.sampled_scale
    own_scales = not hierarchical or supports(model.priors)  # sampled scales the kernel takes
    small = sampler == "bayeslogit" or _position_size(model) <= MAX_GROUP_DIM
    if model.design.groups is not None:  # group terms: bayeslogit's NUTS, nutpie or PyMC's NUTS
        if _groups_on_own_nuts(model, sampler, method, not own_scales):
            idata = driver.sample_group_model(
                model,
                draws=draws,
                tune=tune,
                chains=chains,
                random_seed=random_seed,
                target_accept=target_accept,
                progressbar=progressbar,
            )
            return idata, "bayeslogit"
        used = _group_sampler(sampler, used, method, progressbar, not own_scales)
        hierarchical = True
    elif hierarchical and own_scales and small and sampler in ("auto", "bayeslogit") and method != "laplace":
        idata = driver.sample_group_model(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            progressbar=progressbar,
        )
        return idata, "bayeslogit"
    elif hierarchical and sampler == "auto" and method != "laplace":  # too large for the dense metric
        used = _auto_fallback("sampled coefficient scales", progressbar)
    if hierarchical and sampler == "bayeslogit":
        raise SamplerError(
            "sampler='bayeslogit' does not take these coefficient priors (a sampled scale the "
            "compiled sampler has no code for); use sampler='auto' (which runs nutpie or PyMC's "
            "NUTS for them), 'pymc' or 'nutpie'"
        )
    # stacklevel 3: this function, LogitModel.sample, the user's call
    if method == "laplace" and (kinked or hierarchical):
        warnings.warn(
            "method='laplace' needs a smooth log posterior in the coefficients alone, and "
            "Laplace/elastic-net priors have a kink while hierarchical/horseshoe priors sample "
            "their scales; sampling with NUTS instead",
            BayeslogitWarning,
            stacklevel=3,
        )
    elif method == "laplace":
        idata, why = laplace.try_laplace(model, draws=draws, chains=chains, random_seed=random_seed)
        if idata is not None:
            return idata, "laplace+psis"
        if why is not None:
            warnings.warn(
                f"method='laplace': {why}, so the Laplace approximation is not trusted; sampling with NUTS instead",
                BayeslogitWarning,
                stacklevel=3,
            )
    if sampler in ("auto", "bayeslogit") and not hierarchical:
        idata = driver.try_sample(
            model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            target_accept=target_accept,
            required=sampler == "bayeslogit",
            progressbar=progressbar,
        )
        if idata is not None:
            return idata, "bayeslogit"
    tune_used = driver.DEFAULT_TUNE_OTHER if tune is None else tune
    idata = pymc_model.sample(
        model.pymc_model,
        draws=draws,
        tune=tune_used,
        chains=chains,
        random_seed=random_seed,
        progressbar=progressbar,
        sampler=used,
        target_accept=target_accept,
    )
    for group in ("posterior", "sample_stats"):  # the warm-up used, as bayeslogit's NUTS records it
        if group in idata.children:
            idata[group].attrs.update(
                tuning_steps=tune_used, tuning_steps_source="auto" if tune is None else "explicit"
            )
    return idata, used


def _warn_if_posterior_improper(model) -> None:
    """Flat priors on columns that separate the data leave the posterior improper: warn."""
    d = model.design
    kind, flat = improper_separation(d.X, d.y, d.trials, model.priors)
    if kind is not None:
        cols = [d.column_names[j] for j in flat]
        warnings.warn(
            f"{kind} separation among the columns with a Flat prior {cols}: the posterior is "
            "improper and the draws will drift off to infinity; give those columns a proper "
            "prior such as bl.Normal(0, 2.5)",
            SeparationWarning,
            stacklevel=4,  # this function, sample_posterior, LogitModel.sample, the user's call
        )


def _warn_if_mean_undefined(model) -> None:
    """Separation along a coefficient with a Cauchy (or Student-t, nu <= 1) prior: the
    posterior is proper but that coefficient's mean does not exist: warn."""
    cols = mean_undefined_columns(model)
    if cols:
        warnings.warn(
            f"the data are separated along {cols}, whose prior is Cauchy or Student-t with nu <= 1: "
            "the posterior keeps that prior's heavy tail, so their posterior mean and sd do not "
            "exist (the sample's are arbitrary and vary from run to run); read the median and the "
            "intervals (summary() shows them), or give those columns a prior with a lighter tail "
            "such as bl.StudentT(3, 0, 2.5) or bl.Normal(0, 2.5)",
            SeparationWarning,
            stacklevel=4,  # this function, sample_posterior, LogitModel.sample, the user's call
        )


def _groups_on_own_nuts(model, sampler: str, method: str, hierarchical: bool) -> bool:
    """Whether a model with group terms runs on bayeslogit's NUTS: ``"auto"`` or
    ``"bayeslogit"``, ``method="nuts"``, no coefficient prior sampling its own scale, and (for
    ``"auto"``) a position of at most :data:`MAX_GROUP_DIM` parameters."""
    if sampler not in ("auto", "bayeslogit") or method == "laplace" or hierarchical:
        return False
    if sampler == "bayeslogit":
        return True
    return _position_size(model) <= MAX_GROUP_DIM


def _position_size(model) -> int:
    """The size of bayeslogit's NUTS position for ``model``: population coefficients, their
    sampled scales (a horseshoe: ``tau``, ``c2`` and one ``lambda`` per coefficient), group sds,
    correlations and levels x varying coefficients."""
    from ..priors.base import PriorContext

    d = model.design
    dim = d.X.shape[1]
    if model.priors.sampled_scale:
        ctx = PriorContext.from_design(d)
        for g in model.priors.by_family():
            scales = g.family_class.kernel_scales(g.priors, ctx)
            dim += 0 if scales is None else len(scales[0])
    for t in d.groups.terms if d.groups is not None else []:
        k = t.n_coef
        dim += k + k * (k - 1) // 2 + t.n_levels * k
    return dim


def _group_sampler(sampler: str, used: str, method: str, progressbar, hierarchical: bool) -> str:
    """The sampler of a model with group terms not on bayeslogit's NUTS (see
    :func:`_groups_on_own_nuts`): ``"auto"`` runs nutpie when installed (fast on the non-centred
    funnel of group sds), else PyMC's NUTS, and says so on stderr."""

    if sampler == "bayeslogit" and hierarchical:
        raise SamplerError(
            "sampler='bayeslogit' takes group terms like (1 | g) but not, beside them, coefficient "
            "priors whose sampled scale the compiled sampler has no code for; use sampler='auto' "
            "(nutpie when installed, else PyMC), 'nutpie' or 'pymc'"
        )
    if method == "laplace":
        raise SamplerError(
            "method='laplace' is not available for a model with group terms like (1 | g) (the "
            "posterior of the group sds is far from normal); use method='nuts'"
        )
    if sampler != "auto":
        return used
    return _auto_fallback("group terms", progressbar)


def _auto_fallback(what: str, progressbar) -> str:
    """``sampler="auto"`` for a model too large for bayeslogit's NUTS (:data:`MAX_GROUP_DIM`):
    nutpie when installed (fast on non-centred funnels), else PyMC's NUTS; says so on stderr."""
    import importlib.util
    import sys

    used = "nutpie" if importlib.util.find_spec("nutpie") is not None else "pymc"
    if progressbar:
        print(
            f"{what}: sampling with {used} (bayeslogit's own NUTS takes up to {MAX_GROUP_DIM} parameters)",
            file=sys.stderr,
            flush=True,
        )
    return used
