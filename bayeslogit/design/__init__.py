"""The design stage: a patsy formula over a DataFrame -> response vector and design matrix.

:func:`build_design` is the only place raw user data is read. It checks the response coding,
missing values, trials and the rank of the design, and keeps patsy's ``DesignInfo`` so that
new data can be encoded exactly like the training data (:meth:`Design.encode`).

One module per job:

- :mod:`.builder`: :class:`Design` and :func:`build_design`, which runs the steps below in order;
- :mod:`.response`: the response coded as 0/1 or as successes out of trials, frequency weights;
- :mod:`.offsets`: the formula's ``offset(...)`` terms and the ``offset=`` column or array;
- :mod:`.data_checks`: column types, missing values, numeric-looking text, unused categories;
- :mod:`.matrix_checks`: the design's size before it is built, then finiteness, magnitude, rank;
- :mod:`.group_terms`: ``(1 + x | g)`` terms as a level index per row and the varying values;
- :mod:`.rebuild`: :func:`rebuild_design`, a design built again from a model's stored rows;
- :mod:`.names`: the columns a formula reads and patsy's errors in words (shared by the above).

The size limits are options, read when a check runs: ``bl.options["max_levels"]`` and
``bl.options["max_columns"]`` (:mod:`bayeslogit._options`).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from .builder import Design, build_design
from .offsets import ARRAY_OFFSET
from .rebuild import rebuild_design

__all__ = ["Design", "build_design", "rebuild_design", "ARRAY_OFFSET", "MAX_MAGNITUDE"]

MAX_MAGNITUDE = 1e100
"""Design columns whose largest |value| is above this (or below its inverse, but not 0) are
rejected: their coefficients and the Hessian ``X'WX`` would leave floating-point range."""
