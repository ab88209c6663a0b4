"""Streaming decompression of layer blobs: gzip, zstd or plain tar, told by media type AND magic."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import zstandard

from driftwatch.errors import OsDetectionError

__all__ = ["LayerDecoder", "compression_of", "readable_layer"]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
OUT_CHUNK = 1024 * 1024  # most decompressed bytes produced per step: bounds memory on zip bombs


def compression_of(media_type: str) -> str | None:
    """`gzip`, `zstd` or `none` as the media type says; None when it is not a tar layer."""
    media = media_type.lower()
    if "tar" not in media:
        return None
    if media.endswith(("gzip", "+gzip")):
        return "gzip"
    if media.endswith("zstd"):
        return "zstd"
    return "none"


def readable_layer(media_type: str) -> bool:
    """A tar layer the registry serves and driftwatch can read: not Docker's `foreign` nor OCI's
    `nondistributable` kind (those live at their descriptor's `urls`, e.g. Windows base layers),
    nor an ocicrypt `+encrypted` one."""
    media = media_type.lower()
    unreadable = any(word in media for word in ("foreign", "nondistributable", "encrypted"))
    return compression_of(media_type) is not None and not unreadable


class LayerDecoder:
    """Decompresses fed chunks into `sink`, picking the codec from the first bytes."""

    def __init__(self, label: str, media_type: str, sink: Callable[[bytes], None]) -> None:
        self._label = label
        self._declared = compression_of(media_type) or "none"
        self._sink = sink
        self._head = b""
        self._codec: str | None = None
        self._gzip: zlib._Decompress | None = None
        self._gzip_done = False
        self._zstd: zstandard.ZstdDecompressionWriter | None = None

    @property
    def codec(self) -> str | None:
        """The codec the bytes turned out to use (None before the first four bytes)."""
        return self._codec

    def feed(self, chunk: bytes) -> None:
        """Decompress the next compressed chunk into the sink."""
        if self._codec is None:
            self._head += chunk
            if len(self._head) < len(ZSTD_MAGIC):
                return
            chunk, self._head = self._head, b""
            self._codec = self._sniff(chunk)
        if self._codec == "gzip":
            self._feed_gzip(chunk)
        elif self._codec == "zstd":
            self._feed_zstd(chunk)
        else:
            self._sink(chunk)

    def close(self) -> None:
        """Flush; raises OsDetectionError when the compressed stream ended early."""
        if self._codec is None and self._head:
            self._codec = self._sniff(self._head)
            self._sink(self._head)
        if self._codec == "gzip" and self._gzip is not None and not self._gzip_done:
            raise OsDetectionError(f"layer {self._label} is truncated gzip")

    def _sniff(self, head: bytes) -> str:
        if head.startswith(GZIP_MAGIC):
            return "gzip"
        if head.startswith(ZSTD_MAGIC):
            return "zstd"
        if self._declared != "none":
            raise OsDetectionError(
                f"layer {self._label} is declared {self._declared} but its bytes are not"
            )
        return "none"

    def _feed_gzip(self, data: bytes) -> None:
        """Inflate, one member after another (concatenated gzip is valid), OUT_CHUNK at a time."""
        try:
            while data:
                if self._gzip is None or self._gzip_done:
                    if self._gzip_done and not data.strip(b"\0"):
                        return
                    self._gzip, self._gzip_done = zlib.decompressobj(31), False
                out = self._gzip.decompress(data, OUT_CHUNK)
                data = self._gzip.unconsumed_tail
                if self._gzip.eof:
                    self._gzip_done = True
                    data = self._gzip.unused_data + data
                if out:
                    self._sink(out)
        except zlib.error as exc:
            raise OsDetectionError(f"layer {self._label} is not valid gzip: {exc}") from exc

    def _feed_zstd(self, data: bytes) -> None:
        """Decompress across frames; output reaches the sink in OUT_CHUNK pieces."""
        if self._zstd is None:
            writer = _SinkWriter(self._sink)
            self._zstd = zstandard.ZstdDecompressor().stream_writer(
                writer,  # type: ignore[arg-type]  # any object with write() will do
                write_size=OUT_CHUNK,
                write_return_read=True,
            )
        try:
            self._zstd.write(data)
        except zstandard.ZstdError as exc:
            raise OsDetectionError(f"layer {self._label} is not valid zstd: {exc}") from exc


class _SinkWriter:
    """The file-like object zstandard writes to; hands each piece to the sink."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink

    def write(self, data: bytes) -> int:
        self._sink(bytes(data))
        return len(data)
