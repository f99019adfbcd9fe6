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
    """Ordered list of :class:`Route`; :meth:`match` returns the first match or None.

    Prefix and exact rules can only match paths with the same first segment, so when the table has
    no regex rules, only the routes of the path's first segment (plus the catch-all ``/``) are
    tried, in table order: one dict lookup instead of a scan on every request."""

    def __init__(self, routes: list[Route] | None = None) -> None:
        self.routes: list[Route] = list(routes or [])
        self._index: dict[str, list[Route]] | None = None

    def add(self, route: Route) -> None:
        self.routes.append(route)
        self._index = None

    def match(self, path: str) -> Route | None:
        index = self._index if self._index is not None else self._build_index()
        candidates = self.routes if index is None else index.get(_first_segment(path), index[""])
        for route in candidates:
            if route.matches(path):
                return route
        return None

    def _build_index(self) -> dict[str, list[Route]] | None:
        if any(isinstance(r.rule, re.Pattern) for r in self.routes):
            return None
        index: dict[str, list[Route]] = {}
        for route in self.routes:
            index.setdefault(_first_segment(str(route.rule)), [])
        for route in self.routes:
            key = _first_segment(str(route.rule))
            for seg, candidates in index.items():
                # "/" (first segment "") matches every path: it is a candidate everywhere
                if seg == key or key == "":
                    candidates.append(route)
        index.setdefault("", [r for r in self.routes if _first_segment(str(r.rule)) == ""])
        self._index = index
        return index


def _first_segment(path: str) -> str:
    """``/remote.php/dav/x`` -> ``remote.php``; ``/`` -> ``""``."""
    return path[1:].split("/", 1)[0] if path.startswith("/") else path.split("/", 1)[0]
