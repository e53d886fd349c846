"""Row blocks: per-row quantities of a posterior computed block by block, never draws x rows whole.

A posterior has ``S`` draws (4,000 by default) and the data ``n`` rows; one float64 array of
``S x n`` is 3.2 GB at n = 100,000 and 320 GB at n = 10 million. Everything per row and per
draw (pointwise log-likelihood, fitted probabilities, PSIS weights) is therefore computed on
blocks of rows, each block sized so that its ``rows x draws`` array stays below the
``block_bytes`` option (64 MiB; ``bl.options``, see :mod:`bayeslogit._options`), and reduced on the fly (a *map* over row blocks followed by a
concatenation or a sum).

The kernels take plain arrays (a block of ``X``, ``y``, ``trials``, and the draws ``B``) and
return arrays whose first axis is the block's rows, so the same functions could later be
handed to ``dask.array.map_blocks`` over a row-chunked ``X`` without a rewrite.

Written here rather than taken from a library: numpy has no blocked map/reduce, and Dask is
not a dependency; the functions are a few lines each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
from scipy.special import expit

from ._options import options

__all__ = [
    "block_rows",
    "row_slices",
    "map_rows",
    "reduce_rows",
    "linear_predictor",
    "eta_rows",
    "mean_prob_rows",
    "weighted_gram",
    "nbytes_text",
    "outcome_dtype",
    "one_blas_thread",
    "column_sd",
]

largest_block_cells = 0
"""The largest ``rows x draws`` block any kernel here has built (for the memory tests)."""


def block_rows(cells_per_row: int, *, block_bytes: int | None = None) -> int:
    """Rows per block so that ``rows * cells_per_row * 8`` bytes fit in ``block_bytes``
    (default: the ``block_bytes`` option, 64 MiB); at least one row."""
    budget = options["block_bytes"] if block_bytes is None else block_bytes
    return max(1, int(budget // (8 * max(1, int(cells_per_row)))))


def row_slices(n: int, rows: int) -> Iterator[slice]:
    """``slice(0, rows), slice(rows, 2 rows), ...`` covering ``range(n)``."""
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def _blocks_of(arrays: Sequence[np.ndarray | None], sl: slice) -> list:
    return [None if a is None else a[sl] for a in arrays]


def map_rows(
    fn: Callable[..., np.ndarray],
    arrays: Sequence[np.ndarray | None],
    *,
    cells_per_row: int,
    block_bytes: int | None = None,
) -> np.ndarray:
    """``fn`` on every row block of ``arrays`` (each sliced along axis 0), results concatenated.

    ``fn(*blocks)`` must return an array whose first axis is the block's rows. ``None``
    entries of ``arrays`` are passed through as ``None`` (e.g. no trials column).
    """
    n = next(a for a in arrays if a is not None).shape[0]
    parts = [fn(*_blocks_of(arrays, sl)) for sl in row_slices(n, block_rows(cells_per_row, block_bytes=block_bytes))]
    if not parts:
        return np.empty(0)
    return np.concatenate(parts, axis=0)


def reduce_rows(
    fn: Callable[..., np.ndarray],
    arrays: Sequence[np.ndarray | None],
    *,
    cells_per_row: int,
    block_bytes: int | None = None,
):
    """Sum over row blocks of ``fn(*blocks)`` (e.g. ``X_b' W_b X_b``): a blocked reduction."""
    n = next(a for a in arrays if a is not None).shape[0]
    total = None
    for sl in row_slices(n, block_rows(cells_per_row, block_bytes=block_bytes)):
        part = fn(*_blocks_of(arrays, sl))
        total = part if total is None else total + part
    return total


def _note(cells: int) -> None:
    global largest_block_cells
    if cells > largest_block_cells:
        largest_block_cells = cells


def linear_predictor(Xb: np.ndarray, beta: np.ndarray, offset_b: np.ndarray | None = None) -> np.ndarray:
    """The linear predictor of a row block, ``eta = Xb @ beta (+ offset_b)``: the one place
    every fit path, prediction and diagnostic adds the model's offset.

    ``beta`` is one coefficient vector ``(p,)`` (``eta`` has shape ``(rows,)``) or coefficients
    as columns ``(p, draws)`` (e.g. ``B.T`` for draws ``B`` of shape ``(draws, p)``; ``eta`` has
    shape ``(rows, draws)``). ``offset_b`` is the block's offset (``(rows,)``) or None.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [1.0, -1.0]])
    >>> linear_predictor(X, np.array([0.5, 1.0]), np.array([0.0, 3.0])).tolist()
    [2.5, 2.5]
    """
    eta = Xb @ beta
    if offset_b is not None:
        eta += offset_b[:, None] if eta.ndim == 2 else offset_b
    return eta


def eta_rows(design, rows, B: np.ndarray, G: list | None = None) -> np.ndarray:
    """The linear predictor of a block of a design's rows (a slice or index array) for every
    draw: :func:`linear_predictor` (``X[rows] @ B.T`` plus the rows' offset, if any), plus the
    group part ``sum_c values[i, c] * b[s, index[i], c]`` when the design has group terms
    (``design.groups``) and their draws ``G`` are given (one ``(draws, levels, k)`` array per
    term). Shape ``(rows, draws)``."""
    eta = linear_predictor(design.X[rows], B.T, _rows_of(getattr(design, "offset", None), rows))
    groups = getattr(design, "groups", None)
    if groups is not None and G is not None:
        eta += groups.eta_block(rows, G)
    _note(eta.size)
    return eta


def _rows_of(a: np.ndarray | None, rows):
    return None if a is None else a[rows]


def mean_prob_rows(design, rows, B: np.ndarray, G: list | None = None) -> np.ndarray:
    """Mean over the draws ``B`` (S, p) of ``P(y=1) = expit(eta)`` for a block of a design's rows,
    ``eta`` from :func:`eta_rows` (offset and group terms included): shape ``(rows,)``."""
    eta = eta_rows(design, rows, B, G)
    expit(eta, out=eta)
    return eta.mean(axis=1)


def weighted_gram(X: np.ndarray, w: np.ndarray, *, block_bytes: int | None = None) -> np.ndarray:
    """``X' diag(w) X`` by row blocks (no ``n x p`` temporary of the whole design)."""
    p = X.shape[1]

    def part(Xb, wb):
        return (Xb * wb[:, None]).T @ Xb

    out = reduce_rows(part, (X, w), cells_per_row=p, block_bytes=block_bytes)
    return np.zeros((p, p)) if out is None else out


def nbytes_text(nbytes: float) -> str:
    """``3.2 GB`` style text for a byte count (decimal units, like a file manager)."""
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= size:
            return f"{nbytes / size:.1f} {unit}"
    return f"{int(nbytes)} B"


def outcome_dtype(max_trials: int) -> np.dtype:
    """Smallest signed integer type holding counts up to ``max_trials`` (int8 for 0/1 outcomes)."""
    for dt in (np.int8, np.int16, np.int32):
        if max_trials <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


def one_blas_thread():
    """A context in which BLAS/LAPACK use one thread: for loops over small row blocks (and
    for our own threads sharing blocks), where a BLAS thread pool competing with them and with
    other processes ran 10-30x slower on 2 shared cores. Uses ``threadpoolctl`` when installed
    (it comes with scikit-learn); otherwise leaves BLAS as it is."""
    import contextlib

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


def column_sd(X: np.ndarray, ddof: int = 0) -> np.ndarray:
    """``X.std(axis=0, ddof=ddof)`` without its ``n x p`` temporary of deviations: exactly
    numpy's when ``X`` fits in one block (the ``block_bytes`` option), else two passes over row
    blocks (the means, then the squared deviations), as accurate as numpy's own two-pass
    formula. Zeros when there are no more than ``ddof`` rows (no spread to measure)."""
    n = X.shape[0]
    if n <= ddof:
        return np.zeros(X.shape[1])
    if X.nbytes <= options["block_bytes"]:
        return X.std(axis=0, ddof=ddof)
    mean = X.mean(axis=0)

    def part(Xb):
        d = Xb - mean
        return np.einsum("ij,ij->j", d, d)

    ss = reduce_rows(part, (X,), cells_per_row=X.shape[1])
    return np.sqrt(ss / (n - ddof))
