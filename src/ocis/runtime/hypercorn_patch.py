"""Work-arounds for hypercorn 0.18.0 on trio (pinned in pyproject: this patches private names).

1. HTTP/2 ``DataReceived`` for a stream that is already closed raised ``KeyError`` in
   ``H2Protocol._handle_events``. That happens whenever a handler answers before reading the whole
   request body (401 or 413 on a large PUT), and under trio the error escaped
   ``trio.serve_listeners`` and ended the *whole server*. The patch acknowledges the flow-control
   window of such frames (so the client can go on sending and see the response) and drops them.
   Events are handled one by one, so DATA that arrives in the same read as the HEADERS opening
   its stream is kept (checked up front, that body was lost: 400 "expected N bytes, received 0").
   Upstream: pgjones/hypercorn#329; see shared/reference/stack-notes.md section 1.
2. Deadlock on early responses: hypercorn queues request-body chunks for the app in a channel of
   ``max_app_queue_size`` (10) messages. An app that answers without reading the body (401 on a big
   PUT) leaves the channel full; when it finishes, hypercorn puts ``http.disconnect`` into that
   same full channel from the app's own task and blocks forever. The request never ends, its
   connection (every stream of it, on HTTP/2) stalls, and server shutdown waits the full graceful
   timeout. Measured: 3 of 3 such PUTs over HTTP/2 hung. The patch replaces
   ``TaskGroup.spawn_app``'s channel plumbing: a disconnect *closes* the sending side instead of
   queueing (the app's ``receive`` returns ``http.disconnect`` once the queued chunks are read),
   and once the app has returned, further body chunks are dropped instead of blocking.
   When an HTTP/2 connection closes, buffered response data is released too.
3. Defence in depth: any non-``OSError`` exception from one connection's ``TCPServer.run`` is
   logged on ``hypercorn.error`` and swallowed, so one bad connection cannot stop the server.
4. Throughput: over TLS, ``SSLStream.receive_some`` returns one TLS record (16 KiB) per call, so
   hypercorn ran its whole read path (timeout scope, h11, app queue) every 16 KiB: a 1 GiB PUT
   spent ~1.5 s of CPU there. ``TCPServer._read_data`` now also takes the records that are already
   buffered (up to ``READ_BATCH``), and trio sockets read up to 256 KiB per call instead of 64 KiB.
5. Closed connections lingered: when the client closed, the keep-alive timer still ran and held
   the socket open (CLOSE-WAIT) until it expired; ``_read_data`` now stops it.
6. Speed: HTTP/1.1 connections are served by :mod:`ocis.runtime.h1` (httptools, app called inline)
   instead of hypercorn's h11 protocol, which cost ~1 ms of CPU per small request; HTTP/2 and
   h2c stay with hypercorn. ``OCIS_HTTP1_H11=true`` (or no httptools) keeps hypercorn's path.

:func:`apply` is idempotent; call it before serving.
"""

from __future__ import annotations

import logging
import os
from typing import Any

_applied = False


