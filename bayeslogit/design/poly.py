"""R's ``poly(x, degree)``: orthogonal polynomials as a patsy stateful transform.

patsy has no ``poly``; R users write it. The basis is R's: the columns of the centred
Vandermonde matrix ``[1, x - mean, (x - mean)^2, ...]`` orthogonalised by QR (each column the
part of a power not explained by the lower ones), scaled to unit length, the constant dropped.
The training data fix the centring and the three-term recurrence coefficients (R's ``coefs``
attribute: ``alpha`` and ``norm2``), so new data are encoded with the training basis, as
``predict(poly_fit, newdata)`` does in R.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import numpy as np
import patsy

from ..errors import DesignError

__all__ = ["poly", "MAX_POLY_DEGREE"]

MAX_POLY_DEGREE = 20
"""The largest degree ``poly()`` accepts (as a formula read from a file may hold any number)."""


class Poly:
    """The stateful transform behind ``poly(x, degree)`` (see the module docstring)."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._degree = 1
        self.alpha: np.ndarray | None = None
        self.norm2: np.ndarray | None = None

    def memorize_chunk(self, x, degree=1, raw=False) -> None:
        self._degree = _check_degree(degree, raw)
        self._chunks.append(np.asarray(x, dtype=float).reshape(-1))

    def memorize_finish(self) -> None:
        x = np.concatenate(self._chunks)
        self._chunks = []
        degree = self._degree
        distinct = np.unique(x).size
        if distinct <= degree:
            raise DesignError(
                f"poly(x, {degree}) needs more than {degree} distinct values of x; the data have {distinct}"
            )
        xbar = x.mean()
        xc = x - xbar
        Q, R = np.linalg.qr(np.vander(xc, degree + 1, increasing=True))
        Z = Q * np.diag(R)  # the part of each power not explained by the lower ones (sign-free)
        norm2 = (Z**2).sum(axis=0)
        self.alpha = ((xc[:, None] * Z**2).sum(axis=0) / norm2 + xbar)[:degree]
        self.norm2 = np.concatenate([[1.0], norm2])

    def transform(self, x, degree=1, raw=False):
        degree = _check_degree(degree, raw)
        if self.alpha is None or self.norm2 is None or self.alpha.size != degree:
            raise DesignError("poly(): the basis was not fitted on training data")
        xv = np.asarray(x, dtype=float).reshape(-1)
        Z = np.ones((xv.size, degree + 1))
        Z[:, 1] = xv - self.alpha[0]
        for i in range(1, degree):  # R's three-term recurrence (predict.poly)
            Z[:, i + 1] = (xv - self.alpha[i]) * Z[:, i] - (self.norm2[i + 1] / self.norm2[i]) * Z[:, i - 1]
        Z = Z / np.sqrt(self.norm2[1:])
        return Z[:, 1:]


def _check_degree(degree, raw) -> int:
    if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or not 1 <= degree <= MAX_POLY_DEGREE:
        raise DesignError(f"poly(x, degree): degree must be a whole number from 1 to {MAX_POLY_DEGREE}, got {degree!r}")
    if raw is not False:
        raise DesignError("poly(x, raw=True) is not supported: write x + I(x**2) for raw powers")
    return int(degree)


poly = patsy.stateful_transform(Poly)
