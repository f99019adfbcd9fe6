"""The OCS service: ``/ocs/v1.php/<route>`` and ``/ocs/v2.php/<route>`` (same routes on both).

Handlers are registered in a :class:`OcsRouter` by method and a regex over the route (the part
after ``vN.php/``, without surrounding slashes); named groups become ``req.params``. A handler
returns :class:`OcsResult` or raises a domain error (:mod:`ocis.core.errors`), which is mapped to an
OCS code by :func:`ocis.ocs.envelope.error_code`. Unknown routes give 998 (v2: HTTP 404).

The caller comes from ``scope["ocis.principal"]`` (set by the proxy; ``None`` if anonymous).
Endpoints now: ``cloud/capabilities``, ``cloud/user``, ``config``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ocis.core.errors import OcisError, Unauthenticated
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.ocs import envelope
from ocis.ocs.capabilities import capabilities
from ocis.runtime.deps import Deps

log = logging.getLogger("ocis.ocs")


@dataclass
class OcsRequest:
    """What a handler sees.

    Attributes:
        request: the Starlette request (body, headers, form).
        version: 1 or 2.
        route: route path without ``/ocs/vN.php/``.
        params: named groups of the route pattern.
        query: query parameters (last value wins).
        principal: the authenticated user, or None.
    """

    request: Request
    version: int
    route: str
    params: dict[str, str]
    query: dict[str, str]
    principal: Principal | None

    def require_user(self) -> Principal:
        """The caller; raises Unauthenticated if anonymous."""
        if self.principal is None:
            raise Unauthenticated("Unauthorised")
        return self.principal


@dataclass
class OcsResult:
    """A handler's answer. ``statuscode`` in v1 terms (100 = ok)."""

    data: Any = None
    statuscode: int = envelope.OK
    message: str = "OK"
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[OcsRequest], Awaitable[OcsResult]]


class OcsRouter:
    """Ordered (method, route regex) -> handler table; first match wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^(?:{pattern})$"), handler))

    def match(self, method: str, route: str) -> tuple[Handler, dict[str, str]] | None:
        method = "GET" if method == "HEAD" else method
        for m, rx, handler in self._routes:
            found = rx.match(route)
            if found and m == method:
                return handler, found.groupdict()
        return None


def build_router(deps: Deps) -> OcsRouter:
    """The routes of the OCS service."""
    router = OcsRouter()

    async def get_capabilities(req: OcsRequest) -> OcsResult:
        return OcsResult(capabilities())

    async def get_user(req: OcsRequest) -> OcsResult:
        p = req.require_user()
        return OcsResult({
            "id": p.username,
            "display-name": p.display_name,
            "displayname": p.display_name,
            "email": p.email,
            "enabled": "true",
        })

    async def get_config(req: OcsRequest) -> OcsResult:
        url = deps.config.url
        return OcsResult({
            "version": "1.7",
            "website": "ocis",
            "host": url,
            "contact": "",
            "ssl": "true" if url.startswith("https://") else "false",
        })

    router.add("GET", "cloud/capabilities", get_capabilities)
    router.add("GET", "cloud/user", get_user)
    router.add("GET", "config", get_config)
    return router


def create_app(deps: Deps, router: OcsRouter | None = None) -> ASGIApp:
    """ASGI app for ``/ocs/``; the scope path is the full request path."""
    table = router or build_router(deps)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        parsed = envelope.parse_ocs_path(scope["path"])
        fmt = "json" if envelope.wants_json(scope.get("query_string", b"")) else "xml"
        version = parsed[0] if parsed else 1
        result: OcsResult
        if parsed is None:
            result = OcsResult(None, envelope.NOT_FOUND, "Invalid query, please check the syntax.")
        else:
            found = table.match(scope["method"], parsed[1])
            if found is None:
                result = OcsResult(None, envelope.NOT_FOUND, "Invalid query, please check the syntax.")
            else:
                handler, params = found
                qs = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
                req = OcsRequest(Request(scope, receive), version, parsed[1], params,
                                 {k: v[-1] for k, v in qs.items()}, scope.get(SCOPE_KEY))
                try:
                    result = await handler(req)
                except OcisError as exc:
                    result = OcsResult(None, envelope.error_code(exc), exc.message)
                except Exception:
                    log.exception("OCS handler failed: %s %s", scope["method"], scope["path"])
                    result = OcsResult(None, envelope.SERVER_ERROR, "Internal server error")
        body, ctype = envelope.render(version, fmt, result.statuscode, result.message, result.data)
        headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in result.headers.items()]
        await send({"type": "http.response.start",
                    "status": envelope.http_status(version, result.statuscode), "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    return app
