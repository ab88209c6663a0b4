"""OCI distribution client: resolve tags to per-platform digests, read manifests and blobs."""

from __future__ import annotations

from driftwatch.registry.cache import DiskManifestCache, ManifestCache, MemoryManifestCache
from driftwatch.registry.client import RegistryClient
from driftwatch.registry.credentials import Credential, CredentialStore

__all__ = [
    "Credential",
    "CredentialStore",
    "DiskManifestCache",
    "ManifestCache",
    "MemoryManifestCache",
    "RegistryClient",
]
