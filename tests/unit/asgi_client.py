"""Call an ASGI app in-process on trio (like production), without sockets.

``request(app, "GET", "/path", headers=..., content=...)`` returns an ``httpx.Response``.
:func:`echo` is a small app for tests of server layers.
"""

from __future__ import annotations

from typing import Any

import httpx
import trio


def request(app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
            return await client.request(method, url, **kwargs)

    return trio.run(run)


class Client:
    """Tiny sync facade: ``Client(app).get("/x")``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return request(self.app, method, url, **kwargs)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the method, path (``x-path``) and the whole request body; a disconnect
    before the end of the body gets no answer (like our PUT: nothing is stored)."""
    body = b""
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return
        body += msg.get("body", b"")
        if not msg.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-path", scope["path"].encode())]})
    await send({"type": "http.response.body", "body": scope["method"].encode() + b" " + body})
