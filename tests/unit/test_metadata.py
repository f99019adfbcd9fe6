"""Metadata backends: the attribute read buffer, spills to the sidecar file and back, migration."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from storage_util import USER, put

from ocis.storage.decomposedfs import DecomposedFS, open_storage
from ocis.storage.decomposedfs import metadata as md
from ocis.storage.decomposedfs.metadata import ATTR, SidecarBackend, XattrBackend


def _node(tmp_path: Path) -> Path:
    node = tmp_path / "node"
    node.write_bytes(b"")
    return node


@pytest.mark.parametrize("size", [10, 127, 128, 1023, 1024, 1025, 3000])
def test_records_of_any_size_read_back(tmp_path: Path, size: int) -> None:
    """Records longer than the first read buffer (1 KiB) still read right."""
    for backend in (XattrBackend(), SidecarBackend()):
        node = _node(tmp_path)
        rec = {"n": "x" * size, "d": True}
        backend.write(node, rec)
        assert backend.read(node) == rec
        assert backend.read(str(node)) == rec
        node.unlink()
        backend.remove(node)


def test_missing_node_is_file_not_found(tmp_path: Path) -> None:
    for backend in (XattrBackend(), SidecarBackend()):
        with pytest.raises(FileNotFoundError):
            backend.read(tmp_path / "gone")


def test_spill_and_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record the attribute cannot hold spills to the sidecar and hides an older attribute;
    when it fits again, the attribute holds it and the stale sidecar is removed."""
    backend = XattrBackend()
    node = _node(tmp_path)
    backend.write(node, {"v": 1})
    real_setxattr = os.setxattr

    def full(path: object, attr: str, data: bytes, *a: object, **kw: object) -> None:
        raise OSError(errno.ENOSPC, "no space")

    monkeypatch.setattr(os, "setxattr", full)
    backend.write(node, {"v": 2})
    assert Path(f"{node}.mpk").exists()
    assert backend.read(node) == {"v": 2}  # not the old attribute
    monkeypatch.setattr(os, "setxattr", real_setxattr)
    assert XattrBackend().read(node) == {"v": 2}  # another process sees the same
    backend.write(node, {"v": 3})
    assert backend.read(node) == {"v": 3}
    assert not Path(f"{node}.mpk").exists()


def test_sidecar_written_elsewhere_is_removed_after_read(tmp_path: Path) -> None:
    """Migration from the sidecar backend (or another process's spill): read from the sidecar,
    then the first attribute write removes it."""
    node = _node(tmp_path)
    SidecarBackend().write(node, {"v": 1})
    backend = XattrBackend()
    assert backend.read(node) == {"v": 1}
    backend.write(node, {"v": 2})
    assert not Path(f"{node}.mpk").exists()
    assert os.getxattr(node, ATTR)
    assert XattrBackend().read(node) == {"v": 2}


def test_stale_sidecar_never_wins(tmp_path: Path) -> None:
    """A sidecar this process never read (so not removed) stays invisible behind the attribute."""
    node = _node(tmp_path)
    SidecarBackend().write(node, {"v": "stale"})
    backend = XattrBackend()
    backend.write(node, {"v": "new"})  # no read first: the sidecar is left
    assert backend.read(node) == {"v": "new"}
    backend.remove(node)
    assert not Path(f"{node}.mpk").exists()


def test_fallback_without_libc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(md, "_lgetxattr", None)
    backend = XattrBackend()
    node = _node(tmp_path)
    backend.write(node, {"n": "y" * 2000})
    assert backend.read(node) == {"n": "y" * 2000}


def test_storage_switched_from_sidecar_to_xattrs(tmp_path: Path) -> None:
    old = open_storage(tmp_path, "sidecar")
    old.home(USER)
    put(old, "/f", b"one")
    fs: DecomposedFS = open_storage(tmp_path, "xattrs")
    assert fs.stat(USER, "/f").size == 3
    put(fs, "/f", b"second")  # overwrites: the records move into attributes
    assert fs.stat(USER, "/f").size == 6 and fs.stat(USER, "/").size == 6
    node = fs.stat(USER, "/f").id
    assert not (tmp_path / "nodes" / f"{node}.mpk").exists()
    assert not (tmp_path / "nodes" / f"{USER}.mpk").exists()
