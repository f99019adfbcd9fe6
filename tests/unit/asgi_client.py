"""Call an ASGI app in-process on trio (like production), without sockets.

``request(app, "GET", "/path", headers=..., content=...)`` returns an ``httpx.Response``.
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
