"""ownCloud chunked upload v1 (``OC-Chunked``, shared/reference/protocol.md §4.12) against a real server."""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
from collections.abc import Iterator
from email.utils import parsedate_to_datetime

import httpx
import pytest

from helpers.dav import files_url, get_bytes, make_client, propfind, stat
from helpers.server import ServerProcess

pytestmark = pytest.mark.clients


@pytest.fixture
def client(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url, "einstein") as c:
        yield c


def chunk_url(path: str, transfer: str, count: int, index: int) -> str:
    return files_url("einstein", f"{path}-chunking-{transfer}-{count}-{index}")


def put_chunk(client: httpx.Client, path: str, transfer: str, count: int, index: int, data: bytes,
              total: int, **headers: str) -> httpx.Response:
    hdrs = {"OC-Chunked": "1", "OC-Total-Length": str(total), "OC-Chunk-Size": str(len(data)), **headers}
    return client.put(chunk_url(path, transfer, count, index), content=data, headers=hdrs)


def listing(client: httpx.Client, folder: str) -> set[str]:
    return {res.href.rstrip("/").rsplit("/", 1)[1] for res in propfind(client, files_url("einstein", folder))[1:]}


def test_three_chunks_out_of_order(client: httpx.Client) -> None:
    client.request("MKCOL", files_url("einstein", "chunked"))
    parts = [os.urandom(1024 * 1024), os.urandom(1024 * 1024), os.urandom(123_457)]
    data = b"".join(parts)
    sha1 = hashlib.sha1(data).hexdigest()
    common = {"X-OC-Mtime": "1500000000"}
    # the last chunk (with the checksum) first, as a resuming desktop client may do
    r = put_chunk(client, "chunked/file.bin", "4711", 3, 2, parts[2], len(data),
                  **common, **{"OC-Checksum": f"SHA1:{sha1}"})
    assert r.status_code == 201 and "etag" not in r.headers  # not final: no ETag
    r = put_chunk(client, "chunked/file.bin", "4711", 3, 0, parts[0], len(data), **common)
    assert r.status_code == 201 and "etag" not in r.headers
    assert listing(client, "chunked") == set()  # nothing visible while chunks are missing
    r = put_chunk(client, "chunked/file.bin", "4711", 3, 1, parts[1], len(data), **common)
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == r.headers["oc-etag"] and r.headers["oc-fileid"]
    assert r.headers["x-oc-mtime"] == "accepted"
    res = stat(client, files_url("einstein", "chunked/file.bin"))
    assert res.fileid == r.headers["oc-fileid"] and res.size == len(data)
    assert f"SHA1:{sha1}" in res.checksums
    assert parsedate_to_datetime(res.get("d:getlastmodified") or "").timestamp() == 1500000000
    assert get_bytes(client, files_url("einstein", "chunked/file.bin")) == data
    assert listing(client, "chunked") == {"file.bin"}
    # overwrite with chunks: 204, same id; a stale If-Match is refused up front
    r = put_chunk(client, "chunked/file.bin", "4712", 2, 0, b"ab", 4, **{"If-Match": '"stale"'})
    assert r.status_code == 412
    r = put_chunk(client, "chunked/file.bin", "4712", 2, 0, b"ab", 4, **{"If-Match": res.etag or ""})
    assert r.status_code == 201
    r = put_chunk(client, "chunked/file.bin", "4712", 2, 1, b"cd", 4)
    assert r.status_code == 204 and r.headers["oc-fileid"] == res.fileid and "x-oc-mtime" not in r.headers
    assert get_bytes(client, files_url("einstein", "chunked/file.bin")) == b"abcd"


def test_aborted_chunk_set_leaves_nothing_visible(server: ServerProcess, client: httpx.Client) -> None:
    client.request("MKCOL", files_url("einstein", "aborted"))
    assert put_chunk(client, "aborted/never.bin", "99", 3, 0, b"x" * 1000, 3000).status_code == 201
    assert put_chunk(client, "aborted/never.bin", "99", 3, 2, b"z" * 1000, 3000).status_code == 201
    assert listing(client, "aborted") == set()
    assert client.request("PROPFIND", files_url("einstein", "aborted/never.bin"),
                          headers={"Depth": "0"}).status_code == 404
    assert stat(client, files_url("einstein", "aborted")).get("oc:size") == "0"  # staged chunks do not count
    staged = server.data_dir / "storage" / "users" / "uploads"
    assert [n for n in os.listdir(staged) if n.startswith("chunking-")]  # kept aside until they expire


def test_wrong_checksum_and_bad_names(client: httpx.Client) -> None:
    r = put_chunk(client, "bad.bin", "5", 2, 0, b"ab", 4)
    assert r.status_code == 201
    r = put_chunk(client, "bad.bin", "5", 2, 1, b"cd", 4, **{"OC-Checksum": f"SHA1:{'0' * 40}"})
    assert r.status_code == 400
    assert client.request("PROPFIND", files_url("einstein", "bad.bin"), headers={"Depth": "0"}).status_code == 404
    # sizes that do not add up to OC-Total-Length
    assert put_chunk(client, "short.bin", "6", 2, 0, b"ab", 10).status_code == 201
    assert put_chunk(client, "short.bin", "6", 2, 1, b"cd", 10).status_code == 400
    # not a chunk name, index out of range, a folder in the way, a missing parent
    r = client.put(files_url("einstein", "plain.bin"), content=b"x", headers={"OC-Chunked": "1"})
    assert r.status_code == 400
    assert put_chunk(client, "idx.bin", "7", 2, 2, b"x", 1).status_code == 400
    client.request("MKCOL", files_url("einstein", "folder.bin"))
    assert put_chunk(client, "folder.bin", "8", 2, 0, b"x", 2).status_code == 409
    assert put_chunk(client, "missing/x.bin", "9", 2, 0, b"x", 2).status_code == 409


def test_parallel_chunks_one_final_response(server: ServerProcess) -> None:
    parts = [os.urandom(256 * 1024) for _ in range(6)]
    data = b"".join(parts)

    def send(index: int) -> httpx.Response:
        with make_client(server.url, "einstein") as c:
            return put_chunk(c, "parallel.bin", "31337", len(parts), index, parts[index], len(data))

    with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
        responses = list(pool.map(send, range(len(parts))))
    assert all(r.status_code == 201 for r in responses), [r.status_code for r in responses]
    assert sum("etag" in r.headers for r in responses) == 1  # exactly one request assembled
    with make_client(server.url, "einstein") as c:
        assert get_bytes(c, files_url("einstein", "parallel.bin")) == data
