"""The web UI keeps its session alive: access tokens are renewed (refresh token) before they expire,
so long uploads and an open tab never run into an expired token. Playwright on Debian's chromium."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e.browser import Browser
from helpers.dav import files_url, make_client


def test_access_token_is_renewed_before_it_expires(server_factory: Any) -> None:
    """Access tokens that live 70 s: the UI renews them a minute ahead and keeps working with the new one."""
    srv = server_factory(env={"IDP_ACCESS_TOKEN_EXPIRATION": "70"})
    with Browser(srv.url, None) as ui:
        ui.login("einstein", "relativity")
        token = ui.access_token()
        ui.page.wait_for_function(
            "(old) => Object.keys(sessionStorage).filter(k => k.startsWith('oidc.user'))"
            ".map(k => JSON.parse(sessionStorage.getItem(k)).access_token).some(t => t && t !== old)",
            arg=token, timeout=40_000)
        renewed = ui.access_token()
        assert renewed != token
        with make_client(srv.url) as client:
            r = client.request("PROPFIND", files_url("einstein"), headers={"Authorization": f"Bearer {renewed}",
                                                                           "Depth": "0"})
            assert r.status_code == 207
        ui.page.click("[data-nav=favorites]")
        ui.page.locator(".empty-state", has_text="No favorites yet").wait_for()
        assert not ui.errors, ui.errors
