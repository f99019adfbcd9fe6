"""Request bodies that stop arriving: 408 Request Timeout, and the app sees the client go away.

Why: an upload whose client froze (a laptop suspended mid-sync, a killed process whose socket
stays open) would otherwise hold its connection, its staging file and, for TUS, the upload's write
lock forever: the resume from another connection gets 423. ``BODY_TIMEOUT`` is the pause allowed
between two pieces of a body, like nginx's ``client_body_timeout``; a body that keeps arriving,
however slowly, is never cut off. Waiting for the response after the body is complete is not
limited (a long COPY or MOVE may take minutes).

HTTP/1.1 connections served by :mod:`ocis.runtime.h1` time bodies out themselves, counting bytes as
they arrive before TLS; they mark their scopes with ``extensions[ENFORCED]``. For the others
(HTTP/2 and hypercorn's own HTTP/1.1 path), :class:`BodyTimeoutMiddleware` times each ``receive``
of the body. Either way ``scope[TIMED_OUT]`` is set, so the access log records the 408.
"""

from __future__ import annotations

import trio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODY_TIMEOUT = 60.0  # seconds a request body may pause (hypercorn's read_timeout overrides it in h1)
ENFORCED = "ocis.body_timeout"      # scope["extensions"] key: the server times bodies out itself
TIMED_OUT = "ocis.body_timed_out"   # scope key, True once the body timed out

_DISCONNECT: Message = {"type": "http.disconnect"}


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

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if timed_out:
                return _DISCONNECT
            if body_done:
                return await receive()
            with trio.move_on_after(self.timeout):
                msg = await receive()
                if msg["type"] != "http.request" or not msg.get("more_body", False):
                    body_done = True
                return msg
            timed_out = scope[TIMED_OUT] = True
            return _DISCONNECT

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
