"""The HTML report: self-contained, every section present, numbers as computed, renders in Chromium."""

import base64
import contextlib
import io
import os
import re
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import bayeslogit as bl
from bayeslogit.errors import ArgumentError

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


@pytest.fixture(scope="module")
def post(seed_df):
    model = bl.LogitModel("y ~ x1 + x2", data=seed_df)
    return model.sample(draws=400, tune=400, chains=2, random_seed=5, progressbar=False)


@pytest.fixture(scope="module")
def report(post, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "report.html"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        out = post.report(path)  # progress=True: one status line per step on stderr
    return out, out.read_text(encoding="utf-8"), err.getvalue().splitlines()


def _images(page):
    return re.findall(r'<img alt="([^"]*)" src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)


def test_report_is_one_self_contained_file(report):
    path, page, _ = report
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    # nothing fetched: no URLs, no external scripts/styles/fonts, every src is inline data
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "data:", page)
    assert not re.search(r"(?i)(https?|ftp|file):|//[a-z0-9]", text)
    assert "<script" not in page and "<link" not in page and "@import" not in page
    srcs = re.findall(r'\bsrc="([^"]*)"', page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert all(h.startswith("#") for h in re.findall(r"\bhref=['\"]([^'\"]*)", page))


def test_every_figure_is_a_nonblank_png(report):
    import matplotlib.image as mpimg

    _, page, _ = report
    imgs = _images(page)
    alts = [a for a, _ in imgs]
    for wanted in ("trace plots", "rank plots", "prior and posterior densities", "PAV calibration plot",
                   "separation plot", "Pareto k per observation"):
        assert wanted in alts
    for alt, data in imgs:
        raw = base64.b64decode(data)
        assert raw[:8] == b"\x89PNG\r\n\x1a\n", alt
        pixels = mpimg.imread(io.BytesIO(raw))[..., :3]
        assert pixels.shape[0] > 100 and pixels.shape[1] > 200, alt
        assert (pixels.min(axis=-1) < 0.8).mean() > 0.01, f"{alt} is (nearly) blank"


def test_sections_and_numbers_match_the_fit(post, report):
    _, page, lines = report
    for heading in ("Model", "Priors", "Posterior next to the point estimates", "Diagnostics",
                    "Trace and rank plots", "Prior vs posterior", "Calibration and separation", "PSIS-LOO"):
        assert f">{heading}</h" in page
    assert "y ~ x1 + x2" in page and "y = 1 is the event" in page and "<td class='text'>500</td>" in page
    for prior in post.model.prior_summary()["prior"]:
        assert prior in page
    table = post.coef_table()
    for name in post.coef_names:
        assert f"{table.loc[name, 'mean']:.3f}" in page
        assert f"{table.loc[name, 'eti95_lb']:.3f}" in page
    diag = post.diagnostics()
    assert f"{diag.loo.elpd:.3f}" in page and f"{diag.loo.p:.3f}" in page
    assert f"{diag.fit.brier:.4f}" in page and f"{diag.fit.auc:.4f}" in page
    assert "All convergence checks pass." in page and "class='FAIL'" not in page
    steps = [line.split("] ", 1)[1] for line in lines]
    assert steps[:4] == ["model and priors", "diagnostics", "trace and rank plots", "prior vs posterior"]
    assert all(line.startswith("[report") for line in lines) and "wrote" in lines[-1]


def test_failing_fit_shows_verdicts_and_suggestions(seed_df, tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bad = bl.LogitModel("y ~ x1 + x2", data=seed_df).sample(draws=30, tune=5, chains=1, random_seed=1,
                                                                  progressbar=False)
        capsys.readouterr()
        steps = []
        page = bad.report(tmp_path / "bad.html", progress=steps.append).read_text()
    assert capsys.readouterr().err == ""  # a callable gets the status lines instead of stderr
    assert steps[0] == "model and priors" and steps[-1].startswith("wrote ")
    assert "Rank plots need at least 2 chains" in page
    assert "check(s) failed" in page and "<td class='FAIL'>FAIL</td>" in page
    assert "What to do" in page and "increase draws" in page


def test_bad_path_and_mismatched_fits_raise(post, tmp_path, seed_df):
    with pytest.raises(ArgumentError, match="does not exist"):
        post.report(tmp_path / "no" / "such" / "r.html", progress=False)


def _chromium():
    env = os.environ.get("BAYESLOGIT_CHROMIUM")
    if env:
        return env
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


_PROBE = """<script>
window.addEventListener('error', e => document.documentElement.setAttribute('data-js-error', String(e.message)));
window.addEventListener('load', () => {
  const imgs = Array.from(document.images);
  const ok = imgs.filter(i => i.complete && i.naturalWidth > 0).length;
  document.documentElement.setAttribute('data-images', ok + '/' + imgs.length);
  console.log('bayeslogit-probe images ' + ok + '/' + imgs.length);
});
</script>"""


def test_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("Chromium not found: `make test` installs Debian's `chromium` (needs root and apt-get); "
                    "set BAYESLOGIT_CHROMIUM to a Chromium binary to run this test")
    path, page, _ = report
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}"]
    # 1. the report itself (unmodified) as a screenshot
    shot = tmp_path / "report.png"
    subprocess.run(flags + ["--window-size=1200,2400", f"--screenshot={shot}", path.as_uri()],
                   check=True, capture_output=True, timeout=120)
    import matplotlib.image as mpimg

    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2400, 1200)
    dark = (pixels.min(axis=-1) < 0.5).mean()
    assert dark > 0.005, f"screenshot is (nearly) blank: {dark:.4f} of pixels dark"
    assert pixels.std() > 0.05
    # 2. a copy with a probe script: every image decoded, no script errors, no console errors
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", _PROBE + "</body>"), encoding="utf-8")
    res = subprocess.run(flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
                                  "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    n_img = len(_images(page))
    assert f'data-images="{n_img}/{n_img}"' in res.stdout
    assert "data-js-error=" not in res.stdout
    console = [line for line in res.stderr.splitlines() if ":CONSOLE" in line]
    assert console and all("bayeslogit-probe images" in line for line in console), console
