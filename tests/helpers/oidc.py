"""OpenID Connect helpers for tests: PKCE, a scripted browser sign-in over httpx, token requests.

:func:`sign_in` walks the code flow the way a browser would, without JavaScript: authorize →
302 to the sign-in page → GET the form (CSRF cookie + hidden token) → POST credentials → 303 back
to authorize → 302 to the redirect URI with ``code`` and ``state``. It returns that final
redirect's query parameters.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass, field
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

AUTHORIZE = "/signin/v1/identifier/_/authorize"
TOKEN = "/konnect/v1/token"
USERINFO = "/konnect/v1/userinfo"
JWKS = "/konnect/v1/jwks.json"
DISCOVERY = "/.well-known/openid-configuration"
ENDSESSION = "/signin/v1/identifier/_/endsession"

DESKTOP_ID = "xdXOt13JKxym1B1QcEncf2XDkLAexMBFwiT9j6EfhhHFJhs2KM9jbjTmf8JBXE69"
DESKTOP_SECRET = "UBntmLjC2yYCeHwsyj73Uwo9TAaecAetRwMw0xYcvNL9yRdLSUi0hUAHfvCHFeFh"


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def browser(base_url: str) -> httpx.Client:
    """A cookie-keeping client that does not follow redirects (we inspect each hop)."""
    return httpx.Client(base_url=base_url, verify=False, follow_redirects=False, timeout=30.0)


@dataclass
class AuthParams:
    client_id: str = "web"
    redirect_uri: str = ""
    scope: str = "openid profile email offline_access"
    state: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    verifier: str = ""
    challenge: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.verifier:
            self.verifier, self.challenge = pkce_pair()

    def query(self) -> str:
        params = {"client_id": self.client_id, "redirect_uri": self.redirect_uri, "response_type": "code",
                  "scope": self.scope, "state": self.state, "nonce": self.nonce}
        if self.challenge:
            params.update(code_challenge=self.challenge, code_challenge_method="S256")
        params.update(self.extra)
        return urlencode(params)


def login_form_fields(page: str) -> dict[str, str]:
    """Hidden inputs of the sign-in page."""
    return {m.group(1): unescape(m.group(2))
            for m in re.finditer(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


def submit_login(client: httpx.Client, login_url: str, username: str, password: str) -> httpx.Response:
    """GET the sign-in page at ``login_url`` and post the credentials. Returns the POST response."""
    page = client.get(login_url)
    assert page.status_code == 200, page.text[:500]
    fields = login_form_fields(page.text)
    return client.post(urlsplit(login_url).path, data={**fields, "username": username, "password": password})


def sign_in(client: httpx.Client, params: AuthParams, username: str, password: str) -> dict[str, str]:
    """Run the browser part of the code flow; returns the query of the final redirect (code, state, iss)."""
    return sign_in_url(client, f"{AUTHORIZE}?{params.query()}", params.redirect_uri, username, password)


def sign_in_url(client: httpx.Client, authorize_url: str, redirect_uri: str, username: str,
                password: str) -> dict[str, str]:
    """Like :func:`sign_in`, starting from a complete authorization URL (e.g. built by a relying party)."""
    r = client.get(authorize_url)
    assert r.status_code == 302, r.text[:500]
    location = r.headers["location"]
    if not location.startswith(redirect_uri):
        r = submit_login(client, location, username, password)
        assert r.status_code == 303, r.text[:1000]
        r = client.get(r.headers["location"])
        assert r.status_code == 302, r.text[:500]
        location = r.headers["location"]
    assert location.startswith(redirect_uri), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange_code(client: httpx.Client, params: AuthParams, code: str, *, verifier: str | None = None,
                  auth: tuple[str, str] | None = None, **extra: str) -> httpx.Response:
    """POST the authorization_code grant (public client unless ``auth`` gives id and secret)."""
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": params.redirect_uri,
            "code_verifier": params.verifier if verifier is None else verifier, **extra}
    if auth is None:
        data["client_id"] = params.client_id
    if not data["code_verifier"]:
        del data["code_verifier"]
    return client.post(TOKEN, data=data, auth=auth)


def refresh(client: httpx.Client, refresh_token: str, client_id: str = "web",
            auth: tuple[str, str] | None = None, **extra: str) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **extra}
    if auth is None:
        data["client_id"] = client_id
    return client.post(TOKEN, data=data, auth=auth)


def tokens_for(base_url: str, username: str, password: str, **kwargs: Any) -> dict[str, Any]:
    """Sign in as ``username`` with the web client and return the token response."""
    params = AuthParams(redirect_uri=f"{base_url}/oidc-callback.html", **kwargs)
    with browser(base_url) as c:
        result = sign_in(c, params, username, password)
        r = exchange_code(c, params, result["code"])
        assert r.status_code == 200, r.text
        doc: dict[str, Any] = r.json()
        return doc


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
