"""Argument checks: one function per kind of fault, one message per fault, one exception class.

Every public function checks its keyword arguments with these (in the spirit of
scikit-learn's ``_parameter_constraints`` and arviz-stats' ``validate.py``), so the same
fault gets the same :class:`~bayeslogit.ArgumentError` and the same message wherever it is
made: ``draws=0`` reads ``"draws must be an integer >= 1, got 0"`` from ``sample()`` and from
``sample_prior_predictive()`` alike. Each check returns the value as the caller should use it
(a numpy integer as an ``int``...).

Renamed arguments are declared once, on the function, with :func:`renamed_arguments`; the
old name keeps working with a :class:`FutureWarning` until it is removed.

Examples
--------
>>> check_int("draws", 200, low=1)
200
>>> check_int("draws", 0, low=1)
Traceback (most recent call last):
...
bayeslogit.errors.ArgumentError: draws must be an integer >= 1, got 0
>>> check_choice("method", "vi", ("nuts", "laplace"))
Traceback (most recent call last):
...
bayeslogit.errors.ArgumentError: method must be 'nuts' or 'laplace', got 'vi'
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .errors import ArgumentError

__all__ = [
    "check_int",
    "check_seed",
    "check_probability",
    "check_number",
    "check_choice",
    "check_bool",
    "renamed_arguments",
    "resolve_renamed",
]

F = TypeVar("F", bound=Callable[..., Any])


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name: str, value, *, low: int | None = None) -> int:
    """``value`` as an ``int`` (numpy integers accepted, ``bool`` refused), at least ``low``.

    >>> import numpy as np
    >>> check_int("chains", np.int64(2), low=1)
    2
    """
    if not _is_int(value) or (low is not None and int(value) < low):
        bound = "" if low is None else f" >= {low}"
        raise ArgumentError(f"{name} must be an integer{bound}, got {value!r}")
    return int(value)


def check_seed(value, name: str = "random_seed") -> int | None:
    """A random seed: ``None`` or an integer >= 0 (as an ``int``).

    >>> check_seed(None) is None, check_seed(3)
    (True, 3)
    """
    if value is None:
        return None
    if not _is_int(value) or int(value) < 0:
        raise ArgumentError(f"{name} must be None or an integer >= 0, got {value!r}")
    return int(value)


def check_probability(name: str, value) -> float:
    """``value`` as a float strictly between 0 and 1 (NaN and ``bool`` refused).

    >>> check_probability("ci_prob", 0.9)
    0.9
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < float(value) < 1:
        raise ArgumentError(f"{name} must be a probability in (0, 1), got {value!r}")
    return float(value)


def check_number(name: str, value, *, low: float, high: float) -> float:
    """``value`` as a float in the open interval ``(low, high)`` (NaN and ``bool`` refused).

    >>> check_number("tol", 1e-8, low=0, high=1)
    1e-08
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low < float(value) < high:
        raise ArgumentError(f"{name} must be a number in ({low:g}, {high:g}), got {value!r}")
    return float(value)


def _alternatives(choices: Sequence) -> str:
    texts = [repr(c) for c in choices]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def check_choice(name: str, value, choices: Sequence):
    """``value`` if it is one of ``choices`` (an instance of the choice's type and equal to it).

    >>> check_choice("kind", "prob", ("prob", "linear", "draws"))
    'prob'
    """
    if not any(isinstance(value, type(c)) and value == c for c in choices):
        raise ArgumentError(f"{name} must be {_alternatives(choices)}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """``value`` if it is ``True`` or ``False`` (a Python ``bool``; not 0/1, not a string).

    >>> check_bool("predictive", False)
    False
    """
    if not isinstance(value, bool):
        raise ArgumentError(f"{name} must be True or False, got {value!r}")
    return value


def resolve_renamed(
    new_name: str,
    new_value,
    old_name: str,
    old_value,
    *,
    unset: Any = None,
    where: str = "",
    stacklevel: int = 3,
):
    """The value of an argument renamed from ``old_name`` to ``new_name``.

    ``old_value is unset`` means the old name was not used: ``new_value`` is returned. Using it
    warns (:class:`FutureWarning` naming the new name) and returns ``old_value``; giving both
    is an :class:`~bayeslogit.ArgumentError`. :func:`renamed_arguments` calls this for
    function arguments; an estimator whose parameters are attributes (scikit-learn's
    convention) calls it directly.
    """
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


def renamed_arguments(**renamed: str) -> Callable[[F], F]:
    """Declare keyword arguments renamed: ``@renamed_arguments(prior="priors")``.

    The decorated function takes only the new names; a call with an old name warns
    (:class:`FutureWarning`, pointing at the caller) and passes its value on under the new
    name; a call with both is an :class:`~bayeslogit.ArgumentError`. An old name given as
    ``None`` counts as not given (every renamed argument defaults to ``None``).

    Examples
    --------
    >>> import warnings
    >>> @renamed_arguments(interval="ci_prob")
    ... def f(*, ci_prob=None):
    ...     return ci_prob
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     f(interval=0.9), str(caught[0].message)
    (0.9, 'interval= is deprecated and will be removed in the next release; use ci_prob= instead (f(...))')
    >>> f(ci_prob=0.9, interval=0.8)
    Traceback (most recent call last):
    ...
    bayeslogit.errors.ArgumentError: f(...) got both ci_prob= and its deprecated alias interval=; pass only ci_prob=
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for old, new in renamed.items():
                old_value = kwargs.pop(old, None)
                if old_value is not None:  # stacklevel 3: the warning points at the caller
                    kwargs[new] = resolve_renamed(new, kwargs.get(new), old, old_value, where=fn.__name__, stacklevel=3)
            return fn(*args, **kwargs)

        wrapper.__renamed_arguments__ = dict(renamed)  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
