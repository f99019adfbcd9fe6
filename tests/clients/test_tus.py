"""TUS 1.0.0 resumable uploads against a real server over HTTPS (shared/reference/protocol.md §5).

Clients: ``tuspy`` (Python) and ``tus-js-client`` under node (tests/js, what ownCloud Web uses);
raw requests (httpx, a raw TLS socket) for the error cases and a connection cut mid-PATCH.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest
from tusclient import client as tus_client

from helpers import raw
from helpers.dav import USERS, files_url, get_bytes, make_client, propfind, stat
from helpers.server import ServerProcess
from ocis.accounts.store import AccountStore

pytestmark = pytest.mark.clients

MB = 1024 * 1024
JS_DIR = Path(__file__).resolve().parents[1] / "js"
TUS = {"Tus-Resumable": "1.0.0"}
OFFSET_CT = "application/offset+octet-stream"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def metadata(**kv: str) -> str:
    return ",".join(f"{k} {b64(v)}" for k, v in kv.items())


def auth_header(user: str) -> dict[str, str]:
    return {"Authorization": raw.basic_auth(user, USERS[user])}


def sha1_of(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while block := f.read(MB):
            h.update(block)
    return h.hexdigest()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100 MB of random bytes."""
    path = tmp_path_factory.mktemp("tus") / "big.bin"
    with open(path, "wb") as f:
        for _ in range(100):
            f.write(os.urandom(MB))
    return path


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url, "einstein") as c:
        yield c


def create(client: httpx.Client, folder_url: str, length: int, filename: str, *, body: bytes | None = None,
           headers: dict[str, str] | None = None, **meta: str) -> httpx.Response:
    hdrs = {**TUS, "Upload-Length": str(length), "Upload-Metadata": metadata(filename=filename, **meta),
            **(headers or {})}
    if body is not None:
        hdrs["Content-Type"] = OFFSET_CT
    return client.post(folder_url, content=body or b"", headers=hdrs)


def patch(client: httpx.Client, location: str, offset: int, data: bytes,
          headers: dict[str, str] | None = None) -> httpx.Response:
    hdrs = {**TUS, "Upload-Offset": str(offset), "Content-Type": OFFSET_CT, **(headers or {})}
    return client.patch(location, content=data, headers=hdrs)


def head(client: httpx.Client, location: str) -> httpx.Response:
    return client.head(location, headers=TUS)


def tuspy(server: ServerProcess, folder: str = "") -> tus_client.TusClient:
    return tus_client.TusClient(server.url + files_url("einstein", folder), headers=auth_header("einstein"))


def uploads_dir(server: ServerProcess) -> Path:
    return server.data_dir / "storage" / "users" / "uploads"


def set_quota(server: ServerProcess, user: str, quota: int | None) -> None:
    """Give ``user`` an own quota (bytes; None = the default). The running server re-reads the store."""
    store = AccountStore(server.data_dir / "storage" / "metadata" / "accounts")
    found = store.find_user(user)
    assert found is not None
    store.update_user(found.id, quota=quota)


def quota_figures(client: httpx.Client, user: str) -> tuple[int, int]:
    res = stat(client, files_url(user), ["{DAV:}quota-used-bytes", "{DAV:}quota-available-bytes"])
    used, available = res.get("d:quota-used-bytes"), res.get("d:quota-available-bytes")
    assert used is not None and available is not None
    return int(used), int(available)


# --- discovery ---------------------------------------------------------------------------------


