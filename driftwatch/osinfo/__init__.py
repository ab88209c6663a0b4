"""The OS release behind every digest: annotations and config hints, then a streaming layer scan.

Entry points: `detect_os` (one platform manifest) and `detect_platforms` (an index). They need a
`BlobSource` (the registry client bound to one repository) and, optionally, a
`driftwatch.cache.ValueCache` (what was learned, by digest).
"""

from __future__ import annotations

from driftwatch.osinfo.detect import detect_os, detect_platforms
from driftwatch.osinfo.interface import BlobSource, BoundSource, RegistryBlobs
from driftwatch.osinfo.osrelease import parse_os_release, release_line

__all__ = [
    "BlobSource",
    "BoundSource",
    "RegistryBlobs",
    "detect_os",
    "detect_platforms",
    "parse_os_release",
    "release_line",
]
