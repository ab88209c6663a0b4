"""The OS release behind every digest: annotations and config hints, then a streaming layer scan.

Entry points: `detect_os` (one platform manifest) and `detect_platforms` (an index). They need a
`BlobSource` (the registry client bound to one repository) and, optionally, an `OsCache`.
"""

from __future__ import annotations

from driftwatch.osinfo.cache import DiskCache, MemoryCache, default_cache_dir
from driftwatch.osinfo.detect import detect_os, detect_platforms
from driftwatch.osinfo.interface import BlobSource, BoundSource, OsCache, RegistryBlobs
from driftwatch.osinfo.osrelease import parse_os_release, release_line

__all__ = [
    "BlobSource",
    "BoundSource",
    "DiskCache",
    "MemoryCache",
    "OsCache",
    "RegistryBlobs",
    "default_cache_dir",
    "detect_os",
    "detect_platforms",
    "parse_os_release",
    "release_line",
]
