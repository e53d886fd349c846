"""Categorical response families: multinomial (softmax) and ordinal (cumulative logit).

Each family owns its math, as :mod:`bayeslogit.response`'s binary families do: the parameter
layout and labels, the outcome probabilities of a block of rows, the log-likelihood with its
analytic gradient and Hessian in the parameters (Newton's MLE and MAP), the per-outcome
average marginal effects, and the PyMC likelihood. The fitters ask the family
(:attr:`ResponseFamily.categorical`) and never test its name.

- :class:`Multinomial`: ``K >= 3`` unordered outcomes, ``P(y = k) = softmax(eta)_k`` with
  ``eta_k = X beta_k + offset`` and the reference level's ``beta`` fixed at 0 (statsmodels'
  ``MNLogit``, ``nnet::multinom``, brms' ``categorical()``). With ``symmetric=True`` every
  level has its coefficients (scikit-learn's parameterization): identifiable only under a
  proper prior on the slopes (see :func:`bayeslogit.sklearn_prior`).
- :class:`Ordinal`: ``K >= 3`` ordered outcomes, proportional odds,
  ``P(y <= k) = expit(theta_k - X beta)`` with ordered cutpoints ``theta_1 < ... < theta_{K-1}``
  (``MASS::polr``, statsmodels' ``OrderedModel(distr="logit")``); the design's ``Intercept``
  column is not a coefficient (the cutpoints take its place).

The parameter vector ``theta`` of a multinomial model is outcome-major (the coefficients of
the first non-reference level, then the next...); of an ordinal model, the slopes then the
cutpoints.

Examples
--------
>>> import numpy as np
>>> fam = Multinomial(("a", "b", "c"))
>>> X = np.ones((2, 1))
>>> fam.probs(X, np.zeros(2)).round(4).tolist()
[[0.3333, 0.3333, 0.3333], [0.3333, 0.3333, 0.3333]]
>>> Ordinal(("lo", "mid", "hi")).cutpoint_names
['lo|mid', 'mid|hi']

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, log_softmax, softmax

from . import _blocks
from .response import ResponseFamily

__all__ = ["CategoricalFamily", "Multinomial", "Ordinal", "MAX_OUTCOMES"]

MAX_OUTCOMES = 50
"""More outcomes than this are refused (a response column of ids or free text, usually)."""


class CategoricalFamily(ResponseFamily):
    """The interface shared by :class:`Multinomial` and :class:`Ordinal`.

    Attributes
    ----------
    levels : tuple
        The outcome values, in the order of the probability columns.
    weights : ndarray or None
        A multiplier of each row's log-likelihood (frequency or likelihood weights).
    """

    categorical = True
    binary = False
    levels: tuple = ()
    weights: np.ndarray | None = None

    @property
    def n_outcomes(self) -> int:
        return len(self.levels)

    def n_params(self, p: int) -> int:
        """Length of the parameter vector for a design of ``p`` columns."""
        raise NotImplementedError

    def param_index(self, column_names: list[str]):
        """The labels of the parameter vector (a pandas Index or MultiIndex)."""
        raise NotImplementedError

    def start(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Starting values for Newton's method."""
        raise NotImplementedError

    def prior_blocks(self, p: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """How the coefficient priors (one per design column) apply to ``theta``: a list of
        ``(J, include)``, ``J`` a ``(p, n_params)`` matrix making a design-length coefficient
        vector ``J @ theta`` and ``include`` the columns whose prior counts in that block."""
        raise NotImplementedError

    def probs(self, X: np.ndarray, theta: np.ndarray, offset: np.ndarray | None = None) -> np.ndarray:
        """Outcome probabilities of the rows of ``X``, shape ``(n, K)``."""
        raise NotImplementedError

    def loglik_grad_hess(self, X, y, theta, offset=None, *, hessian: bool = True):
        """``(loglik, gradient, Hessian)`` of the (weighted) log-likelihood at ``theta``;
        ``loglik`` is ``-inf`` where ``theta`` is outside the parameter space."""
        raise NotImplementedError

    def separation_margins(self, X: np.ndarray, y: np.ndarray):
        """The margins of a direction ``d`` of the parameters, a sparse matrix ``M`` (one row
        per margin, one column per parameter): the log-likelihood of every row is
        non-decreasing along ``theta + t d`` (``t`` to infinity) iff ``M d >= 0``, and it then
        rises without bound unless ``M d = 0``. The data are separated (the MLE does not
        exist) iff some ``d`` has ``M d >= 0`` and ``M d != 0``
        (:mod:`bayeslogit.fit.categorical_separation`)."""
        raise NotImplementedError

    def margin_outcomes(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each row of :meth:`separation_margins`: the outcome of its data row and the
        outcome that a positive margin separates it from."""
        raise NotImplementedError

    def margin_weights(self, X, y, theta, offset=None) -> np.ndarray:
        """Positive multipliers ``a`` of the margins at ``theta`` with ``M' a`` the gradient of
        the (weighted) log-likelihood (``M``: :meth:`separation_margins`): the start of the
        one-pass certificate of no separation (:mod:`bayeslogit.fit.categorical_separation`)."""
        raise NotImplementedError

    def loglik_rows_theta(self, X, y, theta, offset=None) -> np.ndarray:
        """The (weighted) log-likelihood of each row at one ``theta``."""
        p = self.probs(X, theta, offset)
        with np.errstate(divide="ignore"):
            ll = np.log(p[np.arange(len(y)), y])
        return ll if self.weights is None else ll * self.weights

    def loglik_rows_draws(self, X, y, thetas, offset=None) -> np.ndarray:
        """The (weighted) log-likelihood of each row at each parameter vector (rows of
        ``thetas``), shape ``(rows, draws)``, ``-inf`` outside the parameter space; memory rows
        x draws x outcomes, so callers pass blocks (:mod:`bayeslogit._blocks`)."""
        raise NotImplementedError

    def _w(self, n: int) -> np.ndarray:
        return np.ones(n) if self.weights is None else np.asarray(self.weights, dtype=float)

    # the binary interface that does not apply
    def take(self, rows) -> CategoricalFamily:
        import copy

        fam = copy.copy(self)
        if self.weights is not None:
            fam.weights = self.weights[rows]
        return fam

    def mean_response(self, y: np.ndarray) -> float:
        """Share of rows not at the first outcome level (what a binary prior scale would use)."""
        return float(np.clip(np.mean(y != 0), 1e-6, 1 - 1e-6))

    def stratum(self, y: np.ndarray) -> np.ndarray:
        return np.asarray(y)

    def outcome_dtype(self) -> np.dtype:
        return _blocks.outcome_dtype(self.n_outcomes - 1)

    def constant_data(self) -> dict[str, np.ndarray]:
        return {}


class Multinomial(CategoricalFamily):
    """Unordered outcomes with softmax probabilities and a reference level.

    Parameters
    ----------
    levels : tuple
        The outcome values.
    reference : int
        Index of the baseline level (its coefficients are 0), default the first.
    weights : array, optional
        Row weights of the log-likelihood.
    symmetric : bool
        Every level gets coefficients (scikit-learn's parameterization), identifiable only
        under a proper prior on them.

    Examples
    --------
    >>> fam = Multinomial(("a", "b", "c"), reference=1)
    >>> [str(t) for t in fam.param_index(["Intercept", "x"])]
    ["('a', 'Intercept')", "('a', 'x')", "('c', 'Intercept')", "('c', 'x')"]
    """

    name = "multinomial"
    label = "Multinomial"
    summary_label = "Multinomial logit"
    rate_label = "outcome shares"

    def __init__(self, levels: tuple, reference: int = 0, weights=None, *, symmetric: bool = False):
        self.levels = tuple(levels)
        self.reference = int(reference)
        self.weights = None if weights is None else np.asarray(weights, dtype=float)
        self.symmetric = symmetric

    def __repr__(self) -> str:
        return f"Multinomial({len(self.levels)} outcomes, reference={self.levels[self.reference]!r})"

    def with_symmetric(self, symmetric: bool) -> Multinomial:
        return Multinomial(self.levels, self.reference, self.weights, symmetric=symmetric)

    @property
    def coef_outcomes(self) -> list[int]:
        """The outcome levels (indices) that have coefficients."""
        K = self.n_outcomes
        return list(range(K)) if self.symmetric else [k for k in range(K) if k != self.reference]

    def n_params(self, p):
        return p * len(self.coef_outcomes)

    def param_index(self, column_names):
        import pandas as pd

        return pd.MultiIndex.from_tuples(
            [(self.levels[k], c) for k in self.coef_outcomes for c in column_names], names=["outcome", "term"]
        )

    def coef_matrix(self, theta: np.ndarray, p: int) -> np.ndarray:
        """All K levels' coefficients, shape ``(p, K)`` (the reference's zero unless symmetric)."""
        B = np.zeros((p, self.n_outcomes))
        B[:, self.coef_outcomes] = np.asarray(theta, dtype=float).reshape(len(self.coef_outcomes), p).T
        return B

    def start(self, X, y):
        return np.zeros(self.n_params(X.shape[1]))

    def prior_blocks(self, p):
        m = len(self.coef_outcomes)
        out = []
        for a in range(m):  # each level's coefficients get the design columns' priors
            J = np.zeros((p, m * p))
            J[:, a * p : (a + 1) * p] = np.eye(p)
            out.append((J, np.arange(p)))
        return out

    def eta(self, X, theta, offset=None) -> np.ndarray:
        eta = X @ self.coef_matrix(theta, X.shape[1])
        if offset is not None:
            eta[:, self.coef_outcomes] += np.asarray(offset, dtype=float)[:, None]
        return eta

    def probs(self, X, theta, offset=None):
        return softmax(self.eta(X, theta, offset), axis=1)

    def loglik_rows_draws(self, X, y, thetas, offset=None):
        """``w_i log softmax(eta_i)_{y_i}`` per row and draw: one matrix product for all draws."""
        n, p = X.shape
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        S = thetas.shape[0]
        eta = np.zeros((self.n_outcomes, n, S))  # outcome first: the reductions over it are elementwise
        for a, k in enumerate(self.coef_outcomes):
            eta[k] = X @ thetas[:, a * p : (a + 1) * p].T
            if offset is not None:
                eta[k] += np.asarray(offset, dtype=float)[:, None]
        top = eta.max(axis=0)
        lse = top + np.log(np.exp(eta - top).sum(axis=0))
        idx = np.broadcast_to(np.asarray(y, dtype=np.int64)[None, :, None], (1, n, S))
        ll = np.take_along_axis(eta, idx, axis=0)[0] - lse
        return ll if self.weights is None else ll * self.weights[:, None]

    def loglik_grad_hess(self, X, y, theta, offset=None, *, hessian=True):
        n, p = X.shape
        eta = self.eta(X, theta, offset)
        logp = log_softmax(eta, axis=1)
        w = self._w(n)
        ll = float(w @ logp[np.arange(n), y])
        P = np.exp(logp)
        cols = self.coef_outcomes
        resid = -P[:, cols]
        resid[np.arange(n), :] += (y[:, None] == np.asarray(cols)[None, :]).astype(float)
        g = (X.T @ (w[:, None] * resid)).T.ravel()
        if not hessian:
            return ll, g, None
        m = len(cols)
        H = np.zeros((m * p, m * p))
        for a, j in enumerate(cols):
            for b, k in enumerate(cols[a:], start=a):
                d = w * P[:, j] * ((j == k) - P[:, k])
                block = -_blocks.weighted_gram(X, d)
                H[a * p : (a + 1) * p, b * p : (b + 1) * p] = block
                H[b * p : (b + 1) * p, a * p : (a + 1) * p] = block.T
        return ll, g, H

    def marginal_effects(self, X, theta, offset=None) -> np.ndarray:
        """Average over the rows (weighted) of ``dP(y = k) / dx_j``, shape ``(p, K)``:
        ``P_k (beta_k - sum_m P_m beta_m)`` (statsmodels' ``MNLogit.get_margeff()``)."""
        B = self.coef_matrix(theta, X.shape[1])
        P = self.probs(X, theta, offset)
        w = self._w(X.shape[0])
        w = w / w.sum()
        bbar = P @ B.T  # (n, p): sum_m P_m beta_m
        # mean_i P_ik (B[:, k] - bbar_i)
        return B * (w @ P)[None, :] - (w[:, None] * bbar).T @ P

    def separation_margins(self, X, y):
        """``x_i'(d_{y_i} - d_k)`` for every row ``i`` and every other outcome ``k`` (the
        reference level's ``d`` is 0): ``n (K - 1)`` margins. A positive one means outcome
        ``y_i`` gains on ``k`` along ``d`` at row ``i``; all non-negative, some positive, means
        some outcome pair is (quasi-)separated (Albert & Anderson 1984)."""
        import scipy.sparse as sp

        n, p = X.shape
        K, cols = self.n_outcomes, self.coef_outcomes
        block = np.full(K, -1)
        block[cols] = np.arange(len(cols))
        y = np.asarray(y, dtype=np.int64)
        data, indices, counts = [], [], []
        for k in range(K):  # rows i with y_i != k: + x_i in the block of y_i, - x_i in the block of k
            keep = np.flatnonzero(y != k)
            own = block[y[keep]]
            vals = np.hstack([X[keep], -X[keep]])  # (m, 2p), built in row order: CSR directly
            idx = np.hstack(
                [own[:, None] * p + np.arange(p), np.broadcast_to(block[k] * p + np.arange(p), (keep.size, p))]
            )
            mask = np.zeros((keep.size, 2 * p), dtype=bool)
            mask[:, :p] = (own >= 0)[:, None]
            mask[:, p:] = block[k] >= 0
            data.append(vals[mask])
            indices.append(idx[mask])
            counts.append(mask.sum(axis=1))
        indptr = np.concatenate([[0], np.cumsum(np.concatenate(counts))])
        return sp.csr_matrix(
            (np.concatenate(data), np.concatenate(indices), indptr), shape=(indptr.size - 1, self.n_params(p))
        )

    def margin_outcomes(self, y) -> tuple[np.ndarray, np.ndarray]:
        """For each row of :meth:`separation_margins`: the row's outcome and the outcome it is
        compared with."""
        y = np.asarray(y, dtype=np.int64)
        own, other = [], []
        for k in range(self.n_outcomes):
            keep = y != k
            own.append(y[keep])
            other.append(np.full(int(keep.sum()), k))
        return np.concatenate(own), np.concatenate(other)

    def margin_weights(self, X, y, theta, offset=None):
        """``w_i P(y = k | x_i)`` for the margin of row ``i`` against outcome ``k``: the
        gradient's row ``i`` is ``x_i (e_{y_i} - P_i) = sum_k P_ik x_i (e_{y_i} - e_k)``."""
        P = self.probs(X, theta, offset)
        w = self._w(X.shape[0])
        y = np.asarray(y, dtype=np.int64)
        return np.concatenate([(w * P[:, k])[y != k] for k in range(self.n_outcomes)])

    def pymc_theta(self, pm, start: np.ndarray):
        return pm.Flat("coefs", shape=start.size, initval=start)

    def pymc_likelihood(self, pm, pt, X, y, theta, offset=None):
        """Add the softmax likelihood of ``y`` to the PyMC model in context (row weights as a
        weighted log-likelihood potential)."""
        p = X.shape[1]
        m = len(self.coef_outcomes)
        eta = pt.dot(X, theta.reshape((m, p)).T)
        if offset is not None:
            eta = eta + pt.as_tensor(np.asarray(offset, dtype=float))[:, None]
        cols = []
        for k in range(self.n_outcomes):
            cols.append(
                pt.zeros((X.shape[0], 1)) if k not in self.coef_outcomes else eta[:, [self.coef_outcomes.index(k)]]
            )
        full = pt.concatenate(cols, axis=1)
        if self.weights is None:
            return pm.Categorical("y", logit_p=full, observed=y, dims="obs")
        logp = pm.logp(pm.Categorical.dist(logit_p=full), y)
        return pm.Potential("y_loglik", pt.sum(pt.as_tensor(self.weights) * logp))

    def draw(self, P: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One outcome index per row of the probabilities ``P`` (n, K)."""
        u = np.asarray(rng.random(P.shape[0]))
        return np.minimum((np.cumsum(P, axis=1) < u[:, None]).sum(axis=1), P.shape[1] - 1)


class Ordinal(CategoricalFamily):
    """Ordered outcomes, cumulative logit with proportional odds (``MASS::polr``).

    ``P(y <= k) = expit(theta_k - eta)``, ``eta = X beta + offset`` without the design's
    ``Intercept`` column: the ``K - 1`` ordered cutpoints take its place, named like
    ``MASS::polr``'s (``"Low|Medium"``).

    Parameters
    ----------
    levels : tuple
        The outcome values, lowest first.
    intercept : int or None
        Index of the design's ``Intercept`` column (left out of ``eta``).
    weights : array, optional
        Row weights of the log-likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> fam = Ordinal(("lo", "mid", "hi"))
    >>> fam.probs(np.zeros((1, 0)), np.array([0.0, 1.0])).round(4).tolist()
    [[0.5, 0.2311, 0.2689]]
    """

    name = "ordinal"
    label = "Ordinal"
    summary_label = "Ordinal logit (proportional odds)"
    rate_label = "outcome shares"

    def __init__(self, levels: tuple, intercept: int | None = None, weights=None):
        self.levels = tuple(levels)
        self.intercept = intercept
        self.weights = None if weights is None else np.asarray(weights, dtype=float)

    def __repr__(self) -> str:
        return f"Ordinal({len(self.levels)} outcomes)"

    @property
    def cutpoint_names(self) -> list[str]:
        return [f"{a}|{b}" for a, b in zip(self.levels[:-1], self.levels[1:], strict=True)]

    def slope_columns(self, p: int) -> np.ndarray:
        """The design columns that are coefficients (all but the ``Intercept``)."""
        return np.array([j for j in range(p) if j != self.intercept], dtype=int)

    def n_params(self, p):
        return len(self.slope_columns(p)) + self.n_outcomes - 1

    def param_index(self, column_names):
        import pandas as pd

        slopes = [column_names[j] for j in self.slope_columns(len(column_names))]
        return pd.Index(slopes + self.cutpoint_names, name="term")

    def prior_blocks(self, p):
        """The slopes get their columns' priors once; each cutpoint ``theta_k`` gets the
        ``Intercept``'s prior as the intercept ``-theta_k`` of the binary split ``y > k`` (at
        centred predictors when the intercept prior is centred)."""
        S = self.slope_columns(p)
        q, K = len(S), self.n_outcomes
        out = []
        for k in range(K - 1):
            J = np.zeros((p, q + K - 1))
            J[S, np.arange(q)] = 1.0
            J[self.intercept, q + k] = -1.0
            out.append((J, np.arange(p) if k == 0 else np.array([self.intercept])))
        return out

    def split(self, theta, p):
        q = len(self.slope_columns(p))
        return np.asarray(theta[:q], dtype=float), np.asarray(theta[q:], dtype=float)

    def start(self, X, y):
        counts = np.bincount(y, weights=self._w(len(y)), minlength=self.n_outcomes)
        cum = np.cumsum(counts)[:-1] / counts.sum()
        cut = np.log(cum) - np.log1p(-cum)
        return np.concatenate([np.zeros(len(self.slope_columns(X.shape[1]))), cut])

    def eta(self, X, theta, offset=None):
        beta, _ = self.split(theta, X.shape[1])
        eta = X[:, self.slope_columns(X.shape[1])] @ beta
        return eta if offset is None else eta + offset

    def probs(self, X, theta, offset=None):
        _, cut = self.split(theta, X.shape[1])
        eta = self.eta(X, theta, offset)
        cum = expit(cut[None, :] - eta[:, None])
        n = len(eta)
        cum = np.hstack([np.zeros((n, 1)), cum, np.ones((n, 1))])
        return np.diff(cum, axis=1)

    def loglik_rows_draws(self, X, y, thetas, offset=None):
        """``w_i log(F(cut_{y_i} - eta_i) - F(cut_{y_i - 1} - eta_i))`` per row and draw
        (``-inf`` for a draw whose cutpoints are out of order)."""
        thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
        S = thetas.shape[0]
        q = len(self.slope_columns(X.shape[1]))
        beta, cut = thetas[:, :q], thetas[:, q:]
        eta = X[:, self.slope_columns(X.shape[1])] @ beta.T  # (n, S)
        if offset is not None:
            eta = eta + np.asarray(offset, dtype=float)[:, None]
        ext = np.hstack([np.full((S, 1), -np.inf), cut, np.full((S, 1), np.inf)])
        y = np.asarray(y, dtype=np.int64)
        a, b = ext[:, y + 1].T - eta, ext[:, y].T - eta
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            D = np.where(b > 0, expit(-b) - expit(-a), expit(a) - expit(b))
            ll = np.where(D > 0, np.log(np.where(D > 0, D, 1.0)), -np.inf)
        ll[:, np.any(np.diff(cut, axis=1) <= 0, axis=1)] = -np.inf
        return ll if self.weights is None else ll * self.weights[:, None]

    def _bounds(self, cut, eta, y):
        """``a = theta_y - eta`` and ``b = theta_{y-1} - eta`` (+-inf at the ends)."""
        ext = np.concatenate([[-np.inf], cut, [np.inf]])
        return ext[y + 1] - eta, ext[y] - eta

    def loglik_grad_hess(self, X, y, theta, offset=None, *, hessian=True):
        n, p = X.shape
        S = self.slope_columns(p)
        Xs = X[:, S]
        q, K = len(S), self.n_outcomes
        beta, cut = self.split(theta, p)
        if np.any(np.diff(cut) <= 0):
            return -np.inf, None, None
        eta = self.eta(X, theta, offset)
        a, b = self._bounds(cut, eta, y)
        with np.errstate(over="ignore", invalid="ignore"):
            D = np.where(b > 0, expit(-b) - expit(-a), expit(a) - expit(b))
        if np.any(D <= 0):
            return -np.inf, None, None
        w = self._w(n)
        ll = float(w @ np.log(D))
        Fa, Fb = expit(a), expit(b)
        fa, fb = Fa * (1 - Fa), Fb * (1 - Fb)
        ga, gb = fa / D, fb / D  # l_a = ga, l_b = -gb
        up, lo = y, y - 1  # cutpoint indices of a and b (valid where 0 <= . < K - 1)
        has_up, has_lo = up < K - 1, lo >= 0
        g = np.zeros(q + K - 1)
        g[:q] = Xs.T @ (-(ga - gb) * w)
        g[q:] += np.bincount(up[has_up], weights=(w * ga)[has_up], minlength=K - 1)
        g[q:] -= np.bincount(lo[has_lo], weights=(w * gb)[has_lo], minlength=K - 1)
        if not hessian:
            return ll, g, None
        laa = w * (fa * (1 - 2 * Fa) / D - ga**2)
        lbb = w * (-fb * (1 - 2 * Fb) / D - gb**2)
        lab = w * ga * gb
        H = np.zeros((q + K - 1, q + K - 1))
        H[:q, :q] = _blocks.weighted_gram(Xs, laa + 2 * lab + lbb)
        cc = np.zeros((K - 1, K - 1))
        np.add.at(cc, (up[has_up], up[has_up]), laa[has_up])
        np.add.at(cc, (lo[has_lo], lo[has_lo]), lbb[has_lo])
        both = has_up & has_lo
        np.add.at(cc, (up[both], lo[both]), lab[both])
        np.add.at(cc, (lo[both], up[both]), lab[both])
        H[q:, q:] = cc
        cb = np.zeros((K - 1, q))
        np.add.at(cb, up[has_up], -((laa + lab)[has_up, None] * Xs[has_up]))
        np.add.at(cb, lo[has_lo], -((lab + lbb)[has_lo, None] * Xs[has_lo]))
        H[q:, :q] = cb
        H[:q, q:] = cb.T
        return ll, g, H

    def marginal_effects(self, X, theta, offset=None) -> np.ndarray:
        """Average over the rows (weighted) of ``dP(y = k) / dx_j`` for the slope columns,
        shape ``(q, K)``: ``-beta_j (f(theta_k - eta) - f(theta_{k-1} - eta))``."""
        beta, cut = self.split(theta, X.shape[1])
        eta = self.eta(X, theta, offset)
        F = expit(cut[None, :] - eta[:, None])
        f = np.hstack([np.zeros((len(eta), 1)), F * (1 - F), np.zeros((len(eta), 1))])
        dens = np.diff(f, axis=1)  # (n, K): f(theta_k - eta) - f(theta_{k-1} - eta)
        w = self._w(X.shape[0])
        return -np.outer(beta, (w / w.sum()) @ dens)

    def separation_margins(self, X, y):
        """For a row at outcome ``k``: ``d_cut_k - x_i'd_beta`` (its upper cutpoint moves away,
        when ``k`` is not the highest level) and ``x_i'd_beta - d_cut_{k-1}`` (its lower one,
        when ``k`` is not the lowest). The cutpoints stay ordered along ``d`` when every
        margin is non-negative, as every level has rows."""
        import scipy.sparse as sp

        n, p = X.shape
        K = self.n_outcomes
        Xs = X[:, self.slope_columns(p)]
        y = np.asarray(y, dtype=np.int64)
        up, lo = np.flatnonzero(y < K - 1), np.flatnonzero(y > 0)
        top = sp.hstack(
            [
                sp.csr_matrix(-Xs[up]),
                sp.csr_matrix((np.ones(up.size), (np.arange(up.size), y[up])), shape=(up.size, K - 1)),
            ]
        )
        bottom = sp.hstack(
            [
                sp.csr_matrix(Xs[lo]),
                sp.csr_matrix((-np.ones(lo.size), (np.arange(lo.size), y[lo] - 1)), shape=(lo.size, K - 1)),
            ]
        )
        return sp.vstack([top, bottom]).tocsr()

    def margin_outcomes(self, y) -> tuple[np.ndarray, np.ndarray]:
        """For each row of :meth:`separation_margins`: the row's outcome and the neighbouring
        outcome it is separated from when that margin is positive."""
        y = np.asarray(y, dtype=np.int64)
        up, lo = y[y < self.n_outcomes - 1], y[y > 0]
        return np.concatenate([up, lo]), np.concatenate([up + 1, lo - 1])

    def margin_weights(self, X, y, theta, offset=None):
        """``w_i f(a_i) / D_i`` for the upper margins and ``w_i f(b_i) / D_i`` for the lower
        ones (``a``, ``b`` the row's cutpoints minus ``eta``, ``D`` its probability): the
        gradient of the row's log-likelihood in those directions."""
        _, cut = self.split(theta, X.shape[1])
        eta = self.eta(X, theta, offset)
        y = np.asarray(y, dtype=np.int64)
        a, b = self._bounds(cut, eta, y)
        with np.errstate(over="ignore", invalid="ignore"):
            D = np.where(b > 0, expit(-b) - expit(-a), expit(a) - expit(b))
            Fa, Fb = expit(a), expit(b)
            ga, gb = Fa * (1 - Fa) / D, Fb * (1 - Fb) / D
        w = self._w(X.shape[0])
        K = self.n_outcomes
        return np.concatenate([(w * ga)[y < K - 1], (w * gb)[y > 0]])

    def pymc_theta(self, pm, start: np.ndarray):
        """The slopes (flat) and the cutpoints through PyMC's ordered transform (its Jacobian
        included), as one vector; the priors are added by the caller."""
        import pytensor.tensor as pt

        q = start.size - (self.n_outcomes - 1)
        cut = pm.Flat(
            "cutpoints_free",
            shape=self.n_outcomes - 1,
            transform=pm.distributions.transforms.ordered,
            initval=start[q:],
        )
        if q == 0:
            return cut
        return pt.concatenate([pm.Flat("slopes", shape=q, initval=start[:q]), cut])

    def pymc_likelihood(self, pm, pt, X, y, theta, offset=None):
        """Add the cumulative-logit likelihood of ``y`` to the PyMC model in context."""
        p = X.shape[1]
        S = self.slope_columns(p)
        q = len(S)
        eta = pt.dot(X[:, S], theta[:q]) if q else pt.zeros(X.shape[0])
        if offset is not None:
            eta = eta + pt.as_tensor(np.asarray(offset, dtype=float))
        if self.weights is None:
            return pm.OrderedLogistic("y", eta=eta, cutpoints=theta[q:], observed=y, dims="obs")
        logp = pm.logp(pm.OrderedLogistic.dist(eta=eta, cutpoints=theta[q:]), y)
        return pm.Potential("y_loglik", pt.sum(pt.as_tensor(self.weights) * logp))

    def draw(self, P: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = np.asarray(rng.random(P.shape[0]))
        return np.minimum((np.cumsum(P, axis=1) < u[:, None]).sum(axis=1), P.shape[1] - 1)


def categorical_family(design) -> Any:
    """The categorical family of a design, or None for a binary one."""
    fam = getattr(design, "categorical", None)
    return fam if isinstance(fam, CategoricalFamily) else None
