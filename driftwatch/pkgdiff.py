"""What changed between two package inventories, and what kind of move a drift is (pure).

`diff_inventories(old, new)` gives the packages added, removed, upgraded and downgraded (in the
package manager's own version order) and the shared libraries that disappeared; `classify` names
the move: platform-only, metadata-only, packages, os-point-release or os-release. An inventory
that could not be read makes the diff unknown (`problem`), never "no changes".
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from driftwatch.osinfo.inventory import Inventory, Package
from driftwatch.osinfo.versions import compare_versions

__all__ = [
    "MOVES",
    "Explanation",
    "PackageDiff",
    "VersionChange",
    "classify",
    "diff_inventories",
]

MOVES = ("platform-only", "metadata-only", "packages", "os-point-release", "os-release")
_BY_KIND = {
    "os-release": "os-release",
    "os-point-release": "os-point-release",
    "platform-added": "platform-only",
    "platform-removed": "platform-only",
}


@dataclass(frozen=True)
class VersionChange:
    """One package whose version moved (or whose versions cannot be ordered)."""

    name: str
    old: str
    new: str


@dataclass(frozen=True)
class PackageDiff:
    """Packages and libraries that changed between two images of one platform."""

    manager: str | None = None
    added: tuple[Package, ...] = ()
    removed: tuple[Package, ...] = ()
    upgraded: tuple[VersionChange, ...] = ()
    downgraded: tuple[VersionChange, ...] = ()
    changed: tuple[VersionChange, ...] = ()  # versions the manager's order cannot compare
    libraries_gone: tuple[tuple[str, str | None], ...] = ()  # (soname, package that owned it)
    problem: str | None = None  # why packages could not be compared

    @property
    def empty(self) -> bool:
        """True only when both databases were read and nothing differs."""
        return self.problem is None and not (
            self.added
            or self.removed
            or self.upgraded
            or self.downgraded
            or self.changed
            or self.libraries_gone
        )

    def to_json(self) -> dict[str, Any]:
        """Stable JSON: lists of names and versions, the removed libraries first."""
        return {
            "manager": self.manager,
            "problem": self.problem,
            "libraries_removed": [
                {"soname": soname, "package": owner} for soname, owner in self.libraries_gone
            ],
            "added": [{"name": p.name, "version": p.version} for p in self.added],
            "removed": [{"name": p.name, "version": p.version} for p in self.removed],
            "upgraded": [_change(c) for c in self.upgraded],
            "downgraded": [_change(c) for c in self.downgraded],
            "changed": [_change(c) for c in self.changed],
        }


def diff_from_json(data: Mapping[str, Any]) -> PackageDiff:
    """`PackageDiff.to_json()` read back (KeyError, TypeError or ValueError on another shape)."""

    def packages(key: str) -> tuple[Package, ...]:
        return tuple(Package(str(p["name"]), str(p["version"])) for p in data[key])

    def changes(key: str) -> tuple[VersionChange, ...]:
        return tuple(VersionChange(str(c["name"]), str(c["old"]), str(c["new"])) for c in data[key])

    gone = tuple((str(g["soname"]), g["package"]) for g in data["libraries_removed"])
    return PackageDiff(
        data["manager"],
        packages("added"),
        packages("removed"),
        changes("upgraded"),
        changes("downgraded"),
        changes("changed"),
        gone,
        data["problem"],
    )


@dataclass(frozen=True)
class Explanation:
    """Why a drift matters: its move class and, when read, what its packages did."""

    move: str
    diff: PackageDiff | None = None  # None: nothing to read (same layers, platform only, off)

    @property
    def removes_library(self) -> bool:
        """True when a shared library is no longer in the new image."""
        return self.diff is not None and bool(self.diff.libraries_gone)

    @property
    def may_remove_library(self) -> bool:
        """True when a library is gone, or when the packages were to be read and could not be:
        the `library-removed` route hears of both (it never reads "unknown" as "none removed")."""
        return self.removes_library or (self.diff is not None and self.diff.problem is not None)

    def to_json(self) -> dict[str, Any]:
        """`{"move": ..., "packages": {...} | null}`."""
        return {"move": self.move, "packages": self.diff.to_json() if self.diff else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Explanation:
        """`to_json()` read back (KeyError, TypeError or ValueError on another shape)."""
        packages = data["packages"]
        return cls(str(data["move"]), diff_from_json(packages) if packages else None)


def _change(change: VersionChange) -> dict[str, str]:
    return {"name": change.name, "old": change.old, "new": change.new}


def classify(kind: str, same_layers: bool | None) -> str | None:
    """The move class of a drift kind (`digest` needs to know whether the layers differ)."""
    if kind in _BY_KIND:
        return _BY_KIND[kind]
    if kind == "digest":
        return "metadata-only" if same_layers else "packages"
    return None


def diff_inventories(old: Inventory, new: Inventory) -> PackageDiff:
    """What changed from `old` to `new`; unknown (`problem`) when either could not be read."""
    gone = _libraries_gone(old, new) if old.scanned and new.scanned else ()
    problem = _problem(old, new)
    if problem is not None:
        return PackageDiff(old.manager or new.manager, libraries_gone=gone, problem=problem)
    manager = new.manager or "dpkg"
    before, after = _keyed(old.packages), _keyed(new.packages)
    moved = [(before[k], after[k]) for k in sorted(before.keys() & after.keys())]
    groups: dict[int | None, list[VersionChange]] = {1: [], -1: [], 0: [], None: []}
    for was, now in moved:
        if was.version != now.version:
            groups[_order(manager if old.manager == new.manager else "", was, now)].append(
                VersionChange(now.name, was.version, now.version)
            )
    return PackageDiff(
        manager,
        added=tuple(after[k] for k in sorted(after.keys() - before.keys())),
        removed=tuple(before[k] for k in sorted(before.keys() - after.keys())),
        upgraded=tuple(groups[1]),
        downgraded=tuple(groups[-1]),
        changed=tuple(groups[None]),
        libraries_gone=gone,
    )


def _problem(old: Inventory, new: Inventory) -> str | None:
    if not old.readable:
        return f"old image: {old.problem or 'package database not read'}"
    if not new.readable:
        return f"new image: {new.problem or 'package database not read'}"
    return None


def _order(manager: str, was: Package, now: Package) -> int | None:
    """1 when `now` is newer, -1 older, 0 the same version spelt otherwise, None: no order."""
    if manager not in ("dpkg", "apk"):
        return None
    try:
        result = compare_versions(manager, now.version, was.version)
    except ValueError:
        return None
    return result


def _keyed(packages: Iterable[Package]) -> Mapping[str, Package]:
    """Packages by name; `name:arch` for names installed for several architectures."""
    items = list(packages)
    counts: dict[str, int] = {}
    for package in items:
        counts[package.name] = counts.get(package.name, 0) + 1
    return {(p.name if counts[p.name] == 1 else f"{p.name}:{p.arch}"): p for p in items}


def _libraries_gone(old: Inventory, new: Inventory) -> tuple[tuple[str, str | None], ...]:
    """Library names the old image had that the new one has nowhere under the library dirs.

    A file whose name extends a name still there (`libz.so.1.2.11` while `libz.so.1` stays) is
    the same soname rebuilt, not a loss; of the names gone, only the shortest of a family is
    said (`libffi.so.7`, not also `libffi.so.7.1.0`).
    """
    kept = {posixpath.basename(path) for path in new.libraries}
    owners = {posixpath.basename(path): name for path, name in old.owners}
    gone = {posixpath.basename(path) for path in old.libraries} - kept
    names = sorted(
        name for name in gone if not any(name.startswith(f"{other}.") for other in kept | gone)
    )
    return tuple((name, owners.get(name)) for name in names)
