"""Fitting: from a design and its priors to numbers (no results objects here).

- :mod:`.sampling`: the sampler choice and its fallbacks (what ``LogitModel.sample`` runs);
- :mod:`.newton`: Newton's method for the MLE and the MAP;
- :mod:`.penalized`: the MAP under Laplace (L1) and elastic-net priors;
- :mod:`.separation`: the exact separation check (a linear program);
- :mod:`.nuts`: bayeslogit's own NUTS (log density, numba kernel, the driver running chains);
- :mod:`.laplace`: Laplace draws corrected by Pareto-smoothed importance sampling;
- :mod:`.pymc_model`: the PyMC model and PyMC's / nutpie's / numpyro's samplers.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""
