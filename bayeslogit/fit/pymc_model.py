"""Translate a design + resolved priors into a PyMC model, and run PyMC's samplers.

This is the only module that imports PyMC (lazily, from the model object), so that
``import bayeslogit`` and the CLI's ``--help`` stay fast.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..design import Design
from ..errors import SamplerError
from ..priors import ResolvedPriors

SAMPLERS = ("auto", "bayeslogit", "pymc", "nutpie", "numpyro")


def build_model(design: Design, priors: ResolvedPriors, *, response_data: bool = False):
    """Build the PyMC model: ``beta`` (dims ``coef``) -> ``logit_p = X @ beta (+ offset)`` -> Bernoulli/Binomial.

    Free variables are grouped by prior family (one vector per family, e.g. ``beta_normal``);
    ``beta`` is the deterministic original-scale coefficient vector. With a centred intercept,
    the free intercept is the log-odds at the predictor means and
    ``beta[Intercept] = alpha_c - x_mean @ beta[slopes]``.

    With ``response_data=True`` the observed response is a ``pm.Data`` named ``"y_obs"``, so
    that ``pm.set_data({"y_obs": new_y})`` (or nutpie's ``with_data``) refits the same compiled
    model to another response of the same length (used by simulation-based calibration).
    """
    import pymc as pm
    import pytensor.tensor as pt

    names = design.column_names
    coords = {"coef": names, "obs": np.arange(design.n_obs)}
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        groups.setdefault(priors.priors[name].family, []).append(j)
    with pm.Model(coords=coords) as model:
        X = pm.Data("X", design.X, dims=("obs", "coef"))
        parts: list[Any] = [None] * len(names)
        for family, idx in groups.items():
            sub = [names[j] for j in idx]
            dim = f"coef_{family.lower()}"
            model.add_coord(dim, sub)
            ps = [priors.priors[names[j]] for j in idx]
            if family == "HierNormal":
                rv = _hierarchical_normal(pm, pt, ps, dim)
            elif family == "Horseshoe":
                rv = _horseshoe(pm, pt, ps, dim, design)
            else:
                rv = _family_rv(pm, f"beta_{family.lower()}", family, ps, dim)
            for k, j in enumerate(idx):
                parts[j] = rv[k]
        raw = pt.stack(parts)
        if priors.centered_intercept:
            i0 = names.index("Intercept")
            shift = pt.dot(pt.as_tensor(priors.x_mean), raw)  # x_mean[i0] == 0
            beta = pt.set_subtensor(raw[i0], raw[i0] - shift)
        else:
            beta = raw
        beta = pm.Deterministic("beta", beta, dims="coef")
        eta = pt.dot(X, beta)
        if getattr(design, "offset", None) is not None:  # a fixed term of the linear predictor
            eta = eta + pm.Data("offset", design.offset, dims="obs")
        if design.groups is not None:  # (1 + x | g) terms: bayeslogit.fit.group_model
            from .group_model import group_eta

            eta = eta + group_eta(design, priors.groups)
        observed = pm.Data("y_obs", design.y, dims="obs") if response_data else design.y
        if design.trials is None:
            pm.Bernoulli("y", logit_p=eta, observed=observed, dims="obs")
        else:
            n = pm.Data("trials", design.trials, dims="obs")
            pm.Binomial("y", n=n, logit_p=eta, observed=observed, dims="obs")
    return model


def _family_rv(pm, name: str, family: str, ps: list, dim: str):
    vec = lambda attr: np.array([getattr(p, attr) for p in ps], dtype=float)  # noqa: E731
    if family == "Normal":
        return pm.Normal(name, mu=vec("mu"), sigma=vec("sigma"), dims=dim)
    if family == "StudentT":
        return pm.StudentT(name, nu=vec("nu"), mu=vec("mu"), sigma=vec("sigma"), dims=dim)
    if family == "Cauchy":
        return pm.Cauchy(name, alpha=vec("mu"), beta=vec("sigma"), dims=dim)
    if family == "Flat":
        return pm.Flat(name, dims=dim)
    if family == "Laplace":
        return pm.Laplace(name, mu=vec("mu"), b=vec("b"), dims=dim)
    if family == "ElasticNet":
        mu, l1, l2 = vec("mu"), vec("l1"), vec("l2")
        log_norm = np.array([p.log_norm() for p in ps])

        def logp(value, mu, l1, l2, log_norm):
            z = value - mu
            return -l1 * abs(z) - 0.5 * l2 * z * z - log_norm

        return pm.CustomDist(name, mu, l1, l2, log_norm, logp=logp, dims=dim)
    raise AssertionError(f"unknown prior family {family}")  # pragma: no cover


def _hierarchical_normal(pm, pt, ps: list, dim: str):
    """``Normal(mu, tau)`` with ``tau ~ HalfNormal(s)``, non-centred: ``mu + tau * z``,
    ``z ~ N(0, 1)`` (the funnel of the centred form is what NUTS cannot cross). One ``tau`` per
    distinct scale prior: ``tau``, then ``tau_2``, ..."""
    scales = list(dict.fromkeys(p.sigma for p in ps))
    taus = [pm.HalfNormal("tau" if k == 0 else f"tau_{k + 1}", sigma=s.sigma) for k, s in enumerate(scales)]
    z = pm.Normal("z_hiernormal", 0.0, 1.0, dims=dim)
    tau_vec = pt.stack([taus[scales.index(p.sigma)] for p in ps])
    mu = np.array([p.mu for p in ps], dtype=float)
    return mu + tau_vec * z


def _horseshoe(pm, pt, ps: list, dim: str, design: Design):
    """The regularized horseshoe (Piironen & Vehtari 2017, appendix C.1), non-centred."""
    hs = ps[0]
    if any(p != hs for p in ps):
        raise SamplerError("all coefficients under a Horseshoe prior must share the same Horseshoe(...) settings")
    ybar = float(np.sum(design.y) / (design.n_obs if design.trials is None else np.sum(design.trials)))
    tau0 = hs.tau0(len(ps), design.n_obs, ybar)
    tau = pm.HalfCauchy("hs_tau", beta=tau0)
    lam = pm.HalfCauchy("hs_lambda", beta=1.0, dims=dim)
    c2 = pm.InverseGamma("hs_c2", alpha=hs.slab_df / 2, beta=hs.slab_df * hs.slab_scale**2 / 2)
    z = pm.Normal("hs_z", 0.0, 1.0, dims=dim)
    lam_t = pt.sqrt(c2 * lam**2 / (c2 + tau**2 * lam**2))
    return z * tau * lam_t


def resolve_sampler(sampler: str) -> str:
    """Map ``sampler`` to a PyMC ``nuts_sampler`` name, checking that it is installed.

    ``"auto"`` and ``"bayeslogit"`` (bayeslogit's own NUTS, see :mod:`bayeslogit.fit.nuts.driver`)
    are dispatched by :meth:`bayeslogit.LogitModel.sample`; here they map to ``"pymc"``, the
    fallback when the posterior mode cannot be found.
    """
    if sampler not in SAMPLERS:
        raise SamplerError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")
    if sampler in ("auto", "bayeslogit"):
        return "pymc"
    needs = {"nutpie": "nutpie", "numpyro": "numpyro"}
    if sampler in needs and importlib.util.find_spec(needs[sampler]) is None:
        raise SamplerError(
            f"sampler={sampler!r} needs the {needs[sampler]!r} package, which is not installed; "
            f"pip install {needs[sampler]} or use sampler='pymc'"
        )
    return sampler


def sample(
    model,
    *,
    draws: int,
    tune: int,
    chains: int,
    random_seed: int | None,
    progressbar: bool,
    sampler: str,
    target_accept: float,
):
    """Run NUTS and return ArviZ's DataTree (posterior, sample_stats, observed_data...).

    PyMC and nutpie catch Ctrl-C and return the draws made so far (PyMC keeps the chains x
    shortest length that maximises the draws, and with one core goes on to the next chain).
    Here Ctrl-C raises ``KeyboardInterrupt`` instead: a SIGINT handler records it, a callback
    stops PyMC's later chains at once, and a posterior shorter than asked for is never returned.
    """
    import signal
    import sys
    import threading

    import pymc as pm

    nuts_sampler = resolve_sampler(sampler)
    kwargs: dict[str, Any] = {}
    if nuts_sampler == "pymc":
        kwargs["cores"] = 1 if chains == 1 else min(chains, 2)
    interrupted = threading.Event()

    def on_sigint(signum, frame):
        interrupted.set()
        raise KeyboardInterrupt

    def callback(trace, draw):
        if interrupted.is_set():
            raise KeyboardInterrupt

    if nuts_sampler == "pymc":
        kwargs["callback"] = callback
    if progressbar:
        print(
            f"Sampling {chains} chains: {tune} warm-up + {draws} draws each ({nuts_sampler})",
            file=sys.stderr,
            flush=True,
        )
    main = threading.current_thread() is threading.main_thread()
    old = signal.signal(signal.SIGINT, on_sigint) if main else None
    try:
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            progressbar=progressbar,
            nuts_sampler=nuts_sampler,
            target_accept=target_accept,
            model=model,
            **kwargs,
        )
    except KeyboardInterrupt:
        raise
    except Exception:
        if interrupted.is_set():  # e.g. PyMC's "Not enough samples to build a trace."
            raise KeyboardInterrupt("sampling was interrupted") from None
        raise
    finally:
        if main:
            signal.signal(signal.SIGINT, old)
    post = idata["posterior"]
    if interrupted.is_set() or post.sizes["chain"] < chains or post.sizes["draw"] < draws:
        raise KeyboardInterrupt("sampling was interrupted; no partial posterior is returned")
    return idata
