"""Writing output files so that they never destroy data.

Every file bayeslogit writes (a saved fit, a report) goes first to a temporary file in the
target's folder, is flushed to disk, and is then renamed over the target (``os.replace`` is
atomic within one filesystem). A crash, an exception or Ctrl-C part-way through leaves the
previous file as it was. :func:`check_outputs` refuses, before any work, an output that is one
of the run's inputs or another of its outputs, or that cannot be written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import ArgumentError, OutputError

__all__ = ["atomic_path", "atomic_write_text", "check_outputs", "same_file"]


def _folder_of(path: str) -> str:
    return os.path.dirname(path) or "."


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path in the folder of ``path``; when the block succeeds, flush it to
    disk and rename it onto ``path``. On any exception (Ctrl-C included) the temporary file is
    removed and ``path`` is left untouched.

    Raises
    ------
    OutputError
        The folder does not exist or cannot be written, or ``path`` is a directory.
    """
    path = os.path.abspath(os.fspath(path))
    folder = _folder_of(path)
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {path!r}: the folder {folder!r} does not exist; create it first")
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path!r}: it is a directory; give a file name")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"cannot write in {folder!r}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, path)
        with contextlib.suppress(OSError):  # make the rename durable; some filesystems refuse
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether ``a`` and ``b`` name the same file (symlinks, hard links, ``./x`` vs ``x``)."""
    a, b = os.fspath(a), os.fspath(b)
    if os.path.exists(a) and os.path.exists(b):
        with contextlib.suppress(OSError):
            return os.path.samefile(a, b)
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_outputs(inputs: Mapping[str, str | None], outputs: Mapping[str, str | None]) -> None:
    """Refuse, before any work, outputs that would destroy an input or each other, or that
    cannot be written. ``inputs``/``outputs`` map a label (``"DATA.csv"``, ``"--save"``) to a path.

    Raises
    ------
    ArgumentError
        An output is an input, or two outputs are the same file.
    OutputError
        An output's folder does not exist or is not writable, or the output is a directory.
    """
    outs = {k: os.fspath(v) for k, v in outputs.items() if v}
    ins = {k: os.fspath(v) for k, v in inputs.items() if v}
    for opt, out in outs.items():
        for name, src in ins.items():
            if same_file(out, src):
                raise ArgumentError(
                    f"{opt} {out} is the input {name}; writing it would destroy it; choose another file"
                )
    items = list(outs.items())
    for i, (opt_a, a) in enumerate(items):
        for opt_b, b in items[i + 1 :]:
            if same_file(a, b):
                raise ArgumentError(
                    f"{opt_a} and {opt_b} are the same file ({a}); one would overwrite the other; choose two files"
                )
    for opt, out in outs.items():
        path = os.path.abspath(out)
        folder = _folder_of(path)
        if not os.path.isdir(folder):
            raise OutputError(f"{opt} {out}: folder {folder!r} does not exist; create it first")
        if os.path.isdir(path):
            raise OutputError(f"{opt} {out} is a directory; give a file name")
        try:  # a real write probe: os.access is wrong for root and on some filesystems
            tempfile.NamedTemporaryFile(dir=folder, prefix=".bayeslogit-probe-").close()
        except OSError as exc:
            raise OutputError(
                f"{opt} {out}: cannot write in {folder!r} ({exc.strerror or type(exc).__name__})"
            ) from None
