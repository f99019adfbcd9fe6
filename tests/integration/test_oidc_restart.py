"""IdP state survives a restart: access tokens keep validating until they expire, refresh tokens
and sign-in sessions keep working, the signing key stays the same (oCIS 1.0 made a new key at
every start and logged everybody out)."""

from __future__ import annotations

import stat
from urllib.parse import parse_qs, urlsplit

from helpers.dav import make_client
from helpers.oidc import AUTHORIZE, JWKS, AuthParams, bearer, browser, exchange_code, refresh, sign_in
from helpers.server import ServerProcess


def test_tokens_sessions_and_keys_survive_restart(server: ServerProcess) -> None:
    params = AuthParams(redirect_uri=f"{server.url}/oidc-callback.html")
    with browser(server.url) as b:
        code = sign_in(b, params, "einstein", "relativity")["code"]
        tokens = exchange_code(b, params, code).json()
        kids_before = {k["kid"] for k in b.get(JWKS).json()["keys"]}
        cookies = dict(b.cookies)

        idp_dir = server.data_dir / "idp"
        assert stat.S_IMODE(idp_dir.stat().st_mode) == 0o700
        for name in ("keys.json", "sessions.json", "refresh.json", "codes.json"):
            assert stat.S_IMODE((idp_dir / name).stat().st_mode) == 0o600, name

        server.restart()

        assert {k["kid"] for k in b.get(JWKS).json()["keys"]} == kids_before
        with make_client(server.url) as c:
            r = c.request("PROPFIND", "/remote.php/dav/files/einstein/",
                          headers={**bearer(tokens["access_token"]), "Depth": "0"})
            assert r.status_code == 207
            r = refresh(c, tokens["refresh_token"])
            assert r.status_code == 200, r.text
            fresh = r.json()["access_token"]
            assert c.get("/ocs/v1.php/cloud/user?format=json", headers=bearer(fresh)).status_code == 200

        # the browser session too: a silent (prompt=none) authorization still gets a code
        assert dict(b.cookies) == cookies
        silent = AuthParams(redirect_uri=params.redirect_uri, extra={"prompt": "none"})
        r = b.get(f"{AUTHORIZE}?{silent.query()}")
        assert "code" in parse_qs(urlsplit(r.headers["location"]).query), r.headers["location"]
