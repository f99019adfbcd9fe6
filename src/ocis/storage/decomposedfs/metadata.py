"""Per-node metadata backends: one compact msgpack record per node.

* ``xattrs``: the record lives in the extended attribute ``user.ocis.md`` of the node's inode. ext4
  gives all attributes of an inode ~4 KiB together, so only small, bounded fields go there (see
  ``node.py``); unbounded data (dead properties, grants) lives in files beside the node. When the
  attribute cannot be written (ENOSPC/E2BIG: full; ENOTSUP: not supported there) the record
  spills to the sidecar file, and reads fall back to it.
* ``sidecar``: the record lives in ``<node>.mpk`` beside the node, written atomically
  (temp file + rename). For filesystems without user xattrs (tmpfs on old kernels, some FUSE and
  network mounts, Termux/Android storage).

The backend is chosen by :func:`detect` at startup (or forced by config) and recorded in
``<root>/.metadata-backend``.
"""

from __future__ import annotations

import ctypes
import errno
import os
import sys
import threading
from pathlib import Path
from typing import Any, Protocol

import msgpack

from ocis.core import libc

ATTR = "user.ocis.md"
_SPILL_ERRNOS = {errno.ENOSPC, errno.E2BIG, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ERANGE}
_MISSING_ERRNOS = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP}

_MAX_SPILLED = 10_000

Record = dict[str, Any]

# Reading the attribute: os.getxattr asks with a 128-byte buffer first, and every folder and file
# record is longer (160-300 bytes), so each read cost ERANGE + a retry with a 64 KiB buffer. libc's
# lgetxattr with a per-thread 1 KiB buffer reads it in one call; os.getxattr stays the fallback
# for longer records (ERANGE) and where libc cannot be loaded.
_BUF_SIZE = 1024
_ATTR_B = ATTR.encode()
_FS_ENCODING, _FS_ERRORS = sys.getfilesystemencoding(), sys.getfilesystemencodeerrors()
_local = threading.local()


# Linux only (the macOS binary uses the sidecar backend)
_lgetxattr = libc.function("lgetxattr", [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t],
                           ctypes.c_ssize_t)


def _getxattr(path: Path | str) -> bytes:
    """The record attribute of ``path`` (not following symlinks). Raises OSError like os.getxattr."""
    if _lgetxattr is None:
        return os.getxattr(path, ATTR, follow_symlinks=False)
    try:
        buf = _local.buf
    except AttributeError:
        buf = _local.buf = ctypes.create_string_buffer(_BUF_SIZE)
    n = _lgetxattr(os.fspath(path).encode(_FS_ENCODING, _FS_ERRORS), _ATTR_B, buf, _BUF_SIZE)
    if n >= 0:
        return buf[:n]  # type: ignore[no-any-return]
    err = ctypes.get_errno()
    if err == errno.ERANGE:  # longer than the buffer: let os.getxattr size it
        return os.getxattr(path, ATTR, follow_symlinks=False)
    raise OSError(err, os.strerror(err), os.fspath(path))


def _pack(record: Record) -> bytes:
    return msgpack.packb(record, use_bin_type=True)  # type: ignore[no-any-return]


def unpack(data: bytes) -> Record:
    record = msgpack.unpackb(data, raw=False)
    if not isinstance(record, dict):
        raise ValueError("corrupt metadata record")
    return record


def _sidecar(path: Path | str) -> str:
    return f"{path}.mpk"


def _read_file(path: str) -> bytes:
    """A small file's content: open + read + close (a buffered ``open`` adds fstat, ioctl, lseek)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, 4096)]
        while chunks[-1]:  # until EOF: a short read is not proof of EOF on every filesystem
            chunks.append(os.read(fd, 65536))
    finally:
        os.close(fd)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd`` (``os.write`` may write less than asked)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _write_file_atomic(path: Path | str, data: bytes) -> None:
    head, _, name = os.fspath(path).rpartition(os.sep)
    tmp = f"{head}{os.sep}.{name}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        write_all(fd, data)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class MetadataBackend(Protocol):
    name: str

    def read_raw(self, path: Path | str) -> bytes:
        """A node's packed record (``unpack`` makes it a dict). Raises FileNotFoundError when the
        node has none."""

    def read(self, path: Path | str) -> Record:
        """Read a node's record. Raises FileNotFoundError when the node has none."""

    def write(self, path: Path | str, record: Record) -> None:
        """Replace a node's record atomically."""

    def remove(self, path: Path | str) -> None:
        """Forget a node's record (the node itself is removed by the caller)."""


class SidecarBackend:
    name = "sidecar"

    def read_raw(self, path: Path | str) -> bytes:
        return _read_file(_sidecar(path))

    def read(self, path: Path | str) -> Record:
        return unpack(_read_file(_sidecar(path)))

    def write(self, path: Path | str, record: Record) -> None:
        _write_file_atomic(_sidecar(path), _pack(record))

    def remove(self, path: Path | str) -> None:
        try:
            os.unlink(_sidecar(path))
        except FileNotFoundError:
            pass


