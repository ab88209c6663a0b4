"""Keep what a layer says about installed packages: database files, libraries, whiteouts.

A TarScanner that keeps the dpkg and apk databases (and the presence of an rpm one), every
`lib*.so.*` under the library dirs, and the whiteouts and opaque dirs that can hide them;
`merge` then applies the layers bottom up, as overlayfs does.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from driftwatch.errors import OsDetectionError
from driftwatch.osinfo.dpkg import library_paths
from driftwatch.osinfo.inventory import is_library_path
from driftwatch.osinfo.tarscan import LayerEntry, LayerFacts, TarScanner, normalise

__all__ = [
    "APK_DB",
    "DPKG_INFO",
    "DPKG_STATUS",
    "DPKG_STATUS_D",
    "MAX_DB_FILE",
    "RPM_DBS",
    "PackageScanner",
    "merge",
]

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"
DPKG_INFO = "var/lib/dpkg/info/"
APK_DB = "lib/apk/db/installed"
RPM_DBS = frozenset(
    {
        "var/lib/rpm/rpmdb.sqlite",
        "var/lib/rpm/Packages",
        "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/Packages",
    }
)
MAX_DB_FILE = 32 * 1024 * 1024  # a larger database file is refused, not truncated
MAX_ENTRIES = 200_000  # kept entries per layer
_ROOTS = ("var/lib/dpkg/", "lib/apk/", "var/lib/rpm/", "usr/lib/sysimage/rpm/")


def is_database(path: str) -> bool:
    """True for the files whose content is kept (dpkg status, status.d, .list, apk installed)."""
    if path in (DPKG_STATUS, APK_DB):
        return True
    if path.startswith(DPKG_STATUS_D):
        return not path.endswith(".md5sums") and "/" not in path[len(DPKG_STATUS_D) :]
    return path.startswith(DPKG_INFO) and path.endswith(".list") and path.count("/") == 4


def _relevant(path: str) -> bool:
    """Paths whose whiteout can hide a database file or a library."""
    return path.count("/") < 3 or path.startswith(_ROOTS) or is_library_path(path)


class PackageScanner(TarScanner):
    """TarScanner keeping package databases and library entries instead of release files."""

    def __init__(self, label: str) -> None:
        super().__init__(label)
        self.unreadable: list[str] = []  # why a database in this layer cannot be read
        self._size = 0  # the byte size of the database file being kept

    def _keep(self, name: str) -> int | None:
        return MAX_DB_FILE if is_database(normalise(name)) else None

    def _collect(self, what: str, block: bytes, size: int, keep: int) -> None:
        self._size = size
        super()._collect(what, block, size, keep)

    def _record(self, path: str, kind: bytes, content: str | None, link: str) -> None:
        folder, base = posixpath.split(path)
        if len(self._entries) > MAX_ENTRIES:
            raise OsDetectionError(f"layer {self._label} has more than {MAX_ENTRIES} entries")
        if base == ".wh..wh..opq":
            self._opaque.add(folder)
            return
        if base.startswith(".wh."):
            target = posixpath.join(folder, base[4:])
            if _relevant(target):
                self._entries[target] = LayerEntry(target, "whiteout")
            return
        self._entries.pop(path, None)
        if content is not None:
            self._keep_database(path, content)
        elif kind in (b"1", b"2") and is_database(path):  # its content is elsewhere: never
            self.unreadable.append(f"{path} is a link")  # fall back to a lower layer's copy
        elif kind in (b"0", b"\0", b"7", b"1") and (path in RPM_DBS or is_library_path(path)):
            self._entries[path] = LayerEntry(path, "file")
        elif kind == b"2" and is_library_path(path):
            self._entries[path] = LayerEntry(path, "symlink", target=link)

    def _keep_database(self, path: str, content: str) -> None:
        if self._size > MAX_DB_FILE:
            self.unreadable.append(f"{path} is larger than the bound")
            content = ""
        elif path.startswith(DPKG_INFO):
            content = "\n".join(library_paths(content))  # only the libraries are needed
        self._entries[path] = LayerEntry(path, "file", content)


def merge(layers: Sequence[LayerFacts]) -> dict[str, LayerEntry]:
    """The entries the image shows, layers given bottom first: an upper layer's opaque dirs and
    whiteouts hide what lower layers had, then its own entries land."""
    state: dict[str, LayerEntry] = {}
    for facts in layers:
        hidden = [f"{folder}/" for folder in facts.opaque]
        hidden += [f"{e.path}/" for e in facts.entries if e.kind == "whiteout"]
        gone = {e.path for e in facts.entries if e.kind == "whiteout"}
        if hidden or gone:
            state = {
                path: entry
                for path, entry in state.items()
                if path not in gone and not path.startswith(tuple(hidden))
            }
        state.update((e.path, e) for e in facts.entries if e.kind != "whiteout")
    return state
