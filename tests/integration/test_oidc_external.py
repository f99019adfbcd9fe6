"""External IdP mode: server A trusts the OpenID provider of server B (a second instance of ocis)
and does not start its own. A verifies B's access tokens with B's JWKS (fetched via discovery),
checks the audience (A's client id at B) and maps the configured claim to A's accounts."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from helpers.dav import make_client
from helpers.oidc import AuthParams, bearer, browser, exchange_code, sign_in, tokens_for
from helpers.server import ServerError, ServerProcess
from ocis.accounts.store import AccountStore

A_CALLBACK = "https://a.example.invalid/oidc-callback.html"


def token_at(idp: ServerProcess, client_id: str, user: str, password: str) -> str:
    params = AuthParams(client_id=client_id, redirect_uri=A_CALLBACK)
    with browser(idp.url) as b:
        code = sign_in(b, params, user, password)["code"]
        r = exchange_code(b, params, code)
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token


def test_external_idp(server_factory: Callable[..., ServerProcess]) -> None:
    clients = json.dumps([{"id": "ocis-a", "name": "Server A", "redirect_uris": [A_CALLBACK]}])
    idp = server_factory(env={"IDP_CLIENTS": clients})
    a = server_factory(env={"PROXY_OIDC_ISSUER": idp.url, "PROXY_OIDC_CLIENT_ID": "ocis-a",
                            "PROXY_OIDC_INSECURE": "true"})
    by_mail = server_factory(env={"PROXY_OIDC_DISCOVERY_URL": f"{idp.url}/.well-known/openid-configuration",
                                  "PROXY_OIDC_CLIENT_ID": "ocis-a", "PROXY_OIDC_INSECURE": "true",
                                  "PROXY_OIDC_USER_CLAIM": "email", "PROXY_OIDC_USER_LOOKUP": "email"})

    token = token_at(idp, "ocis-a", "einstein", "relativity")
    for srv in (a, by_mail):
        with make_client(srv.url) as c:
            r = c.request("PROPFIND", "/remote.php/dav/files/einstein/", headers={**bearer(token), "Depth": "0"})
            assert r.status_code == 207, srv.log_tail()
            r = c.get("/ocs/v1.php/cloud/user?format=json", headers=bearer(token))
            assert r.json()["ocs"]["data"]["id"] == "einstein"
            # a token B issued to another client (aud "web") is not for A
            other = tokens_for(idp.url, "einstein", "relativity")["access_token"]
            assert c.request("PROPFIND", "/remote.php/webdav/", headers=bearer(other)).status_code == 401
            # Basic keeps working; the challenge still offers Bearer
            r = c.request("PROPFIND", "/remote.php/webdav/", headers={"Depth": "0"})
            assert r.status_code == 401 and any(h.startswith("Bearer ") for h in r.headers.get_list("www-authenticate"))
            with make_client(srv.url, "marie") as basic:
                assert basic.request("PROPFIND", "/remote.php/webdav/", headers={"Depth": "0"}).status_code == 207

    # A runs no IdP of its own
    assert not (a.data_dir / "idp").exists()
    with make_client(a.url) as c:
        r = c.get("/.well-known/openid-configuration")
        assert "application/json" not in r.headers.get("content-type", "")

    # A's own users only: a user B knows but A does not is refused (B's store is shared by processes)
    AccountStore(idp.data_dir / "storage" / "metadata" / "accounts").create_user("onlyatb", "Only-at-B-1")
    stranger = token_at(idp, "ocis-a", "onlyatb", "Only-at-B-1")
    with make_client(a.url) as c:
        assert c.request("PROPFIND", "/remote.php/webdav/", headers=bearer(stranger)).status_code == 401


def test_external_mode_needs_a_client_id(server_factory: Callable[..., ServerProcess]) -> None:
    with pytest.raises(ServerError, match="PROXY_OIDC_CLIENT_ID"):
        server_factory(env={"PROXY_OIDC_ISSUER": "https://idp.example.invalid"})
