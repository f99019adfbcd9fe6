"""Per-user favorites: ``favorites/<user-id>`` holds the set of node ids (msgpack), written
atomically. Kept out of node metadata because it is per user and unbounded."""

from __future__ import annotations

import os

import msgpack

from ocis.storage.decomposedfs.base import FSBase
from ocis.storage.decomposedfs.tree import check_id


class FavoritesMixin(FSBase):
    def favorites(self, user_id: str) -> set[str]:
        path = self.tree.root / "favorites" / check_id(user_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return set()
        return {str(x) for x in msgpack.unpackb(data, raw=False)}

    def set_favorite(self, user_id: str, node_id: str, favorite: bool) -> None:
        check_id(node_id)
        path = self.tree.root / "favorites" / check_id(user_id)
        with self.tree.lock:
            favs = self.favorites(user_id)
            if (node_id in favs) == favorite:
                return
            if favorite:
                favs.add(node_id)
            else:
                favs.discard(node_id)
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(msgpack.packb(sorted(favs), use_bin_type=True))
            os.replace(tmp, path)
