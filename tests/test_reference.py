"""parse_reference against the distribution/reference grammar and Docker's normalisation."""

from __future__ import annotations

import pytest

from driftwatch import InvalidReference, parse_reference

D = "sha256:" + "a" * 64
D2 = "sha256:" + "0123456789abcdef" * 4

# text -> (registry, repository, tag, digest)
VALID = [
    ("python", ("docker.io", "library/python", None, None)),
    ("python:3.12-slim", ("docker.io", "library/python", "3.12-slim", None)),
    ("library/python:3", ("docker.io", "library/python", "3", None)),
    ("docker.io/python", ("docker.io", "library/python", None, None)),
    ("docker.io/library/python:3.12", ("docker.io", "library/python", "3.12", None)),
    ("index.docker.io/python:3", ("docker.io", "library/python", "3", None)),
    ("registry-1.docker.io/library/node:20", ("docker.io", "library/node", "20", None)),
    ("INDEX.DOCKER.IO/python", ("docker.io", "library/python", None, None)),
    ("bitnami/redis:7.2", ("docker.io", "bitnami/redis", "7.2", None)),
    ("a/b/c", ("docker.io", "a/b/c", None, None)),
    ("ghcr.io/org/app:v1.2.3", ("ghcr.io", "org/app", "v1.2.3", None)),
    ("quay.io/prometheus/node-exporter", ("quay.io", "prometheus/node-exporter", None, None)),
    (
        "gcr.io/distroless/static-debian12:nonroot",
        ("gcr.io", "distroless/static-debian12", "nonroot", None),
    ),
    ("us-docker.pkg.dev/p/r/img:1", ("us-docker.pkg.dev", "p/r/img", "1", None)),
    (
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:prod",
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "app", "prod", None),
    ),
    ("myacr.azurecr.io/team/svc:2024.01", ("myacr.azurecr.io", "team/svc", "2024.01", None)),
    ("localhost/app", ("localhost", "app", None, None)),
    ("localhost:5000/app:1", ("localhost:5000", "app", "1", None)),
    ("127.0.0.1:5000/a/b", ("127.0.0.1:5000", "a/b", None, None)),
    ("192.168.1.1:5000/repo:5050", ("192.168.1.1:5000", "repo", "5050", None)),
    ("[::1]:5000/repo", ("[::1]:5000", "repo", None, None)),
    ("[2001:db8::1]/repo:tag", ("[2001:db8::1]", "repo", "tag", None)),
    ("[fe80::1%25]:5000/x".replace("%25", ""), ("[fe80::1]:5000", "x", None, None)),
    ("registry.internal:5000/team/img", ("registry.internal:5000", "team/img", None, None)),
    ("Registry.Example.com/img", ("Registry.Example.com", "img", None, None)),
    ("example.com:443/img", ("example.com:443", "img", None, None)),
    ("my-registry/img", ("docker.io", "my-registry/img", None, None)),
    ("a.b/c", ("a.b", "c", None, None)),
    (f"python@{D}", ("docker.io", "library/python", None, D)),
    (f"python:3.12@{D}", ("docker.io", "library/python", "3.12", D)),
    (f"ghcr.io/o/a:1@{D2}", ("ghcr.io", "o/a", "1", D2)),
    (f"localhost:5000/a@{D}", ("localhost:5000", "a", None, D)),
    (
        "sha512-test/x@sha512:" + "b" * 128,
        ("docker.io", "sha512-test/x", None, "sha512:" + "b" * 128),
    ),
    ("foo__bar/baz", ("docker.io", "foo__bar/baz", None, None)),
    ("foo---bar", ("docker.io", "library/foo---bar", None, None)),
    ("foo.bar_baz", ("docker.io", "library/foo.bar_baz", None, None)),
    ("x:" + "t" * 128, ("docker.io", "library/x", "t" * 128, None)),
    ("x:_underscore", ("docker.io", "library/x", "_underscore", None)),
    ("x:UPPER.case-Tag_1", ("docker.io", "library/x", "UPPER.case-Tag_1", None)),
    ("a" * 63, ("docker.io", "library/" + "a" * 63, None, None)),
    ("a" * 65, ("docker.io", "library/" + "a" * 65, None, None)),
    ("0" * 63, ("docker.io", "library/" + "0" * 63, None, None)),
    ("example.com/" + "/".join(["p"] * 128), ("example.com", "/".join(["p"] * 128), None, None)),
    ("xn--bcher-kva.example/img", ("xn--bcher-kva.example", "img", None, None)),
]

