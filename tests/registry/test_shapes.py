"""Answers of real registries (not Debian's distribution 2.8) that driftwatch must read right.

Each shape is served through httpx.MockTransport (the local registry cannot be made to give it)
and names where it was recorded. Shapes the local registry can give run for real in
tests/registry/test_redirects.py.
"""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from driftwatch.config import Config, RegistrySettings
from driftwatch.errors import DigestMismatch, InvalidResponse, NotFound, Unauthorized
from driftwatch.reference import parse_reference
from driftwatch.registry import RegistryClient
from driftwatch.registry.auth import _read_token, parse_www_authenticate, pick_challenge
from driftwatch.registry.tags import TagListing, list_tags, next_link
from tests.registry.test_client_mock import BODY, DIGEST, REF, Fake, manifest_response, resolve

# --- HEAD answers 404 while GET serves the manifest -----------------------------------------
# Sonatype Nexus: andrey-pohilko/registry-cli#43 and merll/docker-registry-util#3 ("HEAD not
# working in Nexus": 404 on HEAD, the GET of the same URL works); Harbor: crossplane/crossplane#3223;
# watchtower fixed the same misreading in nicholas-fedor/watchtower#669. go-containerregistry's
# remote.Head says errors of a HEAD "should be retried with Get".


def _head_404(request: httpx.Request) -> httpx.Response:
    if request.method == "HEAD":
        return httpx.Response(404)
    return manifest_response()


def test_head_404_is_confirmed_by_a_get_before_the_tag_is_called_missing() -> None:
    fake = Fake(_head_404)
    result = fake.run(resolve)
    assert result.digest == DIGEST
    assert fake.calls() == [
        ("HEAD", "/v2/team/app/manifests/1"),
        ("GET", "/v2/team/app/manifests/1"),
    ]


def test_head_404_and_get_404_is_a_missing_tag_with_the_registry_message() -> None:
    error = {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]}
    fake = Fake(lambda r: httpx.Response(404, json=None if r.method == "HEAD" else error))
    with pytest.raises(NotFound, match=r"manifest unknown \(404\)"):
        fake.run(resolve)
    assert [method for method, _ in fake.calls()] == ["HEAD", "GET"]


def test_docker_hub_head_404_is_trusted_without_spending_a_get() -> None:
    hub = parse_reference("docker.io/library/python:nope")
    fake = Fake(lambda r: httpx.Response(404))
    with pytest.raises(NotFound):
        fake.run(lambda client: client.resolve(hub))
    assert [method for method, _ in fake.calls()] == ["HEAD"]


def test_a_docker_hub_mirror_head_404_is_confirmed_too() -> None:
    """A docker.io `endpoint` is a mirror or pull-through proxy (Nexus, Harbor): not Docker Hub."""
    hub = parse_reference("docker.io/library/python:3")
    mirror = Config(
        retries=0, registries={"docker.io": RegistrySettings(endpoint="https://m.test")}
    )
    fake = Fake(_head_404)
    assert fake.run(lambda client: client.resolve(hub), mirror).digest == DIGEST
    assert [method for method, _ in fake.calls()] == ["HEAD", "GET"]


def test_head_digest_asks_get_when_head_says_404() -> None:
    """The tag lookup (`find_aliases`) HEADs tags the tag list just named: on such a registry a
    404 would make every listed tag look unserved, a "complete" lookup finding nothing."""
    fake = Fake(_head_404)
    assert fake.run(lambda client: client.head_digest(REF, "1")) == DIGEST
    gone = Fake(lambda r: httpx.Response(404))
    assert gone.run(lambda client: client.head_digest(REF, "1")) is None
    assert [method for method, _ in gone.calls()] == ["HEAD", "GET"]


def test_has_manifest_asks_get_when_head_says_404() -> None:
    async def served(client: RegistryClient) -> tuple[bool, bool]:
        pinned = await client.has_manifest(REF, DIGEST)
        other = await client.has_manifest(REF, "sha256:" + "0" * 64)
        return pinned, other

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "HEAD" or not request.url.path.endswith(DIGEST):
            return httpx.Response(404)
        return manifest_response()

    fake = Fake(handler)
    assert fake.run(served) == (True, False)


