"""REPORT on a user's files (protocol.md §4.8): ``oc:filter-files`` (favorites) and
``oc:search-files`` (case-insensitive name search within the user's space)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lxml import etree
from starlette.types import Send

from ocis.core.errors import BadRequest, NotFound
from ocis.dav.http import OC, multistatus, render_response
from ocis.dav.native import Ctx
from ocis.storage.api import NodeInfo

if TYPE_CHECKING:
    from ocis.dav.provider import SpaceProvider

DEFAULT_LIMIT = 30
MAX_LIMIT = 1000


def _parse(body: bytes) -> tuple[str, list[str], Any]:
    if not body.strip():
        raise BadRequest("REPORT needs a body")
    root = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    names: list[str] = []
    prop = root.find("{DAV:}prop")
    if prop is not None:
        names = [p.tag for p in prop if isinstance(p.tag, str)]
    return str(root.tag), names, root


def _favorites(ctx: Ctx, root: Any) -> list[NodeInfo]:
    rules = root.find(f"{{{OC}}}filter-rules")
    fav = rules.find(f"{{{OC}}}favorite") if rules is not None else None
    if fav is None or (fav.text or "").strip() not in ("1", "true"):
        raise BadRequest("only the oc:favorite filter rule is supported")
    out = []
    for node_id in sorted(ctx.storage.favorites(ctx.user_id)):
        try:
            info = ctx.storage.stat_id(node_id)
        except NotFound:
            continue  # deleted (or in the trash)
        if info.space_id == ctx.space_id:
            out.append(info)
    out.sort(key=lambda i: i.path)
    return out


def _search(ctx: Ctx, root: Any) -> list[NodeInfo]:
    search = root.find(f"{{{OC}}}search")
    pattern = search.findtext(f"{{{OC}}}pattern") if search is not None else None
    if not pattern or not pattern.strip():
        raise BadRequest("oc:search needs an oc:pattern")
    limit_text = search.findtext(f"{{{OC}}}limit") if search is not None else None
    try:
        limit = int(limit_text) if limit_text and limit_text.strip() else DEFAULT_LIMIT
    except ValueError:
        raise BadRequest("oc:limit must be a number") from None
    limit = DEFAULT_LIMIT if limit <= 0 else min(limit, MAX_LIMIT)
    return ctx.storage.search(ctx.space_id, pattern.strip(), limit)


def run(ctx: Ctx, provider: SpaceProvider, base: str, body: bytes) -> list[str]:
    """Evaluate a REPORT; returns rendered ``<d:response>`` elements (blocking: run in a thread)."""
    tag, names, root = _parse(body)
    if tag == f"{{{OC}}}filter-files":
        nodes = _favorites(ctx, root)
    elif tag == f"{{{OC}}}search-files":
        nodes = _search(ctx, root)
    else:
        raise BadRequest(f"unsupported REPORT {tag}")
    environ: dict[str, Any] = {"wsgidav.provider": provider, "ocis.space_id": ctx.space_id,
                               "ocis.dav_base": base, "ocis.user_id": ctx.user_id}
    mode = "named" if names else "allprop"
    out = []
    for info in nodes:
        res = provider.resource_for(info, environ)
        out.append(render_response(res.get_href(), res.get_properties(mode, name_list=names or None)))
    return out


async def handle(ctx: Ctx, provider: SpaceProvider, base: str, path: str, body: bytes, send: Send) -> None:
    if path.strip("/"):
        # oc10 answers search only on the user root (501 elsewhere); favorites likewise
        raise BadRequest("REPORT is only supported on the root of your files")
    responses = await ctx.run(run, ctx, provider, base, body)
    await multistatus(send, responses)
