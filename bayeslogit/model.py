"""The model specification: formula + data + priors. Fitting it returns a results object."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import patsy

from .design import Design, build_design
from .errors import SamplerError
from .priors import PriorSpec, ResolvedPriors, resolve_priors

if TYPE_CHECKING:  # pragma: no cover
    from .point import MAPResults, MLEResults
    from .results import PosteriorResults

__all__ = ["LogitModel"]


class LogitModel:
    """Bayesian logistic regression specified by a patsy formula over a DataFrame.

    Parameters
    ----------
    formula : str
        Patsy formula, e.g. ``"y ~ x1 + C(group) + x1:x2"``. The response is 0/1, boolean,
        or a two-level string/categorical column (see ``event``); with ``trials`` it is the
        number of successes.
    data : pandas.DataFrame
        The data.
    priors : Prior or dict, optional
        Coefficient priors. ``None`` (default): rstanarm-style weakly-informative priors,
        ``Normal(0, 2.5/sd(x))`` on slopes and ``Normal(0, 2.5)`` on the intercept at centred
        predictors. One prior (``bl.Normal(0, 1)``): for every slope. A dict keyed by design
        column or term name (``{"x1": bl.Normal(0, 1), "Intercept": bl.Flat()}``): per term.
        See :meth:`prior_summary`.
    event : scalar, optional
        The response value counted as a success. Default: 1, ``True``, or the last level of a
        two-level string/categorical response (R's convention: the first level is failure).
    trials : str, optional
        Column with the number of trials per row: aggregated binomial data.
    missing : {"raise", "drop"}, default "raise"
        Rows with missing values in the model's columns raise an error naming the columns;
        ``"drop"`` drops them with a warning giving the count.

    Attributes
    ----------
    design : Design
        Response, design matrix, column names and the patsy ``DesignInfo``.
    priors : ResolvedPriors
        The prior of every coefficient.

    Examples
    --------
    >>> import numpy as np, pandas as pd, bayeslogit as bl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=200)})
    >>> df["y"] = rng.binomial(1, 1 / (1 + np.exp(-(0.5 + df.x))))
    >>> model = bl.LogitModel("y ~ x", data=df)
    >>> model.design.column_names
    ['Intercept', 'x']
    >>> post = model.sample(draws=200, tune=200, chains=2, random_seed=1, progressbar=False)
    >>> list(post.params.index)
    ['Intercept', 'x']
    """

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        *,
        priors: PriorSpec = None,
        event: Any = None,
        trials: str | None = None,
        missing: Literal["raise", "drop"] = "raise",
    ) -> None:
        self.formula = formula
        self.design: Design = build_design(
            formula, data, event=event, trials=trials, missing=missing,
            eval_env=patsy.EvalEnvironment.capture(1),
        )
        self.priors: ResolvedPriors = resolve_priors(priors, self.design)
        self._pymc_model = None
        self._data = data  # kept (not copied) so that fits can be saved with their design

    @classmethod
    def _from_parts(cls, design: Design, priors: ResolvedPriors) -> "LogitModel":
        """Rebuild a model from a stored design and priors (used by persistence)."""
        self = cls.__new__(cls)
        self.formula = design.formula
        self.design = design
        self.priors = priors
        self._pymc_model = None
        self._data = None
        return self

    def __getstate__(self):
        # patsy's DesignInfo cannot be pickled: the design is rebuilt from the training rows.
        from .io import model_getstate

        return model_getstate(self)

    def __setstate__(self, state):
        from .io import model_setstate

        model_setstate(self, state)

    def __repr__(self) -> str:
        d = self.design
        return (
            f"LogitModel({self.formula!r}, n={d.n_obs}, coef={d.n_coef}, "
            f"likelihood={d.family})"
        )

    @property
    def coef_names(self) -> list[str]:
        """Design column names, in coefficient order."""
        return list(self.design.column_names)

    def prior_summary(self) -> pd.DataFrame:
        """The prior on every coefficient, where it came from and what it applies to.

        Returns
        -------
        pandas.DataFrame
            Indexed by design column name, with columns ``prior``, ``applies to`` and ``source``.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1], "x": [0.0, 1.0, 2.0, 3.0, 4.0]})
        >>> bl.LogitModel("y ~ x", df).prior_summary()["prior"].tolist()
        ['Normal(0, 2.5)', 'Normal(0, 1.76777)']
        """
        return self.priors.table()

    @property
    def pymc_model(self):
        """The PyMC model (built on first access; importing PyMC takes a few seconds)."""
        if self._pymc_model is None:
            from ._pymc import build_model

            self._pymc_model = build_model(self.design, self.priors)
        return self._pymc_model

    def sample(
        self,
        *,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: int | None = None,
        sampler: Literal["auto", "pymc", "nutpie", "numpyro"] = "auto",
        target_accept: float = 0.8,
        progressbar: bool = True,
        log_likelihood: bool = True,
    ) -> "PosteriorResults":
        """Draw from the posterior with NUTS.

        Parameters
        ----------
        draws, tune, chains : int
            Kept draws per chain, warm-up iterations per chain, number of chains.
        random_seed : int, optional
            Same seed -> identical draws.
        sampler : {"auto", "pymc", "nutpie", "numpyro"}
            NUTS implementation. ``"auto"`` picks one that is installed.
        target_accept : float
            NUTS target acceptance rate in (0, 1); raise it (e.g. 0.95) after divergences.
        progressbar : bool
            Show a progress bar.
        log_likelihood : bool
            Store the pointwise log-likelihood (needed for LOO).

        Returns
        -------
        PosteriorResults

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.idata.posterior["beta"].shape
        (2, 100, 2)
        """
        from . import _pymc
        from .results import PosteriorResults

        for name, value, low in (("draws", draws, 1), ("tune", tune, 0), ("chains", chains, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise SamplerError(f"{name} must be an integer >= {low}, got {value!r}")
        if not 0 < target_accept < 1:
            raise SamplerError(f"target_accept must be in (0, 1), got {target_accept!r}")
        _pymc.resolve_sampler(sampler)
        idata = _pymc.sample(
            self.pymc_model,
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=random_seed,
            progressbar=progressbar,
            sampler=sampler,
            target_accept=target_accept,
        )
        return PosteriorResults(self, idata, sampler=_pymc.resolve_sampler(sampler),
                                random_seed=random_seed, log_likelihood=log_likelihood)

    def fit_mle(self, *, tol: float = 1e-10, max_iter: int = 100) -> "MLEResults":
        """Maximum-likelihood fit by Newton's method (what statsmodels ``Logit`` reports).

        Separated data (the MLE does not exist) give a :class:`~bayeslogit.SeparationWarning`
        naming the columns, and the result's ``separation`` attribute is set; the fit never
        ends in a ``LinAlgError``.

        Parameters
        ----------
        tol : float
            Convergence tolerance on the Newton decrement.
        max_iter : int
            Maximum Newton iterations.

        Returns
        -------
        MLEResults

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> bl.LogitModel("y ~ x", df).fit_mle().converged
        True
        """
        from .point import fit_mle

        return fit_mle(self, tol=tol, max_iter=max_iter)

    def fit_map(self, *, prior: PriorSpec = None, tol: float = 1e-10, max_iter: int = 100) -> "MAPResults":
        """Posterior mode by Newton's method, with Laplace (inverse-Hessian) standard deviations.

        Parameters
        ----------
        prior : Prior, dict or SklearnPrior, optional
            Priors for this fit, with the same rules as the model's ``priors`` (one prior ->
            every slope; a dict -> per term; :func:`bayeslogit.sklearn_prior` -> sklearn's
            penalty). Default: the model's own priors, i.e. the mode of ``sample()``'s posterior.
        tol, max_iter
            As for :meth:`fit_mle`.

        Returns
        -------
        MAPResults

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> fit = bl.LogitModel("y ~ x", df).fit_map(prior=bl.Normal(0, 1))
        >>> fit.label
        'MAP Normal(0, 1)'
        """
        from .point import fit_map

        return fit_map(self, prior, tol=tol, max_iter=max_iter)
