"""What an image has installed: its packages and shared libraries (plain frozen data)."""

from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from typing import Any

__all__ = ["Inventory", "Package", "is_library_path"]

LIBRARY_DIRS = frozenset({"lib", "usr/lib", "lib64", "usr/lib64"})


@dataclass(frozen=True, order=True)
class Package:
    """One installed package as its package manager names it."""

    name: str
    version: str
    arch: str | None = None


@dataclass(frozen=True)
class Inventory:
    """The packages and sonames of one platform image; `problem` says why it could not be read.

    `manager` is `dpkg` or `apk`; None with a problem when no database could be read (an image
    without one, or an rpm database): such an inventory is unknown, never "empty".
    """

    manager: str | None
    packages: tuple[Package, ...] = ()
    libraries: tuple[str, ...] = ()  # paths of lib*.so.* files under the library dirs
    owners: tuple[tuple[str, str], ...] = ()  # (library path, package) from the database
    problem: str | None = None
    scanned: bool = True  # False when the layers were not all read (a bound, a bad layer)

    @property
    def readable(self) -> bool:
        """True when the package database was read."""
        return self.manager is not None and self.problem is None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form for the cache."""
        return {
            "manager": self.manager,
            "packages": [[p.name, p.version, p.arch] for p in self.packages],
            "libraries": list(self.libraries),
            "owners": [list(pair) for pair in self.owners],
            "problem": self.problem,
            "scanned": self.scanned,
        }

    @classmethod
    def from_json(cls, data: Any) -> Inventory:
        """Read `to_json()` back; ValueError, KeyError or TypeError on any other shape."""
        if not isinstance(data, dict):
            raise ValueError("inventory must be an object")
        packages = tuple(Package(str(n), str(v), a) for n, v, a in data["packages"])
        owners = tuple((str(path), str(name)) for path, name in data["owners"])
        return cls(
            data["manager"],
            packages,
            tuple(str(p) for p in data["libraries"]),
            owners,
            data["problem"],
            bool(data["scanned"]),
        )


def is_library_path(path: str) -> bool:
    """`lib*.so.*` directly in a library dir or in its multiarch subdir (x86_64-linux-gnu)."""
    folder, name = posixpath.split(path.lstrip("/"))
    if not fnmatch.fnmatchcase(name, "lib*.so.*"):
        return False
    if folder in LIBRARY_DIRS:
        return True
    parent, sub = posixpath.split(folder)
    return parent in LIBRARY_DIRS and "-linux-" in sub
