"""Fault kinds, injection rules and the seeded decision of which request gets which fault."""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from enum import Enum

MAX_STALL = 30.0
"""Upper bound in seconds for a stall, so a forgotten rule can never hang the suite."""


class Fault(str, Enum):
    """What the proxy can do to one request instead of (or while) forwarding it."""

    TOO_MANY = "429"  # answer 429 with Retry-After, upstream not asked
    ERROR_500 = "500"
    BAD_GATEWAY = "502"
    UNAVAILABLE = "503"
    RESET = "reset"  # close the socket with a RST before any answer
    RESET_MID_BODY = "reset-mid-body"  # headers and half the body, then RST
    STALL = "stall"  # wait `Rule.stall` seconds, then forward normally
    TRUNCATE = "truncate"  # full Content-Length, half the body, then a clean close
    WRONG_DIGEST = "wrong-digest"  # Docker-Content-Digest replaced by another sha256
    CORRUPT = "corrupt"  # one byte of the body changed, headers and length kept
    DRIP = "drip"  # real headers, then the body one byte every `Rule.drip` seconds
    HUGE = "huge"  # a 404 whose error body goes on for `Rule.huge` bytes (not in "random")

    @property
    def status(self) -> int | None:
        """The HTTP status answered for a status fault, else None."""
        return int(self.value) if self.value.isdigit() else None

    @property
    def needs_body(self) -> bool:
        """True for faults that act on the response body (never chosen for HEAD)."""
        return self in BODY_FAULTS


BODY_FAULTS = frozenset(
    {Fault.RESET_MID_BODY, Fault.TRUNCATE, Fault.CORRUPT, Fault.DRIP, Fault.HUGE}
)
# What "random" picks among by default: the transient faults (drip and huge are asked for by name,
# and leaving them out keeps the draws of a seed what they always were).
ALL_FAULTS: tuple[Fault, ...] = tuple(f for f in Fault if f not in (Fault.DRIP, Fault.HUGE))
MAX_HUGE = 16 * 2**30
RANDOM = "random"


@dataclass(frozen=True)
class Rule:
    """Inject `fault` into requests matching `method` and the `path` regex.

    `fault` is a Fault (or its value, e.g. "429") or "random" to pick among `among`.
    `times`: inject into the first N matching requests only, then pass (None: forever).
    `rate`: probability that a matching request is injected, drawn from the proxy's seed.
    `per_path`: inject at most N times into requests with the same method and path (None: no
    bound): a transient fault that a client retrying N times always gets through.
    `drip`: seconds between the bytes of a dripped body; `huge`: bytes of a huge error body.
    """

    fault: Fault | str
    method: str | None = None
    path: str | None = None
    times: int | None = None
    rate: float = 1.0
    retry_after: int = 1
    stall: float = 2.0
    among: tuple[Fault | str, ...] = ALL_FAULTS
    per_path: int | None = None
    drip: float = 1.0
    huge: int = 3 * 2**30

    def __post_init__(self) -> None:
        if self.fault != RANDOM:
            object.__setattr__(self, "fault", Fault(self.fault))
        object.__setattr__(self, "among", tuple(Fault(kind) for kind in self.among))
        if self.method is not None:
            object.__setattr__(self, "method", self.method.upper())
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within 0..1, got {self.rate}")
        if self.times is not None and self.times < 0:
            raise ValueError(f"times must be >= 0, got {self.times}")
        if not 0.0 <= self.stall <= MAX_STALL:
            raise ValueError(f"stall must be within 0..{MAX_STALL} s, got {self.stall}")
        if not 0.0 < self.drip <= MAX_STALL:
            raise ValueError(f"drip must be within 0..{MAX_STALL} s, got {self.drip}")
        if not 0 <= self.huge <= MAX_HUGE:
            raise ValueError(f"huge must be within 0..{MAX_HUGE} bytes, got {self.huge}")
        if self.path is not None:
            re.compile(self.path)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule targets a request with this method and path (path may hold a query)."""
        if self.method is not None and method.upper() != self.method:
            return False
        return self.path is None or re.search(self.path, path) is not None

    def kinds_for(self, method: str) -> list[Fault]:
        """The faults this rule may inject into a request of `method` (no body faults on HEAD)."""
        kinds = [Fault(k) for k in self.among] if self.fault == RANDOM else [Fault(self.fault)]
        if method.upper() == "HEAD":
            kinds = [kind for kind in kinds if not kind.needs_body]
        return kinds


@dataclass(frozen=True)
class Decision:
    """The fault chosen for one request, the rule that chose it and the rng for its details."""

    fault: Fault
    rule: Rule
    rule_index: int
    rng: random.Random = field(compare=False, repr=False)


MANIFEST_PATH = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/?]+)")


@dataclass(frozen=True)
class Event:
    """One request the proxy saw, and the fault injected into it (None: passed through)."""

    index: int
    method: str
    path: str
    fault: Fault | None
    rule: int | None

    def __str__(self) -> str:
        return f"#{self.index} {self.method} {self.path} -> {self.fault.value if self.fault else 'pass'}"

    @property
    def manifest(self) -> tuple[str, str] | None:
        """(repository, tag or digest) when this was a manifest request, else None."""
        match = MANIFEST_PATH.match(self.path)
        return (match["name"], match["ref"]) if match else None


class Decider:
    """Applies rules in order; the first live matching rule decides, reproducibly from a seed.

    Each draw comes from `random.Random(f"{seed}|{rule}|{method}|{path}|{n}")` where n counts
    earlier requests with the same method and path, so concurrent requests to other paths do
    not change which requests of this path are injected.
    """

    def __init__(self, seed: int, rules: tuple[Rule, ...] = ()) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rules = rules
        self._used = [0] * len(rules)
        self._seen: dict[tuple[str, str], int] = {}
        self._hits: dict[tuple[int, str, str], int] = {}

    def replace(self, rules: tuple[Rule, ...]) -> None:
        """Install a new rule set and reset the `times` counters and occurrence counts."""
        with self._lock:
            self._rules = rules
            self._used = [0] * len(rules)
            self._seen = {}
            self._hits = {}

    def decide(self, method: str, path: str) -> Decision | None:
        """The fault for this request, or None to pass it through untouched."""
        with self._lock:
            occurrence = self._seen.get((method, path), 0)
            self._seen[(method, path)] = occurrence + 1
            for index, rule in enumerate(self._rules):
                kinds = rule.kinds_for(method)
                if not kinds or not rule.matches(method, path):
                    continue
                if rule.times is not None and self._used[index] >= rule.times:
                    continue
                hits = self._hits.get((index, method, path), 0)
                if rule.per_path is not None and hits >= rule.per_path:
                    continue
                rng = random.Random(f"{self.seed}|{index}|{method}|{path}|{occurrence}")
                if rng.random() >= rule.rate:
                    return None
                self._used[index] += 1
                self._hits[(index, method, path)] = hits + 1
                return Decision(rng.choice(kinds), rule, index, rng)
            return None
