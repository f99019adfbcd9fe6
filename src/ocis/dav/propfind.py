"""PROPFIND (RFC 4918 §9.1) with the response format ownCloud clients require (protocol.md §4.3):
the requested resource first, the 200 propstat before the others, prefixes ``d:``/``oc:``/``s:``,
``application/xml; charset=utf-8``. wsgidav computes the property values; we render them, which is
also several times faster than wsgidav's generic XML builder."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from wsgidav import util
from wsgidav.dav_error import (
    HTTP_BAD_REQUEST,
    HTTP_FORBIDDEN,
    HTTP_NOT_FOUND,
    DAVError,
    PRECONDITION_CODE_PropfindFiniteDepth,
    get_http_status_string,
)

from ocis.core.errors import BadRequest
from ocis.dav.tus import TUS_HEADERS

if TYPE_CHECKING:
    from ocis.dav.provider import SpaceProvider

PREFIXES = {
    "DAV:": "d",
    "http://owncloud.org/ns": "oc",
    "http://sabredav.org/ns": "s",
    "http://open-collaboration-services.org/ns": "ocs",
}
MULTISTATUS_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n<d:multistatus xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"'
    ' xmlns:oc="http://owncloud.org/ns" xmlns:ocs="http://open-collaboration-services.org/ns">'
)


def _tag(name: str) -> tuple[str, str]:
    """(qualified name, namespace declaration) for a Clark-notation property name."""
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        prefix = PREFIXES.get(ns)
        if prefix:
            return f"{prefix}:{local}", ""
        return f"x:{local}", f' xmlns:x="{escape(ns, {chr(34): "&quot;"})}"'
    return name, ' xmlns=""'


def _render_element(el: Any) -> str:
    """Serialise an lxml element with our fixed prefixes (lxml would invent ``ns0:``)."""
    if not isinstance(el.tag, str):
        return ""  # comment or processing instruction
    qname, decl = _tag(el.tag)
    inner = escape(el.text or "") + "".join(_render_element(c) + escape(c.tail or "") for c in el)
    return f"<{qname}{decl}>{inner}</{qname}>" if inner else f"<{qname}{decl}/>"


def _render_prop(name: str, value: Any) -> str:
    qname, decl = _tag(name)
    if value is None or value == "":
        return f"<{qname}{decl}/>"
    if isinstance(value, str):
        return f"<{qname}{decl}>{escape(value)}</{qname}>"
    if isinstance(value, bytes):  # pragma: no cover - defensive
        return f"<{qname}{decl}>{escape(value.decode())}</{qname}>"
    inner = escape(value.text or "") + "".join(_render_element(c) + escape(c.tail or "") for c in value)
    return f"<{qname}{decl}>{inner}</{qname}>" if inner else f"<{qname}{decl}/>"


def render_response(href: str, props: list[tuple[str, Any]]) -> str:
    by_status: dict[str, list[str]] = {}
    for name, value in props:
        if isinstance(value, DAVError):
            by_status.setdefault(get_http_status_string(value), []).append(_render_prop(name, None))
        else:
            by_status.setdefault("200 OK", []).append(_render_prop(name, value))
    parts = [f"<d:response><d:href>{escape(href)}</d:href>"]
    for status in sorted(by_status, key=lambda s: (s != "200 OK", s)):
        parts.append(f"<d:propstat><d:prop>{''.join(by_status[status])}</d:prop>"
                     f"<d:status>HTTP/1.1 {status}</d:status></d:propstat>")
    parts.append("</d:response>")
    return "".join(parts)


def propfind_mode(root: Any) -> tuple[str, list[str] | None]:
    """(mode, names) of a parsed ``DAV:propfind`` element: mode ``allprop``, ``name`` or ``named``
    (RFC 4918 §14.20); names only for ``named``.

    Raises:
        BadRequest: not a propfind element, or none of prop, allprop, propname in it.
    """
    if root.tag != "{DAV:}propfind":
        raise BadRequest("the body must be a DAV:propfind element")
    mode, names = "", []
    for child in root:
        if not isinstance(child.tag, str):
            continue  # comments
        if child.tag == "{DAV:}allprop":
            mode = mode or "allprop"
        elif child.tag == "{DAV:}propname":
            mode = "name"
        elif child.tag == "{DAV:}prop":
            mode = "named"
            names += [p.tag for p in child if isinstance(p.tag, str)]
    if not mode:
        raise BadRequest("propfind needs prop, allprop or propname")
    return mode, names if mode == "named" else None


def _parse_request(environ: dict[str, Any]) -> tuple[str, list[str] | None]:
    body = util.parse_xml_body(environ, allow_empty=True)  # raises DAVError(400) if malformed
    if body is None:
        return "allprop", None
    try:
        return propfind_mode(body)
    except BadRequest as exc:
        raise DAVError(HTTP_BAD_REQUEST, exc.message) from None


def handle(provider: SpaceProvider, environ: dict[str, Any],
           start_response: Callable[..., Any]) -> Iterable[bytes]:
    depth = environ.get("HTTP_DEPTH", "1").lower()
    if depth not in ("0", "1", "infinity"):
        raise DAVError(HTTP_BAD_REQUEST, f"invalid Depth {depth!r}")
    if depth == "infinity" and not provider.allow_propfind_infinity:
        raise DAVError(HTTP_FORBIDDEN, "Depth: infinity is not allowed here",
                       err_condition=PRECONDITION_CODE_PropfindFiniteDepth)
    res = provider.get_resource_inst(environ["PATH_INFO"], environ)
    if res is None:
        raise DAVError(HTTP_NOT_FOUND, "not found")
    mode, names = _parse_request(environ)
    if depth == "0" or not res.is_collection:
        resources = [res]
    elif depth == "1":
        resources = [res, *res.get_member_list()]
    else:
        resources = res.get_descendants(depth="infinity", add_self=True)
    chunks = [MULTISTATUS_HEAD]
    for r in resources:
        props = r.get_properties(mode, name_list=names)
        chunks.append(render_response(r.get_href(), props))
    chunks.append("</d:multistatus>")
    data = "".join(chunks).encode("utf-8")
    headers = [("Content-Type", "application/xml; charset=utf-8"), ("Content-Length", str(len(data)))]
    if res.is_collection:  # ownCloud Web uploads into a folder with TUS only if these are here
        headers += TUS_HEADERS
    start_response("207 Multi-Status", headers)
    return [data]