def test_has_manifest_refuses_a_get_whose_body_is_not_the_digest() -> None:
    liar = "sha256:" + "e" * 64
    fake = Fake(lambda r: httpx.Response(404) if r.method == "HEAD" else manifest_response())
    with pytest.raises(DigestMismatch):
        fake.run(lambda client: client.has_manifest(REF, liar))


# --- a /v2/ challenge with a placeholder scope ---------------------------------------------
# GHCR answers the /v2/ ping with `Bearer realm="https://ghcr.io/token",service="ghcr.io",
# scope="repository:user/image:pull"` (recorded in cloudflare/serverless-registry#148). Docker's
# token handler (distribution registry/client/auth/session.go, tokenHandler.getToken) asks for the
# scopes of the repository it pulls and takes only realm and service from the challenge.

GHCR_PING = (
    'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull"'
)


class _Ghcr:
    """A token server granting the scope asked for; the registry wants a token for its repo."""

    def __init__(self) -> None:
        self.scopes: list[str] = []
        self.refused = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            scope = request.url.params.get("scope", "")
            self.scopes.append(scope)
            return httpx.Response(200, json={"token": f"tok {scope}", "expires_in": 300})
        repo = request.url.path.split("/manifests/")[0][len("/v2/") :]
        wanted = f"Bearer tok repository:{repo}:pull"
        if request.headers.get("authorization") != wanted:
            self.refused += 1
            challenge = GHCR_PING.replace("user/image", repo)
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return manifest_response()


def test_placeholder_scope_of_the_ping_is_not_the_scope_asked_for() -> None:
    ghcr = _Ghcr()
    fake = Fake(ghcr, ping=httpx.Response(401, headers={"WWW-Authenticate": GHCR_PING}))
    refs = [parse_reference(f"ghcr.io/{name}:1") for name in ("acme/one", "acme/two")]

    async def both(client: RegistryClient) -> list[Any]:
        return [await client.resolve(ref) for ref in refs * 2]

    results = fake.run(both)
    assert {r.digest for r in results} == {DIGEST}
    assert ghcr.scopes == ["repository:acme/one:pull", "repository:acme/two:pull"]
    assert ghcr.refused == 0


# --- several challenges, one of them without parameters ------------------------------------
# RFC 7235 4.1 allows several challenges in one header or several WWW-Authenticate headers
# (httpx joins them with ", "); a scheme without parameters, such as `Negotiate` from a Kerberos
# front (RFC 4559) beside `Basic realm=...`, must not hide the challenge after it.


