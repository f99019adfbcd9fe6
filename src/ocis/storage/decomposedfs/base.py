"""What every part of ``DecomposedFS`` relies on: the tree, quota and the delete-to-trash step."""

from __future__ import annotations

import os
from collections.abc import Callable

from ocis.core.errors import NotFound
from ocis.core.timeutil import now
from ocis.storage.api import Quota
from ocis.storage.decomposedfs.node import size_of
from ocis.storage.decomposedfs.tree import Tree, check_id

QuotaLookup = Callable[[str], int | None]


class FSBase:
    tree: Tree
    _quota_for: QuotaLookup

    def quota(self, space_id: str) -> Quota:
        check_id(space_id)
        try:
            used = size_of(self.tree.read(space_id))
        except NotFound:
            used = 0
        return Quota(used=used, total=self._quota_for(space_id))

    def _remaining(self, space_id: str) -> int | None:
        return self.quota(space_id).available

    def _trash(self, space_id: str, node_id: str, path: str) -> None:
        """Unlink a subtree from its parent and list it in the space's trash. Caller holds lock."""
        tree = self.tree
        rec = tree.read(node_id)
        parent_id = str(rec["p"])
        t = now()
        rec["to"], rec["td"] = path, t
        tree.write(node_id, rec)
        trash_dir = tree.trash / space_id
        trash_dir.mkdir(exist_ok=True)
        os.symlink(f"../../nodes/{node_id}", trash_dir / node_id)
        tree.unlink(parent_id, str(rec["n"]))  # the subtree disappears in one step
        tree.propagate(parent_id, -size_of(rec), t)

