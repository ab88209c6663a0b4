"""OCI distribution client: resolve tags to per-platform digests, read manifests and blobs.

Its caches (manifests by digest, the tags seen here) are driftwatch.cache.
"""

from __future__ import annotations

from driftwatch.registry.client import RegistryClient
from driftwatch.registry.credentials import Credential, CredentialStore

__all__ = ["Credential", "CredentialStore", "RegistryClient"]
