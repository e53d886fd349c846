"""The multinomial and ordinal parts of saving and loading fits (:mod:`bayeslogit.io`).

A categorical fit is stored as a binary one is (the training rows, the formula, the priors as
JSON, the design's digest; see :mod:`bayeslogit.io`), with three more things in the
description: ``family`` (``"multinomial"`` or ``"ordinal"``), ``reference`` (a multinomial
model's baseline level, as a value) and, for point fits, the fit's label, prior, convergence
and iteration count. On loading, the design is rebuilt with that family and reference level,
so the outcome coding, the parameter labels and ``predict`` are those of the saved fit.

- Point fits (:class:`~bayeslogit.results.categorical.CategoricalResults`): group ``point``
  with ``theta`` (dim ``param``) and its covariance ``cov`` (``param`` x ``param_b``).
- Posteriors (:class:`~bayeslogit.results.categorical.CategoricalPosterior`): the draws'
  groups as they are (``posterior`` with ``theta``, ``sample_stats``...), the sampler and seed.

The stored parameter labels are checked against the labels of the rebuilt design's family,
and every stored number must be finite, so a damaged or edited file fails by name.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import BayeslogitError, FitFileError
from .fit.categorical_pymc import param_labels
from .priors import ResolvedPriors
from .results.categorical import CategoricalPosterior, CategoricalResults, is_categorical

__all__ = [
    "is_categorical",
    "categorical_meta",
    "categorical_groups",
    "family_arguments",
    "check_categorical_meta",
    "load_categorical",
]

FAMILIES = ("multinomial", "ordinal")


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    return v if isinstance(v, (bool, int, float, str)) or v is None else str(v)


def categorical_meta(results) -> dict[str, Any]:
    """The description's entries of a categorical fit (family, reference level, the fit's own)."""
    fam = results.family
    ref = getattr(fam, "reference", None)
    meta: dict[str, Any] = {
        "family": fam.name,
        "reference": None if ref is None else _plain(fam.levels[ref]),
        "label": results.label,
    }
    if isinstance(results, CategoricalPosterior):
        meta.update(kind="posterior", sampler=results.sampler, random_seed=results.random_seed)
    else:
        meta.update(
            kind="mle" if results.is_mle else "map",
            converged=results.converged,
            iterations=results.iterations,
            separation=results.separation,
            fit_priors=None if results.priors is None else results.priors.to_json(),
        )
    return meta


def categorical_groups(results, not_stored: tuple[str, ...]) -> tuple[Any, dict[str, Any]]:
    """``(root dataset, child datasets)`` that hold a categorical fit's numbers."""
    import xarray as xr

    if isinstance(results, CategoricalPosterior):
        children = {k: node.to_dataset() for k, node in results.idata.children.items() if k not in not_stored}
        return results.idata.to_dataset(), children
    params = results.params
    labels = param_labels(params.index)
    point = xr.Dataset(
        {"theta": (("param",), params.to_numpy()), "cov": (("param", "param_b"), results.cov_params().to_numpy())},
        coords={"param": labels, "param_b": labels},
    )
    return xr.Dataset(), {"point": point}


def family_arguments(meta: dict[str, Any]) -> dict[str, Any]:
    """``family=`` and ``reference=`` of :func:`bayeslogit.design.rebuild_design` (none for binary fits)."""
    if "family" not in meta:
        return {}
    return {"family": meta["family"], "reference": meta["reference"]}


def check_categorical_meta(meta: dict[str, Any], path: str) -> None:
    """The categorical entries of a stored description have the values bayeslogit writes."""
    if "family" not in meta:
        return
    if meta["family"] not in FAMILIES:
        raise FitFileError(f"{path!r} is damaged: unknown family {meta['family']!r}")
    ref = meta.get("reference")
    if not (ref is None or isinstance(ref, (bool, int, float, str))) or (ref is not None) != (
        meta["family"] == "multinomial"
    ):
        raise FitFileError(f"{path!r} is damaged: 'reference' {ref!r} does not fit family {meta['family']!r}")
    if meta["kind"] != "posterior":
        for key, types in (("converged", bool), ("iterations", int), ("fit_priors", (dict, type(None)))):
            if not isinstance(meta.get(key), types):
                raise FitFileError(f"{path!r} is damaged: {key!r} is missing or has the wrong type")


