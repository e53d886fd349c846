"""A sampler process that loads the compiled kernel while the command line reads the data.

Why: a whole ``bayeslogit fit`` process on a small CSV spends about 0.55 s loading numba and
the kernel from numba's disk cache (numba's own first-use set-up: its type and lowering
registries, LLVM), and that work is pure Python holding the GIL, so a thread cannot overlap
it with the other imports (measured, benchmarks/README.md). A forked process can: the command
line calls :func:`warm_kernel` before it reads the CSV; the child imports the kernel on the
second core while the parent reads the data, builds the design, fits the MLE / MAP and imports
ArviZ, then runs :func:`~bayeslogit.fit.nuts.driver.sample_nuts` (the same function, the same
seeds, hence the same draws) on the job the parent sends and sends the draws back.

Used only where it can help and cannot hurt: Linux (``fork``), no other Python thread running
(none can hold a lock at the fork), numba not yet imported in this process (otherwise
there is nothing to hide), and a small problem (:data:`MAX_BYTES` for the
design and the draws together, which travel through a pipe); anything else, and any failure of
the child before it has sent a result, samples in-process as before. Ctrl-C reaches the parent's
wait, which kills the child and re-raises; the child dies with its parent (Linux's parent-death
signal), so a SIGTERM or SIGKILL of the command leaves no sampler running. The child leaves through ``os._exit``: no ``atexit``
handler and no buffered output of the parent runs twice.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

MAX_BYTES = 64 * 2**20
"""The design plus the draws and sampler statistics (float64) above which sampling stays in the
calling process: both would be copied through a pipe."""

_ACTIVE: WarmKernel | None = None


class WarmKernel:
    """A forked child that has loaded the kernel and waits for one sampling job."""

    def __init__(self, pid: int, conn) -> None:
        self.pid: int | None = pid
        self.conn = conn

    @classmethod
    def start(cls) -> WarmKernel | None:
        """Fork the child; ``None`` where that cannot help or is not safe: not Linux, numba
        already loaded, or other Python threads running (one could hold a lock the child needs)."""
        import threading

        if not sys.platform.startswith("linux") or "numba" in sys.modules or threading.active_count() > 1:
            return None
        return cls._fork()

    @classmethod
    def _fork(cls) -> WarmKernel:
        from multiprocessing import Pipe

        ours, theirs = Pipe()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child (tested through the parent)
            _die_with(parent)
            ours.close()
            _child(theirs)
        theirs.close()
        return cls(pid, ours)

    def takes(self, dens, *, chains: int, draws: int, progressbar) -> bool:
        """Whether this job goes to the child: small enough, and a picklable progress spec."""
        n, p = dens.X.shape
        design = n * (p + (dens.offset is not None)) * 8  # kernel_X()'s size, without building it
        return isinstance(progressbar, bool) and design + chains * draws * (dens.dim + 8) * 8 <= MAX_BYTES

    def run(self, dens, mode, **kwargs):
        """Sample in the child; ``None`` when the child is gone (the caller samples itself)."""
        try:
            self.conn.send((dens, mode, kwargs))
            while not self.conn.poll(0.1):  # short waits: Ctrl-C reaches this thread
                if _gone(self.pid) and not self.conn.poll():
                    return None
            status, value = self.conn.recv()
        except (EOFError, OSError):
            return None
        except BaseException:
            self.close()
            raise
        if status == "error":
            raise value
        return value

    def close(self) -> None:
        """Stop the child (if it still runs) and reap it."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        self.conn.close()
        with contextlib.suppress(OSError):
            if os.waitpid(pid, os.WNOHANG) == (0, 0):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the forked child
    """Ask Linux to SIGKILL this process when its parent dies (``PR_SET_PDEATHSIG``), so that
    a SIGTERM or SIGKILL of the command (``timeout``, a container stop, a CI cancel) never
    leaves the sampler running; then leave at once if the parent died before the request."""
    import ctypes

    PR_SET_PDEATHSIG = 1
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent is already gone: the signal would never come
        os._exit(1)


def _gone(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG) != (0, 0)
    except ChildProcessError:
        return True


def _child(conn) -> None:  # pragma: no cover - runs in the forked child
    code = 0
    try:
        from . import kernel
        from .driver import ensure_compiled, sample_nuts

        ensure_compiled(kernel)
        job = conn.recv()  # EOFError when the parent closes its end or exits
        dens, mode, kwargs = job
        try:
            conn.send(("ok", sample_nuts(dens, mode, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - the parent raises it
            conn.send(("error", exc))
    except BaseException:  # Ctrl-C, the parent gone: leave quietly, the parent reports
        code = 1
    finally:
        os._exit(code)


def job_for(dens, *, chains: int, draws: int, progressbar) -> WarmKernel | None:
    """The waiting child if this job suits it (it is used once: the slot is emptied)."""
    global _ACTIVE
    warm = _ACTIVE
    if warm is None or not warm.takes(dens, chains=chains, draws=draws, progressbar=progressbar):
        return None
    _ACTIVE = None
    return warm


@contextlib.contextmanager
def warm_kernel(enabled: bool = True):
    """Within the block, the first :func:`~bayeslogit.fit.nuts.driver.sample_nuts` call that
    suits the child runs there; the child is stopped on leaving the block."""
    global _ACTIVE
    warm = WarmKernel.start() if enabled else None
    _ACTIVE = warm
    try:
        yield warm
    finally:
        _ACTIVE = None
        if warm is not None:
            warm.close()
