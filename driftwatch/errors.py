"""One exception tree for all of driftwatch; the CLI maps it to exit codes.

    DriftwatchError                 (exit 1 unless a subclass says otherwise)
    ├── UsageError                  exit 2: the user's input is wrong
    │   ├── InvalidReference        (also a ValueError) an image reference breaks the grammar
    │   ├── ConfigError             driftwatch.toml / pyproject / env / flags are wrong
    │   └── InputError              a file given to driftwatch cannot be used (lock file, list)
    ├── RegistryError               exit 3: a registry could not be reached or believed
    │   ├── NotFound                the tag, digest or repository does not exist (404)
    │   │   └── PlatformNotFound    the tag exists but has none of the platforms asked for
    │   ├── Unauthorized            401/403, or no credentials accepted
    │   ├── RateLimited             429 after the retries allowed
    │   │   └── BudgetExhausted     not asked: the registry's pull budget is (nearly) spent
    │   ├── Unreachable             connection errors, timeouts, 5xx after retries
    │   │   └── TransferBroken      the connection broke while a body was read
    │   ├── DeadlineExceeded        not done by the run's overall deadline
    │   └── InvalidResponse         the answer cannot be used
    │       ├── DigestMismatch      the bytes do not hash to the digest promised
    │       ├── TruncatedBody       fewer bytes than the Content-Length promised
    │       └── UnsupportedManifest schema1 or an unknown media type
    ├── OsDetectionError            the OS of an image could not be read (bad layer, ...)
    └── StoreError                  the history database cannot be used

Every message is one line meant for a person; secrets never appear in it.
"""

from __future__ import annotations


class DriftwatchError(Exception):
    """Base of every error driftwatch raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def diagnostics(self) -> str:
        """One line for a person: what went wrong and, where known, what to do."""
        return self.message


class UsageError(DriftwatchError):
    """The user's input (arguments, files, configuration) is wrong."""

    exit_code = 2


class InvalidReference(UsageError, ValueError):
    """An image reference does not follow the distribution/reference grammar."""


class ConfigError(UsageError):
    """The configuration cannot be used; the message names the file and key."""


class InputError(UsageError):
    """An input file (lock file, reference list) is missing, unreadable or malformed."""


class RegistryError(DriftwatchError):
    """A registry could not be reached, or its answer could not be believed."""

    exit_code = 3


class NotFound(RegistryError):
    """The registry says the manifest, blob or repository does not exist."""


class PlatformNotFound(NotFound):
    """The tag exists, but none of its manifests is for the platforms asked for."""


class Unauthorized(RegistryError):
    """The registry refused us (401/403) with the credentials we had."""


class RateLimited(RegistryError):
    """The registry kept answering 429 (too many requests)."""


class BudgetExhausted(RateLimited):
    """Skipped without asking: the registry's remaining pull budget would have been spent."""


class Unreachable(RegistryError):
    """Connection failures, timeouts or server errors outlasted the retries."""


class TransferBroken(Unreachable):
    """The connection broke while a body was being read (worth retrying the whole fetch)."""


class DeadlineExceeded(RegistryError):
    """The run's overall deadline passed before this piece of work was done."""


class InvalidResponse(RegistryError):
    """The registry answered something driftwatch cannot use."""


class DigestMismatch(InvalidResponse):
    """Bytes received do not hash to the digest they were promised under."""


class TruncatedBody(InvalidResponse):
    """The body ended before the length it announced (worth retrying the whole fetch)."""


class UnsupportedManifest(InvalidResponse):
    """A manifest of a kind driftwatch does not read (schema1, unknown media type)."""


class OsDetectionError(DriftwatchError):
    """The OS release of an image could not be worked out from its content."""


class StoreError(DriftwatchError):
    """The history database cannot be opened, migrated or written."""

    exit_code = 2
