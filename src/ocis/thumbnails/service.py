"""The preview service: size negotiation, the on-disk cache, and the storage lookup.

Requests follow ownCloud (protocol.md §6): ``GET <file>?preview=1&x=W&y=H&a=1&c=<etag>``; ``x``/``y``
(default 32) give the box, ``a`` keeps the aspect ratio (else fill and crop), ``scalingup=0``
never enlarges, ``c`` is only a cache buster. The box snaps up to the nearest configured
resolution so the cache stays small. Cache entries are ``<cache>/<node id>/<etag>-<w>x<h>-<a>``,
written atomically; stale ones are removed when a new etag is cached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

from ocis.core.errors import BadRequest, NotFound
from ocis.storage.api import NodeInfo, Storage
from ocis.thumbnails.generator import SOURCE_TYPES, make_thumbnail

RESOLUTIONS = [(16, 16), (32, 32), (64, 64), (128, 128), (256, 256), (512, 512), (1024, 1024), (1920, 1080),
               (3840, 2160)]
MAX_SOURCE_BYTES = 256 * 1024 * 1024


def is_previewable(info: NodeInfo) -> bool:
    return not info.is_dir and info.mimetype in SOURCE_TYPES and info.size <= MAX_SOURCE_BYTES


@dataclass(frozen=True)
class PreviewRequest:
    width: int
    height: int
    keep_aspect: bool
    upscale: bool

    @classmethod
    def from_query(cls, query: bytes) -> PreviewRequest:
        """Parse ``x``, ``y``, ``a``, ``scalingup`` from a query string. Raises BadRequest."""
        params = parse_qs(query.decode("latin-1"))

        def dim(name: str) -> int:
            raw = params.get(name, ["32"])[0] or "32"
            try:
                value = int(raw)
            except ValueError:
                raise BadRequest(f"{name} must be a whole number of pixels") from None
            if not 1 <= value <= 4096:
                raise BadRequest(f"{name} must be between 1 and 4096")
            return value

        width, height = dim("x"), dim("y")
        keep_aspect = params.get("a", ["0"])[0] not in ("0", "false", "")
        upscale = params.get("scalingup", ["1"])[0] not in ("0", "false")
        # snap up to the next configured resolution that holds the box
        for rw, rh in RESOLUTIONS:
            if rw >= width and rh >= height:
                width, height = rw, rh
                break
        return cls(width, height, keep_aspect, upscale)


class ThumbnailService:
    def __init__(self, storage: Storage, cache_dir: Path) -> None:
        self.storage = storage
        self.cache_dir = cache_dir

    def preview(self, space_id: str, path: str, req: PreviewRequest) -> tuple[bytes, str, NodeInfo]:
        """The thumbnail of a file: (bytes, content type, the file's info). Blocking.

        Raises:
            NotFound: no such file, or no preview for its type. BadRequest: a folder.
        """
        info = self.storage.stat(space_id, path)
        if info.is_dir:
            raise BadRequest("folders have no preview")
        if not is_previewable(info):
            raise NotFound("no preview available for this file type")
        node_dir = self.cache_dir / info.id
        stem = f"{info.etag}-{req.width}x{req.height}-{int(req.keep_aspect)}{int(req.upscale)}"
        for ext, ctype in (("png", "image/png"), ("jpg", "image/jpeg")):
            cached = node_dir / f"{stem}.{ext}"
            try:
                return cached.read_bytes(), ctype, info
            except FileNotFoundError:
                continue
        info, fh = self.storage.open_blob(space_id, path)
        with fh:
            data, ctype = make_thumbnail(fh, info.mimetype, req.width, req.height, keep_aspect=req.keep_aspect,
                                         upscale=req.upscale)
        self._store(node_dir, stem, "png" if ctype == "image/png" else "jpg", data, info.etag)
        return data, ctype, info

    @staticmethod
    def _store(node_dir: Path, stem: str, ext: str, data: bytes, etag: str) -> None:
        node_dir.mkdir(parents=True, exist_ok=True)
        for old in node_dir.iterdir():  # previews of older contents are useless now
            if not old.name.startswith(etag):
                old.unlink(missing_ok=True)
        tmp = node_dir / f".{stem}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, node_dir / f"{stem}.{ext}")
