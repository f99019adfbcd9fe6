"""HTTP/1.1 connections served on httptools (llhttp) instead of hypercorn's h11 protocol (RFC 9112).

Why: on a small request (1 KiB PUT, PROPFIND Depth 0) hypercorn's HTTP/1.1 path cost more server
CPU than Apache's whole request: h11 parses and writes in pure Python, and every request spawns an
app task, passes each body message through a memory channel, takes a send lock and restarts an idle
timer task: ~13 trips through trio's scheduler per request. Here one task per connection reads,
parses with llhttp (C), calls the ASGI app inline and writes the head and the first body block in one
TLS record. hypercorn still does everything else: listening, TLS set-up, lifespan, HTTP/2 (ALPN
``h2``), graceful shutdown; a connection that is not HTTP/1.1 is handed back to it
(:func:`serve_connection`): over TLS that is decided by ALPN alone (no ALPN means HTTP/1.1, as
RFC 9113 §3.3 requires ALPN for HTTP/2 over TLS); over plain TCP by the HTTP/2 preface or an
``Upgrade: h2c`` request.

Behaviour kept from hypercorn's HTTP/1.1 path: keep-alive with ``keep_alive_timeout`` and
``keep_alive_max_requests``, ``h11_max_incomplete_size`` for a request head (431 beyond it),
``Expect: 100-continue`` answered when the app first reads the body, ``date`` header, HEAD/204/304
without a body, a 500 when the app ends without answering, a response without ``content-length``
sent chunked (or with its length when the app sent it in one message), sends to a closed connection
ignored. Differences: an unread request body is read and dropped after the answer when it is small
(``DRAIN_LIMIT``), else the connection is closed; a response whose body does not match its
``content-length`` closes the connection; an ``Upgrade`` request is answered as plain HTTP/1.1
and the connection closed after it. Stricter than h11 (RFC 9112): a missing or repeated ``Host``,
transfer codings other than ``chunked``, versions other than 1.0/1.1, unknown methods, a head not
complete within ``keep_alive_timeout`` of its first byte, and chunk framing (sizes, extensions,
trailers) out of proportion to the body are answered with an error and the connection closed; after
such an answer, what the client still sends is read for a moment (so it sees the answer, not a
reset), and TLS connections end with a close_notify.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from email.utils import formatdate
from http import HTTPStatus
from math import inf
from time import time
from typing import Any
from urllib.parse import unquote

import trio

from ocis.runtime.hypercorn_patch import drain_tls

try:
    import httptools
    HAVE_HTTPTOOLS = True
except ImportError:  # pragma: no cover - e.g. a platform without a wheel: hypercorn's h11 serves
    HAVE_HTTPTOOLS = False

log = logging.getLogger("hypercorn.error")

DRAIN_LIMIT = 1024 * 1024      # bytes of unread request body read and dropped to keep the connection
FRAMING_LIMIT = 65536          # bytes of chunk framing allowed per request beyond 8 per body byte
LINGER_SECONDS = 2.0           # after an error answer, what the client still sends is read this long...
LINGER_BYTES = 4 * 1024 * 1024  # ...or up to this much, so it gets the answer rather than a reset
DRAIN_TIMEOUT = 10.0           # seconds for that
READ_SIZE = 262144             # bytes per socket read
READ_BATCH = 1024 * 1024       # decrypted bytes handed to the parser at once, at most
H2_PREFACE = b"PRI * HTTP/2.0"

_REASONS = {int(s): s.phrase.encode("latin-1") for s in HTTPStatus}
_BAD_VALUE = re.compile(rb"[\x00\r\n]")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_GOOD_NAMES: set[bytes] = set()   # header names already seen valid (our apps use a few dozen)
_NO_BODY = frozenset((204, 304))
_OURS = frozenset((b"transfer-encoding", b"connection", b"date"))   # framing and date are set here
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def available() -> bool:
    """Whether the fast path can be used (httptools is importable)."""
    return HAVE_HTTPTOOLS


class _Date:
    """The ``date`` header value (RFC 9110 §6.6.1), formatted once per second."""

    second = -1
    value = b""

    @classmethod
    def now(cls) -> bytes:
        t = int(time())
        if t != cls.second:
            cls.second = t
            cls.value = formatdate(t, usegmt=True).encode("ascii")
        return cls.value


class _Request:
    """One parsed request: head, buffered body blocks, whether its body is complete."""

    __slots__ = (
        "body",
        "body_bytes",
        "complete",
        "expect_continue",
        "framing",
        "headers",
        "keep_alive",
        "method",
        "reject",
        "target",
        "upgrade",
        "version",
    )

    def __init__(self) -> None:
        self.target = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.keep_alive = True
        self.version = "1.1"
        self.upgrade = False
        self.expect_continue = False
        self.reject = 0              # status to answer instead of calling the app (431, 400, 501, 505)
        self.body_bytes = 0          # body bytes parsed so far
        self.framing = 0             # other bytes parsed after the head (chunk sizes, extensions, trailers)
        self.method = "GET"


class _Parser:
    """httptools callbacks: requests whose head is complete go to ``ready`` in order (pipelining)."""

    def __init__(self, max_head: int) -> None:
        self.max_head = max_head     # bytes (hypercorn's h11_max_incomplete_size)
        self.ready: deque[_Request] = deque()
        self.current: _Request | None = None
        self.head_bytes = 0          # size of the current head so far (h11_max_incomplete_size)
        self.in_head = False
        self.body_total = 0          # body bytes parsed on this connection
        self.parser = httptools.HttpRequestParser(self)

    def on_message_begin(self) -> None:
        self.current = _Request()
        self.in_head = True
        self.head_bytes = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.current.target += url
        self.head_bytes += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        if not self.in_head:
            # a trailer field (RFC 9112 §7.1.2): not passed on, only counted (framing limit)
            return
        self.head_bytes += len(name) + len(value) + 4
        self.current.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        req = self.current
        assert req is not None
        p = self.parser
        req.method = p.get_method().decode("ascii")
        req.version = p.get_http_version()
        req.keep_alive = p.should_keep_alive()
        req.upgrade = p.should_upgrade()
        req.reject = _check_head(req, self.head_bytes > self.max_head)
        if req.reject:
            req.keep_alive = False
        self.in_head = False
        self.head_bytes = 0
        self.ready.append(req)

    def on_body(self, body: bytes) -> None:
        assert self.current is not None
        self.current.body.append(body)
        self.current.body_bytes += len(body)
        self.body_total += len(body)

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.current.complete = True


class _Closed(Exception):
    """The client went away or sent something unparsable; the connection ends."""


class H1Connection:
    """Serve one HTTP/1.1 connection (see the module docstring).

    Args:
        app: hypercorn's wrapped app (``app(scope, receive, send, sync_spawn, call_soon)``).
        config: hypercorn ``Config``.
        context: hypercorn ``WorkerContext`` (``terminated`` = graceful shutdown began).
        stream: the connection (``trio.SSLStream`` after its handshake, or a socket stream).
        ssl: whether it is TLS; client, server: (host, port) of both ends.
        state: the lifespan state copied into every scope.
    """

    def __init__(self, app: Any, config: Any, context: Any, stream: Any, *, ssl: bool,
                 client: Any, server: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.config = config
        self.context = context
        self.stream = stream
        self.scheme = "https" if ssl else "http"
        self.client = client
        self.server = server
        self.state = state
        self.p = _Parser(config.h11_max_incomplete_size)
        self.eof = False             # nothing more will be read (end of stream, error, upgrade)
        self.bad = 0                 # the status for a malformed request from the client (400, 501)
        self.linger = False          # the client may still be sending: read it off before closing
        self.broken = False
        self.disconnected = trio.Event()
        self.idle_scope: trio.CancelScope | None = None
        self.terminating = False
        self._ssl_object = getattr(stream, "_ssl_object", None)

    # --- reading --------------------------------------------------------------------------------

    async def _feed(self, seconds: float) -> None:
        """Read once from the client (waiting at most ``seconds``) and parse.

        Raises:
            _Closed: end of stream, broken connection or timeout, or nothing more to read.
        """
        if self.eof:
            raise _Closed
        try:
            with trio.fail_after(seconds):
                data = await self.stream.receive_some(READ_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError):
            self.eof = True
            raise _Closed from None
        if not data:
            self.eof = True
            raise _Closed
        if self._ssl_object is not None:
            data = drain_tls(self._ssl_object, data, READ_BATCH)
        self.feed(data)

    def feed(self, data: bytes | bytearray) -> None:
        """Parse ``data``. A malformed request sets ``bad`` (answered with 400 once the requests
        before it are served); nothing more is read after it."""
        p = self.p
        # A head still incomplete after a whole read counts that read too: llhttp keeps a partial
        # header line to itself, so the callbacks alone would not see a never-ending line.
        was_in_head = p.in_head
        before, body_before = p.current, p.body_total
        try:
            p.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The request head (and body, if any) before the upgrade point was parsed; it is
            # answered as plain HTTP/1.1 and the connection closes after it.
            if p.current is not None:
                p.current.upgrade = True
                p.current.keep_alive = False
                p.current.complete = True
            self.eof = True
        except httptools.HttpParserError as exc:
            self.eof = True
            last = p.current
            # llhttp refuses bytes after a request that ends the connection (HTTP/1.0, close):
            # they are ignored, not an error of that request
            if last is None or not (last.complete and not last.keep_alive):
                # RFC 9110 §15.6.2: a method we do not know is "not implemented"
                self.bad = 501 if isinstance(exc, httptools.HttpParserInvalidMethodError) else 400
                if last is not None and not last.complete:
                    last.keep_alive = False
        if was_in_head and p.in_head:
            p.head_bytes += len(data)
        cur = p.current
        if cur is not None and cur is before and not p.in_head and not was_in_head:
            # Body framing (chunk sizes, extensions, trailers) beyond 64 KiB and 8 bytes per body
            # byte is not a real upload: endless extensions or trailers would hold the connection
            # (and trailers memory) forever (RFC 9112 §7.1.1, §7.1.2: limit them like the head).
            cur.framing += len(data) - (p.body_total - body_before)
            if cur.framing > FRAMING_LIMIT + 8 * cur.body_bytes and not self.bad:
                self.eof = True
                self.bad = 400
                cur.keep_alive = False

    async def _next_request(self) -> _Request | None:
        """The next request whose head is complete, or None when the connection should end.

        An idle connection is closed after ``keep_alive_timeout``; a head must be complete within
        that time of its first byte, however slowly it trickles in (slowloris), else 408."""
        p = self.p
        keep_alive = self.config.keep_alive_timeout
        head_deadline = trio.current_time() + keep_alive if p.in_head else inf
        while not p.ready:
            if self.terminating:
                return None
            if p.in_head and p.head_bytes > self.config.h11_max_incomplete_size:
                await self._error(431)
                return None
            if self.bad:
                await self._error(self.bad)
                return None
            if p.in_head and head_deadline == inf:
                head_deadline = trio.current_time() + keep_alive
            with trio.CancelScope() as scope:
                self.idle_scope = scope
                try:
                    if head_deadline == inf:
                        await self._feed(keep_alive)
                    else:
                        with trio.move_on_at(head_deadline) as head_scope:
                            await self._feed(inf)
                        if head_scope.cancelled_caught:
                            await self._error(408)
                            return None
                except _Closed:
                    if self.bad:
                        await self._error(self.bad)
                    return None
                finally:
                    self.idle_scope = None
            if scope.cancelled_caught:
                return None
        return p.ready.popleft()

    # --- writing --------------------------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Send bytes; a failure marks the connection broken (later writes are dropped)."""
        if self.broken:
            return
        try:
            with trio.CancelScope(shield=True):  # a cancelled TLS send leaves the stream unusable
                await self.stream.send_all(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            self.broken = True
            self.disconnected.set()

    async def _error(self, status: int) -> None:
        self.linger = True
        await self.write(b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\ndate: %s\r\n\r\n"
                         % (status, _REASONS.get(status, b""), _Date.now()))

    # --- the connection -------------------------------------------------------------------------

    async def run(self) -> None:
        """Serve requests until the client closes, a timeout, an error, or server shutdown."""
        async with trio.open_nursery() as nursery:
            nursery.start_soon(self._watch_shutdown)
            try:
                served = 0
                while True:
                    req = await self._next_request()
                    if req is None:
                        break
                    if req.reject:
                        await self._error(req.reject)
                        break
                    served += 1
                    keep = await _Exchange(self, req).run(
                        last=served >= self.config.keep_alive_max_requests or self.terminating)
                    if not keep:
                        break
            finally:
                nursery.cancel_scope.cancel()

    async def _watch_shutdown(self) -> None:
        await self.context.terminated.wait()
        self.terminating = True
        if self.idle_scope is not None:
            self.idle_scope.cancel()


class _Exchange:
    """One request and its response on an :class:`H1Connection`."""

    def __init__(self, conn: H1Connection, req: _Request) -> None:
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
            "extensions": {},
        }

    async def run(self, *, last: bool) -> bool:
        """Call the app; returns whether the connection can serve another request."""
        conn = self.conn
        if last:
            self.close = True
        try:
            scope = self.scope()
        except UnicodeError:
            await conn._error(400)
            return False
        try:
            await conn.app(scope, self.receive, self.send, trio.to_thread.run_sync, trio.from_thread.run)
        except Exception:
            log.exception("Error in ASGI Framework")
            if not self.started:
                self.status, self.headers = 500, [(b"content-length", b"0")]
                self.started = True
                self.close = True
                await self._send_body(b"", more=False)
                return False
            self.close = True
        if not self.started:  # the app returned without answering: a broken body, or our fault
            self.status = conn.bad or 500
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
        length = _content_length(req.headers)
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
        except _Closed:
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
                await conn._feed(conn.config.read_timeout or inf)
            except _Closed:
                self.close = True
                conn.disconnected.set()
                return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            self.headers = _valid_headers(message.get("headers", ()))
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
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b""))]
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
        lines.append(b"date: %s\r\n" % _Date.now())
        if self.close:
            lines.append(b"connection: close\r\n")
        elif self.req.version == "1.0":
            lines.append(b"connection: keep-alive\r\n")  # RFC 9112 Appendix C.2.2
        lines.append(b"\r\n")
        return b"".join(lines)


