"""The sign-in page speaks the web UI's languages: ``ui_locales`` (sent by the web UI), else
Accept-Language, else English (web trial finding: it was English only)."""

from __future__ import annotations

import pytest

from helpers.oidc import AUTHORIZE, AuthParams, browser, login_form_fields
from helpers.server import ServerProcess


def login_page(server: ServerProcess, extra: dict[str, str], accept_language: str = "") -> tuple[str, str]:
    """(sign-in page HTML, its URL) for the web client."""
    params = AuthParams(redirect_uri=f"{server.url}/oidc-callback.html", extra=extra)
    with browser(server.url) as c:
        headers = {"Accept-Language": accept_language} if accept_language else {}
        r = c.get(f"{AUTHORIZE}?{params.query()}", headers=headers)
        assert r.status_code == 302
        page = c.get(r.headers["location"], headers=headers)
        assert page.status_code == 200
        return page.text, r.headers["location"]


@pytest.mark.parametrize("extra,accept,expected", [
    ({"ui_locales": "de"}, "", "Anmelden"),
    ({"ui_locales": "fr de-CH"}, "en", "Anmelden"),
    ({}, "fr, de;q=0.8, en;q=0.5", "Anmelden"),
    ({}, "en-US,en;q=0.9", "Sign in"),
    ({"ui_locales": "en"}, "de", "Sign in"),
    ({}, "", "Sign in"),
])
def test_sign_in_page_language(server: ServerProcess, extra: dict[str, str], accept: str, expected: str) -> None:
    page, _ = login_page(server, extra, accept)
    assert f"<h1>{expected}</h1>" in page
    assert ('lang="de"' in page) == (expected == "Anmelden")


def test_german_error_message_and_form_kept(server: ServerProcess) -> None:
    params = AuthParams(redirect_uri=f"{server.url}/oidc-callback.html", extra={"ui_locales": "de"})
    with browser(server.url) as c:
        r = c.get(f"{AUTHORIZE}?{params.query()}")
        page = c.get(r.headers["location"])
        fields = login_form_fields(page.text)
        assert "ui_locales=de" in fields["request"]  # carried through the form
        r = c.post(r.headers["location"].split("?")[0].replace(server.url, ""),
                   data={**fields, "username": "einstein", "password": "wrong"})
        assert "Falscher Benutzername oder falsches Passwort." in r.text
