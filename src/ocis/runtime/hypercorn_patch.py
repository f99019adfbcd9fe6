"""Work-arounds for hypercorn 0.18.0 on trio (pinned in pyproject: this patches private names).

1. HTTP/2 ``DataReceived`` for a stream that is already closed raised ``KeyError`` in
   ``H2Protocol._handle_events``. That happens whenever a handler answers before reading the whole
   request body (401 or 413 on a large PUT), and under trio the error escaped
   ``trio.serve_listeners`` and ended the *whole server*. The patch acknowledges the flow-control
   window of such frames (so the client can go on sending and see the response) and drops them.
   Upstream: pgjones/hypercorn#329; see shared/reference/stack-notes.md section 1.
2. Defence in depth: any non-``OSError`` exception from one connection's ``TCPServer.run`` is
   logged on ``hypercorn.error`` and swallowed, so one bad connection cannot stop the server.

:func:`apply` is idempotent; call it before serving.
"""

from __future__ import annotations

import logging
from typing import Any

_applied = False


def apply() -> None:
    """Install both patches (once per process)."""
    global _applied
    if _applied:
        return
    import h2.events
    from hypercorn.protocol import h2 as hc_h2
    from hypercorn.trio import tcp_server

    original_handle_events = hc_h2.H2Protocol._handle_events

    async def _handle_events(self: Any, events: list[Any]) -> None:
        kept = []
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.stream_id not in self.streams:
                self.connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                continue
            kept.append(event)
        await original_handle_events(self, kept)

    setattr(hc_h2.H2Protocol, "_handle_events", _handle_events)  # noqa: B010 (mypy: method-assign)

    original_run = tcp_server.TCPServer.run
    error_log = logging.getLogger("hypercorn.error")

    async def _run(self: Any, *args: Any, **kwargs: Any) -> None:
        try:
            await original_run(self, *args, **kwargs)
        except Exception:
            error_log.exception("connection handler crashed; the server goes on")

    setattr(tcp_server.TCPServer, "run", _run)  # noqa: B010
    _applied = True


def is_applied() -> bool:
    return _applied
