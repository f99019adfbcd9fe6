"""Uploads: content is written aside into ``uploads/``, checksummed while it streams, and only
made visible by :meth:`FileUpload.commit` (blob rename + record + one child link)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import msgpack

from ocis.core.checksums import Hasher
from ocis.core.errors import ChecksumMismatch, Conflict, InsufficientStorage, PreconditionFailed
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo, Quota
from ocis.storage.decomposedfs.metadata import write_all
from ocis.storage.decomposedfs.node import Record, etag_of, size_of, to_info
from ocis.storage.decomposedfs.writeback import Writeback, datasync

if TYPE_CHECKING:
    from ocis.storage.decomposedfs.tree import Tree


def write_new_file(path: str, data: bytes, fsync: bool) -> None:
    """Create ``path`` (it must not exist) with ``data``; fsync it if asked. os.open/os.write: a
    buffered file object would add fstat, ioctl and lseek calls."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        write_all(fd, data)
        if fsync:
            datasync(fd)
    finally:
        os.close(fd)


class FileUpload:
    """One file being uploaded to ``path`` in ``space_id``. Not thread-safe (one writer)."""

    def __init__(self, tree: Tree, space_id: str, path: str,
                 remaining_quota: Callable[[], int | None], space_quota: Callable[[], Quota]) -> None:
        self._tree = tree
        self._space_id = space_id
        self._path = path
        self._remaining_quota = remaining_quota  # estimate while streaming (overwrite frees old size)
        self._space_quota = space_quota          # exact check at commit, under the tree lock
        self._tmp = f"{tree.uploads}{os.sep}{uuid.uuid4().hex}"
        self._fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
        self._writeback = Writeback(self._fd, enabled=tree.fsync)  # the fsync at commit waits for the tail only
        self._hasher = Hasher()
        self._size = 0
        self._done = False

    @property
    def size(self) -> int:
        return self._size

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("upload already finished")
        left = self._remaining_quota()
        if left is not None and self._size + len(data) > left:
            self.abort()
            raise InsufficientStorage("quota exceeded")
        self._hasher.update(data, alongside=lambda: self._write(data))
        self._size += len(data)

    def _write(self, data: bytes) -> None:
        write_all(self._fd, data)
        self._writeback.wrote(len(data))

    def _close(self) -> None:
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._close()
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass

    def commit(self, *, mtime: float | None = None, checksum: tuple[str, str] | None = None,
               if_match: str | None = None, if_none_match: bool = False) -> tuple[NodeInfo, bool]:
        if self._done:
            raise ValueError("upload already finished")
        try:
            if self._tree.fsync:
                datasync(self._fd)
            self._close()
            return commit_content(self._tree, self._space_id, self._path, self._tmp, self._size,
                                  self._hasher.digests(), quota=self._space_quota, mtime=mtime,
                                  checksum=checksum, if_match=if_match, if_none_match=if_none_match)
        except BaseException:
            self.abort()
            raise
        finally:
            self._done = True


def _check_checksum(checksum: tuple[str, str] | None, digests: dict[str, str]) -> None:
    if checksum is not None and digests.get(checksum[0]) != checksum[1]:
        raise ChecksumMismatch(
            f"the {checksum[0]} checksum of the content is {digests.get(checksum[0])}, the client sent {checksum[1]}"
        )


def commit_content(tree: Tree, space_id: str, path: str, content: Path | str, size: int, digests: dict[str, str],
                   *, quota: Callable[[], Quota], mtime: float | None = None,
                   checksum: tuple[str, str] | None = None, if_match: str | None = None,
                   if_none_match: bool = False) -> tuple[NodeInfo, bool]:
    """Make the finished file ``content`` (in uploads/) the node at ``path``, atomically.

    The file is renamed into ``blobs/``; an overwritten file keeps its id and its previous content
    becomes a revision; the new file becomes visible with one child link. Used by plain PUT,
    TUS and chunked uploads alike.

    Args:
        digests: the content's checksums (see ``core.checksums.Hasher``).
        quota: the space's quota, checked under the tree lock.
        mtime, checksum, if_match, if_none_match: see ``storage.api.Upload.commit``.

    Raises:
        ChecksumMismatch, PreconditionFailed, Conflict, InsufficientStorage. ``content`` is left in
        place on error (the caller discards it).
    """
    _check_checksum(checksum, digests)
    with tree.lock:
        parent_id, parent_path, name, parent = tree.find_parent(space_id, path)
        if parent_id is None:
            raise Conflict("parent folder does not exist")
        if parent is None:
            raise Conflict("parent is not a folder")
        known: dict[str, Record] = {parent_id: parent}
        existing = tree.child_id(parent_id, name)
        old = tree.read(existing) if existing else None
        if old is not None and old.get("d"):
            raise Conflict("a folder exists at that path")
        if if_none_match and old is not None:
            raise PreconditionFailed("the file exists (If-None-Match: *)")
        _check_if_match(if_match, existing, old)
        old_size = int(old.get("bs", 0)) if old else 0
        q = quota()
        if q.total is not None and q.used - old_size + size > q.total:
            raise InsufficientStorage("quota exceeded")
        return _place(tree, space_id, parent_id, parent_path, name, existing, old, content, uuid.uuid4().hex,
                      size, digests, mtime, known)


