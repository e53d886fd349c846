"""The README runs as written and its numbers are what the code computes (no stale numbers).

Every ```python block is executed, in order, in one namespace (a fresh working folder, so
``post.save("fit.nc")`` and ``post.report(...)`` write there). Sampling is shortened by capping
``draws``/``tune``/``chains`` at ``BAYESLOGIT_README_DRAWS`` (default 150) / 2 chains: the blocks
show no sampled numbers, and the seed table's posterior column is checked separately against what
``make demo`` prints at the full 4 x 1000 draws.
"""

import contextlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.cli import main
from bayeslogit.datasets import simulate_seed

README = Path(__file__).resolve().parents[1] / "README.md"
CAP = int(os.environ.get("BAYESLOGIT_README_DRAWS", "150"))


def python_blocks(text: str) -> list[str]:
    """The ```python fenced blocks of a Markdown text, in order."""
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def _table():
    text = README.read_text()
    block = text.split("<!-- seed-table -->")[1].split("<!-- /seed-table -->")[0]
    rows = {}
    for line in block.strip().splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0]] = [tuple(float(v) for v in re.findall(r"-?\d+\.\d+", c)) for c in cells[1:]]
    return rows


def test_python_blocks_are_found():
    blocks = python_blocks(README.read_text())
    # every python block of the README (a new one is picked up automatically; none is skipped)
    assert len(blocks) == README.read_text().count("```python") >= 6
    assert "import bayeslogit as bl" in blocks[0]


def test_every_python_block_runs_as_written(tmp_path, monkeypatch):
    """exec each block in one namespace; a NameError (undefined ``pd``, ``X``...) fails here."""
    import matplotlib

    matplotlib.use("Agg")
    real_sample = bl.LogitModel.sample
    calls = []

    def short_sample(self, **kw):
        kw["draws"] = min(kw.get("draws", 1000), CAP)
        kw["tune"] = min(kw.get("tune", 1000), CAP)
        kw["chains"] = min(kw.get("chains", 4), 2)
        kw["progressbar"] = False
        calls.append(kw)
        return real_sample(self, **kw)

    monkeypatch.setattr(bl.LogitModel, "sample", short_sample)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "readme"}
    blocks = python_blocks(README.read_text())
    done = []
    for i, code in enumerate(blocks):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, f"README.md python block {i + 1}", "exec"), namespace)
            except Exception as exc:  # name the block in the failure
                raise AssertionError(
                    f"README python block {i + 1} fails as written: {type(exc).__name__}: {exc}\n{code}"
                ) from exc
        done.append(i)
    assert done == list(range(len(blocks)))
    assert calls  # the blocks did sample (through the capped sampler)
    # what the blocks claim they produce
    assert (tmp_path / "fit.nc").exists() and (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    post, mle = namespace["post"], namespace["mle"]
    assert list(post.params.index) == ["Intercept", "x1", "x2"]
    ref = bl.LogitModel("y ~ x1 + x2", simulate_seed(500, random_seed=1)).fit_mle()
    np.testing.assert_allclose(mle.params, ref.params, rtol=1e-10)
    # the sklearn block's X, y are the seed data
    np.testing.assert_array_equal(namespace["y"], simulate_seed(500, random_seed=1)["y"].to_numpy())


def test_readme_mle_and_map_numbers():
    from sklearn.linear_model import LogisticRegression

    rows = _table()
    df = simulate_seed(500, random_seed=1)
    m = bl.LogitModel("y ~ x1 + x2", df)
    mle = m.fit_mle()
    map_flat = m.fit_map(priors=bl.sklearn_prior(C=1.0))
    map_ = m.fit_map(priors=bl.sklearn_prior(C=1.0, fit_intercept=False))
    assert list(rows) == ["Intercept", "x1", "x2"]
    for term, (mle_cell, flat_cell, map_cell, _) in rows.items():
        assert mle_cell == pytest.approx((mle.params[term], mle.bse[term]), abs=5e-5)
        assert flat_cell == pytest.approx((map_flat.params[term], map_flat.bse[term]), abs=5e-5)
        assert map_cell == pytest.approx((map_.params[term], map_.bse[term]), abs=5e-5)
    # the two sklearn columns are scikit-learn's own fits, both conventions
    tight = dict(tol=1e-10, max_iter=10_000)
    sk = LogisticRegression(**tight).fit(df[["x1", "x2"]], df["y"])
    np.testing.assert_allclose([rows[t][1][0] for t in rows], [sk.intercept_[0], *sk.coef_[0]], atol=5e-5)
    X = np.column_stack([np.ones(500), df["x1"], df["x2"]])
    sk0 = LogisticRegression(fit_intercept=False, **tight).fit(X, df["y"])
    np.testing.assert_allclose([rows[t][2][0] for t in rows], sk0.coef_[0], atol=5e-5)
    assert mle.llf == pytest.approx(-115.915, abs=5e-4)
    assert mle.prsquared == pytest.approx(0.406, abs=5e-4)


def test_readme_posterior_column_is_what_make_demo_prints(capsys):
    """`make demo` runs `bayeslogit demo` (4 chains x 1000 draws, seed 1): its printed posterior
    column, rounded to the README's 2 decimals, is the table's."""
    assert main(["demo", "--quiet"]) == 0
    out = capsys.readouterr().out
    rows = _table()
    for term, cells in rows.items():
        line = next(line for line in out.splitlines()[::-1] if line.split()[:1] == [term])
        mean, sd = (float(v) for v in re.findall(r"(-?\d+\.\d+) \((\d+\.\d+)\)", line)[-1])
        readme_mean, readme_sd = cells[3]
        assert abs(mean - readme_mean) <= 0.005 + 1e-9, (term, mean, readme_mean)
        assert abs(sd - readme_sd) <= 0.005 + 1e-9, (term, sd, readme_sd)


def test_readme_figures_exist_and_are_small():
    """Every ``docs/*.png`` the README shows is committed, a PNG, and under 150 kB."""
    text = README.read_text()
    images = re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", text)
    assert "docs/interpretation.png" in images
    for rel in images:
        path = README.parent / rel
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", rel
        assert path.stat().st_size < 150_000, rel
