"""Request bodies that stop arriving: 408 Request Timeout, and the app sees the client go away.

Why: an upload whose client froze (a laptop suspended mid-sync, a killed process whose socket
stays open) would otherwise hold its connection, its staging file and, for TUS, the upload's write
lock forever: the resume from another connection gets 423. ``BODY_TIMEOUT`` is the pause allowed
between two pieces of a body, like nginx's ``client_body_timeout``; a body that keeps arriving,
however slowly, is never cut off. Waiting for the response after the body is complete is not
limited (a long COPY or MOVE may take minutes).

Time is counted from the last byte that arrived, before TLS (:class:`ArrivalClock`): on a slow link
one TLS record (up to 16 KiB) can take longer than the timeout to arrive whole, while bytes keep
coming. And when a deadline passes, bytes already waiting are still read (:func:`wait_arriving`):
after the server itself was paused (a suspended VM, a long stall) its clients are not blamed.

HTTP/1.1 connections served by :mod:`ocis.runtime.h1` time bodies out themselves; they mark their
scopes with ``extensions[ENFORCED]``. For the others (HTTP/2 and hypercorn's own HTTP/1.1 path),
:class:`BodyTimeoutMiddleware` times each ``receive`` of the body, with the connection's clock from
:data:`CLOCKS` (so on HTTP/2 any traffic of the connection counts). Either way ``scope[TIMED_OUT]``
is set, so the access log records the 408.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from math import inf
from typing import Any, TypeVar

import trio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

T = TypeVar("T")
GRACE = 0.05  # seconds given to bytes already waiting once a deadline has passed

BODY_TIMEOUT = 60.0  # seconds a request body may pause (hypercorn's read_timeout overrides it in h1)
ENFORCED = "ocis.body_timeout"      # scope["extensions"] key: the server times bodies out itself
TIMED_OUT = "ocis.body_timed_out"   # scope key, True once the body timed out

_DISCONNECT: Message = {"type": "http.disconnect"}


class ArrivalClock:
    """When bytes last came from a client (``trio.current_time()``; -inf: none yet), counted before TLS."""

    def __init__(self) -> None:
        self.last = -inf


class _CountingStream:
    """A TLS connection's socket stream that sets its clock whenever bytes arrive."""

    def __init__(self, stream: Any, clock: ArrivalClock) -> None:
        self._stream = stream
        self._clock = clock

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        data: bytes | bytearray = await self._stream.receive_some(max_bytes)
        if data:
            self._clock.last = trio.current_time()
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def track_arrivals(stream: trio.SSLStream[Any]) -> ArrivalClock:
    """A clock of the bytes arriving under ``stream`` (its socket stream is wrapped)."""
    clock = ArrivalClock()
    stream.transport_stream = _CountingStream(stream.transport_stream, clock)
    return clock


# (client host, port) -> the clock of a TLS connection served by hypercorn (HTTP/2), for the middleware
CLOCKS: dict[tuple[str, int], ArrivalClock] = {}


async def wait_arriving(receive: Callable[[], Awaitable[T]], clock: ArrivalClock, seconds: float,
                        limit: float = inf) -> T:
    """``await receive()``, raising ``trio.TooSlowError`` once ``seconds`` have passed without a byte
    arriving on ``clock``, or ``limit`` seconds in all. ``receive`` must be cancel-safe (nothing lost
    when cancelled while it waits: trio streams, memory channels)."""
    start = trio.current_time()
    while True:
        deadline = min(max(start, clock.last) + seconds, start + limit)
        with trio.move_on_at(deadline):
            return await receive()
        with trio.move_on_after(GRACE):  # bytes already waiting (we were paused) are not late
            return await receive()
        now = trio.current_time()
        if max(start, clock.last) + seconds <= now or start + limit <= now:
            raise trio.TooSlowError


class BodyTimeoutMiddleware:
    """Time out request bodies where the server does not (see the module docstring).

    Args:
        app: the ASGI app.
        timeout: seconds a body may pause between two ``http.request`` messages.
    """

    def __init__(self, app: ASGIApp, timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or ENFORCED in scope.get("extensions", {}):
            await self.app(scope, receive, send)
            return
        body_done = False
        timed_out = False
        started = False
        client = scope.get("client")
        clock = CLOCKS.get(tuple(client)) if client else None
        own_clock = clock is None
        if clock is None:
            clock = ArrivalClock()  # bytes seen as messages (plain TCP: they are the bytes that arrive)

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return _DISCONNECT
            if body_done:
                return await receive()
            try:
                msg = await wait_arriving(receive, clock, self.timeout)
            except trio.TooSlowError:
                timed_out = scope[TIMED_OUT] = True
                return _DISCONNECT
            if own_clock:
                clock.last = trio.current_time()
            if msg["type"] != "http.request" or not msg.get("more_body", False):
                body_done = True
            return msg

        async def tracking_send(msg: Message) -> None:
            nonlocal started
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        await self.app(scope, timed_receive, tracking_send)
        if timed_out and not started:
            await send({"type": "http.response.start", "status": 408,
                        "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
