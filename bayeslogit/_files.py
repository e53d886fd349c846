"""Writing output files so that they never destroy data.

Every file bayeslogit writes (a saved fit, a report) goes first to a temporary file in the
target's folder, is flushed to disk, and is then renamed over the target (``os.replace`` is
atomic within one filesystem). A crash, an exception or Ctrl-C part-way through leaves the
previous file as it was. :class:`OutputSet` does the same for several files at once: every
output is written to its temporary first and all are renamed only at the end, so that an
interrupted command leaves each output as it was before or complete.

Temporary files are named ``.<name>.bayeslogit-tmp-<pid>-<random>`` (shortened to the folder's
file-name limit), so that a user can tell what they are; one left behind by a killed process
(its pid is gone) is removed by the next write to the same folder.

An existing target that is not a regular file (a device such as ``/dev/null``, a FIFO, a
socket) is refused, never renamed over; a symlink is written through (its target replaced).
:func:`check_outputs` refuses, before any work, an output that is one of the run's inputs or
another of its outputs, that is not a regular file, or that cannot be written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import ArgumentError, OutputError

__all__ = [
    "OutputSet",
    "atomic_path",
    "atomic_write_text",
    "check_outputs",
    "clean_stale_temporaries",
    "same_file",
    "temporary_name",
]

TEMP_MARK = ".bayeslogit-tmp-"
"""What every temporary output file's name holds, before ``<pid>-<random>``."""
_TEMP_RE = re.compile(r"^\..*" + re.escape(TEMP_MARK) + r"(\d+)-([0-9a-f]{6})[0-9a-f]+$", re.DOTALL)


def _pid_space() -> str:
    """Six hex digits naming where this process's pids mean something: the host and (Linux)
    the pid namespace. A temporary file written from another machine or container sharing the
    folder carries another tag, and is never taken for a dead process's."""
    import hashlib
    import socket

    ns = ""
    with contextlib.suppress(OSError):
        ns = os.readlink("/proc/self/ns/pid")
    return hashlib.sha256(f"{socket.gethostname()}|{ns}".encode()).hexdigest()[:6]


def _folder_of(path: str) -> str:
    return os.path.dirname(path) or "."


def _name_max(folder: str) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def temporary_name(path: str | os.PathLike, *, name_max: int = 255) -> str:
    """The temporary file's name for ``path`` (a name only, no folder):
    ``.<name>.bayeslogit-tmp-<pid>-<host tag><random>``, ``<name>`` shortened so that the
    whole stays within ``name_max`` bytes."""
    tail = f"{TEMP_MARK}{os.getpid()}-{_pid_space()}{secrets.token_hex(4)}"
    name = os.fsencode(os.path.basename(os.fspath(path)))
    room = max(0, name_max - 1 - len(tail.encode()))
    head = name[:room].decode("utf-8", errors="ignore") if room < len(name) else os.fsdecode(name)
    return f".{head}{tail}"


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def clean_stale_temporaries(folder: str | os.PathLike) -> list[str]:
    """Remove the temporary output files in ``folder`` left by processes that are gone (killed
    part-way through a write): regular files of this user named ``.*.bayeslogit-tmp-<pid>-*``,
    written on this host and in this pid namespace, whose ``<pid>`` no longer runs. Returns the
    names removed; never raises."""
    here = _pid_space()
    removed: list[str] = []
    uid = os.getuid() if hasattr(os, "getuid") else None
    try:
        entries = list(os.scandir(os.fspath(folder)))
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP_RE.match(entry.name)
        if m is None or m.group(2) != here or int(m.group(1)) == os.getpid() or _pid_alive(int(m.group(1))):
            continue
        with contextlib.suppress(OSError):
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or (uid is not None and st.st_uid != uid):
                continue
            os.unlink(entry.path)
            removed.append(entry.name)
    return removed


def _target(path: str | os.PathLike, label: str | None = None) -> str:
    """The absolute path that will be replaced: symlinks resolved (written through), refused
    when it is a directory or an existing non-regular file."""
    shown = f"{label} {os.fspath(path)}" if label else repr(os.fspath(path))
    path = os.path.realpath(os.path.abspath(os.fspath(path)))
    folder = _folder_of(path)
    if not os.path.isdir(folder):
        raise OutputError(f"cannot write {shown}: the folder {folder!r} does not exist; create it first")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {shown}: it is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise OutputError(
            f"cannot write {shown}: {path} is {kind}, not a regular file; bayeslogit replaces "
            "output files whole and will not replace it; give a regular file name"
        )
    return path


def _disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def _full_disk_error(exc: OSError, path: str, folder: str) -> OutputError:
    try:
        free = f"{shutil.disk_usage(folder).free / 1e6:.1f} MB free"
    except OSError:
        free = "free space unknown"
    why = (
        "the file is larger than this process may write (a file size limit: ulimit -f)"
        if exc.errno == errno.EFBIG
        else "the disk quota is exceeded"
        if exc.errno == errno.EDQUOT
        else "no space left on the device"
    )
    return OutputError(
        f"cannot write {path!r}: {why}; folder {folder!r}, {free}; the previous file, if any, is unchanged"
    )


