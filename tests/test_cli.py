"""The command line: fast complete --help, one-line errors with exit 2, fit and demo end to end."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

import bayeslogit as bl
from bayeslogit.cli import main, parse_priors
from bayeslogit.datasets import simulate_seed

ROOT = Path(__file__).resolve().parents[1]
SMALL = ["--draws", "200", "--tune", "200", "--chains", "2", "--seed", "3", "--quiet"]


def _run(*args, timeout=120):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "bayeslogit", *args], capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT
    )


@pytest.fixture(scope="module")
def csv(mixed_df, tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "data.csv"
    mixed_df.to_csv(path, index=False)
    return path


def test_help_is_complete_and_does_not_import_pymc():
    code = (
        "import sys\n"
        "from bayeslogit.cli import main\n"
        "for argv in (['--help'], ['fit', '--help'], ['report', '--help'], ['demo', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0\n"
        "heavy = [m for m in ('pymc', 'pytensor', 'arviz', 'matplotlib', 'xarray') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "HEAVY []" in out  # how fast --help is: `make bench`, not a test
    for option in (
        "DATA.csv",
        "FORMULA",
        "--prior",
        "--draws",
        "--chains",
        "--seed",
        "--report",
        "--save",
        "--trials",
        "--event",
        "FIT.nc",
        "--output",
        "--n",
    ):
        assert option in out
    res = _run("--help")
    assert res.returncode == 0 and "{fit,report,demo}" in res.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["fit", "/no/such/file.csv", "y ~ x1"], "No such file or directory: '/no/such/file.csv'"),
        (["fit", "{csv}", "y ~ x1 + nope"], "'nope', which is not a column"),
        (["fit", "{csv}", "y ~ x1", "--prior", "normal(0"], "cannot parse prior 'normal(0'"),
        (["fit", "{csv}", "y ~ x1", "--prior", "gamma(1, 1)"], "cannot parse prior 'gamma(1, 1)'"),
        (["fit", "{csv}", "y ~ x1", "--prior", "x7=normal(0, 1)"], "priors has key 'x7'"),
        (["fit", "{csv}", "y ~ x1", "--prior", "normal(0,1)", "--prior", "cauchy(0,1)"], "--prior given twice"),
        (["fit", "{dir}", "y ~ x1"], "Is a directory"),
        (["fit", "{csv}", "y ~ x1", "--report", "/no/such/dir/r.html"], "--report /no/such/dir/r.html: folder"),
        (["fit", "{csv}", "y ~ x1", "--draws", "0"], "draws must be an integer >= 1"),
        (["fit", "{csv}", "y ~ x1", "--save", "/no/such/dir/f.nc"], "--save /no/such/dir/f.nc: folder"),
        (["report", "/no/such/fit.nc", "-o", "r.html"], "no file at '/no/such/fit.nc'"),
        (["report", "{csv}", "-o", "r.html"], "data.csv' is not a bayeslogit fit"),
        (["report", "{dir}", "-o", "r.html"], "is a directory"),
        (["report", "{csv}", "-o", "/no/such/dir/r.html"], "--output /no/such/dir/r.html: folder"),
    ],
)
def test_user_errors_are_one_line_exit_2(args, message, csv, capsys):
    args = [a.format(csv=csv, dir=csv.parent) for a in args]
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"bayeslogit {args[0]}: error: "), captured.err
    assert message in lines[0]
    assert "Traceback" not in captured.err + captured.out


def test_errors_from_the_real_command_have_no_traceback(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00binary")
    for args in (["fit", str(tmp_path / "missing.csv"), "y ~ x"], ["fit", str(bad), "y ~ x"]):
        res = _run(*args)
        assert res.returncode == 2, res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
    # argparse's own usage errors also exit 2
    assert _run("fit").returncode == 2


def test_parse_priors():
    assert parse_priors([]) is None
    assert parse_priors(["normal(0, 1)"]) == bl.Normal(0, 1)
    assert parse_priors(["x1=normal(0,1)", "C(g)=cauchy(0, 2.5)", "Intercept=flat"]) == {
        "x1": bl.Normal(0, 1),
        "C(g)": bl.Cauchy(0, 2.5),
        "Intercept": bl.Flat(),
    }
    assert parse_priors(["C(g, Treatment('b'))=studentt(3, 0, 2.5)"]) == {
        "C(g, Treatment('b'))": bl.StudentT(3, 0, 2.5)
    }
    with pytest.raises(bl.PriorError, match="not both"):
        parse_priors(["normal(0,1)", "x1=normal(0,2)"])


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_fit_prints_summary_diagnostics_comparison_and_writes_report(csv, mixed_df, tmp_path, capsys):
    out, saved = tmp_path / "fit.html", tmp_path / "fit.nc"
    code = main(
        [
            "fit",
            str(csv),
            "y ~ x1 + C(g)",
            "--prior",
            "x1=normal(0, 1)",
            *SMALL,
            "--report",
            str(out),
            "--save",
            str(saved),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text = captured.out
    assert "Bayesian logistic regression (posterior)" in text and "Normal(0, 1)" in text
    assert "R-hat (max)" in text and "verdict" in text
    assert "MLE" in text and "MAP" in text and "Posterior" in text
    # the printed MLE is statsmodels' Logit
    ref = sm.Logit(
        mixed_df["y"],
        sm.add_constant(np.column_stack([mixed_df["x1"], mixed_df["g"] == "b", mixed_df["g"] == "c"]).astype(float)),
    ).fit(disp=0)
    table_rows = {
        line.split()[0]: line.split()
        for line in text.splitlines()  # comparison table is last
        if line.split() and line.split()[0] in ("Intercept", "x1", "C(g)[T.b]", "C(g)[T.c]")
    }
    # term, then "estimate (sd)" for MLE, MAP and posterior
    assert all(len(r) == 7 for r in table_rows.values())
    mle_rows = [table_rows[t] for t in ("Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1")]
    printed = np.array([float(r[1]) for r in mle_rows])
    expected = ref.params.values[[0, 2, 3, 1]]
    np.testing.assert_allclose(printed, expected, atol=1e-4)
    printed_se = np.array([float(r[2].strip("()")) for r in mle_rows])
    np.testing.assert_allclose(printed_se, ref.bse.values[[0, 2, 3, 1]], atol=1e-4)
    page = out.read_text()
    assert "forest plot" in page and "y ~ x1 + C(g)" in page
    # re-render from the saved fit: same posterior, same priors, same MLE/MAP, same tables
    again = tmp_path / "again.html"
    assert main(["report", str(saved), "-o", str(again), "--quiet"]) == 0
    page2 = again.read_text()
    tables = lambda p: re.findall(r"<table.*?</table>", p.split("id='run'")[0], re.S)  # noqa: E731
    assert len(tables(page)) > 5 and tables(page2) == tables(page)  # all but the run information
    run = lambda p: p.split("id='run'")[1]  # noqa: E731
    assert f"{csv} (CSV)" in run(page) and "s (sampling, this run)" in run(page)
    assert f"the training rows stored in {saved}" in run(page2)
    loaded = bl.load(saved)
    np.testing.assert_array_equal(loaded.draws(), np.asarray(loaded.idata.posterior["beta"]).reshape(-1, 4))
    assert str(loaded.model.priors.priors["x1"]) == "Normal(0, 1)"
    # a saved point fit is refused with a one-line error
    mle_file = tmp_path / "mle.nc"
    loaded.model.fit_mle().save(mle_file)
    assert main(["report", str(mle_file), "-o", str(tmp_path / "x.html")]) == 2
    assert "holds a MLE fit; the report needs a posterior" in capsys.readouterr().err


def test_demo_runs_the_seed_example_end_to_end(tmp_path, capsys):
    out = tmp_path / "demo.html"
    # a short run (2 x 200 draws): whether its R-hat passes 1.01 is the seed's luck, not what this
    # tests (the exit status of failed checks is tested below)
    argv = ["demo", "--draws", "200", "--tune", "200", "--chains", "2", "--quiet", "--ignore-checks"]
    code = main([*argv, "--report", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    text = captured.out
    assert "Simulated n=500 rows: eta = -3 + 2 x1 - 1.5 x2 (seed 1)" in text
    assert "MAP sklearn C=1, fit_intercept=False" in text
    df = simulate_seed(500, random_seed=1)
    X = np.column_stack([np.ones(500), df["x1"], df["x2"]])
    mle = np.asarray(sm.Logit(df["y"], X).fit(disp=0).params)
    rows = {line.split()[0]: line.split() for line in text.splitlines() if line.split()[:1] in (["x1"], ["x2"])}
    # the comparison table is printed last: term, then "estimate (sd)" for MLE, MAP, posterior
    assert len(rows["x1"]) == 7
    assert float(rows["x1"][1]) == pytest.approx(mle[1], abs=1e-4)
    from sklearn.linear_model import LogisticRegression

    sk = LogisticRegression(C=1.0, fit_intercept=False, tol=1e-10, max_iter=10_000).fit(X, df["y"]).coef_[0]
    assert float(rows["x2"][3]) == pytest.approx(sk[2], abs=1e-4)  # MAP = sklearn's fit
    assert out.exists() and "<img" in out.read_text()


# -- issue 13: --version, --sampler bayeslogit, --method laplace, report's default output, exit
# status of failed checks, stdout holding only the results (100 columns, rounded) -------------


def test_version_and_new_options_in_help():
    res = _run("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"bayeslogit {bl.__version__}"
    res = _run("fit", "--help")
    assert res.returncode == 0
    for text in ("bayeslogit", "--method", "laplace", "--ignore-checks", "status 3"):
        assert text in res.stdout, text
    res = _run("--help")
    assert "3 the run finished and wrote its outputs but a diagnostic check" in " ".join(res.stdout.split())
    assert "--output" in _run("report", "--help").stdout


def test_sampler_bayeslogit_and_method_laplace_are_accepted(csv, capsys):
    assert main(["fit", str(csv), "y ~ x1", *SMALL, "--sampler", "bayeslogit"]) == 0
    assert "NUTS (bayeslogit)" in capsys.readouterr().out
    assert (
        main(
            [
                "fit",
                str(csv),
                "y ~ x1",
                "--draws",
                "500",
                "--chains",
                "2",
                "--seed",
                "3",
                "--quiet",
                "--method",
                "laplace",
            ]
        )
        == 0
    )
    assert "Laplace + PSIS importance sampling" in capsys.readouterr().out


def test_report_defaults_to_the_fit_files_name_and_never_overwrites_it(csv, tmp_path, capsys):
    saved = tmp_path / "run1.nc"
    assert main(["fit", str(csv), "y ~ x1", *SMALL, "--save", str(saved)]) == 0
    assert main(["report", str(saved), "--quiet"]) == 0
    assert (tmp_path / "run1.html").read_text().startswith("<!DOCTYPE html>")
    # a fit file named *.html would be its own default output: refused before any work
    odd = tmp_path / "fit.html"
    odd.write_bytes(saved.read_bytes())
    capsys.readouterr()
    assert main(["report", str(odd), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--output" in err and "fit.html" in err
    assert odd.read_bytes() == saved.read_bytes()


def test_failed_check_exits_3_after_writing_outputs_and_ignore_checks_gives_0(csv, tmp_path, capsys):
    short = ["--draws", "30", "--tune", "5", "--chains", "1", "--seed", "1", "--quiet"]
    out = tmp_path / "short.html"
    code = main(["fit", str(csv), "y ~ x1", *short, "--report", str(out)])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    assert out.exists() and "FAIL" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert last.startswith("bayeslogit fit: diagnostic check(s) failed: ") and "ESS bulk (min)" in last
    assert main(["fit", str(csv), "y ~ x1", *short, "--ignore-checks"]) == 0
    assert "--ignore-checks" in capsys.readouterr().err
    # scripts see the status from the real command too
    res = _run("fit", str(csv), "y ~ x1", *short)
    assert res.returncode == 3, res.stderr[-2000:]


def _coef_rows(text):
    """The posterior coefficient table of the printed summary: {term: cells}."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == ["mean", "sd"])
    header = lines[start].split()
    rows = {}
    for line in lines[start + 2 :]:
        if line.startswith("-"):
            break
        cells = line.split()
        rows[cells[0]] = dict(zip(header, cells[1:]))
    return rows


