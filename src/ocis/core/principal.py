"""The authenticated caller of a request, as put into the ASGI scope by the proxy."""

from __future__ import annotations

from dataclasses import dataclass, field

SCOPE_KEY = "ocis.principal"


@dataclass(frozen=True)
class Principal:
    """A logged-in user.

    Attributes:
        id: stable user id (UUID string); the owner id stored on nodes.
        username: login name (``preferred_name``), unique, case-insensitive.
        display_name: human-readable name.
        email: mail address, may be empty.
        groups: names of the groups the user belongs to.
        auth_method: which authenticator accepted the request ("basic", "bearer", ...).
    """

    id: str
    username: str
    display_name: str
    email: str = ""
    groups: tuple[str, ...] = field(default_factory=tuple)
    auth_method: str = ""
