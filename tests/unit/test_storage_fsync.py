"""``STORAGE_FSYNC``: uploads are fsynced before they become visible unless it is turned off."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from storage_util import USER

from ocis.config.loader import load_config
from ocis.storage.api import NodeInfo
from ocis.storage.decomposedfs import DecomposedFS, open_storage


def test_setting(tmp_path: Path) -> None:
    assert load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path)}).storage.fsync is True
    cfg = load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path), "STORAGE_FSYNC": "false"})
    assert cfg.storage.fsync is False


def _stream(fs: DecomposedFS) -> tuple[NodeInfo, bool]:
    up = fs.begin_upload(USER, "/a.txt", length=3)
    up.write(b"abc")
    return up.commit()


def _whole(fs: DecomposedFS) -> tuple[NodeInfo, bool]:
    return fs.write_file(USER, "/a.txt", b"abc")


def _tus(fs: DecomposedFS) -> tuple[NodeInfo, bool]:
    session = fs.sessions.create(USER, "/a.txt", 3, USER)
    fs.sessions.append(session.id, 0, [b"abc"])
    return fs.sessions.finish(session.id)


def _chunks(fs: DecomposedFS) -> tuple[NodeInfo, bool]:
    for index, piece in enumerate((b"ab", b"c")):
        chunk = fs.sessions.begin_chunk(USER, USER, "/a.txt", "t1", 2, index)
        chunk.write(piece)
        chunk.commit()
    done = fs.sessions.assemble_chunks(USER, "/a.txt", "t1", 2)
    assert done is not None
    return done


@pytest.mark.parametrize("write", [_stream, _whole, _tus, _chunks],
                         ids=["begin_upload", "write_file", "tus", "chunking_v1"])
@pytest.mark.parametrize("fsync", [True, False])
def test_uploads_fsync_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool,
                                       write: Callable[[DecomposedFS], tuple[NodeInfo, bool]]) -> None:
    fs = open_storage(tmp_path / "s", fsync=fsync)
    fs.home(USER)
    calls: list[int] = []
    for name in ("fsync", "fdatasync"):  # the file's content, by either call
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda fd, real=real: (calls.append(fd), real(fd))[1])
    info, created = write(fs)
    assert created and info.size == 3
    assert bool(calls) is fsync
    _, fh = fs.open_blob(USER, "/a.txt")
    with fh:
        assert fh.read() == b"abc"


@pytest.mark.parametrize("write", [_stream, _whole, _tus, _chunks],
                         ids=["begin_upload", "write_file", "tus", "chunking_v1"])
def test_uploads_work_where_python_has_no_fdatasync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    write: Callable[[DecomposedFS], tuple[NodeInfo, bool]]) -> None:
    """macOS: os.fdatasync does not exist; content is synced with fsync instead."""
    monkeypatch.delattr(os, "fdatasync", raising=False)
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    fs = open_storage(tmp_path / "s", fsync=True)
    fs.home(USER)
    info, created = write(fs)
    assert created and info.size == 3 and calls
