"""Outputs of the command line and of save(): an interrupt never loses a fit, special files are
never replaced, temporary files are named, short enough and cleaned up (issue 27)."""

from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import bayeslogit as bl

ROOT = Path(__file__).resolve().parents[1]
linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals, FIFOs and /proc: Linux")


def _df(n=60, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n)})
    df["y"] = rng.binomial(1, 1 / (1 + np.exp(-df.x)))
    return df


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outputs")
    _df().to_csv(folder / "data.csv", index=False)
    post = bl.LogitModel("y ~ x", _df()).sample(draws=20, tune=20, chains=1, random_seed=1, progressbar=False)
    post.save(folder / "fit.nc")
    return folder, post


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "tmp" in p.name or p.name.startswith("."))


# -- 1. Ctrl-C never loses a fit ---------------------------------------------------------------

# The report's text is written by Path.write_text, after the fit was saved: the child announces
# it and waits there, and the test sends SIGINT at that moment.
PAUSE_AT_REPORT = """
import pathlib, signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
_write_text = pathlib.Path.write_text
def write_text(self, data, *a, **k):
    if data.startswith("<!DOCTYPE html>"):
        print("WRITING THE REPORT", file=sys.stderr, flush=True)
        time.sleep(60)
    return _write_text(self, data, *a, **k)
pathlib.Path.write_text = write_text
from bayeslogit.cli import main
sys.exit(main(sys.argv[1:]))
"""


@linux
def test_ctrl_c_between_the_save_and_the_report_keeps_the_previous_fit(files, tmp_path):
    folder, _ = files
    old = b"the previous fit, which must survive"
    (tmp_path / "fit.nc").write_bytes(old)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    argv = ["fit", str(folder / "data.csv"), "y ~ x", "--draws", "100", "--tune", "100", "--chains", "1"]
    argv += ["--save", str(tmp_path / "fit.nc"), "--report", str(tmp_path / "r.html"), "--quiet"]
    proc = subprocess.Popen(
        [sys.executable, "-c", PAUSE_AT_REPORT, *argv],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    seen = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if "WRITING THE REPORT" in line or not line:
            break
    assert any("WRITING THE REPORT" in s for s in seen), "".join(seen)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=30)
    err = "".join(seen) + proc.stderr.read()
    assert rc == 130, err[-2000:]
    assert (tmp_path / "fit.nc").read_bytes() == old  # used to be deleted, the old fit gone too
    assert not (tmp_path / "r.html").exists()
    assert _leftovers(tmp_path) == []
    assert "no output file was written or changed" in err and "Traceback" not in err


@linux
def test_an_interrupt_during_the_renames_lands_after_the_last_one(tmp_path, monkeypatch):
    """SIGINT while the first output is renamed: every output is complete, and the interrupt
    is raised only after the last rename (never one new output and one old)."""
    from bayeslogit import _files

    (tmp_path / "a").write_text("old a")
    (tmp_path / "b").write_text("old b")
    replace = os.replace
    calls = []

    def interrupted_replace(src, dst):
        calls.append(dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)
        replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", interrupted_replace)
    out = _files.OutputSet()
    with pytest.raises(KeyboardInterrupt), out:
        Path(out.path(tmp_path / "a")).write_text("new a")
        Path(out.path(tmp_path / "b")).write_text("new b")
        out.commit()
    assert len(calls) == 2 and out.written == [str(tmp_path / "a"), str(tmp_path / "b")]
    assert (tmp_path / "a").read_text() == "new a" and (tmp_path / "b").read_text() == "new b"
    assert _leftovers(tmp_path) == []


def test_an_error_before_the_end_leaves_every_output_as_it_was(tmp_path):
    from bayeslogit._files import OutputSet

    (tmp_path / "a").write_text("old a")
    with pytest.raises(RuntimeError), OutputSet() as out:
        Path(out.path(tmp_path / "a")).write_text("new a")
        Path(out.path(tmp_path / "b")).write_text("new b")
        raise RuntimeError("the report failed")
    assert (tmp_path / "a").read_text() == "old a" and not (tmp_path / "b").exists()
    assert _leftovers(tmp_path) == []


# -- 2. special files are never replaced ---------------------------------------------------------


