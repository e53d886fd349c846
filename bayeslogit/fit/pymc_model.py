"""Translate a design + resolved priors into a PyMC model, and run PyMC's samplers.

This is the only module that imports PyMC (lazily, from the model object), so that
``import bayeslogit`` and the CLI's ``--help`` stay fast.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from ..design import Design
from ..errors import SamplerError
from ..priors import PriorContext, ResolvedPriors
from ..response import response_family

SAMPLERS = ("auto", "bayeslogit", "pymc", "nutpie", "numpyro")


def build_model(design: Design, priors: ResolvedPriors, *, response_data: bool = False):
    """Build the PyMC model: ``beta`` (dims ``coef``) -> ``logit_p = X @ beta (+ offset)`` -> Bernoulli/Binomial.

    Free variables are grouped by prior family, each family making its own
    (:meth:`~bayeslogit.priors.base.JointFamily.pymc_variables`: one vector per family of
    independent coefficients, e.g. ``beta_normal``; ``tau`` and ``z_hiernormal`` for a sampled
    Normal scale; ``hs_tau``... for the horseshoe); ``beta`` is the deterministic
    original-scale coefficient vector; the likelihood is the response family's
    (:meth:`~bayeslogit.response.ResponseFamily.pymc_likelihood`). With a centred intercept,
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
    ctx = PriorContext.from_design(design)
    with pm.Model(coords=coords) as model:
        X = pm.Data("X", design.X, dims=("obs", "coef"))
        parts: list[Any] = [None] * len(names)
        for group in priors.by_family(names):
            model.add_coord(group.dim, group.names)
            rv = group.family_class.pymc_variables(pm, pt, group.priors, group.dim, ctx)
            for k, j in enumerate(group.index):
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
        response_family(design).pymc_likelihood(pm, eta, observed)
    return model


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
    nutpie's compile runs in a worker thread while this one waits in short joins, so that
    Ctrl-C during the compile raises at once (in this thread, a library can swallow the
    exception raised by the handler, and sampling used to run to the end), and a Ctrl-C seen
    during the compile never lets sampling start.
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
    nutpie_compile = None
    if nuts_sampler == "nutpie" and main:
        import nutpie

        nutpie_compile = nutpie.compile_pymc_model
        nutpie.compile_pymc_model = _interruptible(nutpie_compile, interrupted)
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
        if nutpie_compile is not None:
            nutpie.compile_pymc_model = nutpie_compile
        if main:
            signal.signal(signal.SIGINT, old)
    post = idata["posterior"]
    if interrupted.is_set() or post.sizes["chain"] < chains or post.sizes["draw"] < draws:
        raise KeyboardInterrupt("sampling was interrupted; no partial posterior is returned")
    return idata


def _interruptible(compile_model, interrupted):
    """``compile_model`` run in a daemon thread while the calling (main) thread waits in short
    joins: Ctrl-C raises ``KeyboardInterrupt`` in the wait at once (the compile is left to
    finish in the background, its result unused), and one recorded while the compile ran
    raises when it returns, before any sampling."""

    def run(*args, **kwargs):
        import threading

        out: list = []

        def work():
            try:
                out.append(("ok", compile_model(*args, **kwargs)))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
                out.append(("error", exc))

        thread = threading.Thread(target=work, daemon=True, name="bayeslogit-nutpie-compile")
        thread.start()
        while thread.is_alive():
            thread.join(0.1)
            if interrupted.is_set():
                raise KeyboardInterrupt("interrupted while nutpie compiled the model")
        if interrupted.is_set():
            raise KeyboardInterrupt("interrupted while nutpie compiled the model")
        status, value = out[0]
        if status == "error":
            raise value
        return value

    return run
