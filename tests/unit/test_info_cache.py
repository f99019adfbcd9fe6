"""The storage's NodeInfo cache (keyed on the record's bytes): every change shows at once."""

from __future__ import annotations

from storage_util import USER, put

from ocis.storage.decomposedfs import DecomposedFS, open_storage


def test_changes_show_in_stat_and_listing(fs: DecomposedFS) -> None:
    fs.mkdir(USER, "/d")
    put(fs, "/d/f", b"one")
    first = fs.stat(USER, "/d/f")
    assert fs.stat(USER, "/d/f") is first  # unchanged: the same snapshot
    folder = fs.stat(USER, "/d")
    put(fs, "/d/f", b"second")
    second = fs.stat(USER, "/d/f")
    assert second.etag != first.etag and second.size == 6
    assert fs.list_dir(USER, "/d")[0] == second
    assert fs.stat(USER, "/d").etag != folder.etag and fs.stat(USER, "/d").size == 6
    fs.set_mtime(USER, "/d/f", 1234.0)
    assert fs.list_dir(USER, "/d")[0].mtime == 1234.0
    fs.move(USER, "/d/f", "/d/g")
    (moved,) = fs.list_dir(USER, "/d")
    assert moved.path == "/d/g" and moved.name == "g" and moved.id == first.id
    fs.move(USER, "/d", "/e")  # the child's record is unchanged, its path is not
    assert fs.list_dir(USER, "/e")[0].path == "/e/g"


def test_another_writer_is_seen(tmp_path: object) -> None:
    """A second storage object on the same root (as another process would be)."""
    from pathlib import Path

    root = Path(str(tmp_path))
    a = open_storage(root, "auto")
    a.home(USER)
    put(a, "/f", b"1")
    before = a.stat(USER, "/f")
    b = open_storage(root, "auto")
    put(b, "/f", b"22")
    after = a.stat(USER, "/f")
    assert after.etag != before.etag and after.size == 2