def test_bare_scheme_before_basic_in_two_headers() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        if request.headers.get("authorization") is None:
            headers = [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", 'Basic realm="x"')]
            return httpx.Response(401, headers=headers)
        return manifest_response()

    auth = base64.b64encode(b"alice:pw").decode()
    config = Path(os.environ["DOCKER_CONFIG"], "config.json")
    config.write_text(json.dumps({"auths": {REF.registry: {"auth": auth}}}))

    assert Fake(handler).run(resolve).digest == "sha256:" + hashlib.sha256(BODY).hexdigest()
    assert seen[-1] is not None and seen[-1].startswith("Basic ")


# --- a registry refusing `n` above its maximum ---------------------------------------------
# distribution v3.1.0 answers `n` above `tags.maxtags` (default 1000, configurable lower) with
# 400 PAGINATION_NUMBER_INVALID (recorded by Renovate's maintainer in distribution/distribution#4844;
# clamped again by distribution/distribution#4856). Without `n` the server picks its own page size.


def test_tag_listing_asks_again_without_n_when_n_is_refused() -> None:
    refused = {
        "errors": [
            {
                "code": "PAGINATION_NUMBER_INVALID",
                "message": "invalid number of results requested",
                "detail": {"n": 1000},
            }
        ]
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if "n" in request.url.params:
            return httpx.Response(400, json=refused)
        return httpx.Response(200, json={"name": "team/app", "tags": ["1", "1.2"]})

    fake = Fake(handler)
    listing = fake.run(lambda client: list_tags(client, REF))
    assert listing == TagListing(("1", "1.2"))
    assert [r.url.params.get("n") for r in fake.seen[1:]] == ["1000", None]


# --- Retry-After as an HTTP date ------------------------------------------------------------
# RFC 9110 10.2.3: `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT` or delay-seconds. Docker Hub sends
# seconds on 429; CDNs and load balancers in front of registries (503) send dates.


def test_retry_after_as_an_http_date_is_waited_for() -> None:
    when = email.utils.format_datetime(
        datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=20), usegmt=True
    )
    answers = iter([httpx.Response(503, headers={"Retry-After": when}), manifest_response()])
    fake = Fake(lambda r: next(answers))
    assert fake.run(lambda client: client.has_manifest(REF, "1"))
    assert len(fake.sleeps) == 1 and 17 <= fake.sleeps[0] <= 20


def test_a_manifest_redirected_to_plain_http_is_refused() -> None:
    """A HEAD's digest header read over plain HTTP could be anyone's: refused, not followed into."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.host == REF.registry:
            return httpx.Response(307, headers={"Location": "http://mirror.test/v2/team/app/m"})
        return manifest_response()

    with pytest.raises(InvalidResponse, match="redirected off HTTPS to http://mirror.test"):
        Fake(handler).run(resolve)


# --- Docker Hub's 401 for a repository that does not exist -----------------------------------
# Docker Hub grants an anonymous token for any name, then answers the manifest request with 401
# `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",
# scope="repository:library/nosuch:pull",error="insufficient_scope"` and UNAUTHORIZED
# "authentication required": a typo looks like missing credentials (docker/cli words it "pull access
# denied for nosuch, repository does not exist or may require 'docker login'").

HUB_CHALLENGE = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io"'


def test_docker_hub_insufficient_scope_says_the_repository_may_not_exist() -> None:
    hub = parse_reference("docker.io/library/nosuch:1")
    scoped = f'{HUB_CHALLENGE},scope="repository:library/nosuch:pull",error="insufficient_scope"'
    body = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.docker.io":
            return httpx.Response(200, json={"token": "anon", "expires_in": 300})
        return httpx.Response(401, headers={"WWW-Authenticate": scoped}, json=body)

    fake = Fake(handler, ping=httpx.Response(401, headers={"WWW-Authenticate": HUB_CHALLENGE}))
    with pytest.raises(Unauthorized, match="does not exist or needs credentials"):
        fake.run(lambda client: client.resolve(hub))


def test_a_realm_with_its_own_query_keeps_it() -> None:
    """Docker's token handler adds `service` and `scope` to the realm's own query
    (distribution registry/client/auth/session.go, fetchTokenWithBasicAuth: `req.URL.Query()`),
    so a realm such as `https://auth.test/token?tenant=acme` keeps `tenant`."""
    realm = 'Bearer realm="https://auth.test/token?tenant=acme",service="registry.test"'
    asked: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            asked.append(request.url)
            return httpx.Response(200, json={"token": "t", "expires_in": 300})
        return manifest_response()

    Fake(handler, ping=httpx.Response(401, headers={"WWW-Authenticate": realm})).run(resolve)
    assert [dict(url.params) for url in asked] == [
        {"tenant": "acme", "service": "registry.test", "scope": "repository:team/app:pull"}
    ]


@pytest.mark.parametrize("realm", ["https://[::1/token", "/token", "ftp://auth.test/token"])
def test_a_realm_that_is_no_http_url_is_an_invalid_answer(realm: str) -> None:
    """A hostile or broken registry must give a one-line error, never a traceback (an invalid
    URL made httpx raise InvalidURL, which is no driftwatch error)."""
    challenge = f'Bearer realm="{realm}",service="registry.test"'
    fake = Fake(
        lambda r: manifest_response(),
        ping=httpx.Response(401, headers={"WWW-Authenticate": challenge}),
    )

    async def go(client: RegistryClient) -> Any:
        return (await client.resolve_all([REF]))[0]

    failure = fake.run(go)
    assert failure.error_type == "InvalidResponse" and "realm" in failure.reason


# --- Link header shapes --------------------------------------------------------------------
# quay.io pages tags 50 at a time with an opaque `next_page` token (recorded with curl in
# pulp/pulpcore#1823: `link: </v2/coreos/etcd/tags/list?next_page=gAAAA...&n=50>; rel="next"`);
# earlier it sent the URL without the angle brackets (heroku/docker-registry-client#11).


def test_next_link_reads_quay_token_pages_with_and_without_brackets() -> None:
    target = "/v2/coreos/etcd/tags/list?next_page=gAAAAABbiT8U%3D&n=50"
    assert next_link(f'<{target}>; rel="next"') == target
    assert next_link(f'{target}; rel="next"') == target
    assert next_link(f"{target}; rel=prev") is None


def test_a_next_link_that_repeats_a_page_ends_the_listing() -> None:
    """A Link chain that comes back to a page already read (a cycle) stops at once and says so,
    instead of reading the same tags up to the page cap (100 requests)."""
    looping = '</v2/team/app/tags/list?n=2&last=b>; rel="next"'
    fake = Fake(lambda r: httpx.Response(200, headers={"Link": looping}, json={"tags": ["a", "b"]}))
    listing = fake.run(lambda client: list_tags(client, REF, page=2))
    assert listing.tags == ("a", "b", "a", "b")
    assert listing.stopped is not None and "repeats" in listing.stopped
    assert len(fake.calls()) <= 2


def test_challenge_variants_of_real_registries() -> None:
    """Recorded challenges: Docker Hub's insufficient_scope, a quoted comma in a push+pull scope
    (distribution's own 401), ECR's Basic, ECR Public's `scope="aws"`, an upper-case scheme, and two
    headers joined by httpx."""
    hub = parse_www_authenticate(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/python:pull,push",error="insufficient_scope"'
    )
    assert hub[0].get("scope") == "repository:library/python:pull,push"
    assert hub[0].get("error") == "insufficient_scope"
    ecr = pick_challenge(
        'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",'
        'service="ecr.amazonaws.com"'
    )
    assert ecr is not None and ecr.scheme == "basic"
    public = pick_challenge(
        'Bearer realm="https://public.ecr.aws/token/",service="public.ecr.aws",scope="aws"'
    )
    assert public is not None and public.get("realm") == "https://public.ecr.aws/token/"
    upper = pick_challenge('BEARER Realm="https://t/x", Service=s')
    assert upper is not None and (upper.scheme, upper.get("service")) == ("bearer", "s")
    joined = [c.scheme for c in parse_www_authenticate('Negotiate, NTLM, Basic realm="r"')]
    assert joined == ["negotiate", "ntlm", "basic"]


@pytest.mark.parametrize(
    ("answer", "token", "seconds"),
    [
        # Docker Hub: both names, 300 s, issued_at
        (
            {
                "token": "a",
                "access_token": "a",
                "expires_in": 300,
                "issued_at": "2025-01-01T00:00:00Z",
            },
            "a",
            300.0,
        ),
        ({"token": "q"}, "q", 60.0),  # quay.io, GitLab: no expires_in (the spec's default: 60 s)
        ({"access_token": "o", "expires_in": 3600}, "o", 3600.0),  # OAuth2 POST (ACR refresh)
        ({"token": "", "access_token": "h", "expires_in": 1800}, "h", 1800.0),  # empty `token`
        ({"token": "z", "expires_in": 0}, "z", 60.0),  # zero: taken as the default
        ({"token": "s", "expires_in": "300"}, "s", 60.0),  # a string: the default, never longer
    ],
)
def test_token_answers(answer: dict[str, Any], token: str, seconds: float) -> None:
    response = httpx.Response(200, json=answer)
    assert _read_token(response) == (token, seconds)