class _Staged:
    def __init__(self, target: str) -> None:
        self.target = target
        self.folder = _folder_of(target)
        clean_stale_temporaries(self.folder)
        self.tmp = os.path.join(self.folder, temporary_name(target, name_max=_name_max(self.folder)))
        try:
            fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise OutputError(f"cannot write in {self.folder!r}: {exc.strerror or exc}") from None
        os.close(fd)

    def finish(self) -> None:
        """Flush the temporary to disk and give it the target's permissions (the old file's
        mode when there is one, else the usual 0666 less the umask)."""
        with open(self.tmp, "rb+") as f:
            os.fsync(f.fileno())
        try:
            mode = stat.S_IMODE(os.stat(self.target).st_mode)
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(self.tmp, mode)

    def commit(self) -> None:
        os.replace(self.tmp, self.target)
        with contextlib.suppress(OSError):  # make the rename durable; some filesystems refuse
            dfd = os.open(self.folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self.tmp)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold off Ctrl-C for the block (the renames): a SIGINT is recorded, and
    ``KeyboardInterrupt`` raised after the block, so that an interrupt lands after every rename
    rather than between two of them. Only in the main thread (where Python runs handlers)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    seen: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: seen.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
    if seen and callable(old):
        old(signal.SIGINT, None)  # the handler that was there (Python's: KeyboardInterrupt)
    elif seen and old == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)


class OutputSet:
    """Several output files written as one: :meth:`path` gives each a temporary file to write,
    :meth:`commit` renames them all into place (SIGINT deferred until the last rename), and
    leaving a ``with`` block by an exception removes every temporary, so that each output is
    either as it was before or complete. ``written`` lists the outputs renamed into place."""

    def __init__(self) -> None:
        self._staged: list[_Staged] = []
        self.written: list[str] = []

    def path(self, path: str | os.PathLike, label: str | None = None) -> str:
        """A temporary path to write the output ``path`` to (in its folder)."""
        staged = _Staged(_target(path, label))
        self._staged.append(staged)
        return staged.tmp

    @contextlib.contextmanager
    def writing(self, tmp: str) -> Iterator[None]:
        """Around the write of the temporary ``tmp`` (from :meth:`path`): a full disk becomes an
        :class:`OutputError` naming the output, its folder and the free space, and an
        ``OutputError`` naming ``tmp`` (a nested atomic write) names the output instead."""
        staged = next(s for s in self._staged if s.tmp == tmp)
        try:
            yield
        except OutputError as exc:
            raise OutputError(str(exc).replace(staged.tmp, staged.target)) from None
        except OSError as exc:
            if _disk_full(exc):
                raise _full_disk_error(exc, staged.target, staged.folder) from None
            raise

    def commit(self, names: list[str] | None = None) -> None:
        """Flush every temporary and rename each over its target. ``names`` (one per output,
        in order) are what :attr:`written` records; by default the targets' paths."""
        names = names or [s.target for s in self._staged]
        for s in self._staged:
            try:
                s.finish()
            except OSError as exc:
                if _disk_full(exc):
                    raise _full_disk_error(exc, s.target, s.folder) from None
                raise
        with _sigint_deferred():
            for s, name in zip(self._staged, names):
                s.commit()
                self.written.append(name)
            self._staged = []  # renamed: nothing left to discard, even if an interrupt follows

    def discard(self) -> None:
        for s in self._staged:
            s.discard()
        self._staged = []

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.discard()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """Yield a temporary path in the folder of ``path``; when the block succeeds, flush it to
    disk and rename it onto ``path`` (through a symlink, onto its target). On any exception
    (Ctrl-C included) the temporary file is removed and ``path`` is left untouched.

    Raises
    ------
    OutputError
        The folder does not exist or cannot be written, ``path`` is a directory or an existing
        file that is not a regular file (a device, a FIFO), or the disk is full.
    """
    with OutputSet() as out:
        tmp = out.path(path)
        with out.writing(tmp):
            yield tmp
        out.commit()


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
        An output's folder does not exist or is not writable, or the output is a directory or
        an existing file that is not a regular file (``/dev/null``, a FIFO).
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
        _target(out, opt)  # an existing device, FIFO or socket is refused
        try:  # a real write probe: os.access is wrong for root and on some filesystems
            tempfile.NamedTemporaryFile(dir=folder, prefix=".bayeslogit-probe-").close()
        except OSError as exc:
            raise OutputError(
                f"{opt} {out}: cannot write in {folder!r} ({exc.strerror or type(exc).__name__})"
            ) from None
