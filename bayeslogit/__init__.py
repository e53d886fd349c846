"""bayeslogit: Bayesian logistic regression from a patsy formula, next to the MLE and the MAP.

Importing the package is cheap: PyMC is imported only when a model is first sampled.

Examples
--------
>>> import bayeslogit as bl
>>> bl.Normal(0, 2.5)
Normal(mu=0.0, sigma=2.5)
"""

from __future__ import annotations

from .comparison import compare_models
from .design import Design, build_design
from .errors import (
    ArgumentError,
    BayeslogitError,
    BayeslogitWarning,
    DataError,
    DesignError,
    FitFileError,
    FormulaError,
    MissingDataWarning,
    ParetoKWarning,
    PriorError,
    SamplerError,
    SeparationWarning,
)
from .io import load
from .model import LogitModel
from .compare import compare, plot_compare
from .point import MAPResults, MLEResults, PointResults
from .priors import Cauchy, Flat, Normal, Prior, StudentT, sklearn_prior
from .results import PosteriorResults, Results

__version__ = "0.1.0"


def __getattr__(name: str):
    # The scikit-learn estimator is imported on first use: scikit-learn is optional.
    if name == "BayesianLogisticRegression":
        from .sklearn import BayesianLogisticRegression

        return BayesianLogisticRegression
    raise AttributeError(f"module 'bayeslogit' has no attribute {name!r}")


__all__ = [
    "ArgumentError",
    "BayesianLogisticRegression",
    "BayeslogitError",
    "BayeslogitWarning",
    "Cauchy",
    "DataError",
    "Design",
    "DesignError",
    "Flat",
    "FitFileError",
    "FormulaError",
    "LogitModel",
    "MAPResults",
    "MLEResults",
    "PointResults",
    "MissingDataWarning",
    "Normal",
    "ParetoKWarning",
    "PosteriorResults",
    "Prior",
    "PriorError",
    "Results",
    "SamplerError",
    "SeparationWarning",
    "StudentT",
    "build_design",
    "compare",
    "compare_models",
    "load",
    "plot_compare",
    "sklearn_prior",
    "__version__",
]
