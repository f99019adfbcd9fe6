"""Trash bin, versions, favorites and search over the ownCloud 10 WebDAV surface (real server)."""

from __future__ import annotations

import httpx
import pytest

from helpers.dav import OC, files_url, get_bytes, makedirs, parse_multistatus, propfind, put, stat
from helpers.server import ServerProcess

TRASH = "/remote.php/dav/trash-bin/einstein/"
TRASH_PROPS = [f"{{{OC}}}trashbin-original-filename", f"{{{OC}}}trashbin-original-location",
               f"{{{OC}}}trashbin-delete-datetime", f"{{{OC}}}trashbin-delete-timestamp", f"{{{OC}}}size",
               "{DAV:}resourcetype"]


def trash_items(client: httpx.Client, key: str = "") -> dict[str, dict[str, str | None]]:
    """original-location -> props of the items listed (excluding the listed collection itself)."""
    return {str(i[f"{{{OC}}}trashbin-original-location"]): i for i in trash_list(client, key)}


def trash_list(client: httpx.Client, key: str = "") -> list[dict[str, str | None]]:
    res = propfind(client, TRASH + key, TRASH_PROPS, depth="1")
    return [{**r.props, "href": r.href} for r in res[1:]]


def trash_keys(client: httpx.Client) -> set[str]:
    return {str(i["href"]).rstrip("/").rsplit("/", 1)[1] for i in trash_list(client)}


def test_trash_delete_list_restore_purge_empty(server: ServerProcess, einstein: httpx.Client) -> None:
    makedirs(einstein, "einstein", "tdir/sub/deeper")
    put(einstein, files_url("einstein", "tdir/a.txt"), b"alpha")
    put(einstein, files_url("einstein", "tdir/sub/deeper/b.bin"), b"\x00" * 1000)
    fid = stat(einstein, files_url("einstein", "tdir/sub/deeper/b.bin")).fileid
    assert einstein.delete(files_url("einstein", "tdir")).status_code == 204
    assert einstein.request("PROPFIND", files_url("einstein", "tdir"), headers={"Depth": "0"}).status_code == 404

    items = trash_items(einstein)
    item = items["tdir"]
    assert item[f"{{{OC}}}trashbin-original-filename"] == "tdir"
    assert item[f"{{{OC}}}size"] == "1005"
    assert int(item[f"{{{OC}}}trashbin-delete-timestamp"] or 0) > 0
    assert str(item[f"{{{OC}}}trashbin-delete-datetime"]).endswith("GMT")
    key = str(item["href"]).rstrip("/").rsplit("/", 1)[1]
    inside = trash_items(einstein, key + "/")
    assert set(inside) == {"tdir/a.txt", "tdir/sub"}
    assert set(trash_items(einstein, key + "/sub/deeper/")) == {"tdir/sub/deeper/b.bin"}

    # restore onto an existing name without overwrite: refused, nothing lost
    put(einstein, files_url("einstein", "tdir"), b"a file in the way")
    r = einstein.request("MOVE", TRASH + key, headers={"Destination": server.url + files_url("einstein", "tdir"),
                                                       "Overwrite": "F"})
    assert r.status_code == 412
    assert get_bytes(einstein, files_url("einstein", "tdir")) == b"a file in the way"
    # restore below a missing parent: 409 (oC 10)
    r = einstein.request("MOVE", TRASH + key, headers={"Destination": files_url("einstein", "nope/tdir")})
    assert r.status_code == 409
    einstein.delete(files_url("einstein", "tdir"))
    r = einstein.request("MOVE", TRASH + key, headers={"Destination": server.url + files_url("einstein", "tdir"),
                                                       "Overwrite": "F"})
    assert r.status_code == 201, r.text
    assert r.headers["OC-FileId"] == key
    assert get_bytes(einstein, files_url("einstein", "tdir/sub/deeper/b.bin")) == b"\x00" * 1000
    assert stat(einstein, files_url("einstein", "tdir/sub/deeper/b.bin")).fileid == fid
    assert stat(einstein, files_url("einstein", "tdir"), [f"{{{OC}}}size"]).get("oc:size") == "1005"

    # delete again and purge the non-empty folder
    einstein.delete(files_url("einstein", "tdir"))  # the folder keeps its id, so its trash key
    assert key in trash_keys(einstein)
    assert einstein.delete(TRASH + key).status_code == 204
    assert key not in trash_keys(einstein)
    assert einstein.request("PROPFIND", TRASH + key, headers={"Depth": "0"}).status_code == 404

    # empty the whole trash
    for name in ("x1.txt", "x2.txt"):
        put(einstein, files_url("einstein", name), b"x")
        einstein.delete(files_url("einstein", name))
    makedirs(einstein, "einstein", "full/inner")
    put(einstein, files_url("einstein", "full/inner/f"), b"f")
    einstein.delete(files_url("einstein", "full"))
    assert len(trash_list(einstein)) >= 4
    assert einstein.delete(TRASH).status_code == 204
    assert trash_list(einstein) == []


