"""Trash, revisions, favorites and search of the decomposed filesystem (both metadata backends)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_util import USER, put, read

from ocis.core.errors import BadRequest, Conflict, InsufficientStorage, NotFound, PreconditionFailed
from ocis.storage.decomposedfs import DecomposedFS, open_storage


def make_tree(fs: DecomposedFS) -> str:
    fs.mkdir(USER, "/docs")
    fs.mkdir(USER, "/docs/sub")
    put(fs, "/docs/a.txt", b"aaa")
    fid, _ = put(fs, "/docs/sub/b.txt", b"bbbb")
    return fid


def test_trash_list_restore_intact(fs: DecomposedFS) -> None:
    fid = make_tree(fs)
    docs_id = fs.stat(USER, "/docs").id
    fs.delete(USER, "/docs")
    assert fs.stat(USER, "/").size == 0
    items = fs.list_trash(USER)
    assert [(i.key, i.name, i.origin, i.is_dir, i.size) for i in items] == [(docs_id, "docs", "/docs", True, 7)]
    inner = {i.name: i for i in fs.list_trash(USER, docs_id)}
    assert inner["sub"].origin == "/docs/sub" and inner["a.txt"].size == 3
    assert [i.name for i in fs.list_trash(USER, f"{docs_id}/sub")] == ["b.txt"]
    with pytest.raises(Conflict):
        fs.list_trash(USER, f"{docs_id}/a.txt")
    info, created = fs.restore_trash(USER, docs_id, "/docs")
    assert created and info.id == docs_id and info.size == 7
    assert read(fs, "/docs/sub/b.txt") == b"bbbb" and fs.stat(USER, "/docs/sub/b.txt").id == fid
    assert fs.list_trash(USER) == [] and fs.stat(USER, "/").size == 7


def test_restore_clash_and_missing_parent(fs: DecomposedFS) -> None:
    put(fs, "/f.txt", b"old")
    fs.delete(USER, "/f.txt")
    key = fs.list_trash(USER)[0].key
    put(fs, "/f.txt", b"new")
    with pytest.raises(PreconditionFailed):
        fs.restore_trash(USER, key, "/f.txt")
    assert read(fs, "/f.txt") == b"new"  # never a silent overwrite
    with pytest.raises(Conflict):
        fs.restore_trash(USER, key, "/gone/f.txt")
    _, created = fs.restore_trash(USER, key, "/f.txt", overwrite=True)
    assert not created and read(fs, "/f.txt") == b"old"
    assert [i.name for i in fs.list_trash(USER)] == ["f.txt"]  # the replaced one went to the trash


def test_restore_member_of_deleted_folder(fs: DecomposedFS) -> None:
    fid = make_tree(fs)
    docs_id = fs.stat(USER, "/docs").id
    fs.delete(USER, "/docs")
    info, _ = fs.restore_trash(USER, f"{docs_id}/sub/b.txt", "/b.txt")
    assert info.id == fid and read(fs, "/b.txt") == b"bbbb"
    assert fs.list_trash(USER)[0].size == 3  # the deleted folder lost b.txt
    assert fs.stat(USER, "/").size == 4


def test_purge_non_empty_folder_and_empty_trash(fs: DecomposedFS) -> None:
    make_tree(fs)
    docs_id = fs.stat(USER, "/docs").id
    fs.delete(USER, "/docs")
    fs.purge_trash(USER, docs_id)
    assert fs.list_trash(USER) == []
    assert not (fs.root / "nodes" / docs_id).exists()
    put(fs, "/x", b"1")
    fs.mkdir(USER, "/y")
    put(fs, "/y/z", b"2")
    fs.delete(USER, "/x")
    fs.delete(USER, "/y")
    fs.empty_trash(USER)
    assert fs.list_trash(USER) == []
    assert os.listdir(fs.root / "blobs") == []
    with pytest.raises(NotFound):
        fs.purge_trash(USER, docs_id)


def test_revisions_follow_moves_restore_and_delete(fs: DecomposedFS) -> None:
    fid, _ = put(fs, "/v.txt", b"version one", mtime=1000.0)
    put(fs, "/v.txt", b"version two!", mtime=2000.0)
    fs.move(USER, "/v.txt", "/renamed.txt")
    revs = fs.list_revisions(fid)
    assert len(revs) == 1 and revs[0].size == 11 and revs[0].mtime == 1000.0
    _, fh = fs.open_revision(fid, revs[0].key)
    with fh:
        assert fh.read() == b"version one"
    info = fs.restore_revision(fid, revs[0].key)
    assert info.id == fid and read(fs, "/renamed.txt") == b"version one" and info.size == 11
    assert fs.stat(USER, "/").size == 11
    revs = fs.list_revisions(fid)
    assert len(revs) == 1
    _, fh = fs.open_revision(fid, revs[0].key)
    with fh:
        assert fh.read() == b"version two!"
    fs.delete_revision(fid, revs[0].key)
    assert fs.list_revisions(fid) == []
    for bad in ("nope", "123", "../x"):
        with pytest.raises(NotFound):
            fs.open_revision(fid, bad)


def test_revision_count_limit(tmp_path: Path) -> None:
    fs = open_storage(tmp_path / "r", "auto", max_revisions=2)
    fs.home(USER)
    fid, _ = put(fs, "/f", b"0")
    for i in range(1, 5):
        put(fs, "/f", str(i).encode())
    assert len(fs.list_revisions(fid)) == 2
    assert len(os.listdir(fs.root / "blobs")) == 3  # current + two revisions


def test_restore_revision_respects_quota(tmp_path: Path) -> None:
    fs = open_storage(tmp_path / "q", "auto", quota_for=lambda _s: 10)
    fs.home(USER)
    fid, _ = put(fs, "/f", b"123456789")
    put(fs, "/f", b"1")
    put(fs, "/g", b"12345")
    with pytest.raises(InsufficientStorage):
        fs.restore_revision(fid, fs.list_revisions(fid)[0].key)
    assert read(fs, "/f") == b"1"


def test_favorites(fs: DecomposedFS) -> None:
    fid, _ = put(fs, "/fav.txt", b"x")
    assert fs.favorites(USER) == set()
    fs.set_favorite(USER, fid, True)
    fs.set_favorite(USER, fid, True)
    assert fs.favorites(USER) == {fid}
    fs.set_favorite(USER, fid, False)
    assert fs.favorites(USER) == set()


def test_search_is_kept_current(fs: DecomposedFS) -> None:
    make_tree(fs)
    assert [i.path for i in fs.search(USER, "TXT")] == ["/docs/a.txt", "/docs/sub/b.txt"]
    fs.move(USER, "/docs/a.txt", "/docs/sub/Alpha.md")
    put(fs, "/new-alpha.txt", b"")
    assert [i.path for i in fs.search(USER, "alpha")] == ["/docs/sub/Alpha.md", "/new-alpha.txt"]
    fs.delete(USER, "/docs")
    assert [i.path for i in fs.search(USER, "alpha")] == ["/new-alpha.txt"]
    fs.restore_trash(USER, fs.list_trash(USER)[0].key, "/docs")
    assert len(fs.search(USER, "alpha", limit=1)) == 1
    assert [i.path for i in fs.search(USER, ".")] == ["/docs/sub/Alpha.md", "/docs/sub/b.txt", "/new-alpha.txt"]
    with pytest.raises(BadRequest):
        fs.search(USER, "  ")
    other = "f7fbf8c8-139b-4376-b307-cf0a8c2d0d9c"
    fs.home(other)
    assert fs.search(other, "alpha") == []
