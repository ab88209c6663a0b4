"""A push parser for tar streams that keeps only what can tell an OS release, in bounded memory.

Fed decompressed bytes chunk by chunk, it records the release files (os-release, debian_version,
...), symlinks, directories and whiteouts near the root, and opaque directories: a `LayerFacts`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass

from driftwatch.errors import OsDetectionError

__all__ = ["RELEASE_FILE_NAMES", "LayerEntry", "LayerFacts", "TarScanner", "normalise"]

RELEASE_FILE_NAMES = frozenset(
    {"os-release", "debian_version", "alpine-release", "system-release", "redhat-release"}
)
MAX_CONTENT = 64 * 1024  # bytes kept of one release file
MAX_META = 1024 * 1024  # largest pax or GNU long-name record accepted
SHALLOW = 3  # symlinks, directories and whiteouts this deep are kept (etc, usr/lib, ...)
_BLOCK = 512
_REGULAR = (b"0", b"\0", b"7")
_OPAQUE = ".wh..wh..opq"
_WHITEOUT = ".wh."


@dataclass(frozen=True)
class LayerEntry:
    """One kept entry of a layer: kind is file, symlink, dir or whiteout."""

    path: str
    kind: str
    content: str | None = None  # file text (first 64 KiB); None for other kinds
    target: str | None = None  # symlink target as written


@dataclass(frozen=True)
class LayerFacts:
    """What one layer says about the paths that can tell an OS release (nothing, often)."""

    entries: tuple[LayerEntry, ...] = ()
    opaque: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        """A JSON-able form for the cache."""
        return {
            "entries": [[e.path, e.kind, e.content, e.target] for e in self.entries],
            "opaque": list(self.opaque),
        }

    @classmethod
    def from_json(cls, data: object) -> LayerFacts:
        """Read `to_json()` output back; raises ValueError on any other shape."""
        if not isinstance(data, dict):
            raise ValueError("layer facts must be an object")
        entries = tuple(LayerEntry(str(p), str(k), c, t) for p, k, c, t in data["entries"])
        return cls(entries, tuple(str(d) for d in data["opaque"]))


def normalise(name: str) -> str:
    """A tar member name as a root-relative path without `./`, `..` or trailing slash."""
    path = posixpath.normpath("/" + name.strip()).lstrip("/")
    return "" if path == "." else path


class TarScanner:
    """Push parser: `feed()` decompressed tar bytes, then `finish()` for the LayerFacts."""

    def __init__(self, label: str) -> None:
        self._label = label
        self._header = bytearray()
        self._skip = 0
        self._want = 0
        self._collected = bytearray()
        self._after: tuple[str, bytes, int] | None = None  # (what, header, size) being collected
        self._pax: dict[str, str] = {}
        self._long: dict[bytes, str] = {}
        self._zero_blocks = 0
        self._entries: dict[str, LayerEntry] = {}
        self._opaque: set[str] = set()

    def feed(self, data: bytes) -> None:
        """Consume the next decompressed bytes."""
        view, pos, end = memoryview(data), 0, len(data)
        while pos < end and self._zero_blocks < 2:
            if self._skip:
                step = min(self._skip, end - pos)
                self._skip -= step
            elif self._want:
                step = min(self._want, end - pos)
                self._collected += view[pos : pos + step]
                self._want -= step
                if not self._want:
                    self._collected_done()
            else:
                step = min(_BLOCK - len(self._header), end - pos)
                self._header += view[pos : pos + step]
                if len(self._header) == _BLOCK:
                    block = bytes(self._header)
                    self._header.clear()
                    self._on_header(block)
            pos += step

    def finish(self) -> LayerFacts:
        """The facts; raises OsDetectionError when the stream stopped inside a member."""
        if self._zero_blocks < 2 and (self._header or self._skip or self._want):
            raise OsDetectionError(f"layer {self._label} is a truncated tar stream")
        entries = tuple(sorted(self._entries.values(), key=lambda e: e.path))
        return LayerFacts(entries, tuple(sorted(self._opaque)))

    def _fail(self, why: str) -> OsDetectionError:
        return OsDetectionError(f"layer {self._label} is not a valid tar stream: {why}")

    def _on_header(self, block: bytes) -> None:
        if block.count(0) == _BLOCK:
            self._zero_blocks += 1
            return
        self._zero_blocks = 0
        if _number(block[148:156], self._fail) not in _checksums(block):
            raise self._fail("header checksum mismatch")
        kind = block[156:157]
        size = _number(block[124:136], self._fail)
        if size < 0:
            raise self._fail("negative member size")
        if kind in (b"x", b"L", b"K"):
            self._collect(kind.decode(), block, size, size)
            return
        if kind == b"g":
            self._skip = size + (-size % _BLOCK)
            return
        size = self._pax_size(size)
        keep = self._keep(self._name(block)) if kind in _REGULAR else None
        if keep is not None:
            self._collect("file", block, size, min(size, keep))
            return
        self._member(block, kind, None)
        self._skip = size + (-size % _BLOCK)

    def _keep(self, name: str) -> int | None:
        """How many bytes of the regular file `name` to keep (None: skip its content)."""
        return MAX_CONTENT if _basename_of(name) in RELEASE_FILE_NAMES else None

    def _pax_size(self, size: int) -> int:
        """The member size, as a pending pax record overrides it."""
        text = self._pax.get("size")
        if text is None:
            return size
        if not text.isdigit():
            raise self._fail(f"bad pax size {text[:20]!r}")
        return int(text)

    def _collect(self, what: str, block: bytes, size: int, keep: int) -> None:
        if what != "file" and size > MAX_META:
            raise self._fail(f"{what} record of {size} bytes")
        self._after = (what, block, size)
        self._want = keep
        self._collected.clear()
        if not keep:
            self._collected_done()

    def _collected_done(self) -> None:
        assert self._after is not None
        what, block, size = self._after
        data = bytes(self._collected)
        self._skip = size - len(data) + (-size % _BLOCK)
        self._after = None
        if what == "x":
            self._pax.update(_pax_records(data))
        elif what in ("L", "K"):
            self._long[what.encode()] = data.rstrip(b"\0").decode("utf-8", "surrogateescape")
        else:
            self._member(block, block[156:157], data.decode("utf-8", "replace"))

    def _name(self, block: bytes) -> str:
        if "path" in self._pax:
            return self._pax["path"]
        if b"L" in self._long:
            return self._long[b"L"]
        name = _text(block[0:100])
        if block[257:263] == b"ustar\0" and block[345] != 0:
            name = _text(block[345:500]) + "/" + name
        return name

    def _member(self, block: bytes, kind: bytes, content: str | None) -> None:
        path = normalise(self._name(block))
        link = self._pax.get("linkpath") or self._long.get(b"K") or _text(block[157:257])
        self._pax.clear()
        self._long.clear()
        if not path:
            return
        self._record(path, kind, content, link)

    def _record(self, path: str, kind: bytes, content: str | None, link: str) -> None:
        folder, base = posixpath.split(path)
        depth = path.count("/") + 1
        if base == _OPAQUE:
            self._opaque.add(folder)
            return
        if base.startswith(_WHITEOUT):
            target = posixpath.join(folder, base[len(_WHITEOUT) :])
            if depth <= SHALLOW or base[len(_WHITEOUT) :] in RELEASE_FILE_NAMES:
                self._entries[target] = LayerEntry(target, "whiteout")
            return
        previous = self._entries.pop(path, None)  # a later member replaces an earlier one
        if kind in _REGULAR and content is not None:
            self._entries[path] = LayerEntry(path, "file", content)
        elif kind == b"1" and base in RELEASE_FILE_NAMES:
            linked = previous if normalise(link) == path else self._entries.get(normalise(link))
            self._entries[path] = LayerEntry(path, "file", linked.content if linked else None)
        elif kind == b"2" and (depth <= SHALLOW or base in RELEASE_FILE_NAMES):
            self._entries[path] = LayerEntry(path, "symlink", target=link)
        elif kind == b"5" and depth <= SHALLOW:
            self._entries[path] = LayerEntry(path, "dir")


def _basename_of(name: str) -> str:
    return posixpath.basename(normalise(name))


def _text(field: bytes) -> str:
    return field.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")


def _checksums(block: bytes) -> tuple[int, int]:
    """The header checksum as unsigned bytes (POSIX) and as signed bytes (some old tars)."""
    unsigned = sum(block[:148]) + 8 * 32 + sum(block[156:])
    high = sum(1 for b in block[:148] + block[156:] if b > 127)
    return unsigned, unsigned - 256 * high


def _number(field: bytes, fail: Callable[[str], OsDetectionError]) -> int:
    """A tar numeric field: octal text, or base-256 when the high bit of the first byte is set."""
    if field[0] & 0x80:
        value = int.from_bytes(field[1:], "big")
        return value - (1 << (8 * len(field) - 8)) if field[0] & 0x40 else value
    text = field.replace(b"\0", b" ").strip()
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise fail(f"bad numeric field {text[:20]!r}") from None


def _pax_records(data: bytes) -> dict[str, str]:
    """`<len> key=value\\n` records of a pax extended header."""
    records: dict[str, str] = {}
    pos = 0
    while pos < len(data):
        space = data.find(b" ", pos)
        if space < 0:
            break
        try:
            length = int(data[pos:space])
        except ValueError:
            break
        if length <= 0:
            break
        key, _, value = data[space + 1 : pos + length - 1].partition(b"=")
        records[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        pos += length
    return records
