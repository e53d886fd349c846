"""Where numba keeps the compiled sampler, with a fallback for read-only installs.

numba chooses a cache folder when a function is decorated (``NUMBA_CACHE_DIR``, then the
package's ``__pycache__``, then the user's ``~/.cache/numba``...) and raises ``RuntimeError``
("no locator available") when none is writable, as with a read-only site-packages and an
unwritable home. :func:`cached_njit` then tries a private folder in the system's temporary
folder, and finally compiles in memory (every process compiles again, but the sampler works).

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


def cached_njit(**options):
    """``numba.njit(cache=True, **options)``, falling back to a private temporary cache
    folder and then to no disk cache when numba finds no writable cache location."""
    from numba import njit
    from numba.core import config

    def decorate(func):
        try:
            return njit(cache=True, **options)(func)
        except RuntimeError:  # numba: "cannot cache function ...: no locator available"
            pass
        old = config.CACHE_DIR
        try:
            config.CACHE_DIR = _private_tmp()  # read when the locator is chosen, i.e. now
            return njit(cache=True, **options)(func)
        except (OSError, RuntimeError):
            return njit(cache=False, **options)(func)
        finally:
            config.CACHE_DIR = old  # the function's locator is already bound: no global effect

    return decorate
