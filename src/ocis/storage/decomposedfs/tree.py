"""The on-disk tree: node records, child links, path lookup and propagation.

Layout under the storage root::

    spaces/<space-id>        symlink -> ../nodes/<space-id> (a space's root node id is its id)
    nodes/<node-id>          folder: a directory of child links ``<name> -> ../<child-id>``;
                             file: an empty regular file (content is in blobs/)
    nodes/<node-id>.props    dead properties (msgpack), unbounded so never in an xattr
    blobs/<blob-id>          file content, immutable once written
    revisions/<node-id>/<k>  older contents of a file (msgpack record naming a blob)
    trash/<space-id>/<id>    symlink -> ../../nodes/<id>: a deleted subtree root
    uploads/<upload-id>      content being received, not yet visible

Lookup by path walks child links (one readlink per segment); lookup by id reads the record and
walks parent ids up to the space root to rebuild the path (and to make sure no ancestor is trashed).
Every change propagates a new tree mtime (hence etag) and the size delta to all ancestors.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

import msgpack

from ocis.core import names
from ocis.core.errors import Conflict, NotFound
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo
from ocis.storage.decomposedfs.metadata import MetadataBackend, unpack
from ocis.storage.decomposedfs.node import Record, to_info
from ocis.storage.decomposedfs.search import NameIndex

_SAFE_ID_CHARS = frozenset("0123456789abcdefABCDEF-")
_MAX_INFOS = 4096  # NodeInfo cache entries (~1.5 KiB each); cleared when full


def check_id(node_id: str) -> str:
    """Ids are UUID-like; anything else (``..``, ``/``) cannot name a node."""
    if not node_id or not set(node_id) <= _SAFE_ID_CHARS or len(node_id) > 64:
        raise NotFound("no such node")
    return node_id


def _create_empty(path: str) -> None:
    """Create an empty regular file (FileExistsError if there is one): one mknod where allowed
    (Linux lets anyone create regular files so), else open + close."""
    try:
        os.mknod(path, 0o666 | stat.S_IFREG)
    except FileExistsError:
        raise
    except (OSError, AttributeError):  # e.g. macOS (mknod needs root), a FUSE mount without mknod
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666))


class Tree:
    """Low-level access to the decomposed tree. Mutations hold ``self.lock``."""

    def __init__(self, root: Path, meta: MetadataBackend) -> None:
        self.root = root
        self.meta = meta
        self.nodes = root / "nodes"
        self._node_prefix = f"{self.nodes}{os.sep}"
        self.blobs = root / "blobs"
        self.spaces = root / "spaces"
        self.trash = root / "trash"
        self.uploads = root / "uploads"
        self.revisions = root / "revisions"
        for d in (self.nodes, self.blobs, self.spaces, self.trash, self.uploads, self.revisions):
            d.mkdir(parents=True, exist_ok=True)
        # One writer at a time within this process: propagation read-modify-writes ancestors.
        self.lock = threading.RLock()
        self.index = NameIndex(self)
        self.max_revisions = 0           # keep at most this many revisions per file (0 = no limit)
        self.max_revision_age = 0.0      # drop revisions older than this many seconds (0 = no limit)
        self.fsync = True                # fsync uploaded content before it becomes visible
        # Spaces seen to exist. Nothing removes a space, so once seen one need not be checked again.
        self._known_spaces: set[str] = set()
        # node id -> (packed record, NodeInfo made from it): ``info`` still reads the record every
        # time, and reuses the NodeInfo only if the bytes (and the path) are the same, since
        # ``to_info`` is a pure function of (id, record, path). Saves unpack + md5 + dataclass.
        self._infos: dict[str, tuple[bytes, NodeInfo]] = {}

    # --- records -----------------------------------------------------------------------------

    def node_path(self, node_id: str) -> Path:
        return self.nodes / node_id

    def read(self, node_id: str) -> Record:
        try:
            # a str path: the hottest call of a listing, pathlib's joins cost as much as the read
            return self.meta.read(self._node_prefix + node_id)
        except FileNotFoundError:
            raise NotFound("no such node") from None

    def write(self, node_id: str, rec: Record) -> None:
        self.meta.write(self._node_prefix + node_id, rec)

    def props_path(self, node_id: str) -> Path:
        return self.nodes / f"{node_id}.props"

    def read_props(self, node_id: str) -> dict[str, str]:
        try:
            data = self.props_path(node_id).read_bytes()
        except FileNotFoundError:
            return {}
        props = msgpack.unpackb(data, raw=False)
        return dict(props) if isinstance(props, dict) else {}

    def set_props(self, node_id: str, props: dict[str, str]) -> None:
        """Replace a node's dead properties and keep the record's ``dp`` flag (NodeInfo.has_props)
        in step, so listings read the props file only of nodes that have one. Caller holds the lock."""
        self.write_props(node_id, props)
        rec = self.read(node_id)
        if bool(rec.get("dp")) != bool(props):
            if props:
                rec["dp"] = True
            else:
                rec.pop("dp", None)
            self.write(node_id, rec)

    def write_props(self, node_id: str, props: dict[str, str]) -> None:
        path = self.props_path(node_id)
        if not props:
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            return
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(msgpack.packb(props, use_bin_type=True))
        os.replace(tmp, path)

    # --- creation ----------------------------------------------------------------------------

    def create_node(self, node_id: str, rec: Record) -> None:
        """Create the node's inode and record (not yet linked into a folder)."""
        path = self._node_prefix + node_id
        if rec.get("d"):
            os.mkdir(path)
        else:
            _create_empty(path)
        self.write(node_id, rec)

    def ensure_space(self, space_id: str, owner_id: str) -> None:
        check_id(space_id)
        link = self.spaces / space_id
        if link.is_symlink():
            return
        with self.lock:
            if link.is_symlink():
                return
            t = now()
            if not self.node_path(space_id).exists():
                self.create_node(space_id, {"n": "", "p": "", "s": space_id, "o": owner_id, "d": True,
                                            "m": t, "tm": t, "ts": 0})
            os.symlink(f"../nodes/{space_id}", link)

    # --- lookup ------------------------------------------------------------------------------

    def child_id(self, parent_id: str, name: str) -> str | None:
        try:  # str concatenation: a pathlib join costs as much as the readlink itself
            target = os.readlink(f"{self._node_prefix}{parent_id}{os.sep}{name}")
        except (FileNotFoundError, NotADirectoryError):
            return None
        return target.rpartition("/")[2]

    def resolve(self, space_id: str, path: str) -> tuple[str, list[str]]:
        """Node id at ``path`` in the space and the validated path segments.

        Raises:
            NotFound: the space, or a segment, does not exist.
            BadRequest: a segment is not a valid name.
        """
        parts = names.split_path(path)
        if space_id not in self._known_spaces:
            check_id(space_id)
            if not (self.spaces / space_id).is_symlink():
                raise NotFound("no such space")
            self._known_spaces.add(space_id)
        node_id = space_id
        for name in parts:
            child = self.child_id(node_id, name)
            if child is None:
                raise NotFound(f"{names.join_path(parts)} not found")
            node_id = child
        return node_id, parts

    def resolve_parent(self, space_id: str, path: str) -> tuple[str, str, str]:
        """(parent id, parent path, name) for a path whose parent must be an existing folder.

        Raises:
            Conflict: the parent does not exist or is a file (RFC 4918 §9.3.1, §9.7.1).
            BadRequest: invalid name, or the path is the root.
        """
        parent_id, parent_path, name, parent = self.find_parent(space_id, path)
        if parent_id is None:
            raise Conflict("parent folder does not exist")
        if parent is None:
            raise Conflict("parent is not a folder")
        return parent_id, parent_path, name

    def find_parent(self, space_id: str, path: str) -> tuple[str | None, str, str, Record | None]:
        """(parent id, parent path, name, parent record) of ``path``; the id is None if the parent
        does not exist, the record None if it is not a folder (see :meth:`resolve_parent`).

        Raises:
            BadRequest: invalid name, or the path is the root.
        """
        parent_path, name = names.parent_and_name(path)
        try:
            parent_id, _ = self.resolve(space_id, parent_path)
        except NotFound:
            return None, parent_path, name, None
        rec = self.read(parent_id)
        return parent_id, parent_path, name, rec if rec.get("d") else None

    def path_of(self, node_id: str) -> tuple[str, Record]:
        """Path (within its space) of a live node, and its record.

        Raises:
            NotFound: unknown id, or the node or an ancestor is in the trash.
        """
        check_id(node_id)
        rec = self.read(node_id)
        segments: list[str] = []
        cur_id, cur = node_id, rec
        for _ in range(4096):
            parent = cur.get("p")
            if not parent:
                if cur_id != cur.get("s"):
                    raise NotFound("no such node")
                return names.join_path(list(reversed(segments))), rec
            name = str(cur.get("n", ""))
            if self.child_id(parent, name) != cur_id:
                raise NotFound("no such node")  # unlinked: trashed (or an ancestor is)
            segments.append(name)
            cur_id, cur = parent, self.read(parent)
        raise NotFound("tree too deep")

    def info(self, node_id: str, path: str) -> NodeInfo:
        try:
            raw = self.meta.read_raw(self._node_prefix + node_id)
        except FileNotFoundError:
            raise NotFound("no such node") from None
        infos = self._infos
        hit = infos.get(node_id)
        if hit is not None and hit[0] == raw and hit[1].path == path:
            return hit[1]
        info = to_info(node_id, unpack(raw), path)
        if len(infos) >= _MAX_INFOS:
            infos.clear()
        infos[node_id] = (raw, info)  # a racing thread may store another; each entry is self-consistent
        return info

    def list_children(self, node_id: str) -> list[tuple[str, str]]:
        """(name, child id) pairs of a folder, sorted by name."""
        out = []
        with os.scandir(self.node_path(node_id)) as it:
            for entry in it:
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    continue
                out.append((entry.name, target.rpartition("/")[2]))
        out.sort()
        return out

    # --- links -------------------------------------------------------------------------------

    def link(self, parent_id: str, name: str, child_id: str) -> None:
        """Make ``child_id`` visible as ``name`` in the folder (atomic: one symlink)."""
        os.symlink(f"../{child_id}", self.node_path(parent_id) / name)
        self.index.linked(child_id, parent_id, name)

    def unlink(self, parent_id: str, name: str) -> None:
        child = self.child_id(parent_id, name)
        os.unlink(self.node_path(parent_id) / name)
        if child is not None:
            self.index.unlinked(child)

    def relink(self, old_parent: str, old_name: str, new_parent: str, new_name: str, child_id: str) -> None:
        """Move a child link (rename or move, atomic: one rename)."""
        os.rename(self.node_path(old_parent) / old_name, self.node_path(new_parent) / new_name)
        self.index.linked(child_id, new_parent, new_name)

    # --- propagation -------------------------------------------------------------------------

    def propagate(self, node_id: str, size_delta: int, when: float | None = None, stop: str | None = None,
                  known: dict[str, Record] | None = None) -> None:
        """Give ``node_id`` and every ancestor a newer tree mtime (so a new etag) and add
        ``size_delta`` bytes to their tree sizes; ``stop`` ends the walk after that node (inside
        a deleted subtree, whose root still names its former parent). Caller holds the lock.

        ``known``: records the caller read under the same hold of the lock and has not changed
        since (they are current: writers hold the lock), by node id; used instead of reading again.
        """
        t = now() if when is None else when
        cur: str = node_id
        for _ in range(4096):
            rec = known.pop(cur, None) if known else None
            if rec is None:
                rec = self.read(cur)
            # strictly increasing, so the etag changes even within the clock's resolution
            rec["tm"] = max(t, float(rec.get("tm", 0.0)) + 1e-6)
            rec["ts"] = max(0, int(rec.get("ts", 0)) + size_delta)
            self.write(cur, rec)
            parent = rec.get("p")
            if not parent or cur == stop:
                return
            cur = str(parent)

    def subtree_ids(self, node_id: str) -> list[str]:
        """All node ids of a subtree, children after their parent."""
        out = [node_id]
        i = 0
        while i < len(out):
            cur = out[i]
            i += 1
            if self.node_path(cur).is_dir():
                out.extend(child for _, child in self.list_children(cur))
        return out

    def remove_node_files(self, node_id: str, rec: Record) -> None:
        """Delete a node's inode, record, props, blob and revisions from disk (purge)."""
        path = self.node_path(node_id)
        self.meta.remove(path)
        self._infos.pop(node_id, None)
        self.write_props(node_id, {})
        if rec.get("d"):
            for entry in os.scandir(path):
                os.unlink(entry.path)
            path.rmdir()
        else:
            path.unlink(missing_ok=True)
            if rec.get("b"):
                (self.blobs / str(rec["b"])).unlink(missing_ok=True)
        revdir = self.revisions / node_id
        if revdir.is_dir():
            for entry in os.scandir(revdir):
                rev: dict[str, Any] = msgpack.unpackb(Path(entry.path).read_bytes(), raw=False)
                (self.blobs / str(rev.get("b", ""))).unlink(missing_ok=True)
                os.unlink(entry.path)
            revdir.rmdir()