def _check_numbers(ds, name: str, labels: list[str], path: str) -> np.ndarray:
    """The values of ``ds[name]``, checked: labelled by ``labels`` (last dim ``param``), finite."""
    if name not in ds or ds[name].dims[-1] != "param" or "param" not in ds[name].coords:
        raise FitFileError(f"{path!r} is damaged: it has no {name!r} by 'param'")
    stored = [str(c) for c in ds[name].coords["param"].values]
    if stored != labels:
        raise FitFileError(
            f"{path!r} is damaged: its {name!r} holds parameters {stored[:6]} where the rebuilt "
            f"model has {labels[:6]} ({len(stored)} and {len(labels)} in all)"
        )
    values = np.asarray(ds[name].values, dtype=float)
    if not np.all(np.isfinite(values)):
        raise FitFileError(f"{path!r} is damaged: its {name!r} holds NaN or infinite values")
    return values


def _check_importance(imp, labels: list[str], path: str) -> None:
    """A Laplace fit's ``importance`` group: finite proposals labelled as the model's
    parameters, and per proposal a finite ``log_q`` and a ``log_p`` that is finite or ``-inf``
    (a proposal outside the parameter space)."""
    proposals = _check_numbers(imp, "proposal", labels, path)
    S = proposals.shape[0]
    for name in ("log_p", "log_q"):
        if name not in imp or imp[name].shape != (S,):
            raise FitFileError(f"{path!r} is damaged: its importance group has no {name!r} per proposal")
    log_p, log_q = (np.asarray(imp[k].values, dtype=float) for k in ("log_p", "log_q"))
    if not np.all(np.isfinite(log_q)) or np.any(np.isnan(log_p) | (log_p == np.inf)):
        raise FitFileError(f"{path!r} is damaged: its importance group holds NaN or infinite log densities")


def load_categorical(meta: dict[str, Any], model, tree, path: str):
    """The categorical fit stored in ``tree`` (described by ``meta``) for the rebuilt ``model``."""
    design = model.design
    labels = param_labels(design.response_family.param_index(design.column_names))
    if meta["kind"] == "posterior":
        import xarray as xr

        groups = {k: v.to_dataset() for k, v in tree.children.items() if k != "bayeslogit"}
        draws = _check_numbers(groups["posterior"], "theta", labels, path)
        if draws.ndim != 3:
            raise FitFileError(f"{path!r} is damaged: its draws have dims {groups['posterior']['theta'].dims}")
        if "importance" in groups:  # a Laplace fit's proposals, for LOO
            _check_importance(groups["importance"], labels, path)
        idata = xr.DataTree.from_dict({"/": tree.to_dataset(), **groups})
        seed = meta.get("random_seed")
        return CategoricalPosterior(model, idata, sampler=str(meta.get("sampler")), random_seed=seed)
    point = tree["point"].to_dataset()
    theta = _check_numbers(point, "theta", labels, path)
    cov = np.asarray(point["cov"].values, dtype=float)
    if cov.shape != (theta.size, theta.size) or not np.all(np.isfinite(cov)):
        raise FitFileError(f"{path!r} is damaged: its covariance is not a finite {theta.size} x {theta.size} matrix")
    try:
        priors = None if meta["fit_priors"] is None else ResolvedPriors.from_json(meta["fit_priors"])
    except BayeslogitError as exc:
        raise FitFileError(f"{path!r} is damaged: its stored priors are invalid ({exc})") from None
    return CategoricalResults(
        model,
        theta.copy(),
        cov.copy(),
        label=meta["label"],
        priors=priors,
        converged=meta["converged"],
        iterations=meta["iterations"],
        separation=_separation(meta, path),
    )


def _separation(meta: dict[str, Any], path: str) -> str | None:
    """The stored separation of an MLE (absent from files of earlier versions: None)."""
    value = meta.get("separation")
    if value not in (None, "complete", "quasi-complete"):
        raise FitFileError(f"{path!r} is damaged: 'separation' is {value!r}")
    return value
