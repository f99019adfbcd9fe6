"""Resumable upload sessions (TUS) and chunk sets (ownCloud chunking v1) of the decomposed
filesystem, against both metadata backends."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocis.core.errors import (
    BadRequest,
    ChecksumMismatch,
    Conflict,
    InsufficientStorage,
    Locked,
    NotFound,
    PreconditionFailed,
)
from ocis.storage.decomposedfs import DecomposedFS, open_storage

USER = "4c510ada-c86b-4815-8820-42cdf82c3d51"
OTHER = "9d0b7a55-8a6f-4d1e-a2a4-2f0e33f1b7c4"


def _root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = Path(os.environ.get("OCIS_TEST_TMP", "/tmp"))
    root = tmp_path_factory.mktemp("sessions", numbered=True)
    return base / root.name if base != Path("/tmp") else root


@pytest.fixture(params=["xattrs", "sidecar"])
def dfs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DecomposedFS]:
    storage = open_storage(_root(tmp_path_factory), request.param)
    storage.home(USER)
    yield storage


def read(fs: DecomposedFS, path: str) -> bytes:
    _, fh = fs.open_blob(USER, path)
    with fh:
        return fh.read()


def staged(fs: DecomposedFS) -> list[str]:
    return sorted(os.listdir(fs.root / "uploads"))


def test_create_append_finish(dfs: DecomposedFS) -> None:
    data = os.urandom(300_000)
    s = dfs.sessions.create(USER, "/f.bin", len(data), USER, mtime=1_600_000_000.5,
                            checksum=("SHA1", hashlib.sha1(data).hexdigest()))
    assert (s.offset, s.length, s.finished) == (0, len(data), False)
    assert staged(dfs) == [f"{s.id}.bin", f"{s.id}.info"]
    s = dfs.sessions.append(s.id, 0, [data[:100_000], data[100_000:200_000]])
    assert s.offset == 200_000
    with pytest.raises(NotFound):
        dfs.stat(USER, "/f.bin")  # invisible until finished
    s = dfs.sessions.append(s.id, 200_000, [data[200_000:]])
    assert s.offset == len(data)
    info, created = dfs.sessions.finish(s.id)
    assert created and info.size == len(data) and info.mtime == 1_600_000_000.5
    assert read(dfs, "/f.bin") == data
    assert info.checksums["SHA1"] == hashlib.sha1(data).hexdigest()
    assert info.checksums["MD5"] == hashlib.md5(data).hexdigest()
    assert dfs.stat(USER, "/").size == len(data)
    done = dfs.sessions.get(s.id)  # a tombstone answers HEAD after completion
    assert done.finished and done.offset == len(data) and done.node is not None and done.node.id == info.id
    assert dfs.sessions.finish(s.id) == (done.node, False)  # idempotent
    assert staged(dfs) == [f"{s.id}.info"]


def test_offset_and_length_checks(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/g", 10, USER)
    with pytest.raises(Conflict):
        dfs.sessions.append(s.id, 3, [b"abc"])
    with pytest.raises(BadRequest):
        dfs.sessions.append(s.id, 0, [b"x" * 11])
    assert dfs.sessions.get(s.id).offset == 0
    with pytest.raises(Conflict):
        dfs.sessions.finish(s.id)  # incomplete: kept
    dfs.sessions.append(s.id, 0, [b"12345"])
    with pytest.raises(BadRequest):
        dfs.sessions.append(s.id, 5, [b"678", b"901234"])  # the part that fits is kept
    assert dfs.sessions.get(s.id).offset == 8
    dfs.sessions.append(s.id, 8, [b"90"])
    dfs.sessions.finish(s.id)
    assert read(dfs, "/g") == b"1234567890"
    with pytest.raises(NotFound):
        dfs.sessions.get("../../nodes/x")
    with pytest.raises(NotFound):
        dfs.sessions.get("0" * 32)


def test_interrupted_piece_is_kept_and_resumable(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/r", 6, USER)

    def broken() -> Iterator[bytes]:
        yield b"abc"
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        dfs.sessions.append(s.id, 0, broken())
    assert dfs.sessions.get(s.id).offset == 3
    dfs.sessions.append(s.id, 3, [b"def"])
    dfs.sessions.finish(s.id)
    assert read(dfs, "/r") == b"abcdef"


def test_piece_checksum(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/c", 6, USER)
    dfs.sessions.append(s.id, 0, [b"abc"], checksum=("SHA1", hashlib.sha1(b"abc").hexdigest()))
    with pytest.raises(ChecksumMismatch):
        dfs.sessions.append(s.id, 3, [b"def"], checksum=("MD5", "0" * 32))
    assert dfs.sessions.get(s.id).offset == 3  # the bad piece was discarded
    with pytest.raises(BadRequest):
        dfs.sessions.open_writer(s.id, 3, checksum=("CRC32", "00"))
    dfs.sessions.append(s.id, 3, [b"def"], checksum=("MD5", hashlib.md5(b"def").hexdigest()))
    dfs.sessions.finish(s.id)
    assert read(dfs, "/c") == b"abcdef"


def test_file_checksum_mismatch_stores_nothing(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/sub/bad", 4, USER, checksum=("SHA1", "0" * 40))
    dfs.sessions.append(s.id, 0, [b"data"])
    with pytest.raises(ChecksumMismatch):
        dfs.sessions.finish(s.id)
    with pytest.raises(NotFound):
        dfs.stat(USER, "/sub")  # not even the intermediate folder
    with pytest.raises(NotFound):
        dfs.sessions.get(s.id)
    assert staged(dfs) == []


def test_one_writer_at_a_time(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/l", 4, USER)
    w = dfs.sessions.open_writer(s.id, 0)
    with pytest.raises(Locked):
        dfs.sessions.open_writer(s.id, 0)
    with pytest.raises(Locked):
        dfs.sessions.finish(s.id)
    w.write(b"ab")
    assert w.offset == 2
    w.abort(keep=False)
    assert dfs.sessions.get(s.id).offset == 0
    w2 = dfs.sessions.open_writer(s.id, 0)
    w2.write(b"abcd")
    assert w2.close().offset == 4


def test_concurrent_writers_threads(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/t", 1000, USER)
    results: list[str] = []

    def go() -> None:
        try:
            dfs.sessions.append(s.id, 0, [b"x" * 1000])
            results.append("ok")
        except (Locked, Conflict) as exc:
            results.append(type(exc).__name__)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and dfs.sessions.get(s.id).offset == 1000


def test_zero_length_finishes_at_creation(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/empty", 0, USER)
    assert s.finished and s.node is not None and s.node.size == 0
    assert read(dfs, "/empty") == b""


def test_intermediate_folders_created_at_finish(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/a/b/c.txt", 3, USER)
    with pytest.raises(NotFound):
        dfs.stat(USER, "/a")
    dfs.sessions.append(s.id, 0, [b"abc"])
    info, _ = dfs.sessions.finish(s.id)
    assert info.path == "/a/b/c.txt" and dfs.stat(USER, "/a/b").is_dir
    assert dfs.stat(USER, "/").size == 3


def test_create_rejects(dfs: DecomposedFS) -> None:
    dfs.mkdir(USER, "/dir")
    up = dfs.begin_upload(USER, "/file", length=1)
    up.write(b"1")
    up.commit()
    with pytest.raises(Conflict):
        dfs.sessions.create(USER, "/dir", 1, USER)  # a folder is there
    with pytest.raises(Conflict):
        dfs.sessions.create(USER, "/file/x", 1, USER)  # a file is in the way
    with pytest.raises(BadRequest):
        dfs.sessions.create(USER, "/../x", 1, USER)
    with pytest.raises(BadRequest):
        dfs.sessions.create(USER, "/x", -1, USER)
    with pytest.raises(NotFound):
        dfs.sessions.create(OTHER, "/x", 1, USER)
    with pytest.raises(PreconditionFailed):
        dfs.sessions.create(USER, "/new", 1, USER, if_match="*")
    with pytest.raises(PreconditionFailed):
        dfs.sessions.create(USER, "/file", 1, USER, if_match="nope")
    etag = dfs.stat(USER, "/file").etag
    s = dfs.sessions.create(USER, "/file", 2, USER, if_match=etag)
    dfs.sessions.append(s.id, 0, [b"22"])
    info, created = dfs.sessions.finish(s.id)
    assert not created and read(dfs, "/file") == b"22"
    assert len(dfs.list_revisions(info.id)) == 1  # the old content became a revision


def test_quota(tmp_path_factory: pytest.TempPathFactory) -> None:
    fs = open_storage(_root(tmp_path_factory), "auto", quota_for=lambda _space: 100)
    fs.home(USER)
    with pytest.raises(InsufficientStorage):
        fs.sessions.create(USER, "/big", 101, USER)
    s = fs.sessions.create(USER, "/a", 60, USER)
    t = fs.sessions.create(USER, "/b", 60, USER)  # each fits on its own
    fs.sessions.append(s.id, 0, [b"a" * 60])
    fs.sessions.append(t.id, 0, [b"b" * 60])
    fs.sessions.finish(s.id)
    with pytest.raises(InsufficientStorage):
        fs.sessions.finish(t.id)  # commit re-checks: 120 > 100
    assert fs.quota(USER).used == 60
    with pytest.raises(NotFound):
        fs.stat(USER, "/b")
    s = fs.sessions.create(USER, "/a", 100, USER)  # overwriting frees the old 60 bytes
    assert s.length == 100


def test_sessions_survive_restart(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/restart", 6, USER, mtime=1234.0)
    dfs.sessions.append(s.id, 0, [b"abc"])
    again = open_storage(dfs.root, "auto")
    got = again.sessions.get(s.id)
    assert (got.offset, got.length, got.mtime, got.user_id) == (3, 6, 1234.0, USER)
    again.sessions.append(s.id, 3, [b"def"])
    info, _ = again.sessions.finish(s.id)
    assert info.mtime == 1234.0 and read(dfs, "/restart") == b"abcdef"


def test_expiry_and_orphans(dfs: DecomposedFS) -> None:
    old = dfs.sessions.create(USER, "/old", 5, USER, expires=1.0)
    keep = dfs.sessions.create(USER, "/keep", 5, USER)
    with pytest.raises(NotFound):
        dfs.sessions.open_writer(old.id, 0)  # expired: no more writes
    orphan = dfs.root / "uploads" / f"{'a' * 32}.bin"
    orphan.write_bytes(b"x")
    os.utime(orphan, (1.0, 1.0))
    assert dfs.sessions.expire() == 2
    with pytest.raises(NotFound):
        dfs.sessions.get(old.id)
    assert dfs.sessions.get(keep.id).offset == 0
    assert dfs.sessions.expire(now_=keep.expires + 1) == 1
    assert staged(dfs) == []


def test_expire_at_startup(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/x", 5, USER)
    info = dfs.root / "uploads" / f"{s.id}.info"
    doc = json.loads(info.read_text())
    doc["expires"] = 1.0
    info.write_text(json.dumps(doc))
    open_storage(dfs.root, "auto")
    assert staged(dfs) == []


def test_terminate(dfs: DecomposedFS) -> None:
    s = dfs.sessions.create(USER, "/t", 5, USER)
    dfs.sessions.append(s.id, 0, [b"ab"])
    dfs.sessions.terminate(s.id)
    with pytest.raises(NotFound):
        dfs.sessions.get(s.id)
    with pytest.raises(NotFound):
        dfs.sessions.terminate(s.id)
    assert staged(dfs) == []


# --- chunking v1 -----------------------------------------------------------------------------


def put_chunk(fs: DecomposedFS, path: str, tid: str, count: int, index: int, data: bytes, **kw: object) -> None:
    w = fs.sessions.begin_chunk(USER, USER, path, tid, count, index, **kw)  # type: ignore[arg-type]
    w.write(data)
    w.commit()


def test_chunks_any_order(dfs: DecomposedFS) -> None:
    parts = [b"a" * 1000, b"b" * 1000, b"c" * 10]
    data = b"".join(parts)
    put_chunk(dfs, "/chunked.bin", "42", 3, 2, parts[2])
    put_chunk(dfs, "/chunked.bin", "42", 3, 0, parts[0], mtime=1_500_000_000.0)
    assert dfs.sessions.assemble_chunks(USER, "/chunked.bin", "42", 3) is None
    put_chunk(dfs, "/chunked.bin", "42", 3, 1, parts[1], checksum=("SHA1", hashlib.sha1(data).hexdigest()))
    result = dfs.sessions.assemble_chunks(USER, "/chunked.bin", "42", 3, total_length=len(data))
    assert result is not None
    info, created = result
    assert created and info.mtime == 1_500_000_000.0 and read(dfs, "/chunked.bin") == data
    assert dfs.sessions.assemble_chunks(USER, "/chunked.bin", "42", 3) is None  # consumed
    assert staged(dfs) == []


def test_chunk_checksum_and_total_mismatch(dfs: DecomposedFS) -> None:
    put_chunk(dfs, "/x", "1", 2, 0, b"ab")
    put_chunk(dfs, "/x", "1", 2, 1, b"cd")
    with pytest.raises(ChecksumMismatch):
        dfs.sessions.assemble_chunks(USER, "/x", "1", 2, checksum=("SHA1", "0" * 40))
    put_chunk(dfs, "/x", "2", 2, 0, b"ab")
    put_chunk(dfs, "/x", "2", 2, 1, b"cd")
    with pytest.raises(BadRequest):
        dfs.sessions.assemble_chunks(USER, "/x", "2", 2, total_length=5)
    with pytest.raises(NotFound):
        dfs.stat(USER, "/x")
    assert staged(dfs) == []


def test_chunk_rejects(tmp_path_factory: pytest.TempPathFactory) -> None:
    fs = open_storage(_root(tmp_path_factory), "auto", quota_for=lambda _space: 10)
    fs.home(USER)
    with pytest.raises(BadRequest):
        fs.sessions.begin_chunk(USER, USER, "/x", "1", 2, 2)
    with pytest.raises(BadRequest):
        fs.sessions.begin_chunk(USER, USER, "/x", "../1", 2, 0)
    with pytest.raises(Conflict):
        fs.sessions.begin_chunk(USER, USER, "/missing/x", "1", 2, 0)
    with pytest.raises(InsufficientStorage):
        fs.sessions.begin_chunk(USER, USER, "/x", "1", 2, 0, total_length=11)
    put_chunk(fs, "/x", "1", 2, 0, b"123456")
    w = fs.sessions.begin_chunk(USER, USER, "/x", "1", 2, 1)
    with pytest.raises(InsufficientStorage):
        w.write(b"12345")  # 6 + 5 > 10
    put_chunk(fs, "/x", "1", 2, 0, b"1234")  # a re-sent chunk replaces itself
    put_chunk(fs, "/x", "1", 2, 1, b"123456")
    assert fs.sessions.assemble_chunks(USER, "/x", "1", 2) is not None
    assert fs.quota(USER).used == 10


def test_stale_chunk_sets_expire(dfs: DecomposedFS) -> None:
    put_chunk(dfs, "/y", "7", 3, 0, b"abc")
    assert len(staged(dfs)) == 1
    assert dfs.sessions.expire() == 0
    assert dfs.sessions.expire(now_=10**10) == 1
    assert staged(dfs) == []
    with pytest.raises(NotFound):
        dfs.stat(USER, "/y")
