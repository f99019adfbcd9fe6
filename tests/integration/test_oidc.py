"""OpenID Connect against a real server over HTTPS: discovery and ID tokens checked by an independent
relying-party library (authlib), tokens on WebDAV and OCS, refresh rotation, and the refusals
(tampered, expired, foreign issuer, reused code, reused refresh token, wrong verifier,
unregistered redirect URI). Basic auth keeps working next to bearer tokens."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey
from authlib.jose import jwt as authlib_jwt
from authlib.oidc.core import CodeIDToken
from authlib.oidc.discovery import OpenIDProviderMetadata

from helpers.dav import make_client
from helpers.oidc import (
    AUTHORIZE,
    DESKTOP_ID,
    DESKTOP_SECRET,
    DISCOVERY,
    JWKS,
    TOKEN,
    USERINFO,
    AuthParams,
    bearer,
    browser,
    exchange_code,
    refresh,
    sign_in,
    sign_in_url,
    submit_login,
    tokens_for,
)
from helpers.server import ServerProcess


@pytest.fixture(scope="module")
def tokens(server: ServerProcess) -> dict[str, Any]:
    return tokens_for(server.url, "einstein", "relativity")


@pytest.fixture
def dav(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url) as c:
        yield c


def propfind(c: httpx.Client, token: str, path: str = "/remote.php/dav/files/einstein/") -> httpx.Response:
    return c.request("PROPFIND", path, headers={**bearer(token), "Depth": "0"})


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    doc: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return doc


# ---------------------------------------------------------------- relying-party library


def test_authlib_validates_discovery_jwks_and_id_token(server: ServerProcess) -> None:
    with httpx.Client(verify=False) as c:
        meta = c.get(server.url + DISCOVERY).json()
        OpenIDProviderMetadata(meta).validate()
        assert meta["issuer"] == server.url
        jwks = c.get(meta["jwks_uri"]).json()
    keyset = JsonWebKey.import_key_set(jwks)

    redirect = f"{server.url}/oidc-callback.html"
    verifier = base64.urlsafe_b64encode(b"v" * 40).rstrip(b"=").decode()
    nonce = "n-" + str(time.time())
    with OAuth2Client("web", redirect_uri=redirect, scope="openid profile email offline_access",
                      code_challenge_method="S256", token_endpoint_auth_method="none", verify=False) as rp:
        url, state = rp.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
        assert url.startswith(server.url + AUTHORIZE)
        with browser(server.url) as b:
            result = sign_in_url(b, url, redirect, "einstein", "relativity")
        assert result["state"] == state and result["iss"] == meta["issuer"]  # RFC 9207
        callback = f"{redirect}?code={result['code']}&state={result['state']}"
        token = rp.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier)

    claims = authlib_jwt.decode(
        token["id_token"], keyset, claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": meta["issuer"]}},
        claims_params={"nonce": nonce, "client_id": "web", "access_token": token["access_token"]},
    )
    claims.validate()
    assert claims["preferred_username"] == "einstein" and claims["name"] == "Albert Einstein"
    assert claims["email"] == "einstein@example.org" and claims["sub"]
    assert token["token_type"].lower() == "bearer" and token["refresh_token"]


# ---------------------------------------------------------------- tokens on the APIs


def test_bearer_on_webdav_and_ocs(server: ServerProcess, tokens: dict[str, Any], dav: httpx.Client) -> None:
    assert propfind(dav, tokens["access_token"]).status_code == 207
    assert propfind(dav, tokens["access_token"], "/remote.php/webdav/").status_code == 207
    r = dav.get("/ocs/v1.php/cloud/user?format=json", headers=bearer(tokens["access_token"]))
    assert r.status_code == 200 and r.json()["ocs"]["data"]["id"] == "einstein"
    r = dav.put("/remote.php/webdav/oidc.txt", content=b"via bearer", headers=bearer(tokens["access_token"]))
    assert r.status_code in (201, 204)
    r = dav.get("/remote.php/webdav/oidc.txt", headers=bearer(tokens["access_token"]))
    assert r.content == b"via bearer"
    info = dav.get(USERINFO, headers=bearer(tokens["access_token"])).json()
    assert info["preferred_username"] == "einstein"
    access_log = [rec for rec in server.access_log() if rec["path"] == "/remote.php/webdav/oidc.txt"]
    assert access_log and all(rec.get("user") == "einstein" for rec in access_log)


def test_basic_still_works_and_both_challenges(server: ServerProcess, dav: httpx.Client) -> None:
    with make_client(server.url, "marie") as basic:
        assert basic.request("PROPFIND", "/remote.php/webdav/", headers={"Depth": "0"}).status_code == 207
    r = dav.request("PROPFIND", "/remote.php/webdav/", headers={"Depth": "0"})
    assert r.status_code == 401
    challenges = r.headers.get_list("www-authenticate")
    assert any(c.startswith("Bearer realm=") for c in challenges)
    assert any(c.startswith("Basic realm=") for c in challenges)


# ---------------------------------------------------------------- refusals


def test_tampered_token_refused(tokens: dict[str, Any], dav: httpx.Client) -> None:
    header, payload, signature = tokens["access_token"].split(".")
    claims = claims_of(tokens["access_token"])
    forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "x"}).encode()).rstrip(b"=").decode()
    for bad in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{signature[:-4]}AAAA",
                f"{header}.{payload}.", "garbage"):
        assert propfind(dav, bad).status_code == 401
        assert dav.get("/ocs/v1.php/cloud/user", headers=bearer(bad)).status_code == 401


def test_expired_and_foreign_tokens_refused(server: ServerProcess, server_factory: Any, dav: httpx.Client) -> None:
    other = server_factory(env={"IDP_ACCESS_TOKEN_EXPIRATION": "5"})
    short = tokens_for(other.url, "einstein", "relativity")
    with make_client(other.url) as c:
        assert propfind(c, short["access_token"]).status_code == 207  # valid where it was issued
    assert propfind(dav, short["access_token"]).status_code == 401  # another issuer (and unknown key)
    time.sleep(max(0.0, claims_of(short["access_token"])["exp"] - time.time()) + 1.0)
    with make_client(other.url) as c:
        assert propfind(c, short["access_token"]).status_code == 401  # expired
        r = refresh(c, short["refresh_token"])  # the remedy: refresh
        assert r.status_code == 200
        assert propfind(c, r.json()["access_token"]).status_code == 207


def test_code_reuse_wrong_verifier_and_redirect(server: ServerProcess) -> None:
    params = AuthParams(redirect_uri=f"{server.url}/oidc-callback.html")
    with browser(server.url) as b:
        code = sign_in(b, params, "einstein", "relativity")["code"]
        assert exchange_code(b, params, code).status_code == 200
        r = exchange_code(b, params, code)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

        code = sign_in(b, params, "einstein", "relativity")["code"]
        r = exchange_code(b, params, code, verifier="W" * 43)
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"

        code = sign_in(b, params, "einstein", "relativity")["code"]
        r = exchange_code(b, params, code, verifier="")
        assert r.json()["error"] == "invalid_grant"

        evil = AuthParams(redirect_uri="https://evil.example.org/oidc-callback.html")
        r = b.get(f"{AUTHORIZE}?{evil.query()}")
        assert r.status_code == 400 and "location" not in r.headers

        code = sign_in(b, params, "einstein", "relativity")["code"]
        moved = AuthParams(redirect_uri=f"{server.url}/", verifier=params.verifier)
        r = exchange_code(b, moved, code)
        assert r.json()["error"] == "invalid_grant"


def test_refresh_rotation_and_reuse(server: ServerProcess, dav: httpx.Client) -> None:
    first = tokens_for(server.url, "marie", "radioactivity")
    with browser(server.url) as c:
        r1 = refresh(c, first["refresh_token"])
        assert r1.status_code == 200, r1.text
        second = r1.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert claims_of(second["id_token"])["sub"] == claims_of(first["id_token"])["sub"]
        assert propfind(dav, second["access_token"], "/remote.php/dav/files/marie/").status_code == 207
        # a concurrent refresh with the just-rotated token (within the grace period) gets the same new token
        again = refresh(c, first["refresh_token"])
        assert again.status_code == 200 and again.json()["refresh_token"] == second["refresh_token"]
        third = refresh(c, second["refresh_token"]).json()
        # the first token is now two rotations old: a replay, the family is revoked
        r = refresh(c, first["refresh_token"])
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        r = refresh(c, third["refresh_token"])
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_desktop_client_loopback_and_secret(server: ServerProcess, dav: httpx.Client) -> None:
    params = AuthParams(client_id=DESKTOP_ID, redirect_uri="http://localhost:38123",
                        scope="openid offline_access email profile")
    with browser(server.url) as b:
        code = sign_in(b, params, "richard", "superfluidity")["code"]
        r = exchange_code(b, params, code, auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 200, r.text
        tokens = r.json()
        assert propfind(dav, tokens["access_token"], "/remote.php/dav/files/richard/").status_code == 207
        r = refresh(b, tokens["refresh_token"], auth=(DESKTOP_ID, "wrong"))
        assert r.status_code == 401 and r.json()["error"] == "invalid_client"
        r = refresh(b, tokens["refresh_token"], auth=(DESKTOP_ID, DESKTOP_SECRET))
        assert r.status_code == 200


def test_prompt_none_uses_the_session(server: ServerProcess) -> None:
    params = AuthParams(redirect_uri=f"{server.url}/oidc-silent-redirect.html")
    with browser(server.url) as b:
        sign_in(b, params, "moss", "vista")
        silent = AuthParams(redirect_uri=params.redirect_uri, extra={"prompt": "none"})
        r = b.get(f"{AUTHORIZE}?{silent.query()}")
        query = parse_qs(urlsplit(r.headers["location"]).query)
        assert "code" in query and query["state"] == [silent.state]
    with browser(server.url) as fresh:
        r = fresh.get(f"{AUTHORIZE}?{silent.query()}")
        assert parse_qs(urlsplit(r.headers["location"]).query)["error"] == ["login_required"]


def test_discovery_lists_endpoints_and_token_endpoint_has_no_cache(server: ServerProcess) -> None:
    with browser(server.url) as c:
        meta = c.get(DISCOVERY).json()
        for key in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "end_session_endpoint",
                    "jwks_uri"):
            assert meta[key].startswith(server.url + "/"), key
        assert c.get(JWKS).json()["keys"]
        r = c.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": "x.y", "client_id": "web"})
        assert r.status_code == 400 and r.headers["cache-control"] == "no-store"


def test_no_secrets_in_the_log(server: ServerProcess, tokens: dict[str, Any]) -> None:
    marker = "Pw-Marker-7f3a9c"
    params = AuthParams(redirect_uri=f"{server.url}/oidc-callback.html")
    with browser(server.url) as b:
        r = b.get(f"{AUTHORIZE}?{params.query()}")
        assert submit_login(b, r.headers["location"], "einstein", marker).status_code == 200  # wrong password
        code = sign_in(b, params, "einstein", "relativity")["code"]
        assert exchange_code(b, params, code).status_code == 200
    log = server.log_text()
    for secret in (tokens["access_token"], tokens["refresh_token"], tokens["id_token"], marker, code,
                   params.verifier, tokens["refresh_token"].split(".")[1]):
        assert secret not in log


def test_rclone_with_a_bearer_token(server: ServerProcess, tmp_path: Any) -> None:
    """A real WebDAV client that only has the access token (rclone's ``bearer_token``) syncs a file."""
    exe = shutil.which("rclone")
    if exe is None:
        pytest.skip("rclone is not installed (make test installs it)")
    access = tokens_for(server.url, "moss", "vista")["access_token"]
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "hello.txt").write_bytes(b"hello over bearer\n")
    remote = f":webdav,url='{server.url}/remote.php/dav/files/moss',vendor=owncloud,bearer_token='{access}':"
    env = {**os.environ, "RCLONE_CONFIG": "/dev/null"}

    def rclone(*args: str) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([exe, "--no-check-certificate", "--retries", "1", *args], env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return proc

    rclone("copy", str(tmp_path / "src"), f"{remote}bearer-test")
    assert "hello.txt" in rclone("lsf", f"{remote}bearer-test").stdout
    rclone("check", str(tmp_path / "src"), f"{remote}bearer-test")


def test_token_endpoint_reads_form_bodies_over_http2(server: ServerProcess) -> None:
    """Form bodies of the token endpoint (and the sign-in form) arrive whole over HTTP/1.1 and over
    HTTP/2 (for clients that offer only HTTP/2)."""
    body = "grant_type=refresh_token&client_id=web&refresh_token=unknown.token"
    for http2 in (False, True):
        with make_client(server.url, http2=http2) as c:
            r = c.post(TOKEN, content=body, headers={"content-type": "application/x-www-form-urlencoded"})
            assert r.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            assert r.status_code == 400 and r.json()["error"] == "invalid_grant", (r.http_version, r.text)
