"""Which images are built on an OS, and whether a tag (or repository path) names its release.

Heuristic, documented in docs/lint-rules/DW002.md: an official language/service image or a
distribution image must carry an OS release in its tag (`3.12.3-slim-bookworm`, `22.04`,
`alpine3.19`, `ubi9`, `al2023`, ...); images whose repository path names it
(`distroless/static-debian12`, `ubi9/python-311`) already say it.
"""

from __future__ import annotations

import re

from driftwatch.reference import ImageReference
from driftwatch.releases import DEBIAN_CODENAMES, UBUNTU_CODENAMES

__all__ = [
    "DISTRO_IMAGES",
    "OS_BASED_IMAGES",
    "is_os_based",
    "is_release_name",
    "names_os_release",
]

_RELEASE_PATTERNS = (
    rf"(?:{'|'.join(DEBIAN_CODENAMES + UBUNTU_CODENAMES)})",
    r"debian\d{1,2}",  # distroless, dotnet: debian12
    r"ubuntu\d{2}\.\d{2}",  # nvidia/cuda: ubuntu22.04
    r"alpine\d+(?:\.\d+)*",  # alpine3.19
    r"ubi\d+(?:\.\d+)?(?:-minimal|-micro)?",
    r"el\d+",
    r"centos\d+",
    r"rockylinux\d+",
    r"almalinux\d+",
    r"oraclelinux\d+",
    r"al20\d\d|al2|amazonlinux20\d\d|amazonlinux2",
    r"fedora\d+",
    r"wolfi",
    r"ltsc20\d\d|nanoserver-\d+|windowsservercore-\d+",
    r"azurelinux\d+(?:\.\d+)?|cbl-mariner\d+(?:\.\d+)?|mariner\d+(?:\.\d+)?",
)
_RELEASE = re.compile(rf"(?:^|[-_./])(?:{'|'.join(_RELEASE_PATTERNS)})(?=$|[-_./])")
_RELEASE_WORD = re.compile(rf"(?:{'|'.join(_RELEASE_PATTERNS)})")

# Official Docker Hub images whose tags float over Debian/Alpine/Ubuntu releases.
OS_BASED_IMAGES = frozenset(
    {
        "python",
        "node",
        "ruby",
        "golang",
        "openjdk",
        "php",
        "perl",
        "rust",
        "postgres",
        "redis",
        "nginx",
        "httpd",
        "mysql",
        "mariadb",
        "mongo",
        "elixir",
        "erlang",
        "haskell",
        "gcc",
        "julia",
        "swift",
        "tomcat",
        "maven",
        "gradle",
        "eclipse-temurin",
        "amazoncorretto",
        "ibm-semeru-runtimes",
        "sapmachine",
        "buildpack-deps",
        "memcached",
        "rabbitmq",
        "haproxy",
        "clojure",
        "groovy",
        "pypy",
        "r-base",
        "dart",
        "bash",
        "composer",
        "wordpress",
        "drupal",
        "ghost",
        "odoo",
        "nextcloud",
        "jruby",
        "kong",
        "influxdb",
        "cassandra",
        "elasticsearch",
        "solr",
        "zookeeper",
        "neo4j",
        "couchdb",
        "mono",
        "crate",
        "postfixadmin",
        "unit",
        "varnish",
        "bonita",
        "flink",
        "spark",
        "storm",
        "tomee",
        "jetty",
        "liquibase",
        "sonarqube",
        "matomo",
        "joomla",
        "friendica",
    }
)
# Distribution images: the tag itself is the release (a version number or a codename).
DISTRO_IMAGES = frozenset(
    {
        "debian",
        "ubuntu",
        "alpine",
        "fedora",
        "centos",
        "rockylinux",
        "almalinux",
        "amazonlinux",
        "oraclelinux",
        "photon",
        "opensuse/leap",
        "opensuse/tumbleweed",
        "archlinux",
        "clearlinux",
        "mageia",
        "alt",
        "sl",
        "busybox",
    }
)
_FLOATING = frozenset(
    {
        "latest",
        "stable",
        "oldstable",
        "oldoldstable",
        "testing",
        "unstable",
        "rolling",
        "devel",
        "edge",
        "current",
    }
)
_OTHER_OS_BASED = (
    ("mcr.microsoft.com", re.compile(r"dotnet/.*")),
    ("docker.io", re.compile(r"nvidia/cuda")),
    ("docker.io", re.compile(r"bitnami/.*")),
    ("cgr.dev", re.compile(r".*")),
)


def _short_name(reference: ImageReference) -> str | None:
    """The Docker Hub official name (`python`), `opensuse/leap`, or None for other images."""
    if reference.registry != "docker.io":
        return None
    return reference.repository.removeprefix("library/")


def is_os_based(reference: ImageReference) -> bool:
    """True when the image's tag is expected to name an OS release."""
    name = _short_name(reference)
    if name is not None and (name in OS_BASED_IMAGES or name in DISTRO_IMAGES):
        return True
    return any(
        reference.registry == registry and pattern.fullmatch(reference.repository)
        for registry, pattern in _OTHER_OS_BASED
    )


def names_os_release(reference: ImageReference) -> bool:
    """True when the tag or the repository path names an OS release (or a distro's version)."""
    tag = (reference.tag or "").lower()
    if _RELEASE.search(reference.repository.lower()) or _RELEASE.search(tag):
        return True
    if _short_name(reference) in DISTRO_IMAGES:
        first = re.split(r"[-_]", tag, maxsplit=1)[0]
        named = first[:1].isdigit() or first in DEBIAN_CODENAMES
        return bool(first) and first not in _FLOATING and named
    return False


def is_release_name(word: str) -> bool:
    """True when one tag part names an OS release (`bookworm`, `alpine3.20`, `ubi9`)."""
    return bool(_RELEASE_WORD.fullmatch(word.lower()))
