"""One HTTP/1.1 connection (:mod:`ocis.runtime.h1`): reading and parsing, keep-alive and its
timeouts, error answers, and the hand-over of other protocols to hypercorn."""

from __future__ import annotations

from math import inf
from typing import Any

import trio

from ocis.runtime.body_timeout import BODY_TIMEOUT, CLOCKS, ArrivalClock, track_arrivals, wait_arriving
from ocis.runtime.h1.exchange import Exchange
from ocis.runtime.h1.parser import REASONS, Closed, HttpDate, Parser, Request, httptools
from ocis.runtime.hypercorn_patch import drain_tls

FRAMING_LIMIT = 65536          # bytes of chunk framing allowed per request beyond 8 per body byte
LINGER_SECONDS = 2.0           # after an error answer, what the client still sends is read this long...
LINGER_BYTES = 4 * 1024 * 1024  # ...or up to this much, so it gets the answer rather than a reset
READ_SIZE = 262144             # bytes per socket read
READ_BATCH = 1024 * 1024       # decrypted bytes handed to the parser at once, at most
H2_PREFACE = b"PRI * HTTP/2.0"


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
        self.p = Parser(config.h11_max_incomplete_size)
        self.eof = False             # nothing more will be read (end of stream, error, upgrade)
        self.bad = 0                 # the status for a malformed request from the client (400, 501)
        self.linger = False          # the client may still be sending: read it off before closing
        self.broken = False
        self.timed_out = False       # the last read ended because nothing came within its time
        self.body_timeout = config.read_timeout or BODY_TIMEOUT  # seconds a body may pause
        # when bytes last came from the client, counted before TLS (a plain stream: at each read)
        self.arrivals = track_arrivals(stream) if isinstance(stream, trio.SSLStream) else ArrivalClock()
        self.disconnected = trio.Event()
        self.idle_scope: trio.CancelScope | None = None
        self.terminating = False
        self._ssl_object = getattr(stream, "_ssl_object", None)

    # --- reading --------------------------------------------------------------------------------

    async def _feed(self, seconds: float, *, since_arrival: bool = False, limit: float = inf) -> None:
        """Read once from the client (waiting at most ``seconds``) and parse. ``since_arrival``: the
        wait ends only after ``seconds`` without any byte from the client, counted before TLS (on a
        slow link one TLS record, up to 16 KiB, can take longer than that), or after ``limit``
        seconds in all (see :func:`ocis.runtime.body_timeout.wait_arriving`).

        Raises:
            Closed: end of stream, broken connection or timeout, or nothing more to read.
        """
        if self.eof:
            raise Closed
        try:
            if since_arrival and seconds != inf:
                data = await wait_arriving(self._receive, self.arrivals, seconds, limit)
            else:
                with trio.fail_after(seconds):
                    data = await self.stream.receive_some(READ_SIZE)
        except (trio.BrokenResourceError, trio.ClosedResourceError, trio.TooSlowError) as exc:
            self.eof = True
            self.timed_out = isinstance(exc, trio.TooSlowError)
            raise Closed from None
        if not data:
            self.eof = True
            raise Closed
        self.arrivals.last = trio.current_time()
        if self._ssl_object is not None:
            data = drain_tls(self._ssl_object, data, READ_BATCH)
        self.feed(data)

    async def _receive(self) -> bytes | bytearray:
        data: bytes | bytearray = await self.stream.receive_some(READ_SIZE)
        return data

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

    async def _next_request(self) -> Request | None:
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
                        # raw bytes arriving (a TLS record in the making on a slow link) are not idle,
                        # up to a request body's timeout more
                        await self._feed(keep_alive, since_arrival=True,
                                         limit=keep_alive + self.body_timeout)
                    else:
                        with trio.move_on_at(head_deadline) as head_scope:
                            await self._feed(inf)
                        if head_scope.cancelled_caught:
                            await self._error(408)
                            return None
                except Closed:
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
                         % (status, REASONS.get(status, b""), HttpDate.now()))

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
                    keep = await Exchange(self, req).run(
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
            await _serve_h2(server, stream, hypercorn_run)
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


async def _serve_h2(server: Any, stream: trio.SSLStream[Any], hypercorn_run: Any) -> None:
    """HTTP/2 over TLS by hypercorn, with the connection's arrival clock in ``body_timeout.CLOCKS``
    for the body timeout of its requests."""
    from hypercorn.utils import parse_socket_addr

    sock = stream.transport_stream.socket
    try:
        key = parse_socket_addr(sock.family, sock.getpeername())
    except OSError:
        key = None
    if key is None:  # gone already, or not an IP socket: no clock (the middleware keeps its own)
        await hypercorn_run(server)
        return
    CLOCKS[key] = track_arrivals(stream)
    try:
        await hypercorn_run(server)
    finally:
        CLOCKS.pop(key, None)


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