def test_stdout_holds_only_results_fitting_100_columns_rounded(csv, mixed_df):
    """PyMC's progress table and log lines go to stderr even when stdout is a pipe; what stdout
    holds fits 100 columns; ESS are integers, R-hat has 3 decimals, estimates stop at the MCSE."""
    res = _run(
        "fit",
        str(csv),
        "y ~ x1 + C(g)",
        "--sampler",
        "pymc",
        "--draws",
        "100",
        "--tune",
        "100",
        "--chains",
        "2",
        "--seed",
        "2",
        "--ignore-checks",
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout
    assert "NUTS (pymc)" in out
    assert max(len(line) for line in out.splitlines()) <= 100
    for marker in ("Sampling", "NUTS:", "Progress", "━", "draws/s", "Initializing"):
        assert marker not in out.replace("NUTS (pymc)", ""), marker
    assert "Initializing NUTS" in res.stderr or "Sampling" in res.stderr  # they went to stderr
    rows = _coef_rows(out)
    assert set(rows) == {"Intercept", "C(g)[T.b]", "C(g)[T.c]", "x1"}
    for term, cells in rows.items():
        assert re.fullmatch(r"\d+", cells["ess_bulk"]) and re.fullmatch(r"\d+", cells["ess_tail"])
        assert re.fullmatch(r"\d\.\d{3}", cells["r_hat"])
        mcse = float(cells["mcse_mean"])
        assert mcse > 0  # never printed as 0.000
        decimals = len(cells["mean"].split(".")[1]) if "." in cells["mean"] else 0
        # the last printed digit is the MCSE's first significant one
        assert 10.0**-decimals <= mcse < 10.0 ** (1 - decimals), (term, cells)
    # the printed posterior means are those of the draws in the fit (re-sampled with the same seed)
    post = bl.LogitModel("y ~ x1 + C(g)", mixed_df).sample(
        draws=100, tune=100, chains=2, random_seed=2, sampler="pymc", progressbar=False
    )
    for term, cells in rows.items():
        k = len(cells["mean"].split(".")[1])
        assert float(cells["mean"]) == pytest.approx(post.params[term], abs=0.51 * 10.0**-k)


def test_decimals_follow_the_mcse():
    from bayeslogit.cli import _decimals
    from bayeslogit.summary import significant as _significant  # the CLI's and the report's MCSE cells

    assert [_decimals(v) for v in (0.0099, 0.01, 0.02, 0.35, 3.0, 0.00049)] == [3, 2, 2, 1, 0, 4]
    assert _significant(0.000731) == "0.00073" and _significant(0.0412) == "0.041" and _significant(12.3) == "12"


def test_effects_prints_the_average_marginal_effects_and_chooses_the_report_panels(csv, tmp_path, capsys):
    """`--effects x1,g`: the average marginal effects of x1 (a slope) and g (contrasts) printed, equal
    to bl.avg_slopes of the saved posterior; the report's conditional-effects section draws those two."""
    from bayeslogit.check import statistics

    out, saved = tmp_path / "fit.html", tmp_path / "fit.nc"
    code = main(["fit", str(csv), "y ~ x1 + x2 + C(g)", *SMALL, "--effects", "x1, g", "--report", str(out),
                 "--save", str(saved)])  # fmt: skip
    printed = capsys.readouterr().out
    assert code in (0, 3)
    post = bl.load(saved)
    ame = bl.avg_slopes(post, variables=["x1", "g"])
    assert ame["term"].tolist() == ["x1", "g", "g"]
    block = printed.split("Average marginal effects (bl.avg_slopes)")[1]
    for _, row in ame.iterrows():
        line = f"{row['term']} {row['contrast']} {row['estimate']:.4f} {row['std_error']:.4f}"
        assert line in " ".join(block.split()), line
    panels, total = statistics.conditional_effects(post, ["x1", "g"])
    assert [p[0] for p in panels] == ["x1", "g"] and total == 2
    assert "Conditional effects" in out.read_text()
    with pytest.raises(
        bl.ArgumentError,
        match=r"^effects: 'x9' is not a predictor of the model .* its predictors are \['x1', 'x2', 'g'\]$",
    ):
        post.report(tmp_path / "other.html", effects=["x9"], progress=False)


def test_effects_naming_no_predictor_exits_2_before_sampling(csv, capsys):
    code = main(["fit", str(csv), "y ~ x1", *SMALL, "--effects", "x2"])
    err = capsys.readouterr().err
    assert code == 2
    assert "effects: 'x2' is not a predictor of the model 'y ~ x1'; its predictors are ['x1']" in err
    assert "Sampling" not in err