def _special_files(folder: Path) -> dict[str, Path]:
    """A FIFO, a symlink to it (as /dev/stdout is a symlink to a pipe or a terminal), and, where
    this process may create one (root), a character device with the null device's numbers."""
    out = {}
    os.mkfifo(folder / "fifo")
    out["fifo"] = folder / "fifo"
    (folder / "stdout-link").symlink_to(folder / "fifo")
    out["symlink to a FIFO"] = folder / "stdout-link"
    try:
        os.mknod(folder / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        out["device"] = folder / "null"
    except (PermissionError, OSError):
        pass
    return out


def _kinds(paths) -> dict[str, tuple[int, bool]]:
    return {str(p): (stat.S_IFMT(os.lstat(p).st_mode), os.path.islink(p)) for p in paths}


@linux
def test_report_refuses_special_files_with_exit_2_and_leaves_them(files, tmp_path, capsys):
    from bayeslogit.cli import main

    folder, _ = files
    special = _special_files(tmp_path)
    before = _kinds(special.values())
    for what, path in special.items():
        assert main(["report", str(folder / "fit.nc"), "-o", str(path), "--quiet"]) == 2, what
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and re.search(r"--output .*not a regular file", err[0]), (what, err)
    assert _kinds(special.values()) == before  # used to become regular files
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in special.values())


@linux
def test_fit_refuses_a_special_file_before_sampling(files, tmp_path, capsys):
    from bayeslogit.cli import main

    folder, _ = files
    special = _special_files(tmp_path)
    t0 = time.perf_counter()
    argv = ["fit", str(folder / "data.csv"), "y ~ x", "--draws", "1000000", "--save", str(special["fifo"])]
    assert main(argv) == 2
    assert time.perf_counter() - t0 < 10
    assert re.search(r"--save .*fifo.* is a FIFO, not a regular file", capsys.readouterr().err)
    assert stat.S_ISFIFO(os.stat(special["fifo"]).st_mode)


def test_save_to_a_special_file_raises_output_error(files, tmp_path):
    _, post = files
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(bl.OutputError, match="is a FIFO, not a regular file"):
        post.save(tmp_path / "fifo")
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode)


def test_a_symlink_to_a_regular_file_is_written_through(files, tmp_path):
    _, post = files
    (tmp_path / "real.nc").write_bytes(b"old")
    (tmp_path / "link.nc").symlink_to(tmp_path / "real.nc")
    post.save(tmp_path / "link.nc")
    assert (tmp_path / "link.nc").is_symlink()  # the link stays, its target is replaced
    assert (bl.load(tmp_path / "real.nc").draws() == post.draws()).all()


# -- 5. temporary files: named, short enough, cleaned -------------------------------------------


def test_a_250_character_file_name_saves(files, tmp_path):
    _, post = files
    path = tmp_path / ("f" * 247 + ".nc")
    post.save(path)  # the temporary's name used to be 263 characters: "File name too long"
    assert (bl.load(path).draws() == post.draws()).all()
    assert _leftovers(tmp_path) == []


def test_temporary_names_say_what_they_are_and_fit_the_limit():
    from bayeslogit._files import temporary_name

    name = temporary_name("/x/fit.nc")
    assert re.fullmatch(rf"\.fit\.nc\.bayeslogit-tmp-{os.getpid()}-[0-9a-f]{{14}}", name), name
    for base in ("é" * 125 + ".nc", "f" * 255):
        assert len(os.fsencode(temporary_name(base))) <= 255


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _temporary_of(pid: int, tag: str | None = None) -> str:
    from bayeslogit._files import temporary_name

    name = re.sub(r"tmp-\d+-", f"tmp-{pid}-", temporary_name("fit.nc"))
    return name if tag is None else name[:-14] + tag + name[-8:]


@linux
def test_stale_temporaries_of_killed_processes_are_removed_on_the_next_save(files, tmp_path):
    _, post = files
    dead = tmp_path / _temporary_of(_dead_pid())
    alive = tmp_path / _temporary_of(os.getppid())  # a running process's
    elsewhere = tmp_path / _temporary_of(_dead_pid(), "ffffff")  # another host's or container's pid
    other = tmp_path / ".not-ours.tmp"
    for p in (dead, alive, elsewhere, other):
        p.write_bytes(b"x" * 1000)
    post.save(tmp_path / "other.nc")
    assert not dead.exists() and alive.exists() and elsewhere.exists() and other.exists()


