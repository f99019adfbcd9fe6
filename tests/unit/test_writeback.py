"""storage.decomposedfs.writeback: each full window is handed to the disk as it is written, the one
before it waited for; files where sync_file_range does not apply (a pipe) turn it off quietly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from storage_util import USER

from ocis.core import libc
from ocis.storage.decomposedfs import open_storage, writeback
from ocis.storage.decomposedfs.writeback import Writeback

pytestmark = pytest.mark.skipif(writeback._sync_file_range is None,
                                reason="sync_file_range is Linux-only (CI and make test run on Linux)")

WRITE = 2
WAIT_ALL = 1 | 2 | 4
KIB64 = 64 * 1024


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """The real sync_file_range, with each call recorded as (offset, length, flags)."""
    real = writeback._sync_file_range
    assert real is not None
    seen: list[tuple[int, int, int]] = []

    def spy(fd: int, offset: int, length: int, flags: int) -> int:
        seen.append((offset, length, flags))
        return real(fd, offset, length, flags)

    monkeypatch.setattr(writeback, "_sync_file_range", spy)
    return seen


def test_windows_are_started_in_order_and_the_previous_one_awaited(tmp_path: Path,
                                                                   calls: list[tuple[int, int, int]]) -> None:
    data = os.urandom(3 * KIB64 + 1000)
    path = tmp_path / "f"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        wb = Writeback(fd, window=KIB64)
        for i in range(0, len(data), 10_000):  # writes that do not line up with the windows
            block = data[i:i + 10_000]
            os.write(fd, block)
            wb.wrote(len(block))
        os.fsync(fd)
    finally:
        os.close(fd)
    assert calls == [(0, KIB64, WRITE),
                     (0, KIB64, WAIT_ALL), (KIB64, KIB64, WRITE),
                     (KIB64, KIB64, WAIT_ALL), (2 * KIB64, KIB64, WRITE)]
    assert path.read_bytes() == data


def test_a_resumed_file_starts_at_its_offset(tmp_path: Path, calls: list[tuple[int, int, int]]) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 5000)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    try:
        wb = Writeback(fd, 5000, window=KIB64)
        os.write(fd, b"y" * KIB64)
        wb.wrote(KIB64)
    finally:
        os.close(fd)
    assert calls == [(5000, KIB64, WRITE)]


def test_disabled_makes_no_call(tmp_path: Path, calls: list[tuple[int, int, int]]) -> None:
    fd = os.open(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        wb = Writeback(fd, enabled=False, window=KIB64)
        os.write(fd, b"z" * 3 * KIB64)
        wb.wrote(3 * KIB64)
    finally:
        os.close(fd)
    assert calls == []


def test_a_pipe_turns_it_off_without_an_error(calls: list[tuple[int, int, int]]) -> None:
    r, w = os.pipe()
    try:
        wb = Writeback(w, window=16)
        for _ in range(4):
            os.write(w, b"p" * 16)
            wb.wrote(16)  # ESPIPE on the first call: no exception, no further calls
    finally:
        os.close(r)
        os.close(w)
    assert calls == [(0, 16, WRITE)]


@pytest.mark.parametrize("fsync", [True, False])
def test_uploads_use_it_only_when_they_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             calls: list[tuple[int, int, int]], fsync: bool) -> None:
    monkeypatch.setattr(writeback, "WINDOW", KIB64)
    fs = open_storage(tmp_path / "s", fsync=fsync)
    fs.home(USER)
    data = os.urandom(4 * KIB64)
    up = fs.begin_upload(USER, "/big.bin", length=len(data))
    for i in range(0, len(data), KIB64):
        up.write(data[i:i + KIB64])
    info, created = up.commit()
    assert created and info.size == len(data)
    assert bool(calls) is fsync
    _, fh = fs.open_blob(USER, "/big.bin")
    with fh:
        assert fh.read() == data


def test_no_libc_function_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert libc.function("sync_file_range", [], None) is None
