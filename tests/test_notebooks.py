"""Every notebook in notebooks/ runs top to bottom without error (nbclient, same Python).

The notebooks check their own story with ``np.testing`` assertions against statsmodels and
scikit-learn, so a failing assertion inside a notebook fails here. Sampling is kept short by
the environment variables the notebooks read (``BAYESLOGIT_NOTEBOOK_DRAWS``/``_CHAINS``, and
``_ROWS`` for the large-data notebook: a million rows by default, 20,000 here).
The kernel runs in a temporary directory, so nothing a notebook writes lands in the repo.
"""

import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 300
TEST_DRAWS = "200"
TEST_CHAINS = "2"
TEST_ROWS = "20000"


def test_there_are_notebooks():
    assert [p.name[:3] for p in NOTEBOOKS][:2] == ["01_", "02_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_clean(path):
    """Outputs cleared, no execution counts, no machine paths, the standard python3 kernel."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    text = path.read_text()
    assert not re.search(r"/work/|/home/|/Users/|/tmp/|[A-Z]:\\\\", text), "machine path in notebook"


SLOW_NOTEBOOKS = {
    "03_diagnostics_and_reporting",
    "04_large_data",
    "05_penalties_are_priors",
    "06_group_effects",
    "07_categorical",
}
"""Over 7 s each: run by `make test-slow` (CI), so that `make test` stays under 5 minutes."""


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, marks=[pytest.mark.slow] if p.stem in SLOW_NOTEBOOKS else []) for p in NOTEBOOKS],
    ids=lambda p: p.stem,
)
def test_notebook_runs(path, tmp_path, monkeypatch):
    monkeypatch.setenv("BAYESLOGIT_NOTEBOOK_DRAWS", TEST_DRAWS)
    monkeypatch.setenv("BAYESLOGIT_NOTEBOOK_CHAINS", TEST_CHAINS)
    monkeypatch.setenv("BAYESLOGIT_NOTEBOOK_ROWS", TEST_ROWS)
    # the kernel imports this checkout's bayeslogit (it is not necessarily pip-installed)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(tmp_path)}}
    )
    try:
        client.execute()
    except CellExecutionError as err:  # show which cell and why, not the whole traceback dump
        pytest.fail(f"{path.name} failed:\n{str(err)[-3000:]}")
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors


def _sample_calls(path):
    nb = nbformat.read(path, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return code, re.findall(r"SAMPLE = dict\([^)]*\)|\.sample\([^)]*\)", code)


def test_large_data_notebook_samples_with_the_defaults_and_shows_progress():
    """Issue 26: notebook 04 ran 21 minutes in silence (tune=1000 hard-coded, five times the
    default warm-up, and progressbar=False)."""
    code, calls = _sample_calls(ROOT / "notebooks" / "04_large_data.ipynb")
    assert calls
    assert "tune=" not in code and "progressbar=False" not in code, calls


def test_diagnostics_notebook_holds_no_draws_x_rows_array_of_the_hold_out():
    """Issue 26: notebook 03 peaked at 4.9 GB: draws x rows arrays of the 20,000 hold-out rows
    (eta, log-likelihood and their temporaries). It now works by blocks of rows and asserts how
    much its peak memory grows (run by test_notebook_runs)."""
    code, _ = _sample_calls(ROOT / "notebooks" / "03_diagnostics_and_reporting.ipynb")
    assert "eta_new" not in code
    assert "assert grew_gb < 0.5 * one_array_gb" in code
