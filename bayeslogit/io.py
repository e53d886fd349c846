"""Saving fits to netCDF and loading them back, ready to ``predict``.

A saved fit is the ArviZ ``DataTree`` of the posterior (groups ``posterior``,
``sample_stats``, ``observed_data``, ``constant_data``...) plus one extra group, ``bayeslogit``,
that holds what is needed to rebuild the model:

- attributes (JSON text): the formula, the response coding (``event``, ``levels``, ``trials``
  column), the resolved prior of every coefficient, the sampler and seed, a format marker;
- variables: the training rows of the columns the formula (and ``trials``) reads, exactly as
  they were fitted (after any ``missing="drop"``).

patsy's ``DesignInfo`` cannot be pickled (patsy refuses), and storing only factor levels would
lose the state of stateful transforms such as ``center(x)`` or spline knots. So on loading, the
design is rebuilt by running the formula on the stored training rows again, which restores the
``DesignInfo`` exactly; the rebuilt matrix is checked to be bit-identical to the one fitted
(by its SHA-256 digest, stored in place of the matrix).

What is *not* stored, because it is derived and large: the pointwise log-likelihood (draws x
rows: 3.2 GB at 100,000 rows; recomputed on demand, see
:meth:`bayeslogit.PosteriorResults.log_likelihood`) and the design matrix (rebuilt from the
stored rows, and put back in ``constant_data`` on loading). Numeric variables are compressed
(gzip level 4 with byte shuffling), so a file is about the size of the training data plus the
draws. Files of earlier versions, which stored both, still load (their log-likelihood group is
skipped, their design matrix compared element by element).
Formulas that call functions other than numpy (as ``np``/``numpy``) and patsy's builtins need
those passed to :func:`load` as ``namespace``.

The fits of a dask DataFrame store no rows: see :mod:`bayeslogit.io_dask`.

The file is written with the ``h5netcdf`` engine (netCDF4/HDF5 format), which supports the
groups of a ``DataTree``.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any, Final, cast

import numpy as np
import pandas as pd

from ._files import atomic_path
from ._formula import UnsafeFormula, check_formula, column_bound
from ._validation import check_bool
from .design import rebuild_design
from .errors import ArgumentError, BayeslogitError, FitFileError
from .fit.newton import NewtonResult
from .io_categorical import (
    categorical_groups,
    categorical_meta,
    check_categorical_meta,
    family_arguments,
    is_categorical,
    load_categorical,
)
from .io_dask import is_compressed_fit, is_dask_results, load_compressed, load_dask, save_compressed, save_dask
from .model import LogitModel, training_rows
from .priors import ResolvedPriors
from .results.base import Results
from .results.glmm import GLMMResults, glmm_from_state, glmm_state
from .results.point import MAPResults, MLEResults, PointResults
from .results.posterior import PosteriorResults

__all__ = ["save", "load"]

FORMAT = "bayeslogit.fit"
FORMAT_VERSION = 1
GROUP = "bayeslogit"
ENGINE: Final = "h5netcdf"
NOT_STORED = ("log_likelihood",)
"""Derived draws x rows groups that ``save`` leaves out (recomputed on demand)."""


# -- saving ----------------------------------------------------------------------------------


def save(results: Results, path: str | os.PathLike) -> None:
    """Write a fit to a netCDF file (see the module docstring for what is stored).

    Parameters
    ----------
    results : PosteriorResults, MLEResults, MAPResults or GLMMResults
        The fit to save. Point fits store their estimate and negative Hessian (so the
        covariance, and everything computed from it, is restored); a GLMM fit stores its
        coefficients, covariance parameters, Hessian, conditional modes and their covariances.
    path : str or path-like
        Destination, conventionally ending in ``.nc``. The fit is written to a temporary file
        in the same folder and renamed over ``path`` only when complete, so an existing file is
        replaced whole or not at all (never left half-written).

    Raises
    ------
    OutputError
        The folder does not exist or cannot be written, or ``path`` is a directory.

    Examples
    --------
    >>> import os, tempfile, pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=50, tune=50, chains=1,
    ...                                         random_seed=3, progressbar=False)
    >>> path = os.path.join(tempfile.mkdtemp(), "fit.nc")
    >>> post.save(path)
    >>> (bl.load(path).draws() == post.draws()).all()
    np.True_
    """
    import xarray as xr

    header = {"format": FORMAT, "format_version": FORMAT_VERSION}
    if is_dask_results(results):  # the rows stay where they are: bayeslogit.io_dask
        return save_dask(results, path, header=header, group=GROUP, engine=ENGINE)
    if is_compressed_fit(results):  # model.compress(): the patterns, no rows (bayeslogit.io_dask)
        return save_compressed(results, path, header=header, group=GROUP, engine=ENGINE)
    categorical = is_categorical(results)  # multinomial, ordinal: bayeslogit.io_categorical
    if not (isinstance(results, (PosteriorResults, PointResults)) or categorical):
        raise ArgumentError(
            "save() supports posterior fits (PosteriorResults, CategoricalPosterior) and point fits "
            f"(MLEResults, MAPResults, GLMMResults, CategoricalResults), got {type(results).__name__}"
        )
    model = results.model
    d = model.design
    meta: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": "posterior" if isinstance(results, PosteriorResults) else getattr(results, "method", None),
        "formula": model.formula,
        "response": d.response,
        "event": _encode_value(d.event),
        "levels": [_encode_value(v) for v in d.levels],
        "trials": d.trials_name,
        "weights": d.weights_name,
        "offset": d.offset_name,
        "n_dropped": d.n_dropped,
        "column_names": list(d.column_names),
        "priors": _priors_to_json(model.priors),
        "label": results.label,
        "population_names": getattr(results, "population_names", None),
    }
    group = _frame_to_dataset(training_rows(model))
    meta["X_sha256"] = _design_digest(d.X)
    if d.offset is not None:
        meta["offset_sha256"] = _design_digest(d.offset[:, None])
    if categorical:
        meta.update(categorical_meta(results))
        root, children = categorical_groups(results, NOT_STORED)
    elif isinstance(results, PosteriorResults):
        meta.update(sampler=results.sampler, random_seed=results.random_seed)
        children = {name: node.to_dataset() for name, node in results.idata.children.items() if name not in NOT_STORED}
        if "constant_data" in children and "X" in children["constant_data"]:
            children["constant_data"] = children["constant_data"].drop_vars("X")
        root = results.idata.to_dataset()
    elif isinstance(results, GLMMResults):  # the GLMM's own numbers (bayeslogit.results.glmm)
        arrays, facts = glmm_state(results)
        meta.update(glmm=facts)
        children = {"point": xr.Dataset(arrays, coords={"coef": list(d.column_names), "coef_b": list(d.column_names)})}
        root = xr.Dataset()
    else:
        fit = cast(PointResults, results)._newton
        meta.update(logpost=float(fit.logpost), iterations=int(fit.iterations), converged=bool(fit.converged))
        if isinstance(results, MAPResults):
            meta.update(
                fit_priors=_priors_to_json(results.priors),
                prior_label=results.prior_label,
                at_kink=[bool(k) for k in results.at_kink],
            )
        else:
            mle = cast(MLEResults, results)  # the point fits are MLEResults and MAPResults
            meta.update(separation=mle.separation, separating_columns=mle.separating_columns)
        coef = list(d.column_names)
        children = {
            "point": xr.Dataset(
                {"beta": (("coef",), fit.beta), "neg_hessian": (("coef", "coef_b"), fit.neg_hessian)},
                coords={"coef": coef, "coef_b": coef},
            )
        }
        root = xr.Dataset()
    group.attrs = {"bayeslogit": json.dumps(meta)}
    children[GROUP] = group
    tree = xr.DataTree.from_dict({"/": root, **children})
    # in memory first (compressed: at most the size of what the fit already holds), then to the
    # file with plain writes: HDF5 writing to a full disk crashes the process (a segfault, measured
    # under RLIMIT_FSIZE), while a plain write raises OSError, which atomic_path turns into an
    # OutputError naming the folder and its free space
    from io import BytesIO

    buf = BytesIO()
    tree.to_netcdf(buf, engine=ENGINE, mode="w", encoding=_compression(tree))
    with atomic_path(path) as tmp:  # a crash or Ctrl-C mid-write leaves the previous file intact
        with open(tmp, "wb") as f:
            f.write(buf.getbuffer())


def _compression(tree) -> dict[str, dict[str, dict[str, Any]]]:
    """gzip (level 4) with byte shuffling for every numeric variable, keyed by group path."""
    enc: dict[str, dict[str, dict[str, Any]]] = {}
    for node in tree.subtree:
        ds = node.to_dataset(inherit=False)
        wanted = {
            name: {"zlib": True, "complevel": 4, "shuffle": True}
            for name, var in ds.variables.items()
            if var.dtype.kind in "biuf" and var.ndim > 0
        }
        if wanted:
            enc[node.path] = wanted
    return enc


def _design_digest(X: np.ndarray) -> str:
    """SHA-256 of the design matrix's values in C order, by row blocks (no full copy)."""
    import hashlib

    from ._blocks import row_slices

    h = hashlib.sha256()
    h.update(f"{X.shape}{X.dtype.str}".encode())
    for sl in row_slices(X.shape[0], max(1, (8 << 20) // max(1, X.shape[1] * 8))):
        h.update(np.ascontiguousarray(X[sl]).tobytes())
    return h.hexdigest()


def _frame_to_dataset(df: pd.DataFrame):
    """DataFrame -> xarray Dataset with variables ``col0..`` (dim ``row``) that keep names and dtypes."""
    import xarray as xr

    ds = xr.Dataset()
    for i, name in enumerate(df.columns):
        col = df[name]
        attrs: dict[str, Any] = {"name": str(name), "pandas_dtype": str(col.dtype)}
        if isinstance(col.dtype, pd.CategoricalDtype):
            attrs["categories"] = json.dumps([_encode_value(c) for c in col.cat.categories])
            attrs["ordered"] = int(bool(col.cat.ordered))
            values = col.cat.codes.to_numpy(dtype=np.int64)
        elif col.dtype.kind == "b":
            values = col.to_numpy(dtype=np.int8)
        elif col.dtype.kind in "iuf":
            values = col.to_numpy()
        else:
            kinds = {type(_encode_value(v)).__name__ for v in col}
            if kinds != {"str"}:
                raise ArgumentError(
                    f"cannot save column {name!r}: it mixes value types {sorted(kinds)}; "
                    "convert it to one type (e.g. df[col].astype(str)) and refit"
                )
            values = np.array([str(v) for v in col], dtype=object)
        ds[f"col{i}"] = xr.Variable(("row",), values, attrs=attrs)
    return ds


# -- loading ---------------------------------------------------------------------------------


def load(path: str | os.PathLike, *, trust: bool = False, namespace: dict[str, Any] | None = None) -> Results:
    """Load a fit saved with ``.save(path)``; loading runs no code stored in the file.

    The stored formula is rerun on the stored training rows to rebuild the design, and a
    formula is Python code. So unless ``trust=True`` it must fit a safe grammar first: column
    names, numbers, arithmetic and comparisons, ``C()``, ``I()``, ``Q("...")``, patsy's
    transforms, splines and contrasts, elementwise numpy functions (``np.log``...), and the
    functions passed in ``namespace``. Anything else (other names, attribute access,
    subscripts, lambdas, comprehensions...) is refused with a :class:`FitFileError` naming it.

    Parameters
    ----------
    path : str or path-like
        A file written by ``.save(path)`` of a fit.
    trust : bool, default False
        Skip the safe-grammar check and evaluate the stored formula as it is. Only for files
        you wrote yourself or otherwise trust: a crafted file can then run any code.
    namespace : dict, optional
        Functions of your own the formula calls (``{"f": f}`` for ``y ~ f(x)``); numpy is
        available as ``np`` and ``numpy``, and patsy's builtins (``C``, ``I``, ``center``...)
        always are. Without ``trust``, they may only be called (no attribute access).

    Returns
    -------
    PosteriorResults, MLEResults, MAPResults or GLMMResults
        The kind of fit that was saved, with the same draws or estimates (bit-identical),
        formula, design, response coding and priors, so ``predict`` works on new data.

    Raises
    ------
    FitFileError
        If the path does not exist, the file is not a bayeslogit fit or is damaged, or its
        formula is outside the safe grammar (and ``trust`` is False).

    Examples
    --------
    >>> import bayeslogit as bl
    >>> bl.load("no/such/file.nc")
    Traceback (most recent call last):
    ...
    bayeslogit.errors.FitFileError: no file at 'no/such/file.nc'; check the path
    """
    import xarray as xr

    check_bool("trust", trust)
    if namespace is not None and not (isinstance(namespace, dict) and all(isinstance(k, str) for k in namespace)):
        raise ArgumentError(f"namespace must be a dict of names to functions, got {type(namespace).__name__}")
    spath = os.fspath(path)
    if not os.path.exists(spath):
        raise FitFileError(f"no file at {spath!r}; check the path")
    if os.path.isdir(spath):
        raise FitFileError(f"{spath!r} is a directory, not a saved bayeslogit fit")
    _check_declared_sizes(spath)
    try:
        with xr.open_datatree(spath, engine=ENGINE) as opened:
            # read every group but a stored log-likelihood (files of earlier versions): derived
            tree = xr.DataTree.from_dict(
                {
                    "/": opened.to_dataset(inherit=False).load(),
                    **{
                        name: node.to_dataset(inherit=False).load()
                        for name, node in opened.children.items()
                        if name not in NOT_STORED
                    },
                }
            )
    except Exception as exc:  # noqa: BLE001 - any reader failure means "not our file"
        raise FitFileError(
            f"{spath!r} is not a bayeslogit fit (cannot read it as netCDF4/HDF5: "
            f"{type(exc).__name__}); save fits with post.save(path)"
        ) from None
    try:
        return _load_tree(tree, spath, trust=trust, namespace=namespace)
    except BayeslogitError:
        raise
    except RecursionError:
        raise FitFileError(f"{spath!r} is damaged (its formula nests too deeply to rebuild)") from None
    except Exception as exc:  # noqa: BLE001 - the file boundary: anything else is a damaged file
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
        raise FitFileError(f"{spath!r} is damaged or was not written by bayeslogit ({why})") from None


_KINDS = ("posterior", "mle", "map", "glmm")
_PHONY_DIMENSION = b"This is a netCDF dimension but not a netCDF variable"


def _check_declared_sizes(spath: str) -> None:
    """Refuse (:class:`FitFileError`) a file whose arrays would need more memory than the option
    ``load_max_bytes``, from the sizes the file declares and before any array is read.

    What :func:`load` allocates is every stored array uncompressed (the draws, the training
    rows, coordinates; a stored log-likelihood of earlier versions is skipped) and the design
    rebuilt from the rows (rows x columns x 8 bytes). A small file can declare a huge array
    (chunks never written read as fill values), so the declared shapes are what count. A file
    h5py cannot open is left to the reader below, which says it is not a fit."""
    import h5py

    from ._blocks import nbytes_text
    from ._options import options

    found: list[tuple[str, int]] = []  # (array, bytes it takes once read)

    def visit(name: str, obj) -> None:
        if not isinstance(obj, h5py.Dataset) or name.split("/")[0] in NOT_STORED:
            return
        if np.asarray(obj.attrs.get("NAME", b"")).tobytes().startswith(_PHONY_DIMENSION):
            return  # a dimension without a coordinate: xarray reads no values
        found.append((name, int(np.prod(obj.shape, dtype=object)) * obj.dtype.itemsize))

    try:
        f = h5py.File(spath, "r")
    except (OSError, ValueError):
        return
    with f:
        try:
            f.visititems(visit)
        except (OSError, ValueError, TypeError, KeyError):
            return  # unreadable: the reader below says so
        try:  # the design rebuilt on loading: stored rows x the columns the description lists
            meta = json.loads(f[GROUP].attrs["bayeslogit"])
            rows = max((f[GROUP][k].shape[0] for k in f[GROUP] if k.startswith("col")), default=0)
            found.append(("the rebuilt design", int(rows) * len(meta["column_names"]) * 8))
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            pass  # no description: not a fit, which the reader below says
    total, largest, largest_name = 0, 0, ""
    for name, nbytes in found:
        total += nbytes
        if nbytes > largest:
            largest, largest_name = nbytes, name
    limit = options["load_max_bytes"]
    if total > limit:
        raise FitFileError(
            f"{spath!r} declares arrays that need {nbytes_text(float(total))} of memory to load (the largest, "
            f"{largest_name!r}, {nbytes_text(float(largest))}), more than bl.options['load_max_bytes'] = "
            f"{nbytes_text(float(limit))}; nothing was read. If the file is yours and the memory is there, "
            "raise the option (with bl.option_context(load_max_bytes=...): bl.load(path))"
        )


def _load_tree(tree, spath: str, *, trust: bool, namespace):
    import xarray as xr

    meta = _read_meta(tree, spath)
    if "dask" in meta or "compressed" in meta:  # a dask fit, or a compressed one: no rows stored (io_dask)
        return load_dask(meta, tree, spath) if "dask" in meta else load_compressed(meta, tree, spath)
    group = tree[GROUP].to_dataset()
    data = _dataset_to_frame(group)
    if not trust:
        try:
            check_formula(meta["formula"], data.columns, extra_functions=namespace or ())
        except UnsafeFormula as exc:
            part = exc.part if len(exc.part) <= 80 else exc.part[:77] + "..."
            raise FitFileError(
                f"the formula stored in {spath!r} contains {part!r} ({exc.why}); bayeslogit does not "
                "run code from fit files. If you trust the file: bl.load(path, trust=True)"
            ) from None
        _check_column_bound(meta, data, spath, namespace)
    design = _rebuild_design(meta, data, namespace, tree, spath, trust=trust)
    try:
        priors = _priors_from_json(meta["priors"])
        if meta["kind"] == "map":
            _priors_from_json(meta["fit_priors"])
    except BayeslogitError as exc:
        raise FitFileError(f"{spath!r} is damaged: its stored priors are invalid ({exc})") from None
    model = LogitModel._from_parts(design, priors)
    model._data = data
    if "family" in meta:
        return load_categorical(meta, model, tree, spath)
    if meta["kind"] != "posterior":
        return _load_point(meta, model, tree)
    groups = {k: v.to_dataset() for k, v in tree.children.items() if k != GROUP}
    _check_draws(groups["posterior"], design.column_names, spath)
    if "constant_data" in groups and "X" not in groups["constant_data"]:
        groups["constant_data"]["X"] = (("obs", "coef"), design.X)  # not stored: rebuilt, checked
    idata = xr.DataTree.from_dict({"/": tree.to_dataset(), **groups})
    return PosteriorResults(
        model, idata, sampler=meta["sampler"], random_seed=meta["random_seed"], label=meta.get("label", "Posterior")
    )


def _check_column_bound(meta, data, spath: str, namespace) -> None:
    """Refuse (:class:`FitFileError`) a stored formula whose design could have more than twice the
    columns the file declares and the option ``max_columns`` allow, from its terms and the stored rows
    (:func:`bayeslogit._formula.column_bound`) before anything is evaluated: interactions of
    factors made from numeric columns (``C(x1):C(x2):C(x3)``, 8 million columns) took minutes
    and GBs inside patsy before the design's size was known."""
    from ._options import options

    bound, term_bound, term = column_bound(meta["formula"], data, extra_functions=namespace or ())
    declared, limit = len(meta["column_names"]), options["max_columns"]
    # twice: the bound counts every level of each factor (C(g) * C(h): kg + kh + kg kh + 1 where
    # the coded design has kg kh), so a legitimate design near the limit stays loadable
    if bound > 2 * max(declared, limit):
        raise FitFileError(
            f"the formula stored in {spath!r} could build up to {bound:,} design columns (the term "
            f"{term[:80]!r} alone up to {term_bound:,} with the stored rows), more than twice "
            f"the {declared:,} the file declares and bl.options['max_columns'] = {limit:,}; nothing was "
            "evaluated. If the file is yours: with bl.option_context(max_columns=...): bl.load(path)"
        )


def _check_draws(posterior, columns: list[str], spath: str) -> None:
    """Refuse (:class:`FitFileError`) stored draws bayeslogit never writes: coefficients other
    than the design's columns (more, fewer, or renamed), or a value that is NaN or infinite in
    any numeric variable. Such a file is damaged or edited, and would otherwise fail later, deep
    in ``summary()`` or ``bayeslogit report``, with a pandas error. Checked one chain at a time
    (a boolean copy of one chain at most)."""
    if "beta" not in posterior:
        raise FitFileError(f"{spath!r} is damaged: its posterior has no 'beta' draws")
    beta = posterior["beta"]
    coef = [str(c) for c in beta.coords["coef"].values] if "coef" in beta.coords else None
    if beta.ndim != 3 or beta.dims[-1] != "coef" or coef != list(columns):
        n = beta.shape[-1] if beta.ndim else 0
        raise FitFileError(
            f"{spath!r} is damaged: its draws hold {n} coefficients{f' {coef}' if coef and len(coef) <= 8 else ''} "
            f"where the design has {len(columns)} ({', '.join(columns[:8])}{', ...' if len(columns) > 8 else ''})"
        )
    for name, var in posterior.data_vars.items():
        values = var.values
        if values.dtype.kind not in "fc" or values.ndim == 0:
            continue
        for chain, block in enumerate(values):
            finite = np.isfinite(block)
            if not finite.all():
                bad = int(finite.size - np.count_nonzero(finite))
                kinds = "NaN" if np.isnan(block).any() else "infinite"
                raise FitFileError(
                    f"{spath!r} is damaged: its draws of {name!r} hold {bad} {kinds} value(s) "
                    f"in chain {chain}{' (all of its values)' if bad == finite.size else ''}; bayeslogit "
                    "writes only finite draws"
                )


def _load_point(meta, model, tree):
    """A point fit from its stored estimate; its label and population names as saved (files of
    earlier versions, which lack them, get the defaults: ``"MLE"``, the design's columns)."""
    names = meta.get("population_names")
    point = tree["point"]
    if meta["kind"] == "glmm":
        arrays = {name: var.values for name, var in point.to_dataset().data_vars.items()}
        return glmm_from_state(model, arrays, meta["glmm"], label=meta["label"])
    fit = NewtonResult(
        beta=point["beta"].values.copy(),
        neg_hessian=point["neg_hessian"].values.copy(),
        logpost=meta["logpost"],
        iterations=meta["iterations"],
        converged=meta["converged"],
    )
    if meta["kind"] == "map":
        return MAPResults(
            model,
            fit,
            _priors_from_json(meta["fit_priors"]),
            prior_label=meta["prior_label"],
            at_kink=np.asarray(meta.get("at_kink", [False] * len(fit.beta)), dtype=bool),
            population_names=names,
        )
    return MLEResults(
        model,
        fit,
        separation=meta["separation"],
        separating_columns=meta["separating_columns"],
        label=meta.get("label", "MLE"),
        population_names=names,
    )


def _read_meta(tree, path: str) -> dict[str, Any]:
    not_ours = (
        f"{path!r} is not a bayeslogit fit (no {GROUP!r} group with the format marker); save fits with post.save(path)"
    )
    if GROUP not in tree.children:
        raise FitFileError(not_ours)
    try:
        meta = json.loads(tree[GROUP].attrs["bayeslogit"])
    except (KeyError, TypeError, ValueError):
        raise FitFileError(not_ours) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise FitFileError(not_ours)
    if meta.get("format_version") != FORMAT_VERSION:
        raise FitFileError(
            f"{path!r} was written in bayeslogit fit format version {meta.get('format_version')!r}; "
            f"this version of bayeslogit reads version {FORMAT_VERSION}"
        )
    _check_meta(meta, path)
    needed = "posterior" if meta.get("kind") == "posterior" else "point"
    if needed not in tree.children:
        raise FitFileError(f"{path!r} is a bayeslogit file without its {needed!r} group; it is damaged")
    return meta


_META_TYPES: dict[str, Any] = {
    "formula": str,
    "response": str,
    "levels": list,
    "trials": (str, type(None)),
    "n_dropped": int,
    "column_names": list,
    "priors": dict,
    "kind": str,
}


def _check_meta(meta: dict, path: str) -> None:
    """The stored description has the keys and types bayeslogit writes (a damaged or edited
    file fails here, by name, rather than deep inside the rebuild)."""
    for key, types in _META_TYPES.items():
        if key not in meta:
            raise FitFileError(f"{path!r} is damaged: its description lacks {key!r}")
        if not isinstance(meta[key], types) or isinstance(meta[key], bool) and types is int:
            raise FitFileError(f"{path!r} is damaged: {key!r} has the wrong type ({type(meta[key]).__name__})")
    if meta["kind"] not in _KINDS:
        raise FitFileError(f"{path!r} is damaged: unknown kind of fit {meta['kind']!r}")
    check_categorical_meta(meta, path)
    if not all(isinstance(c, str) for c in meta["column_names"]):
        raise FitFileError(f"{path!r} is damaged: 'column_names' must be text")
    # written since issue 21 (older files lack them and get the defaults)
    if "label" in meta and not (isinstance(meta["label"], str) and meta["label"]):
        raise FitFileError(f"{path!r} is damaged: 'label' must be a non-empty text")
    names = meta.get("population_names")
    if names is not None and not (isinstance(names, list) and all(isinstance(c, str) for c in names)):
        raise FitFileError(f"{path!r} is damaged: 'population_names' must be a list of text")


_DTYPES = {
    "bool",
    "object",
    "str",
    "string",
    "float64",
    "float32",
    "int64",
    "int32",
    "int16",
    "int8",
    "uint64",
    "uint32",
    "uint16",
    "uint8",
    "category",
    "Int64",
    "Int32",
    "Int16",
    "Int8",
    "Float64",
    "Float32",
    "boolean",
}


def _dataset_to_frame(ds) -> pd.DataFrame:
    cols: dict[str, Any] = {}
    for key in sorted((k for k in ds.data_vars), key=lambda k: int(str(k)[3:])):
        var = ds[key]
        name, dtype = var.attrs["name"], var.attrs["pandas_dtype"]
        if not isinstance(name, str) or name in cols or str(dtype) not in _DTYPES:
            raise FitFileError(f"a stored data column ({key}: name {name!r}, dtype {dtype!r}) is damaged")
        values = var.values
        if "categories" in var.attrs:
            cats = json.loads(var.attrs["categories"])
            col = pd.Categorical.from_codes(
                values.astype(np.int64), categories=cats, ordered=bool(var.attrs["ordered"])
            )
            cols[name] = pd.Series(col)
        elif dtype == "bool":
            cols[name] = pd.Series(values.astype(bool))
        else:
            series = pd.Series(values)
            try:
                series = series.astype(dtype)
            except (TypeError, ValueError):  # pragma: no cover - dtype of another pandas
                pass
            cols[name] = series
    return pd.DataFrame(cols)


def _rebuild_design(meta, data, namespace, tree, path, *, trust: bool):
    if meta["trials"] is not None and meta["trials"] not in data.columns:
        raise FitFileError(f"{path!r} is damaged: the trials column {meta['trials']!r} is not stored")
    try:  # without trust, the formula passed check_formula; shadowed builtins are a second layer
        design, _ = rebuild_design(
            meta["formula"],
            data,
            event=meta["event"],
            trials=meta["trials"],
            weights=meta.get("weights"),
            offset=meta.get("offset"),
            namespace=namespace,
            safe=not trust,
            **family_arguments(meta),
        )
    except BayeslogitError as exc:
        raise FitFileError(
            f"cannot rebuild the design of {meta['formula']!r} stored in {path!r}: {exc}. If the "
            "formula calls your own functions, pass them: bl.load(path, namespace={'f': f})"
        ) from None
    design = replace(design, n_dropped=int(meta["n_dropped"]))
    if "X_sha256" in meta:
        same_X = _design_digest(design.X) == meta["X_sha256"]
    else:  # files of earlier versions stored the matrix itself
        holder = "constant_data" if meta["kind"] == "posterior" else "point"
        X_saved = tree[holder]["X"].values if holder in tree.children and "X" in tree[holder] else None
        same_X = X_saved is None or np.array_equal(design.X, X_saved)
    same_offset = (design.offset is None) == ("offset_sha256" not in meta) and (
        design.offset is None or _design_digest(design.offset[:, None]) == meta["offset_sha256"]
    )
    same = design.column_names == meta["column_names"] and same_X and same_offset
    if not same:
        raise FitFileError(
            f"the design rebuilt from {path!r} differs from the one the draws were made with; "
            "the file is damaged or was written by an incompatible version"
        )
    return design


# -- priors and scalar values as JSON ------------------------------------------------------------


def _priors_to_json(resolved) -> dict[str, Any]:
    """The resolved priors as JSON (:meth:`bayeslogit.priors.ResolvedPriors.to_json`)."""
    return resolved.to_json()


def _priors_from_json(obj: dict[str, Any]):
    """The resolved priors :func:`_priors_to_json` wrote (:meth:`bayeslogit.priors.ResolvedPriors.from_json`;
    families by name from the one registry, :mod:`bayeslogit.priors.registry`)."""
    return ResolvedPriors.from_json(obj)


def _encode_value(v: Any) -> Any:
    """A response level / category as JSON: bools, ints, floats and strings keep their type."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return str(v)