def test_trash_of_another_user_is_refused(server: ServerProcess, einstein: httpx.Client) -> None:
    r = einstein.request("PROPFIND", "/remote.php/dav/trash-bin/marie/", headers={"Depth": "1"})
    assert r.status_code == 403
    assert einstein.delete("/remote.php/dav/trash-bin/marie/").status_code == 403


def versions_url(fid: str, key: str = "") -> str:
    return f"/remote.php/dav/meta/{fid}/v" + (f"/{key}" if key else "")


def test_versions_upload_rename_list_download_restore(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "v.txt"), b"first content")
    put(einstein, files_url("einstein", "v.txt"), b"second content!")
    assert einstein.request("MOVE", files_url("einstein", "v.txt"),
                            headers={"Destination": files_url("einstein", "v-renamed.txt")}).status_code == 201
    fid = stat(einstein, files_url("einstein", "v-renamed.txt")).fileid
    assert fid
    listing = propfind(einstein, versions_url(fid), ["{DAV:}getcontentlength", "{DAV:}getlastmodified",
                                                     "{DAV:}getetag"])
    versions = listing[1:]
    assert len(versions) == 1 and versions[0].size == len(b"first content") and versions[0].etag
    key = versions[0].href.rstrip("/").rsplit("/", 1)[1]
    assert get_bytes(einstein, versions_url(fid, key)) == b"first content"
    r = einstein.request("COPY", versions_url(fid, key),
                         headers={"Destination": server.url + files_url("einstein", "v-renamed.txt")})
    assert r.status_code in (201, 204), r.text
    assert get_bytes(einstein, files_url("einstein", "v-renamed.txt")) == b"first content"
    versions = propfind(einstein, versions_url(fid), ["{DAV:}getcontentlength"])[1:]
    assert [v.size for v in versions] == [len(b"second content!")]
    # a version id that does not exist; another user's file id
    assert einstein.get(versions_url(fid, "12345")).status_code == 404
    assert einstein.request("COPY", versions_url(fid, "999"),
                            headers={"Destination": files_url("einstein", "v-renamed.txt")}).status_code == 404
    with httpx.Client(base_url=server.url, verify=False, auth=("marie", "radioactivity")) as marie:
        assert marie.request("PROPFIND", versions_url(fid), headers={"Depth": "1"}).status_code == 404
    key = versions[0].href.rstrip("/").rsplit("/", 1)[1]
    assert einstein.delete(versions_url(fid, key)).status_code == 204
    assert propfind(einstein, versions_url(fid))[1:] == []
    assert get_bytes(einstein, files_url("einstein", "v-renamed.txt")) == b"first content"


def report(client: httpx.Client, body: str) -> httpx.Response:
    return client.request("REPORT", files_url("einstein"), content=body.encode(),
                          headers={"Content-Type": "application/xml"})


