"""The native PROPFIND (dav/propfind_native.py) answers exactly what the wsgidav path answers.

Every request is sent twice to the same in-process DAV app: once as is (served natively where it
can be) and once with the native path switched off (wsgidav), and the status, the headers and the
body must be identical; for bodies the native path does not serve, it must say so.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from asgi_client import request
from storage_util import USER, put

from ocis.accounts.store import AccountStore
from ocis.config.model import OcisConfig
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.dav import app as dav_app
from ocis.dav import native, propfind_native
from ocis.runtime.deps import Deps
from ocis.storage.decomposedfs import DecomposedFS

D, OC = 'xmlns:d="DAV:"', 'xmlns:oc="http://owncloud.org/ns"'
DESKTOP = (f'<d:propfind {D} {OC}><d:prop><d:resourcetype/><d:getlastmodified/><d:getcontentlength/>'
           '<d:getetag/><oc:id/><oc:downloadURL/><oc:dDC/><oc:permissions/><oc:checksums/><oc:data-fingerprint/>'
           '<oc:share-types/></d:prop></d:propfind>')
WEB = (f'<d:propfind {D} {OC}><d:prop><oc:permissions/><oc:favorite/><oc:fileid/><oc:owner-id/>'
       '<oc:owner-display-name/><oc:share-types/><oc:privatelink/><d:getcontentlength/><oc:size/>'
       '<d:getlastmodified/><d:getetag/><d:getcontenttype/><d:resourcetype/><oc:downloadURL/>'
       '<d:quota-used-bytes/><d:quota-available-bytes/><d:displayname/><d:creationdate/><oc:has-preview/>'
       '</d:prop></d:propfind>')
RCLONE = (f'<d:propfind {D} {OC}><d:prop><d:displayname/><d:getlastmodified/><d:getcontentlength/>'
          '<d:resourcetype/><d:getcontenttype/><oc:checksums/><oc:permissions/></d:prop></d:propfind>')
NATIVE_BODIES = [DESKTOP, WEB, RCLONE]
# bodies the native path hands to wsgidav
OTHER_BODIES = [
    "",
    f'<d:propfind {D}><d:allprop/></d:propfind>',
    f'<d:propfind {D}><d:propname/></d:propfind>',
    f'<d:propfind {D}><d:prop><d:lockdiscovery/><d:getetag/></d:prop></d:propfind>',
    f'<d:propfind {D}><d:prop><d:supportedlock/></d:prop></d:propfind>',
    f'<d:propfind {D} xmlns:x="urn:x"><d:prop><x:dead/><d:getetag/></d:prop></d:propfind>',
    f'<d:propfind {D}><d:prop/></d:propfind>',
]


@pytest.fixture
def app(fs: DecomposedFS, tmp_path: Path) -> Any:
    accounts = AccountStore(tmp_path / "accounts")
    accounts.create_user("einstein", "relativity-long", "Albert Einstein", user_id=USER)
    cfg = OcisConfig(data_dir=tmp_path, url="https://cloud.example.com")
    dav = dav_app.create_app(Deps(cfg, fs, accounts))  # type: ignore[arg-type]
    principal = Principal(id=USER, username="einstein", display_name="Albert Einstein")

    async def with_user(scope: Any, receive: Any, send: Any) -> None:
        scope[SCOPE_KEY] = principal
        await dav(scope, receive, send)

    fs.mkdir(USER, "/Folder")
    fs.mkdir(USER, "/Folder/Sub dir")
    put(fs, "/Folder/a.txt", b"hello")
    put(fs, "/Folder/b & <c>.md", b"")
    put(fs, "/Folder/photo.png", b"\x89PNG not really")
    put(fs, "/top ä.txt", b"x" * 3000)
    fs.set_favorite(USER, fs.stat(USER, "/Folder/a.txt").id, True)
    fs.set_props(USER, "/Folder/a.txt", {"{urn:x}dead": "<x:dead xmlns:x=\"urn:x\">v</x:dead>"})
    return with_user


SERVED: list[bool] = []


def _propfind(app: Any, url: str, body: str, depth: str | None, native: bool,
              monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, str], bytes]:
    real = propfind_native.handle

    async def off(*_args: Any, **_kwargs: Any) -> bool:
        return False

    async def spy(*args: Any, **kwargs: Any) -> bool:
        served = await real(*args, **kwargs)
        SERVED.append(served)
        return served

    with monkeypatch.context() as m:
        m.setattr(propfind_native, "handle", spy if native else off)
        headers = {"Depth": depth} if depth is not None else {}
        r = request(app, "PROPFIND", url, content=body.encode(), headers=headers)
    return r.status_code, {k: v for k, v in r.headers.items() if k != "date"}, r.content


URLS = ["/remote.php/webdav/", "/remote.php/webdav/Folder", "/remote.php/webdav/Folder/",
        "/remote.php/dav/files/einstein/Folder/a.txt", "/remote.php/dav/files/einstein/top%20%C3%A4.txt",
        "/webdav/Folder/Sub%20dir", "/remote.php/webdav/missing", "/remote.php/webdav/Folder/a.txt/x"]


@pytest.mark.parametrize("body", NATIVE_BODIES + OTHER_BODIES)
@pytest.mark.parametrize("depth", ["0", "1", None, "infinity"])
def test_same_answer_as_wsgidav(app: Any, body: str, depth: str | None, monkeypatch: pytest.MonkeyPatch) -> None:
    for url in URLS:
        SERVED.clear()
        native = _propfind(app, url, body, depth, True, monkeypatch)
        wsgidav = _propfind(app, url, body, depth, False, monkeypatch)
        assert native == wsgidav, f"{url} depth {depth}:\n{native}\n!=\n{wsgidav}"
        expect_native = body in NATIVE_BODIES and depth != "infinity" and "missing" not in url and "/x" not in url
        assert [expect_native] == SERVED, f"{url} depth {depth}: served natively {SERVED}"


def test_native_path_serves_named_live_props() -> None:
    for body in NATIVE_BODIES:
        assert propfind_native.parse_names(body.encode()) is not None
    for body in [*OTHER_BODIES, "<not xml", '<d:propfind xmlns:d="DAV:"><d:prop>']:
        assert propfind_native.parse_names(body.encode()) is None


def test_depth_1_lists_children_sorted(app: Any) -> None:
    r = request(app, "PROPFIND", "/remote.php/webdav/Folder", content=DESKTOP.encode(), headers={"Depth": "1"})
    assert r.status_code == 207
    hrefs = [part.split("</d:href>")[0] for part in r.text.split("<d:href>")[1:]]
    assert hrefs == ["/remote.php/webdav/Folder/", "/remote.php/webdav/Folder/Sub%20dir/",
                     "/remote.php/webdav/Folder/a.txt", "/remote.php/webdav/Folder/b%20%26%20%3Cc%3E.md",
                     "/remote.php/webdav/Folder/photo.png"]
    assert r.headers["tus-resumable"] == "1.0.0"


@pytest.mark.parametrize("url", ["/remote.php/webdav/Folder", "/remote.php/webdav/Folder/", "/webdav/top%20%C3%A4.txt",
                                 "/remote.php/webdav/missing/new"])
@pytest.mark.parametrize("headers", [{}, {"Depth": "1"}, {"Content-Length": "3"}])
def test_mkcol_on_existing_same_as_wsgidav(app: Any, url: str, headers: dict[str, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    async def off(*_args: Any) -> bool:
        return False

    content = b"abc" if "Content-Length" in headers else b""
    hdrs = {k: v for k, v in headers.items() if k != "Content-Length"}
    r1 = request(app, "MKCOL", url, content=content, headers=hdrs)
    with monkeypatch.context() as m:
        m.setattr(native, "mkcol_target_exists", off)
        r2 = request(app, "MKCOL", url, content=content, headers=hdrs)
    assert (r1.status_code, r1.headers.get("content-type"), r1.content) == \
        (r2.status_code, r2.headers.get("content-type"), r2.content)
    if not headers:
        assert r1.status_code == (409 if "missing" in url else 405)


def test_repeated_body_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[bytes] = []
    real = propfind_native._parse_names
    monkeypatch.setattr(propfind_native, "_parse_names", lambda b: (calls.append(b), real(b))[1])
    monkeypatch.setattr(propfind_native, "_names_cache", {})
    body = f'<d:propfind {D}><d:prop><d:getetag/></d:prop></d:propfind>'.encode()
    other = f'<d:propfind {D}><d:prop><d:getetag/><d:displayname/></d:prop></d:propfind>'.encode()
    assert propfind_native.parse_names(body) == ("{DAV:}getetag",)
    assert propfind_native.parse_names(body) == ("{DAV:}getetag",)
    assert propfind_native.parse_names(other) == ("{DAV:}getetag", "{DAV:}displayname")  # not the cached one
    assert propfind_native.parse_names(b"<not xml") is None
    assert propfind_native.parse_names(b"<not xml") is None
    assert calls == [body, other, b"<not xml"]


def test_unsafe_body_refused_every_time(app: Any) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa">]>'
            b'<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>')
    for _ in range(2):
        r = request(app, "PROPFIND", "/remote.php/webdav/Folder", content=bomb, headers={"Depth": "0"})
        assert r.status_code == 400
    for _ in range(2):
        r = request(app, "PROPFIND", "/remote.php/webdav/Folder", content=DESKTOP.encode(), headers={"Depth": "0"})
        assert r.status_code == 207


def test_changes_show_in_repeated_propfind(app: Any, fs: DecomposedFS, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches on the way (body, node snapshots, rendered entries) never hide a change."""
    url = "/remote.php/webdav/Folder"
    first = _propfind(app, url, DESKTOP, "1", True, monkeypatch)
    assert _propfind(app, url, DESKTOP, "1", True, monkeypatch) == first
    etag = fs.stat(USER, "/Folder/a.txt").etag
    assert etag in first[2].decode()
    put(fs, "/Folder/a.txt", b"changed content")
    fs.move(USER, "/Folder/photo.png", "/Folder/photo2.png")
    second = _propfind(app, url, DESKTOP, "1", True, monkeypatch)
    text = second[2].decode()
    assert etag not in text and fs.stat(USER, "/Folder/a.txt").etag in text
    assert "<d:getcontentlength>15</d:getcontentlength>" in text and "photo2.png" in text
    assert second == _propfind(app, url, DESKTOP, "1", False, monkeypatch)


