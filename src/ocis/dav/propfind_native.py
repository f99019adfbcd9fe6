"""PROPFIND without wsgidav for what clients ask all the time: named live properties, Depth 0 or 1.

The desktop client, rclone and ownCloud Web list folders with ``<d:prop>`` bodies of ``DAV:`` live
properties and ``oc:`` properties. Through wsgidav each such request built a resource object per
child, ran wsgidav's request pipeline and crossed the WSGI bridge; here one worker-thread call reads
the folder (``stat_and_list``: one path lookup) and renders the multistatus directly. The output is the same
as ``propfind.handle`` renders from wsgidav's values, byte for byte (``tests/unit/test_propfind_native.py``
compares them).

Everything else goes on to wsgidav unchanged: ``allprop`` and ``propname``, ``Depth: infinity``,
lock properties (``lockdiscovery``, ``supportedlock``), dead properties in other namespaces than
``oc:`` (those in ``oc:`` are read here, for nodes that have any), empty or malformed bodies, and
errors such as a missing resource.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from lxml import etree
from starlette.types import Send

from ocis.core.checksums import format_checksums
from ocis.core.errors import OcisError
from ocis.core.timeutil import http_date
from ocis.dav.propfind import MULTISTATUS_HEAD
from ocis.dav.tus import discovery_headers
from ocis.storage.api import NodeInfo, Storage
from ocis.thumbnails.api import is_previewable

OC = "http://owncloud.org/ns"
_OC_PREFIX = "{" + OC + "}"
_HREF_SAFE = "/!*'(),$-_|.~"
_DAV_LIVE = {
    "{DAV:}resourcetype", "{DAV:}getcontenttype", "{DAV:}getcontentlength", "{DAV:}displayname",
    "{DAV:}creationdate", "{DAV:}getetag", "{DAV:}getlastmodified", "{DAV:}quota-used-bytes",
    "{DAV:}quota-available-bytes",
}
_QUOTA = {"{DAV:}quota-used-bytes", "{DAV:}quota-available-bytes"}
_OK = "HTTP/1.1 200 OK"
_NOT_FOUND = "HTTP/1.1 404 Not Found"
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)

# A property's rendering for one node: (element xml, found) — not found ones go to the 404 propstat.
Render = Callable[[NodeInfo], "tuple[str, bool]"]


def parse_names(body: bytes) -> tuple[str, ...] | None:
    """The property names of a ``<d:propfind><d:prop>…`` body, or None if it is anything else
    (empty, allprop, propname, malformed, or names this module does not serve).

    Answers are kept by the body's exact bytes (clients send the same body every time), so a
    repeated body is not parsed again; small bodies only, at most ``_NAMES_MAX`` of them."""
    try:
        return _names_cache[body]
    except KeyError:
        pass
    names = _parse_names(body)
    if len(body) <= _NAMES_MAX_BODY:
        if len(_names_cache) >= _NAMES_MAX:
            _names_cache.clear()
        _names_cache[body] = names
    return names


_names_cache: dict[bytes, tuple[str, ...] | None] = {}
_NAMES_MAX, _NAMES_MAX_BODY = 64, 8192


def _parse_names(body: bytes) -> tuple[str, ...] | None:
    if not body.strip():
        return None
    try:
        root = etree.fromstring(body, parser=_XML_PARSER)
    except etree.XMLSyntaxError:
        return None
    if root.tag != "{DAV:}propfind":
        return None
    names: list[str] = []
    mode = ""
    for child in root:
        if not isinstance(child.tag, str):
            continue
        if child.tag == "{DAV:}prop":
            mode = mode or "named"
            names += [p.tag for p in child if isinstance(p.tag, str)]
        elif child.tag in ("{DAV:}allprop", "{DAV:}propname"):
            return None
    if mode != "named" or not names:
        return None
    if not all(n in _DAV_LIVE or n.startswith(_OC_PREFIX) for n in names):
        return None
    return tuple(names)


def _qname(name: str) -> str:
    if name.startswith("{DAV:}"):
        return "d:" + name[6:]
    return "oc:" + name[len(_OC_PREFIX):]


def _esc(value: str) -> str:
    """``escape`` for text that rarely needs it (3 substring tests are cheaper than 3 replaces)."""
    if "&" in value or "<" in value or ">" in value:
        return escape(value)
    return value


def _text(qname: str, value: str) -> str:
    return f"<{qname}>{_esc(value)}</{qname}>" if value else f"<{qname}/>"


class _Request:
    """What the property renderers need besides the node: the provider's caches, quota, favorites."""

    def __init__(self, storage: Storage, space_id: str, user_id: str, public_url: str,
                 user_lookup: Callable[[str], Any]) -> None:
        self.storage = storage
        self.space_id = space_id
        self.user_id = user_id
        self.public_url = public_url
        self.user_lookup = user_lookup
        self._quota: Any = None
        self._favorites: set[str] | None = None

    def quota(self) -> Any:
        if self._quota is None:
            self._quota = self.storage.quota(self.space_id)
        return self._quota

    def favorites(self) -> set[str]:
        if self._favorites is None:
            self._favorites = set(self.storage.favorites(self.user_id))
        return self._favorites

    def dead_props(self, info: NodeInfo) -> dict[str, str]:
        try:
            return self.storage.get_props(self.space_id, info.path)
        except OcisError:
            return {}


