"""``DecomposedFS``: the ``storage.api.Storage`` implementation over :class:`Tree`."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from ocis.core import names
from ocis.core.errors import AlreadyExists, BadRequest, Conflict, NotFound, PreconditionFailed
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo
from ocis.storage.decomposedfs import metadata
from ocis.storage.decomposedfs.base import FSBase, QuotaLookup
from ocis.storage.decomposedfs.favorites import FavoritesMixin
from ocis.storage.decomposedfs.node import Record, size_of, to_info
from ocis.storage.decomposedfs.revisions import RevisionsMixin
from ocis.storage.decomposedfs.sessions import Sessions
from ocis.storage.decomposedfs.trash import TrashMixin
from ocis.storage.decomposedfs.tree import Tree, check_id
from ocis.storage.decomposedfs.upload import FileUpload, check_length, write_whole


class DecomposedFS(TrashMixin, RevisionsMixin, FavoritesMixin, FSBase):
    """Spaces of nodes on a local filesystem. Thread-safe; all calls block.

    Args:
        max_revisions: keep at most this many revisions per file (0 = no limit).
        max_revision_age: drop revisions older than this many seconds (0 = no limit).
        fsync: make uploaded content durable (fsync) before it becomes visible.
    """

    def __init__(self, root: Path, backend: str = "auto", quota_for: QuotaLookup | None = None,
                 max_revisions: int = 0, max_revision_age: float = 0.0, fsync: bool = True) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.backend = metadata.detect(root, backend)
        self.tree = Tree(root, self.backend)
        self.tree.max_revisions, self.tree.max_revision_age = max_revisions, max_revision_age
        self.tree.fsync = fsync
        self._quota_for = quota_for or (lambda _space: None)
        self._sweep_uploads()
        self.sessions = Sessions(self.tree, self.quota, self.mkdir)  # TUS and chunked v1 uploads

    def _sweep_uploads(self) -> None:
        """Plain uploads interrupted by a crash leave files in uploads/ that nothing refers to."""
        for entry in os.scandir(self.tree.uploads):
            if entry.is_file() and "." not in entry.name:
                os.unlink(entry.path)

    # --- reading -----------------------------------------------------------------------------

    def home(self, user_id: str) -> NodeInfo:
        self.tree.ensure_space(user_id, owner_id=user_id)
        return self.tree.info(user_id, "/")

    def stat(self, space_id: str, path: str) -> NodeInfo:
        node_id, parts = self.tree.resolve(space_id, path)
        return self.tree.info(node_id, names.join_path(parts))

    def stat_id(self, node_id: str) -> NodeInfo:
        path, rec = self.tree.path_of(node_id)
        return to_info(node_id, rec, path)

    def list_dir(self, space_id: str, path: str) -> list[NodeInfo]:
        info, children = self.stat_and_list(space_id, path)
        if not info.is_dir:
            raise Conflict("not a folder")
        return children

    def stat_and_list(self, space_id: str, path: str) -> tuple[NodeInfo, list[NodeInfo]]:
        node_id, parts = self.tree.resolve(space_id, path)
        info = self.tree.info(node_id, names.join_path(parts))
        if not info.is_dir:
            return info, []
        base = info.path.rstrip("/")
        out = []
        for name, child in self.tree.list_children(node_id):
            try:
                out.append(self.tree.info(child, f"{base}/{name}"))
            except NotFound:
                continue  # removed concurrently
        return info, out

    def walk(self, space_id: str, path: str) -> Iterator[NodeInfo]:
        stack = [self.stat(space_id, path)]
        while stack:
            cur = stack.pop()
            if not cur.is_dir:
                continue
            children = self.list_dir(space_id, cur.path)
            yield from children
            stack.extend(reversed(children))

    def open_blob(self, space_id: str, path: str) -> tuple[NodeInfo, BinaryIO]:
        node_id, parts = self.tree.resolve(space_id, path)
        rec = self.tree.read(node_id)
        if rec.get("d"):
            raise Conflict("a folder has no content")
        # blobs are immutable: an open handle stays consistent even if the file is overwritten
        fh = open(self.tree.blobs / str(rec["b"]), "rb")  # noqa: SIM115 - returned to caller
        return to_info(node_id, rec, names.join_path(parts)), fh

    def search(self, space_id: str, pattern: str, limit: int = 30) -> list[NodeInfo]:
        if not pattern.strip():
            raise BadRequest("a search pattern is required")
        check_id(space_id)
        out = []
        for node_id, path in self.tree.index.search(space_id, pattern, limit):
            try:
                out.append(self.tree.info(node_id, path))
            except NotFound:
                continue
        return out

    def get_props(self, space_id: str, path: str) -> dict[str, str]:
        node_id, _ = self.tree.resolve(space_id, path)
        return self.tree.read_props(node_id)

    # --- writing -----------------------------------------------------------------------------

    def mkdir(self, space_id: str, path: str, *, mtime: float | None = None) -> NodeInfo:
        tree = self.tree
        with tree.lock:
            parent_id, parent_path, name = tree.resolve_parent(space_id, path)
            if tree.child_id(parent_id, name) is not None:
                raise AlreadyExists(f"{name} already exists")
            t = now()
            node_id = str(uuid.uuid4())
            rec: Record = {"n": name, "p": parent_id, "s": space_id, "o": tree.read(parent_id).get("o", ""),
                           "d": True, "m": t if mtime is None else mtime, "tm": t, "ts": 0}
            tree.create_node(node_id, rec)
            tree.link(parent_id, name, node_id)
            tree.propagate(parent_id, 0, t)
            return to_info(node_id, tree.read(node_id), parent_path.rstrip("/") + "/" + name)

    def begin_upload(self, space_id: str, path: str, *, length: int | None = None) -> FileUpload:
        parent_id, _, name = self.tree.resolve_parent(space_id, path)
        existing = self.tree.child_id(parent_id, name)
        replaced = 0
        if existing is not None:
            rec = self.tree.read(existing)
            if rec.get("d"):
                raise Conflict("a folder exists at that path")
            replaced = int(rec.get("bs", 0))

        def remaining() -> int | None:
            left = self._remaining(space_id)
            return None if left is None else left + replaced  # an overwrite frees the old content

        check_length(length, remaining())
        return FileUpload(self.tree, space_id, path, remaining, lambda: self.quota(space_id))

    def write_file(self, space_id: str, path: str, data: bytes, *, mtime: float | None = None,
                   checksum: tuple[str, str] | None = None, if_match: str | None = None,
                   if_none_match: bool = False,
                   precheck: Callable[[NodeInfo | None], None] | None = None) -> tuple[NodeInfo, bool]:
        return write_whole(self.tree, space_id, path, data, quota_total=lambda: self._quota_for(space_id),
                           mtime=mtime, checksum=checksum, if_match=if_match, if_none_match=if_none_match,
                           precheck=precheck)

    def set_mtime(self, space_id: str, path: str, mtime: float) -> NodeInfo:
        tree = self.tree
        with tree.lock:
            node_id, parts = tree.resolve(space_id, path)
            rec = tree.read(node_id)
            rec["m"] = mtime
            if rec.get("d"):
                rec["tm"] = mtime
            tree.write(node_id, rec)
            if rec.get("p"):
                tree.propagate(str(rec["p"]), 0)
            return to_info(node_id, tree.read(node_id), names.join_path(parts))

    def set_props(self, space_id: str, path: str, changes: dict[str, str | None]) -> None:
        tree = self.tree
        with tree.lock:
            node_id, _ = tree.resolve(space_id, path)
            props = tree.read_props(node_id)
            for key, value in changes.items():
                if value is None:
                    props.pop(key, None)
                else:
                    props[key] = value
            tree.set_props(node_id, props)

    def delete(self, space_id: str, path: str) -> None:
        tree = self.tree
        with tree.lock:
            node_id, parts = tree.resolve(space_id, path)
            if not parts:
                raise BadRequest("the space root cannot be deleted")
            self._trash(space_id, node_id, names.join_path(parts))

    def _prepare_target(self, space_id: str, src_path: str, dst: str,
                        overwrite: bool) -> tuple[str, list[str], str, str, str, str | None]:
        tree = self.tree
        src_id, src_parts = tree.resolve(space_id, src_path)
        if not src_parts:
            raise BadRequest("the space root cannot be moved or copied")
        dst_parts = names.split_path(dst)
        if not dst_parts:
            raise Conflict("the destination cannot be the space root")
        if dst_parts[: len(src_parts)] == src_parts:
            raise Conflict("the destination is inside the source")
        dst_parent_id, dst_parent_path, dst_name = tree.resolve_parent(space_id, dst)
        existing = tree.child_id(dst_parent_id, dst_name)
        if existing is not None and not overwrite:
            raise PreconditionFailed("the destination exists")
        return src_id, src_parts, dst_parent_id, dst_parent_path, dst_name, existing

    def move(self, space_id: str, src: str, dst: str, *, overwrite: bool = True) -> tuple[NodeInfo, bool]:
        tree = self.tree
        with tree.lock:
            src_id, src_parts, dst_parent_id, dst_parent_path, dst_name, existing = self._prepare_target(
                space_id, src, dst, overwrite
            )
            if existing is not None:
                self._trash(space_id, existing, dst_parent_path.rstrip("/") + "/" + dst_name)
            rec = tree.read(src_id)
            old_parent = str(rec["p"])
            tree.relink(old_parent, src_parts[-1], dst_parent_id, dst_name, src_id)
            rec["n"], rec["p"] = dst_name, dst_parent_id
            tree.write(src_id, rec)
            t = now()
            size = size_of(rec)
            if old_parent != dst_parent_id:
                tree.propagate(old_parent, -size, t)
                tree.propagate(dst_parent_id, size, t)
            else:
                tree.propagate(old_parent, 0, t)
            dst_path = dst_parent_path.rstrip("/") + "/" + dst_name
            return to_info(src_id, tree.read(src_id), dst_path), existing is None

    def copy(self, space_id: str, src: str, dst: str, *, overwrite: bool = True,
             recursive: bool = True) -> tuple[NodeInfo, bool]:
        tree = self.tree
        with tree.lock:
            src_id, _, dst_parent_id, dst_parent_path, dst_name, existing = self._prepare_target(
                space_id, src, dst, overwrite
            )
            src_rec = tree.read(src_id)
            needed = size_of(src_rec) if recursive or not src_rec.get("d") else 0
            left = self._remaining(space_id)
            freed = size_of(tree.read(existing)) if existing else 0
            check_length(needed - freed, left)
            if existing is not None:
                self._trash(space_id, existing, dst_parent_path.rstrip("/") + "/" + dst_name)
            new_id, size = self._copy_subtree(src_id, space_id, recursive)
            rec = tree.read(new_id)
            rec["n"], rec["p"] = dst_name, dst_parent_id
            tree.write(new_id, rec)
            tree.link(dst_parent_id, dst_name, new_id)
            tree.propagate(dst_parent_id, size)
            dst_path = dst_parent_path.rstrip("/") + "/" + dst_name
            return to_info(new_id, tree.read(new_id), dst_path), existing is None

    def _copy_subtree(self, src_id: str, space_id: str, recursive: bool) -> tuple[str, int]:
        """Copy a node (and below, if recursive) under fresh ids; returns (new id, bytes)."""
        tree = self.tree
        src = tree.read(src_id)
        new_id = str(uuid.uuid4())
        rec: Record = {k: v for k, v in src.items() if k not in ("to", "td")}
        rec["s"] = space_id
        if src.get("d"):
            rec["ts"] = 0
            tree.create_node(new_id, rec)
            total = 0
            if recursive:
                for name, child in tree.list_children(src_id):
                    child_new, child_size = self._copy_subtree(child, space_id, True)
                    child_rec = tree.read(child_new)
                    child_rec["p"] = new_id
                    tree.write(child_new, child_rec)
                    tree.link(new_id, name, child_new)
                    total += child_size
            rec["ts"] = total
            tree.write(new_id, rec)
        else:
            blob_id = uuid.uuid4().hex
            src_blob, dst_blob = tree.blobs / str(src["b"]), tree.blobs / blob_id
            try:
                os.link(src_blob, dst_blob)  # blobs are immutable, so sharing the inode is safe
            except OSError:
                shutil.copyfile(src_blob, dst_blob)
            rec["b"] = blob_id
            tree.create_node(new_id, rec)
            total = int(src.get("bs", 0))
        props = tree.read_props(src_id)
        if props:
            tree.set_props(new_id, props)
        return new_id, total


def open_storage(root: Path, backend: str = "auto", quota_for: QuotaLookup | None = None,
                 max_revisions: int = 0, max_revision_age: float = 0.0, fsync: bool = True) -> DecomposedFS:
    """Open (creating if needed) the storage at ``root``.

    Args:
        root: directory of the decomposed filesystem (created if missing).
        backend: metadata backend, ``auto`` (self-check at startup), ``xattrs`` or ``sidecar``.
        quota_for: space (user) id -> quota in bytes (None = unlimited).
        fsync: fsync uploads before they become visible (off: a power loss may lose recent content).

    Raises:
        OSError: the directory cannot be created or written.
        ValueError: ``xattrs`` was forced but the filesystem has no user xattrs (message names
            STORAGE_METADATA_BACKEND).
    """
    return DecomposedFS(root, backend, quota_for, max_revisions, max_revision_age, fsync)
