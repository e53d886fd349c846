"""Command line: ``bayeslogit fit``, ``bayeslogit report``, ``bayeslogit demo``.

``--help`` must stay fast: nothing heavy (PyMC, PyTensor, ArviZ, matplotlib) is imported
until a command runs. Errors the user can fix (bad CSV path, unknown column, unparsable
prior...) print one line on stderr and exit with status 2, without a traceback; Ctrl-C exits
with status 130 and leaves every output as it was (or, interrupted after the last rename, all
complete; the message says which). When a diagnostic check fails (R-hat, ESS,
divergences, ...) every output is still written and printed, and the exit status is 3
(``--ignore-checks``: 0), so that scripts can tell a run whose numbers are not to be trusted.

What is printed on stdout is only the results, laid out for a 100-column terminal and rounded
to what the draws support; progress bars and sampler log lines (PyMC's included) go to stderr.

Outputs never destroy data: an output that is an input of the same run (or another output of
it), that cannot be written, or that exists and is not a regular file (a device, a FIFO), is
refused before any work; files are written only after sampling, each to a temporary file, and
all are renamed into place only at the end (``bayeslogit._files.OutputSet``).

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from . import cli_categorical

EXIT_USAGE = 2
EXIT_CHECKS = 3
"""Exit status when the run finished but a diagnostic check failed (``--ignore-checks``: 0)."""
WIDTH = 100
"""Printed tables fit a terminal this wide."""

_PRIOR_HELP = (
    "prior: 'normal(0, 1)' for every slope, or TERM=PRIOR for one design column or formula term "
    "(e.g. 'x1=normal(0,1)', 'C(g)=cauchy(0,2.5)', 'Intercept=flat'); repeatable. Families: "
    "normal(mu, sigma), studentt(nu, mu, sigma), cauchy(mu, sigma), laplace(mu, b), "
    "elasticnet(mu, l1, l2), flat; a sampled scale: normal(0, halfnormal(s)); the regularized "
    "horseshoe: horseshoe(expected_nonzero[, slab_scale, slab_df]). scikit-learn's penalty as a "
    "prior: 'sklearn:C=1,l1_ratio=1[,fit_intercept=false]' (alone). Group terms ((1 + x | g)): "
    "'1|g=halfnormal(1)', 'x|g=halfstudentt(3, 1)', '|g=...' (every sd of g), 'cor|g=lkj(2)'"
)


def _add_sampling_options(
    p: argparse.ArgumentParser, *, draws: int = 1000, chains: int = 4, seed: int | None = None
) -> None:
    g = p.add_argument_group("sampling")
    g.add_argument("--draws", type=int, default=draws, metavar="N", help=f"posterior draws per chain (default {draws})")
    g.add_argument(
        "--tune",
        type=int,
        default=None,
        metavar="N",
        help="warm-up iterations per chain (default: 200 for bayeslogit's NUTS, which starts "
        "at the posterior mode, 1000 for the other samplers)",
    )
    g.add_argument("--chains", type=int, default=chains, metavar="N", help=f"chains (default {chains})")
    g.add_argument(
        "--seed", type=int, default=seed, metavar="N", help=f"random seed: same seed, same draws (default {seed})"
    )
    g.add_argument(
        "--sampler",
        choices=["auto", "bayeslogit", "pymc", "nutpie", "numpyro"],
        default="auto",
        help="NUTS implementation: auto (bayeslogit's own NUTS when the posterior mode exists "
        "or the model has group terms like (1|g), else nutpie when installed or PyMC's), "
        "bayeslogit, pymc, nutpie, numpyro (default auto)",
    )
    g.add_argument(
        "--method",
        choices=["nuts", "laplace"],
        default="nuts",
        help="nuts (default), or laplace: independent draws from the Laplace approximation "
        "corrected by PSIS importance sampling, fast for large data (falls back to NUTS, "
        "with a warning, when Pareto k > 0.7)",
    )
    g.add_argument(
        "--target-accept",
        type=float,
        default=None,
        metavar="P",
        help="NUTS target acceptance in (0, 1); raise to 0.95 after divergences (default 0.8; 0.99 "
        "under a horseshoe prior)",
    )
    g.add_argument("--quiet", action="store_true", help="no progress bar or report status lines")
    _add_checks_option(p)


def _add_checks_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--ignore-checks",
        action="store_true",
        help=f"exit with status 0 even when a diagnostic check fails (default: status {EXIT_CHECKS}, "
        "after writing every output)",
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bayeslogit",
        description="Bayesian logistic regression from a formula, beside the MLE and the MAP.",
        epilog="Exit status: 0 success; 2 an error in the input (file, formula, prior), with a one-line "
        f"message; {EXIT_CHECKS} the run finished and wrote its outputs but a diagnostic check "
        "failed (R-hat, ESS, divergences, tree depth, E-BFMI, Pareto k; --ignore-checks gives 0); "
        "130 Ctrl-C (every output left as it was before the command). Results go to stdout, progress and sampler log "
        "lines to stderr.",
    )
    from ._version import __version__

    p.add_argument("--version", action="version", version=f"bayeslogit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="{fit,report,demo}")

    fit = sub.add_parser(
        "fit",
        help="fit a formula to a CSV file: summary, comparison table, optional report",
        description="Fit a Bayesian logistic regression to DATA.csv; print the posterior summary, "
        "diagnostics and the MLE / MAP / posterior comparison; optionally write the report.",
    )
    fit.add_argument("data", metavar="DATA.csv", help="CSV file with a header row")
    fit.add_argument(
        "formula",
        metavar="FORMULA",
        help='patsy formula, e.g. "y ~ x1 + C(g)", with group terms as in lme4: "y ~ x + (1 + x | g)"; '
        "its expressions are Python code that is run (np.log(x), I(...)): use only formulas you wrote",
    )
    fit.add_argument("--prior", action="append", default=[], metavar="[TERM=]PRIOR", help=_PRIOR_HELP)
    fit.add_argument(
        "--event", metavar="VALUE", help="response value counted as the event (default: 1/True/last level)"
    )
    fit.add_argument("--trials", metavar="COLUMN", help="column with the number of trials (aggregated binomial data)")
    fit.add_argument(
        "--offset",
        metavar="COLUMN",
        help="column added to the linear predictor with coefficient 1 (e.g. a log exposure); "
        "the formula may also hold offset(expr) terms",
    )
    fit.add_argument(
        "--family",
        choices=["auto", "bernoulli", "binomial", "multinomial", "ordinal"],
        default="auto",
        help="response family (default auto: two outcomes binary, three or more multinomial, ordinal with --order)",
    )
    fit.add_argument("--reference", metavar="LEVEL", help="multinomial baseline outcome (default: the first level)")
    fit.add_argument(
        "--order", metavar="L1,L2,...", help="ordinal outcomes' levels, lowest first: the response becomes ordered"
    )
    fit.add_argument(
        "--missing",
        choices=["raise", "drop"],
        default="raise",
        help="rows with missing values: raise an error (default) or drop them",
    )
    _add_sampling_options(fit)
    fit.add_argument("--report", metavar="OUT.html", help="write the self-contained HTML report here")
    fit.add_argument(
        "--effects",
        metavar="VAR[,VAR...]",
        help="print the average marginal effects of these predictors (bl.avg_slopes: a slope for a "
        "number, contrasts for a factor) and draw them in the report's conditional-effects section "
        "(default: every predictor, up to 12, in the report only); multinomial and ordinal models: "
        "dP(y = k)/dx per outcome of their design columns, printed (the report shows every column's)",
    )
    fit.add_argument("--save", metavar="FIT.nc", help="save the posterior (netCDF) for `bayeslogit report` or bl.load")

    rep = sub.add_parser(
        "report",
        help="write the HTML report of a fit saved with `fit --save`",
        description="Re-render the self-contained HTML report from a saved posterior (the MLE and "
        "the MAP are refitted from the stored data, which takes a second).",
    )
    rep.add_argument("fit_file", metavar="FIT.nc", help="a posterior saved by `bayeslogit fit --save` or post.save()")
    rep.add_argument(
        "-o", "--output", metavar="OUT.html", help="the report to write (default: FIT.nc's name with .html, next to it)"
    )
    rep.add_argument("--quiet", action="store_true", help="no status lines")
    _add_checks_option(rep)
    rep.add_argument(
        "--trust",
        action="store_true",
        help="evaluate the stored formula even if it is outside the safe grammar (it is "
        "Python code: only for files you trust)",
    )

    demo = sub.add_parser(
        "demo",
        help="run the seed example end to end (simulated n=500 data, MLE, MAP, posterior, report)",
        description="Simulate n rows with eta = -3 + 2 x1 - 1.5 x2, fit the MLE, scikit-learn's default "
        "MAP and the posterior, print the comparison and optionally write the report.",
    )
    demo.add_argument("--n", type=int, default=500, help="rows to simulate (default 500)")
    _add_sampling_options(demo, seed=1)
    demo.add_argument("--report", metavar="OUT.html", help="also write the HTML report here")
    return p


def parse_priors(specs: list[str]):
    """``["normal(0,1)", "x1=cauchy(0,2.5)"]`` -> the ``priors=`` argument of LogitModel."""
    from .errors import PriorError
    from .priors import parse_prior, parse_sklearn_prior

    if not specs:
        return None
    if any(s.strip().lower().startswith("sklearn") for s in specs):
        if len(specs) > 1:
            raise PriorError("--prior sklearn:... sets every coefficient's prior; give it alone")
        return parse_sklearn_prior(specs[0])
    every = None
    per_term = {}
    for spec in specs:
        m = re.fullmatch(r"\s*(.*?\S)\s*=\s*([A-Za-z_]+\s*(?:\((?:[^()]|\([^()]*\))*\))?)\s*", spec)
        if m and "|" in m.group(1):  # a group term's sd or correlations: "1|g=halfnormal(1)"
            from .priors import parse_group_prior

            per_term[m.group(1)] = parse_group_prior(m.group(2))
        elif m:
            per_term[m.group(1)] = parse_prior(m.group(2))
        elif every is None:
            every = parse_prior(spec)
        else:
            raise PriorError(f"--prior given twice without a term ({every} and {spec!r}); write TERM=PRIOR")
    if every is None:
        return per_term
    if not per_term:
        return every
    raise PriorError("--prior: give either one prior for all slopes or TERM=PRIOR entries, not both")


def default_report_path(fit_file: str) -> str:
    """``fit.nc`` -> ``fit.html`` (next to it); a name without a suffix gets ``.html`` added."""
    import os

    root, ext = os.path.splitext(fit_file)
    return (root if ext else fit_file) + ".html"


def _read_csv(path: str):
    import pandas as pd

    from .errors import DataError

    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {path!r} as CSV: {first}") from None


def _event(value: str | None):
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return value


def _warm_kernel(args):
    """Load bayeslogit's compiled NUTS kernel in a second process (a fresh interpreter) while this one reads the data
    (:mod:`bayeslogit.fit.nuts.warm`), when that sampler may run."""
    from .fit.nuts.warm import warm_kernel

    return warm_kernel(enabled=args.method == "nuts" and args.sampler in ("auto", "bayeslogit"))


def _import_results_stack() -> None:
    import arviz_base  # noqa: F401
    import arviz_stats  # noqa: F401


def _sample(model, args, *, prefetch: bool = False):
    """``model.sample`` with the command's options. ``prefetch``: while this thread waits for the
    warm sampler process (it holds no lock and needs no GIL then), another imports what the
    summary and diagnostics use next (ArviZ's statistics, ~0.8 s), and is joined before return."""
    import contextlib

    # PyMC, nutpie and numpyro print progress tables and log lines; none of it may land in a
    # redirected stdout, which holds only the results
    import threading
    import time

    importer = None
    if prefetch:
        importer = threading.Thread(target=_import_results_stack, daemon=True, name="bayeslogit-imports")
        importer.start()
    t0 = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            post = model.sample(
                draws=args.draws,
                tune=args.tune,
                chains=args.chains,
                random_seed=args.seed,
                sampler=args.sampler,
                target_accept=args.target_accept,
                progressbar=not args.quiet,
                method=args.method,
            )
    finally:
        if importer is not None:
            importer.join()
    total = time.perf_counter() - t0
    compile_s = float(post.idata.posterior.attrs.get("compile_time", 0.0))  # first use: counted apart
    args.run_time = f"{total - compile_s:.1f} s (sampling, this run)"
    if compile_s > 0:
        args.run_time += f"; plus {compile_s:.1f} s compiling the sampler (first use)"
    return post


def _decimals(mcse: float, *, most: int = 6) -> int:
    """:func:`bayeslogit.summary.mcse_decimals` (imported when called: ``--help`` stays light)."""
    from .summary import mcse_decimals

    return mcse_decimals(mcse, most=most)


def format_coef_table(table):
    """:func:`bayeslogit.summary.format_coef_table` (imported when called: ``--help`` stays light)."""
    from .summary import format_coef_table as fmt

    return fmt(table)


def _wrap(text: str, indent: str = "") -> str:
    import textwrap

    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _comparison_text(fits, post) -> str:
    """MLE / MAP / posterior as 'estimate (sd)' per fit: one column each, the posterior rounded to
    its MCSE (the 95% intervals are in the report and in ``bl.compare``)."""
    import numpy as np
    import pandas as pd

    table = post.coef_table()
    cols = {}
    for f in (*fits, post):
        label = f.label
        cells = []
        for term in post.coef_names:
            est, sd = float(f.params[term]), float(f.bse[term])
            k = _decimals(float(table.loc[term, "mcse_mean"])) if f is post else 4
            cells.append(f"{est:.{k}f} ({sd:.{k}f})" if np.isfinite(sd) else f"{est:.{k}f} (-)")
        cols[label] = cells
    df = pd.DataFrame(cols, index=pd.Index(post.coef_names, name="term"))
    from .interpret.side_by_side import compare_groups

    groups = compare_groups(*fits, post)
    if groups is not None:  # the GLMM MLE's group sds next to the posterior's (others: "-")
        rows = {}
        for f in (*fits, post):
            if f.label not in groups.columns.get_level_values(0):
                rows[f.label] = ["-"] * len(groups)
                continue
            est = groups[(f.label, "estimate")].to_numpy()
            if f is post:  # mean (sd), rounded to its MCSE as the coefficients' rows
                mcse = post.group_summary().loc[groups.index, "mcse_mean"].to_numpy()
                sds = groups[(f.label, "sd")].to_numpy()
                rows[f.label] = [f"{e:.{_decimals(m)}f} ({s:.{_decimals(m)}f})" for e, s, m in zip(est, sds, mcse)]
            else:  # the GLMM MLE: its estimate (no standard error, as lme4)
                rows[f.label] = [f"{e:.4f}" for e in est]
        df = pd.concat([df, pd.DataFrame(rows, index=groups.index)])
    return df.to_string(line_width=WIDTH)


def _effects_arg(text: str | None) -> list[str] | None:
    """``--effects x1,g`` as a list of names (None when not given)."""
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def _effects_text(post, effects: list[str]) -> str:
    """The average marginal effects of ``effects`` (bl.avg_slopes), laid out for 100 columns."""
    import pandas as pd

    from .interpret.marginal import avg_slopes

    table = avg_slopes(post, variables=effects)
    cols = [c for c in ("term", "contrast", "estimate", "std_error", "conf_low", "conf_high") if c in table.columns]
    shown = table[cols].copy()
    for c in ("estimate", "std_error", "conf_low", "conf_high"):
        if c in shown.columns:
            shown[c] = shown[c].map(lambda v: f"{v:.4f}")
    head = (
        "Average marginal effects (bl.avg_slopes), in probability: posterior mean, sd and "
        f"{table.attrs.get('ci_prob', 0.95):.0%} interval"
    )
    with pd.option_context("display.width", WIDTH, "display.max_colwidth", 30):
        return _wrap(head) + "\n" + shown.to_string(index=False, line_width=WIDTH)


def _print_results(post, fits) -> object:
    """Print summary, diagnostics and the comparison (each fitting 100 columns); return the
    diagnostics."""
    import dataclasses

    import pandas as pd

    s = post.summary()
    # every posterior table (coefficients; group sds and correlations) rounded to its MCSE; priors as they are
    s = dataclasses.replace(
        s,
        tables=[format_coef_table(t) if "mcse_mean" in t.columns else t for t in s.tables],
        notes=[_wrap(n) for n in s.notes],
    )
    print(s)
    print()
    diag = post.diagnostics()
    with pd.option_context("display.width", WIDTH, "display.max_colwidth", 40):
        print(diag.to_frame()[["value", "rule", "verdict"]].to_string(line_width=WIDTH))
    for c in diag.failed:
        print(_wrap(f"{c.name}: {c.suggestion}", "  "))
    print()
    if fits:
        print("MLE / MAP / posterior: estimate (sd); sd is the standard error (MLE), the Laplace sd (MAP)")
        print("or the posterior sd. Intervals: `bayeslogit report`, or bl.compare() in Python.")
        cat = cli_categorical.is_categorical(post)
        print(cli_categorical.comparison_text(fits, post, WIDTH) if cat else _comparison_text(fits, post))
        print()
    return diag


def _exit_status(diag, args) -> int:
    """0, or :data:`EXIT_CHECKS` when a diagnostic check failed (unless --ignore-checks)."""
    if diag.ok:
        return 0
    names = ", ".join(c.name for c in diag.failed)
    if args.ignore_checks:
        print(
            f"bayeslogit {args.command}: warning: diagnostic check(s) failed: {names} (exit status 0: --ignore-checks)",
            file=sys.stderr,
        )
        return 0
    print(
        f"bayeslogit {args.command}: diagnostic check(s) failed: {names}; outputs were written, "
        f"exit status {EXIT_CHECKS} (--ignore-checks for 0)",
        file=sys.stderr,
    )
    return EXIT_CHECKS


def _check_paths(inputs: dict, outputs: dict) -> None:
    """Before any work: no output may be an input or another output, and each must be writable."""
    from ._files import check_outputs

    check_outputs(inputs, outputs)


def _write_outputs(post, args, fits=(), *, save: str | None = None) -> None:
    """Render the report in memory, write every output to a temporary file in its folder, and
    rename them all into place only at the end (an interrupt is held off until the last rename):
    a Ctrl-C or an error before then leaves every output as it was before the command, the
    previous fit included. ``args.written`` lists the outputs renamed into place."""
    from pathlib import Path

    from ._files import OutputSet
    from .check.report import render_report

    page = None
    if args.report:
        info = {"data source": getattr(args, "source", "not recorded")}
        if getattr(args, "run_time", None):
            info["run time"] = args.run_time
        if cli_categorical.is_categorical(post):
            page = cli_categorical.render_page(post, fits, info, quiet=args.quiet)
        else:
            page = render_report(
                post, fits=fits, progress=not args.quiet, run_info=info, effects=getattr(args, "effects", None)
            )
    label = "--output" if args.command == "report" else "--report"
    names = []
    with OutputSet() as out:
        args.written = out.written  # filled by each rename: an interrupt after one still knows
        if save:
            tmp = out.path(save, "--save")
            with out.writing(tmp):
                post.save(tmp)
            names.append(save)
        if page is not None:
            tmp = out.path(args.report, label)
            with out.writing(tmp):
                Path(tmp).write_text(page, encoding="utf-8")
            names.append(args.report)
        out.commit(names)
    if save:
        print(f"saved the posterior to {save}", file=sys.stderr)
    if page is not None and not args.quiet:
        print(f"[report] wrote {args.report} ({len(page) / 1e6:.1f} MB)", file=sys.stderr, flush=True)


def _point_fits(model) -> tuple:
    """The MLE and the MAP under the model's own priors (none for priors that sample their own
    scale: a hierarchical Normal or the horseshoe has no MAP)."""
    if model.priors.sampled_scale:
        return (model.fit_mle(),)
    return (model.fit_mle(), model.fit_map())


def _fit(args: argparse.Namespace) -> int:
    import numpy as np  # noqa: F401 - formulas are evaluated here and may use np.log(x) etc.

    import bayeslogit as bl

    _check_paths({"DATA.csv": args.data}, {"--save": args.save, "--report": args.report})
    with _warm_kernel(args) as child:
        df = cli_categorical.ordered_response(_read_csv(args.data), args.formula, args.order)
        args.source = f"{args.data} (CSV)"
        priors = parse_priors(args.prior)
        model = bl.LogitModel(
            args.formula,
            df,
            priors=priors,
            event=_event(args.event),
            trials=args.trials,
            offset=args.offset,
            missing=args.missing,
            family=args.family,
            reference=args.reference,
        )
        args.effects = _effects_arg(args.effects)
        if args.effects is not None:  # refused before sampling, naming the predictors
            from .check.statistics import effect_variables
            from .model import training_rows

            effect_variables(model.design, training_rows(model).columns, args.effects)
        fits = _point_fits(model)
        post = _sample(model, args, prefetch=child is not None)
    diag = _print_results(post, fits)
    if args.effects:  # multinomial, ordinal: per outcome (bayeslogit.cli_categorical)
        cat = cli_categorical.is_categorical(post)
        print(cli_categorical.effects_text(post, args.effects, WIDTH) if cat else _effects_text(post, args.effects))
        print()
    _write_outputs(post, args, fits, save=args.save)
    return _exit_status(diag, args)


def _report(args: argparse.Namespace) -> int:
    import bayeslogit as bl

    from .errors import ArgumentError
    from .results.distributed import DaskLaplaceResults

    if args.output is None:
        args.output = default_report_path(args.fit_file)
    _check_paths({"FIT.nc": args.fit_file}, {"--output": args.output})
    post: Any = bl.load(args.fit_file, trust=args.trust)  # a binary or a categorical posterior
    if isinstance(post, DaskLaplaceResults):  # rows from its Parquet files, on a subsample (check/dask_report.py)
        post.report(args.output, run_info={"data source": f"the Parquet files named in {args.fit_file}"})
        print(f"[report] wrote {args.output}", file=sys.stderr, flush=True)
        return _exit_status(post.diagnostics(), args)
    if not isinstance(post, bl.PosteriorResults) and not cli_categorical.is_categorical(post, posterior=True):
        raise ArgumentError(
            f"{args.fit_file!r} holds a {post.label} fit; the report needs a posterior "
            "(save one with `bayeslogit fit ... --save FIT.nc`)"
        )
    fits = _point_fits(post.model)
    args.report = args.output
    args.source = f"the training rows stored in {args.fit_file}"
    _write_outputs(post, args, fits)
    return _exit_status(post.diagnostics(), args)


def _demo(args: argparse.Namespace) -> int:
    import bayeslogit as bl
    from bayeslogit.datasets import simulate_seed

    _check_paths({}, {"--report": args.report})
    with _warm_kernel(args) as child:
        df = simulate_seed(args.n, random_seed=args.seed)
        args.source = f"simulate_seed({args.n}, random_seed={args.seed}) (simulated)"
        print(f"Simulated n={args.n} rows: eta = -3 + 2 x1 - 1.5 x2 (seed {args.seed})", flush=True)
        model = bl.LogitModel("y ~ x1 + x2", data=df)
        mle = model.fit_mle()
        # sklearn's LogisticRegression(C=1, fit_intercept=False) on the design with its Intercept column
        sk = model.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False))
        post = _sample(model, args, prefetch=child is not None)
    diag = _print_results(post, (mle, sk))
    _write_outputs(post, args, (mle, sk))
    return _exit_status(diag, args)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"bayeslogit: {category.__name__}: {' '.join(str(message).split())}\n"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bayeslogit`` command; returns the exit status."""
    args = _parser().parse_args(argv)
    import warnings

    from .errors import BayeslogitError

    formatwarning, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        if args.command == "fit":
            return _fit(args)
        if args.command == "report":
            return _report(args)
        if args.command == "demo":
            return _demo(args)
    except (BayeslogitError, OSError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename is not None:
            message = f"{exc.strerror or type(exc).__name__}: {exc.filename!r}"
        print(f"bayeslogit {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        written = getattr(args, "written", None)
        if written:  # the interrupt came after the last rename: every output is complete
            print(f"bayeslogit: interrupted after writing {', '.join(written)} (complete)", file=sys.stderr)
        else:
            print("bayeslogit: interrupted; no output file was written or changed", file=sys.stderr)
        return 130
    except RecursionError:  # never thousands of lines of traceback
        print(
            f"bayeslogit {args.command}: error: the formula is nested too deeply or too long to evaluate; simplify it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    finally:
        warnings.formatwarning = formatwarning
    return EXIT_USAGE  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
