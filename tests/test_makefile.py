"""The Makefile's Chromium install (``make browser``, run by ``make test``), with a fake apt-get."""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAKE = shutil.which("make")


def _tool(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


@pytest.mark.skipif(MAKE is None or shutil.which("mktemp") is None, reason="needs make and mktemp")
def test_chromium_install_waits_for_the_dpkg_lock_and_logs_privately(tmp_path):
    """Another apt-get holding the dpkg lock made the install fail at once, and the log went to
    a fixed name in the shared temp folder. Now apt-get waits for the lock, the log is a private
    mktemp file, and a failed install still leaves `make test` going (the browser test skips)."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    calls = tmp_path / "apt-calls"
    for tool in ("sh", "mktemp", "rm", "cat"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    _tool(bin_, "id", "echo 0")  # root: the install is tried
    # update succeeds, install fails (as when the lock is never released)
    _tool(bin_, "apt-get", f'echo "$*" >> {calls}; case "$*" in *install*) echo "lock held" >&2; exit 100;; esac')
    env = {"PATH": str(bin_), "TMPDIR": str(tmp), "HOME": str(tmp_path)}
    res = subprocess.run([MAKE, "-s", "-C", str(ROOT), "browser"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "chromium install failed" in res.stdout and "browser test will be skipped" in res.stdout
    lines = calls.read_text().splitlines()
    assert len(lines) == 2 and all("DPkg::Lock::Timeout=" in line for line in lines), lines
    assert "/tmp/bayeslogit-chromium.log" not in res.stdout  # the fixed, shared name
    logs = list(tmp.iterdir())
    assert len(logs) == 1 and str(logs[0]) in res.stdout, (logs, res.stdout)
    assert "lock held" in logs[0].read_text()
    assert stat.S_IMODE(os.stat(logs[0]).st_mode) == 0o600  # mktemp's: not readable by others


@pytest.mark.skipif(MAKE is None or shutil.which("mktemp") is None, reason="needs make and mktemp")
def test_chromium_install_that_succeeds_leaves_no_log(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    for tool in ("sh", "mktemp", "rm", "cat"):
        (bin_ / tool).symlink_to(shutil.which(tool))
    _tool(bin_, "id", "echo 0")
    _tool(bin_, "apt-get", "exit 0")
    env = {"PATH": str(bin_), "TMPDIR": str(tmp), "HOME": str(tmp_path)}
    res = subprocess.run([MAKE, "-s", "-C", str(ROOT), "browser"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "failed" not in res.stdout and list(tmp.iterdir()) == []


@pytest.mark.skipif(MAKE is None, reason="needs make")
def test_no_root_and_no_sudo_skips_the_install(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    (bin_ / "sh").symlink_to(shutil.which("sh"))
    _tool(bin_, "id", "echo 1000")
    _tool(bin_, "apt-get", "exit 1")
    env = {"PATH": str(bin_), "HOME": str(tmp_path)}
    res = subprocess.run([MAKE, "-s", "-C", str(ROOT), "browser"], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0 and "not root and no sudo" in res.stdout, (res.stdout, res.stderr)
