"""The IdP behind the proxy, in-process: code flow, sign-in page (CSRF, errors, throttling), token
endpoint errors, end-session, cookies, and bearer tokens on protected routes."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import trio
from starlette.types import Receive, Scope, Send

from ocis.accounts.store import AccountStore
from ocis.config.model import OcisConfig
from ocis.core.principal import SCOPE_KEY
from ocis.idp.app import create_app
from ocis.idp.clients import DESKTOP_ID, DESKTOP_SECRET
from ocis.idp.config import IdpSettings
from ocis.idp.service import Idp
from ocis.proxy.app import ProxyApp, build_routes
from ocis.proxy.auth import BasicAuthenticator
from ocis.proxy.bearer import BearerAuthenticator
from ocis.runtime.deps import Deps
from ocis.storage.api import Storage

BASE = "https://testserver"
CB = f"{BASE}/oidc-callback.html"
VERIFIER = "dBjftJeZ4CVP-mJ0pQpz9Ty8fR9fpN6Yy3b3jNNLkpOM"
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
AUTHORIZE = "/signin/v1/identifier/_/authorize"
LOGIN = "/signin/v1/identifier"
TOKEN = "/konnect/v1/token"



async def backend(scope: Scope, receive: Receive, send: Send) -> None:
    principal = scope.get(SCOPE_KEY)
    body = json.dumps({"user": principal.username if principal else None,
                       "method": principal.auth_method if principal else None}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})


class Env:
    def __init__(self, tmp: Path) -> None:
        self.accounts = AccountStore(tmp / "accounts")
        self.alice = self.accounts.create_user("alice", "secret-pw", "Alice A", "alice@example.org")
        self.accounts.create_user("bob", "bob-pw", "Bob", enabled=False)
        settings = IdpSettings(BASE, tmp / "idp", refresh_token_reuse_grace=0)
        self.idp = Idp.open(settings, self.accounts)
        cfg = OcisConfig(data_dir=tmp, url=BASE)
        deps = Deps(config=cfg, storage=cast(Storage, None), accounts=self.accounts)
        idp_app = create_app(deps, self.idp)
        routes = build_routes(dav=backend, ocs=backend, web=backend, idp=idp_app)
        auths = [BearerAuthenticator(self.idp.keys, self.accounts, audiences=self.idp.clients.ids),
                 BasicAuthenticator(self.accounts)]
        self.proxy = ProxyApp(routes, auths, tls=True)

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.proxy, client=(address, 50000))
        return httpx.AsyncClient(transport=transport, base_url=BASE, follow_redirects=False)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return Env(tmp_path)


def run(env: Env, body: Callable[[httpx.AsyncClient], Awaitable[None]]) -> None:
    async def main() -> None:
        async with env.client() as c:
            await body(c)

    trio.run(main)


def auth_query(**overrides: str) -> str:
    params = {"client_id": "web", "redirect_uri": CB, "response_type": "code", "scope": "openid profile email "
              "offline_access", "state": "st8", "nonce": "n0nce", "code_challenge": CHALLENGE,
              "code_challenge_method": "S256", **overrides}
    return urlencode({k: v for k, v in params.items() if v})


def hidden(page: str) -> dict[str, str]:
    from html import unescape

    return {m[0]: unescape(m[1]) for m in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', page)}


async def login(c: httpx.AsyncClient, username: str, password: str, query: str | None = None,
                **extra: str) -> httpx.Response:
    page = await c.get(f"{LOGIN}?{query or auth_query()}")
    assert page.status_code == 200, page.text
    return await c.post(LOGIN, data={**hidden(page.text), "username": username, "password": password, **extra})


async def code_for(c: httpx.AsyncClient, query: str | None = None, user: str = "alice",
                   password: str = "secret-pw") -> str:
    r = await login(c, user, password, query)
    assert r.status_code == 303, r.text
    r = await c.get(r.headers["location"])
    assert r.status_code == 302
    params = parse_qs(urlsplit(r.headers["location"]).query)
    assert params["state"] == ["st8"] and params["iss"] == [BASE]
    return params["code"][0]


async def exchange(c: httpx.AsyncClient, code: str, **overrides: str) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": CB, "client_id": "web",
            "code_verifier": VERIFIER, **overrides}
    return await c.post(TOKEN, data={k: v for k, v in data.items() if v})


# ---------------------------------------------------------------- flow


def test_discovery_and_jwks(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        doc = (await c.get("/.well-known/openid-configuration")).json()
        assert doc["issuer"] == BASE and doc["token_endpoint"] == f"{BASE}{TOKEN}"
        assert doc["code_challenge_methods_supported"] == ["S256"] and "refresh_token" in doc["grant_types_supported"]
        jwks = (await c.get("/konnect/v1/jwks.json")).json()
        assert jwks["keys"][0]["kid"] == env.idp.keys.active_key()[0]
        assert (await c.get("/konnect/v1/nothing")).status_code == 404

    run(env, body)


def test_code_flow_to_protected_routes(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        r = await c.get(f"{AUTHORIZE}?{auth_query()}")
        assert r.status_code == 302 and r.headers["location"].startswith(f"{BASE}{LOGIN}?")
        code = await code_for(c)
        r = await exchange(c, code)
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        tokens = r.json()
        assert tokens["token_type"] == "Bearer" and tokens["refresh_token"] and tokens["id_token"]
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        for path in ("/remote.php/webdav/", "/ocs/v1.php/cloud/user", "/dav/files/alice/"):
            r = await c.get(path, headers=auth)
            assert r.status_code == 200 and r.json() == {"user": "alice", "method": "bearer"}, path
        info = (await c.get("/konnect/v1/userinfo", headers=auth)).json()
        assert info == {"sub": env.alice.id, "preferred_username": "alice", "name": "Alice A",
                        "email": "alice@example.org", "email_verified": True}
        # the id token is no access token
        r = await c.get("/remote.php/webdav/", headers={"Authorization": f"Bearer {tokens['id_token']}"})
        assert r.status_code == 401
        # SSO: a second authorization needs no password, prompt=none works
        r = await c.get(f"{AUTHORIZE}?{auth_query(prompt='none')}")
        assert r.status_code == 302 and "code=" in r.headers["location"]

    run(env, body)


def test_unauthenticated_challenges(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        r = await c.request("PROPFIND", "/remote.php/webdav/")
        assert r.status_code == 401
        assert r.headers.get_list("www-authenticate") == ['Bearer realm="testserver", charset="UTF-8"',
                                                          'Basic realm="testserver", charset="UTF-8"']
        r = await c.get("/remote.php/webdav/", headers={"Authorization": "Bearer not.a.jwt"})
        assert r.status_code == 401
        r = await c.get("/remote.php/webdav/", auth=("alice", "secret-pw"))
        assert r.json() == {"user": "alice", "method": "basic"}

    run(env, body)


def test_prompt_none_without_session_and_unregistered_redirect(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        r = await c.get(f"{AUTHORIZE}?{auth_query(prompt='none')}")
        params = parse_qs(urlsplit(r.headers["location"]).query)
        assert params["error"] == ["login_required"] and params["state"] == ["st8"]
        for bad in ("https://evil.example.org/cb", f"{BASE}/other.html"):
            r = await c.get(f"{AUTHORIZE}?{auth_query(redirect_uri=bad)}")
            assert r.status_code == 400 and "location" not in r.headers
            assert "not registered" in r.text
        r = await c.get(f"{AUTHORIZE}?{auth_query(code_challenge='', code_challenge_method='')}")
        params = parse_qs(urlsplit(r.headers["location"]).query)
        assert params["error"] == ["invalid_request"] and "PKCE" in params["error_description"][0]

    run(env, body)


# ---------------------------------------------------------------- sign-in page


def test_login_page_cookies_and_headers(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        page = await c.get(f"{LOGIN}?{auth_query()}")
        assert page.status_code == 200
        csp = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert page.headers["cache-control"] == "no-store"
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-ocis-idp-csrf=")
        for attr in ("HttpOnly", "Secure", "SameSite=strict", "Path=/"):
            assert attr.lower() in cookie.lower(), attr
        assert '<label for="username">' in page.text and 'autocomplete="current-password"' in page.text
        r = await login(c, "alice", "secret-pw")
        session_cookie = r.headers["set-cookie"]
        assert session_cookie.startswith("__Host-ocis-idp-session=")
        for attr in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
            assert attr.lower() in session_cookie.lower(), attr

    run(env, body)


def test_csrf_required(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        page = await c.get(f"{LOGIN}?{auth_query()}")
        fields = hidden(page.text)
        r = await c.post(LOGIN, data={**fields, "csrf": "forged", "username": "alice", "password": "secret-pw"})
        assert r.status_code == 400 and "expired" in r.text and "set-cookie" in r.headers
        assert "ocis-idp-session" not in r.headers["set-cookie"]
        fields = hidden(r.text)  # the failed form comes back with a fresh token
        r = await c.post(LOGIN, data={**fields, "username": "alice", "password": "secret-pw"},
                         headers={"Origin": "https://evil.example.org"})
        assert r.status_code == 400
        fields = hidden(r.text)
        r = await c.post(LOGIN, data={**fields, "username": "alice", "password": "secret-pw"},
                         headers={"Origin": BASE})
        assert r.status_code == 303

    run(env, body)


def test_same_error_for_unknown_user_and_wrong_password(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        wrong = await login(c, "alice", "nope")
        unknown = await login(c, "nobody", "nope")
        disabled = await login(c, "bob", "bob-pw")
        for r in (wrong, unknown, disabled):
            assert r.status_code == 200 and 'role="alert"' in r.text and "Wrong username or password." in r.text
            assert 'aria-invalid="true"' in r.text
        assert wrong.text.replace("alice", "X") == unknown.text.replace("nobody", "X").replace(
            hidden(unknown.text)["csrf"], hidden(wrong.text)["csrf"])
        by_email = await login(c, "ALICE@example.org", "secret-pw")
        assert by_email.status_code == 303

    run(env, body)


def test_throttling_per_account_and_per_address(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        for _ in range(5):
            assert (await login(c, "alice", "bad")).status_code == 200
        r = await login(c, "alice", "secret-pw")  # even the right password waits now
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0 and "Too many" in r.text
        async with env.client("10.0.0.9") as other:  # another address: the account is still locked
            assert (await login(other, "alice", "secret-pw")).status_code == 429
        # per address: 20 failures from one address lock it for every name
        async with env.client("10.0.0.7") as noisy:
            for i in range(20):
                assert (await login(noisy, f"user{i}", "bad")).status_code == 200
            assert (await login(noisy, "newname", "bad")).status_code == 429
        async with env.client("10.0.0.8") as fine:
            assert (await login(fine, "newname", "bad")).status_code == 200

    run(env, body)


# ---------------------------------------------------------------- token endpoint


def test_code_reuse_revokes_and_pkce_checks(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        code = await code_for(c)
        first = await exchange(c, code)
        assert first.status_code == 200
        replay = await exchange(c, code)
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        r = await c.post(TOKEN, data={"grant_type": "refresh_token", "client_id": "web",
                                      "refresh_token": first.json()["refresh_token"]})
        assert r.json()["error"] == "invalid_grant"  # tokens from a replayed code are revoked
        for change in ({"code_verifier": "x" * 43}, {"code_verifier": ""}, {"redirect_uri": f"{BASE}/"},
                       {"client_id": DESKTOP_ID, "client_secret": DESKTOP_SECRET}):
            code = await code_for(c)
            r = await exchange(c, code, **change)
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant", change

    run(env, body)


def test_client_authentication(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        r = await c.post(TOKEN, data={"grant_type": "authorization_code", "code": "x", "client_id": "nope"})
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        r = await c.post(TOKEN, data={"grant_type": "authorization_code", "code": "x", "client_id": DESKTOP_ID})
        assert r.status_code == 401  # confidential client without its secret
        r = await c.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"}, auth=(DESKTOP_ID, "wrong"))
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")
        r = await c.post(TOKEN, data={"grant_type": "password", "username": "alice"}, auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.json()["error"] == "unsupported_grant_type"
        r = await c.post(TOKEN, data={"grant_type": "authorization_code", "code": "x"},
                         auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        r = await c.post(TOKEN, content=b'{"grant_type": "x"}', headers={"content-type": "application/json"})
        assert r.json()["error"] == "invalid_request"
        assert (await c.get(TOKEN)).status_code == 405

    run(env, body)


def test_desktop_client_loopback_flow_with_basic_secret(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        redirect = "http://127.0.0.1:43111"
        query = auth_query(client_id=DESKTOP_ID, redirect_uri=redirect)
        code = await code_for(c, query)
        r = await c.post(TOKEN, data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                                      "code_verifier": VERIFIER}, auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 200, r.text
        refreshed = await c.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"],
                                              "scope": "openid"}, auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert refreshed.status_code == 200 and refreshed.json()["scope"] == "openid"
        wider = await c.post(TOKEN, data={"grant_type": "refresh_token", "scope": "openid admin",
                                          "refresh_token": refreshed.json()["refresh_token"]},
                             auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert wider.json()["error"] == "invalid_scope"

    run(env, body)


def test_desktop_client_requests_as_sent(env: Env) -> None:
    """The ownCloud desktop client (src/libsync/creds/oauth.cpp): prompt "select_account consent", login_hint,
    redirect http://127.0.0.1:<port>, a 128-character verifier, and its id and secret both as Basic and in the
    body of every token request, plus the full scope."""
    verifier = "A" * 128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = "http://127.0.0.1:51234"
    scope = "openid offline_access email profile"

    async def body(c: httpx.AsyncClient) -> None:
        query = auth_query(client_id=DESKTOP_ID, redirect_uri=redirect, code_challenge=challenge, scope=scope,
                           prompt="select_account consent", login_hint="alice", nonce="")
        r = await c.get(f"{AUTHORIZE}?{query}")
        assert r.status_code == 302 and LOGIN in r.headers["location"]
        page = await c.get(r.headers["location"])
        assert 'value="alice"' in page.text  # login_hint pre-fills the name
        code = await code_for(c, query)
        creds = {"client_id": DESKTOP_ID, "client_secret": DESKTOP_SECRET, "scope": scope}
        r = await c.post(TOKEN, data={**creds, "grant_type": "authorization_code", "code": code,
                                      "redirect_uri": redirect, "code_verifier": verifier},
                         auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 200, r.text
        first_refresh = r.json()["refresh_token"]
        r = await c.post(TOKEN, data={**creds, "grant_type": "refresh_token", "refresh_token": first_refresh},
                         auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 200 and r.json()["refresh_token"], r.text
        r = await c.post(TOKEN, data={**creds, "client_secret": "other", "grant_type": "refresh_token",
                                      "refresh_token": r.json()["refresh_token"]}, auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 400 and r.json()["error"] == "invalid_request"

    run(env, body)


def test_no_refresh_token_without_offline_access_and_disabled_user(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        code = await code_for(c, auth_query(scope="openid profile"))
        tokens = (await exchange(c, code)).json()
        assert "refresh_token" not in tokens
        env.accounts.update_user(env.alice.id, enabled=False)
        r = await c.get("/remote.php/webdav/", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert r.status_code == 401

    run(env, body)


# ---------------------------------------------------------------- end session


def test_end_session(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        code = await code_for(c)
        tokens = (await exchange(c, code)).json()
        endsession = "/signin/v1/identifier/_/endsession"
        r = await c.get(f"{endsession}?" + urlencode({"id_token_hint": tokens["id_token"], "state": "s1",
                                                      "post_logout_redirect_uri": f"{BASE}/"}))
        assert r.status_code == 302 and r.headers["location"] == f"{BASE}/?state=s1"
        assert "max-age=0" in r.headers["set-cookie"].lower()
        r = await c.post(TOKEN, data={"grant_type": "refresh_token", "client_id": "web",
                                      "refresh_token": tokens["refresh_token"]})
        assert r.json()["error"] == "invalid_grant"  # signing out revoked the session's refresh tokens
        r = await c.get(f"{AUTHORIZE}?{auth_query(prompt='none')}")
        assert "login_required" in r.headers["location"]

        # no hint: ask first; an unregistered post_logout_redirect_uri is ignored
        await code_for(c)
        evil = urlencode({"post_logout_redirect_uri": "https://evil.example.org/", "client_id": "web"})
        page = await c.get(f"{endsession}?{evil}")
        assert page.status_code == 200 and "Do you want to sign out" in page.text
        r = await c.post(endsession, data=hidden(page.text))
        assert r.status_code == 200 and "location" not in r.headers and "signed out" in r.text
        r = await c.get(f"{endsession}?id_token_hint=garbage")
        assert r.status_code == 400

    run(env, body)


# ---------------------------------------------------------------- external IdP mode (proxy side)


class StaticSource:
    def __init__(self, idp: Idp, fail: bool = False) -> None:
        self.idp = idp
        self.fail = fail

    def issuer_keys(self, refresh: bool = False) -> Any:
        if self.fail:
            raise OSError("connection refused")
        return self.idp.keys.issuer_keys()


def test_external_mode_maps_claim(env: Env) -> None:
    async def body(c: httpx.AsyncClient) -> None:
        code = await code_for(c)
        access = (await exchange(c, code)).json()["access_token"]
        scope = {"type": "http", "headers": [(b"authorization", f"Bearer {access}".encode())]}
        by_name = BearerAuthenticator(StaticSource(env.idp), env.accounts, audiences={"web"}, accept_azp=True,
                                      types=(), leeway=30, claim="preferred_username", lookup="username")
        principal = await by_name.authenticate(scope)
        assert principal is not None and principal.id == env.alice.id
        by_mail = BearerAuthenticator(StaticSource(env.idp), env.accounts, audiences={"web"}, claim="email",
                                      lookup="email")
        assert (await by_mail.authenticate(scope)) is not None
        other_client = BearerAuthenticator(StaticSource(env.idp), env.accounts, audiences={"ocis-b"},
                                           accept_azp=True, types=())
        assert (await other_client.authenticate(scope)) is None
        down = BearerAuthenticator(StaticSource(env.idp, fail=True), env.accounts, audiences={"web"})
        assert (await down.authenticate(scope)) is None

    run(env, body)
