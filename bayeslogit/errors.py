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
    """A keyword argument has an invalid value (the message names the argument)."""


def check_probability(value, name: str) -> float:
    """``value`` as a float in (0, 1), else an :class:`ArgumentError` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ArgumentError(f"{name} must be a probability in (0, 1), got {value!r}")
    return float(value)


def renamed_argument(
    new_name: str, new_value, old_name: str, old_value, *, unset=None, where: str = "", stacklevel: int = 3
):
    """The value of an argument renamed from ``old_name`` to ``new_name`` (deprecated alias).

    ``old_value`` is ``unset`` when the caller did not pass the old name. Passing the old name
    warns (:class:`FutureWarning` naming the new one) and returns its value; passing both is an
    :class:`ArgumentError`.
    """
    import warnings

    if old_value is unset:
        return new_value
    call = f"{where}(...)" if where else "this call"
    if new_value is not unset:
        raise ArgumentError(f"{call} got both {new_name}= and its deprecated alias {old_name}=; pass only {new_name}=")
    warnings.warn(
        f"{old_name}= is deprecated and will be removed in the next release; use {new_name}= instead ({call})",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return old_value


class SamplerError(BayeslogitError, ValueError):
    """The requested sampler is unknown or not installed, or sampling options are invalid."""


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
