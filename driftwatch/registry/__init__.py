"""OCI distribution client: resolve tags to per-platform digests, read manifests and blobs."""

from __future__ import annotations

from driftwatch.registry.cache import (
    DiskManifestCache,
    DiskTagMemo,
    ManifestCache,
    MemoryManifestCache,
    MemoryTagMemo,
    TagMemo,
)
from driftwatch.registry.client import RegistryClient
from driftwatch.registry.credentials import Credential, CredentialStore

__all__ = [
    "Credential",
    "CredentialStore",
    "DiskManifestCache",
    "DiskTagMemo",
    "ManifestCache",
    "MemoryManifestCache",
    "MemoryTagMemo",
    "RegistryClient",
    "TagMemo",
]
