"""Playwright on Debian's chromium for the web UI tests: one page, console errors collected,
screenshots numbered in the order they are taken."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import Any

from PIL import Image, ImageDraw
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, Playwright, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
TIMEOUT_MS = 20_000
ACTIVE_UPLOADS = ".upload--queued, .upload--preparing, .upload--uploading, .upload--retrying"


class Browser:
    """A signed-out browser page at ``url``; ``errors`` collects console errors and page exceptions."""

    def __init__(self, url: str, shots: Path | None) -> None:
        self.url = url
        self.shots = shots
        self.errors: list[str] = []
        self._count = 0
        self._pw: Playwright | None = None

    def __enter__(self) -> Browser:
        assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing (Debian package chromium; make test installs it)"
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        self.context = self.browser.new_context(ignore_https_errors=True, viewport={"width": 1366, "height": 860},
                                                accept_downloads=True, locale="en-US")
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.url)
        self.page: Page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        if et is not None and self.shots is not None:
            self.shot("failure")
        try:
            self.context.close()
            self.browser.close()
        finally:
            assert self._pw is not None
            self._pw.stop()

    def _on_console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            where = msg.location.get("url", "") if msg.location else ""
            self.errors.append(f"console error: {msg.text} ({where})")

    # --- helpers ---------------------------------------------------------------------------------

    def shot(self, name: str) -> None:
        """Screenshot of the viewport, after dismissing the alerts (they would hide what matters)."""
        if self.shots is None:
            return
        try:
            for button in self.page.locator(".alert__close").all():
                button.click(timeout=2000)
            self.page.wait_for_function("() => !document.querySelector('.alert')", timeout=5000)
        except Error:
            pass  # an alert went by itself meanwhile, or the page is broken (a failure screenshot)
        self._count += 1
        try:
            self.page.screenshot(path=str(self.shots / f"{self._count:02d}-{name}.png"))
        except Error:
            pass

    def login(self, user: str, password: str) -> None:
        self.page.goto(self.url + "/")
        self.page.wait_for_selector("#username")
        self.page.fill("#username", user)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")
        self.page.wait_for_selector(".view__main")

    def access_token(self) -> str:
        token: Any = self.page.evaluate(
            "() => Object.keys(sessionStorage).filter(k => k.startsWith('oidc.user'))"
            ".map(k => JSON.parse(sessionStorage.getItem(k)).access_token)[0]")
        assert isinstance(token, str) and token
        return token

    def row(self, name: str) -> Locator:
        return self.page.locator(f'tr.files-row[data-name="{name}"]')

    def wait_size(self, name: str, text: str) -> None:
        """Until the size column of row ``name`` reads ``text``."""
        self.page.wait_for_function(
            "([n, s]) => document.querySelector(`tr[data-name='${n}'] .col-size`)?.textContent.trim() === s",
            arg=[name, text])

    def row_action(self, name: str, action: str) -> None:
        self.row(name).get_by_role("button", name=f"More actions for “{name}”").click()
        self.page.locator(f'.menu [data-action="{action}"]').click()

    def pick_folder(self, names: list[str], confirm: str) -> None:
        modal = self.page.locator(".modal")
        modal.locator(".picker-list").wait_for()
        for name in names:
            modal.locator(".picker-item", has_text=name).click()
            modal.locator(".picker-crumbs [aria-current]", has_text=name).wait_for()
        modal.get_by_role("button", name=confirm).click()
        modal.wait_for(state="detached")

    def expect_alert(self, text: str) -> None:
        self.page.locator(".alert", has_text=text).first.wait_for()

    def close_uploads(self) -> None:
        self.page.get_by_role("button", name="Close uploads").click()
        self.page.locator(".uploads").wait_for(state="detached")

    def wait_uploads_done(self) -> None:
        self.page.wait_for_selector(".uploads")
        self.page.wait_for_function(f"() => !document.querySelector('{ACTIVE_UPLOADS}')", timeout=60_000)
        failed = self.page.locator(".upload--error").all_inner_texts()
        assert not failed, f"uploads failed: {failed}"


def fmt_size(n: int) -> str:
    """As the UI shows sizes (web/src/lib/format.ts, English)."""
    if n < 1000:
        return f"{n} B"
    value, unit = float(n), 0
    units = ["B", "KB", "MB", "GB", "TB"]
    while value >= 1000 and unit < len(units) - 1:
        value /= 1000
        unit += 1
    text = f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else str(round(value))
    return f"{text} {units[unit]}"


def make_png(path: Path, size: tuple[int, int], seed: str) -> None:
    """A colourful PNG (a gradient with circles), so thumbnails are easy to see on screenshots."""
    w, h = size
    img = Image.new("RGB", size)
    top, bottom = ((255, 140, 60), (90, 40, 140)) if seed == "sunset" else ((90, 200, 250), (20, 90, 160))
    draw = ImageDraw.Draw(img)
    for y in range(h):
        t = y / max(1, h - 1)
        draw.line([(0, y), (w, y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)))
    draw.ellipse((w * 0.55, h * 0.2, w * 0.8, h * 0.2 + w * 0.25), fill=(255, 230, 120))
    draw.rectangle((0, h * 0.75, w, h), fill=(40, 60, 50) if seed == "sunset" else (230, 210, 160))
    img.save(path, "PNG")
