"""Where numba keeps the compiled sampler, with a fallback for read-only installs.

numba chooses a cache folder when a function is decorated (``NUMBA_CACHE_DIR``, then the
package's ``__pycache__``, then the user's ``~/.cache/numba``...) and raises ``RuntimeError``
("no locator available") when none is writable, as with a read-only site-packages and an
unwritable home. :func:`cached_njit` then tries a private folder in the system's temporary
folder, and finally compiles in memory (every process compiles again, but the sampler works).
A cache folder that is chosen but cannot take the compiled code (a full disk, a quota, a file
size limit: ``[Errno 28]``) does not abort the compile either: the code stays in memory, as
with no disk cache, and the next process tries the disk again.

Internal (not public API): see ARCHITECTURE.md, "Public surface".
"""

from __future__ import annotations

import getpass
import os
import tempfile

__all__ = ["cached_njit"]


def _private_tmp() -> str:
    """``<tmp>/bayeslogit-numba-<user>``, created private; refused if others could write it
    (numba's cache index is a pickle: never load one from a folder another user controls)."""
    uid = getattr(os, "getuid", None)
    who = str(uid()) if uid else getpass.getuser()
    path = os.path.join(tempfile.gettempdir(), f"bayeslogit-numba-{who}")
    os.makedirs(path, mode=0o700, exist_ok=True)
    if uid:
        st = os.stat(path)
        if st.st_uid != uid() or st.st_mode & 0o022:
            raise OSError(f"{path} is not private to this user")
    return path


def cached_njit(depends: tuple[str, ...] = (), **options):
    """``numba.njit(cache=True, **options)``, falling back to a private temporary cache
    folder and then to no disk cache when numba finds no writable cache location.

    ``depends``: source files of other modules whose jitted functions this one calls. numba
    keys a cached function on its own file's contents only, and the cached machine code holds
    its callees: a changed callee in another file would be served stale. Their contents join
    the key (:func:`_depends_on`)."""
    from numba import njit
    from numba.core import config

    def decorate(func):
        return _depends_on(_decorate(func), depends)

    def _decorate(func):
        try:
            return _saves_or_not(njit(cache=True, **options)(func))
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            pass
        old = config.CACHE_DIR
        try:
            config.CACHE_DIR = _private_tmp()  # read when the locator is chosen, i.e. now
            return _saves_or_not(njit(cache=True, **options)(func))
        except (OSError, RuntimeError):
            return njit(cache=False, **options)(func)
        finally:
            config.CACHE_DIR = old  # the function's locator is already bound: no global effect

    return decorate


def _depends_on(dispatcher, files: tuple[str, ...]):
    """The dispatcher, its disk cache keyed also on the contents of ``files`` (numba compares
    the key stored in the cache index with the current one, and recompiles when they differ)."""
    cache_file = getattr(getattr(dispatcher, "_cache", None), "_cache_file", None)
    if not files or cache_file is None or not hasattr(cache_file, "_source_stamp"):
        return dispatcher
    import hashlib

    h = hashlib.sha256()
    for path in files:
        with open(path, "rb") as f:
            h.update(f.read())
    cache_file._source_stamp = (cache_file._source_stamp, h.hexdigest())
    return dispatcher


def _saves_or_not(dispatcher):
    """The dispatcher, its disk cache's writes made best-effort: numba saves the compiled code
    right after compiling it (``Dispatcher.compile`` calls ``save_overload``) and lets an
    ``OSError`` from the write (a full disk, ``RLIMIT_FSIZE``, a quota) escape, aborting the
    compile; here the write is skipped instead and the code stays in memory. numba writes each
    cache file to a temporary renamed into place, and removes the temporary on failure."""
    cache = getattr(dispatcher, "_cache", None)
    save = getattr(cache, "save_overload", None)
    if save is None:  # pragma: no cover - another numba layout: keep its behaviour
        return dispatcher

    def save_overload(sig, data):
        try:
            save(sig, data)
        except OSError:
            pass

    cache.save_overload = save_overload
    return dispatcher
