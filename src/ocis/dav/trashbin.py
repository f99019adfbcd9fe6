"""The trash bin endpoint ``/remote.php/dav/trash-bin/<user>/[<key>[/<path>]]`` (protocol.md §4.9).

PROPFIND lists deleted items (Depth 1 on the root, or inside a deleted folder); MOVE of an item to
a files URL restores it; DELETE of an item purges it, folders with their content; DELETE of the root
empties the trash (the seed's known issues: both failed in oCIS 1.0).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from lxml import etree

from ocis.core.errors import BadRequest, NotFound, PermissionDenied
from ocis.core.principal import Principal
from ocis.core.timeutil import http_date
from ocis.dav import paths
from ocis.dav.http import OC, multistatus, parse_propfind, render_response, respond, select_props
from ocis.dav.native import Ctx, check_locked, node_headers
from ocis.storage.api import TrashItem

_SAFE = "/!*'(),$-_|.~"


def _props(item: TrashItem) -> dict[str, Any]:
    props: dict[str, Any] = {
        f"{{{OC}}}trashbin-original-filename": item.name,
        f"{{{OC}}}trashbin-original-location": item.origin.lstrip("/"),
        f"{{{OC}}}trashbin-delete-datetime": http_date(item.deleted),
        f"{{{OC}}}trashbin-delete-timestamp": str(int(item.deleted)),
        f"{{{OC}}}size": str(item.size),
        f"{{{OC}}}id": item.node_id,
        f"{{{OC}}}fileid": item.node_id,
        "{DAV:}getetag": f'"{item.etag}"',
        "{DAV:}getlastmodified": http_date(item.mtime),
    }
    if item.is_dir:
        props["{DAV:}resourcetype"] = _root_props()["{DAV:}resourcetype"]
        props["{DAV:}getcontenttype"] = "httpd/unix-directory"
    else:
        props["{DAV:}resourcetype"] = ""
        props["{DAV:}getcontentlength"] = str(item.size)
    return props


def _root_props() -> dict[str, Any]:
    return {"{DAV:}resourcetype": etree.fromstring('<d:resourcetype xmlns:d="DAV:"><d:collection/></d:resourcetype>')}


async def handle(ctx: Ctx, principal: Principal, target: paths.Target, method: str, body: bytes,
                 public_url: str, send: Any) -> None:
    if (target.user or "").lower() not in (principal.username.lower(), principal.id):
        raise PermissionDenied("you may only access your own trash bin")
    storage = ctx.storage
    key = target.path.strip("/")
    base = quote(target.base, safe=_SAFE)
    if method == "PROPFIND":
        mode, names = parse_propfind(body)
        depth = ctx.headers.get("depth", "1")
        responses = []
        if key:
            parent_key = key.rsplit("/", 1)[0] if "/" in key else ""
            siblings = await ctx.run(storage.list_trash, ctx.space_id, parent_key)
            item = next((i for i in siblings if i.key == key), None)
            if item is None:
                raise NotFound("no such trash item")
            href = f"{base}/{quote(key, safe=_SAFE)}" + ("/" if item.is_dir else "")
            responses.append(render_response(href, select_props(_props(item), mode, names)))
            if item.is_dir and depth != "0":
                children = await ctx.run(storage.list_trash, ctx.space_id, key)
                responses += [_item_response(base, i, mode, names) for i in children]
        else:
            responses.append(render_response(f"{base}/", select_props(_root_props(), mode, names)))
            if depth != "0":
                items = await ctx.run(storage.list_trash, ctx.space_id, "")
                responses += [_item_response(base, i, mode, names) for i in items]
        await multistatus(send, responses)
    elif method == "DELETE":
        if key:
            await ctx.run(storage.purge_trash, ctx.space_id, key)
        else:
            await ctx.run(storage.empty_trash, ctx.space_id)
        await respond(send, 204)
    elif method == "MOVE":
        if not key:
            raise BadRequest("the trash bin itself cannot be moved")
        dest = _restore_target(ctx.headers.get("destination", ""), principal)
        overwrite = ctx.headers.get("overwrite", "T").strip().upper() != "F"
        check_locked(ctx, dest)
        check_locked(ctx, dest.rsplit("/", 1)[0] or "/", depth="0")  # adding to a locked folder
        info, created = await ctx.run(storage.restore_trash, ctx.space_id, key, dest, overwrite=overwrite)
        await respond(send, 201 if created else 204, headers=node_headers(info))
    elif method == "OPTIONS":
        await respond(send, 200, headers=[(b"allow", b"OPTIONS, PROPFIND, MOVE, DELETE")])
    else:
        await respond(send, 405, headers=[(b"allow", b"OPTIONS, PROPFIND, MOVE, DELETE")])


def _item_response(base: str, item: TrashItem, mode: str, names: list[str] | None) -> str:
    href = f"{base}/{quote(item.key, safe=_SAFE)}" + ("/" if item.is_dir else "")
    return render_response(href, select_props(_props(item), mode, names))


def _restore_target(destination: str, principal: Principal) -> str:
    """The space path a restore MOVE targets; it must be the same user's files endpoint."""
    if not destination:
        raise BadRequest("a Destination header is required")
    dest = paths.resolve(urlsplit(destination).path.encode("latin-1"))
    if dest.kind != "files" or (dest.user is not None and dest.user.lower() not in (principal.username.lower(),
                                                                                    principal.id)):
        raise BadRequest("the destination must be in your files")
    return dest.path