def test_discovery_headers(client: httpx.Client) -> None:
    r = client.options(files_url("einstein"))
    assert r.headers["tus-resumable"] == "1.0.0" and r.headers["tus-version"] == "1.0.0"
    assert r.headers["tus-extension"] == "creation,creation-with-upload,checksum,termination,expiration"
    assert int(r.headers["tus-max-size"]) > 0
    r = client.request("PROPFIND", files_url("einstein"), headers={"Depth": "0"})
    assert r.status_code == 207
    assert r.headers["tus-resumable"] == "1.0.0" and r.headers["tus-version"] == "1.0.0"
    assert "creation" in r.headers["tus-extension"].split(",")
    exposed = {h.strip().lower() for h in r.headers["access-control-expose-headers"].split(",")}
    assert {"tus-resumable", "tus-version", "tus-extension", "location", "upload-offset"} <= exposed
    client.put(files_url("einstein", "plain.txt"), content=b"x")
    r = client.request("PROPFIND", files_url("einstein", "plain.txt"), headers={"Depth": "0"})
    assert "tus-resumable" not in r.headers  # only folders are upload targets
    r = client.options("/data/", headers=TUS)
    assert r.status_code == 204 and r.headers["tus-extension"].startswith("creation")
    caps = client.get("/ocs/v1.php/cloud/capabilities?format=json").json()["ocs"]["data"]["capabilities"]
    assert caps["files"]["tus_support"]["version"] == "1.0.0"
    assert caps["files"]["bigfilechunking"] is False


# --- tuspy -------------------------------------------------------------------------------------


def test_tuspy_100mb_checksummed(server: ServerProcess, client: httpx.Client, big_file: Path) -> None:
    digest = sha1_of(big_file)
    up = tuspy(server).uploader(str(big_file), chunk_size=16 * MB, upload_checksum=True, verify_tls_cert=False,
                                metadata={"filename": "tus/py/big.bin", "mtime": "1600000000",
                                          "checksum": f"SHA1 {digest}"})
    t0 = time.monotonic()
    up.upload()
    seconds = time.monotonic() - t0
    print(f"tuspy: 100 MB in {seconds:.2f} s = {100 / seconds:.1f} MB/s (16 MB PATCHes, Upload-Checksum sha1)")
    assert up.url is not None and up.url.startswith(f"{server.url}/data/")
    res = stat(client, files_url("einstein", "tus/py/big.bin"))
    assert res.size == 100 * MB
    assert f"SHA1:{digest}" in res.checksums  # computed by the server
    assert parsedate_to_datetime(res.get("d:getlastmodified") or "").timestamp() == 1600000000
    r = head(client, up.url)  # the finished upload still answers HEAD (a client that lost the last response)
    assert r.status_code == 200 and r.headers["upload-offset"] == str(100 * MB)
    assert r.headers["oc-fileid"] == res.fileid


def test_tuspy_cut_at_half_and_resumed(server: ServerProcess, client: httpx.Client, big_file: Path) -> None:
    up = tuspy(server, "tus/").uploader(str(big_file), chunk_size=10 * MB, verify_tls_cert=False,
                                        metadata={"filename": "cut.bin"})
    up.upload(stop_at=50 * MB)
    assert up.url is not None
    r = head(client, up.url)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    assert r.headers["upload-offset"] == str(50 * MB) and r.headers["upload-length"] == str(100 * MB)
    assert parsedate_to_datetime(r.headers["upload-expires"]).timestamp() > time.time() + 3600
    assert client.request("PROPFIND", files_url("einstein", "tus/cut.bin"), headers={"Depth": "0"}).status_code == 404
    again = tuspy(server, "tus/").uploader(str(big_file), url=up.url, chunk_size=10 * MB, verify_tls_cert=False)
    assert again.offset == 50 * MB  # resumed from HEAD
    again.upload()
    assert sha1_of(big_file) in stat(client, files_url("einstein", "tus/cut.bin")).checksums


def test_resumed_after_server_restart(server: ServerProcess, big_file: Path) -> None:
    up = tuspy(server).uploader(str(big_file), chunk_size=20 * MB, verify_tls_cert=False,
                                metadata={"filename": "restart.bin"})
    up.upload(stop_at=40 * MB)
    assert up.url is not None
    server.restart()
    again = tuspy(server).uploader(str(big_file), url=up.url, chunk_size=20 * MB, verify_tls_cert=False)
    assert again.offset == 40 * MB
    again.upload()
    with make_client(server.url, "einstein") as c:
        assert sha1_of(big_file) in stat(c, files_url("einstein", "restart.bin")).checksums


