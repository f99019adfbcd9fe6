"""A real browser (headless Debian chromium driven by Playwright) signs in through our sign-in page:
code flow with PKCE for the ``web`` client, the token exchange done by the page itself (as the web
UI does; the callback page itself is stubbed with Playwright routing), then the tokens are used on
WebDAV and OCS. Screenshots of the sign-in page and of its
error state go to ``test-artifacts/``."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from helpers.dav import make_client
from helpers.oidc import AUTHORIZE, TOKEN, AuthParams, bearer
from helpers.server import ARTIFACTS_DIR, ServerProcess

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not shutil.which(CHROMIUM) and not os.environ.get("CI"):
        pytest.skip(f"{CHROMIUM} is not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def test_browser_code_flow_with_pkce(server: ServerProcess, chromium: Any) -> None:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    callback = f"{server.url}/oidc-callback.html"
    params = AuthParams(redirect_uri=callback)
    context = chromium.new_context(ignore_https_errors=True)
    # The web UI's own callback page would consume the code (and find no state of its own): stand in for it.
    context.route(f"{callback}?*", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><title>callback</title>"))
    try:
        page = context.new_page()
        page.goto(f"{server.url}{AUTHORIZE}?{params.query()}")
        page.wait_for_selector("form")
        assert page.title().startswith("Sign in")
        assert page.evaluate("document.activeElement.id") == "username"  # focus starts in the first field
        page.screenshot(path=str(ARTIFACTS_DIR / "idp-login.png"), full_page=True)

        page.get_by_label("Username or email").fill("einstein")
        page.get_by_label("Password").fill("not-his-password")
        page.get_by_role("button", name="Sign in").click()
        alert = page.get_by_role("alert")
        alert.wait_for()
        assert alert.inner_text().strip() == "Wrong username or password."
        assert page.get_by_label("Username or email").input_value() == "einstein"
        assert page.get_by_label("Password").get_attribute("aria-invalid") == "true"
        page.screenshot(path=str(ARTIFACTS_DIR / "idp-login-error.png"), full_page=True)

        page.get_by_label("Password").fill("relativity")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{callback}?*")
        query = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
        assert query["state"] == params.state and query["iss"] == server.url and query["code"]

        # the page exchanges the code, as a single-page app does (fetch, form body, no secret)
        tokens = page.evaluate(
            """async ([url, body]) => {
                const r = await fetch(url, {method: "POST", body: new URLSearchParams(body)});
                return {status: r.status, json: await r.json()};
            }""",
            [f"{server.url}{TOKEN}", {"grant_type": "authorization_code", "code": query["code"],
                                      "redirect_uri": callback, "client_id": "web",
                                      "code_verifier": params.verifier}],
        )
        assert tokens["status"] == 200, tokens
        access = tokens["json"]["access_token"]
        cookies = {c["name"]: c for c in context.cookies()}
        session = cookies["__Host-ocis-idp-session"]
        assert session["secure"] and session["httpOnly"] and session["sameSite"] == "Lax"
    finally:
        context.close()

    with make_client(server.url) as c:
        r = c.request("PROPFIND", "/remote.php/dav/files/einstein/", headers={**bearer(access), "Depth": "1"})
        assert r.status_code == 207
        r = c.get("/ocs/v1.php/cloud/user?format=json", headers=bearer(access))
        assert r.status_code == 200 and r.json()["ocs"]["data"]["id"] == "einstein"
