"""Separation of a multinomial or ordinal response, detected exactly by a linear program.

The binary check (:mod:`bayeslogit.fit.separation`, Konis 2007) generalised through the
family's margins (:meth:`~bayeslogit.response_categorical.CategoricalFamily.separation_margins`):
a direction ``d`` of the parameters along which no row's log-likelihood falls has every margin
``M d >= 0``, and if some margin is positive the likelihood rises forever along it, so the MLE
does not exist (Albert & Anderson 1984 for the multinomial logit; for the cumulative logit,
a row at outcome ``k`` needs its upper cutpoint to move away from ``x'beta`` and its lower one
to stay below). The program finds the sparsest such direction with the margins summing to at
least 1 (feasible iff the data are separated); a second one asks whether every margin can be
strictly positive (complete separation) or only some (quasi-complete). A multinomial response
is separated when any outcome *pair* is: the margins are per row and per other outcome.

As for binary data, separation is a property of ``X`` and ``y`` alone (an offset shifts the
linear predictor and neither makes nor removes a direction; weights are positive, so they
change no margin's sign).
The margins are a sparse matrix with ``2 p`` entries per margin. The program takes about 10 s
at 400,000 margins (100,000 rows, 5 outcomes), so at an estimate (the MLE, a posterior mode)
a one-pass certificate of *no* separation is tried first (:func:`no_separation_certificate`,
the binary path's, through the family's margin weights); above :data:`LP_MAX_MARGINS`
margins an inconclusive certificate is not followed by the program.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _blocks

__all__ = [
    "CategoricalSeparation",
    "categorical_separation",
    "describe_separation",
    "no_separation_certificate",
    "improper_separation",
    "warn_if_improper",
    "CERTIFICATE_MIN_RATIO",
    "LP_MAX_MARGINS",
]

CERTIFICATE_MIN_RATIO = 1e-10
"""The certificate of no separation is tried only when every margin weight exceeds this
fraction of the largest (smaller ones are underflow of a diverging fit, not evidence)."""

LP_MAX_MARGINS = 2_000_000
"""Above this many margins (rows x (outcomes - 1) for a multinomial model, about 2 x rows for
an ordinal one) the linear program is not run, and the check says so."""


@dataclass(frozen=True)
class CategoricalSeparation:
    """Separated data: ``kind`` (``"complete"``, ``"quasi-complete"``, or ``"not checked"``
    above :data:`LP_MAX_MARGINS`), the recession ``direction`` of the parameters (None when not
    checked; for complete separation one with every margin positive, else the sparsest) and
    the outcome ``pairs`` that the sparsest direction separates (level indices, the first
    gaining on the second)."""

    kind: str
    direction: np.ndarray | None
    pairs: tuple[tuple[int, int], ...]


def no_separation_certificate(family, M, X: np.ndarray, y: np.ndarray, theta: np.ndarray, offset=None) -> float:
    """``max r`` over the margins (module docstring): below 1 proves that the data are not
    separated (below 0.9 is used, for rounding); ``inf`` if degenerate.

    Stiemke's lemma: no direction has ``M d >= 0, M d != 0`` iff some ``mu > 0`` has
    ``M' mu = 0``. The family's margin weights ``a > 0`` at ``theta`` have ``M' a = g``, the
    gradient; with ``u = (M' diag(a) M)^-1 g`` and ``r = M u``, ``mu = a (1 - r)`` has
    ``M' mu = 0`` exactly and is positive when every ``r < 1``. Near the MLE or a posterior
    mode ``g`` is small, and so is ``r``: one pass over the margins."""
    a = family.margin_weights(X, y, theta, offset)
    if a.size == 0:
        return 0.0
    # multipliers that underflow (fitted probabilities near 0: a diverging MLE) prove nothing in
    # floating point, so the certificate is only tried when they are all of a size to count
    if not np.all(np.isfinite(a)) or np.min(a) <= CERTIFICATE_MIN_RATIO * np.max(a):
        return float("inf")
    g = M.T @ a
    q = M.shape[1]
    G = np.zeros((q, q))
    for sl in _blocks.row_slices(M.shape[0], _blocks.block_rows(q)):  # dense blocks: one BLAS product each
        Mb = M[sl].toarray()
        G += Mb.T @ (a[sl, None] * Mb)
    try:
        u = np.linalg.solve(G, g)
    except np.linalg.LinAlgError:
        return float("inf")
    r = M @ u
    mu = a * (1 - r)
    resid = np.max(np.abs(M.T @ mu))  # 0 in exact arithmetic: check it, as rounding can hide a tail
    if not resid <= 1e-8 * float(abs(M).T @ np.abs(mu) @ np.ones(M.shape[1])) / M.shape[1]:
        return float("inf")
    return float(np.max(r))


def categorical_separation(
    family,
    X: np.ndarray,
    y: np.ndarray,
    theta: np.ndarray | None = None,
    offset: np.ndarray | None = None,
    *,
    fixed: np.ndarray | None = None,
) -> CategoricalSeparation | None:
    """None when the data are not separated, else what separates them (see the module
    docstring). With ``theta`` (the MLE or a posterior mode; ``offset`` the model's), the
    one-pass certificate of :func:`no_separation_certificate` is tried first and the linear
    program runs only when it is inconclusive. ``fixed`` (a matrix ``C``): only directions with
    ``C d = 0`` count (those along which the priors stay constant, :func:`improper_separation`).

    Examples
    --------
    >>> import numpy as np
    >>> from bayeslogit.response_categorical import Multinomial
    >>> X = np.column_stack([np.ones(6), [-2.0, -1.0, 0.0, 0.1, 1.0, 2.0]])
    >>> y = np.array([0, 0, 1, 1, 2, 2])
    >>> categorical_separation(Multinomial(("a", "b", "c")), X, y).kind
    'complete'
    >>> categorical_separation(Multinomial(("a", "b", "c")), X, np.array([0, 1, 2, 0, 1, 2])) is None
    True
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    fam, Xk, yk = family, X, np.asarray(y, dtype=np.int64)
    M = fam.separation_margins(Xk, yk).tocsr()
    m, q = M.shape
    if theta is not None:
        if no_separation_certificate(fam, M, Xk, yk, np.asarray(theta, dtype=float), offset) < 0.9:
            return None
    if m > LP_MAX_MARGINS:
        return CategoricalSeparation("not checked", None, ())
    M = M.tocsc()
    norms = np.sqrt(np.asarray(M.multiply(M).sum(axis=0)).ravel())
    norms = np.where(norms > 0, norms, 1.0)
    A = (M @ sp.diags(1.0 / norms)).tocsr()
    total = np.asarray(A.sum(axis=0)).ravel()
    # d = u - v (u, v >= 0), minimal L1: every margin A d >= 0, their sum >= 1
    A_ub = sp.vstack([sp.hstack([-A, A]), sp.csr_matrix(np.r_[-total, total][None, :])]).tocsr()
    b_ub = np.r_[np.zeros(m), -1.0]
    C = None if fixed is None or len(fixed) == 0 else np.asarray(fixed, dtype=float) / norms
    A_eq = None if C is None else np.hstack([C, -C])
    b_eq = None if C is None else np.zeros(C.shape[0])
    res = linprog(np.ones(2 * q), A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:
        return None
    d_scaled = res.x[:q] - res.x[q:]
    margins = A @ d_scaled
    own, other = fam.margin_outcomes(yk)
    pos = margins > 1e-9 * max(float(np.max(margins)), 1e-300)
    pairs = tuple(sorted({(int(a), int(b)) for a, b in zip(own[pos], other[pos], strict=True)}))
    # complete separation iff some direction makes every margin strictly positive
    strict = linprog(
        np.r_[np.zeros(q), -1.0],
        A_ub=sp.hstack([-A, sp.csr_matrix(np.ones((m, 1)))]).tocsr(),
        b_ub=np.zeros(m),
        A_eq=None if C is None else np.hstack([C, np.zeros((C.shape[0], 1))]),
        b_eq=b_eq,
        bounds=[(-1.0, 1.0)] * q + [(None, 1.0)],
        method="highs",
    )
    if strict.status == 0 and -strict.fun > 1e-9:  # its direction separates every row
        return CategoricalSeparation("complete", strict.x[:q] / norms, pairs)
    return CategoricalSeparation("quasi-complete", d_scaled / norms, pairs)


def describe_separation(sep: CategoricalSeparation, family, column_names: list[str]) -> str:
    """The separation in words: the kind, the outcome pairs and the parameters along which
    the likelihood keeps rising (``"quasi-complete separation of 'c' from 'a' along
    c:x1"``)."""
    if sep.kind == "not checked":
        return f"separation could not be ruled out (more than {LP_MAX_MARGINS:,} margins for the linear program)"
    levels = family.levels
    shown = ", ".join(f"{levels[a]!r} from {levels[b]!r}" for a, b in sep.pairs[:4])
    more = f" and {len(sep.pairs) - 4} more pairs" if len(sep.pairs) > 4 else ""
    labels = [":".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in family.param_index(column_names)]
    assert sep.direction is not None
    big = np.abs(sep.direction) > 1e-6 * np.max(np.abs(sep.direction))
    cols = [lab for lab, b in zip(labels, big, strict=True) if b]
    return f"{sep.kind} separation of {shown}{more} along {cols}"


def improper_separation(model) -> tuple[CategoricalSeparation | None, list[str]]:
    """Separation along directions that only improper (Flat) priors govern, which leaves the
    posterior improper: ``(separation or None, the Flat-prior columns)``.

    A direction ``d`` keeps the log prior constant iff every proper prior's quantity (a level's
    coefficient, an ordinal cutpoint's intercept, at centred predictors when the intercept's
    prior is centred: ``prior_blocks`` and ``centring_map``) stays put; if the likelihood does not
    fall along such a ``d`` either, the posterior's mass along it is infinite. None when no
    column has a Flat prior.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"x": [-2.0, -1.0, 0.0, 0.1, 1.0, 2.0], "y": list("aabbcc")})
    >>> flat = {"Intercept": bl.Flat(), "x": bl.Flat()}
    >>> improper_separation(bl.LogitModel("y ~ x", df, family="multinomial", priors=flat))[0].kind
    'complete'
    """
    d, priors = model.design, model.priors
    flat = list(priors.improper_columns)
    if not flat:
        return None, flat
    fam = d.response_family
    names = list(priors.priors)
    T = priors.centring_map()
    rows = []
    for J, include in fam.prior_blocks(d.n_coef):
        M = T @ J
        rows += [M[j] for j in include if not priors.priors[names[j]].improper]
    fixed = np.array(rows) if rows else None
    return categorical_separation(fam, d.X, d.y, fixed=fixed), flat


def warn_if_improper(model, *, stacklevel: int) -> None:
    """A :class:`~bayeslogit.SeparationWarning` when Flat priors leave the posterior improper
    (:func:`improper_separation`), as the binary path warns before sampling."""
    import warnings

    from ..errors import SeparationWarning

    sep, flat = improper_separation(model)
    if sep is None:
        return
    d = model.design
    what = describe_separation(sep, d.response_family, d.column_names)
    warnings.warn(
        f"{what}, among the columns with a Flat prior {flat}: the posterior is improper and the draws "
        "will drift off to infinity; give those columns a proper prior such as bl.Normal(0, 2.5)",
        SeparationWarning,
        stacklevel=stacklevel + 1,
    )
