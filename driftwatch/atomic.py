"""Replace a file atomically: a unique temporary file beside it, then one rename.

Readers see the old file or the new one, never a half-written one; two processes writing the
same file at once each use their own temporary file, and the last rename wins whole.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomic"]

_DEFAULT_MODE = 0o666


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file of its own; keeps the existing mode."""
    mode = _mode_for(path)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _mode_for(path: Path) -> int:
    """The existing file's permission bits, or what a plain `open()` would give (umask applied)."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return _DEFAULT_MODE & ~umask
