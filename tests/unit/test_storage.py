"""The decomposed filesystem against both metadata backends (on /tmp: ext4, real xattr limits)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from storage_util import USER, put, read

from ocis.core.errors import (
    AlreadyExists,
    BadRequest,
    ChecksumMismatch,
    Conflict,
    InsufficientStorage,
    NotFound,
    PreconditionFailed,
)
from ocis.storage.decomposedfs import DecomposedFS, open_storage


def test_backend_recorded(fs: DecomposedFS) -> None:
    assert (fs.root / ".metadata-backend").read_text().strip() == fs.backend.name
    if fs.backend.name == "xattrs":
        assert os.getxattr(fs.root / "nodes" / USER, "user.ocis.md")
    else:
        assert (fs.root / "nodes" / f"{USER}.mpk").exists()


def test_upload_checksums_and_propagation(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/a")
    fs.mkdir(USER, "/a/b")
    root_etag = fs.stat(USER, "/").etag
    a_etag = fs.stat(USER, "/a").etag
    fid, created = put(fs, "/a/b/f.txt", b"hello", mtime=1_600_000_000.5)
    assert created
    info = fs.stat(USER, "/a/b/f.txt")
    assert info.id == fid and info.size == 5 and info.mtime == 1_600_000_000.5
    assert info.checksums["SHA1"] == hashlib.sha1(b"hello").hexdigest()
    assert info.checksums["MD5"] == hashlib.md5(b"hello").hexdigest()
    assert info.checksums["ADLER32"] == "062c0215"
    assert fs.stat(USER, "/").etag != root_etag and fs.stat(USER, "/a").etag != a_etag
    assert fs.stat(USER, "/").size == 5 and fs.stat(USER, "/a/b").size == 5
    assert read(fs, "/a/b/f.txt") == b"hello"


def test_overwrite_keeps_id_and_changes_etag(fs: DecomposedFS) -> None:
    fid, _ = put(fs, "/f", b"one")
    etag = fs.stat(USER, "/f").etag
    fid2, created = put(fs, "/f", b"second", if_match=etag)
    assert fid2 == fid and not created
    assert fs.stat(USER, "/f").etag != etag and fs.stat(USER, "/").size == 6
    with pytest.raises(PreconditionFailed):
        put(fs, "/f", b"x", if_match=etag)
    assert read(fs, "/f") == b"second"


def test_checksum_mismatch_stores_nothing(fs: DecomposedFS) -> None:
    with pytest.raises(ChecksumMismatch):
        put(fs, "/bad", b"data", checksum=("SHA1", "0" * 40))
    with pytest.raises(NotFound):
        fs.stat(USER, "/bad")
    assert os.listdir(fs.root / "uploads") == []


def test_aborted_upload_leaves_nothing(fs: DecomposedFS) -> None:
    up = fs.begin_upload(USER, "/partial")
    up.write(b"x" * 1000)
    up.abort()
    with pytest.raises(NotFound):
        fs.stat(USER, "/partial")
    assert os.listdir(fs.root / "uploads") == []


def test_move_keeps_id_and_propagates_both_parents(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/src")
    fs.mkdir(USER, "/dst")
    fid, _ = put(fs, "/src/f", b"12345")
    src_etag, dst_etag = fs.stat(USER, "/src").etag, fs.stat(USER, "/dst").etag
    info, created = fs.move(USER, "/src/f", "/dst/g")
    assert created and info.id == fid and info.path == "/dst/g"
    assert fs.stat(USER, "/src").size == 0 and fs.stat(USER, "/dst").size == 5
    assert fs.stat(USER, "/src").etag != src_etag and fs.stat(USER, "/dst").etag != dst_etag
    assert fs.stat_id(fid).path == "/dst/g"
    with pytest.raises(Conflict):
        fs.move(USER, "/dst", "/dst/inner")
    put(fs, "/src/h", b"x")
    with pytest.raises(PreconditionFailed):
        fs.move(USER, "/src/h", "/dst/g", overwrite=False)
    info, created = fs.move(USER, "/src/h", "/dst/g", overwrite=True)
    assert not created and read(fs, "/dst/g") == b"x" and fs.stat(USER, "/").size == 1


def test_copy_tree_new_ids(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/t")
    fs.mkdir(USER, "/t/u")
    put(fs, "/t/u/f", b"abc")
    fs.set_props(USER, "/t/u/f", {"{urn:x}p": "<p>v</p>"})
    info, created = fs.copy(USER, "/t", "/t2")
    assert created and info.size == 3 and info.id != fs.stat(USER, "/t").id
    assert read(fs, "/t2/u/f") == b"abc"
    assert fs.get_props(USER, "/t2/u/f") == {"{urn:x}p": "<p>v</p>"}
    assert fs.stat(USER, "/").size == 6


def test_has_props_follows_the_dead_properties(fs: DecomposedFS) -> None:
    """NodeInfo.has_props tells listings which nodes have a props file to read (oc: dead props)."""
    put(fs, "/p", b"abc")
    etag = fs.stat(USER, "/p").etag
    assert not fs.stat(USER, "/p").has_props
    fs.set_props(USER, "/p", {"{urn:x}p": "<p>v</p>"})
    assert fs.stat(USER, "/p").has_props and fs.stat(USER, "/p").etag == etag  # properties are not content
    info, _ = fs.copy(USER, "/p", "/p2")
    assert info.has_props and fs.stat(USER, "/p2").has_props
    fs.set_props(USER, "/p", {"{urn:x}p": None})
    assert not fs.stat(USER, "/p").has_props and fs.get_props(USER, "/p") == {}
    put(fs, "/p2", b"new content")  # an overwrite keeps the node and its properties
    assert fs.stat(USER, "/p2").has_props and fs.get_props(USER, "/p2") == {"{urn:x}p": "<p>v</p>"}


def test_delete_is_one_unlink_and_stat_id_fails(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/d")
    fid, _ = put(fs, "/d/f", b"abc")
    fs.delete(USER, "/d")
    with pytest.raises(NotFound):
        fs.stat(USER, "/d")
    with pytest.raises(NotFound):
        fs.stat_id(fid)
    assert fs.stat(USER, "/").size == 0
    assert len(os.listdir(fs.root / "trash" / USER)) == 1


def test_names_validated(fs: DecomposedFS) -> None:
    for bad in ("/a\x00b", "/" + "x" * 256, "/..", "/\udcff"):
        with pytest.raises(BadRequest):
            fs.mkdir(USER, bad)
    fs.mkdir(USER, "/" + "ü" * 127)  # 254 bytes: allowed
    with pytest.raises(AlreadyExists):
        fs.mkdir(USER, "/" + "ü" * 127)
    with pytest.raises(Conflict):
        fs.mkdir(USER, "/missing/child")


def test_quota(tmp_path: Path) -> None:
    fs = open_storage(tmp_path / "q", "auto", quota_for=lambda _space: 10)
    fs.home(USER)
    put(fs, "/a", b"12345678")
    assert fs.quota(USER).available == 2
    with pytest.raises(InsufficientStorage):
        put(fs, "/b", b"123")
    with pytest.raises(NotFound):
        fs.stat(USER, "/b")
    put(fs, "/a", b"1234567890")  # overwrite within quota
    assert fs.quota(USER).used == 10


def test_restart_keeps_everything(fs: DecomposedFS) -> None:
    fid, _ = put(fs, "/keep", b"data")
    etag = fs.stat(USER, "/keep").etag
    again = open_storage(fs.root, "auto")
    info = again.stat(USER, "/keep")
    assert (info.id, info.etag) == (fid, etag)
    assert again.backend.name == fs.backend.name


def test_copy_without_xattrs_is_refused_at_start(tmp_path: Path) -> None:
    """A data dir copied with ``cp -r`` loses its xattrs: refuse to start instead of answering 500s."""
    import subprocess

    src = tmp_path / "orig"
    fs = open_storage(src, "auto")
    fs.home(USER)
    if fs.backend.name != "xattrs":
        pytest.skip("the filesystem of tmp_path has no user xattrs, so nothing can be lost by copying")
    dst = tmp_path / "copy"
    subprocess.run(["cp", "-r", str(src), str(dst)], check=True)  # cp -r keeps no xattrs
    with pytest.raises(ValueError, match="copied without extended attributes"):
        open_storage(dst, "auto")


def test_stat_and_list(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/sl")
    put(fs, "/sl/b", b"2")
    put(fs, "/sl/a", b"1")
    info, children = fs.stat_and_list(USER, "/sl")
    assert info == fs.stat(USER, "/sl") and children == fs.list_dir(USER, "/sl")
    assert [c.path for c in children] == ["/sl/a", "/sl/b"]
    info, children = fs.stat_and_list(USER, "/sl/a")
    assert info.path == "/sl/a" and not info.is_dir and children == []
    root, top = fs.stat_and_list(USER, "/")
    assert root.path == "/" and "/sl" in [c.path for c in top]
    with pytest.raises(NotFound):
        fs.stat_and_list(USER, "/nope")
    with pytest.raises(Conflict):
        fs.list_dir(USER, "/sl/a")