@linux
def test_a_save_killed_part_way_leaves_a_temporary_the_next_save_removes(files, tmp_path):
    _, post = files
    # the killed writer: it creates its temporary like save() does, then is killed before renaming
    code = (
        "import os, sys, time\nfrom bayeslogit._files import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n    open(tmp, 'wb').write(b'x' * 10000)\n"
        "    print(tmp, flush=True)\n    time.sleep(60)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "fit.nc")], stdout=subprocess.PIPE, text=True, env=env
    )
    tmp = Path(proc.stdout.readline().strip())
    proc.kill()
    proc.wait()
    assert tmp.exists() and ".fit.nc.bayeslogit-tmp-" in tmp.name
    post.save(tmp_path / "fit.nc")
    assert not tmp.exists() and _leftovers(tmp_path) == []


# -- issue 26: the mode of a file saved over ---------------------------------------------------


def test_saving_over_a_private_file_keeps_its_mode(files, tmp_path):
    _, post = files
    path = tmp_path / "fit.nc"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    post.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# -- issue 26: a full disk ---------------------------------------------------------------------

FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
"""


@linux
def test_save_on_a_full_disk_raises_output_error_and_leaves_the_old_file(tmp_path):
    """HDF5 writing past the limit crashed the process (SIGSEGV); now an OutputError naming
    the folder and the free space, no temporary left, the previous file as it was."""
    (tmp_path / "fit.nc").write_bytes(b"old")
    code = (
        "import numpy as np, pandas as pd, bayeslogit as bl\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'x': rng.normal(size=60)}); df['y'] = rng.binomial(1, 0.5, 60)\n"
        "post = bl.LogitModel('y ~ x', df).sample(draws=500, tune=100, chains=2, random_seed=1, progressbar=False)\n"
        + FULL_DISK
        + "try:\n    post.save(sys.argv[1])\nexcept bl.OutputError as exc:\n    print('OutputError:', exc)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "fit.nc")], capture_output=True, text=True, env=env, timeout=300
    )
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert re.search(rf"OutputError: cannot write '.*fit.nc': .*folder '{tmp_path}', [\d.]+ MB free", r.stdout)
    assert (tmp_path / "fit.nc").read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


@linux
def test_cli_save_on_a_full_disk_is_one_line_exit_2_naming_the_output(files, tmp_path):
    folder, _ = files
    (tmp_path / "fit.nc").write_bytes(b"old")
    code = FULL_DISK + "from bayeslogit.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    argv = ["fit", str(folder / "data.csv"), "y ~ x", "--draws", "3000", "--chains", "2", "--quiet"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run(
        [sys.executable, "-c", code, *argv, "--save", str(tmp_path / "fit.nc")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 2, (r.returncode, r.stderr[-2000:])
    err = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(err) == 1 and re.search(rf"error: cannot write '{tmp_path}/fit.nc': .* MB free", err[0]), err
    assert "Traceback" not in r.stderr
    assert (tmp_path / "fit.nc").read_bytes() == b"old"
    assert _leftovers(tmp_path) == []


@linux
def test_cli_interrupted_during_the_renames_says_what_it_wrote(files, tmp_path, monkeypatch, capsys):
    from bayeslogit import _files
    from bayeslogit.cli import main

    folder, _ = files
    replace = os.replace

    def interrupted_replace(src, dst):
        if dst.endswith("fit.nc"):
            os.kill(os.getpid(), signal.SIGINT)
        replace(src, dst)

    monkeypatch.setattr(_files.os, "replace", interrupted_replace)
    argv = ["fit", str(folder / "data.csv"), "y ~ x", "--draws", "200", "--tune", "200", "--chains", "1", "--quiet"]
    rc = main([*argv, "--save", str(tmp_path / "fit.nc"), "--report", str(tmp_path / "r.html")])
    err = capsys.readouterr().err
    assert rc == 130
    assert f"interrupted after writing {tmp_path / 'fit.nc'}, {tmp_path / 'r.html'} (complete)" in err
    assert (bl.load(tmp_path / "fit.nc").draws().shape[0] == 200) and (tmp_path / "r.html").stat().st_size > 0
    assert _leftovers(tmp_path) == []
