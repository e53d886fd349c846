"""Exceptions and warnings raised by bayeslogit.

Every error the package raises on purpose derives from :class:`BayeslogitError`,
so ``except bl.BayeslogitError`` catches all of them. The subclasses also derive
from the matching built-in (``ValueError``, ``KeyError``...) so generic handlers
keep working.
"""

from __future__ import annotations


class BayeslogitError(Exception):
    """Base class of every error raised by bayeslogit."""


class DataError(BayeslogitError, ValueError):
    """The data cannot be used as given (missing values, bad response, bad trials...)."""


class FormulaError(BayeslogitError, ValueError):
    """The formula cannot be evaluated on the data (unknown column, bad syntax...)."""


class DesignError(BayeslogitError, ValueError):
    """The design matrix is unusable (rank deficient, constant or non-finite columns)."""


class PriorError(BayeslogitError, ValueError):
    """A prior is invalid or names a term that is not in the design."""


class ArgumentError(BayeslogitError, ValueError):
    """A keyword argument has an invalid value (the message names the argument).

    The checks that raise it, one message per fault, are in :mod:`bayeslogit._validation`."""


class SamplerError(BayeslogitError, ValueError):
    """The requested sampler is not installed or cannot sample this model.

    A bad value of a sampling argument (``draws=0``, an unknown ``sampler`` name) is an
    :class:`ArgumentError`, as the same fault is everywhere else."""


class FitFileError(BayeslogitError, OSError):
    """A saved fit cannot be loaded: no such file, or not a file written by ``.save()``."""


class OutputError(BayeslogitError, OSError):
    """An output file cannot be written: its folder is missing or read-only, or it is a directory."""


class BayeslogitWarning(UserWarning):
    """Base class of every warning emitted by bayeslogit."""


class SeparationWarning(BayeslogitWarning):
    """The data are (quasi-)perfectly separated: the MLE does not exist."""


class ParetoKWarning(BayeslogitWarning):
    """PSIS-LOO is unreliable for some observations (Pareto k above ArviZ's threshold)."""


class MissingDataWarning(BayeslogitWarning):
    """Rows with missing values were dropped because ``missing="drop"`` was asked for."""
