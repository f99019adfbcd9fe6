"""File revisions: ``revisions/<node-id>/<key>`` records naming the blob of an earlier content.

A revision is written by ``upload.keep_revision`` whenever a file is overwritten; keys are
nanosecond timestamps, so they sort by age. Revisions follow the file through renames and moves
(they are keyed by node id) and are purged with it. Limits (count, age) are applied when a new
revision is kept.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import Any, BinaryIO

import msgpack

from ocis.core.errors import InsufficientStorage, NotFound
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo, Revision
from ocis.storage.decomposedfs.base import FSBase
from ocis.storage.decomposedfs.node import to_info
from ocis.storage.decomposedfs.tree import Tree, check_id


def _check_key(key: str) -> str:
    if not key.isdigit() or len(key) > 30:
        raise NotFound("no such version")
    return key


def read_revision(tree: Tree, node_id: str, key: str) -> dict[str, Any]:
    try:
        data = (tree.revisions / check_id(node_id) / _check_key(key)).read_bytes()
    except FileNotFoundError:
        raise NotFound("no such version") from None
    rev: dict[str, Any] = msgpack.unpackb(data, raw=False)
    return rev


def _as_revision(node_id: str, key: str, rev: dict[str, Any]) -> Revision:
    etag = hashlib.md5(f"{node_id}\0{rev.get('b')}\0{key}".encode(), usedforsecurity=False).hexdigest()
    return Revision(key=key, size=int(rev.get("bs") or 0), mtime=float(rev.get("m") or 0.0), etag=etag,
                    checksums=dict(rev.get("cs") or {}))


def prune_revisions(tree: Tree, node_id: str) -> None:
    """Apply the configured count and age limits to a file's revisions. Caller holds the lock."""
    if not (tree.max_revisions or tree.max_revision_age):
        return  # no limits (the default): not even a stat
    revdir = tree.revisions / node_id
    if not revdir.is_dir():
        return
    keys = sorted(os.listdir(revdir), key=int, reverse=True)  # newest first
    cutoff_ns = (time.time() - tree.max_revision_age) * 1e9 if tree.max_revision_age else None
    for i, key in enumerate(keys):
        too_many = bool(tree.max_revisions) and i >= tree.max_revisions
        too_old = cutoff_ns is not None and int(key) < cutoff_ns
        if too_many or too_old:
            rev = read_revision(tree, node_id, key)
            (tree.blobs / str(rev.get("b", ""))).unlink(missing_ok=True)
            (revdir / key).unlink(missing_ok=True)


class RevisionsMixin(FSBase):
    def list_revisions(self, node_id: str) -> list[Revision]:
        self.tree.path_of(node_id)  # NotFound for unknown or trashed files
        revdir = self.tree.revisions / node_id
        if not revdir.is_dir():
            return []
        out = []
        for key in sorted(os.listdir(revdir), key=int, reverse=True):
            try:
                out.append(_as_revision(node_id, key, read_revision(self.tree, node_id, key)))
            except NotFound:
                continue
        return out

    def open_revision(self, node_id: str, key: str) -> tuple[Revision, BinaryIO]:
        self.tree.path_of(node_id)
        rev = read_revision(self.tree, node_id, key)
        fh = open(self.tree.blobs / str(rev["b"]), "rb")  # noqa: SIM115 - returned to caller
        return _as_revision(node_id, key, rev), fh

    def restore_revision(self, node_id: str, key: str) -> NodeInfo:
        from ocis.storage.decomposedfs.upload import keep_revision

        tree = self.tree
        with tree.lock:
            path, cur = tree.path_of(node_id)
            if cur.get("d"):
                raise NotFound("folders have no versions")
            rev = read_revision(tree, node_id, key)
            delta = int(rev.get("bs") or 0) - int(cur.get("bs") or 0)
            quota = self.quota(str(cur.get("s")))
            if quota.total is not None and quota.used + delta > quota.total:
                raise InsufficientStorage("quota exceeded")
            keep_revision(tree, node_id, cur)
            (tree.revisions / node_id / key).unlink()  # its blob becomes the current content
            rec = dict(cur)
            rec.update({"b": rev["b"], "bs": rev.get("bs", 0), "m": rev.get("m", now()), "cs": rev.get("cs", {})})
            tree.write(node_id, rec)
            tree.propagate(str(cur["p"]), delta)
            return to_info(node_id, rec, path)

    def delete_revision(self, node_id: str, key: str) -> None:
        tree = self.tree
        with tree.lock:
            tree.path_of(node_id)
            rev = read_revision(tree, node_id, key)
            (tree.revisions / node_id / key).unlink()
            (tree.blobs / str(rev.get("b", ""))).unlink(missing_ok=True)
