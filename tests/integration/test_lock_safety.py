"""Locks are honoured by every way of changing a node, and survive a restart (QA findings)."""

from __future__ import annotations

import base64

import httpx

from helpers.dav import files_url, get_bytes, makedirs, parse_multistatus, put, stat
from helpers.server import ServerProcess

LOCKINFO = (b'<?xml version="1.0"?><d:lockinfo xmlns:d="DAV:"><d:lockscope><d:exclusive/></d:lockscope>'
            b"<d:locktype><d:write/></d:locktype></d:lockinfo>")


def lock(client: httpx.Client, path: str) -> str:
    r = client.request("LOCK", files_url("einstein", path), content=LOCKINFO, headers={"Timeout": "Second-3600"})
    assert r.status_code == 200, r.text
    return r.headers["Lock-Token"]


def test_delete_of_a_folder_with_a_locked_member_deletes_nothing(server: ServerProcess, einstein: httpx.Client) -> None:
    makedirs(einstein, "einstein", "lk/inner")
    put(einstein, files_url("einstein", "lk/inner/f.txt"), b"locked")
    put(einstein, files_url("einstein", "lk/g.txt"), b"sibling")
    token = lock(einstein, "lk/inner/f.txt")
    for folder in ("lk/inner", "lk"):
        assert einstein.delete(files_url("einstein", folder)).status_code == 423
    assert get_bytes(einstein, files_url("einstein", "lk/inner/f.txt")) == b"locked"
    assert get_bytes(einstein, files_url("einstein", "lk/g.txt")) == b"sibling"
    # with the token (tagged with the locked member, RFC 4918 §10.4.2) the delete goes through
    tagged = f"<{server.url}{files_url('einstein', 'lk/inner/f.txt')}> ({token})"
    r = einstein.delete(files_url("einstein", "lk"), headers={"If": tagged})
    assert r.status_code == 204
    put(einstein, files_url("einstein", "lk-again.txt"), b"x")


def test_trash_and_version_restore_respect_locks(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "tl.txt"), b"old")
    einstein.delete(files_url("einstein", "tl.txt"))
    put(einstein, files_url("einstein", "tl.txt"), b"current")
    lock(einstein, "tl.txt")
    listing = einstein.request("PROPFIND", "/remote.php/dav/trash-bin/einstein/", headers={"Depth": "1"})
    item_href = parse_multistatus(listing.content)[1].href
    r = einstein.request("MOVE", item_href, headers={"Destination": files_url("einstein", "tl.txt")})
    assert r.status_code == 423
    assert get_bytes(einstein, files_url("einstein", "tl.txt")) == b"current"

    put(einstein, files_url("einstein", "vl.txt"), b"v1")
    put(einstein, files_url("einstein", "vl.txt"), b"v2")
    fid = stat(einstein, files_url("einstein", "vl.txt")).fileid
    lock(einstein, "vl.txt")
    versions = einstein.request("PROPFIND", f"/remote.php/dav/meta/{fid}/v", headers={"Depth": "1"})
    version_href = parse_multistatus(versions.content)[1].href
    r = einstein.request("COPY", version_href, headers={"Destination": files_url("einstein", "vl.txt")})
    assert r.status_code == 423
    assert get_bytes(einstein, files_url("einstein", "vl.txt")) == b"v2"


def test_locks_survive_a_restart(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "lr.txt"), b"v1")
    token = lock(einstein, "lr.txt")
    server.restart()
    with httpx.Client(base_url=server.url, verify=False, auth=("einstein", "relativity")) as c:
        assert c.put(files_url("einstein", "lr.txt"), content=b"v3").status_code == 423
        assert get_bytes(c, files_url("einstein", "lr.txt")) == b"v1"
        r = c.put(files_url("einstein", "lr.txt"), content=b"v2", headers={"If": f"({token})"})
        assert r.status_code == 204
        assert c.request("UNLOCK", files_url("einstein", "lr.txt"), headers={"Lock-Token": token}).status_code == 204


def tus_create(client: httpx.Client, folder: str, name: str, length: int) -> str:
    meta = "filename " + base64.b64encode(name.encode()).decode()
    r = client.post(files_url("einstein", folder) + "/", headers={"Tus-Resumable": "1.0.0",
                                                                  "Upload-Length": str(length),
                                                                  "Upload-Metadata": meta})
    assert r.status_code == 201, r.text
    return r.headers["Location"]


def tus_patch(client: httpx.Client, location: str, offset: int, data: bytes) -> httpx.Response:
    return client.patch(location, content=data, headers={"Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
                                                         "Content-Type": "application/offset+octet-stream"})


def test_tus_upload_follows_a_moved_folder_and_fails_for_a_deleted_one(server: ServerProcess,
                                                                      einstein: httpx.Client) -> None:
    makedirs(einstein, "einstein", "tusm")
    loc = tus_create(einstein, "tusm", "t.txt", 10)
    assert tus_patch(einstein, loc, 0, b"hello").status_code == 204
    einstein.request("MOVE", files_url("einstein", "tusm"), headers={"Destination": files_url("einstein", "tusm2")})
    assert tus_patch(einstein, loc, 5, b"world").status_code == 204
    assert get_bytes(einstein, files_url("einstein", "tusm2/t.txt")) == b"helloworld"
    assert einstein.request("PROPFIND", files_url("einstein", "tusm"), headers={"Depth": "0"}).status_code == 404

    makedirs(einstein, "einstein", "tusd")
    loc = tus_create(einstein, "tusd", "t.txt", 10)
    assert tus_patch(einstein, loc, 0, b"hello").status_code == 204
    einstein.delete(files_url("einstein", "tusd"))
    assert tus_patch(einstein, loc, 5, b"world").status_code == 409
    assert einstein.request("PROPFIND", files_url("einstein", "tusd"), headers={"Depth": "0"}).status_code == 404