def test_per_user_values_never_cached(app: Any, fs: DecomposedFS, monkeypatch: pytest.MonkeyPatch) -> None:
    """Favorites and quota are not properties of the node: they show their change although the
    node (and its cached entry) did not change."""
    url = "/remote.php/webdav/Folder"
    node = fs.stat(USER, "/Folder/a.txt").id
    before = _propfind(app, url, WEB, "1", True, monkeypatch)[2].decode()
    assert "<oc:favorite>1</oc:favorite>" in before
    fs.set_favorite(USER, node, False)
    after = _propfind(app, url, WEB, "1", True, monkeypatch)
    assert "<oc:favorite>1</oc:favorite>" not in after[2].decode()
    assert after == _propfind(app, url, WEB, "1", False, monkeypatch)
    # the same nodes under another endpoint: other hrefs, not the cached ones
    other = _propfind(app, "/webdav/Folder", DESKTOP, "1", True, monkeypatch)
    assert b"<d:href>/webdav/Folder/a.txt</d:href>" in other[2]
    assert other == _propfind(app, "/webdav/Folder", DESKTOP, "1", False, monkeypatch)


def test_rendered_entries_never_cross_bases_or_bodies(app: Any, fs: DecomposedFS) -> None:
    """Many users (bases) and bodies share one pool of rendered entries: each answer has its own
    hrefs and props, also when rendered again from the cache (render() called directly, as the
    worker threads do)."""
    nodes = [fs.stat(USER, "/Folder"), *fs.list_dir(USER, "/Folder")]
    req = propfind_native._Request(fs, USER, USER, "https://x", lambda _: None)
    bodies = [propfind_native.parse_names(b.encode()) for b in (DESKTOP, DESKTOP.replace("<d:getetag/>", ""))]
    first: dict[tuple[int, int], bytes] = {}
    for round_ in range(2):
        for b, names in enumerate(bodies):
            assert names is not None
            for user in range(12):
                base = f"/remote.php/dav/files/user{user}"
                out = propfind_native.render(base, nodes, names, req)
                assert out.count(f"<d:href>{base}/".encode()) == len(nodes) and out.count(b"<d:href>") == len(nodes)
                assert (b"getetag" in out) == (b == 0)
                if round_ == 0:
                    first[(b, user)] = out
                else:
                    assert out == first[(b, user)]


def test_long_listings_are_rendered_in_a_worker_thread_next_time(app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose Depth 1 listing took long on the event loop is listed in a worker thread
    afterwards (dav/reads.py, keyed by folder), so it cannot stall other connections again (trial
    finding); other folders stay inline."""
    used: list[str] = []
    real_read = native.Ctx.read

    async def read(self: Any, fn: Any, *args: Any, key: Any = None) -> Any:
        assert self.reads is not None
        self.reads.slow_key = 0.0 if key and key[1] == "/Folder" else 10.0  # /Folder counts as "long"

        def where(*a: Any) -> Any:
            used.append("loop" if threading.current_thread() is threading.main_thread() else "thread")
            return fn(*a)

        return await real_read(self, where, *args, key=key)

    monkeypatch.setattr(native.Ctx, "read", read)
    for _ in range(2):
        assert _propfind(app, "/remote.php/webdav/Folder/", DESKTOP, "1", True, monkeypatch)[0] == 207
        assert _propfind(app, "/remote.php/webdav/Folder/Sub%20dir", DESKTOP, "1", True, monkeypatch)[0] == 207
    assert used == ["loop", "loop", "thread", "loop"]
