"""A node's metadata record and its conversion to ``NodeInfo``.

Record fields (short keys keep the xattr small; all bounded in size):

==== ============================================================
key  meaning
==== ============================================================
n    name (``""`` for a space root)
p    parent node id (``""`` for a space root)
s    space id
o    owner user id
d    True for a folder
m    modification time (float seconds, UTC)
tm   folders: tree mtime, the latest change below
ts   folders: tree size in bytes
b    files: blob id
bs   files: blob size in bytes
cs   files: {"SHA1": hex, "MD5": hex, "ADLER32": hex}
to   trashed subtree root: original path
td   trashed subtree root: deletion time
==== ============================================================
"""

from __future__ import annotations

import functools
import hashlib
import mimetypes
from typing import Any

from ocis.storage.api import NodeInfo

Record = dict[str, Any]
DIR_MIMETYPE = "httpd/unix-directory"


def etag_of(node_id: str, rec: Record) -> str:
    """Entity tag: changes with the content (blob id), the mtime and, for folders, the tree mtime."""
    basis = f"{node_id}\0{rec.get('b', '')}\0{rec.get('m', 0)!r}\0{rec.get('tm', 0)!r}"
    return hashlib.md5(basis.encode(), usedforsecurity=False).hexdigest()


def size_of(rec: Record) -> int:
    return int(rec.get("ts", 0) if rec.get("d") else rec.get("bs", 0))


def mtime_of(rec: Record) -> float:
    if rec.get("d"):
        return float(max(rec.get("tm", 0.0), rec.get("m", 0.0)))
    return float(rec.get("m", 0.0))


def mimetype_of(name: str, is_dir: bool) -> str:
    if is_dir:
        return DIR_MIMETYPE
    if ":" in name:  # guess_type reads "data:..." as a URL: ask it about the whole name
        return mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    # guess_type looks at most at the last two extensions ("x.tar.gz"): cache by those
    return _mimetype_of_suffix(".".join(name.rsplit(".", 2)[1:]))


@functools.lru_cache(maxsize=1024)
def _mimetype_of_suffix(suffix: str) -> str:
    if not suffix:
        return "application/octet-stream"
    return mimetypes.guess_type("x." + suffix, strict=False)[0] or "application/octet-stream"


def to_info(node_id: str, rec: Record, path: str) -> NodeInfo:
    is_dir = bool(rec.get("d"))
    name = str(rec.get("n", ""))
    return NodeInfo(
        id=node_id,
        space_id=str(rec.get("s", "")),
        parent_id=str(rec["p"]) if rec.get("p") else None,
        name=name,
        path=path,
        is_dir=is_dir,
        size=size_of(rec),
        mtime=mtime_of(rec),
        etag=etag_of(node_id, rec),
        owner_id=str(rec.get("o", "")),
        checksums=dict(rec.get("cs", {})) if not is_dir else {},
        mimetype=mimetype_of(name, is_dir),
        has_props=bool(rec.get("dp")),
    )
