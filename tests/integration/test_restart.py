"""Restarting the server on the same data directory keeps files, ids, etags, users and the certificate.

Runs once per metadata backend (extended attributes and sidecar files).
"""

from __future__ import annotations

import hashlib

import pytest

from helpers.dav import USERS, files_url, get_bytes, make_client, mkcol, put, stat
from helpers.server import ServerProcess

pytestmark = pytest.mark.parametrize("server", ["xattrs", "sidecar"], indirect=True, scope="module")

CONTENT = b"survives a restart\n" * 1000


def test_restart_keeps_state(server: ServerProcess) -> None:
    with make_client(server.url, "einstein") as e:
        mkcol(e, files_url("einstein", "keep dir"))
        put(e, files_url("einstein", "keep dir/keep ü.txt"), CONTENT)
        file_before = stat(e, files_url("einstein", "keep dir/keep ü.txt"))
        dir_before = stat(e, files_url("einstein", "keep dir"))
        root_before = stat(e, files_url("einstein"))
    assert file_before.fileid and file_before.etag, "PROPFIND returned no oc:fileid/getetag for the file"
    assert dir_before.fileid and dir_before.etag, "PROPFIND returned no oc:fileid/getetag for the folder"
    cert_file = server.cert_path.read_bytes()
    cert_served = server.served_certificate_der()
    port = server.port

    server.restart()

    assert server.port == port
    assert server.cert_path.read_bytes() == cert_file, "certificate file was regenerated"
    assert server.served_certificate_der() == cert_served, "server presents a different certificate"
    with make_client(server.url, "einstein") as e:
        file_after = stat(e, files_url("einstein", "keep dir/keep ü.txt"))
        dir_after = stat(e, files_url("einstein", "keep dir"))
        root_after = stat(e, files_url("einstein"))
        data = get_bytes(e, files_url("einstein", "keep dir/keep ü.txt"))
    assert hashlib.sha1(data).hexdigest() == hashlib.sha1(CONTENT).hexdigest()
    assert (file_after.fileid, file_after.etag) == (file_before.fileid, file_before.etag)
    assert (dir_after.fileid, dir_after.etag) == (dir_before.fileid, dir_before.etag)
    assert (root_after.fileid, root_after.etag) == (root_before.fileid, root_before.etag)
    assert file_after.size == len(CONTENT)

    for user, password in USERS.items():
        with make_client(server.url, user, password) as c:
            r = c.request("PROPFIND", files_url(user), headers={"Depth": "0"})
            assert r.status_code == 207, f"{user} PROPFIND own home after restart -> {r.status_code}"
            r = c.get("/ocs/v1.php/cloud/user", params={"format": "json"})
            assert r.status_code == 200, f"{user} OCS cloud/user after restart -> {r.status_code}"
            assert r.json()["ocs"]["meta"]["statuscode"] in (100, 200), r.text[:300]
        with make_client(server.url, user, password + "x") as c:
            r = c.request("PROPFIND", files_url(user), headers={"Depth": "0"})
            assert r.status_code == 401, f"{user} with a wrong password after restart -> {r.status_code}"