def test_connection_cut_mid_patch_keeps_received_bytes(server: ServerProcess, client: httpx.Client) -> None:
    """Everything that arrived is kept, also the part that had not filled a write block yet."""
    data = os.urandom(8 * MB)
    sent = 3 * MB + 12345
    r = create(client, files_url("einstein"), len(data), "raw-cut.bin")
    assert r.status_code == 201
    location = r.headers["location"]
    path = location.split(server.url, 1)[1]
    headers = {**TUS, **auth_header("einstein"), "Upload-Offset": "0", "Content-Type": OFFSET_CT,
               "Content-Length": str(len(data))}
    raw.send_and_abort(server.port, "PATCH", path, headers, data[:sent], linger=1.0)
    offset = 0
    for _ in range(50):  # the server notices the disconnect asynchronously
        offset = int(head(client, location).headers["upload-offset"])
        if offset == sent:
            break
        time.sleep(0.1)
    assert offset == sent
    r = patch(client, location, offset, data[offset:])
    assert r.status_code == 204 and r.headers["upload-offset"] == str(len(data))
    assert get_bytes(client, files_url("einstein", "raw-cut.bin")) == data


# --- tus-js-client (ownCloud Web's uploader) ----------------------------------------------------


def run_node(cfg: dict[str, object]) -> dict[str, object]:
    node = shutil.which("node")
    assert node, "node is not installed (make test installs nodejs)"
    assert (JS_DIR / "node_modules" / "tus-js-client").is_dir(), "run `npm ci` in tests/js (make test does)"
    env = dict(os.environ, NODE_TLS_REJECT_UNAUTHORIZED="0", NODE_NO_WARNINGS="1")
    proc = subprocess.run([node, str(JS_DIR / "tus_upload.mjs"), json.dumps(cfg)], cwd=JS_DIR, env=env,
                          capture_output=True, text=True, timeout=300)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, f"node printed no result (rc={proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result: dict[str, object] = json.loads(lines[-1])
    return result


def test_tus_js_client_100mb_aborted_and_resumed(server: ServerProcess, client: httpx.Client,
                                                 big_file: Path) -> None:
    client.request("MKCOL", files_url("einstein", "web"))
    cfg: dict[str, object] = {"endpoint": server.url + files_url("einstein", "web/"), "user": "einstein",
                              "password": USERS["einstein"], "file": str(big_file), "filename": "js.bin",
                              "mtime": 1500000000.5}
    first = run_node({**cfg, "abortAt": 50 * MB})
    assert first["event"] == "aborted", first
    url = str(first["url"])
    assert url.startswith(f"{server.url}/data/")
    offset = 0
    for _ in range(50):
        offset = int(head(client, url).headers["upload-offset"])
        if offset >= 40 * MB:
            break
        time.sleep(0.1)
    assert 0 < offset < 100 * MB, f"offset after the abort: {offset}"
    second = run_node({**cfg, "uploadUrl": url})
    assert second["event"] == "success", second
    print(f"tus-js-client: aborted at {offset / MB:.0f} MB; resumed {(100 * MB - offset) / MB:.0f} MB in "
          f"{second['seconds']:.2f} s")
    res = stat(client, files_url("einstein", "web/js.bin"))
    assert res.size == 100 * MB and sha1_of(big_file) in res.checksums
    assert parsedate_to_datetime(res.get("d:getlastmodified") or "").timestamp() == 1500000000


def test_tus_js_client_whole_upload(server: ServerProcess, client: httpx.Client, tmp_path: Path) -> None:
    src = tmp_path / "small.bin"
    src.write_bytes(os.urandom(3 * MB + 17))
    result = run_node({"endpoint": server.url + files_url("einstein"), "user": "einstein",
                       "password": USERS["einstein"], "file": str(src), "filename": "js-small.bin",
                       "chunkSize": MB})
    assert result["event"] == "success", result
    assert get_bytes(client, files_url("einstein", "js-small.bin")) == src.read_bytes()


# --- protocol details ---------------------------------------------------------------------------