def write_whole(tree: Tree, space_id: str, path: str, data: bytes, *, quota_total: Callable[[], int | None],
                mtime: float | None = None, checksum: tuple[str, str] | None = None, if_match: str | None = None,
                if_none_match: bool = False,
                precheck: Callable[[NodeInfo | None], None] | None = None) -> tuple[NodeInfo, bool]:
    """``DecomposedFS.write_file``: the content is written aside first, then every check runs and
    the file is placed under one hold of the tree lock, resolving the path once. The checks come
    in the order a ``stat`` + ``begin_upload`` + ``write`` + ``commit`` sequence makes them."""
    digests_of = Hasher()
    digests_of.update(data)
    digests = digests_of.digests()
    blob_id = uuid.uuid4().hex  # the upload file becomes the blob under the same (unique) name
    tmp = f"{tree.uploads}{os.sep}{blob_id}"
    write_new_file(tmp, data, tree.fsync)
    try:
        with tree.lock:
            parent_id, parent_path, name, parent = tree.find_parent(space_id, path)
            existing = tree.child_id(parent_id, name) if parent_id is not None and parent is not None else None
            old = tree.read(existing) if existing else None
            if old is not None and old.get("d"):
                raise Conflict("a folder exists at that path")
            if if_none_match and old is not None:
                raise PreconditionFailed("the file exists (If-None-Match: *)")
            if precheck is not None:
                full_path = parent_path.rstrip("/") + "/" + name
                precheck(to_info(existing, old, full_path) if existing and old is not None else None)
            if parent_id is None:
                raise Conflict("parent folder does not exist")
            if parent is None:
                raise Conflict("parent is not a folder")
            known: dict[str, Record] = {parent_id: parent}
            old_size = int(old.get("bs", 0)) if old else 0
            total = quota_total()
            if total is not None:
                root = known.get(space_id)
                if root is None:
                    root = known[space_id] = tree.read(space_id)
                if size_of(root) - old_size + len(data) > total:
                    raise InsufficientStorage("quota exceeded")
            _check_checksum(checksum, digests)
            _check_if_match(if_match, existing, old)
            return _place(tree, space_id, parent_id, parent_path, name, existing, old, tmp, blob_id,
                          len(data), digests, mtime, known)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass  # placed as the blob before the failure
        raise


def _check_if_match(if_match: str | None, existing: str | None, old: Record | None) -> None:
    if if_match is not None:
        if old is None:
            raise PreconditionFailed("the file does not exist")
        if if_match != "*" and existing and if_match != etag_of(existing, old):
            raise PreconditionFailed("the file has changed (etag mismatch)")


def _place(tree: Tree, space_id: str, parent_id: str, parent_path: str, name: str, existing: str | None,
           old: Record | None, content: Path | str, blob_id: str, size: int, digests: dict[str, str],
           mtime: float | None, known: dict[str, Record]) -> tuple[NodeInfo, bool]:
    """The checked content becomes the node (caller holds the lock). ``known``: current records
    by id, at least the parent's (see ``Tree.propagate``)."""
    os.rename(content, f"{tree.blobs}{os.sep}{blob_id}")
    t = now()
    rec_mtime = t if mtime is None else mtime
    old_size = int(old.get("bs", 0)) if old else 0
    if old is not None and existing is not None:
        node_id = existing
        keep_revision(tree, node_id, old)
        rec = dict(old)
        rec.update({"b": blob_id, "bs": size, "m": rec_mtime, "cs": digests})
        tree.write(node_id, rec)
        created = False
    else:
        node_id = str(uuid.uuid4())
        rec = {"n": name, "p": parent_id, "s": space_id, "o": known[parent_id].get("o", ""),
               "d": False, "m": rec_mtime, "b": blob_id, "bs": size, "cs": digests}
        tree.create_node(node_id, rec)
        tree.link(parent_id, name, node_id)  # the moment the file becomes visible
        created = True
    tree.propagate(parent_id, size - old_size, t, known=known)
    return to_info(node_id, rec, parent_path.rstrip("/") + "/" + name), created


def keep_revision(tree: Tree, node_id: str, old: dict[str, object]) -> None:
    """Record the previous content of an overwritten file as a revision (``revisions/<id>/<ns>``)."""
    revdir = f"{tree.revisions}{os.sep}{node_id}"
    data = msgpack.packb({"b": old.get("b"), "bs": old.get("bs"), "m": old.get("m"),
                          "cs": old.get("cs", {})}, use_bin_type=True)
    key = time.time_ns()
    while True:
        try:
            write_new_file(f"{revdir}{os.sep}{key}", data, fsync=False)
            break
        except FileNotFoundError:  # the file's first revision
            try:
                os.mkdir(revdir)
            except FileExistsError:
                pass
        except FileExistsError:  # two revisions within one clock tick: keys must stay unique
            key += 1
    from ocis.storage.decomposedfs.revisions import prune_revisions

    prune_revisions(tree, node_id)


def check_length(length: int | None, remaining: int | None) -> None:
    """Refuse an upload of announced ``length`` bytes up front when the quota cannot hold it."""
    if length is not None and remaining is not None and length > remaining:
        raise InsufficientStorage("quota exceeded")

