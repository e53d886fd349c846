"""The command line's multinomial and ordinal parts (``bayeslogit fit --family ...``).

A CSV file has no ordered categories, so ``--order Low,Medium,High`` makes the response column
an ordered pandas Categorical in that order (``family="auto"`` then takes it as ordinal); every
response value must be one of the listed levels. ``--family`` and ``--reference`` are passed to
:class:`bayeslogit.LogitModel`. ``--effects x1,g`` prints the posterior average marginal effects
on every outcome of the design columns of those variables (the report shows all of them). The comparison printed next to the posterior is
:func:`bayeslogit.compare`'s estimate (sd) per fit, one row per outcome and term; the report
is :mod:`bayeslogit.check.categorical_report`'s.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ordered_response",
    "comparison_text",
    "render_page",
    "effect_columns",
    "effects_text",
    "is_categorical",
]


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


def effect_columns(design, variables: list[str], columns) -> list[str]:
    """The design columns through which ``variables`` enter the formula (every column of a term
    whose factors use one of them: ``x1``, ``C(g)[T.v]``, ``x1:x2``), in design order."""
    from .design.names import identifiers

    info = design.design_info
    wanted = set(variables)
    out: list[str] = []
    for term, sl in info.term_slices.items():
        used = {name for f in term.factors for name in identifiers(f.code) if name in columns}
        if used & wanted:
            out += info.column_names[sl]
    return out


def effects_text(post, variables: list[str], width: int) -> str:
    """``--effects`` of a multinomial or ordinal posterior: the average marginal effects
    ``dP(y = k) / dx`` (:meth:`~bayeslogit.results.categorical.CategoricalPosterior.marginal_effects`)
    of the design columns of ``variables``, per outcome: posterior mean, sd and 95% interval."""
    import textwrap

    import pandas as pd

    from .model import training_rows

    cols = effect_columns(post.design, variables, training_rows(post.model).columns)
    table = post.marginal_effects()
    shown = table[table["term"].isin(cols)].copy()
    for c in shown.columns[2:]:
        shown[c] = shown[c].map(lambda v: f"{v:.4f}")
    head = (
        "Average marginal effects per outcome, dP(y = k)/dx by design column (posterior mean, sd, "
        "95% interval; post.marginal_effects()):"
    )
    with pd.option_context("display.width", width):
        return textwrap.fill(head, width) + "\n" + shown.to_string(index=False, line_width=width)


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
