"""Responses the proxy writes itself: 401 challenges, CORS preflight answers, 500 fallbacks.

401 bodies follow the route's flavor: Sabre ``<d:error>`` XML for WebDAV (what the desktop client,
owncloud-sdk and rclone parse for a message), the OCS envelope with statuscode 997 for OCS
(HTTP 401 on v1 too, as oc10 does, so clients see the challenge), plain text otherwise.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from starlette.types import Scope, Send

from ocis.ocs import envelope
from ocis.proxy.routes import Flavor

Headers = list[tuple[bytes, bytes]]

NO_CREDENTIALS = ("No 'Authorization: Basic' header found. Either the client didn't send one, "
                  "or the server is mis-configured")
BAD_CREDENTIALS = "Username or password was incorrect"

CORS_METHODS = ("GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH, PROPFIND, PROPPATCH, MKCOL, COPY, MOVE, "
                "LOCK, UNLOCK, REPORT, SEARCH")
CORS_HEADERS = ("Authorization, Content-Type, Depth, Destination, Overwrite, If, If-Match, If-None-Match, "
                "OCS-APIREQUEST, OC-Checksum, OC-Total-Length, X-OC-Mtime, X-Request-ID, X-Requested-With, "
                "Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, Upload-Checksum, "
                "Upload-Defer-Length")


def sabre_error(exception: str, message: str) -> bytes:
    """Sabre-style WebDAV error body."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">'
        f"<s:exception>{escape(exception)}</s:exception>"
        f"<s:message>{escape(message)}</s:message>"
        "</d:error>\n"
    ).encode()


async def send_response(send: Send, status: int, headers: Headers, body: bytes, *,
                        head: bool = False) -> None:
    """Send a complete response (``content-length`` is added)."""
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def unauthorized(scope: Scope, send: Send, flavor: Flavor, challenges: list[str],
                       had_credentials: bool) -> None:
    """Answer 401 with one ``WWW-Authenticate`` per challenge and a body in the route's flavor."""
    message = BAD_CREDENTIALS if had_credentials else NO_CREDENTIALS
    headers: Headers = [(b"www-authenticate", c.encode("latin-1", "replace")) for c in challenges]
    if flavor is Flavor.DAV:
        body = sabre_error("Sabre\\DAV\\Exception\\NotAuthenticated", message)
        headers.append((b"content-type", b"application/xml; charset=utf-8"))
    elif flavor is Flavor.OCS:
        parsed = envelope.parse_ocs_path(scope.get("path", ""))
        version = parsed[0] if parsed else 1
        fmt = "json" if envelope.wants_json(scope.get("query_string", b"")) else "xml"
        body, ctype = envelope.render(version, fmt, envelope.UNAUTHORISED, "Unauthorised")
        headers.append((b"content-type", ctype.encode()))
    else:
        body = f"401 Unauthorized: {message}\n".encode()
        headers.append((b"content-type", b"text/plain; charset=utf-8"))
    await send_response(send, 401, headers, body, head=scope.get("method") == "HEAD")


async def preflight(scope: Scope, send: Send, origin: bytes, requested_headers: bytes | None) -> None:
    """Answer a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method)."""
    headers: Headers = [
        (b"access-control-allow-origin", origin or b"*"),
        (b"access-control-allow-methods", CORS_METHODS.encode()),
        (b"access-control-allow-headers", requested_headers or CORS_HEADERS.encode()),
        (b"access-control-max-age", b"3600"),
        (b"vary", b"Origin"),
    ]
    await send_response(send, 204, headers, b"")


async def server_error(scope: Scope, send: Send, flavor: Flavor) -> None:
    """Answer 500 after a service app crashed before starting its response."""
    if flavor is Flavor.DAV:
        body = sabre_error("Sabre\\DAV\\Exception", "Internal Server Error")
        ctype = b"application/xml; charset=utf-8"
    elif flavor is Flavor.OCS:
        parsed = envelope.parse_ocs_path(scope.get("path", ""))
        version = parsed[0] if parsed else 1
        fmt = "json" if envelope.wants_json(scope.get("query_string", b"")) else "xml"
        body, ctype_s = envelope.render(version, fmt, envelope.SERVER_ERROR, "Internal Server Error")
        ctype = ctype_s.encode()
        await send_response(send, 500, [(b"content-type", ctype)], body)
        return
    else:
        body, ctype = b"500 Internal Server Error\n", b"text/plain; charset=utf-8"
    await send_response(send, 500, [(b"content-type", ctype)], body)
