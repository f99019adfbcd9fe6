"""``Storage.write_file``: a whole small file in one call, with the checks and effects of
``stat`` + ``begin_upload`` + ``write`` + ``commit`` (both metadata backends)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from storage_util import USER, read

from ocis.core.errors import ChecksumMismatch, Conflict, InsufficientStorage, NotFound, PreconditionFailed
from ocis.storage.api import NodeInfo
from ocis.storage.decomposedfs import DecomposedFS, open_storage


def _no_leftovers(fs: DecomposedFS) -> None:
    assert os.listdir(fs.root / "uploads") == []


def test_create_and_overwrite_propagate(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/a")
    fs.mkdir(USER, "/a/b")
    before = {p: fs.stat(USER, p).etag for p in ("/", "/a", "/a/b")}
    info, created = fs.write_file(USER, "/a/b/f", b"hello", mtime=1_600_000_000.5)
    assert created and info.size == 5 and info.mtime == 1_600_000_000.5 and info.path == "/a/b/f"
    assert info.checksums["SHA1"] == hashlib.sha1(b"hello").hexdigest()
    assert fs.stat(USER, "/a/b/f") == info
    after = {p: fs.stat(USER, p) for p in ("/", "/a", "/a/b")}
    assert all(after[p].etag != before[p] and after[p].size == 5 for p in before)
    info2, created = fs.write_file(USER, "/a/b/f", b"hello world", if_match=info.etag)
    assert not created and info2.id == info.id and info2.etag != info.etag
    assert read(fs, "/a/b/f") == b"hello world"
    assert fs.stat(USER, "/").size == 11 and fs.stat(USER, "/a").etag != after["/a"].etag
    revs = fs.list_revisions(info.id)  # the overwritten content is a revision
    assert len(revs) == 1 and revs[0].size == 5
    _no_leftovers(fs)


def test_precheck_sees_the_existing_file(fs: DecomposedFS) -> None:
    seen: list[NodeInfo | None] = []
    fs.write_file(USER, "/f", b"1", precheck=seen.append)
    info, _ = fs.write_file(USER, "/f", b"2", precheck=seen.append)
    assert seen[0] is None
    assert seen[1] is not None and seen[1].path == "/f" and seen[1].id == info.id and seen[1].size == 1

    def refuse(existing: NodeInfo | None) -> None:
        raise PermissionError("locked")

    with pytest.raises(PermissionError):
        fs.write_file(USER, "/f", b"3", precheck=refuse)
    assert read(fs, "/f") == b"2"
    _no_leftovers(fs)


def test_checks_in_order(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/dir")
    fs.write_file(USER, "/file", b"x")
    calls: list[NodeInfo | None] = []
    with pytest.raises(Conflict, match="folder exists"):
        fs.write_file(USER, "/dir", b"x", if_none_match=True, precheck=calls.append)
    with pytest.raises(PreconditionFailed, match="If-None-Match"):
        fs.write_file(USER, "/file", b"x", if_none_match=True, precheck=calls.append)
    assert calls == []  # both before the precheck
    with pytest.raises(Conflict, match="parent folder does not exist"):
        fs.write_file(USER, "/missing/f", b"x", precheck=calls.append)
    with pytest.raises(Conflict, match="parent is not a folder"):
        fs.write_file(USER, "/file/f", b"x", precheck=calls.append)
    assert calls == [None, None]  # the precheck (locks) runs before the parent check
    with pytest.raises(ChecksumMismatch):
        fs.write_file(USER, "/new", b"x", checksum=("SHA1", "0" * 40), if_match="nope")
    with pytest.raises(PreconditionFailed, match="does not exist"):
        fs.write_file(USER, "/new", b"x", if_match="*")
    with pytest.raises(PreconditionFailed, match="changed"):
        fs.write_file(USER, "/file", b"x", if_match="nope")
    with pytest.raises(NotFound):
        fs.stat(USER, "/new")
    _no_leftovers(fs)


def test_quota(tmp_path: Path) -> None:
    fs = open_storage(tmp_path / "q", "auto", quota_for=lambda _space: 10)
    fs.home(USER)
    fs.write_file(USER, "/a", b"12345678")
    with pytest.raises(InsufficientStorage):
        fs.write_file(USER, "/b", b"123", checksum=("SHA1", "0" * 40))  # quota is checked first
    fs.write_file(USER, "/a", b"1234567890")  # an overwrite frees the old size
    assert fs.quota(USER).used == 10
    with pytest.raises(InsufficientStorage):
        fs.write_file(USER, "/a", b"12345678901")
    fs.write_file(USER, "/e", b"")  # nothing more is fine
    assert read(fs, "/a") == b"1234567890" and fs.quota(USER).used == 10
    _no_leftovers(fs)


def test_same_effect_as_an_upload(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/d")
    a, _ = fs.write_file(USER, "/d/a", b"content", mtime=1000.0)
    up = fs.begin_upload(USER, "/d/b", length=7)
    up.write(b"content")
    b, _ = up.commit(mtime=1000.0)
    assert (a.size, a.checksums, a.mtime, a.mimetype, a.owner_id, a.parent_id) == (
        b.size, b.checksums, b.mtime, b.mimetype, b.owner_id, b.parent_id)
