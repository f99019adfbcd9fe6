"""The proxy's ordered route table: the first route whose rule matches the path wins.

A rule is a path prefix (``/ocs/``: the path starts with it, or equals it without the trailing
slash), an exact path (``/status.php``, no trailing slash), or a compiled regex (``search``-ed
against the path). Each route says which ASGI app serves it, whether a user is needed, how a 401
looks there, and which Content-Security-Policy to add.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from starlette.types import ASGIApp


class AuthPolicy(enum.Enum):
    """What the proxy demands before calling the route's app."""

    REQUIRED = "required"    # no valid credentials -> 401
    OPTIONAL = "optional"    # credentials are checked if sent; the app may get principal None
    NONE = "none"            # credentials are ignored (e.g. /status.php); principal is None


class Flavor(enum.Enum):
    """Body style of the proxy's own error responses on a route."""

    DAV = "dav"              # Sabre-style <d:error> XML
    OCS = "ocs"              # OCS envelope
    PLAIN = "plain"          # text/plain


DEFAULT_CSP = "default-src 'none';"


@dataclass(frozen=True)
class Route:
    """One entry of the table.

    Attributes:
        rule: a prefix ending in ``/``, an exact path, or a compiled regex.
        app: the ASGI app serving matching requests (it gets the full, unchanged path).
        name: short name for logs (``dav``, ``ocs``, ``web``).
        auth: see :class:`AuthPolicy`.
        flavor: see :class:`Flavor`.
        csp: ``Content-Security-Policy`` added when the app sets none; ``None`` adds nothing.
    """

    rule: str | re.Pattern[str]
    app: ASGIApp
    name: str
    auth: AuthPolicy = AuthPolicy.REQUIRED
    flavor: Flavor = Flavor.PLAIN
    csp: str | None = DEFAULT_CSP

    def matches(self, path: str) -> bool:
        rule = self.rule
        if isinstance(rule, re.Pattern):
            return rule.search(path) is not None
        if rule.endswith("/"):
            return path.startswith(rule) or path == rule[:-1]
        return path == rule


class RouteTable:
    """Ordered list of :class:`Route`; :meth:`match` returns the first match or None."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self.routes: list[Route] = list(routes or [])

    def add(self, route: Route) -> None:
        self.routes.append(route)

    def match(self, path: str) -> Route | None:
        for route in self.routes:
            if route.matches(path):
                return route
        return None