_VERSIONS = frozenset(("1.0", "1.1"))


def _check_head(req: _Request, too_large: bool) -> int:
    """0 if the app may see the request, else the status to answer it with (the connection closes).

    Checks what llhttp lets through: the head size (431), HTTP versions other than 1.0/1.1 (505,
    RFC 9110 §15.6.6), ``Host`` missing or repeated in HTTP/1.1 (400, RFC 9112 §3.2), transfer
    codings other than a single ``chunked`` (400 when chunked is not last, RFC 9112 §6.3; else 501,
    §6.1). Also notes ``Expect: 100-continue`` (ignored in HTTP/1.0, RFC 9110 §10.1.1)."""
    if too_large:
        return 431
    if req.version not in _VERSIONS:
        return 505
    hosts = 0
    codings: list[bytes] = []
    for name, value in req.headers:
        if name == b"host":
            hosts += 1
        elif name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.split(b",")]
        elif name == b"expect" and value.strip().lower() == b"100-continue" and req.version == "1.1":
            req.expect_continue = True
    if req.version == "1.1" and hosts != 1:
        return 400
    if codings and codings != [b"chunked"]:
        return 501 if codings[-1] == b"chunked" else 400
    return 0


def _valid_headers(headers: Any) -> list[tuple[bytes, bytes]]:
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


