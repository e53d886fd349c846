"""What a posterior fit derives from its draws, kept once computed: :class:`PosteriorCache`.

The summary, the diagnostics, the report and the CLI ask for the same derived quantities
(the coefficient table, PSIS-LOO, the fitted probabilities...), and some of them cost a pass
over every draw and every row. A fit keeps them in one typed object, ``post._cache``, whose
methods compute what is missing. The draws of a fit do not change, so nothing here is ever
stale.

The per-draw log-likelihood totals (what power-scaling sensitivity needs) are the one
quantity two passes can give: LOO's pass over the rows, which has each row block's
log-likelihood in hand, and a pass of their own. Both run through :meth:`PosteriorCache.loglik_pass`,
with the same row blocks summed in the same order, so the totals are the same numbers
whichever runs first, and neither pass runs twice.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _blocks, _psis
from .._options import options

if TYPE_CHECKING:  # pragma: no cover
    from .posterior import PosteriorResults

__all__ = ["PosteriorCache", "pass_rows"]


def pass_rows(draws: int) -> int:
    """Rows per block of a log-likelihood pass over the rows (LOO's and the totals'): blocks of
    the size PSIS works on (``_psis``'s 2 MB), not the largest allowed (the ``block_bytes``
    option): the log-likelihood is then made and used while in cache, in memory the allocator
    reuses from block to block (500 rows x 4,000 draws: 0.015-0.03 s against 0.09-0.15 s as one
    16 MB block)."""
    return _blocks.block_rows(draws, block_bytes=min(options["block_bytes"], 8 * _psis.CACHE_CELLS))


@dataclass(eq=False)
class PosteriorCache:
    """The derived results of one posterior fit, each computed once, on first use.

    Attributes
    ----------
    coef_tables : dict of (float, str) -> DataFrame
        :meth:`PosteriorResults.coef_table` by ``(ci_prob, kind)``.
    loo_results : dict of tuple -> LooResult
        :func:`bayeslogit.interpret.loo.psis_loo` by ``(method, observations, seed)``.
    loglik_totals_by_draws : dict
        The total log-likelihood of every draw, shape ``(draws,)`` in ``draws()`` order, keyed by
        the draws kept per chain (``None``: all of them); see :meth:`loglik_totals`.
    fitted : (ndarray, str) or None
        The posterior-mean fitted probabilities and how they were computed
        (:func:`bayeslogit.check.diagnostics.fitted_probabilities`).
    separation : (str or None, list of str) or None
        The separation check at the posterior mean (the diagnostics').
    group_draws : list of ndarray or None
        Per group term, its effects' draws ``(draws, levels, k)`` (:meth:`group_effect_draws`).
    """

    _post: Callable[[], PosteriorResults | None] | None = field(repr=False)
    coef_tables: dict[tuple[float, str], pd.DataFrame] = field(default_factory=dict)
    loo_results: dict[tuple, Any] = field(default_factory=dict)
    loglik_totals_by_draws: dict[tuple[int, ...] | None, np.ndarray] = field(default_factory=dict)
    fitted: tuple[np.ndarray, str] | None = None
    separation: tuple[str | None, list[str]] | None = None
    group_draws: list[np.ndarray] | None = None

    def clear(self) -> None:
        """Forget everything computed (the next request computes it again)."""
        self.coef_tables.clear()
        self.loo_results.clear()
        self.loglik_totals_by_draws.clear()
        self.fitted = self.separation = self.group_draws = None

    @classmethod
    def of(cls, post: PosteriorResults) -> PosteriorCache:
        """An empty cache for ``post`` (held by a weak reference: no cycle keeps a fit alive)."""
        return cls(weakref.ref(post))

    @property
    def post(self) -> PosteriorResults:
        post = None if self._post is None else self._post()
        if post is None:  # pragma: no cover - the fit owns its cache
            raise ReferenceError("the posterior fit of this cache no longer exists")
        return post

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its fit, without the (weak) link back to it: see :meth:`bind`."""
        return {**self.__dict__, "_post": None}

    def bind(self, post: PosteriorResults) -> None:
        """Link an unpickled cache to its unpickled fit."""
        self._post = weakref.ref(post)

    def coef_table(self, ci_prob: float, kind: str = "eti") -> pd.DataFrame:
        """The coefficient table at ``ci_prob`` with ``kind`` intervals (a copy: callers may
        change it)."""
        key = (float(ci_prob), kind)
        if key not in self.coef_tables:
            self.coef_tables[key] = self.post._coef_table(*key)
        return self.coef_tables[key].copy()

    def loo(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The PSIS-LOO result stored under ``key``, computed by ``compute()`` if missing."""
        if key not in self.loo_results:
            self.loo_results[key] = compute()
        return self.loo_results[key]

    def group_effect_draws(self) -> list[np.ndarray] | None:
        """Per group term, its effects' draws; None without group terms."""
        from .groups import read_group_draws

        if self.group_draws is None:
            self.group_draws = read_group_draws(self.post)
        return self.group_draws

    def loglik_pass(
        self, B: np.ndarray | None = None, G: list[np.ndarray] | None = None, *, rows: np.ndarray | None = None
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """The pointwise log-likelihood, one row block at a time: yields ``(sl, ll)`` with ``ll``
        of shape ``(block rows, draws)`` for the rows ``sl`` (of ``rows``, when given, else of
        the data), in blocks of :func:`pass_rows`.

        ``B`` (and ``G``, the group effects' draws) default to the fit's own draws. A pass over
        every row of the fit's own draws also records their per-draw totals
        (:meth:`loglik_totals`) when they are not known yet, once the pass completes.
        """
        post = self.post
        d = post.design
        own = B is None
        if B is None:
            B, G = post.draws(), self.group_effect_draws()
        n = d.n_obs if rows is None else rows.size
        record = own and rows is None and None not in self.loglik_totals_by_draws
        totals = np.zeros(B.shape[0]) if record else None
        for sl in _blocks.row_slices(n, pass_rows(B.shape[0])):
            ll = d.response_family.loglik_rows(d, sl if rows is None else rows[sl], B, G)
            if totals is not None:
                totals += ll.sum(axis=0)
            yield sl, ll
        if totals is not None:
            self.loglik_totals_by_draws[None] = totals

    def loglik_totals(self, keep: np.ndarray | None = None) -> np.ndarray:
        """The total log-likelihood of every draw (over all rows), shape ``(draws,)`` in
        ``draws()`` order: what power-scaling the likelihood needs, without a draws x rows array.

        ``keep``: the draws of each chain to use (indices into the draws of a chain, the same
        for every chain); ``None``: all. Computed by one :meth:`loglik_pass` (or taken from LOO's
        pass, which records the totals of all draws), and kept.
        """
        post = self.post
        C, D = post.n_chains, post.n_draws
        if keep is not None and np.array_equal(keep, np.arange(D)):
            keep = None
        if keep is None:
            if None not in self.loglik_totals_by_draws:
                for _ in self.loglik_pass():  # a pass of the fit's own draws records their totals
                    pass
            return self.loglik_totals_by_draws[None]
        key = tuple(int(i) for i in keep)
        if key not in self.loglik_totals_by_draws:
            S = C * len(key)
            B = post.draws().reshape(C, D, -1)[:, keep].reshape(S, -1)
            G = self.group_effect_draws()
            if G is not None:
                G = [g.reshape(C, D, *g.shape[1:])[:, keep].reshape(S, *g.shape[1:]) for g in G]
            totals = np.zeros(S)
            for _, ll in self.loglik_pass(B, G):
                totals += ll.sum(axis=0)
            self.loglik_totals_by_draws[key] = totals
        return self.loglik_totals_by_draws[key]
