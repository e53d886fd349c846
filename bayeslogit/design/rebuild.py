"""A design rebuilt from a model's stored training rows (patsy's ``DesignInfo`` cannot be pickled).

The one function :func:`rebuild_design` serves the three places that need a model's design
again: unpickling a :class:`~bayeslogit.LogitModel`, the no-pooling refit of a model with
group terms (``fit_mle(pooling="none")``: another formula on the same rows), and loading a
saved fit (:func:`bayeslogit.load`). Each caller checks the result against what it stored and
says what failed in its own words.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import patsy

from .._formula import safe_eval_env
from .builder import Design, build_design_with_rows


def rebuild_design(
    formula: str,
    rows: pd.DataFrame,
    *,
    event: Any = None,
    trials: str | None = None,
    weights: str | None = None,
    offset: str | None = None,
    namespace: dict[str, Any] | None = None,
    safe: bool = False,
    family: str = "auto",
    reference: Any = None,
) -> tuple[Design, pd.DataFrame]:
    """The design of ``formula`` built again from stored training rows, and its rows.

    Parameters
    ----------
    formula : str
        The formula to run (the model's own, or the no-pooling refit's).
    rows : pandas.DataFrame
        A model's snapshot of its training data (:func:`bayeslogit.model.training_rows`): the
        columns it reads, after any ``missing="drop"``, with an offset given as an array in the
        column :data:`~bayeslogit.design.ARRAY_OFFSET`.
    event, trials, weights, offset
        The stored response coding and column names (``Design.event``, ``trials_name``,
        ``weights_name``, ``offset_name``); ``event`` is not used with ``trials``.
    namespace : dict, optional
        Functions of the user's the formula calls (:func:`bayeslogit.load`'s ``namespace``).
    family, reference
        A categorical design's family name and multinomial reference level (``"auto"`` and
        None for binary designs).
    safe : bool
        False: the formula sees numpy (as ``np`` and ``numpy``), patsy's builtins and
        ``namespace``, never the caller's frame. True (a formula read from a file that was not
        trusted): only numpy's whitelisted functions, with Python's builtins shadowed
        (:func:`bayeslogit._formula.safe_eval_env`).

    Returns
    -------
    (Design, pandas.DataFrame)
        The design and the rows it read (a new snapshot).

    Raises
    ------
    BayeslogitError
        Whatever building the design raises (:func:`~bayeslogit.design.build_design`),
        unchanged; ``missing`` is ``"raise"`` (the stored rows have no missing values).

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"y": ["no", "yes", "no", "yes"], "x": [0.1, 0.5, 0.2, 0.9]})
    >>> d, _ = rebuild_design("y ~ np.log(x)", rows, event="yes")
    >>> d.column_names, d.y.tolist()
    (['Intercept', 'np.log(x)'], [0, 1, 0, 1])
    """
    if safe:
        env = safe_eval_env(namespace)
    else:
        env = patsy.EvalEnvironment([{"np": np, "numpy": np, **(namespace or {})}])
    return build_design_with_rows(
        formula,
        rows,
        event=event,
        trials=trials,
        weights=weights,
        offset=offset,
        missing="raise",
        eval_env=env,
        family=family,
        reference=reference,
    )