def _renderer(name: str, req: _Request) -> Render:
    """How to render ``name`` for a node (mirrors ``resources._NodeMixin.get_property_value``)."""
    q = _qname(name)
    empty = f"<{q}/>"
    if name.startswith(_OC_PREFIX):
        local = name[len(_OC_PREFIX):]
        if local in ("id", "fileid"):
            return lambda i: (_text(q, i.id), True)
        if local == "permissions":
            # the root of a space cannot be deleted, renamed or moved
            return lambda i: (_text(q, "RCK" if i.parent_id is None else "RDNVCK" if i.is_dir else "RDNVW"), True)
        if local == "size":
            return lambda i: (_text(q, str(i.size)), True)
        if local == "checksums":
            def checksums(i: NodeInfo) -> tuple[str, bool]:
                if not i.checksums:
                    return empty, False
                return f"<{q}><oc:checksum>{_esc(format_checksums(i.checksums))}</oc:checksum></{q}>", True
            return checksums
        if local == "owner-id":
            def owner_id(i: NodeInfo) -> tuple[str, bool]:
                owner = req.user_lookup(i.owner_id)
                return _text(q, owner.username if owner else i.owner_id), True
            return owner_id
        if local == "owner-display-name":
            def owner_name(i: NodeInfo) -> tuple[str, bool]:
                owner = req.user_lookup(i.owner_id)
                return _text(q, owner.display_name if owner else ""), True
            return owner_name
        if local == "share-types":
            return lambda i: (empty, True)
        if local == "privatelink":
            return lambda i: (_text(q, f"{req.public_url}/index.php/f/{quote(i.id)}"), True)
        if local == "downloadURL":
            return lambda i: (empty, True)
        if local == "has-preview":
            return lambda i: (_text(q, "true" if is_previewable(i) else "false"), True)
        if local == "favorite":
            return lambda i: (_text(q, "1" if i.id in req.favorites() else "0"), True)

        def dead(i: NodeInfo) -> tuple[str, bool]:
            # an oc: name we do not compute: a dead property, if one was set (PROPPATCH); the stored
            # value is the whole element as sent, with its own namespace declarations
            if i.has_props:
                value = req.dead_props(i).get(name)
                if value is not None:
                    return value, True
            return empty, False
        return dead
    if name == "{DAV:}resourcetype":
        return lambda i: (f"<{q}><d:collection/></{q}>" if i.is_dir else empty, True)
    if name == "{DAV:}getcontenttype":
        return lambda i: (_text(q, i.mimetype), True)
    if name == "{DAV:}getcontentlength":
        return lambda i: (empty, False) if i.is_dir else (_text(q, str(i.size)), True)
    if name == "{DAV:}displayname":
        return lambda i: (_text(q, i.name), True)
    if name == "{DAV:}getetag":
        return lambda i: (_text(q, f'"{i.etag}"'), True)
    if name == "{DAV:}getlastmodified":
        return lambda i: (_text(q, http_date(i.mtime)), True)
    if name == "{DAV:}quota-used-bytes":
        return lambda i: (_text(q, str(i.size)), True) if i.is_dir else (empty, False)
    if name == "{DAV:}quota-available-bytes":
        def available(i: NodeInfo) -> tuple[str, bool]:
            if not i.is_dir:
                return empty, False
            left = req.quota().available
            return _text(q, "-3" if left is None else str(left)), True
        return available
    return lambda i: (empty, False)  # creationdate: our resources have none


# oc: properties computed from the node; any other oc: name is a dead property (or absent)
_OC_COMPUTED = {"id", "fileid", "permissions", "size", "checksums", "owner-id", "owner-display-name",
                "share-types", "privatelink", "downloadURL", "has-preview", "favorite"}
# Properties whose value depends on more than the node (quota, favorites, user names): a response
# naming one of them is always rendered afresh.
_NOT_CACHED = {"{DAV:}quota-available-bytes", _OC_PREFIX + "owner-id", _OC_PREFIX + "owner-display-name",
               _OC_PREFIX + "favorite"}
# Rendered <d:response> entries: (names, base, public url, id(NodeInfo)) -> (that NodeInfo, xml).
# The storage hands out the same NodeInfo object while a node is unchanged (any change makes a new
# one), and every other property is a pure function of the NodeInfo, the base and the public url;
# the entry holds the NodeInfo, so its id is not reused while the entry exists. One pool for all
# users and bodies (the base names the user), emptied when full.
_Shape = tuple[tuple[str, ...], str, str]
_rendered: dict[tuple[int, int], tuple[NodeInfo, str]] = {}
_RENDERED_MAX = 8192  # entries (~0.8 KiB each)
_shapes: dict[_Shape, int] = {}  # shape -> small int, so entry keys hash fast
_shape_ids = itertools.count()


