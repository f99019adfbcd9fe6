"""Name search over a space: an in-memory index of (parent, name) per node.

The tree stays the source of truth: the index is built on the first search by walking the child
links of every space (no metadata reads), then kept current by the tree's link/unlink/relink
hooks. Nodes below an unlinked (trashed) folder stay in the index but are unreachable, so they are
skipped until the folder is restored. Another process writing the same storage is not seen; the
index is rebuilt on the next start.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocis.storage.decomposedfs.tree import Tree


class NameIndex:
    def __init__(self, tree: Tree) -> None:
        self._tree = tree
        self._lock = threading.Lock()
        self._built = False
        # node id -> (parent id, name, lower-cased name)
        self._entries: dict[str, tuple[str, str, str]] = {}

    # --- maintenance (called by Tree under its lock) --------------------------------------------

    def linked(self, child_id: str, parent_id: str, name: str) -> None:
        if self._built:
            with self._lock:
                self._entries[child_id] = (parent_id, name, name.casefold())

    def unlinked(self, child_id: str) -> None:
        """The child's entry stays: its subtree may come back from the trash; path building skips
        it while its link is gone (see :meth:`path`)."""
        if self._built:
            with self._lock:
                entry = self._entries.get(child_id)
                if entry is not None:
                    self._entries[child_id] = ("", entry[1], entry[2])  # detached

    def forget(self, node_ids: list[str]) -> None:
        if self._built:
            with self._lock:
                for node_id in node_ids:
                    self._entries.pop(node_id, None)

    def _build(self) -> None:
        entries: dict[str, tuple[str, str, str]] = {}
        nodes = self._tree.nodes
        for space in os.listdir(self._tree.spaces):
            stack = [space]
            while stack:
                parent = stack.pop()
                try:
                    it = os.scandir(nodes / parent)
                except NotADirectoryError:
                    continue
                with it:
                    for entry in it:
                        try:
                            child = os.readlink(entry.path).rpartition("/")[2]
                        except OSError:
                            continue
                        entries[child] = (parent, entry.name, entry.name.casefold())
                        if os.path.isdir(nodes / child):
                            stack.append(child)
        with self._lock:
            self._entries = entries
            self._built = True

    # --- queries ----------------------------------------------------------------------------------

    def search(self, space_id: str, pattern: str, limit: int) -> list[tuple[str, str]]:
        """(node id, path) of up to ``limit`` nodes in the space whose name contains ``pattern``
        (case-insensitive), sorted by path."""
        if not self._built:
            with self._tree.lock:  # no mutation while walking
                self._build()
        needle = pattern.casefold()
        with self._lock:
            candidates = [nid for nid, (_, _, low) in self._entries.items() if needle in low]
            hits = []
            for nid in candidates:
                path = self._path(nid, space_id)
                if path is not None:
                    hits.append((path, nid))
        hits.sort()
        return [(nid, path) for path, nid in hits[:limit]]

    def _path(self, node_id: str, space_id: str) -> str | None:
        """Path of a node within ``space_id``, or None if it is elsewhere or detached."""
        parts: list[str] = []
        cur = node_id
        for _ in range(4096):
            if cur == space_id:
                return "/" + "/".join(reversed(parts))
            entry = self._entries.get(cur)
            if entry is None or not entry[0]:
                return None
            parts.append(entry[1])
            cur = entry[0]
        return None