class XattrBackend:
    """Records in ``user.ocis.md``; a record the attribute cannot hold spills to the sidecar file.

    Invariant: when a node has the attribute, the attribute is its record and a sidecar file
    beside it (if any) is stale; the sidecar is read only when the attribute is missing. A spill
    therefore writes the sidecar first and then removes the attribute.
    """

    name = "xattrs"

    def __init__(self) -> None:
        self._sidecar = SidecarBackend()
        # Nodes seen with a live sidecar (read from it, or spilled here): a later successful
        # attribute write removes it. Only tidiness depends on this set (see the invariant), so
        # another process's spills, or forgetting the set when it grows, cost a stale file at most.
        self._spilled: set[str] = set()

    def read_raw(self, path: Path | str) -> bytes:
        try:
            return _getxattr(path)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(str(path)) from None
            if exc.errno not in _MISSING_ERRNOS:
                raise
        data = self._sidecar.read_raw(path)  # spilled record (or one written by the sidecar backend)
        if len(self._spilled) >= _MAX_SPILLED:
            self._spilled.clear()
        self._spilled.add(os.fspath(path))
        return data

    def read(self, path: Path | str) -> Record:
        return unpack(self.read_raw(path))

    def write(self, path: Path | str, record: Record) -> None:
        data = _pack(record)
        key = os.fspath(path)
        try:
            os.setxattr(key, ATTR, data, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _SPILL_ERRNOS:
                raise
            self._sidecar.write(key, record)
            self._spilled.add(key)
            try:  # an older, smaller record in the attribute would hide the sidecar
                os.removexattr(key, ATTR, follow_symlinks=False)
            except OSError as rm_exc:
                if rm_exc.errno not in _MISSING_ERRNOS:
                    raise
            return
        if key in self._spilled:  # the sidecar is stale now
            self._spilled.discard(key)
            self._sidecar.remove(key)

    def remove(self, path: Path | str) -> None:
        self._spilled.discard(os.fspath(path))
        self._sidecar.remove(path)


def xattrs_supported(directory: Path) -> bool:
    """True if files in ``directory`` accept a user xattr of a few hundred bytes."""
    if not hasattr(os, "setxattr"):  # Python has os.*xattr on Linux only (macOS binary: sidecar)
        return False
    probe = directory / f".xattr-probe-{os.getpid()}"
    try:
        probe.write_bytes(b"")
    except OSError as exc:  # read-only or not ours: say so, not "no xattrs"
        raise ValueError(f"STORAGE_USERS_ROOT: cannot write in {directory}: {exc.strerror}") from None
    try:
        os.setxattr(probe, ATTR, b"x" * 512)
        return os.getxattr(probe, ATTR) == b"x" * 512
    except OSError:
        return False
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


def detect(root: Path, requested: str) -> MetadataBackend:
    """Choose the backend for the storage at ``root`` and record the choice.

    Args:
        root: the storage root (must exist).
        requested: ``auto``, ``xattrs`` or ``sidecar``.

    Raises:
        ValueError: unknown name; ``xattrs`` requested where the filesystem has none; or a switch
            from an ``xattrs`` storage to ``sidecar`` (its records would be unreadable).
    """
    if requested not in ("auto", "xattrs", "sidecar"):
        raise ValueError(f"STORAGE_METADATA_BACKEND: expected auto, xattrs or sidecar, got {requested!r}")
    marker = root / ".metadata-backend"
    recorded = marker.read_text().strip() if marker.exists() else ""
    has_xattrs = xattrs_supported(root)
    if requested == "xattrs" and not has_xattrs:
        raise ValueError(f"STORAGE_METADATA_BACKEND: {root} does not support user extended attributes")
    if requested == "auto":
        chosen = recorded or ("xattrs" if has_xattrs else "sidecar")
        if chosen == "xattrs" and not has_xattrs:
            raise ValueError(f"storage {root} was written with xattrs, but this filesystem has none")
    else:
        chosen = requested
        if recorded == "xattrs" and chosen == "sidecar":
            raise ValueError(
                f"STORAGE_METADATA_BACKEND: storage {root} was written with xattrs; cannot switch to sidecar"
            )
    if chosen != recorded:
        _write_file_atomic(marker, chosen.encode() + b"\n")
    backend: MetadataBackend = XattrBackend() if chosen == "xattrs" else SidecarBackend()
    _check_readable(root, backend)
    return backend


def _check_readable(root: Path, backend: MetadataBackend) -> None:
    """Refuse to start on a storage whose records are gone, e.g. a copy made without extended
    attributes (``cp -r``): every request would fail later. One space root is enough to tell."""
    spaces = root / "spaces"
    if not spaces.is_dir():
        return
    for entry in os.scandir(spaces):
        try:
            backend.read(root / "nodes" / entry.name)
        except FileNotFoundError:
            raise ValueError(
                f"storage {root}: node metadata is missing ({backend.name} backend) - was the data directory "
                "copied without extended attributes? Copy it with 'cp -a' or 'rsync -aX'"
            ) from None
        return
