"""``STORAGE_FSYNC``: uploads are fsynced before they become visible unless it is turned off."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from storage_util import USER

from ocis.config.loader import load_config
from ocis.storage.decomposedfs import open_storage


def test_setting(tmp_path: Path) -> None:
    assert load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path)}).storage.fsync is True
    cfg = load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path), "STORAGE_FSYNC": "false"})
    assert cfg.storage.fsync is False


@pytest.mark.parametrize("fsync", [True, False])
def test_upload_fsyncs_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool) -> None:
    fs = open_storage(tmp_path / "s", fsync=fsync)
    fs.home(USER)
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    up = fs.begin_upload(USER, "/a.txt", length=3)
    up.write(b"abc")
    info, created = up.commit()
    assert created and info.size == 3
    assert bool(calls) is fsync
    _, fh = fs.open_blob(USER, "/a.txt")
    with fh:
        assert fh.read() == b"abc"


@pytest.mark.parametrize("fsync", [True, False])
def test_write_file_fsyncs_only_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fsync: bool) -> None:
    fs = open_storage(tmp_path / "s", fsync=fsync)
    fs.home(USER)
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    info, created = fs.write_file(USER, "/a.txt", b"abc")
    assert created and info.size == 3
    assert bool(calls) is fsync
