"""Getting upload content to the disk: :func:`datasync`, and early writeback of content that will
be synced, so the disk writes while the body still streams in.

Why: an upload is fsynced before it becomes visible (``STORAGE_FSYNC``). Without help the kernel
keeps its pages dirty until the end (background writeback starts at 10 % of RAM or after 30 s),
so that final fsync writes the whole file at once while the client waits for the answer: about
0.5 s per GiB here, minutes on an SD card, and on a small-RAM board the dirty pages crowd out
everything else. :class:`Writeback` asks Linux to start writing each ``WINDOW`` bytes as soon as
they are written (``sync_file_range(SYNC_FILE_RANGE_WRITE)``, which does not wait), and waits for
the window before that one to reach the disk (``SYNC_FILE_RANGE_WAIT_BEFORE``): an upload holds
at most about two windows of dirty pages, and the final fsync only waits for the tail.

``sync_file_range`` is Linux-only and makes nothing durable by itself (no metadata, no disk
cache flush): the fsync at the end stays the durability point. Elsewhere (macOS) or if the call
fails (a filesystem that does not support it), this does nothing.
"""

from __future__ import annotations

import ctypes
import os

from ocis.core import libc

WINDOW = 8 * 1024 * 1024  # bytes handed to the disk at a time

_WAIT_BEFORE = 1  # SYNC_FILE_RANGE_WAIT_BEFORE
_WRITE = 2        # SYNC_FILE_RANGE_WRITE
_WAIT_AFTER = 4   # SYNC_FILE_RANGE_WAIT_AFTER

_sync_file_range = libc.function("sync_file_range", [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint],
                                 ctypes.c_int)


def datasync(fd: int) -> None:
    """Make the content of ``fd`` durable: ``fdatasync`` (the data, and only the metadata needed to
    read it back, such as the size; ~0.1 ms less than ``fsync`` per small file here), or ``fsync``
    where Python has no ``fdatasync`` (macOS).

    Raises:
        OSError: from the call (EIO, ENOSPC...).
    """
    sync = getattr(os, "fdatasync", None) or os.fsync
    sync(fd)


class Writeback:
    """Start writeback of ``fd`` window by window as it grows (see the module docstring).

    Args:
        fd: an open file being written sequentially from offset ``start`` (bytes).
        enabled: False (e.g. fsync is off) makes every call a no-op.
        window: bytes per writeback request (default :data:`WINDOW`).
    """

    def __init__(self, fd: int, start: int = 0, *, enabled: bool = True, window: int | None = None) -> None:
        self._fd = fd
        self._window = window or WINDOW
        self._started = start   # bytes before this offset have been handed to the disk
        self._written = start   # end of what was written
        self._on = enabled and _sync_file_range is not None

    def wrote(self, nbytes: int) -> None:
        """Account for ``nbytes`` more bytes written at the end; may block while the disk catches up
        with the window before the last one."""
        self._written += nbytes
        if not self._on:
            return
        while self._written - self._started >= self._window:
            offset = self._started
            previous = offset - self._window
            if previous >= 0:
                self._call(previous, self._window, _WAIT_BEFORE | _WRITE | _WAIT_AFTER)
            self._call(offset, self._window, _WRITE)
            self._started = offset + self._window

    def _call(self, offset: int, length: int, flags: int) -> None:
        assert _sync_file_range is not None
        if _sync_file_range(self._fd, offset, length, flags) != 0:
            self._on = False  # EINVAL/ESPIPE/ENOSYS: not for this file; the final fsync still runs
