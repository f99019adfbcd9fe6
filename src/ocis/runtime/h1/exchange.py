"""One HTTP/1.1 request and its response (:mod:`ocis.runtime.h1`): the ASGI ``receive``/``send`` of
one request, response framing (content-length, chunked, HEAD/204/304), header validation."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import trio

from ocis.runtime.body_timeout import ENFORCED, TIMED_OUT
from ocis.runtime.h1.parser import REASONS, Closed, HttpDate, Request, content_length

if TYPE_CHECKING:
    from ocis.runtime.h1.connection import H1Connection

log = logging.getLogger("hypercorn.error")

DRAIN_LIMIT = 1024 * 1024      # bytes of unread request body read and dropped to keep the connection
DRAIN_TIMEOUT = 10.0           # seconds for that

_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_GOOD_NAMES: set[bytes] = set()   # header names already seen valid (our apps use a few dozen)
_NO_BODY = frozenset((204, 304))
_OURS = frozenset((b"transfer-encoding", b"connection", b"date"))   # framing and date are set here
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class Exchange:
    """One request and its response on an :class:`H1Connection`."""

    def __init__(self, conn: H1Connection, req: Request) -> None:
        self.conn = conn
        self.req = req
        self.head_sent = False
        self.started = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.done = False            # the last body message was sent
        self.chunked = False
        self.length: int | None = None   # content-length the app declared
        self.sent = 0                # body bytes sent
        self.close = not req.keep_alive
        self.continue_sent = False
        self.body_delivered = False      # the app got the message with more_body False
        self.asgi_scope: dict[str, Any] = {}  # scope[TIMED_OUT]: the request body stopped arriving
        self.no_body = req.method == "HEAD"

    def scope(self) -> dict[str, Any]:
        req = self.req
        target = req.target
        if target[:1] != b"/" and (target.startswith((b"http://", b"https://"))):
            # absolute-form (RFC 9112 §3.2.2): the path is what follows the authority
            slash = target.find(b"/", target.index(b"//") + 2)
            target = target[slash:] if slash >= 0 else b"/"
        path, _, query = target.partition(b"?")
        conn = self.conn
        return {
            "type": "http",
            "http_version": req.version,
            "asgi": {"spec_version": "2.1", "version": "3.0"},
            "method": req.method,
            "scheme": conn.scheme,
            "path": unquote(path.decode("ascii")),
            "raw_path": path,
            "query_string": query,
            "root_path": conn.config.root_path,
            "headers": req.headers,
            "client": conn.client,
            "server": conn.server,
            "state": conn.state.copy(),
            "extensions": {ENFORCED: {}},  # request bodies are timed out here, see receive()
        }

    async def run(self, *, last: bool) -> bool:
        """Call the app; returns whether the connection can serve another request."""
        conn = self.conn
        if last:
            self.close = True
        try:
            scope = self.asgi_scope = self.scope()
        except UnicodeError:
            await conn._error(400)
            return False
        try:
            await conn.app(scope, self.receive, self.send, trio.to_thread.run_sync, trio.from_thread.run)
        except Exception:
            log.exception("Error in ASGI Framework")
            self.close = True
        if not self.started:  # the app failed or returned without answering: a broken body, or our fault
            self.status = 408 if self.asgi_scope.get(TIMED_OUT) else conn.bad or 500
            self.headers, self.started = [(b"content-length", b"0")], True
            self.close = True
        if not self.done:
            if self.head_sent:
                self.close = True    # the response is incomplete: only closing tells the client
            else:
                await self._send_body(b"", more=False)
        if self.close or conn.broken:
            conn.linger = not self.req.complete
            return False
        if await self._finish_request_body():
            return True
        conn.linger = True
        return False

    def _can_drain(self) -> bool:
        """Whether what is left of the request body can be read and dropped after the answer."""
        req = self.req
        if req.complete:
            return True
        if req.expect_continue and not self.continue_sent:
            return False  # the client may or may not send the body now: only closing is unambiguous
        length = content_length(req.headers)
        return length is not None and length <= DRAIN_LIMIT

    async def _finish_request_body(self) -> bool:
        """Read and drop what the app left of the request body, when that is cheap; else close."""
        req, conn = self.req, self.conn
        if req.complete:
            return True
        if not self._can_drain():
            return False
        try:
            with trio.move_on_after(DRAIN_TIMEOUT):
                while not req.complete:
                    req.body.clear()
                    await conn._feed(DRAIN_TIMEOUT)
        except Closed:
            return False
        req.body.clear()
        return req.complete

    # --- ASGI receive/send ----------------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """ASGI receive: the request body in the blocks read so far, then ``http.disconnect`` once
        the response is complete or the client is gone."""
        req, conn = self.req, self.conn
        while True:
            if req.body or (req.complete and not self.body_delivered):
                data = req.body[0] if len(req.body) == 1 else b"".join(req.body)
                req.body.clear()
                more = not req.complete
                if not more:
                    self.body_delivered = True
                return {"type": "http.request", "body": data, "more_body": more}
            if req.complete:
                if not (self.done or conn.broken):
                    await conn.disconnected.wait()
                return {"type": "http.disconnect"}
            if req.expect_continue and not self.continue_sent and not self.head_sent:
                self.continue_sent = True
                await conn.write(_CONTINUE)
            try:
                await conn._feed(conn.body_timeout, since_arrival=True)
            except Closed:
                self.close = True
                if conn.timed_out:
                    self.asgi_scope[TIMED_OUT] = True  # answered 408 below; the access log says so too
                conn.disconnected.set()
                return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.headers = valid_headers(message.get("headers", ()))
            self.status = int(message["status"])
            self.started = True
        elif kind == "http.response.body":
            if not self.started or self.done:
                raise RuntimeError("http.response.body out of order")
            await self._send_body(bytes(message.get("body", b"")), more=bool(message.get("more_body", False)))
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r}")

    async def _send_body(self, body: bytes, *, more: bool) -> None:
        out = b""
        if not self.head_sent:
            out = self._head(body, more)
            self.head_sent = True
        if not more:
            self.done = True
        if self.no_body:
            body = b""
        elif self.length is not None:
            room = self.length - self.sent
            if len(body) > room:  # more than declared: never send it (the next response would be garbage)
                body = body[:room]
                self.close = True
            self.sent += len(body)
            if not more and self.sent < self.length:
                self.close = True
        elif self.chunked:
            body = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + (b"" if more else b"0\r\n\r\n")
        if out or body:
            await self.conn.write(out + body if out else body)

    def _head(self, body: bytes, more: bool) -> bytes:
        status = self.status
        if self.conn.terminating or not self._can_drain():
            self.close = True
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b""))]
        for name, value in self.headers:
            lname = name.lower()
            if lname == b"content-length":
                self.length = int(value)
                continue
            if lname in _OURS:
                continue
            lines += (name, b": ", value, b"\r\n")
        bodiless = status < 200 or status in _NO_BODY
        if bodiless:
            self.no_body = True
            self.length = None
        elif self.length is not None:
            lines.append(b"content-length: %d\r\n" % self.length)
        elif not self.no_body:
            if not more:
                self.length = len(body)
                lines.append(b"content-length: %d\r\n" % self.length)
            elif self.req.version == "1.1":
                self.chunked = True
                lines.append(b"transfer-encoding: chunked\r\n")
            else:
                self.close = True  # HTTP/1.0: the end of the body is the end of the connection
        lines.append(b"date: %s\r\n" % HttpDate.now())
        if self.close:
            lines.append(b"connection: close\r\n")
        elif self.req.version == "1.0":
            lines.append(b"connection: keep-alive\r\n")  # RFC 9112 Appendix C.2.2
        lines.append(b"\r\n")
        return b"".join(lines)


def valid_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    """Response headers as (name, value) bytes, stripped; ValueError if one could split the head
    (CR, LF or NUL in a value, a name that is not a token) or a content-length is not a number."""
    out = []
    for name, value in headers:
        name, value = bytes(name).strip(), bytes(value).strip()
        if name not in _GOOD_NAMES:
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"invalid response header name {name!r}")
            if len(_GOOD_NAMES) < 512:
                _GOOD_NAMES.add(name)
        out.append((name, value))
        if len(name) == 14 and name.lower() == b"content-length" and not value.isdigit():
            raise ValueError(f"invalid content-length {value!r}")
    # one scan over all values instead of one per header (the separator is allowed in values)
    if _BAD_VALUE.search(b"\t".join(v for _, v in out)):
        raise ValueError("CR, LF or NUL in a response header value")
    return out
