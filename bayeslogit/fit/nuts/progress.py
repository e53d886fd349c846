"""Progress of ``sampler="bayeslogit"``: draws done, divergences so far, time left.

``progressbar=True`` shows a ``rich`` bar on stderr, which renders in terminals and in Jupyter
(as PyMC's does); a callable receives a :class:`ProgressInfo` at every update instead (tests,
GUIs); ``False`` shows nothing.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ProgressInfo:
    """One progress update: iterations done and due over all chains (warm-up included),
    divergent transitions among the kept draws so far, and seconds since sampling started."""

    done: int
    total: int
    divergences: int
    elapsed: float


ProgressSpec = bool | Callable[[ProgressInfo], None]


class Progress:
    """Context manager fed by the sampler's driver with :meth:`update`."""

    def __init__(self, spec: ProgressSpec, *, total: int, description: str) -> None:
        self.spec, self.total, self.description = spec, total, description
        self.t0 = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.spec is True:
            print(self.description, file=sys.stderr, flush=True)
            try:
                from rich.console import Console
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
                from rich.progress import Progress as RichProgress
            except ImportError:  # pragma: no cover - rich comes with PyMC
                return self
            self._bar = RichProgress(
                TextColumn("Sampling"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[div]} divergences"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("sampling", total=self.total, div=0)
        return self

    def update(self, done: int, divergences: int) -> None:
        if callable(self.spec) and self.spec is not True:
            self.spec(ProgressInfo(int(done), self.total, int(divergences), time.perf_counter() - self.t0))
        elif self._bar is not None:
            self._bar.update(self._task, completed=int(done), div=int(divergences))

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)
