"""Make text safe to show: user-info in URLs masked, control characters escaped.

Registry endpoints, database and notification URLs can carry `user:password@`; every message
the CLI prints goes through `mask_userinfo`. Registries and images are untrusted, so any text
from them (tags, codenames, error bodies) goes through `printable` before reaching a terminal.
"""

from __future__ import annotations

import re

__all__ = ["MASK", "mask_userinfo", "printable", "shown_value"]

MASK = "****"
# scheme://user-info@ : everything between `//` and the last `@` before the host part.
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s'\"]*@)")
# C0 and C1 control characters (ESC, BEL, CR, ...) and DEL; tab and newline are escaped too.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_VALUE_WIDTH = 80


def mask_userinfo(text: str) -> str:
    """`text` with the user-info of every URL in it replaced by `****`."""
    return _USERINFO.sub(lambda match: f"{match.group('scheme')}{MASK}@", text)


def printable(text: str) -> str:
    """`text` with control characters shown as `\\xNN` escapes, so a terminal runs none."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group(0)):02x}", text)


def shown_value(value: object) -> str:
    """A value as an error message shows it: repr, user-info masked, escaped and shortened."""
    text = printable(mask_userinfo(repr(value)))
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"
