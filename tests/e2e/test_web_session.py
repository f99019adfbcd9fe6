"""The web UI keeps its session alive: access tokens are renewed (refresh token) before they expire,
so long uploads and an open tab never run into an expired token. Playwright on Debian's chromium."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e.browser import Browser, fmt_size
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


def test_a_failed_upload_says_why(server_factory: Any, tmp_path: Path) -> None:
    """Over quota: the upload fails at once (no retries) and the UI says that it does not fit into the quota."""
    srv = server_factory(env={"STORAGE_DEFAULT_QUOTA": "20000"})
    big = tmp_path / "video.bin"
    big.write_bytes(b"\0" * 50_000)
    with Browser(srv.url, None) as ui:
        ui.login("einstein", "relativity")
        ui.page.set_input_files("#upload-files-input", str(big))
        ui.page.locator(".alert--error", has_text="Upload of “video.bin” failed").wait_for()
        detail = ui.page.locator(".alert--error .alert__detail").inner_text()
        assert "Not enough storage space: this does not fit into the space left in your quota." in detail
        status = ui.page.locator(".upload--error .upload__status").inner_text()
        assert status.startswith("Failed: Not enough storage space")
        assert ui.page.get_by_role("button", name="Retry “video.bin”").is_visible()
        # the browser reports the refused request itself; nothing else may go wrong
        assert all("status of 507" in e for e in ui.errors), ui.errors
    with make_client(srv.url, "einstein") as client:
        r = client.request("PROPFIND", files_url("einstein", "video.bin"), headers={"Depth": "0"})
        assert r.status_code == 404


def test_an_upload_resumes_after_the_connection_drops(server: Any, tmp_path: Path) -> None:
    """The connection drops in the middle of an upload (the second 32 MiB chunk is cut): tus-js-client
    asks the server where it stands and goes on from there, without starting over."""
    data = bytes(range(256)) * (40 * 1024 * 1024 // 256)  # 40 MiB: two PATCH requests
    big = tmp_path / "dataset.bin"
    big.write_bytes(data)
    patches: list[tuple[str, str]] = []
    heads: list[str] = []

    def on_data(route: Route) -> None:
        request = route.request
        if request.method == "HEAD":
            heads.append(request.url)
        if request.method == "PATCH":
            offset = request.headers.get("upload-offset", "")
            cut = offset != "0" and not any(o == offset for o, what in patches if what == "cut")
            patches.append((offset, "cut" if cut else "sent"))
            if cut:
                route.abort("connectionreset")
                return
        route.continue_()

    with Browser(server.url, None) as ui:
        ui.login("einstein", "relativity")
        ui.page.route("**/data/**", on_data)
        ui.page.set_input_files("#upload-files-input", str(big))
        ui.row("dataset.bin").wait_for(timeout=120_000)
        ui.wait_uploads_done()
        assert ui.row("dataset.bin").locator(".col-size").inner_text() == fmt_size(len(data))
        # only the cut request itself may show up in the console
        assert all("ERR_CONNECTION_RESET" in e or "ERR_FAILED" in e for e in ui.errors), ui.errors
    chunk = str(32 * 1024 * 1024)
    assert patches == [("0", "sent"), (chunk, "cut"), (chunk, "sent")], patches
    assert heads, "the client did not ask the server for the offset before resuming"
    with make_client(server.url, "einstein") as client:
        r = client.get(files_url("einstein", "dataset.bin"))
        assert r.status_code == 200 and r.content == data