def _shape_id(shape: _Shape) -> int | None:
    """The cache id of a shape, or None when its entries must not be cached."""
    if any(n in _NOT_CACHED for n in shape[0]):
        return None
    sid = _shapes.get(shape)
    if sid is None:
        if len(_shapes) >= 256:
            _shapes.clear()
            _rendered.clear()
        # worker threads render concurrently: ids come from a counter (never reused) and setdefault
        # keeps one id per shape, so two shapes can never share cached entries
        sid = _shapes.setdefault(shape, next(_shape_ids))
    return sid


def _render_one(base: str, info: NodeInfo, renderers: list[Render]) -> str:
    path = info.path
    if info.is_dir and not path.endswith("/"):
        path += "/"
    found: list[str] = []
    missing: list[str] = []
    for r in renderers:
        xml, ok = r(info)
        (found if ok else missing).append(xml)
    # quote() leaves no & < > (they are not in _HREF_SAFE): nothing to escape
    parts = [f"<d:response><d:href>{quote(base + path, safe=_HREF_SAFE)}</d:href>"]
    if found:
        parts.append(f"<d:propstat><d:prop>{''.join(found)}</d:prop><d:status>{_OK}</d:status></d:propstat>")
    if missing:
        parts.append(f"<d:propstat><d:prop>{''.join(missing)}</d:prop>"
                     f"<d:status>{_NOT_FOUND}</d:status></d:propstat>")
    parts.append("</d:response>")
    return "".join(parts)


def render(base: str, nodes: list[NodeInfo], names: tuple[str, ...], req: _Request) -> bytes:
    """The multistatus for ``nodes`` (the requested resource first)."""
    renderers = [_renderer(n, req) for n in names]
    sid = _shape_id((names, base, req.public_url))
    dead_names = any(n.startswith(_OC_PREFIX) and n[len(_OC_PREFIX):] not in _OC_COMPUTED for n in names)
    parts = [MULTISTATUS_HEAD]
    for info in nodes:
        # dead properties change without a new NodeInfo: such entries are always rendered afresh
        if sid is None or (info.has_props and dead_names):
            parts.append(_render_one(base, info, renderers))
            continue
        key = (sid, id(info))
        hit = _rendered.get(key)
        if hit is not None and hit[0] is info:
            parts.append(hit[1])
            continue
        xml = _render_one(base, info, renderers)
        if len(_rendered) >= _RENDERED_MAX:
            _rendered.clear()
        _rendered[key] = (info, xml)
        parts.append(xml)
    parts.append("</d:multistatus>")
    return "".join(parts).encode("utf-8")


def collect(storage: Storage, space_id: str, path: str, depth: str, base: str, names: tuple[str, ...],
            req: _Request) -> tuple[bytes, bool] | None:
    """Stat (and list) and render: (body, is a folder), or None to let wsgidav answer (the
    resource is missing or the storage raised)."""
    try:
        if depth == "1":
            info, children = storage.stat_and_list(space_id, path)
            nodes = [info, *children]
        else:
            info = storage.stat(space_id, path)
            nodes = [info]
        return render(base, nodes, names, req), info.is_dir
    except OcisError:
        return None



async def handle(ctx: Any, base: str, body: bytes, send: Send, public_url: str,
                 user_lookup: Callable[[str], Any]) -> bool:
    """Answer the PROPFIND natively if it is one this module serves; False to hand it to wsgidav.

    Args:
        ctx: the request (``native.Ctx``): storage, space, path, headers, user, thread limiter.
        base: the endpoint prefix hrefs start with (``/remote.php/webdav``…).
        body: the (already vetted) request body.
        public_url: the server's public URL (``oc:privatelink``).
        user_lookup: user id -> user (for ``oc:owner-*``), or None.
    """
    depth = ctx.headers.get("depth", "1").strip().lower()
    if depth not in ("0", "1"):
        return False
    names = parse_names(body)
    if names is None:
        return False
    req = _Request(ctx.storage, ctx.space_id, ctx.user_id, public_url.rstrip("/"), user_lookup)
    # keyed by folder: a listing that was long (thousands of entries) goes to a thread next time
    key = (ctx.space_id, ctx.path.rstrip("/") or "/", depth)
    result = await ctx.read(collect, ctx.storage, ctx.space_id, ctx.path, depth, base, names, req, key=key)
    if result is None:
        return False
    data, is_dir = result
    headers = [(b"content-type", b"application/xml; charset=utf-8"), (b"content-length", str(len(data)).encode())]
    if is_dir:  # ownCloud Web uploads into a folder with TUS only if these are here
        headers += discovery_headers()
    await send({"type": "http.response.start", "status": 207, "headers": headers})
    await send({"type": "http.response.body", "body": data})
    return True
