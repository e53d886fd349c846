"""bayeslogit: Bayesian logistic regression from a patsy formula, next to the MLE and the MAP.

Importing the package is cheap: PyMC is imported only when a model is first sampled.

Examples
--------
>>> import bayeslogit as bl
>>> bl.Normal(0, 2.5)
Normal(mu=0.0, sigma=2.5)
"""

from __future__ import annotations

from ._options import option_context, options
from ._version import __version__
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
    OutputError,
    ParetoKWarning,
    PriorError,
    SamplerError,
    SeparationWarning,
)
from .fit.prior_scale import ScaleChoice, scale_by_cv, scale_by_evidence
from .interpret.grid import datagrid
from .interpret.grid_plots import plot_comparisons, plot_predictions, plot_slopes
from .interpret.hypotheses import hypotheses, lrtest
from .interpret.kfold import kfold
from .interpret.loo import compare_models
from .interpret.marginal import (
    avg_comparisons,
    avg_predictions,
    avg_slopes,
    comparisons,
    predictions,
    slopes,
)
from .interpret.pooling import plot_pooling, pooling_table
from .interpret.prior_plots import plot_prior_predictive
from .interpret.side_by_side import compare, plot_compare
from .io import load
from .model import LogitModel
from .priors import (
    LKJ,
    Cauchy,
    ElasticNet,
    Flat,
    HalfNormal,
    HalfStudentT,
    Horseshoe,
    Laplace,
    Normal,
    Prior,
    StudentT,
    sklearn_prior,
)
from .results.base import Results
from .results.glmm import GLMMResults
from .results.point import MAPResults, MLEResults, PointResults
from .results.posterior import PosteriorResults


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
    "ElasticNet",
    "Flat",
    "HalfNormal",
    "HalfStudentT",
    "LKJ",
    "Horseshoe",
    "FitFileError",
    "FormulaError",
    "GLMMResults",
    "Laplace",
    "LogitModel",
    "MAPResults",
    "MLEResults",
    "PointResults",
    "MissingDataWarning",
    "Normal",
    "OutputError",
    "ParetoKWarning",
    "PosteriorResults",
    "Prior",
    "PriorError",
    "Results",
    "SamplerError",
    "SeparationWarning",
    "StudentT",
    "avg_comparisons",
    "avg_predictions",
    "avg_slopes",
    "build_design",
    "comparisons",
    "datagrid",
    "hypotheses",
    "predictions",
    "slopes",
    "compare",
    "compare_models",
    "kfold",
    "load",
    "lrtest",
    "option_context",
    "options",
    "plot_compare",
    "plot_pooling",
    "plot_comparisons",
    "plot_predictions",
    "plot_prior_predictive",
    "plot_slopes",
    "pooling_table",
    "sklearn_prior",
    "scale_by_cv",
    "scale_by_evidence",
    "ScaleChoice",
    "__version__",
]
