"""Protocol edge cases found by the newcomer trial: names, root, ranges, conditions, headers."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from helpers.dav import OC, files_url, get_bytes, make_client, parse_multistatus, propfind, put, stat
from helpers.server import ServerProcess


@pytest.mark.parametrize("raw", ["ctrl%01x", "del%7Fx", "tab%09x", "nl%0Ax"])
def test_names_with_control_characters_are_refused(server: ServerProcess, einstein: httpx.Client, raw: str) -> None:
    url = f"/remote.php/dav/files/einstein/{raw}"
    assert einstein.put(url, content=b"x").status_code == 400
    assert einstein.request("MKCOL", url).status_code == 400
    listing = einstein.request("PROPFIND", files_url("einstein"), headers={"Depth": "1"})
    parse_multistatus(listing.content)  # still well-formed XML


@pytest.mark.parametrize("method", ["DELETE", "MOVE", "COPY"])
def test_the_root_cannot_be_deleted_moved_or_copied(server: ServerProcess, einstein: httpx.Client,
                                                    method: str) -> None:
    for url in (files_url("einstein"), "/remote.php/webdav/", "/webdav/"):
        r = einstein.request(method, url, headers={"Destination": files_url("einstein", "elsewhere")})
        assert r.status_code == 403, (url, r.status_code)
    assert stat(einstein, files_url("einstein")).get("oc:permissions") == "RCK"


def test_ranges(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "empty"), b"")
    put(einstein, files_url("einstein", "ten"), b"0123456789")
    r = einstein.get(files_url("einstein", "empty"), headers={"Range": "bytes=-1"})
    assert r.status_code == 200 and r.content == b""
    r = einstein.get(files_url("einstein", "ten"), headers={"Range": "bytes=10-5"})  # invalid: ignored
    assert r.status_code == 200 and r.content == b"0123456789"
    r = einstein.get(files_url("einstein", "ten"), headers={"Range": "bytes=-3"})
    assert r.status_code == 206 and r.content == b"789" and r.headers["Content-Range"] == "bytes 7-9/10"
    r = einstein.get(files_url("einstein", "ten"), headers={"Range": "bytes=20-"})
    assert r.status_code == 416 and r.headers["Content-Range"] == "bytes */10"


def test_get_if_match(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "im.txt"), b"x")
    etag = stat(einstein, files_url("einstein", "im.txt")).etag or ""
    assert einstein.get(files_url("einstein", "im.txt"), headers={"If-Match": '"nope"'}).status_code == 412
    assert einstein.get(files_url("einstein", "im.txt"), headers={"If-Match": etag}).status_code == 200
    assert einstein.get(files_url("einstein", "im.txt"), headers={"If-None-Match": etag}).status_code == 304


@pytest.mark.parametrize("value,status", [("garbage", 400), ("SHA1:xyz", 400), ("SHA256:abcd", 201),
                                          ("SHA1:0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33", 201)])
def test_oc_checksum_header(server: ServerProcess, einstein: httpx.Client, value: str, status: int) -> None:
    name = f"cs-{status}-{abs(hash(value))}.txt"
    r = einstein.put(files_url("einstein", name), content=b"foo", headers={"OC-Checksum": value})
    assert r.status_code == status
    exists = einstein.request("PROPFIND", files_url("einstein", name), headers={"Depth": "0"}).status_code == 207
    assert exists == (status == 201)


@pytest.mark.parametrize("value,expected", [("banana", "0"), ("2", "0"), ("TRUE", "1"), ("1", "1")])
def test_favorite_values_as_oc10(server: ServerProcess, einstein: httpx.Client, value: str, expected: str) -> None:
    put(einstein, files_url("einstein", "fv.txt"), b"x")
    body = (f'<d:propertyupdate xmlns:d="DAV:" xmlns:oc="{OC}"><d:set><d:prop><oc:favorite>{value}</oc:favorite>'
            "</d:prop></d:set></d:propertyupdate>")
    assert einstein.request("PROPPATCH", files_url("einstein", "fv.txt"), content=body.encode()).status_code == 207
    assert stat(einstein, files_url("einstein", "fv.txt"), [f"{{{OC}}}favorite"]).get("oc:favorite") == expected


def test_destination_errors(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "d.txt"), b"x")
    cases = [(files_url("marie", "stolen.txt"), 403), ("/ocs/v1.php/x", 400), ("", 400),
             ("https://elsewhere.example/remote.php/webdav/d2.txt", 502)]
    for dest, status in cases:
        r = einstein.request("MOVE", files_url("einstein", "d.txt"), headers={"Destination": dest})
        assert r.status_code == status, (dest, r.status_code)
    assert get_bytes(einstein, files_url("einstein", "d.txt")) == b"x"


@pytest.mark.parametrize("size", [10, 2 * 1024 * 1024])  # the one-call small PUT and the streamed one
def test_put_preconditions(server: ServerProcess, einstein: httpx.Client, size: int) -> None:
    """RFC 9110 §13: If-None-Match with the current tag, If-Match lists, If-Unmodified-Since (trial findings)."""
    url = files_url("einstein", f"conditional-{size}.bin")
    put(einstein, url, b"v1")
    etag = einstein.head(url).headers["etag"]
    body = b"x" * size

    assert einstein.put(url, content=body, headers={"If-None-Match": etag}).status_code == 412
    assert einstein.put(url, content=body, headers={"If-None-Match": '"other"'}).status_code == 204
    etag = einstein.head(url).headers["etag"]
    assert einstein.put(url, content=body, headers={"If-Match": f'"other", {etag}'}).status_code == 204
    assert einstein.put(url, content=body, headers={"If-Match": '"other", "another"'}).status_code == 412
    old = "Sat, 01 Jan 2000 00:00:00 GMT"
    assert einstein.put(url, content=b"v3", headers={"If-Unmodified-Since": old}).status_code == 412
    assert einstein.put(url, content=b"v3", headers={"If-Unmodified-Since": "not a date"}).status_code == 204
    assert get_bytes(einstein, url) == b"v3"


def test_get_date_preconditions(server: ServerProcess, einstein: httpx.Client) -> None:
    url = files_url("einstein", "dated.txt")
    put(einstein, url, b"dated")
    last_modified = einstein.head(url).headers["last-modified"]
    assert einstein.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert einstein.get(url, headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 200
    assert einstein.get(url, headers={"If-Unmodified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}).status_code == 412
    # If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2)
    r = einstein.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": last_modified})
    assert r.status_code == 200 and r.content == b"dated"


def _set_custom(client: httpx.Client, url: str, value: str | None) -> None:
    op = (f"<d:set><d:prop><oc:custom>{value}</oc:custom></d:prop></d:set>" if value is not None
          else "<d:remove><d:prop><oc:custom/></d:prop></d:remove>")
    body = f'<d:propertyupdate xmlns:d="DAV:" xmlns:oc="{OC}">{op}</d:propertyupdate>'
    assert client.request("PROPPATCH", url, content=body.encode()).status_code == 207


def test_dead_property_in_the_oc_namespace_reads_back(server: ServerProcess, einstein: httpx.Client) -> None:
    """PROPPATCH of an oc: name we do not compute stores it; PROPFIND returns it on the native path
    (named props, Depth 0 and 1, with the desktop client's other props) and on wsgidav's (allprop);
    a changed or removed value shows at once (the rendered-entry cache must not hide it)."""
    folder = files_url("einstein", "dead-props")
    einstein.request("MKCOL", folder)
    url = files_url("einstein", "dead-props/f.txt")
    put(einstein, url, b"x")
    put(einstein, files_url("einstein", "dead-props/plain.txt"), b"y")
    custom = f"{{{OC}}}custom"
    names = [custom, f"{{{OC}}}dDC", "{DAV:}getetag", f"{{{OC}}}id"]
    for value in ("hello", "changed"):
        _set_custom(einstein, url, value)
        assert stat(einstein, url, names).get("oc:custom") == value
        listing = {r.href.rsplit("/", 1)[-1]: r for r in propfind(einstein, folder, names, depth="1")}
        assert listing["f.txt"].get("oc:custom") == value
        assert custom in listing["plain.txt"].missing and f"{{{OC}}}dDC" in listing["f.txt"].missing
        allprop = einstein.request("PROPFIND", url, headers={"Depth": "0"})
        assert f">{value}</".encode() in allprop.content
    _set_custom(einstein, url, None)
    assert custom in stat(einstein, url, names).missing


def _slow_body(size: int, pieces: int = 4, pause: float = 0.2) -> Any:
    block = b"s" * (size // pieces)
    for _ in range(pieces):
        time.sleep(pause)
        yield block


def test_concurrent_create_only_puts_create_once(server: ServerProcess) -> None:
    """If-None-Match: * on large (streamed) PUTs racing for one new name: one 201, the rest 412
    (trial finding: the check ran only before the body, so every upload won)."""
    url = files_url("einstein", "create-once.bin")
    statuses: list[int] = []

    def upload() -> None:
        with make_client(server.url, "einstein") as c:
            r = c.put(url, content=_slow_body(4 * 1024 * 1024),
                      headers={"If-None-Match": "*", "Content-Length": str(4 * 1024 * 1024)})
            statuses.append(r.status_code)

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 412, 412, 412]


def test_if_unmodified_since_holds_until_the_commit(server: ServerProcess, einstein: httpx.Client) -> None:
    """A large PUT conditioned on If-Unmodified-Since must fail if another write lands while its body
    streams in (trial finding: the other write was silently lost)."""
    url = files_url("einstein", "lost-update.bin")
    put(einstein, url, b"orig")
    last_modified = einstein.head(url).headers["last-modified"]
    time.sleep(1.1)  # Last-Modified has one-second resolution
    result: list[int] = []

    def slow_writer() -> None:
        with make_client(server.url, "einstein") as c:
            r = c.put(url, content=_slow_body(4 * 1024 * 1024, pause=0.3),
                      headers={"If-Unmodified-Since": last_modified, "Content-Length": str(4 * 1024 * 1024)})
            result.append(r.status_code)

    t = threading.Thread(target=slow_writer)
    t.start()
    time.sleep(0.4)
    assert einstein.put(url, content=b"B wins").status_code == 204
    t.join()
    assert result == [412] and get_bytes(einstein, url) == b"B wins"
