"""Posterior fits: the draws in their ArviZ ``DataTree``, with the shared results interface.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import _blocks
from .._options import options
from .._validation import check_bool, check_probability
from ..errors import ArgumentError, BayeslogitWarning
from ..fit.separation import mean_undefined_columns
from ..summary import Summary
from .base import DEFAULT_CI_PROB, Results
from .cache import PosteriorCache
from .shortcuts import PosteriorShortcuts

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from ..model import LogitModel

__all__ = ["PosteriorResults"]


class PosteriorResults(Results, PosteriorShortcuts):
    """Posterior draws from NUTS, with the ArviZ ``DataTree`` they live in.

    Attributes
    ----------
    idata : xarray.DataTree
        ArviZ data: ``posterior`` (``beta`` with dims ``coef``), ``sample_stats``,
        ``observed_data``, ``constant_data``; ``log_likelihood`` (``y`` with dims ``obs``) only
        when sampled with ``log_likelihood=True`` (see :meth:`log_likelihood`).
    sampler : str
        The NUTS implementation used.
    random_seed : int or None
        The seed the draws came from.

    Examples
    --------
    >>> import pandas as pd, bayeslogit as bl
    >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
    >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
    ...                                         random_seed=3, progressbar=False)
    >>> post.coef_table().index.tolist()
    ['Intercept', 'x']
    """

    method = "posterior"

    def __init__(
        self,
        model: LogitModel,
        idata,
        *,
        sampler: str,
        random_seed: int | None,
        log_likelihood: bool = False,
        label: str | None = None,
        sample_settings: dict[str, Any] | None = None,
    ) -> None:
        if label is None:  # labelled by its priors, as MAP fits are ("Posterior Normal(0, 1)")
            label = " ".join(filter(None, ["Posterior", model.priors.describe()]))
        self._init_results(model, label=label)
        self.idata = idata
        self.sampler = sampler
        self.random_seed = random_seed
        #: The ``LogitModel.sample`` arguments that made the fit (``bl.kfold`` refits with them);
        #: None for a fit loaded from a file.
        self.sample_settings = None if sample_settings is None else dict(sample_settings)
        self._cache = PosteriorCache.of(self)  # what is derived from the draws (LOO, fitted probabilities...)
        if log_likelihood and "log_likelihood" not in idata.children:
            self.idata["log_likelihood"] = self.log_likelihood().to_dataset()

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._cache.bind(self)  # the cache holds its fit by a weak reference, which is not pickled

    def log_likelihood(self) -> xr.DataArray:
        """The pointwise log-likelihood of every draw, materialised: dims ``(chain, draw, obs)``.

        Nothing in bayeslogit needs this array (LOO, diagnostics and the report compute what
        they need by row blocks); it is for raw ArviZ functions. It costs
        ``chains x draws x rows x 8`` bytes: 3.2 GB at 4 chains x 1000 draws x 100,000 rows,
        so above 1 GiB (the ``log_likelihood_warn_bytes`` option, see
        :mod:`bayeslogit._options`) a :class:`~bayeslogit.BayeslogitWarning` says its size first.

        Returns
        -------
        xarray.DataArray
            Named ``y``, filled block by block into one preallocated float64 array.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.log_likelihood().dims
        ('chain', 'draw', 'obs')
        """
        import warnings

        import xarray as xr

        d = self.design
        C, D, n = self.n_chains, self.n_draws, d.n_obs
        size = C * D * n * 8
        if size > options["log_likelihood_warn_bytes"]:
            warnings.warn(
                f"the pointwise log-likelihood is {C} chains x {D} draws x {n:,} rows x 8 bytes = "
                f"{_blocks.nbytes_text(size)} of memory; bayeslogit's LOO, diagnostics and report do not "
                "need it (they compute it by row blocks): leave log_likelihood=False unless a raw "
                "ArviZ function needs the group",
                BayeslogitWarning,
                stacklevel=3,
            )
        B, G = self.draws(), self.group_draws()
        out = np.empty((C * D, n))
        rows = _blocks.block_rows(C * D)
        for sl in _blocks.row_slices(n, rows):
            out[:, sl] = d.response_family.loglik_rows(d, sl, B, G).T
        post = self.idata.posterior
        return xr.DataArray(
            out.reshape(C, D, n),
            dims=("chain", "draw", "obs"),
            name="y",
            coords={"chain": post["chain"].values, "draw": post["draw"].values, "obs": np.arange(n)},
        )

    def sample_prior_predictive(
        self, draws: int = 500, *, random_seed: int | None = None, predictive: bool = True, extend: bool = True
    ) -> xr.DataTree:
        """Draws from the priors (and the outcomes they imply), put next to the posterior.

        :meth:`bayeslogit.LogitModel.sample_prior_predictive` (see there), with its groups
        added to :attr:`idata` as PyMC's ``idata.extend(pm.sample_prior_predictive())`` does:
        ``prior`` (only the variables the posterior has, so ``prior`` and ``posterior`` line
        up) and ``prior_predictive``. ArviZ's prior-versus-posterior plot then works on the
        fit unchanged: ``azp.plot_prior_posterior(post.idata, var_names=["beta"])``.

        Parameters
        ----------
        draws : int
            Number of prior draws (one chain), default 500.
        random_seed : int, optional
            Same seed -> identical draws.
        predictive : bool
            Also simulate outcomes for every training row (``draws x rows`` integers, int8
            for 0/1 data). False: the ``prior`` group only.
        extend : bool
            True (default): add the groups to ``post.idata`` (replacing earlier ones) and
            return it. False: return the model's ``DataTree`` and leave the fit alone.

        Returns
        -------
        xarray.DataTree

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> idata = post.sample_prior_predictive(200, random_seed=1)
        >>> {"prior", "prior_predictive", "posterior", "observed_data"} <= set(idata.children)
        True
        """
        check_bool("extend", extend)
        tree = self.model.sample_prior_predictive(draws, random_seed=random_seed, predictive=predictive)
        if not extend:
            return tree
        prior = tree["prior"].to_dataset()
        keep = [v for v in prior.data_vars if v in self.idata.posterior.data_vars]
        self.idata["prior"] = prior[keep]
        if predictive:
            replicated = tree["prior_predictive"].to_dataset()
            observed = list(self.idata["observed_data"].data_vars) if "observed_data" in self.idata.children else []
            if len(observed) == 1:  # named as the fit's observed outcome, so ArviZ pairs them
                replicated = replicated.rename({name: observed[0] for name in replicated.data_vars})
            self.idata["prior_predictive"] = replicated
        elif "prior_predictive" in self.idata.children:
            del self.idata["prior_predictive"]  # it would no longer match the prior group
        return self.idata

    @property
    def method_label(self) -> str:
        """How the draws were made, in words: ``"NUTS (bayeslogit)"`` or
        ``"Laplace + PSIS importance sampling (not MCMC), Pareto k = 0.12, ..."``."""
        if self.sampler != "laplace+psis":
            return f"NUTS ({self.sampler})"
        attrs = self.idata.posterior.attrs
        text = f"Laplace + PSIS importance sampling (not MCMC), Pareto k = {float(attrs['pareto_k']):.2f}"
        if "importance" in self.idata.children:
            text += f", {self.idata['importance'].attrs.get('proposal', 'Laplace')} proposal"
        if "ess_importance" in attrs:
            text += (
                f", importance-sampling ESS {float(attrs['ess_importance']):,.0f} of {self.n_chains * self.n_draws:,}"
            )
        return text

    def _repr_facts(self) -> list[str]:
        how = "Laplace + PSIS" if self.sampler == "laplace+psis" else f"NUTS ({self.sampler})"
        return super()._repr_facts() + [f"{self.n_chains} chains x {self.n_draws} draws", how]

    @property
    def n_chains(self) -> int:
        return int(self.idata.posterior.sizes["chain"])

    @property
    def n_draws(self) -> int:
        return int(self.idata.posterior.sizes["draw"])

    def draws(self) -> np.ndarray:
        """Coefficient draws as an array of shape (chains * draws, n_coef), in coef order."""
        beta = self.idata.posterior["beta"].transpose("chain", "draw", "coef").values
        return beta.reshape(-1, beta.shape[-1])

    def group_draws(self) -> list[np.ndarray] | None:
        """Draws of the group effects, one array ``(chains * draws, levels, k)`` per group term
        (in ``design.groups.terms`` order, draws in :meth:`draws` order); None without group terms."""
        from .groups import group_draws

        return group_draws(self)

    def group_effects(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The group effects of every level, tidy: one row per group term, level and varying
        coefficient.

        Each effect is the level's deviation from the population coefficient (lme4's
        ``ranef``); the level's own coefficient is the population one plus it.

        Parameters
        ----------
        ci_prob : float
            Probability of the equal-tailed interval (default 0.95).

        Returns
        -------
        pandas.DataFrame
            Columns ``term`` (``"1 + x | g"``), ``group`` (``"g"``), ``level``, ``coef``
            (``"Intercept"``, ``"x"``), ``mean``, ``sd``, ``eti{P}_lb``, ``eti{P}_ub``.

        Raises
        ------
        ArgumentError
            If the formula has no group terms.

        Examples
        --------
        >>> import numpy as np, pandas as pd, bayeslogit as bl
        >>> rng = np.random.default_rng(0)
        >>> df = pd.DataFrame({"x": rng.normal(size=60), "g": np.repeat(list("abc"), 20)})
        >>> df["y"] = rng.binomial(1, 0.5, size=60)
        >>> post = bl.LogitModel("y ~ x + (1 | g)", df).sample(
        ...     draws=100, tune=100, chains=2, random_seed=1, progressbar=False)
        >>> post.group_effects()[["level", "coef"]].values.tolist()
        [['a', 'Intercept'], ['b', 'Intercept'], ['c', 'Intercept']]
        """
        from .groups import group_effects

        return group_effects(self, ci_prob=ci_prob)

    def group_summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> pd.DataFrame:
        """The group-level sds and correlations: mean, sd, equal-tailed interval, ESS, R-hat.

        Returns
        -------
        pandas.DataFrame
            Indexed ``sd(Intercept | g)``, ``sd(x | g)``, ``cor(Intercept, x | g)``...

        Raises
        ------
        ArgumentError
            If the formula has no group terms.
        """
        from .groups import group_summary

        return group_summary(self, ci_prob=ci_prob)

    @property
    def params(self) -> pd.Series:
        """Posterior means of the coefficients, indexed by design column name."""
        return pd.Series(self.draws().mean(axis=0), index=self.coef_names, name="mean")

    @property
    def bse(self) -> pd.Series:
        """Posterior standard deviations (the Bayesian analogue of standard errors)."""
        return pd.Series(self.draws().std(axis=0, ddof=1), index=self.coef_names, name="sd")

    def coef_table(self, *, ci_prob: float = DEFAULT_CI_PROB, kind: str = "eti") -> pd.DataFrame:
        """Posterior summary per coefficient, computed by ArviZ.

        Parameters
        ----------
        ci_prob : float
            Probability of the credible interval (default 0.95, as for every fit).
        kind : {"eti", "hdi"}
            The equal-tailed interval (default) or the highest-density interval (ArviZ's
            ``hdi``; columns ``hdi{P}_lb``, ``hdi{P}_ub``).

        Returns
        -------
        pandas.DataFrame
            Indexed by design column name; columns ``mean``, ``sd``, ``eti{P}_lb``,
            ``eti{P}_ub``, ``ess_bulk``, ``ess_tail``, ``r_hat``, ``mcse_mean``, ``mcse_sd``. For
            ``method="laplace"`` fits, ``ess_bulk`` and ``mcse_mean`` are the importance-sampling
            ones (:meth:`importance_stats`) and ``ess_tail``, ``r_hat``, ``mcse_sd`` are NaN.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> post.coef_table().columns[:4].tolist()
        ['mean', 'sd', 'eti95_lb', 'eti95_ub']
        >>> post.coef_table(ci_prob=0.89).columns[:4].tolist()
        ['mean', 'sd', 'eti89_lb', 'eti89_ub']
        """
        # the summary, the diagnostics and the CLI each ask for it: computed once per ci_prob
        if kind not in ("eti", "hdi"):
            raise ArgumentError(f"kind must be 'eti' (equal-tailed) or 'hdi' (highest density), got {kind!r}")
        return self._cache.coef_table(check_probability("ci_prob", ci_prob), kind)

    def _coef_table(self, ci_prob: float, kind: str = "eti") -> pd.DataFrame:
        import arviz_stats as az  # arviz's statistics half: no matplotlib import (CLI start-up)

        table = az.summary(self.idata, var_names=["beta"], ci_prob=ci_prob, ci_kind=kind, round_to="none")
        table.index = [_coord_label(i) for i in table.index]
        table = table.loc[self.coef_names]
        table.index.name = "term"
        table = pd.DataFrame(table).astype(float)
        imp = self.importance_stats()
        if imp is not None:  # independent resampled draws: their MCMC ESS/R-hat would overstate precision
            table["ess_bulk"] = imp["ess"].to_numpy()
            table["ess_tail"] = np.nan
            table["r_hat"] = np.nan
            table["mcse_mean"] = imp["mcse_mean"].to_numpy()
            table["mcse_sd"] = np.nan
        return table

    def importance_stats(self) -> pd.DataFrame | None:
        """Importance-sampling precision of a ``method="laplace"`` fit, per coefficient.

        Returns
        -------
        pandas.DataFrame or None
            ``mcse_mean`` (self-normalised importance-sampling Monte Carlo SE of the posterior
            mean, ``sqrt(sum w^2 (beta - mu)^2)``) and ``ess`` (``var_w(beta) / mcse^2``); None for
            MCMC fits. ``coef_table()`` and the diagnostics report these instead of the MCMC
            ESS and R-hat of the resampled draws, which would overstate the precision.
        """
        if "importance" not in self.idata.children:
            return None
        imp = self.idata["importance"]
        return pd.DataFrame(
            {"mcse_mean": imp["mcse_mean"].values, "ess": imp["ess"].values},
            index=pd.Index(self.coef_names, name="term"),
        )

    def sampler_stats(self) -> dict[str, Any]:
        """Divergences, tree-depth saturation and step size, summed/averaged over chains."""
        out: dict[str, Any] = {}
        if "sample_stats" not in self.idata.children:  # independent draws (method="laplace")
            return out
        st = self.idata.sample_stats
        if "diverging" in st:
            out["divergences"] = int(st["diverging"].sum())
        for key in ("reached_max_treedepth", "maxdepth_reached"):
            if key in st:
                out["max_treedepth_hits"] = int(st[key].sum())
        if "step_size" in st:
            out["step_size"] = float(st["step_size"].mean())
        return out

    def _tuning_text(self) -> str:
        """Warm-up iterations per chain, ``"200 (auto)"`` when ``tune=None`` chose them."""
        attrs = self.idata.posterior.attrs
        text = str(attrs.get("tuning_steps", "?"))
        return text + " (auto)" if attrs.get("tuning_steps_source") == "auto" else text

    def _target_accept_row(self) -> list[tuple[str, str]]:
        """``("Target accept:", "0.99 (auto)")`` when NUTS ran at another rate than the usual 0.8."""
        attrs = self.idata.posterior.attrs
        rate = attrs.get("target_accept")
        if rate is None or float(rate) == 0.8:
            return []
        return [
            ("Target accept:", f"{float(rate):g}" + (" (auto)" if attrs.get("target_accept_source") == "auto" else ""))
        ]

    def summary(self, *, ci_prob: float = DEFAULT_CI_PROB) -> Summary:
        """Text/HTML summary: model, data, sampler facts, coefficient table and priors.

        Examples
        --------
        >>> import pandas as pd, bayeslogit as bl
        >>> df = pd.DataFrame({"y": [0, 1, 0, 1, 1, 0], "x": [0.0, 1.0, 2.0, 3.0, 4.0, 1.5]})
        >>> post = bl.LogitModel("y ~ x", df).sample(draws=100, tune=100, chains=2,
        ...                                         random_seed=3, progressbar=False)
        >>> "Bayesian logistic regression" in str(post.summary())
        True
        """
        table = self.coef_table(ci_prob=ci_prob)
        stats = self.sampler_stats()
        info = self._model_info() + [
            ("Sampler:", self.method_label),
            ("Chains x draws:", f"{self.n_chains} x {self.n_draws}"),
            ("Tuning steps:", self._tuning_text()),
            *self._target_accept_row(),
            ("Random seed:", str(self.random_seed)),
            ("Divergences:", str(stats.get("divergences", "n/a"))),
        ]
        if self.importance_stats() is None:
            info += [
                ("Max R-hat:", f"{table['r_hat'].max():.3f}"),
                ("Min ESS (bulk):", f"{table['ess_bulk'].min():.0f}"),
                ("Min ESS (tail):", f"{table['ess_tail'].min():.0f}"),
            ]
        else:
            info += [("Min ESS (importance sampling):", f"{table['ess_bulk'].min():.0f}")]
        shown = table[[c for c in table.columns if c != "mcse_sd"]]
        undefined = mean_undefined_columns(self.model)
        if undefined:  # separation under a Cauchy-tailed prior: no mean or sd to show
            shown = shown.copy()
            shown.insert(0, "median", np.median(self.draws(), axis=0))
            shown.loc[undefined, ["mean", "sd", "mcse_mean"]] = np.nan
        tables = [shown]
        if self.design.groups is not None:  # group sds and correlations, after the population terms
            group = self.group_summary(ci_prob=ci_prob)
            tables.append(group[[c for c in group.columns if c != "mcse_sd"]])
        priors = self.model.prior_summary()
        notes = [
            f"Intervals are {ci_prob:.0%} equal-tailed posterior intervals.",
        ]
        if undefined:
            notes.append(
                f"The data are separated along {', '.join(undefined)}, whose prior is Cauchy-tailed: "
                "their posterior mean and sd do not exist (shown as NaN); read the median and the "
                "interval."
            )
        if self.model.priors.centered_intercept:
            notes.append(
                "The intercept's prior applies to the log-odds at the predictor means "
                "(centred predictors); coefficients are reported on the original scale."
            )
        if self.design.groups is not None:
            notes.append(
                "Group terms: per-level effects in post.group_effects(); the sds and "
                "correlations are in the second table."
            )
        return Summary("Bayesian logistic regression (posterior)", info, [*tables, priors], notes)


def _coord_label(index_label: str) -> str:
    """``"beta[x1]"`` -> ``"x1"`` (ArviZ's summary row label -> design column name)."""
    label = str(index_label)
    start = label.find("[")
    return label[start + 1 : -1] if start >= 0 and label.endswith("]") else label
