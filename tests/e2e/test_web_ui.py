"""The web UI end to end: Playwright drives Debian's chromium against a real server.

The tests run in order on one signed-in page (one server, one browser per module), as a person would:
log in as einstein through the embedded IdP, upload a file and a folder, see sizes and a PNG thumbnail,
rename, move, copy, download, favorite, search, delete and restore, make a version and restore it,
open the media viewer, follow a private link, use a phone-sized window, switch to German, log out.
What the UI did is checked on the server over WebDAV as well. Any error in the browser console fails
the test that caused it. A screenshot of each main view goes to ``test-artifacts/web/``.

Needs the built UI (``make web``) and ``/usr/bin/chromium`` (``make test`` provides both).
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from e2e.browser import Browser, fmt_size, make_png
from helpers.dav import OC, files_url, make_client, propfind
from helpers.server import ARTIFACTS_DIR, ServerProcess

SHOTS = ARTIFACTS_DIR / "web"
REPORT = b"Quarterly report\n" + b"All numbers are made up.\n" * 90  # 2342 bytes: "2.3 KB"
REPORT_V2 = b"Quarterly report, second draft\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("upload")
    (root / "report.txt").write_bytes(REPORT)
    make_png(root / "photo.png", (1200, 800), "sunset")
    holiday = root / "Holiday"
    (holiday / "notes").mkdir(parents=True)
    make_png(holiday / "beach.png", (640, 480), "sea")
    (holiday / "notes" / "todo.txt").write_bytes(b"pack sunscreen\n")
    second = root / "second"
    second.mkdir()
    (second / "report.txt").write_bytes(REPORT_V2)
    return {"report": root / "report.txt", "photo": root / "photo.png", "holiday": holiday,
            "report_v2": second / "report.txt"}


@pytest.fixture(scope="module")
def ui(server: ServerProcess) -> Iterator[Browser]:
    with make_client(server.url) as client:
        page = client.get("/")
    assert page.status_code == 200, f"the web UI is not built (run `make web`): GET / -> {page.status_code}"
    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with Browser(server.url, SHOTS) as browser:
        yield browser


@pytest.fixture(scope="module")
def dav(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url, "einstein") as client:
        yield client


@pytest.fixture(autouse=True)
def _no_console_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    ui: Browser | None = request.getfixturevalue("ui") if "ui" in request.fixturenames else None
    if ui is not None:
        ui.errors.clear()
    yield
    if ui is not None:
        assert not ui.errors, "errors in the browser console:\n" + "\n".join(ui.errors)


def names(client: httpx.Client, path: str = "") -> set[str]:
    found = propfind(client, files_url("einstein", path) + ("/" if path else ""))
    return {r.href.rstrip("/").rsplit("/", 1)[1] for r in found[1:]}


def content(client: httpx.Client, path: str) -> bytes:
    r = client.get(files_url("einstein", path))
    assert r.status_code == 200, (path, r.status_code)
    return r.content


def fileid(client: httpx.Client, path: str) -> str:
    found = propfind(client, files_url("einstein", path), [f"{{{OC}}}fileid"], depth="0")
    return str(found[0].props[f"{{{OC}}}fileid"])


# --------------------------------------------------------------------------------------- the tour


def test_01_log_in_as_einstein(ui: Browser) -> None:
    page = ui.page
    page.goto(ui.url + "/")
    page.wait_for_selector("#username")  # the IdP's sign-in page
    assert "/signin/v1/identifier" in page.url
    ui.shot("login")
    page.fill("#username", "einstein")
    page.fill("#password", "relativity")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/#/files/all"))
    page.wait_for_selector(".empty-state")
    assert page.locator(".user-button__name").inner_text() == "Albert Einstein"
    assert page.locator(".avatar").first.inner_text() == "AE"
    nav = [t.strip() for t in page.locator(".nav__link").all_inner_texts()]
    assert nav == ["All files", "Favorites", "Shared with me", "Shared with others", "Deleted files"]
    ui.shot("empty-files")


def test_02_upload_a_file_and_a_folder(ui: Browser, dav: httpx.Client, files: dict[str, Path]) -> None:
    page = ui.page
    page.set_input_files("#upload-files-input", [str(files["report"]), str(files["photo"])])
    ui.row("report.txt").wait_for()
    ui.row("photo.png").wait_for()
    ui.wait_uploads_done()
    page.set_input_files("#upload-folder-input", str(files["holiday"]))
    ui.row("Holiday").wait_for()
    ui.wait_uploads_done()
    ui.expect_alert("2 files uploaded")  # the folder's files, announced together
    assert names(dav) == {"report.txt", "photo.png", "Holiday"}
    assert names(dav, "Holiday") == {"beach.png", "notes"}
    assert content(dav, "Holiday/notes/todo.txt") == b"pack sunscreen\n"
    assert content(dav, "report.txt") == REPORT
    # sizes, folders included (the size of everything inside)
    holiday_size = (files["holiday"] / "beach.png").stat().st_size + len(b"pack sunscreen\n")
    ui.wait_size("Holiday", fmt_size(holiday_size))
    assert ui.row("report.txt").locator(".col-size").inner_text() == "2.3 KB"
    assert ui.row("photo.png").locator(".col-size").inner_text() == fmt_size(files["photo"].stat().st_size)
    ui.shot("files-uploaded")
    ui.close_uploads()


def test_02b_sort_by_size_and_name(ui: Browser) -> None:
    page = ui.page

    def order() -> list[str]:
        names: list[str] = page.locator("tr.files-row").evaluate_all("rows => rows.map(r => r.dataset.name)")
        return names

    assert order() == ["Holiday", "photo.png", "report.txt"]
    page.get_by_role("button", name="Sort by Size").click()
    assert page.locator("th.col-size").get_attribute("aria-sort") == "descending"
    assert order() == ["Holiday", "photo.png", "report.txt"]  # folders first, then the largest
    page.get_by_role("button", name="Sort by Size").click()
    assert order() == ["Holiday", "report.txt", "photo.png"]
    page.get_by_role("button", name="Sort by Name").click()
    assert page.locator("th.col-name").get_attribute("aria-sort") == "ascending"
    assert order() == ["Holiday", "photo.png", "report.txt"]


def test_02c_drag_and_drop(ui: Browser, dav: httpx.Client) -> None:
    """Files dropped on the list are uploaded into the folder shown (a drop is simulated with the
    browser's DataTransfer, as a file manager would fill it)."""
    page = ui.page
    page.evaluate("""() => {
        const dt = new DataTransfer()
        dt.items.add(new File(['dropped text\\n'], 'dropped.txt', { type: 'text/plain' }))
        const target = document.querySelector('.files-view')
        target.dispatchEvent(new DragEvent('dragenter', { dataTransfer: dt, bubbles: true }))
        window.__drop = dt
    }""")
    page.locator(".drop-overlay", has_text="Drop to upload to “All files”").wait_for()
    ui.shot("drag-and-drop")
    page.evaluate("""() => document.querySelector('.files-view').dispatchEvent(
        new DragEvent('drop', { dataTransfer: window.__drop, bubbles: true, cancelable: true }))""")
    page.locator(".drop-overlay").wait_for(state="detached")
    ui.row("dropped.txt").wait_for()
    ui.wait_uploads_done()
    ui.close_uploads()
    assert content(dav, "dropped.txt") == b"dropped text\n"


def test_03_png_shows_a_thumbnail(ui: Browser) -> None:
    thumb = ui.row("photo.png").locator("img.resource-icon__thumb")
    thumb.wait_for()
    assert (thumb.get_attribute("src") or "").startswith("blob:")
    ui.page.wait_for_function("img => img.complete && img.naturalWidth === 64", arg=thumb.element_handle())
    assert ui.row("report.txt").locator("img").count() == 0  # text: an icon


def test_04_rename(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    ui.row_action("report.txt", "rename")
    field = page.locator("#prompt-input")
    assert field.input_value() == "report.txt"
    field.fill("summary.txt")
    field.press("Enter")
    ui.expect_alert("“report.txt” renamed to “summary.txt”")
    ui.row("summary.txt").wait_for()
    assert "summary.txt" in names(dav) and "report.txt" not in names(dav)


def test_05_move_into_a_folder(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    ui.row_action("summary.txt", "move")
    ui.pick_folder(["Holiday"], "Move here")
    ui.expect_alert("“summary.txt” moved to “Holiday”")
    ui.row("summary.txt").wait_for(state="detached")
    assert names(dav, "Holiday") == {"beach.png", "notes", "summary.txt"}
    ui.row("Holiday").locator(".resource__name").click()
    page.wait_for_url(re.compile(r"/#/files/all/Holiday$"))
    ui.row("summary.txt").wait_for()
    assert page.locator(".breadcrumb__current").inner_text() == "Holiday"
    ui.shot("folder")
    page.locator(".breadcrumb__link", has_text="All files").click()
    ui.row("photo.png").wait_for()


def test_06_copy(ui: Browser, dav: httpx.Client, files: dict[str, Path]) -> None:
    ui.row_action("photo.png", "copy")
    ui.pick_folder(["Holiday"], "Copy here")
    ui.expect_alert("“photo.png” copied to “Holiday”")
    assert "photo.png" in names(dav) and "photo.png" in names(dav, "Holiday")
    assert content(dav, "Holiday/photo.png") == files["photo"].read_bytes()


def test_07_download(ui: Browser, files: dict[str, Path]) -> None:
    with ui.page.expect_download() as info:
        ui.row_action("photo.png", "download")
    download = info.value
    assert download.suggested_filename == "photo.png"
    assert Path(download.path()).read_bytes() == files["photo"].read_bytes()


def test_08_favorite_and_find_it_under_favorites(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    star = ui.row("photo.png").locator("button.star")
    star.click()
    ui.expect_alert("“photo.png” added to favorites")
    assert star.get_attribute("aria-pressed") == "true"
    page.click("[data-nav=favorites]")
    page.wait_for_url(re.compile(r"/#/files/favorites"))
    ui.row("photo.png").wait_for()
    assert ui.page.locator("tr.files-row").count() == 1
    assert ui.row("photo.png").locator(".resource__location").inner_text() == "All files"
    ui.shot("favorites")
    # unstarring in the Favorites view removes the row at once
    ui.row("photo.png").locator("button.star").click()
    ui.expect_alert("“photo.png” removed from favorites")
    ui.row("photo.png").wait_for(state="detached")
    page.click("[data-nav=all-files]")
    ui.row("photo.png").locator("button.star").click()  # starred again for the later steps
    ui.expect_alert("“photo.png” added to favorites")


def test_09_search(ui: Browser) -> None:
    page = ui.page
    page.fill("#search-input", "summ")
    page.press("#search-input", "Enter")
    page.wait_for_url(re.compile(r"/#/files/search\?q=summ"))
    ui.row("summary.txt").wait_for()
    assert ui.row("summary.txt").locator(".resource__location").inner_text() == "Holiday"
    assert page.locator("h1.view__title").inner_text() == "Search results for “summ”"
    ui.shot("search")
    # from a result to its folder
    ui.row_action("summary.txt", "show-in-folder")
    page.wait_for_url(re.compile(r"/#/files/all/Holiday\?select=summary.txt"))
    ui.row("summary.txt").wait_for()
    assert ui.row("summary.txt").get_attribute("data-selected") == "true"
    assert page.locator("#search-input").input_value() == ""


def test_10_delete_and_restore_from_deleted_files(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    page.click("[data-nav=all-files]")
    ui.row("photo.png").wait_for()
    ui.row_action("photo.png", "delete")
    page.locator(".modal .btn-danger").click()
    ui.expect_alert("“photo.png” deleted")
    ui.row("photo.png").wait_for(state="detached")
    assert "photo.png" not in names(dav)
    page.click("[data-nav=deleted-files]")
    page.wait_for_url(re.compile(r"/#/files/trash"))
    row = ui.row("photo.png")
    row.wait_for()
    assert row.locator(".col-location").inner_text() == "All files"
    ui.shot("deleted-files")
    row.locator("[data-action=restore]").click()
    ui.expect_alert("“photo.png” restored to “All files”")
    row.wait_for(state="detached")
    page.wait_for_selector(".empty-state")
    assert "photo.png" in names(dav)
    page.click("[data-nav=all-files]")
    ui.row("photo.png").wait_for()
    ui.row("photo.png").locator("img.resource-icon__thumb").wait_for()


def test_10b_delete_several_then_delete_forever_and_empty_the_trash(ui: Browser, dav: httpx.Client,
                                                                   tmp_path: Path) -> None:
    page = ui.page
    drafts = [tmp_path / "draft-a.txt", tmp_path / "draft-b.txt"]
    for d in drafts:
        d.write_text(f"{d.name}\n")
    page.set_input_files("#upload-files-input", [str(d) for d in drafts])
    ui.wait_uploads_done()
    ui.close_uploads()
    for d in drafts:
        ui.row(d.name).get_by_role("checkbox").check()
    assert page.locator(".toolbar__count").inner_text() == "2 items selected"
    page.locator("[data-batch-action=delete]").click()
    page.locator(".modal", has_text="Delete 2 items?").locator(".btn-danger").click()
    ui.expect_alert("2 items deleted")
    ui.row("draft-a.txt").wait_for(state="detached")
    assert not {"draft-a.txt", "draft-b.txt"} & names(dav)
    page.click("[data-nav=deleted-files]")
    ui.row("draft-b.txt").wait_for()
    ui.row("draft-a.txt").get_by_role("checkbox").check()
    page.locator("[data-batch-action=purge]").click()
    page.locator(".modal", has_text="forever").locator(".btn-danger").click()
    ui.expect_alert("“draft-a.txt” deleted forever")
    ui.row("draft-a.txt").wait_for(state="detached")
    page.locator("[data-action=empty-trash]").click()
    page.locator(".modal", has_text="Empty deleted files?").locator(".btn-danger").click()
    ui.expect_alert("Deleted files emptied")
    page.locator(".empty-state", has_text="No deleted files").wait_for()
    r = dav.request("PROPFIND", "/remote.php/dav/trash-bin/einstein/", headers={"Depth": "1"})
    assert r.status_code == 207 and r.text.count("<d:response>") == 1  # just the trash root
    page.click("[data-nav=all-files]")
    ui.row("Holiday").wait_for()


def test_11_new_version_by_upload_and_restore_the_old_one(ui: Browser, dav: httpx.Client,
                                                          files: dict[str, Path]) -> None:
    page = ui.page
    ui.row("Holiday").locator(".resource__name").click()
    ui.row("summary.txt").wait_for()
    second = files["report_v2"].parent / "summary.txt"
    second.write_bytes(REPORT_V2)
    page.set_input_files("#upload-files-input", str(second))
    page.locator(".modal", has_text="already exists").wait_for()
    page.get_by_role("button", name="Replace", exact=True).click()
    ui.wait_uploads_done()
    ui.close_uploads()
    ui.wait_size("summary.txt", "31 B")
    assert content(dav, "Holiday/summary.txt") == REPORT_V2
    ui.row_action("summary.txt", "versions")
    panel = page.locator(".details")
    panel.wait_for()
    assert panel.locator(".details__name").inner_text() == "summary.txt"
    version = panel.locator(".version[data-version]")
    version.first.wait_for()
    assert version.count() == 1
    assert "2.3 KB" in version.first.inner_text()
    ui.shot("versions")
    version.first.locator("[data-action=restore-version]").click()
    ui.expect_alert("restored")
    assert content(dav, "Holiday/summary.txt") == REPORT
    ui.wait_size("summary.txt", "2.3 KB")
    # the draft is kept as a version now; it can be downloaded and deleted
    draft = panel.locator(".version[data-version]", has_text="31 B")
    draft.wait_for()
    with page.expect_download() as info:
        draft.get_by_role("button", name=re.compile(r"^Download version of ")).click()
    assert Path(info.value.path()).read_bytes() == REPORT_V2
    before = panel.locator(".version[data-version]").count()
    draft.get_by_role("button", name=re.compile(r"^Delete version of ")).click()
    page.locator(".modal .btn-danger").click()
    ui.expect_alert("deleted")
    page.wait_for_function("n => document.querySelectorAll('.details .version[data-version]').length === n",
                           arg=before - 1)
    panel.get_by_role("tab", name="Information").click()
    assert "Albert Einstein" in panel.locator(".facts").inner_text()
    ui.shot("details")
    panel.get_by_role("button", name="Close details").click()


def test_12_media_viewer_with_next_and_previous(ui: Browser) -> None:
    page = ui.page
    ui.row("beach.png").locator(".resource__name").click()
    page.wait_for_url(re.compile(r"/#/media/Holiday/beach.png"))
    image = page.locator(".media img.media__content")
    image.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert page.locator(".media__position").inner_text() == "1 of 2"
    ui.shot("media-viewer")
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(r"/#/media/Holiday/photo.png"))
    page.wait_for_function("() => document.querySelector('.media__name')?.textContent === 'photo.png' && "
                           "document.querySelector('.media img.media__content')?.naturalWidth > 0")
    page.get_by_role("button", name="Previous").click()
    page.wait_for_url(re.compile(r"/#/media/Holiday/beach.png"))
    page.keyboard.press("Escape")
    page.wait_for_url(re.compile(r"/#/files/all/Holiday\?select=beach.png"))
    ui.row("beach.png").wait_for()


def test_13_private_link(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    ui.row_action("summary.txt", "copy-link")
    ui.expect_alert("Private link copied to the clipboard")
    link = page.evaluate("() => navigator.clipboard.readText()")
    file_id = fileid(dav, "Holiday/summary.txt")
    assert link == f"{ui.url}/index.php/f/{file_id}"
    page.goto(ui.url + "/")  # elsewhere first, then follow the link as a browser would
    ui.row("Holiday").wait_for()
    page.goto(link)
    page.wait_for_url(re.compile(r"/#/files/all/Holiday\?select=summary.txt&details=1"))
    row = ui.row("summary.txt")
    row.wait_for()
    assert row.get_attribute("data-selected") == "true"
    page.locator(".details .details__name", has_text="summary.txt").wait_for()
    page.locator(".details").get_by_role("button", name="Close details").click()


def test_14_shared_views_show_an_empty_state(ui: Browser) -> None:
    page = ui.page
    page.click("[data-nav=shared-with-me]")
    page.locator(".empty-state", has_text="Nothing shared with you yet").wait_for()
    ui.shot("shared-with-me")
    page.click("[data-nav=shared-with-others]")
    page.locator(".empty-state", has_text="You have not shared anything").wait_for()


def test_15_new_folder_and_keyboard(ui: Browser, dav: httpx.Client) -> None:
    page = ui.page
    page.click("[data-nav=all-files]")
    ui.row("Holiday").wait_for()
    page.click("[data-action=new-folder]")
    field = page.locator("#prompt-input")
    assert field.input_value() == "New folder"
    field.fill("Holiday")
    field.press("Enter")
    page.locator("#prompt-error", has_text="already exists").wait_for()
    field.fill("Projects")
    field.press("Enter")
    ui.expect_alert("Folder “Projects” created")
    ui.row("Projects").wait_for()
    assert "Projects" in names(dav)
    # the row menu works with the keyboard alone
    menu_button = ui.row("Projects").get_by_role("button", name="More actions for “Projects”")
    menu_button.focus()
    page.keyboard.press("Enter")
    page.locator(".menu [data-action=open-folder]").wait_for()
    assert page.evaluate("() => document.activeElement?.dataset.action") == "open-folder"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Escape")
    assert page.locator(".menu").count() == 0
    assert page.evaluate("() => document.activeElement?.getAttribute('aria-label')") == "More actions for “Projects”"


def test_16_phone_width(ui: Browser) -> None:
    page = ui.page
    page.set_viewport_size({"width": 390, "height": 844})
    ui.row("Holiday").wait_for()
    page.wait_for_function("() => document.querySelector('.sidebar').getBoundingClientRect().right <= 0")  # off-canvas
    assert not ui.row("Holiday").locator(".col-size").is_visible()
    ui.shot("phone-files")
    page.get_by_role("button", name="Open navigation").click()
    page.locator(".sidebar [data-nav=favorites]").wait_for(state="visible")
    page.wait_for_function("() => document.querySelector('.sidebar').getBoundingClientRect().x >= 0")
    ui.shot("phone-navigation")
    # Escape closes the drawer and gives focus back to its toggle (keyboard users)
    page.keyboard.press("Escape")
    page.wait_for_function("() => document.querySelector('.sidebar').getBoundingClientRect().right <= 0")
    assert page.get_by_role("button", name="Open navigation").evaluate("b => b === document.activeElement")
    page.get_by_role("button", name="Open navigation").click()
    page.locator(".sidebar [data-nav=favorites]").wait_for(state="visible")
    page.click(".sidebar [data-nav=favorites]")
    ui.row("photo.png").wait_for()
    page.set_viewport_size({"width": 1366, "height": 860})
    page.click("[data-nav=all-files]")
    ui.row("Holiday").wait_for()


def test_17_switch_to_german_and_it_is_remembered(ui: Browser) -> None:
    page = ui.page
    page.locator(".user-button").click()
    page.get_by_role("menuitemradio", name="Deutsch").click()
    page.locator("[data-nav=all-files]", has_text="Alle Dateien").wait_for()
    assert page.locator("html").get_attribute("lang") == "de"
    page.reload()
    page.locator("[data-nav=deleted-files]", has_text="Gelöschte Dateien").wait_for()
    ui.row("Holiday").wait_for()
    assert ui.page.locator("th.col-size").inner_text().strip() == "Größe"
    ui.shot("german")


def test_18_log_out(ui: Browser) -> None:
    page = ui.page
    page.locator(".user-button").click()
    page.get_by_role("menuitem", name="Abmelden").click()
    page.locator(".start-card h1", has_text="Sie wurden abgemeldet").wait_for()
    assert page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('oidc.user')).length") == 0
    ui.shot("logged-out")
    # the IdP session ended too: logging in asks for the password again
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_selector("#username")
    assert "/signin/v1/identifier" in page.url
