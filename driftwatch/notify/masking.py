"""Hide the secret parts of notification URLs (tokens, passwords, webhook paths) in any text.

Apprise URLs carry their credentials in every part: `slack://TOKEN_A/TOKEN_B/TOKEN_C`,
`json://user:password@host/webhook-path`, `tgram://bot:token/chat`. The only parts shown are the
scheme and a host that is really a host name (has a dot, is an IP or `localhost`) with its port.
Apprise and urllib3 log full URLs, so a logging filter masks their records too.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Protocol
from urllib.parse import parse_qsl, unquote

__all__ = ["MASK", "install_log_masking", "mask", "mask_url", "register_secrets", "secret_parts"]

MASK = "****"
_URL = re.compile(r"(?<![\w+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>()\[\]{}]*")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_DOMAIN = re.compile(r"(?=.{1,253}$)[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+\.?")
_SECRET_KEY = re.compile(r"token|key|secret|pass|pwd|auth|sig|hook|cred|session", re.I)
_MIN_SECRET = 3
_LOGGERS = ("apprise", "urllib3.connectionpool", "urllib3.connection", "requests")


class _HasUrl(Protocol):
    """Anything with a secret `url`, such as a Destination."""

    @property
    def url(self) -> str: ...


_known: set[str] = set()
_lock = threading.Lock()


def _split(url: str) -> tuple[str, str, str, str] | None:
    """`scheme://authority/rest` -> (scheme, userinfo, hostport, rest); None when not a URL."""
    scheme, sep, remainder = url.partition("://")
    if not sep or not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*", scheme):
        return None
    cut = min((i for i in (remainder.find(c) for c in "/?#") if i >= 0), default=len(remainder))
    authority, rest = remainder[:cut], remainder[cut:]
    userinfo, at, hostport = authority.rpartition("@")
    return scheme, userinfo if at else "", hostport, rest


def _is_hostname(hostport: str) -> bool:
    """True when `hostport` is a real host (domain, IP, localhost) with an optional port."""
    if hostport.startswith("["):
        return re.fullmatch(r"\[[0-9a-fA-F:.]+\](?::\d{1,5})?", hostport) is not None
    host, colon, port = hostport.partition(":")
    if colon and not port.isdigit():
        return False
    return bool(host == "localhost" or _IPV4.fullmatch(host) or _DOMAIN.fullmatch(host))


def mask_url(url: str) -> str:
    """The display form of a URL: scheme and a true host kept, everything secret as `****`."""
    parts = _split(url.strip())
    if parts is None:
        return MASK
    scheme, userinfo, hostport, rest = parts
    if not _is_hostname(hostport):
        return f"{scheme}://{MASK}" if (hostport or userinfo or rest.strip("/")) else f"{scheme}://"
    shown = f"{scheme}://" + (f"{MASK}@" if userinfo else "") + hostport
    return shown + (f"/{MASK}" if rest.strip("/") else "")


def secret_parts(url: str) -> set[str]:
    """Every substring of `url` that may be a secret, raw and percent-decoded."""
    parts = _split(url.strip())
    if parts is None:
        return {url.strip()} if len(url.strip()) >= _MIN_SECRET else set()
    _, userinfo, hostport, rest = parts
    found = {url.strip()}
    found.update(userinfo.split(":"))
    if not _is_hostname(hostport):
        found.update({hostport, *hostport.split(":")})
    path, _, query = rest.partition("?")
    found.update(path.split("/"))
    found.update(v for k, v in parse_qsl(query.partition("#")[0]) if _secret_value(k, v))
    found.add(rest.partition("#")[2])
    decoded = {unquote(part) for part in found}
    return {part for part in found | decoded if len(part) >= _MIN_SECRET}


def _secret_value(key: str, value: str) -> bool:
    """Query values are secrets when their key says so or they look like a token."""
    if _SECRET_KEY.search(key):
        return True
    return len(value) >= 12 and not _is_hostname(value) and "@" not in value


def register_secrets(urls: Iterable[str]) -> None:
    """Remember the secret parts of `urls` so logs and errors mentioning them get masked."""
    with _lock:
        for url in urls:
            _known.update(secret_parts(url))
    install_log_masking()


def mask(text: str, destinations: Iterable[str | _HasUrl] = ()) -> str:
    """`text` with every URL shown in display form and every known or given secret replaced."""
    with _lock:
        secrets = set(_known)
    for item in destinations:
        secrets |= secret_parts(item if isinstance(item, str) else item.url)
    shown: list[str] = []

    def park(match: re.Match[str]) -> str:
        shown.append(mask_url(match.group(0)))
        return f"\x00{len(shown) - 1}\x00"

    text = _URL.sub(park, text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return re.sub("\x00(\\d+)\x00", lambda match: shown[int(match.group(1))], text)


class _MaskingFilter(logging.Filter):
    """Rewrites a record's message and traceback with secrets masked, before any handler runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg, record.args = mask(message), ()
        if record.exc_info:
            record.exc_text = mask("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


_FILTER = _MaskingFilter()


def install_log_masking() -> None:
    """Attach the masking filter to the loggers that print notification URLs (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