def test_desktop_style_creation_with_upload(client: httpx.Client) -> None:
    data = b"desktop client\n" * 1000
    digest = hashlib.sha1(data).hexdigest()
    r = create(client, files_url("einstein"), len(data), "/Sync/sub/desk.txt", body=data,
               headers={"X-OC-Mtime": "1234567890"}, checksum=f"SHA1 {digest}")
    assert r.status_code == 201, r.text
    assert r.headers["upload-offset"] == str(len(data)) and r.headers["tus-resumable"] == "1.0.0"
    assert r.headers["x-oc-mtime"] == "accepted" and r.headers["oc-perm"] == "RDNVW"
    assert r.headers["etag"] == r.headers["oc-etag"]
    res = stat(client, files_url("einstein", "Sync/sub/desk.txt"))
    assert res.fileid == r.headers["oc-fileid"] and res.etag == r.headers["etag"]
    assert parsedate_to_datetime(res.get("d:getlastmodified") or "").timestamp() == 1234567890
    assert get_bytes(client, files_url("einstein", "Sync/sub/desk.txt")) == data
    # webdav endpoint, X-HTTP-Method-Override, overwrite keeps the id
    r = create(client, "/remote.php/webdav/Sync/sub/", 4, "desk.txt")
    assert r.status_code == 201
    r = client.post(r.headers["location"], content=b"new!", headers={
        **TUS, "X-HTTP-Method-Override": "PATCH", "Upload-Offset": "0", "Content-Type": OFFSET_CT})
    assert r.status_code == 204 and r.headers["oc-fileid"] == res.fileid and "x-oc-mtime" not in r.headers
    assert get_bytes(client, files_url("einstein", "Sync/sub/desk.txt")) == b"new!"


def test_zero_byte_upload(client: httpx.Client) -> None:
    r = create(client, files_url("einstein"), 0, "empty.txt")
    assert r.status_code == 201 and r.headers["upload-offset"] == "0" and r.headers["oc-fileid"]
    res = stat(client, files_url("einstein", "empty.txt"))
    assert res.size == 0 and res.fileid == r.headers["oc-fileid"]


def test_wrong_checksum_rejected_nothing_stored(server: ServerProcess, client: httpx.Client) -> None:
    data = os.urandom(MB)
    r = create(client, files_url("einstein"), len(data), "badsum/x.bin", checksum=f"SHA1 {'0' * 40}")
    location = r.headers["location"]
    sid = location.rsplit("/", 1)[1]
    r = patch(client, location, 0, data)
    assert r.status_code == 460, r.text
    assert client.request("PROPFIND", files_url("einstein", "badsum"), headers={"Depth": "0"}).status_code == 404
    assert head(client, location).status_code == 404
    assert not [n for n in os.listdir(uploads_dir(server)) if n.startswith(sid)]
    # per-PATCH checksum (TUS checksum extension): a mismatch discards only that body
    r = create(client, files_url("einstein"), 6, "piece.txt")
    location = r.headers["location"]
    good = base64.b64encode(hashlib.sha1(b"abc").digest()).decode()
    assert patch(client, location, 0, b"abc", {"Upload-Checksum": f"sha1 {good}"}).status_code == 204
    bad = base64.b64encode(hashlib.md5(b"xyz").digest()).decode()
    r = patch(client, location, 3, b"def", {"Upload-Checksum": f"md5 {bad}"})
    assert r.status_code == 460
    assert head(client, location).headers["upload-offset"] == "3"
    assert patch(client, location, 3, b"def", {"Upload-Checksum": "crc32 AAAA"}).status_code == 400
    assert patch(client, location, 3, b"def").status_code == 204
    assert get_bytes(client, files_url("einstein", "piece.txt")) == b"abcdef"


