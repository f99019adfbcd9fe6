"""Proxy: route table, auth chain, 401 bodies, security headers, credential cache."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from asgi_client import Client
from defusedxml import ElementTree
from starlette.types import Receive, Scope, Send

from ocis.accounts.api import User
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.proxy.app import ProxyApp, build_routes
from ocis.proxy.auth import BasicAuthenticator, CredentialCache, parse_basic
from ocis.proxy.routes import AuthPolicy, Route, RouteTable

ALICE = User("id-alice", "alice", "Alice A", "alice@example.org", True, ("users",))


class FakeAccounts:
    def __init__(self) -> None:
        self.calls = 0

    def authenticate(self, login: str, password: str) -> User | None:
        self.calls += 1
        return ALICE if login.lower() == "alice" and password == "pw" else None

    def get_user(self, user_id: str) -> User | None:
        return ALICE if user_id == ALICE.id else None

    def find_user(self, username: str) -> User | None:
        return ALICE if username.lower() == "alice" else None


def recorder(name: str) -> Any:
    seen: list[dict[str, Any]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        principal = scope.get(SCOPE_KEY)
        seen.append({"path": scope["path"], "principal": principal})
        body = json.dumps({"app": name, "user": principal.username if principal else None}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})

    app.seen = seen  # type: ignore[attr-defined]
    return app


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def setup() -> tuple[Client, FakeAccounts, dict[str, Any]]:
    accounts = FakeAccounts()
    apps = {"dav": recorder("dav"), "ocs": recorder("ocs"), "web": recorder("web")}
    proxy = ProxyApp(build_routes(**apps), [BasicAuthenticator(accounts)], tls=True)
    return Client(proxy), accounts, apps


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/remote.php/webdav/a.txt", "dav"),
        ("/remote.php/dav/files/alice/", "dav"),
        ("/dav/files/alice", "dav"),
        ("/webdav/x", "dav"),
        ("/index.php/f/1", "dav"),
        ("/ocs/v1.php/cloud/user", "ocs"),
        ("/ocs/v2.php/config", "ocs"),
        ("/", "web"),
        ("/something/else", "web"),
    ],
)
def test_routing(setup: Any, path: str, target: str) -> None:
    client, _, _ = setup
    r = client.get(path, headers=basic("alice", "pw"))
    assert r.status_code == 200
    assert r.json()["app"] == target


def test_principal_in_scope(setup: Any) -> None:
    client, _, apps = setup
    client.get("/remote.php/webdav/", headers=basic("ALICE", "pw"))
    principal = apps["dav"].seen[-1]["principal"]
    assert isinstance(principal, Principal)
    assert principal == Principal("id-alice", "alice", "Alice A", "alice@example.org", ("users",), "basic")


def test_status_php_is_public_and_ignores_credentials(setup: Any) -> None:
    client, accounts, _ = setup
    r = client.get("/status.php", headers=basic("alice", "wrong"))
    assert r.status_code == 200 and r.json() == {"app": "dav", "user": None}
    assert accounts.calls == 0
    assert client.get("/status.php").status_code == 200


def test_web_placeholder_is_public(setup: Any) -> None:
    client, _, _ = setup
    assert client.get("/").status_code == 200


def test_options_is_never_401(setup: Any) -> None:
    client, _, apps = setup
    r = client.request("OPTIONS", "/remote.php/webdav/")
    assert r.status_code == 200
    assert apps["dav"].seen[-1]["principal"] is None
    client.request("OPTIONS", "/remote.php/webdav/", headers=basic("alice", "pw"))
    principal = apps["dav"].seen[-1]["principal"]
    assert principal is not None and principal.username == "alice"


def test_cors_preflight(setup: Any) -> None:
    client, _, apps = setup
    r = client.request(
        "OPTIONS",
        "/ocs/v1.php/cloud/user",
        headers={
            "Origin": "https://web.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "https://web.example.com"
    assert "PROPFIND" in r.headers["access-control-allow-methods"]
    assert r.headers["access-control-allow-headers"] == "authorization"
    assert apps["ocs"].seen == []


def test_dav_401_missing_and_wrong(setup: Any) -> None:
    client, _, apps = setup
    for headers, message in (
        ({}, "No 'Authorization: Basic' header found"),
        (basic("alice", "wrong"), "Username or password was incorrect"),
        ({"Authorization": "Bearer abc"}, "Username or password was incorrect"),
    ):
        r = client.request("PROPFIND", "/remote.php/dav/files/alice/", headers={**headers, "Host": "cloud:9200"})
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == 'Basic realm="cloud:9200", charset="UTF-8"'
        assert r.headers["content-type"].startswith("application/xml")
        root = ElementTree.fromstring(r.content)
        ns = {"d": "DAV:", "s": "http://sabredav.org/ns"}
        assert root.tag == "{DAV:}error"
        assert root.findtext("s:exception", namespaces=ns) == "Sabre\\DAV\\Exception\\NotAuthenticated"
        assert root.findtext("s:message", namespaces=ns).startswith(message)
    assert apps["dav"].seen == []


@pytest.mark.parametrize(("version", "fmt"), [(1, "json"), (2, "json"), (1, "xml"), (2, "xml")])
def test_ocs_401_envelope(setup: Any, version: int, fmt: str) -> None:
    client, _, _ = setup
    r = client.get(f"/ocs/v{version}.php/cloud/user", params={"format": fmt}, headers=basic("alice", "no"))
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Basic realm="')
    if fmt == "json":
        assert r.json()["ocs"]["meta"]["statuscode"] == 997
    else:
        assert ElementTree.fromstring(r.content).findtext("meta/statuscode") == "997"


def test_security_headers(setup: Any) -> None:
    client, _, _ = setup
    for r in (client.get("/status.php"), client.get("/ocs/v1.php/x"), client.get("/")):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert r.headers["strict-transport-security"] == "max-age=63072000"
        assert r.headers["x-robots-tag"] == "none"
    assert client.get("/status.php").headers["content-security-policy"] == "default-src 'none';"


def test_no_hsts_without_tls() -> None:
    proxy = ProxyApp(build_routes(dav=recorder("dav"), ocs=recorder("ocs"), web=recorder("web")), [], tls=False)
    r = Client(proxy).get("/status.php")
    assert "strict-transport-security" not in r.headers
    assert r.headers["x-frame-options"] == "SAMEORIGIN"


def test_app_headers_win() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"x-frame-options", b"DENY")]})
        await send({"type": "http.response.body", "body": b""})

    proxy = ProxyApp(RouteTable([Route("/", app, "x", AuthPolicy.NONE)]), [], tls=True)
    r = Client(proxy).get("/")
    assert r.headers.get_list("x-frame-options") == ["DENY"]


def test_basic_auth_disabled_means_401(setup: Any) -> None:
    proxy = ProxyApp(build_routes(dav=recorder("dav"), ocs=recorder("ocs"), web=recorder("web")), [], tls=True)
    r = Client(proxy).get("/remote.php/webdav/", headers=basic("alice", "pw"))
    assert r.status_code == 401
    assert "www-authenticate" not in r.headers


def test_credential_cache(setup: Any) -> None:
    client, accounts, _ = setup
    for _ in range(5):
        assert client.get("/remote.php/webdav/", headers=basic("alice", "pw")).status_code == 200
    assert accounts.calls == 1
    for _ in range(3):
        assert client.get("/remote.php/webdav/", headers=basic("alice", "wrong")).status_code == 401
    assert accounts.calls == 4  # failures are not cached


def test_cache_expiry_and_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("ocis.proxy.auth.time.monotonic", lambda: now[0])
    cache = CredentialCache(ttl=60, max_entries=2)
    p = ALICE.principal("basic")
    cache.put("alice", "pw", p)
    assert cache.get("alice", "pw") == p
    assert cache.get("alice", "pw2") is None
    now[0] += 61
    assert cache.get("alice", "pw") is None
    cache.put("a", "1", p)
    cache.put("b", "1", p)
    cache.put("c", "1", p)
    assert cache.get("a", "1") is None and cache.get("c", "1") == p
    # nothing reversible is stored
    assert all(isinstance(k, bytes) and len(k) == 32 for k in cache._entries)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"Basic " + base64.b64encode(b"alice:pw"), ("alice", "pw")),
        (b"basic " + base64.b64encode(b"alice:p:w"), ("alice", "p:w")),
        (b"Basic " + base64.b64encode("jürgen:pässword".encode()), ("jürgen", "pässword")),
        (b"Basic " + base64.b64encode("j\xfcrgen:x".encode("latin-1")), ("jürgen", "x")),
        (b"Basic " + base64.b64encode(b"alice:"), None),
        (b"Basic " + base64.b64encode(b":pw"), None),
        (b"Basic " + base64.b64encode(b"alicepw"), None),
        (b"Basic !!!", None),
        (b"Bearer abc", None),
        (None, None),
    ],
)
def test_parse_basic(header: bytes | None, expected: tuple[str, str] | None) -> None:
    assert parse_basic(header) == expected


def test_crashing_app_gives_500(setup: Any) -> None:
    async def boom(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    proxy = ProxyApp(RouteTable([Route("/", boom, "x", AuthPolicy.NONE)]), [], tls=True)
    r = Client(proxy).get("/")
    assert r.status_code == 500


def test_placeholder_page() -> None:
    from ocis.proxy.placeholder import create_placeholder_app

    r = Client(create_placeholder_app("https://h:9200", "1.2.3")).get("/")
    assert r.status_code == 200 and "ocis is running" in r.text
    assert re.search(r'href="/status.php"', r.text)
    assert Client(create_placeholder_app("https://h", "1")).post("/").status_code == 405


def test_route_index_picks_what_a_scan_picks() -> None:
    """The first-segment index of RouteTable.match gives the route a scan in table order gives."""
    from ocis.proxy.app import build_routes

    table = build_routes(dav=object(), ocs=object(), web=object(), idp=object())  # type: ignore[arg-type]
    paths = ["/", "", "*", "/status.php", "/status.phpx", "/remote.php", "/remote.php/", "/remote.php/dav/files/a",
             "/dav/x", "/davx", "/webdav", "/index.php/f/1", "/index.php/apps", "/data/abc", "/ocs/v1.php/x",
             "/.well-known/openid-configuration", "/konnect/v1/token", "/signin/v1/identifier", "/js/app.js",
             "/remote.php/webdav/%2F", "//double"]
    for path in paths:
        scanned = next((r for r in table.routes if r.matches(path)), None)
        assert table.match(path) is scanned, path
