"""Saving and loading the fits of a dask DataFrame (:mod:`bayeslogit.results.distributed`).

An in-memory fit stores its training rows and rebuilds its design from them
(:mod:`bayeslogit.io`). A dask fit's rows may be 10^9 and stay where they are: the file holds
what the fit holds instead, in the same netCDF format (the ``bayeslogit`` group's JSON
description, with a ``"dask"`` entry):

- the design's recipe: the formula, each column's dtype (text columns as categories with
  every level), the response coding (event, trials, weights, offset column), the column
  names, and the reduced statistics (rows, partitions, column means and sds, response mean);
  the ``DesignInfo`` is rebuilt on loading by patsy from these zero rows, exactly as every
  dask worker builds it (:func:`bayeslogit.design.dask.template_design`);
- the fit: the estimate and negative Hessian, the log-likelihood (and the null model's), the
  separation check, the compression note (point fits); or the resampled draws, the
  proposals with their log densities and smoothed weights, Pareto k and the importance ESS
  (``method="laplace"``);
- the Parquet path(s), when the data were ``dd.read_parquet(path)`` with at most a column
  selection; on loading they are reopened (lazily) if they still exist, so row-level work
  (``loo()``, ``fittedvalues``) runs on them. Otherwise the loaded fit has no rows:
  coefficients, tables, summaries and ``predict(new_data)`` (pandas or dask) work, and what
  needs the training rows says so.

The fits of a model made by ``compress()`` (in memory, on the patterns) are stored the same
way: the patterns (design rows with their counts; at most the option ``max_patterns``) with
the dask design's recipe, never the original rows (:func:`save_compressed`).

Loading runs no code from the file: the formula must pass the safe grammar
(:func:`bayeslogit._formula.check_formula`) and is evaluated on zero rows in the safe
environment; dtypes come from a fixed list.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import json
import os
import uuid
from typing import Any, Literal

import numpy as np
import pandas as pd

from ._files import atomic_path
from ._formula import UnsafeFormula, check_formula
from .design.dask import DaskDesign, DesignRecipe, import_dask, parquet_source, template_design
from .errors import BayeslogitError, FitFileError
from .fit.laplace import LaplaceDraws
from .fit.newton import NewtonResult
from .priors import ResolvedPriors
from .results.distributed import DaskLaplaceResults, DaskMAPResults, DaskMLEResults

__all__ = [
    "is_dask_results",
    "is_compressed_fit",
    "design_meta",
    "design_from_meta",
    "dask_meta",
    "dask_groups",
    "dask_groups_point",
    "save_dask",
    "load_dask",
    "save_compressed",
    "load_compressed",
]

_DTYPES = frozenset(
    {"bool", "float64", "float32", "int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8"}
    | {"Int64", "Int32", "Int16", "Int8", "Float64", "Float32", "boolean", "object", "string", "str"}
)


def is_dask_results(results) -> bool:
    """True for the fits of a dask DataFrame."""
    return isinstance(results, (DaskMLEResults, DaskMAPResults, DaskLaplaceResults))


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return str(v)


def _columns(proto: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for name, dtype in proto.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            out.append(
                {"name": str(name), "dtype": "category", "categories": [_plain(c) for c in dtype.categories],
                 "ordered": bool(dtype.ordered)}
            )  # fmt: skip
        else:
            out.append({"name": str(name), "dtype": str(dtype)})
    return out


def _proto(columns: list, spath: str) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    for c in columns:
        name, dtype = c.get("name"), c.get("dtype")
        if not isinstance(name, str) or name in cols:
            raise FitFileError(f"{spath!r} is damaged: a stored column description is invalid ({c!r})")
        if dtype == "category":
            cats = c.get("categories")
            if not isinstance(cats, list):
                raise FitFileError(f"{spath!r} is damaged: column {name!r} has no categories")
            cols[name] = pd.Series(pd.Categorical([], categories=cats, ordered=bool(c.get("ordered"))))
        elif dtype in _DTYPES:
            cols[name] = pd.Series([], dtype=dtype)
        else:
            raise FitFileError(f"{spath!r} is damaged: column {name!r} has an unknown dtype {dtype!r}")
    return pd.DataFrame(cols)


#: Fields of :func:`design_meta` that :mod:`bayeslogit.io` reads at the top of every fit file.
_COMMON = ("formula", "response", "event", "levels", "trials", "weights", "offset", "n_dropped", "column_names")


def design_meta(d: DaskDesign) -> dict[str, Any]:
    """The JSON description of a dask design: its recipe (formula, response coding, the columns'
    dtypes and levels), its reduced statistics and the Parquet source."""
    r = d.recipe
    return {
        "formula": d.formula,
        "response": d.response,
        "event": _plain(d.event),
        "levels": [_plain(v) for v in d.levels],
        "trials": d.trials_name,
        "weights": d.weights_name,
        "offset": d.offset_name,
        "n_dropped": int(d.n_dropped),
        "column_names": list(d.column_names),
        "columns": _columns(r.proto),
        "used": list(r.used),
        "categorical": list(r.categorical),
        "event_value": _plain(r.event_value),
        "likelihood_weights": bool(r.likelihood_weights),
        "missing": r.missing,
        "offset_terms": list(d.offset_terms),
        "n_obs": int(d.n_obs),
        "n_partitions": int(d.n_partitions),
        "x_mean": [float(v) for v in d.x_mean],
        "x_sd": [float(v) for v in d.x_sd],
        "ybar": float(d.ybar),
        "total_weight": float(d.total_weight),
        "parquet": parquet_source(d.frame),
    }


def dask_meta(results) -> dict[str, Any]:
    """The JSON description of a dask fit (added to :mod:`bayeslogit.io`'s)."""
    out = design_meta(results.model.design)
    if isinstance(results, DaskLaplaceResults):
        out.update(pareto_k=results.pareto_k, ess_importance=results.ess_importance)
    else:
        fit = results._newton
        out.update(llf=float(results.llf), logpost=float(fit.logpost), iterations=int(fit.iterations))
        out.update(converged=bool(fit.converged))
        if isinstance(results, DaskMLEResults):
            out.update(
                llnull=float(results.llnull), separation=results.separation,
                separating_columns=list(results.separating_columns), note=results._separation_note,
            )  # fmt: skip
        else:
            out.update(fit_priors=results.priors.to_json(), prior_label=results.prior_label)
    return out


def dask_groups(results) -> dict[str, Any]:
    """The netCDF groups of a dask fit: ``point`` (estimate, negative Hessian) or ``posterior``
    (resampled draws) and ``importance`` (proposals, log densities, weights, per-coefficient
    MCSE and ESS)."""
    import xarray as xr

    coef = list(results.model.design.column_names)
    if isinstance(results, DaskLaplaceResults):
        imp = results.idata["importance"].to_dataset()
        beta = results.idata.posterior["beta"].values
        post = xr.Dataset({"beta": (("chain", "draw", "coef"), beta)}, coords={"coef": coef})
        return {"posterior": post, "importance": imp}
    fit = results._newton
    point = xr.Dataset(
        {"beta": (("coef",), fit.beta), "neg_hessian": (("coef", "coef_b"), fit.neg_hessian)},
        coords={"coef": coef, "coef_b": coef},
    )
    return {"point": point}


def save_dask(results, path, *, header: dict[str, Any], group: str, engine: Literal["h5netcdf"]) -> None:
    """Write a dask fit: ``header`` (the format marker) and the description :mod:`bayeslogit.io`
    reads, then the groups of :func:`dask_groups`; a temporary file renamed over ``path``."""
    import xarray as xr

    model = results.model
    laplace = isinstance(results, DaskLaplaceResults)
    dask = dask_meta(results)
    meta: dict[str, Any] = {
        **header,
        "kind": "posterior" if laplace else results.method,
        **{key: dask[key] for key in _COMMON},  # the design's fields every fit file has at the top
        "priors": model.priors.to_json(),
        "label": results.label,
        "sampler": "laplace+psis (dask)" if laplace else None,
        "random_seed": getattr(results, "random_seed", None),
        "dask": dask,
    }
    desc = xr.Dataset(attrs={group: json.dumps(meta)})
    tree = xr.DataTree.from_dict({"/": xr.Dataset(), **dask_groups(results), group: desc})
    from io import BytesIO

    buf = BytesIO()
    tree.to_netcdf(buf, engine=engine, mode="w")  # in memory first: a plain write to the file (see io.save)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(buf.getbuffer())


def _reopen(parquet, used: list[str]):
    """The stored Parquet data, lazily, when every path still exists; else None."""
    if parquet is None:
        return None
    paths = [parquet] if isinstance(parquet, str) else parquet
    if not (isinstance(paths, list) and all(isinstance(p, str) and os.path.exists(p) for p in paths)):
        return None
    _, dd = import_dask()
    try:
        frame = dd.read_parquet(parquet)
        return frame[used]
    except Exception:  # noqa: BLE001 - a changed or unreadable file: the fit loads without rows
        return None


def design_from_meta(dm: dict[str, Any], spath: str) -> DaskDesign:
    """The dask design :func:`design_meta` described: patsy's ``DesignInfo`` rebuilt on zero
    rows of the stored dtypes (the formula checked against the safe grammar first), the frame
    reopened from the Parquet source when it still exists (else None: no rows)."""
    proto = _proto(dm["columns"], spath)
    try:
        check_formula(dm["formula"], proto.columns)
    except UnsafeFormula as exc:
        raise FitFileError(
            f"the formula stored in {spath!r} contains {exc.part[:80]!r} ({exc.why}); bayeslogit does not "
            "run code from fit files, and dask fits never need more than the safe grammar"
        ) from None
    recipe = DesignRecipe(
        key=uuid.uuid4().hex, formula=dm["formula"], proto=proto, used=tuple(dm["used"]),
        categorical=tuple(dm["categorical"]), response=dm["response"], event_value=dm["event_value"],
        trials=dm["trials"], weights=dm["weights"], likelihood_weights=bool(dm["likelihood_weights"]),
        offset=dm["offset"], missing=dm["missing"],
    )  # fmt: skip
    try:
        template = template_design(recipe)
    except BayeslogitError as exc:
        raise FitFileError(f"cannot rebuild the design stored in {spath!r}: {exc}") from None
    if list(template.column_names) != list(dm["column_names"]):
        raise FitFileError(f"the design rebuilt from {spath!r} has other columns than the fit; the file is damaged")
    return DaskDesign(
        formula=dm["formula"], response=dm["response"], event=dm["event"], levels=tuple(dm["levels"]),
        column_names=list(template.column_names), design_info=template.design_info, recipe=recipe,
        frame=_reopen(dm["parquet"], list(dm["used"])), n_obs=int(dm["n_obs"]), n_dropped=int(dm["n_dropped"]),
        x_mean=np.asarray(dm["x_mean"], dtype=float), x_sd=np.asarray(dm["x_sd"], dtype=float),
        ybar=float(dm["ybar"]), total_weight=float(dm["total_weight"]), trials_name=dm["trials"],
        weights_name=dm["weights"], offset_name=dm["offset"], offset_terms=tuple(dm["offset_terms"]),
        saved_partitions=int(dm["n_partitions"]),
    )  # fmt: skip


def load_dask(meta: dict[str, Any], tree, spath: str):
    """A dask fit from its description and groups (see the module docstring)."""
    from .model import LogitModel

    dm = meta["dask"]
    if any(dm[k] != meta[k] for k in ("formula", "response", "trials", "column_names")):
        raise FitFileError(f"{spath!r} is damaged: its dask design does not match its description")
    design = design_from_meta(dm, spath)
    try:
        priors = ResolvedPriors.from_json(meta["priors"])
        fit_priors = ResolvedPriors.from_json(dm["fit_priors"]) if meta["kind"] == "map" else None
    except BayeslogitError as exc:
        raise FitFileError(f"{spath!r} is damaged: its stored priors are invalid ({exc})") from None
    model = LogitModel._from_parts(design, priors)  # type: ignore[arg-type]
    if meta["kind"] == "posterior":
        return _load_laplace(model, tree, dm, meta, spath)
    point = tree["point"]
    fit = NewtonResult(
        beta=point["beta"].values.copy(), neg_hessian=point["neg_hessian"].values.copy(),
        logpost=float(dm["logpost"]), iterations=int(dm["iterations"]), converged=bool(dm["converged"]),
    )  # fmt: skip
    _finite(spath, beta=fit.beta, neg_hessian=fit.neg_hessian)
    if fit_priors is not None:
        return DaskMAPResults(model, fit, fit_priors, llf=float(dm["llf"]), prior_label=dm["prior_label"])
    res = DaskMLEResults(
        model, fit, llf=float(dm["llf"]), separation=dm["separation"], separating_columns=dm["separating_columns"]
    )
    res._llnull = float(dm["llnull"])
    res._separation_note = str(dm["note"])
    return res


def _finite(spath: str, **arrays: np.ndarray) -> None:
    for name, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise FitFileError(f"{spath!r} is damaged: its {name!r} holds values that are not finite")


def _load_laplace(model, tree, dm, meta, spath: str):
    p = len(meta["column_names"])
    beta = np.asarray(tree["posterior"]["beta"].values, dtype=float)
    imp = tree["importance"]
    arrays = {k: np.asarray(imp[k].values, dtype=float) for k in ("proposal", "log_p", "log_q", "weight")}
    arrays.update(mcse=np.asarray(imp["mcse_mean"].values, dtype=float), ess_coef=np.asarray(imp["ess"].values))
    if beta.ndim != 3 or beta.shape[-1] != p or arrays["proposal"].shape[-1:] != (p,):
        raise FitFileError(f"{spath!r} is damaged: its draws do not have the design's {p} coefficients")
    _finite(spath, beta=beta, proposal=arrays["proposal"])
    draws = LaplaceDraws(
        beta=beta, pareto_k=float(dm["pareto_k"]), ess_is=float(dm["ess_importance"]), proposal=arrays["proposal"],
        log_p=arrays["log_p"], log_q=arrays["log_q"], weight=arrays["weight"], mcse=arrays["mcse"],
        ess_coef=arrays["ess_coef"],
    )  # fmt: skip
    return DaskLaplaceResults(model, draws, random_seed=meta.get("random_seed"))


# -- the fits of a compressed model (model.compress(): the patterns, in memory) ------------------


def is_compressed_fit(results) -> bool:
    """True for the in-memory fits (MLE, MAP, posterior) of a model made by ``compress()``."""
    return getattr(getattr(results, "model", None), "_compressed_from", None) is not None


def _pattern_group(d):
    import xarray as xr

    data: dict[str, Any] = {"X": (("pattern", "coef"), d.X), "y": (("pattern",), np.asarray(d.y))}
    for name in ("trials", "weights", "offset"):
        v = getattr(d, name)
        if v is not None:
            data[name] = (("pattern",), np.asarray(v))
    return xr.Dataset(data, coords={"coef": list(d.column_names)})


def save_compressed(results, path, *, header: dict[str, Any], group: str, engine: Literal["h5netcdf"]) -> None:
    """Write a fit of a compressed model: the patterns (design rows with their counts, at most
    the option ``max_patterns``), the dask design they came from (:func:`design_meta`), and the
    fit (the posterior's groups but the derived log-likelihood, or the estimate and Hessian)."""
    import xarray as xr

    from .results.posterior import PosteriorResults

    model = results.model
    d = model.design
    meta: dict[str, Any] = {
        **header, "kind": "posterior" if isinstance(results, PosteriorResults) else results.method,
        "formula": model.formula, "response": d.response, "event": _plain(d.event),
        "levels": [_plain(v) for v in d.levels], "trials": d.trials_name, "weights": d.weights_name,
        "offset": d.offset_name, "n_dropped": int(d.n_dropped), "column_names": list(d.column_names),
        "priors": model.priors.to_json(), "label": results.label,
        "compressed": design_meta(model._compressed_from),
    }  # fmt: skip
    if isinstance(results, PosteriorResults):
        meta.update(sampler=results.sampler, random_seed=results.random_seed)
        groups = {k: v.to_dataset() for k, v in results.idata.children.items() if k != "log_likelihood"}
        if "constant_data" in groups and "X" in groups["constant_data"]:
            groups["constant_data"] = groups["constant_data"].drop_vars("X")  # the patterns hold it
        root = results.idata.to_dataset()
    else:
        fit = results._newton
        meta.update(logpost=float(fit.logpost), iterations=int(fit.iterations), converged=bool(fit.converged))
        if results.method == "map":
            meta.update(
                fit_priors=results.priors.to_json(), prior_label=results.prior_label,
                at_kink=[bool(k) for k in results.at_kink],
            )  # fmt: skip
        else:
            meta.update(separation=results.separation, separating_columns=list(results.separating_columns))
        groups = {"point": dask_groups_point(fit, list(d.column_names))}
        root = xr.Dataset()
    groups["patterns"] = _pattern_group(d)
    tree = xr.DataTree.from_dict({"/": root, **groups, group: xr.Dataset(attrs={group: json.dumps(meta)})})
    from io import BytesIO

    buf = BytesIO()
    tree.to_netcdf(buf, engine=engine, mode="w")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(buf.getbuffer())


def dask_groups_point(fit, coef: list[str]):
    """The ``point`` group: the estimate and the negative Hessian."""
    import xarray as xr

    return xr.Dataset(
        {"beta": (("coef",), fit.beta), "neg_hessian": (("coef", "coef_b"), fit.neg_hessian)},
        coords={"coef": coef, "coef_b": coef},
    )


def load_compressed(meta: dict[str, Any], tree, spath: str):
    """A fit of a compressed model (:func:`save_compressed`): the patterns' design with the
    ``DesignInfo`` rebuilt from the dask design's recipe, so ``predict`` encodes new rows."""
    import xarray as xr

    from .design import Design
    from .model import LogitModel
    from .results.point import MAPResults, MLEResults
    from .results.posterior import PosteriorResults

    source = design_from_meta(meta["compressed"], spath)
    if list(source.column_names) != list(meta["column_names"]) or "patterns" not in tree.children:
        raise FitFileError(f"{spath!r} is damaged: its patterns do not match its design")
    pat = tree["patterns"]
    X = np.asarray(pat["X"].values, dtype=float)
    opt = {k: (np.asarray(pat[k].values) if k in pat else None) for k in ("trials", "weights", "offset")}
    _finite(spath, X=X, y=np.asarray(pat["y"].values, dtype=float))
    template = template_design(source.recipe)
    design = Design(
        formula=meta["formula"], y=np.asarray(pat["y"].values), X=np.ascontiguousarray(X),
        column_names=list(meta["column_names"]), design_info=source.design_info, response=meta["response"],
        event=meta["event"], levels=tuple(meta["levels"]), trials=opt["trials"], trials_name=meta["trials"],
        n_dropped=int(meta["n_dropped"]), weights=opt["weights"], weights_name=meta["weights"],
        offset=opt["offset"], offset_name=meta["offset"], offset_terms=source.offset_terms,
        offset_info=template.offset_info,
    )  # fmt: skip
    try:
        priors = ResolvedPriors.from_json(meta["priors"])
        fit_priors = ResolvedPriors.from_json(meta["fit_priors"]) if meta["kind"] == "map" else None
    except BayeslogitError as exc:
        raise FitFileError(f"{spath!r} is damaged: its stored priors are invalid ({exc})") from None
    model = LogitModel._from_parts(design, priors)
    model._compressed_from = source  # type: ignore[attr-defined]  # saved again as it was
    label = meta["label"]
    if meta["kind"] == "posterior":
        groups = {k: v.to_dataset() for k, v in tree.children.items() if k not in ("patterns", "bayeslogit")}
        if "constant_data" in groups:
            groups["constant_data"]["X"] = (("obs", "coef"), design.X)
        idata = xr.DataTree.from_dict({"/": tree.to_dataset(), **groups})
        return PosteriorResults(model, idata, sampler=meta["sampler"], random_seed=meta["random_seed"], label=label)
    point = tree["point"]
    fit = NewtonResult(
        beta=point["beta"].values.copy(), neg_hessian=point["neg_hessian"].values.copy(),
        logpost=float(meta["logpost"]), iterations=int(meta["iterations"]), converged=bool(meta["converged"]),
    )  # fmt: skip
    _finite(spath, beta=fit.beta, neg_hessian=fit.neg_hessian)
    if fit_priors is not None:
        at_kink = np.asarray(meta["at_kink"], dtype=bool)
        return MAPResults(model, fit, fit_priors, prior_label=meta["prior_label"], at_kink=at_kink)
    return MLEResults(
        model, fit, separation=meta["separation"], separating_columns=meta["separating_columns"], label=label
    )
