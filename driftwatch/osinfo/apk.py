"""apk's `lib/apk/db/installed`: P: name, V: version, A: arch, F: folder, R: file (pure)."""

from __future__ import annotations

from driftwatch.osinfo.inventory import Package, is_library_path

__all__ = ["parse_installed"]


def parse_installed(text: str) -> tuple[list[Package], list[tuple[str, str]]]:
    """(packages, [(library path, package)]) from an apk installed database."""
    packages: list[Package] = []
    owned: list[tuple[str, str]] = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        folder = ""
        files: list[str] = []
        for line in block.splitlines():
            key, colon, value = line.partition(":")
            if not colon or len(key) != 1:
                continue
            if key == "F":
                folder = value
            elif key == "R":
                files.append(f"{folder}/{value}" if folder else value)
            elif key not in fields:
                fields[key] = value
        name, version = fields.get("P"), fields.get("V")
        if not name or not version:
            continue
        packages.append(Package(name, version, fields.get("A") or None))
        owned += [(path, name) for path in files if is_library_path(path)]
    return packages, owned
