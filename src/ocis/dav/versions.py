"""The versions endpoint ``/remote.php/dav/meta/<fileid>/v[/<key>]`` (protocol.md §4.10).

PROPFIND lists a file's earlier contents (the current one is not listed), GET downloads one,
COPY onto the file restores it (the current content becomes a version), DELETE removes one.
``PROPFIND /meta/<fileid>`` answers ``oc:meta-path-for-user`` (how iOS resolves private links).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from lxml import etree
from starlette.types import Send

from ocis.core.errors import BadRequest, NotFound
from ocis.core.principal import Principal
from ocis.core.timeutil import http_date
from ocis.dav import paths
from ocis.dav.http import OC, multistatus, parse_propfind, render_response, respond, select_props
from ocis.dav.native import CHUNK, Ctx, check_locked, node_headers
from ocis.storage.api import NodeInfo, Revision

_SAFE = "/!*'(),$-_|.~"
_ALLOW = b"OPTIONS, PROPFIND, GET, HEAD, COPY, DELETE"


def _collection() -> Any:
    return etree.fromstring('<d:resourcetype xmlns:d="DAV:"><d:collection/></d:resourcetype>')


def _version_props(file_id: str, rev: Revision) -> dict[str, Any]:
    return {
        "{DAV:}resourcetype": "",
        "{DAV:}getcontentlength": str(rev.size),
        "{DAV:}getlastmodified": http_date(rev.mtime),
        "{DAV:}getetag": f'"{rev.etag}"',
        "{DAV:}getcontenttype": "application/octet-stream",
        f"{{{OC}}}id": f"{file_id}@{rev.key}",
        f"{{{OC}}}fileid": f"{file_id}@{rev.key}",
        f"{{{OC}}}versionkey": rev.key,
    }


async def _own_file(ctx: Ctx, file_id: str) -> NodeInfo:
    """The file, if it lives in the caller's space (404 otherwise: ids of others are not revealed)."""
    info: NodeInfo = await ctx.run(ctx.storage.stat_id, file_id)
    if info.space_id != ctx.space_id:
        raise NotFound("no such file")
    return info


async def handle(ctx: Ctx, principal: Principal, target: paths.Target, method: str, body: bytes,
                 send: Send) -> None:
    file_id = target.base.rsplit("/", 1)[1]
    rest = [s for s in target.path.split("/") if s]
    if (rest and rest[0] != "v") or len(rest) > 2:
        raise NotFound("no such resource")
    info = await _own_file(ctx, file_id)
    key = rest[1] if len(rest) == 2 else None
    base = quote(target.base, safe=_SAFE)
    storage = ctx.storage
    if method == "PROPFIND":
        mode, names = parse_propfind(body)
        depth = ctx.headers.get("depth", "1")
        if not rest:
            props = {"{DAV:}resourcetype": _collection(), f"{{{OC}}}meta-path-for-user": info.path,
                     f"{{{OC}}}id": info.id, f"{{{OC}}}fileid": info.id}
            await multistatus(send, [render_response(f"{base}/", select_props(props, mode, names))])
            return
        revisions = await ctx.run(storage.list_revisions, file_id)
        if key is not None:
            rev = next((r for r in revisions if r.key == key), None)
            if rev is None:
                raise NotFound("no such version")
            await multistatus(send, [render_response(f"{base}/v/{quote(key)}",
                                                     select_props(_version_props(file_id, rev), mode, names))])
            return
        responses = [render_response(f"{base}/v/", select_props({"{DAV:}resourcetype": _collection()}, mode, names))]
        if depth != "0":
            responses += [render_response(f"{base}/v/{quote(r.key)}", select_props(_version_props(file_id, r), mode,
                                                                                  names)) for r in revisions]
        await multistatus(send, responses)
    elif method in ("GET", "HEAD") and key is not None:
        rev, fh = await ctx.run(storage.open_revision, file_id, key)
        try:
            headers = [(b"content-type", info.mimetype.encode()), (b"content-length", str(rev.size).encode()),
                       (b"etag", f'"{rev.etag}"'.encode()), (b"last-modified", http_date(rev.mtime).encode()),
                       (b"content-disposition", f"attachment; filename*=UTF-8''{quote(info.name)}".encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            if method == "HEAD":
                await send({"type": "http.response.body", "body": b""})
                return
            while chunk := await ctx.run(fh.read, CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await ctx.run(fh.close)
    elif method == "COPY" and key is not None:
        _check_restore_destination(ctx.headers.get("destination"), principal, info)
        check_locked(ctx, info.path, depth="0")
        restored = await ctx.run(storage.restore_revision, file_id, key)
        await respond(send, 204, headers=node_headers(restored))
    elif method == "DELETE" and key is not None:
        await ctx.run(storage.delete_revision, file_id, key)
        await respond(send, 204)
    elif method == "OPTIONS":
        await respond(send, 200, headers=[(b"allow", _ALLOW)])
    else:
        await respond(send, 405, headers=[(b"allow", _ALLOW)])


def _check_restore_destination(destination: str | None, principal: Principal, info: NodeInfo) -> None:
    """A version is restored onto its own file: the Destination (if given) must be that file."""
    if not destination:
        return
    dest = paths.resolve(urlsplit(destination).path.encode("latin-1"))
    own = dest.user is None or dest.user.lower() in (principal.username.lower(), principal.id)
    if dest.kind != "files" or not own or dest.path.rstrip("/") != info.path:
        raise BadRequest("a version can only be restored onto its own file")
