"""User-tunable limits: ``bl.options`` and ``bl.option_context`` (ArviZ's ``rcParams``,
scikit-learn's ``config_context``).

The limits below bound memory and time on large data. They are read where they apply, at
the moment they apply, so a change takes effect on the next call; every value is checked when
it is set (an unknown name or a bad value is an :class:`~bayeslogit.ArgumentError` naming the
option and what it accepts). The options are one set for the whole process, not one per
thread, as ArviZ's ``rcParams`` are.

- ``max_levels`` (1,000): levels of one factor above which the design is refused;
- ``max_columns`` (2,000): columns of the design above which it is refused;
- ``block_bytes`` (64 MiB): the largest ``rows x draws`` float64 block held at once;
- ``loo_exact_max_cells`` (40,000,000): rows x draws up to which PSIS-LOO is exact
  (subsampled above);
- ``fitted_max_cells`` (100,000,000): rows x draws above which the fitted probabilities and
  power-scaling run on evenly spaced draws;
- ``log_likelihood_warn_bytes`` (1 GiB): a materialised log-likelihood above this warns first;
- ``predictive_warn_bytes`` (1 GiB): prior predictive outcomes above this warn first;
- ``max_patterns`` (1,000,000): distinct rows of a dask DataFrame's design collected to memory
  at most (``LogitModel.compress()``, the dask fits' separation check).

``options.describe(name)`` says more about each.

Examples
--------
>>> import bayeslogit as bl
>>> bl.options["max_levels"]
1000
>>> with bl.option_context(max_levels=5000):
...     bl.options["max_levels"]
5000
>>> bl.options["max_levels"]
1000
>>> bl.options["max_levels"] = 0
Traceback (most recent call last):
...
bayeslogit.errors.ArgumentError: option 'max_levels' must be an integer >= 1, got 0
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ._validation import check_int
from .errors import ArgumentError

__all__ = ["Options", "options", "option_context"]


@dataclass(frozen=True)
class _Option:
    default: int
    low: int
    doc: str


_DECLARED: dict[str, _Option] = {
    "max_levels": _Option(
        1_000,
        1,
        "A factor with more levels than this is refused before the design is built (one dense "
        "column per level); use a group term (1 | g) instead, or raise it.",
    ),
    "max_columns": _Option(2_000, 1, "A design with more columns than this is refused before any n x p array is made."),
    "block_bytes": _Option(
        64 * 2**20,
        1,
        "Bytes of the largest rows x draws float64 block any per-row, per-draw computation holds "
        "at once (log-likelihood, fitted probabilities, predictive draws).",
    ),
    "loo_exact_max_cells": _Option(
        40_000_000,
        0,
        "PSIS-LOO is exact up to this many rows x draws and subsampled (LOO_SUBSAMPLE rows) above.",
    ),
    "fitted_max_cells": _Option(
        100_000_000,
        1,
        "Above this many rows x draws, the fitted probabilities and power-scaling sensitivity "
        "run on evenly spaced draws, and say so.",
    ),
    "log_likelihood_warn_bytes": _Option(
        2**30, 0, "Materialising the pointwise log-likelihood above this many bytes warns first."
    ),
    "predictive_warn_bytes": _Option(
        2**30, 0, "Simulating prior predictive outcomes above this many bytes warns with the size first."
    ),
    "max_patterns": _Option(
        1_000_000,
        1,
        "Rows of a dask DataFrame are compressed to their distinct patterns (and collected to memory) "
        "only up to this many patterns: model.compress() refuses above it, and a dask fit that looks "
        "separated is then not checked (it warns).",
    ),
    "load_max_bytes": _Option(
        8 * 2**30,
        1,
        "bl.load refuses a file whose declared arrays (uncompressed) and rebuilt design need more "
        "bytes than this, before reading any of them.",
    ),
}


class Options(Mapping):
    """bayeslogit's options: read ``options[name]``, set ``options[name] = value`` (checked).

    A mapping of option name to value; :func:`option_context` sets some for a ``with`` block.
    ``options.reset()`` restores the defaults (``options.reset("max_levels")`` one of them);
    ``options.describe(name)`` says what an option bounds.
    """

    def __init__(self) -> None:
        self._values = {name: opt.default for name, opt in _DECLARED.items()}

    @staticmethod
    def _known(name) -> _Option:
        if name not in _DECLARED:
            raise ArgumentError(f"unknown option {name!r}; the options are {', '.join(map(repr, sorted(_DECLARED)))}")
        return _DECLARED[name]

    def __getitem__(self, name: str) -> int:
        if name not in self._values:
            self._known(name)  # raises, naming the options
        return self._values[name]

    def __contains__(self, name) -> bool:
        return name in self._values

    def get(self, name, default=None):
        return self._values.get(name, default)

    def __setitem__(self, name: str, value) -> None:
        self._values[name] = self._checked(name, value)

    def _checked(self, name, value) -> int:
        return check_int(f"option {name!r}", value, low=self._known(name).low)

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def update(self, values: Mapping | None = None, /, **kwargs) -> None:
        """Set several options, all checked before any is set."""
        new = {**(values or {}), **kwargs}
        checked = {name: self._checked(name, value) for name, value in new.items()}
        self._values.update(checked)

    def reset(self, name: str | None = None) -> None:
        """Restore the default of ``name``, or of every option."""
        names = list(_DECLARED) if name is None else [name]
        for n in names:
            self._values[n] = self._known(n).default

    def default(self, name: str) -> int:
        """The default value of ``name``."""
        return self._known(name).default

    def describe(self, name: str) -> str:
        """What the option bounds, in one or two sentences."""
        return self._known(name).doc

    def __repr__(self) -> str:
        width = max(map(len, self._values))
        lines = [f"  {name:<{width}} = {value:,}" for name, value in self._values.items()]
        return "bayeslogit options:\n" + "\n".join(lines)


options = Options()
"""The process's options (see the module docstring for the list)."""


@contextlib.contextmanager
def option_context(**values) -> Iterator[Options]:
    """Set options for a ``with`` block; the previous values come back when it ends (also on an
    exception). Every value is checked before any is set.

    Examples
    --------
    >>> import bayeslogit as bl
    >>> with bl.option_context(max_levels=5000, max_columns=8000):
    ...     bl.options["max_columns"]
    8000
    """
    before = {name: options[name] for name in values if name in options}
    options.update(values)
    try:
        yield options
    finally:
        options._values.update(before)
