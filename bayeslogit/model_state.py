"""A model's snapshot of its training data: the rows the design was built from
(:func:`training_rows`, used by save, the no-pooling refit and the interpretation grid) and the
pickled state of a :class:`~bayeslogit.LogitModel` (the design is rebuilt from those rows on
unpickling, as patsy's ``DesignInfo`` does not pickle).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .design import rebuild_design
from .errors import ArgumentError

if TYPE_CHECKING:  # pragma: no cover
    from .model import LogitModel

__all__ = ["training_rows", "model_getstate", "model_setstate", "family_arguments"]


def training_rows(model: LogitModel) -> pd.DataFrame:
    """The rows and columns of the training data the design was built from."""
    data = getattr(model, "_data", None)
    if data is None:
        raise ArgumentError(
            "this model does not hold its training data, so its design cannot be stored; "
            "refit it with bl.LogitModel(formula, data) before saving"
        )
    d = model.design
    if len(data) != d.n_obs:  # pragma: no cover - the snapshot holds exactly the design's rows
        raise ArgumentError("the model's training data do not match its design; refit before saving")
    return data.reset_index(drop=True)


def model_getstate(model: LogitModel) -> dict[str, Any]:
    """A picklable state of a :class:`~bayeslogit.LogitModel`: the design without its patsy
    ``DesignInfo`` (rebuilt from the training rows on unpickling) and no cached PyMC model."""
    state = dict(model.__dict__)
    state["_data"] = training_rows(model)
    state["design"] = replace(model.design, design_info=None, offset_info=None, groups=None)  # groups hold patsy too
    state["_pymc_model"] = None
    return state


def family_arguments(design) -> dict[str, Any]:
    """``family=`` and ``reference=`` that rebuild a stored design's response family."""
    cat = getattr(design, "categorical", None)
    if cat is None:
        return {}
    ref = getattr(cat, "reference", None)
    return {"family": cat.name, "reference": None if ref is None else cat.levels[ref]}


def model_setstate(model: LogitModel, state: dict[str, Any]) -> None:
    """Inverse of :func:`model_getstate`: rerun the formula on the stored training rows."""
    stored = state["design"]
    try:
        design, _ = rebuild_design(
            stored.formula,
            state["_data"],
            event=stored.event,
            trials=stored.trials_name,
            weights=stored.weights_name,
            offset=getattr(stored, "offset_name", None),
            **family_arguments(stored),
        )
    except Exception as exc:  # noqa: BLE001 - re-raised with the fix
        raise ArgumentError(
            f"cannot unpickle the model {stored.formula!r}: rebuilding its design failed ({exc}); "
            "formulas that call your own functions cannot be pickled, save them with .save(path) and "
            "bl.load(path, namespace=...)"
        ) from None
    if not (design.column_names == stored.column_names and np.array_equal(design.X, stored.X)):
        raise ArgumentError(f"cannot unpickle the model {stored.formula!r}: its design changed")
    state = dict(state)
    state["design"] = replace(
        stored, design_info=design.design_info, offset_info=design.offset_info, groups=design.groups
    )
    model.__dict__.update(state)
