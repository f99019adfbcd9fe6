"""The WebDAV service: ``/remote.php/webdav``, ``/remote.php/dav/files/<user>``, ``/webdav``,
``/dav/files/<user>``, ``/status.php`` and private links (``/index.php/f/<id>``).

GET, HEAD, PUT and OPTIONS are native ASGI (``native.py``); everything else (PROPFIND, PROPPATCH,
MKCOL, DELETE, COPY, MOVE, LOCK, UNLOCK) runs in wsgidav over ``SpaceProvider`` through the
streaming trio bridge, with space-relative paths.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, urlsplit
from xml.etree.ElementTree import ParseError

import trio
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as defused_et
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wsgidav.dav_error import DAVError
from wsgidav.error_printer import ErrorPrinter
from wsgidav.lock_man.lock_storage import LockStorageShelve
from wsgidav.request_resolver import RequestResolver
from wsgidav.wsgidav_app import WsgiDAVApp

from ocis.core.errors import BadRequest, OcisError, PermissionDenied
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.core.status import status_body
from ocis.dav import native, paths, propfind_native, report, trashbin, versions, wsgidav_patch
from ocis.dav.errors import error_body
from ocis.dav.provider import SpaceProvider
from ocis.dav.reads import ReadRunner
from ocis.dav.tus import TusHandler, discovery_headers
from ocis.dav.wsgi_adapt import ResponseAdapter
from ocis.dav.wsgi_bridge import build_environ, run_wsgi
from ocis.runtime.deps import Deps
from ocis.thumbnails.api import PreviewRequest, ThumbnailService

log = logging.getLogger(__name__)

ALLOW = "OPTIONS, GET, HEAD, DELETE, PROPFIND, PUT, POST, PROPPATCH, COPY, MOVE, MKCOL, LOCK, UNLOCK, REPORT"
_XML_BODY_METHODS = {"PROPFIND", "PROPPATCH", "LOCK", "REPORT"}
MAX_XML_BODY = 1024 * 1024  # bytes; request bodies of these methods are small XML documents
# Bodies that passed the check above, by their exact bytes: clients send the same few PROPFIND
# bodies over and over, and the same bytes pass the same check again. Small and bounded.
_vetted: dict[bytes, None] = {}
_VETTED_MAX, _VETTED_MAX_BODY = 64, 8192


async def _buffer_xml_body(receive: Receive) -> tuple[bytes, Receive]:
    """Read a whole XML request body and check it (no DTDs or entities: billion laughs, XXE).

    Returns the body and a ``receive`` that replays it. Raises BadRequest; OcisError 413-ish is
    reported as BadRequest too, since a PROPFIND of a megabyte is not a PROPFIND.
    """
    chunks, size = [], 0
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            raise BadRequest("client disconnected")
        chunk = msg.get("body", b"")
        size += len(chunk)
        if size > MAX_XML_BODY:
            raise BadRequest("the XML request body is too large")
        chunks.append(chunk)
        if not msg.get("more_body", False):
            break
    body = b"".join(chunks)
    if body.strip() and body not in _vetted:
        try:
            defused_et.fromstring(body, forbid_dtd=True)
        except (DefusedXmlException, ParseError, ValueError) as exc:
            raise BadRequest(f"malformed XML body: {exc}") from None
        if len(body) <= _VETTED_MAX_BODY:
            if len(_vetted) >= _VETTED_MAX:
                _vetted.clear()
            _vetted[body] = None
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _wsgidav(provider: SpaceProvider, lock_file: Path) -> WsgiDAVApp:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    return WsgiDAVApp({
        "provider_mapping": {"/": provider},
        "middleware_stack": [ErrorPrinter, RequestResolver],
        "http_authenticator": {"domain_controller": None, "accept_basic": False, "accept_digest": False},
        "simple_dc": {"user_mapping": {}},
        # locks survive a restart (a client holding a token keeps its lock)
        "lock_storage": LockStorageShelve(str(lock_file)),
        "property_manager": None,
        "block_size": 1024 * 1024,
        "honor_mtime_header": False,   # X-OC-Mtime is handled here (fractional seconds too)
        "dir_browser": {"enable": False},
        "verbose": 1,
        "logging": {"enable": False},
        "add_header_MS_Author_Via": True,
    })


async def _respond(send: Send, status: int, body: bytes = b"", content_type: str = "application/xml; charset=utf-8",
                   headers: list[tuple[bytes, bytes]] | None = None) -> None:
    hdrs = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": hdrs + (headers or [])})
    await send({"type": "http.response.body", "body": body})


class DavService:
    def __init__(self, deps: Deps) -> None:
        wsgidav_patch.apply()
        self.deps = deps
        self.storage = deps.storage
        self.provider = SpaceProvider(deps.storage, deps.accounts, deps.config.url,
                                      deps.config.dav.allow_propfind_infinity)
        self.wsgi = _wsgidav(self.provider, deps.config.data_dir / "dav" / "locks")
        self.lock_manager = self.provider.lock_manager
        self.limiter = trio.CapacityLimiter(32)
        self.reads = ReadRunner(self.limiter, inline=deps.config.storage.inline_reads)
        self._homes: set[str] = set()
        self.thumbnails = ThumbnailService(deps.storage, deps.config.data_dir / "thumbnails")
        self.tus = TusHandler(deps.storage, deps.config.url, self.lock_manager, self.limiter)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"].upper()
        try:
            target = paths.resolve(scope.get("raw_path") or scope["path"].encode())
        except BadRequest as exc:
            await _respond(send, 400, error_body(400, exc.message))
            return
        if target.kind == "status":
            await _respond(send, 200, status_body(), "application/json")
            return
        if target.kind == "other" and target.segments[:1] == ("data",):
            await self.tus.data(scope, receive, send, target.segments)  # TUS upload resources
            return
        if target.kind not in ("files", "trash", "meta"):
            await self._other(target, scope, send)
            return
        if method == "OPTIONS":
            await _respond(send, 200, b"", "text/plain", [
                (b"allow", ALLOW.encode()), (b"dav", b"1, 2"), (b"ms-author-via", b"DAV"),
                (b"accept-ranges", b"bytes"), *(discovery_headers() if target.kind == "files" else [])])
            return
        principal: Principal | None = scope.get(SCOPE_KEY)
        if principal is None:
            await _respond(send, 401, error_body(401, "No valid credentials"))
            return
        if target.kind in ("trash", "meta"):
            await self._meta_endpoints(scope, receive, send, target, principal, method)
            return
        if target.user is not None and target.user.lower() not in (principal.username.lower(), principal.id):
            await _respond(send, 403, error_body(403, "you may only access your own files here"))
            return
        ctx = await self._context(scope, target, principal)
        try:
            if method in ("GET", "HEAD") and _wants_preview(scope.get("query_string", b"")):
                await self._preview(ctx, scope, send, head=method == "HEAD")
                return
            if method in ("GET", "HEAD"):
                if await native.get(ctx, send, head=method == "HEAD"):
                    return
                await _respond(send, 405, error_body(405, "GET is only allowed on files"),
                               headers=[(b"allow", ALLOW.encode())])
                return
            if method == "POST":  # TUS creation on a folder
                await self.tus.create(ctx, principal.id, receive, send)
                return
            if method == "PUT":
                await native.put(ctx, receive, send)
                return
            if method == "REPORT":
                body, _ = await _buffer_xml_body(receive)
                await report.handle(ctx, self.provider, target.base, target.path, body, send)
                return
            if method in ("DELETE", "MOVE", "COPY") and target.path == "/":
                raise PermissionDenied("the root of your files cannot be deleted, moved or copied")
            if method == "MKCOL" and await native.mkcol_target_exists(ctx):
                # what wsgidav answers, without it: rclone sends MKCOL for the parent of every file
                await _respond(send, 405, error_body(405, "Method Not Allowed"))
                return
            if method in _XML_BODY_METHODS:
                body, receive = await _buffer_xml_body(receive)
                if method == "PROPFIND" and await propfind_native.handle(
                        ctx, target.base, body, send, self.provider.public_url, self.provider.user):
                    return  # named live properties: served without wsgidav
            await self._wsgidav(scope, receive, send, target, ctx, method)
        except (OcisError, DAVError) as exc:
            await native.dispatch_error(send, exc, head=method == "HEAD")

    async def _preview(self, ctx: native.Ctx, scope: Scope, send: Send, head: bool) -> None:
        """``GET <file>?preview=1&x=&y=&a=&c=`` (protocol.md §6)."""
        req = PreviewRequest.from_query(scope.get("query_string", b""))
        data, ctype, info = await ctx.run(self.thumbnails.preview, ctx.space_id, ctx.path, req)
        etag = f'"{info.etag}-{req.width}x{req.height}"'.encode()
        headers = [(b"cache-control", b"max-age=86400, must-revalidate"), (b"etag", etag)]
        await _respond(send, 200, b"" if head else data, ctype, headers)

    async def _context(self, scope: Scope, target: paths.Target, principal: Principal) -> native.Ctx:
        """The request context in the caller's home space (created on first access)."""
        space_id = principal.id
        if space_id not in self._homes:
            await trio.to_thread.run_sync(self.storage.home, space_id, limiter=self.limiter)
            self._homes.add(space_id)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        return native.Ctx(self.storage, self.lock_manager, space_id, target.path, principal.username, headers,
                          self.limiter, principal.id, self.reads)

    async def _meta_endpoints(self, scope: Scope, receive: Receive, send: Send, target: paths.Target,
                              principal: Principal, method: str) -> None:
        """Trash bin and versions: natively served, in the caller's home space."""
        ctx = await self._context(scope, target, principal)
        try:
            body = b""
            if method in _XML_BODY_METHODS:
                body, _ = await _buffer_xml_body(receive)
            if target.kind == "trash":
                await trashbin.handle(ctx, principal, target, method, body, self.deps.config.url, send)
            else:
                await versions.handle(ctx, principal, target, method, body, send)
        except (OcisError, DAVError) as exc:
            await native.dispatch_error(send, exc, head=method == "HEAD")

    async def _other(self, target: paths.Target, scope: Scope, send: Send) -> None:
        segs = target.segments
        if len(segs) == 3 and segs[:2] == ("index.php", "f"):
            # private link: into the web UI at the file (the UI resolves the id)
            location = f"{self.deps.config.url.rstrip('/')}/#/f/{quote(segs[2])}"
            await _respond(send, 302, b"", "text/plain", [(b"location", location.encode())])
            return
        await _respond(send, 404, error_body(404, "no such endpoint"))

    def _destination(self, value: str, headers: dict[str, str], space_id: str, principal: str) -> str:
        """Space-relative path of a Destination header (RFC 4918 §10.3), as wsgidav expects it."""
        parts = urlsplit(value)
        if parts.netloc:
            host = parts.netloc.lower()
            allowed = {headers.get("host", "").lower(), headers.get("x-forwarded-host", "").lower(),
                       urlsplit(self.deps.config.url).netloc.lower()}
            if host not in allowed:
                raise DAVError(502, "the destination is on another server")
        dest = paths.resolve(parts.path.encode("latin-1"))
        if dest.kind != "files":
            raise BadRequest("the Destination must be a URL of your files")
        if dest.user is not None and dest.user.lower() != principal.lower() and dest.user != space_id:
            raise PermissionDenied("the destination is another user's space")
        if dest.path == "/":
            raise PermissionDenied("the root of your files cannot be replaced")
        return quote(dest.path, safe="/!*'(),$-_|.~")

    async def _wsgidav(self, scope: Scope, receive: Receive, send: Send, target: paths.Target,
                       ctx: native.Ctx, method: str) -> None:
        environ = build_environ(scope, receive, "", target.path)
        environ["ocis.space_id"] = ctx.space_id
        environ["ocis.dav_base"] = target.base
        environ["wsgidav.auth.user_name"] = ctx.username
        environ["ocis.user_id"] = ctx.user_id
        mtime = native._parse_mtime(ctx.headers.get("x-oc-mtime"))
        environ["ocis.mtime"] = mtime
        dest_path: str | None = None
        if method in ("MOVE", "COPY") and "destination" in ctx.headers:
            environ["HTTP_DESTINATION"] = self._destination(ctx.headers["destination"], ctx.headers,
                                                            ctx.space_id, ctx.username)
            dest_path = paths.resolve(urlsplit(ctx.headers["destination"]).path.encode("latin-1")).path
        node_path = dest_path if dest_path is not None else target.path
        adapter = ResponseAdapter(self.wsgi, method, self.storage, ctx.space_id, node_path, mtime)
        await run_wsgi(adapter, environ, send, self.limiter)


def _wants_preview(query: bytes) -> bool:
    return any(part.split(b"=", 1)[0] == b"preview" and part not in (b"preview=0", b"preview=false")
               for part in query.split(b"&"))


def create_app(deps: Deps) -> ASGIApp:
    """ASGI app for ``/remote.php/``, ``/dav/``, ``/webdav/``, ``/status.php``, ``/index.php/``."""
    return DavService(deps)