def _content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class _Replay:
    """A socket stream that first returns bytes already read from it (hand-over to hypercorn)."""

    def __init__(self, stream: Any, data: bytes) -> None:
        self._stream = stream
        self._data = data
        self.socket = stream.socket

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        if self._data:
            first, self._data = self._data, b""
            await trio.lowlevel.checkpoint()
            return first
        data: bytes | bytearray = await self._stream.receive_some(max_bytes)
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


async def serve_connection(server: Any, hypercorn_run: Any) -> None:
    """Serve a hypercorn ``TCPServer``'s connection: HTTP/1.1 here, anything else by ``hypercorn_run``.

    TLS: after the handshake, ALPN ``h2`` goes to hypercorn (``do_handshake`` is idempotent).
    Plain TCP: the first bytes are read; the HTTP/2 preface or an ``Upgrade`` (h2c) goes to hypercorn
    with those bytes replayed.
    """
    from hypercorn.utils import parse_socket_addr

    stream = server.stream
    config = server.config
    if isinstance(stream, trio.SSLStream):
        try:
            with trio.fail_after(config.ssl_handshake_timeout):
                await stream.do_handshake()
        except (trio.BrokenResourceError, trio.TooSlowError):
            await _aclose(stream)
            return
        if stream.selected_alpn_protocol() not in (None, "http/1.1"):
            await hypercorn_run(server)
            return
        sock = stream.transport_stream.socket
        ssl = True
        first = b""
    else:
        sock = stream.socket
        ssl = False
        try:
            with trio.fail_after(config.keep_alive_timeout):
                first = bytes(await stream.receive_some(READ_SIZE))
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError, OSError):
            await _aclose(stream)
            return
        if not first:
            await _aclose(stream)
            return
        head = first.split(b"\r\n\r\n", 1)[0].lower()
        if first.startswith(H2_PREFACE[:len(first)]) or b"\nupgrade:" in head:
            server.stream = _Replay(stream, first)
            await hypercorn_run(server)
            return
    try:
        client = parse_socket_addr(sock.family, sock.getpeername())
        srv = parse_socket_addr(sock.family, sock.getsockname())
    except OSError:
        await _aclose(stream)
        return
    conn = H1Connection(server.app, config, server.context, stream, ssl=ssl, client=client, server=srv,
                        state=dict(server.state))
    try:
        if first:
            conn.feed(first)
        await conn.run()
        if conn.linger and not conn.broken:
            await _linger(stream)
    finally:
        await _aclose(stream)


async def _linger(stream: Any) -> None:
    """Read and drop what the client still sends after our last answer (a large body we did not
    want), for a short while: closing with unread data makes the kernel send a reset, and many
    clients then report the reset instead of the answer (a 401, 413 or 400) they already have."""
    left = LINGER_BYTES
    with trio.move_on_after(LINGER_SECONDS):
        try:
            while left > 0:
                data = await stream.receive_some(READ_SIZE)
                if not data:
                    return
                left -= len(data)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            return


async def _aclose(stream: Any) -> None:
    """Close the connection; over TLS with a close_notify first (RFC 8446 §6.1). hypercorn's
    listener makes its streams "https-compatible", which closes without one, and OpenSSL 3 clients
    reading to the end of the stream (HTTP/1.0, ``ab``) then count the response as failed."""
    if isinstance(stream, trio.SSLStream) and hasattr(stream, "_https_compatible"):
        stream._https_compatible = False
    with trio.CancelScope(shield=True):
        try:
            with trio.move_on_after(1):
                await stream.aclose()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
