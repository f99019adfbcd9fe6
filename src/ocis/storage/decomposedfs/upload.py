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
from ocis.storage.decomposedfs.node import etag_of, to_info

if TYPE_CHECKING:
    from ocis.storage.decomposedfs.tree import Tree


class FileUpload:
    """One file being uploaded to ``path`` in ``space_id``. Not thread-safe (one writer)."""

    def __init__(self, tree: Tree, space_id: str, path: str,
                 remaining_quota: Callable[[], int | None], space_quota: Callable[[], Quota]) -> None:
        self._tree = tree
        self._space_id = space_id
        self._path = path
        self._remaining_quota = remaining_quota  # estimate while streaming (overwrite frees old size)
        self._space_quota = space_quota          # exact check at commit, under the tree lock
        self._tmp = tree.uploads / uuid.uuid4().hex
        self._fh = open(self._tmp, "xb")  # noqa: SIM115 - closed in commit/abort
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
        self._fh.write(data)
        self._hasher.update(data)
        self._size += len(data)

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._fh.close()
        self._tmp.unlink(missing_ok=True)

    def commit(self, *, mtime: float | None = None, checksum: tuple[str, str] | None = None,
               if_match: str | None = None) -> tuple[NodeInfo, bool]:
        if self._done:
            raise ValueError("upload already finished")
        try:
            self._fh.flush()
            if self._tree.fsync:
                os.fsync(self._fh.fileno())
            self._fh.close()
            return commit_content(self._tree, self._space_id, self._path, self._tmp, self._size,
                                  self._hasher.digests(), quota=self._space_quota, mtime=mtime,
                                  checksum=checksum, if_match=if_match)
        except BaseException:
            self.abort()
            raise
        finally:
            self._done = True


def commit_content(tree: Tree, space_id: str, path: str, content: Path, size: int, digests: dict[str, str],
                   *, quota: Callable[[], Quota], mtime: float | None = None,
                   checksum: tuple[str, str] | None = None, if_match: str | None = None) -> tuple[NodeInfo, bool]:
    """Make the finished file ``content`` (in uploads/) the node at ``path``, atomically.

    The file is renamed into ``blobs/``; an overwritten file keeps its id and its previous content
    becomes a revision; the new file becomes visible with one child link. Used by plain PUT,
    TUS and chunked uploads alike.

    Args:
        digests: the content's checksums (see ``core.checksums.Hasher``).
        quota: the space's quota, checked under the tree lock.
        mtime, checksum, if_match: see ``storage.api.Upload.commit``.

    Raises:
        ChecksumMismatch, PreconditionFailed, Conflict, InsufficientStorage. ``content`` is left in
        place on error (the caller discards it).
    """
    if checksum is not None and digests.get(checksum[0]) != checksum[1]:
        raise ChecksumMismatch(
            f"the {checksum[0]} checksum of the content is {digests.get(checksum[0])}, the client sent {checksum[1]}"
        )
    with tree.lock:
        parent_id, parent_path, name = tree.resolve_parent(space_id, path)
        existing = tree.child_id(parent_id, name)
        old = tree.read(existing) if existing else None
        if old is not None and old.get("d"):
            raise Conflict("a folder exists at that path")
        if if_match is not None:
            if old is None:
                raise PreconditionFailed("the file does not exist")
            if if_match != "*" and existing and if_match != etag_of(existing, old):
                raise PreconditionFailed("the file has changed (etag mismatch)")
        old_size = int(old.get("bs", 0)) if old else 0
        q = quota()
        if q.total is not None and q.used - old_size + size > q.total:
            raise InsufficientStorage("quota exceeded")

        blob_id = uuid.uuid4().hex
        os.rename(content, tree.blobs / blob_id)
        t = now()
        rec_mtime = t if mtime is None else mtime
        if old is not None and existing is not None:
            node_id = existing
            keep_revision(tree, node_id, old)
            rec = dict(old)
            rec.update({"b": blob_id, "bs": size, "m": rec_mtime, "cs": digests})
            tree.write(node_id, rec)
            created = False
        else:
            node_id = str(uuid.uuid4())
            rec = {"n": name, "p": parent_id, "s": space_id, "o": tree.read(parent_id).get("o", ""),
                   "d": False, "m": rec_mtime, "b": blob_id, "bs": size, "cs": digests}
            tree.create_node(node_id, rec)
            tree.link(parent_id, name, node_id)  # the moment the file becomes visible
            created = True
        tree.propagate(parent_id, size - old_size, t)
        return to_info(node_id, rec, parent_path.rstrip("/") + "/" + name), created


def keep_revision(tree: Tree, node_id: str, old: dict[str, object]) -> None:
    """Record the previous content of an overwritten file as a revision (``revisions/<id>/<ns>``)."""
    revdir = tree.revisions / node_id
    revdir.mkdir(exist_ok=True)
    key = f"{time.time_ns()}"
    data = msgpack.packb({"b": old.get("b"), "bs": old.get("bs"), "m": old.get("m"),
                          "cs": old.get("cs", {})}, use_bin_type=True)
    (revdir / key).write_bytes(data)
    from ocis.storage.decomposedfs.revisions import prune_revisions

    prune_revisions(tree, node_id)


def check_length(length: int | None, remaining: int | None) -> None:
    """Refuse an upload of announced ``length`` bytes up front when the quota cannot hold it."""
    if length is not None and remaining is not None and length > remaining:
        raise InsufficientStorage("quota exceeded")