INVALID = [
    ("", "empty"),
    ("   ", "empty"),
    (" python", "white space"),
    ("pyt hon", "white space"),
    ("Foo/Bar:x", "lowercase"),
    ("Python", "lowercase"),
    ("docker.io/Library/python", "lowercase"),
    ("ghcr.io/Org/app", "lowercase"),
    ("python:", "invalid tag"),
    ("python:-bad", "invalid tag"),
    ("python:.bad", "invalid tag"),
    ("python:" + "t" * 129, "invalid tag"),
    ("python:a/b", "registry host"),
    ("python:tag:more", "repository name"),
    ("python@sha256:abc", "invalid digest"),
    ("python@sha256:" + "A" * 64, "lowercase hex"),
    ("python@sha256:" + "a" * 63, "exactly 64"),
    ("python@sha256:" + "a" * 65, "exactly 64"),
    ("python@" + "a" * 64, "invalid digest"),
    ("python@", "invalid digest"),
    ("a" * 64, "image ID"),
    ("0123456789abcdef" * 4, "image ID"),
    ("docker.io/" + "a" * 256, "limit is 255"),
    ("example.com/" + "a" * 200 + "/" + "b" * 60, "limit is 255"),
    ("-foo", "repository name"),
    ("foo-", "repository name"),
    ("foo_-bar", "repository name"),
    ("foo...bar", "repository name"),
    ("foo___bar", "repository name"),
    ("foo//bar", "repository name"),
    ("foo/", "repository name"),
    ("/foo", "repository name"),
    ("example.com/", "no repository"),
    ("-bad.com/img", "registry host"),
    ("bad-.com/img", "registry host"),
    ("[::1/img", "registry host"),
    ("example.com:port/img", "registry host"),
    (":tag", "no name"),
    ("@" + D, "no name"),
    ("foo@bar@" + D, "invalid digest"),
]


@pytest.mark.parametrize(("text", "expected"), VALID, ids=[t for t, _ in VALID])
def test_valid_references_normalise(
    text: str, expected: tuple[str, str, str | None, str | None]
) -> None:
    ref = parse_reference(text)
    assert (ref.registry, ref.repository, ref.tag, ref.digest) == expected


@pytest.mark.parametrize(("text", "fragment"), INVALID, ids=[repr(t)[:40] for t, _ in INVALID])
def test_invalid_references_name_the_fault(text: str, fragment: str) -> None:
    with pytest.raises(InvalidReference) as info:
        parse_reference(text)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_table_is_large_enough() -> None:
    assert len(VALID) + len(INVALID) >= 60


@pytest.mark.parametrize(
    ("text", "canonical", "familiar"),
    [
        ("python", "docker.io/library/python:latest", "python"),
        ("python:3.12-slim", "docker.io/library/python:3.12-slim", "python:3.12-slim"),
        ("index.docker.io/bitnami/redis:7", "docker.io/bitnami/redis:7", "bitnami/redis:7"),
        (f"python:3@{D}", f"docker.io/library/python:3@{D}", f"python:3@{D}"),
        (f"python@{D}", f"docker.io/library/python@{D}", f"python@{D}"),
        ("ghcr.io/o/a:1", "ghcr.io/o/a:1", "ghcr.io/o/a:1"),
        ("[::1]:5000/repo", "[::1]:5000/repo:latest", "[::1]:5000/repo"),
    ],
)
def test_canonical_and_familiar_forms(text: str, canonical: str, familiar: str) -> None:
    ref = parse_reference(text)
    assert str(ref) == canonical
    assert ref.familiar == familiar
    assert parse_reference(str(ref)) == parse_reference(canonical)


def test_digest_wins_over_tag_for_the_manifest_request() -> None:
    ref = parse_reference(f"python:3.12@{D}")
    assert ref.manifest_reference == D
    assert parse_reference("python").manifest_reference == "latest"
    assert parse_reference("python").effective_tag == "latest"


def test_references_are_frozen_and_hashable() -> None:
    ref = parse_reference("python:3")
    assert {ref, parse_reference("docker.io/library/python:3")} == {ref}
    with pytest.raises(AttributeError):
        ref.tag = "x"  # type: ignore[misc]
