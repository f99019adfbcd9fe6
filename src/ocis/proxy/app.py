"""The proxy: the ASGI app on the public port, in front of every service app.

Per HTTP request:

1. pick the first matching route of the :class:`~ocis.proxy.routes.RouteTable` (none: 404);
2. answer CORS preflights (``OPTIONS`` + ``Origin`` + ``Access-Control-Request-Method``) itself;
3. authenticate per the route's policy with the authenticator chain; ``OPTIONS`` requests never
   get a 401 (clients probe with them); a REQUIRED route without a principal gets 401;
4. put the :class:`~ocis.core.principal.Principal` (or ``None``) into ``scope["ocis.principal"]``
   (the scope dict is updated in place, so outer middleware such as the access log see it) and
   call the route's app with the full, unchanged path;
5. add security headers to every response (those the app did not set itself), including
   ``Strict-Transport-Security`` when serving TLS, and ``Access-Control-Allow-Origin: *``.

A service app that raises is logged; the client gets a 500 if nothing was sent yet. Lifespan
events are answered here and not passed on to the service apps.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocis.core.principal import SCOPE_KEY, Principal
from ocis.proxy import responses
from ocis.proxy.auth import Authenticator, header
from ocis.proxy.routes import DEFAULT_CSP, AuthPolicy, Flavor, Route, RouteTable

log = logging.getLogger("ocis.proxy")

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-download-options", b"noopen"),
    (b"x-permitted-cross-domain-policies", b"none"),
    (b"x-robots-tag", b"none"),
    (b"x-xss-protection", b"1; mode=block"),
    (b"access-control-allow-origin", b"*"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000")


class ProxyApp:
    """Route, authenticate, add security headers. See the module docstring.

    Args:
        routes: the route table.
        authenticators: tried in order; the first principal wins.
        tls: whether the listener serves TLS (adds ``Strict-Transport-Security``).
        default_realm: realm for challenges when the request has no ``Host`` header.
    """

    def __init__(self, routes: RouteTable, authenticators: Sequence[Authenticator], *, tls: bool,
                 default_realm: str = "ocis") -> None:
        self.routes = routes
        self.authenticators = list(authenticators)
        self.tls = tls
        self.default_realm = default_realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return

        route = self.routes.match(scope["path"])
        send = self._with_headers(send, route)
        scope[SCOPE_KEY] = None
        if route is None:
            await responses.send_response(send, 404, [(b"content-type", b"text/plain; charset=utf-8")],
                                          b"404 Not Found\n")
            return

        method = scope["method"]
        origin = header(scope, b"origin")
        if method == "OPTIONS" and origin is not None and header(scope, b"access-control-request-method"):
            await responses.preflight(scope, send, origin, header(scope, b"access-control-request-headers"))
            return

        principal: Principal | None = None
        if route.auth is not AuthPolicy.NONE:
            principal = await self.authenticate(scope)
            if principal is None and route.auth is AuthPolicy.REQUIRED and method != "OPTIONS":
                await responses.unauthorized(scope, send, route.flavor, self.challenges(scope),
                                             header(scope, b"authorization") is not None)
                return
        scope[SCOPE_KEY] = principal
        await self._call(route, scope, receive, send)

    async def authenticate(self, scope: Scope) -> Principal | None:
        """The first principal any authenticator finds, or None."""
        for auth in self.authenticators:
            principal = await auth.authenticate(scope)
            if principal is not None:
                return principal
        return None

    def challenges(self, scope: Scope) -> list[str]:
        """``WWW-Authenticate`` values of all authenticators (realm = the request's Host)."""
        host = header(scope, b"host")
        realm = host.decode("latin-1") if host else self.default_realm
        realm = realm.replace('"', "").replace("\\", "")
        return [c for a in self.authenticators if (c := a.challenge(realm))]

    async def _call(self, route: Route, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await route.app(scope, receive, tracking_send)
        except Exception:
            log.exception("%s app failed on %s %s", route.name, scope["method"], scope["path"])
            if not started:
                await responses.server_error(scope, send, route.flavor)

    def _with_headers(self, send: Send, route: Route | None) -> Send:
        extra = list(SECURITY_HEADERS)
        if self.tls:
            extra.append(HSTS)
        csp = route.csp if route is not None else DEFAULT_CSP
        if csp:
            extra.append((b"content-security-policy", csp.encode()))

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        return wrapped


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_routes(*, dav: ASGIApp, ocs: ASGIApp, web: ASGIApp, web_csp: str | None = None,
                 idp: ASGIApp | None = None) -> RouteTable:
    """The standard table: the IdP (if embedded), status.php, WebDAV prefixes, OCS, then the web UI for
    everything else. The IdP's pages set their own Content-Security-Policy."""
    idp_routes = [Route(prefix, idp, "idp", AuthPolicy.NONE, Flavor.PLAIN, csp=None)
                  for prefix in ("/.well-known/", "/konnect/", "/signin/")] if idp is not None else []
    return RouteTable([
        *idp_routes,
        Route("/status.php", dav, "dav", AuthPolicy.NONE, Flavor.PLAIN),
        Route("/remote.php/", dav, "dav", AuthPolicy.REQUIRED, Flavor.DAV),
        Route("/dav/", dav, "dav", AuthPolicy.REQUIRED, Flavor.DAV),
        Route("/webdav/", dav, "dav", AuthPolicy.REQUIRED, Flavor.DAV),
        # private links: a browser follows them without credentials; dav only redirects into the web UI
        Route("/index.php/f/", dav, "dav", AuthPolicy.NONE, Flavor.PLAIN),
        Route("/index.php/", dav, "dav", AuthPolicy.REQUIRED, Flavor.DAV),
        Route("/data/", dav, "dav", AuthPolicy.REQUIRED, Flavor.DAV),  # TUS upload resources
        Route("/ocs/", ocs, "ocs", AuthPolicy.REQUIRED, Flavor.OCS),
        Route("/", web, "web", AuthPolicy.NONE, Flavor.PLAIN, csp=web_csp),
    ])