def test_patch_errors(server: ServerProcess, client: httpx.Client) -> None:
    r = create(client, files_url("einstein"), 10, "errors.txt")
    location = r.headers["location"]
    assert patch(client, location, 0, b"12345").status_code == 204
    r = patch(client, location, 2, b"345")
    assert r.status_code == 409 and r.headers["upload-offset"] == "5" and r.headers["tus-resumable"] == "1.0.0"
    r = client.patch(location, content=b"678", headers={**TUS, "Upload-Offset": "5",
                                                         "Content-Type": "application/octet-stream"})
    assert r.status_code == 415
    assert patch(client, location, 5, b"6789012").status_code == 413
    assert head(client, location).headers["upload-offset"] == "5"
    r = client.patch(location, content=b"678", headers={"Upload-Offset": "5", "Content-Type": OFFSET_CT})
    assert r.status_code == 412 and r.headers["tus-version"] == "1.0.0"
    with make_client(server.url, "marie") as marie:
        assert head(marie, location).status_code == 404  # someone else's upload does not exist
        assert patch(marie, location, 5, b"67890").status_code == 404
    assert head(client, f"{server.url}/data/{'0' * 32}").status_code == 404
    assert head(client, f"{server.url}/data/..%2F..%2Fnodes").status_code in (400, 404)
    # creation errors
    assert client.post(files_url("einstein"), headers={"Upload-Length": "1"}).status_code == 412
    assert create(client, files_url("einstein"), 1, "../escape").status_code == 400
    r = client.post(files_url("einstein"), headers={**TUS, "Upload-Length": "1"})
    assert r.status_code == 412  # no filename
    assert create(client, files_url("einstein"), 1, "x", body=b"12").status_code == 413
    assert create(client, files_url("einstein", "nope/"), 1, "x").status_code == 404
    assert create(client, files_url("einstein"), 1, "errors-dir/x").status_code == 201
    client.request("MKCOL", files_url("einstein", "a-folder"))
    assert create(client, files_url("einstein"), 1, "a-folder").status_code == 409
    # expiry (410) and termination
    sid = location.rsplit("/", 1)[1]
    info = uploads_dir(server) / f"{sid}.info"
    doc = json.loads(info.read_text())
    doc["expires"] = time.time() - 1
    info.write_text(json.dumps(doc))
    assert head(client, location).status_code == 410
    assert head(client, location).status_code == 404
    r = create(client, files_url("einstein"), 10, "terminated.txt")
    location = r.headers["location"]
    assert client.delete(location, headers=TUS).status_code == 204
    assert head(client, location).status_code == 404


def test_quota_tus_and_chunked_v1(server: ServerProcess) -> None:
    with make_client(server.url, "marie") as marie:
        r = marie.put(files_url("marie", "seed.bin"), content=b"s" * 1000)
        assert r.status_code in (201, 204)
        used0, _ = quota_figures(marie, "marie")
        set_quota(server, "marie", used0 + MB)
        try:
            used, available = quota_figures(marie, "marie")
            assert (used, available) == (used0, MB)
            r = create(marie, files_url("marie"), MB + 1, "too-big.bin")
            assert r.status_code == 507 and r.headers["tus-resumable"] == "1.0.0"
            r = marie.put(files_url("marie", "v1.bin-chunking-77-2-0"), content=b"x" * 10,
                          headers={"OC-Chunked": "1", "OC-Total-Length": str(MB + 1)})
            assert r.status_code == 507
            assert not [n for n in os.listdir(uploads_dir(server)) if n.startswith("chunking-")]
            # within the quota: the figures move by exactly the upload
            data = os.urandom(MB // 2)
            r = create(marie, files_url("marie"), len(data), "fits.bin", body=data)
            assert r.status_code == 201 and r.headers["upload-offset"] == str(len(data))
            used, available = quota_figures(marie, "marie")
            assert (used, available) == (used0 + len(data), MB - len(data))
            # a second session that fits on its own but not after the first: commit re-checks
            r1 = create(marie, files_url("marie"), 300_000, "a.bin")
            r2 = create(marie, files_url("marie"), 300_000, "b.bin")
            assert r1.status_code == r2.status_code == 201
            assert patch(marie, r1.headers["location"], 0, b"a" * 300_000).status_code == 204
            assert patch(marie, r2.headers["location"], 0, b"b" * 300_000).status_code == 507
            names = {res.href.rsplit("/", 1)[1] for res in propfind(marie, files_url("marie"))[1:]}
            assert "a.bin" in names and "b.bin" not in names and "too-big.bin" not in names
            used, available = quota_figures(marie, "marie")
            assert (used, available) == (used0 + len(data) + 300_000, MB - len(data) - 300_000)
        finally:
            set_quota(server, "marie", None)
