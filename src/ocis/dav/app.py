"""WebDAV front end (placeholder until the provider lands)."""

from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ocis.runtime.deps import Deps


def create_app(deps: Deps) -> ASGIApp:
    """ASGI app for ``/remote.php/``, ``/dav/``, ``/webdav/`` and ``/status.php``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("not implemented", status_code=501)(scope, receive, send)

    return app
