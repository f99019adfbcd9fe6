"""Small ASGI response helpers shared by the native DAV handlers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree
from starlette.types import Send

from ocis.dav.propfind import MULTISTATUS_HEAD, propfind_mode, render_response

OC = "http://owncloud.org/ns"


async def respond(send: Send, status: int, body: bytes = b"", content_type: str = "application/xml; charset=utf-8",
                  headers: list[tuple[bytes, bytes]] | None = None) -> None:
    hdrs = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs + (headers or [])})
    await send({"type": "http.response.body", "body": body})


async def multistatus(send: Send, responses: Iterable[str]) -> None:
    """207 with the given rendered ``<d:response>`` elements (see ``propfind.render_response``)."""
    body = (MULTISTATUS_HEAD + "".join(responses) + "</d:multistatus>").encode()
    await respond(send, 207, body)


def select_props(available: dict[str, Any], mode: str, names: list[str] | None) -> list[tuple[str, Any]]:
    """Props for a response: all of ``available`` (allprop), or the named ones (unknown → 404)."""
    from wsgidav.dav_error import HTTP_NOT_FOUND, DAVError

    if mode == "name":
        return [(n, None) for n in available]
    if mode == "allprop" or names is None:
        return list(available.items())
    return [(n, available[n]) if n in available else (n, DAVError(HTTP_NOT_FOUND)) for n in names]


def parse_propfind(body: bytes) -> tuple[str, list[str] | None]:
    """(mode, names) of a PROPFIND body already vetted by ``app._buffer_xml_body``; empty = allprop.
    Raises BadRequest (see ``propfind.propfind_mode``)."""
    if not body.strip():
        return "allprop", None
    return propfind_mode(etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False, no_network=True)))


__all__ = ["OC", "multistatus", "parse_propfind", "render_response", "respond", "select_props"]
