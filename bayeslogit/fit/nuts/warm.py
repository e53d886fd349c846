"""A sampler process that loads the compiled kernel while the command line reads the data.

Why: a whole ``bayeslogit fit`` process on a small CSV spends about 0.55 s loading numba and
the kernel from numba's disk cache (numba's own first-use set-up: its type and lowering
registries, LLVM), and that work is pure Python holding the GIL, so a thread cannot overlap
it with the other imports (measured, benchmarks/README.md). A second process can: the command
line calls :func:`warm_kernel` before it reads the CSV; the child, a fresh interpreter, imports
the kernel on the second core while the parent reads the data, builds the design, fits the MLE /
MAP and imports ArviZ, then runs :func:`~bayeslogit.fit.nuts.driver.sample_nuts` (the same
function, the same seeds, hence the same draws) on the job the parent sends through a pipe and
sends the draws back.

A fresh interpreter, not a fork: a forked child inherits every lock another thread holds at the
fork (numpy's BLAS threads in a product, a thread writing to stderr, threads of C extensions
that ``threading`` does not count), and hung on one (issue 26). It is started by
``subprocess`` (fork + exec in C, no Python in between), so the calling process may run any
threads. Used only where it can help: Linux, numba not yet imported in this process (otherwise
there is nothing to hide), and a small problem (:data:`MAX_BYTES` for the design and the draws
together, which travel through a pipe); anything else, and any failure of the child before it
has sent a result, samples in-process as before. The child runs in its own session, so a
terminal's Ctrl-C reaches only the parent's wait, which kills the child and re-raises; the child
dies with its parent (Linux's parent-death signal), so a SIGTERM or SIGKILL of the command
leaves no sampler running.

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
    """A sampler process (a fresh interpreter) that has loaded the kernel and waits for one job."""

    def __init__(self, proc, conn) -> None:
        self.proc = proc
        self.pid: int | None = proc.pid
        self.conn = conn

    @classmethod
    def start(cls) -> WarmKernel | None:
        """Start the sampler process; ``None`` where that cannot help: not Linux, numba already
        loaded in this process, or no interpreter to start (an embedded Python)."""
        if not sys.platform.startswith("linux") or "numba" in sys.modules or not sys.executable:
            return None
        return cls._spawn()

    @classmethod
    def _spawn(cls) -> WarmKernel | None:
        """A fresh interpreter, never a fork: a fork copies the locks other threads hold at that
        moment (numpy's BLAS threads, a thread writing to stderr, threads of C extensions that
        ``threading`` does not see), and the child hung on one of them. ``subprocess`` starts it
        with fork + exec in C, running no Python in between; its own session keeps a terminal's
        Ctrl-C for the parent, which stops the child (and the child dies with its parent)."""
        import json
        import subprocess
        from multiprocessing import Pipe

        ours, theirs = Pipe()
        code = (
            "import json, sys\n"
            "sys.path[:0] = json.loads(sys.argv[3])\n"
            "from bayeslogit.fit.nuts.warm import _serve\n"
            "_serve(int(sys.argv[1]), int(sys.argv[2]))\n"
        )
        argv = [sys.executable, "-c", code, str(theirs.fileno()), str(os.getpid()), json.dumps(_package_path())]
        try:
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),), start_new_session=True, close_fds=True
            )
        except OSError:
            ours.close()
            return None
        finally:
            theirs.close()
        return cls(proc, ours)

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
                if self.proc.poll() is not None and not self.conn.poll():
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
        self.pid = None
        self.conn.close()
        with contextlib.suppress(OSError):
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()


def _package_path() -> list[str]:
    """The folder holding this ``bayeslogit`` package, then this interpreter's ``sys.path``
    (the child imports the same code whatever its working directory or ``PYTHONPATH``)."""
    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return [here] + [p for p in sys.path if p and p != here]


def _die_with(parent: int) -> None:  # pragma: no cover - runs in the child
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


def _serve(fd: int, parent: int) -> None:  # pragma: no cover - runs in the child
    """The child's program: die with the parent, load the kernel, sample the one job sent."""
    code = 0
    try:
        _die_with(parent)
        from multiprocessing.connection import Connection

        conn = Connection(fd)
        from . import kernel
        from .driver import ensure_compiled, sample_nuts

        ensure_compiled(kernel)
        job = conn.recv()  # EOFError when the parent closes its end or exits
        dens, mode, kwargs = job
        try:
            conn.send(("ok", sample_nuts(dens, mode, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - the parent raises it
            conn.send(("error", exc))
    except BaseException:  # the parent gone: leave quietly, the parent reports
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
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
