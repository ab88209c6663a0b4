"""Package version order exactly as dpkg and apk-tools compute it (pure).

`dpkg_compare` follows dpkg's lib/dpkg/version.c (epoch, upstream, revision; `~` sorts before
everything, even the end); `apk_compare` follows apk-tools 2.14 src/version.c token by token,
including its leading-zero and invalid-version quirks, so "upgraded" means what apk would say.
"""

from __future__ import annotations

__all__ = ["apk_compare", "compare_versions", "dpkg_compare", "parse_dpkg_version"]


def compare_versions(kind: str, left: str, right: str) -> int:
    """-1, 0 or 1 for `left` against `right` in the order of package manager `kind`."""
    result = dpkg_compare(left, right) if kind == "dpkg" else apk_compare(left, right)
    return (result > 0) - (result < 0)


# --- dpkg ---------------------------------------------------------------------------------


def parse_dpkg_version(text: str) -> tuple[int, str, str]:
    """`[epoch:]upstream[-revision]` -> (epoch, upstream, revision); ValueError when malformed."""
    text = text.strip()
    epoch_text, colon, rest = text.partition(":")
    if not colon:
        epoch_text, rest = "0", text
    if not epoch_text.isdigit():
        raise ValueError(f"bad epoch in version {text!r}")
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    if not upstream:
        raise ValueError(f"empty upstream version in {text!r}")
    return int(epoch_text), upstream, revision


def dpkg_compare(left: str, right: str) -> int:
    """dpkg's order: negative, zero or positive like `dpkg --compare-versions`."""
    a, b = parse_dpkg_version(left), parse_dpkg_version(right)
    if a[0] != b[0]:
        return a[0] - b[0]
    return _verrevcmp(a[1], b[1]) or _verrevcmp(a[2], b[2])


def _order(char: str) -> int:
    """dpkg's weight of one non-digit character ('' is the end of the string)."""
    if not char or char.isdigit():
        return 0
    if char.isascii() and char.isalpha():
        return ord(char)
    if char == "~":
        return -1
    return ord(char) + 256


def _verrevcmp(a: str, b: str) -> int:
    """Alternate non-digit runs (by `_order`) and digit runs (by value), as dpkg does."""
    i = j = 0
    while i < len(a) or j < len(b):
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i] if i < len(a) else "")
            bc = _order(b[j] if j < len(b) else "")
            if ac != bc:
                return ac - bc
            i, j = i + 1, j + 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        first_diff = 0
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            first_diff = first_diff or ord(a[i]) - ord(b[j])
            i, j = i + 1, j + 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


# --- apk (apk-tools 2.14.9, what Alpine 3.x images ship) -------------------------------

_INVALID, _DIGIT_OR_ZERO, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _REVISION_NO, _END = range(-1, 7)
_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")


class _Blob:
    """A version string being consumed, with apk's current token type."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.type = text, 0, _DIGIT

    def rest(self) -> int:
        return len(self.text) - self.pos

    def peek(self, offset: int = 0) -> str:
        return self.text[self.pos + offset] if self.pos + offset < len(self.text) else ""


def _next_token(blob: _Blob) -> None:
    """apk's next_token: the type of the token the cursor is at (consuming a separator)."""
    now, char, new = blob.type, blob.peek(), _INVALID
    if not blob.rest() or char == "\0":
        new = _END
    elif now in (_DIGIT, _DIGIT_OR_ZERO) and char.islower() and char.isascii():
        new = _LETTER
    elif now == _LETTER and char.isdigit():
        new = _DIGIT
    elif now == _SUFFIX and char.isdigit():
        new = _SUFFIX_NO
    else:
        if char == ".":
            new = _DIGIT_OR_ZERO
        elif char == "_":
            new = _SUFFIX
        elif char == "-" and blob.rest() > 1 and blob.peek(1) == "r":
            new = _REVISION_NO
            blob.pos += 1
        blob.pos += 1
    if new < now and not (
        (new == _DIGIT_OR_ZERO and now == _DIGIT)
        or (new == _SUFFIX and now == _SUFFIX_NO)
        or (new == _DIGIT and now == _LETTER)
    ):
        new = _INVALID
    blob.type = new


def _suffix_value(blob: _Blob) -> tuple[int, int] | None:
    """(value, length) of a known suffix at the cursor: pre-release ones are negative."""
    text = blob.text[blob.pos :]
    for index, name in enumerate(_PRE_SUFFIXES):
        if text.startswith(name):
            return index - len(_PRE_SUFFIXES), len(name)
    for index, name in enumerate(_POST_SUFFIXES):
        if text.startswith(name):
            return index, len(name)
    return None


def _get_token(blob: _Blob) -> int:
    """apk's get_token: the value of the token at the cursor, advancing past it."""
    if blob.rest() <= 0:
        blob.type = _END
        return 0
    value, length, then = 0, 0, _INVALID
    if blob.type == _DIGIT_OR_ZERO and blob.peek() == "0":
        while blob.peek(length + 1) == "0":  # every zero but the last is a -1 of its own
            length += 1
        value, then = -length, _DIGIT
    elif blob.type in (_DIGIT_OR_ZERO, _DIGIT, _SUFFIX_NO, _REVISION_NO):
        while blob.peek(length).isdigit() and blob.peek(length).isascii():
            value = value * 10 + int(blob.peek(length))
            length += 1
        if length >= 18:  # apk refuses numbers that could overflow
            blob.type = _INVALID
            return -1
    elif blob.type == _LETTER:
        value, length = ord(blob.peek()), 1
    elif blob.type == _SUFFIX and (found := _suffix_value(blob)) is not None:
        value, length = found
    else:
        blob.type = _INVALID
        return -1
    blob.pos += length
    if not blob.rest():
        blob.type = _END
    elif then != _INVALID:
        blob.type = then
    else:
        _next_token(blob)
    return value


def apk_compare(left: str, right: str) -> int:
    """apk's order (apk_version_compare_blob): -1, 0 or 1."""
    a, b = _Blob(left), _Blob(right)
    av = bv = 0
    while a.type == b.type and a.type not in (_END, _INVALID) and av == bv:
        av, bv = _get_token(a), _get_token(b)
    if av != bv:
        return -1 if av < bv else 1
    if a.type == b.type:
        return 0
    if a.type == _SUFFIX and _get_token(_copy(a)) < 0:
        return -1
    if b.type == _SUFFIX and _get_token(_copy(b)) < 0:
        return 1
    if a.type > b.type:
        return -1
    if b.type > a.type:
        return 1
    return 0


def _copy(blob: _Blob) -> _Blob:
    """A cursor at the same place (apk peeks at a suffix through a copy of the type)."""
    twin = _Blob(blob.text)
    twin.pos, twin.type = blob.pos, blob.type
    return twin
