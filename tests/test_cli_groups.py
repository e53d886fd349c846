"""The command line with group terms: `bayeslogit fit data.csv "y ~ x + (1|g)"` prints the group
sds next to the coefficients, writes a report with the group section and a fit that `bayeslogit
report` re-renders; group priors by `--prior '1|g=halfnormal(1)'`."""

import re

import pytest

import bayeslogit as bl
from bayeslogit.cli import main, parse_priors
from bayeslogit.datasets import simulate_groups
from bayeslogit.errors import PriorError

SMALL = ["--draws", "200", "--tune", "300", "--chains", "2", "--seed", "3", "--quiet", "--ignore-checks"]


@pytest.fixture(scope="module")
def group_csv(tmp_path_factory):
    df, _ = simulate_groups(10, (10, 40), random_seed=5)
    path = tmp_path_factory.mktemp("cli_groups") / "groups.csv"
    df.to_csv(path, index=False)
    return path, df


@pytest.mark.slow  # over 4 s: `make test` stays under 5 minutes on 2 cores
def test_fit_save_report_and_report_again(group_csv, tmp_path, capsys):
    path, df = group_csv
    fit, out = tmp_path / "fit.nc", tmp_path / "out.html"
    code = main(
        [
            "fit",
            str(path),
            "y ~ x + (1|g)",
            *SMALL,
            "--prior",
            "1|g=halfnormal(1)",
            "--save",
            str(fit),
            "--report",
            str(out),
        ]
    )
    printed = capsys.readouterr()
    assert code == 0, printed.err
    text = printed.out
    assert "Group terms:" in text and "(1 | g): 10 levels" in text
    # the group sd's row is rounded like the coefficients' (ESS whole draws, R-hat 3 decimals)
    row = re.search(r"^sd\(Intercept \| g\)\s+(.*)$", text, re.M).group(1).split()
    assert re.fullmatch(r"\d+", row[4]) and re.fullmatch(r"\d\.\d{3}", row[6]), row
    assert re.search(r"^sd\(Intercept \| g\)\s+HalfNormal\(1\)\s+group sd", text, re.M)
    # the GLMM maximum likelihood (glmer's) beside the posterior, its group sd on the sd's row
    assert "MLE (GLMM, Laplace)" in text and "MAP model priors, complete pooling" in text
    sd_row = [line for line in text.splitlines() if line.startswith("sd(Intercept | g)")][-1].split()
    glmm_sd = bl.LogitModel("y ~ x + (1 | g)", df).fit_mle().group_summary()["estimate"].iloc[0]
    assert sd_row[3] == f"{glmm_sd:.4f}" and sd_row[4] == "-", sd_row
    post = bl.load(fit)
    assert (
        post.design.groups is not None
        and post.model.prior_summary().loc["sd(Intercept | g)", "prior"] == "HalfNormal(1)"
    )
    sd = post.idata.posterior["sd_g"].values.ravel()
    assert float(row[0]) == pytest.approx(sd.mean(), abs=10 ** -(len(row[0].split(".")[1])) / 2 + 1e-12)
    page = out.read_text()
    assert "id='groups'" in page and "caterpillar plot of (1 | g)" in page and "HalfNormal(1)" in page
    # `bayeslogit report` on the saved group fit
    again = tmp_path / "again.html"
    code = main(["report", str(fit), "-o", str(again), "--quiet", "--ignore-checks"])
    assert code == 0, capsys.readouterr().err
    page2 = again.read_text()
    assert "id='groups'" in page2 and "caterpillar plot of (1 | g)" in page2
    # the same numbers as the first report: the group table is the saved posterior's
    table = lambda p: re.search(r"Group-level sds and correlations</h3>(<table>.*?</table>)", p).group(1)
    assert table(page) == table(page2)


def test_group_priors_on_the_command_line():
    parsed = parse_priors(["1|g=halfnormal(1)", "x|g = halfstudentt(3, 1)", "cor|g=lkj(2)", "x=normal(0, 1)"])
    assert parsed == {"1|g": bl.HalfNormal(1), "x|g": bl.HalfStudentT(3, 1), "cor|g": bl.LKJ(2), "x": bl.Normal(0, 1)}
    with pytest.raises(PriorError, match=r"cannot parse group prior 'normal\(0, 1\)'"):
        parse_priors(["1|g=normal(0, 1)"])
    with pytest.raises(PriorError, match="give numbers"):
        parse_priors(["1|g=halfnormal(a)"])


def test_bad_group_prior_exits_2_with_one_line(group_csv, capsys):
    path, _ = group_csv
    code = main(["fit", str(path), "y ~ x + (1|g)", *SMALL, "--prior", "1|g=cauchy(0, 1)"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "cannot parse group prior" in err[0]
