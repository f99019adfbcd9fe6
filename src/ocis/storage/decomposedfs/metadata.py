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

import errno
import os
from pathlib import Path
from typing import Any, Protocol

import msgpack

ATTR = "user.ocis.md"
_SPILL_ERRNOS = {errno.ENOSPC, errno.E2BIG, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ERANGE}
_MISSING_ERRNOS = {errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP}

Record = dict[str, Any]


def _pack(record: Record) -> bytes:
    return msgpack.packb(record, use_bin_type=True)  # type: ignore[no-any-return]


def _unpack(data: bytes) -> Record:
    record = msgpack.unpackb(data, raw=False)
    if not isinstance(record, dict):
        raise ValueError("corrupt metadata record")
    return record


def _sidecar(path: Path | str) -> Path:
    return Path(f"{path}.mpk")


def _write_file_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


class MetadataBackend(Protocol):
    name: str

    def read(self, path: Path | str) -> Record:
        """Read a node's record. Raises FileNotFoundError when the node has none."""

    def write(self, path: Path, record: Record) -> None:
        """Replace a node's record atomically."""

    def remove(self, path: Path) -> None:
        """Forget a node's record (the node itself is removed by the caller)."""


class SidecarBackend:
    name = "sidecar"

    def read(self, path: Path | str) -> Record:
        with open(_sidecar(path), "rb") as fh:
            return _unpack(fh.read())

    def write(self, path: Path, record: Record) -> None:
        _write_file_atomic(_sidecar(path), _pack(record))

    def remove(self, path: Path) -> None:
        try:
            os.unlink(_sidecar(path))
        except FileNotFoundError:
            pass


class XattrBackend:
    name = "xattrs"

    def __init__(self) -> None:
        self._sidecar = SidecarBackend()

    def read(self, path: Path | str) -> Record:
        try:
            return _unpack(os.getxattr(path, ATTR, follow_symlinks=False))
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                raise FileNotFoundError(str(path)) from None
            if exc.errno not in _MISSING_ERRNOS:
                raise
        return self._sidecar.read(path)  # spilled record

    def write(self, path: Path, record: Record) -> None:
        data = _pack(record)
        try:
            os.setxattr(path, ATTR, data, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in _SPILL_ERRNOS:
                raise
            self._sidecar.write(path, record)
            return
        self._sidecar.remove(path)  # a record that spilled earlier is stale now

    def remove(self, path: Path) -> None:
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
