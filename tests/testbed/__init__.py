"""Test bench: a real registry (Debian's docker-registry), a token server, the one image builder
(images.py; distros.py has the OS layouts, memory.py serves images without a registry), a pusher.

    from tests.testbed import build_image, build_index, push_index, Symlink, Whiteout, OpaqueDir
    image = build_image([{"usr/lib/os-release": b"ID=debian\\n",
                          "etc/os-release": Symlink("../usr/lib/os-release")}])
    digest = push_index(registry, "library/debian", "bookworm", build_index([image]))

Fixtures (tests/conftest.py): `registry`, `basic_registry`, `token_registry` (session-scoped);
`server.access_log()`, `server.mark()` / `server.requests_since(mark)` count requests.
"""

from tests.testbed.images import (
    Blob,
    Image,
    Index,
    OpaqueDir,
    Symlink,
    Whiteout,
    build_image,
    build_index,
    build_layer,
)
from tests.testbed.registry import RegistryServer, push_image, push_index

__all__ = [
    "Blob",
    "Image",
    "Index",
    "OpaqueDir",
    "RegistryServer",
    "Symlink",
    "Whiteout",
    "build_image",
    "build_index",
    "build_layer",
    "push_image",
    "push_index",
]
