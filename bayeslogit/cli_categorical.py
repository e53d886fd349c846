"""The command line's multinomial and ordinal parts (``bayeslogit fit --family ...``).

A CSV file has no ordered categories, so ``--order Low,Medium,High`` makes the response column
an ordered pandas Categorical in that order (``family="auto"`` then takes it as ordinal); every
response value must be one of the listed levels. ``--family`` and ``--reference`` are passed to
:class:`bayeslogit.LogitModel`. The comparison printed next to the posterior is
:func:`bayeslogit.compare`'s estimate (sd) per fit, one row per outcome and term; the report
is :mod:`bayeslogit.check.categorical_report`'s.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

__all__ = ["ordered_response", "comparison_text", "render_page", "check_categorical_options", "is_categorical"]


def is_categorical(fit: Any, *, posterior: bool = False) -> bool:
    """Whether ``fit`` is a multinomial or ordinal fit (``posterior=True``: a posterior)."""
    from .results.categorical import CategoricalPosterior, is_categorical

    return isinstance(fit, CategoricalPosterior) if posterior else is_categorical(fit)


def ordered_response(df, formula: str, order: str | None):
    """``df`` with the response column made an ordered Categorical in ``order`` (comma-separated
    levels); ``df`` unchanged without ``order``."""
    import pandas as pd

    from .errors import ArgumentError, DataError

    if order is None:
        return df
    levels = [v.strip() for v in order.split(",") if v.strip()]
    if len(levels) < 3 or len(set(levels)) != len(levels):
        raise ArgumentError(
            f"--order {order!r}: give three or more distinct levels, lowest first, e.g. --order Low,Medium,High"
        )
    name = formula.split("~", 1)[0].strip()
    if name not in df.columns:
        raise ArgumentError(
            f"--order needs a response that is one column of the CSV file ('rating ~ x'); {name!r} is not one"
        )
    values = df[name].astype("string")
    unknown = sorted(set(values.dropna()) - set(levels))
    if unknown:
        raise DataError(
            f"response {name!r} has value(s) {unknown[:5]} not in --order {','.join(levels)}; list every level"
        )
    out = df.copy()
    out[name] = pd.Categorical(values, categories=levels, ordered=True)
    return out


def check_categorical_options(args) -> None:
    """Options that do not apply to a multinomial or ordinal model, refused before sampling."""
    from .errors import ArgumentError

    if getattr(args, "effects", None):
        raise ArgumentError(
            "--effects draws conditional effects of binary models; for multinomial and ordinal models the "
            "report shows the average marginal effects on every outcome (drop --effects)"
        )


def comparison_text(fits, post, width: int) -> str:
    """MLE / MAP / posterior as 'estimate (sd)', one column per fit, one row per parameter."""
    import pandas as pd

    from .interpret.side_by_side import compare

    table = compare(*fits, post)
    cols = {}
    for name in dict.fromkeys(table.columns.get_level_values(0)):
        est, sd = table[(name, "estimate")], table[(name, "sd")]
        cols[name] = [f"{e:.4f} ({s:.4f})" for e, s in zip(est, sd)]
    df = pd.DataFrame(cols, index=table.index)
    return df.to_string(line_width=width)


def render_page(post, fits, info: dict[str, Any], *, quiet: bool) -> str:
    """The categorical report's HTML (status lines on stderr unless ``quiet``)."""
    import sys

    from .check.categorical_report import render_categorical_report

    def log(step: str) -> None:
        if not quiet:
            print(f"[report] {step}", file=sys.stderr, flush=True)

    return render_categorical_report(post, fits=fits, run_info=info, log=log)
