"""The trash bin: deleted subtrees, listed, restored and purged.

A delete (``DecomposedFS._trash``) unlinks the subtree root from its parent and adds
``trash/<space>/<root-id>`` — two metadata operations whatever the subtree's size. The root's
record keeps its former parent, the original path (``to``) and the deletion time (``td``). Keys
are ``<root-id>`` or ``<root-id>/<path inside the deleted folder>``.
"""

from __future__ import annotations

import os

from ocis.core import names
from ocis.core.errors import BadRequest, Conflict, InsufficientStorage, NotFound, PreconditionFailed
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo, TrashItem
from ocis.storage.decomposedfs.base import FSBase
from ocis.storage.decomposedfs.node import Record, etag_of, mtime_of, size_of, to_info
from ocis.storage.decomposedfs.tree import check_id


class _Resolved:
    """A trash key resolved to its node, the deleted root and the parent inside the trash."""

    def __init__(self, root_id: str, root: Record, node_id: str, rec: Record, parent_id: str | None,
                 parts: list[str]) -> None:
        self.root_id, self.root = root_id, root
        self.node_id, self.rec = node_id, rec
        self.parent_id = parent_id          # None when the node is the deleted root itself
        self.parts = parts                  # path inside the deleted root

    @property
    def origin(self) -> str:
        base = str(self.root.get("to", "/"))
        return names.join_path(names.split_path(base) + self.parts)


class TrashMixin(FSBase):
    def _trash_resolve(self, space_id: str, key: str) -> _Resolved:
        root_id, _, rest = key.strip("/").partition("/")
        check_id(space_id)
        check_id(root_id)
        if not (self.tree.trash / space_id / root_id).is_symlink():
            raise NotFound("no such trash item")
        root = self.tree.read(root_id)
        parts = names.split_path(rest)
        node_id, rec, parent = root_id, root, None
        for name in parts:
            child = self.tree.child_id(node_id, name)
            if child is None:
                raise NotFound("no such trash item")
            parent, node_id = node_id, child
            rec = self.tree.read(node_id)
        return _Resolved(root_id, root, node_id, rec, parent, parts)

    def _trash_item(self, key: str, node_id: str, rec: Record, origin: str, deleted: float) -> TrashItem:
        return TrashItem(key=key, node_id=node_id, name=str(rec.get("n", "")), origin=origin, deleted=deleted,
                         is_dir=bool(rec.get("d")), size=size_of(rec), mtime=mtime_of(rec),
                         etag=etag_of(node_id, rec))

    def list_trash(self, space_id: str, key: str = "") -> list[TrashItem]:
        check_id(space_id)
        if not key.strip("/"):
            trash_dir = self.tree.trash / space_id
            items = []
            if trash_dir.is_dir():
                for root_id in os.listdir(trash_dir):
                    try:
                        rec = self.tree.read(root_id)
                    except NotFound:
                        continue  # half-purged
                    items.append(self._trash_item(root_id, root_id, rec, str(rec.get("to", "")),
                                                  float(rec.get("td", 0.0))))
            items.sort(key=lambda i: (-i.deleted, i.key))
            return items
        res = self._trash_resolve(space_id, key)
        if not res.rec.get("d"):
            raise Conflict("a file has no members")
        base_key = key.strip("/")
        deleted = float(res.root.get("td", 0.0))
        out = []
        for name, child in self.tree.list_children(res.node_id):
            try:
                rec = self.tree.read(child)
            except NotFound:
                continue
            out.append(self._trash_item(f"{base_key}/{name}", child, rec, f"{res.origin.rstrip('/')}/{name}",
                                        deleted))
        return out

    def restore_trash(self, space_id: str, key: str, dst: str, *,
                      overwrite: bool = False) -> tuple[NodeInfo, bool]:
        tree = self.tree
        with tree.lock:
            res = self._trash_resolve(space_id, key)
            if not names.split_path(dst):
                raise BadRequest("cannot restore onto the space root")
            dst_parent, dst_parent_path, dst_name = tree.resolve_parent(space_id, dst)  # Conflict: 409
            existing = tree.child_id(dst_parent, dst_name)
            if existing is not None and not overwrite:
                raise PreconditionFailed("the destination exists")
            size = size_of(res.rec)
            freed = size_of(tree.read(existing)) if existing is not None else 0
            quota = self.quota(space_id)
            if quota.total is not None and quota.used - freed + size > quota.total:
                raise InsufficientStorage("quota exceeded")
            dst_path = dst_parent_path.rstrip("/") + "/" + dst_name
            if existing is not None:
                self._trash(space_id, existing, dst_path)
            t = now()
            if res.parent_id is None:
                os.unlink(tree.trash / space_id / res.root_id)
            else:
                tree.unlink(res.parent_id, str(res.rec["n"]))
                tree.propagate(res.parent_id, -size, t, stop=res.root_id)
            rec = tree.read(res.node_id)
            rec.pop("to", None)
            rec.pop("td", None)
            rec["n"], rec["p"] = dst_name, dst_parent
            tree.write(res.node_id, rec)
            tree.link(dst_parent, dst_name, res.node_id)
            tree.propagate(dst_parent, size, t)
            return to_info(res.node_id, tree.read(res.node_id), dst_path), existing is None

    def purge_trash(self, space_id: str, key: str) -> None:
        tree = self.tree
        with tree.lock:
            res = self._trash_resolve(space_id, key)
            if res.parent_id is None:
                os.unlink(tree.trash / space_id / res.root_id)
            else:
                tree.unlink(res.parent_id, str(res.rec["n"]))
                tree.propagate(res.parent_id, -size_of(res.rec), stop=res.root_id)
            self._remove_subtree(res.node_id)

    def empty_trash(self, space_id: str) -> None:
        check_id(space_id)
        trash_dir = self.tree.trash / space_id
        if not trash_dir.is_dir():
            return
        for root_id in os.listdir(trash_dir):
            try:
                self.purge_trash(space_id, root_id)
            except NotFound:
                continue

    def _remove_subtree(self, node_id: str) -> None:
        """Delete every node of an unlinked subtree from disk, children first."""
        ids = self.tree.subtree_ids(node_id)
        for nid in reversed(ids):
            try:
                rec = self.tree.read(nid)
            except NotFound:
                continue
            self.tree.remove_node_files(nid, rec)
        self.tree.index.forget(ids)