def apply() -> None:
    """Install the patches (once per process)."""
    global _applied
    if _applied:
        return
    import h2.events
    from hypercorn.events import Closed
    from hypercorn.protocol import h2 as hc_h2
    from hypercorn.trio import task_group, tcp_server

    original_handle_events = hc_h2.H2Protocol._handle_events

    async def _handle_events(self: Any, events: list[Any]) -> None:
        # One event at a time: whether a DATA frame's stream is still open must be decided when
        # that frame's turn comes, after the HEADERS of the same read opened it.
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.stream_id not in self.streams:
                self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                await self._flush()
                continue
            await original_handle_events(self, [event])

    setattr(hc_h2.H2Protocol, "_handle_events", _handle_events)  # noqa: B010 (mypy: method-assign)

    original_handle = hc_h2.H2Protocol.handle

    async def _handle(self: Any, event: Any) -> None:
        await original_handle(self, event)
        if isinstance(event, Closed):
            for buffer in list(self.stream_buffers.values()):
                await buffer.close()

    setattr(hc_h2.H2Protocol, "handle", _handle)  # noqa: B010
    setattr(task_group.TaskGroup, "spawn_app", _spawn_app)  # noqa: B010

    original_run = tcp_server.TCPServer.run
    error_log = logging.getLogger("hypercorn.error")

    from ocis.runtime import h1

    fast = h1.available() and os.environ.get("OCIS_HTTP1_H11", "").lower() not in ("1", "true", "yes")

    async def _run(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            if fast:
                await h1.serve_connection(self, original_run)
            else:
                await original_run(self, *args, **kwargs)
        except Exception:
            error_log.exception("connection handler crashed; the server goes on")

    setattr(tcp_server.TCPServer, "run", _run)  # noqa: B010
    setattr(tcp_server.TCPServer, "_read_data", _read_data)  # noqa: B010
    import trio._highlevel_socket

    trio._highlevel_socket.DEFAULT_RECEIVE_SIZE = SOCKET_RECEIVE_SIZE
    _applied = True


READ_BATCH = 1024 * 1024          # bytes of decrypted data handed to h11 at once, at most
SOCKET_RECEIVE_SIZE = 262144


def drain_tls(ssl_object: Any, data: bytes | bytearray, limit: int = READ_BATCH) -> bytes | bytearray:
    """``data`` plus the TLS records already buffered in ``ssl_object`` (no I/O, never blocks), up
    to ``limit`` bytes in all."""
    import ssl

    parts = [data]
    size = len(data)
    while size < limit:
        try:
            more = ssl_object.read(limit - size)
        except ssl.SSLError:  # SSLWantReadError: no whole record buffered; others: trio sees them next
            break
        if not more:
            break
        parts.append(more)
        size += len(more)
    return data if len(parts) == 1 else b"".join(parts)


async def _read_data(self: Any) -> None:
    """Replacement of hypercorn.trio.tcp_server.TCPServer._read_data (see item 4 above)."""
    from math import inf

    import trio
    from hypercorn.events import Closed, RawData
    from hypercorn.trio.tcp_server import MAX_RECV

    ssl_object = getattr(self.stream, "_ssl_object", None)  # set on a trio.SSLStream
    while True:
        try:
            with trio.fail_after(self.config.read_timeout or inf):
                data = await self.stream.receive_some(MAX_RECV)
        except (trio.ClosedResourceError, trio.BrokenResourceError, trio.TooSlowError):
            break
        if data and ssl_object is not None:
            data = drain_tls(ssl_object, data)
        await self.protocol.handle(RawData(bytes(data)))
        if data == b"":
            break
    await self.protocol.handle(Closed())
    # The client is gone: stop the keep-alive timer too, else the connection's task group waits
    # for it (keep_alive_timeout, 30 s) before the socket is closed: sockets piled up in
    # CLOSE-WAIT, ~1000 per 30 s of short connections, and hit a 1024 file limit (item 5).
    await self.idle_task.stop()


async def _spawn_app(self: Any, app: Any, config: Any, scope: Any, send: Any) -> Any:
    """Replacement of hypercorn.trio.task_group.TaskGroup.spawn_app (see item 2 above)."""
    import trio
    from hypercorn.trio.task_group import _handle

    to_app, from_server = trio.open_memory_channel[Any](config.max_app_queue_size)
    finished = False

    async def receive() -> Any:
        try:
            return await from_server.receive()
        except (trio.EndOfChannel, trio.ClosedResourceError):
            return {"type": "http.disconnect"}

    async def run() -> None:
        nonlocal finished
        try:
            await _handle(app, config, scope, receive, send, trio.to_thread.run_sync, trio.from_thread.run)
        finally:
            finished = True
            from_server.close()          # wakes a server task blocked in put() (BrokenResourceError)

    async def put(message: Any) -> None:
        if message.get("type") == "http.disconnect":
            to_app.close()               # never blocks; receive() reports the disconnect after the queue
            return
        if finished:
            return
        try:
            await to_app.send(message)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass

    self._nursery.start_soon(run)
    return put


def is_applied() -> bool:
    return _applied