def test_favorites_report(server: ServerProcess, einstein: httpx.Client) -> None:
    makedirs(einstein, "einstein", "favs")
    put(einstein, files_url("einstein", "favs/star.txt"), b"*")
    put(einstein, files_url("einstein", "favs/plain.txt"), b"-")
    for value in ("1", "true"):
        body = (f'<d:propertyupdate xmlns:d="DAV:" xmlns:oc="{OC}"><d:set><d:prop><oc:favorite>{value}</oc:favorite>'
                "</d:prop></d:set></d:propertyupdate>")
        r = einstein.request("PROPPATCH", files_url("einstein", "favs/star.txt"), content=body.encode())
        assert r.status_code == 207 and "200 OK" in r.text
    assert stat(einstein, files_url("einstein", "favs/star.txt"), [f"{{{OC}}}favorite"]).get("oc:favorite") == "1"
    assert stat(einstein, files_url("einstein", "favs/plain.txt"), [f"{{{OC}}}favorite"]).get("oc:favorite") == "0"
    r = report(einstein, f'<oc:filter-files xmlns:d="DAV:" xmlns:oc="{OC}"><d:prop><oc:fileid/><d:getetag/>'
                         "<oc:favorite/></d:prop><oc:filter-rules><oc:favorite>1</oc:favorite></oc:filter-rules>"
                         "</oc:filter-files>")
    assert r.status_code == 207
    found = parse_multistatus(r.content)
    assert [x.href for x in found] == ["/remote.php/dav/files/einstein/favs/star.txt"]
    assert found[0].get("oc:favorite") == "1" and found[0].fileid
    # favorites are per user: marie sees none
    with httpx.Client(base_url=server.url, verify=False, auth=("marie", "radioactivity")) as marie:
        r = marie.request("REPORT", files_url("marie"), content=(
            f'<oc:filter-files xmlns:d="DAV:" xmlns:oc="{OC}"><oc:filter-rules><oc:favorite>1</oc:favorite>'
            "</oc:filter-rules></oc:filter-files>").encode())
        assert r.status_code == 207 and parse_multistatus(r.content) == []
    # unfavorite
    body = (f'<d:propertyupdate xmlns:d="DAV:" xmlns:oc="{OC}"><d:set><d:prop><oc:favorite>0</oc:favorite>'
            "</d:prop></d:set></d:propertyupdate>")
    einstein.request("PROPPATCH", files_url("einstein", "favs/star.txt"), content=body.encode())
    r = report(einstein, f'<oc:filter-files xmlns:d="DAV:" xmlns:oc="{OC}"><oc:filter-rules>'
                         "<oc:favorite>1</oc:favorite></oc:filter-rules></oc:filter-files>")
    assert parse_multistatus(r.content) == []


@pytest.mark.parametrize("pattern,limit,expected", [
    ("NEEDLE", None, ["needle-folder", "needle-folder/deep NEEDLE.md", "x-needle.txt"]),
    ("needle", 2, ["needle-folder", "needle-folder/deep NEEDLE.md"]),
])
def test_search_report(server: ServerProcess, einstein: httpx.Client, pattern: str, limit: int | None,
                       expected: list[str]) -> None:
    makedirs(einstein, "einstein", "needle-folder")
    put(einstein, files_url("einstein", "needle-folder/deep NEEDLE.md"), b"n")
    put(einstein, files_url("einstein", "x-needle.txt"), b"n")
    put(einstein, files_url("einstein", "haystack.txt"), b"h")
    limit_xml = f"<oc:limit>{limit}</oc:limit>" if limit else ""
    r = report(einstein, f'<oc:search-files xmlns:d="DAV:" xmlns:oc="{OC}"><d:prop><oc:fileid/><d:getcontentlength/>'
                         f"</d:prop><oc:search><oc:pattern>{pattern}</oc:pattern>{limit_xml}</oc:search>"
                         "</oc:search-files>")
    assert r.status_code == 207, r.text
    hrefs = [x.href.removeprefix("/remote.php/dav/files/einstein/").rstrip("/") for x in parse_multistatus(r.content)]
    assert hrefs == expected


def test_search_without_pattern_is_400(server: ServerProcess, einstein: httpx.Client) -> None:
    r = report(einstein, f'<oc:search-files xmlns:d="DAV:" xmlns:oc="{OC}"><oc:search><oc:pattern></oc:pattern>'
                         "</oc:search></oc:search-files>")
    assert r.status_code == 400
