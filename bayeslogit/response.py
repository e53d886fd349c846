"""Response families: what the likelihood of the outcome is, one class per family.

A response family owns the math of its outcome: the per-row log-likelihood (used by Newton,
the penalized MAP, LOO and cross-validation), the mean and the IRLS weight of a row (the
gradient and Hessian blocks of the log-likelihood in the linear predictor ``eta``), the trials
vector the compiled sampler's binomial kernel takes, the PyMC likelihood, the predictive draw
(replicated outcomes), the response mean ``ybar`` (the regularized horseshoe's pseudo-sd) and
the words the summary and the report use for it. The fitters ask the family; they do not test
``trials is None``.

- :class:`Bernoulli`: 0/1 outcomes, one trial per row.
- :class:`Binomial`: counts of successes out of ``trials`` per row (aggregated data, or
  frequency weights folded in).

Both use the logit link (``p = expit(eta)``). A family holding per-row data (the trials)
gives the family of a subset of rows by :meth:`ResponseFamily.take`. New families (multinomial,
ordinal) are new subclasses.

:func:`response_family` gives the family of a design; :func:`as_response` turns the
``trials`` argument the fitters have always taken (None or an array) into a family.

Examples
--------
>>> import numpy as np
>>> fam = Binomial(np.array([3, 5]))
>>> fam.name, fam.label
('binomial', 'Binomial')
>>> fam.mean(np.zeros(2)).tolist()
[1.5, 2.5]
>>> Bernoulli().loglik(np.zeros(2), np.array([0.0, 1.0])).round(4).tolist()
[-0.6931, -0.6931]

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit

from . import _blocks, _numerics

__all__ = ["ResponseFamily", "Bernoulli", "Binomial", "response_family", "as_response"]


class ResponseFamily:
    """The interface of a response family (every method is abstract here).

    Attributes
    ----------
    name : str
        Lower-case name (``Design.family`` today): ``"bernoulli"``, ``"binomial"``.
    label : str
        The name as the report writes it (``"Bernoulli"``).
    summary_label : str
        The model line of the point-estimate summary (``"Logit"``, ``"Binomial (logit)"``).
    rate_label : str
        What the report calls the observed outcome per row (``"events"``, ``"observed rate"``).
    binary : bool
        One 0/1 outcome per row (calibration plots, AUC and the event coding apply).
    trials : ndarray or None
        Trials per row, where the family has them.
    """

    name: str = ""
    label: str = ""
    summary_label: str = ""
    rate_label: str = ""
    binary: bool = False
    trials: np.ndarray | None = None

    def take(self, rows) -> ResponseFamily:
        """The family of a subset of the rows (a slice or an index array)."""
        raise NotImplementedError

    def loglik(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Pointwise log-likelihood, broadcasting ``eta`` (..., n) against ``y`` (n,)."""
        raise NotImplementedError

    def loglik_draws(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Pointwise log-likelihood of ``eta`` of shape ``(rows, draws)`` (overwritten and
        returned: the by-row-block form LOO and prior sensitivity use)."""
        raise NotImplementedError

    def loglik_draws_total(self, eta: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Per draw, the log-likelihood summed over the rows of ``eta`` ``(rows, draws)``
        (the dask Laplace path's per-partition totals); families override it with BLAS sums."""
        return self.loglik_draws(eta, y).sum(axis=0)

    def mean(self, eta: np.ndarray) -> np.ndarray:
        """Expected outcome of each row (the score is ``X' (y - mean)``)."""
        raise NotImplementedError

    def mean_weight(self, eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, weight)``: the mean and the IRLS weight (``-d2 loglik / d eta2``) per row."""
        raise NotImplementedError

    def weight(self, eta: np.ndarray) -> np.ndarray:
        """The IRLS weight per row (the negative Hessian is ``X' diag(weight) X``)."""
        raise NotImplementedError

    def kernel_trials(self, n: int) -> np.ndarray:
        """The float trials vector the compiled sampler's binomial kernel takes (``n`` rows)."""
        raise NotImplementedError

    def mean_response(self, y: np.ndarray) -> float:
        """The response mean ``ybar``: the event rate per trial."""
        raise NotImplementedError

    def stratum(self, y: np.ndarray) -> np.ndarray:
        """Boolean per row: the outcome class cross-validation folds are stratified by."""
        raise NotImplementedError

    def pymc_likelihood(self, pm, eta, observed) -> Any:
        """Add the observed outcome ``"y"`` (dims ``obs``) to the PyMC model in context."""
        raise NotImplementedError

    def constant_data(self) -> dict[str, np.ndarray]:
        """What an ArviZ ``constant_data`` group holds for this family besides ``X``."""
        raise NotImplementedError

    def outcome_dtype(self) -> np.dtype:
        """The smallest integer type holding every replicated outcome."""
        raise NotImplementedError

    def draw(self, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Replicated outcomes of a block of rows: ``p`` (rows, draws) probabilities -> (draws, rows)."""
        raise NotImplementedError

    def loglik_rows(self, design, rows, B: np.ndarray, G: list | None = None) -> np.ndarray:
        """Pointwise log-likelihood of a block of a design's rows (a slice or index array) for every
        draw, shape ``(rows, draws)``: :meth:`loglik_draws` of the linear predictor
        :func:`bayeslogit._blocks.eta_rows` (offset and group effects ``G`` included). The one
        per-row, per-draw log-likelihood of the package (LOO, prior sensitivity, the report)."""
        return self.take(rows).loglik_draws(_blocks.eta_rows(design, rows, B, G), design.y[rows])

    def replicate(self, rows, B: np.ndarray, rng: np.random.Generator, G: list | None = None) -> np.ndarray:
        """Simulated outcomes for every draw (rows of ``B``) and every row of ``rows`` (a design,
        or any object with its ``X``, ``offset`` and ``groups``), shape ``(draws, rows)``, in
        :meth:`outcome_dtype`. The probabilities are made by row blocks of at most
        the ``block_bytes`` option (:mod:`bayeslogit._options`) (``eta`` from :func:`bayeslogit._blocks.eta_rows`,
        offset and group effects ``G`` included); the same ``rng`` state and shapes give the
        same outcomes."""
        S, n = B.shape[0], rows.X.shape[0]
        out = np.empty((S, n), dtype=self.outcome_dtype())
        for sl in _blocks.row_slices(n, _blocks.block_rows(S)):
            eta = _blocks.eta_rows(rows, sl, B, G)  # (b, S)
            expit(eta, out=eta)
            out[:, sl] = self.take(sl).draw(eta, rng)
        return out


class Bernoulli(ResponseFamily):
    """0/1 outcomes with ``P(y = 1) = expit(eta)``.

    Examples
    --------
    >>> import numpy as np
    >>> Bernoulli().mean_weight(np.zeros(1))
    (array([0.5]), array([0.25]))
    """

    name = "bernoulli"
    label = "Bernoulli"
    summary_label = "Logit"
    rate_label = "events"
    binary = True

    def __repr__(self) -> str:
        return "Bernoulli()"

    def take(self, rows) -> Bernoulli:
        return self

    def loglik(self, eta, y):
        return _numerics.bernoulli_loglik(eta, y)

    def loglik_draws(self, eta, y):
        yc = np.asarray(y, dtype=float)[:, None]
        out = _numerics.softplus(eta)
        np.subtract(yc * eta, out, out=out)
        return out

    def loglik_draws_total(self, eta, y):
        return np.asarray(y, dtype=float) @ eta - np.ones(eta.shape[0]) @ _numerics.softplus(eta)

    def mean(self, eta):
        return _numerics.inv_logit(eta)

    def mean_weight(self, eta):
        p = _numerics.inv_logit(eta)
        return p, p * (1.0 - p)

    def weight(self, eta):
        p = _numerics.inv_logit(eta)
        return p * (1.0 - p)

    def kernel_trials(self, n):
        return np.ones(n)

    def mean_response(self, y):
        return float(np.sum(y) / len(y))

    def stratum(self, y):
        return y > 0

    def pymc_likelihood(self, pm, eta, observed):
        return pm.Bernoulli("y", logit_p=eta, observed=observed, dims="obs")

    def constant_data(self):
        return {}

    def outcome_dtype(self):
        return _blocks.outcome_dtype(1)

    def draw(self, p, rng):
        return (rng.random(p.shape) < p).T


class Binomial(ResponseFamily):
    """Successes out of ``trials`` per row, each trial with ``P = expit(eta)``.

    The log-likelihood includes the log binomial coefficient, so it matches PyMC's
    ``Binomial.logp``.

    Parameters
    ----------
    trials : array of int or float
        Trials per row (>= 1).

    Examples
    --------
    >>> import numpy as np
    >>> fam = Binomial(np.array([2, 4]))
    >>> fam.take([1]).trials.tolist(), fam.mean_response(np.array([1, 3]))
    ([4], 0.6666666666666666)
    """

    name = "binomial"
    label = "Binomial"
    summary_label = "Binomial (logit)"
    rate_label = "observed rate"
    trials: np.ndarray
    #: True for non-integer ``weights=`` of 0/1 rows (``trials`` = the weights, ``y`` =
    #: weight x outcome): each row's log-likelihood multiplied by its weight, and a replicated
    #: row is its weight times a 0/1 draw.
    likelihood_weights: bool

    def __init__(self, trials: np.ndarray, likelihood_weights: bool | None = None):
        self.trials = np.asarray(trials)
        if likelihood_weights is None:  # of all rows: a block of whole-number weights keeps it
            t = self.trials
            likelihood_weights = t.dtype.kind == "f" and bool(np.any(t != np.round(t)))
        self.likelihood_weights = likelihood_weights

    def __repr__(self) -> str:
        return f"Binomial(<{self.trials.size} rows of trials>)"

    def take(self, rows) -> Binomial:
        return Binomial(self.trials[rows], self.likelihood_weights)

    def loglik(self, eta, y):
        return _numerics.binomial_loglik(eta, y, self.trials)

    def loglik_draws(self, eta, y):
        yc = np.asarray(y, dtype=float)[:, None]
        m = np.asarray(self.trials, dtype=float)
        const = _numerics.log_binomial_coefficient(m, y)
        out = _numerics.softplus(eta)
        out *= m[:, None]
        np.subtract(yc * eta, out, out=out)
        out += const[:, None]
        return out

    def loglik_draws_total(self, eta, y):
        m = np.asarray(self.trials, dtype=float)
        const = float(np.sum(_numerics.log_binomial_coefficient(m, y)))
        return np.asarray(y, dtype=float) @ eta - m @ _numerics.softplus(eta) + const

    def mean(self, eta):
        return self.trials * _numerics.inv_logit(eta)

    def mean_weight(self, eta):
        mu = self.trials * _numerics.inv_logit(eta)
        return mu, mu * (1.0 - _numerics.inv_logit(eta))

    def weight(self, eta):
        p = _numerics.inv_logit(eta)
        return self.trials * p * (1.0 - p)

    def kernel_trials(self, n):
        return np.asarray(self.trials, dtype=float)

    def mean_response(self, y):
        return float(np.sum(y) / np.sum(self.trials))

    def stratum(self, y):
        return y / self.trials >= 0.5

    def pymc_likelihood(self, pm, eta, observed):
        n = pm.Data("trials", self.trials, dims="obs")
        if self.likelihood_weights:  # a weighted log-likelihood, no Binomial of non-integer counts
            import pytensor.tensor as pt

            return pm.Potential("y_loglik", pt.sum(observed * eta - n * pt.softplus(eta)))
        return pm.Binomial("y", n=n, logit_p=eta, observed=observed, dims="obs")

    def constant_data(self):
        return {"trials": self.trials}

    def outcome_dtype(self):
        if self.likelihood_weights:
            return np.dtype(np.float64)
        return _blocks.outcome_dtype(int(np.max(self.trials, initial=1)))

    def draw(self, p, rng):
        if self.likelihood_weights:  # a replicated weighted 0/1 row: its weight times a 0/1 draw
            t = np.asarray(self.trials, dtype=float)
            return (rng.random(p.T.shape) < p.T) * t
        return rng.binomial(np.asarray(self.trials, dtype=np.int64)[:, None], p).T


def as_response(trials: ResponseFamily | np.ndarray | None) -> ResponseFamily:
    """The response family of the ``trials`` argument the fitters take: a family as it is,
    None as :class:`Bernoulli`, an array as :class:`Binomial` with those trials.

    Examples
    --------
    >>> as_response(None)
    Bernoulli()
    """
    if isinstance(trials, ResponseFamily):
        return trials
    return Bernoulli() if trials is None else Binomial(trials)


def response_family(design) -> ResponseFamily:
    """The response family of a design: the family it carries (an attribute
    ``response_family``, or ``response`` once that names the family rather than the response
    column), else the one its ``trials`` give.

    Examples
    --------
    >>> import pandas as pd
    >>> from bayeslogit.design import build_design
    >>> response_family(build_design("y ~ x", pd.DataFrame({"y": [0, 1, 1], "x": [0.0, 1.0, 2.0]})))
    Bernoulli()
    """
    for attr in ("response_family", "response"):
        fam = getattr(design, attr, None)
        if isinstance(fam, ResponseFamily):
            return fam
    return as_response(design.trials)
