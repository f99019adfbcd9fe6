"""Keep HTTP/1.1 connections usable when an answer comes before the request body was read.

A handler that refuses a request early (401, 403, 409, 507 …) leaves the body unread; the server
then has to close the connection, and a client that pipelines the next request on it (httpx,
rclone, the desktop client) sees a broken connection instead of the answer. This middleware reads
and discards what is left of a *small* body (up to ``limit`` bytes announced by Content-Length)
just before the answer starts, so the connection stays open. Large bodies are not drained: for
those, closing the connection is cheaper than receiving them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DRAIN_LIMIT = 1024 * 1024  # bytes


class DrainSmallBodies:
    def __init__(self, app: ASGIApp, limit: int = DRAIN_LIMIT) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = -1
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = -1
        if length <= 0 or length > self.limit:
            await self.app(scope, receive, send)
            return
        done = False

        async def tracking_receive() -> Message:
            nonlocal done
            msg = await receive()
            if msg["type"] == "http.disconnect" or not msg.get("more_body", False):
                done = True
            return msg

        async def draining_send(msg: Message) -> None:
            nonlocal done
            if msg["type"] == "http.response.start" and not done:
                while not done:
                    await tracking_receive()
            await send(msg)

        await self.app(scope, tracking_receive, draining_send)
