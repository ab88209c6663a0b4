"""Registry JSON nested deep enough to exhaust the parser is an InvalidResponse, never a crash."""

from __future__ import annotations

import pytest

from driftwatch.errors import InvalidResponse
from driftwatch.oci.model import parse_manifest
from driftwatch.oci.platforms import platform_from_config
from driftwatch.registry.tags import _page_tags

DEEP = b"[" * 200_000  # 195 KiB: well under every body cap


def test_a_deeply_nested_manifest_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponse, match="manifest is not valid JSON"):
        parse_manifest(DEEP, "application/vnd.oci.image.index.v1+json", "x:1")


def test_a_deeply_nested_config_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponse, match="image config is not valid JSON"):
        platform_from_config(DEEP, "x:1")


def test_a_deeply_nested_tag_page_is_an_invalid_response() -> None:
    with pytest.raises(InvalidResponse, match="the tag list is not JSON"):
        _page_tags(DEEP, "x")
