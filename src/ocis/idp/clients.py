"""Registered OpenID Connect clients (services.md §1.6) and the rules for redirect URIs.

Built in, as published by ownCloud (so the real apps work unchanged):

* ``web`` — public (no secret, PKCE mandatory); redirect URIs derived from ``OCIS_URL``:
  ``<url>/``, ``<url>/oidc-callback.html``, ``<url>/oidc-silent-redirect.html``; after logout it may
  return to ``<url>/`` or ``<url>/oidc-callback.html``;
* the desktop app — its published id and secret; any loopback redirect ``http://localhost:<port>``
  or ``http://127.0.0.1:<port>`` (RFC 8252 §7.3: the port is chosen at run time);
* the Android and iOS apps — published ids, secrets and ``oc://`` redirect URIs.

Extra clients come from ``idp.clients`` in ``ocis.yaml`` (or ``IDP_CLIENTS``), see
:func:`ocis.config.loader.parse_clients`. A client without a secret is public.

Redirect URIs are compared as exact strings (RFC 6749 §3.1.2.3, OAuth 2.0 Security BCP
RFC 9700 §2.1), except for loopback clients, whose port is free.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

DESKTOP_ID = "xdXOt13JKxym1B1QcEncf2XDkLAexMBFwiT9j6EfhhHFJhs2KM9jbjTmf8JBXE69"
DESKTOP_SECRET = "UBntmLjC2yYCeHwsyj73Uwo9TAaecAetRwMw0xYcvNL9yRdLSUi0hUAHfvCHFeFh"
ANDROID_ID = "e4rAsNUSIUs0lF4nbv9FmCeUkTlV9GdgTLDH1b5uie7syb90SzEVrbN7HIpmWJeD"
ANDROID_SECRET = "dInFYGV33xKzhbRmpqQltYNdfLdJIfJ9L5ISoKhNoT9qZftpdWSP71VrpGR9pmoD"
IOS_ID = "mxd5OQDk6es5LzOzRvidJNfXLUZS2oN3oUFeXPP8LpPrhx3UroJFduGEYIBOxkY1"
IOS_SECRET = "KFeFWWEZO9TkisIQzR3fo7hfiMXlOpaqP8CFuTbSHzV1TUuGECglPxpiVKJfOXIx"

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})


@dataclass(frozen=True)
class Client:
    """One registered client.

    Attributes:
        id: ``client_id``.
        name: shown on the sign-in page.
        secret: the client secret; ``""`` for a public client.
        redirect_uris: exact redirect URIs.
        loopback: also accept ``http://<loopback host>:<any port>[/]`` redirects (native apps).
        post_logout_redirect_uris: where end-session may send the browser afterwards.
    """

    id: str
    name: str
    secret: str = ""
    redirect_uris: tuple[str, ...] = ()
    loopback: bool = False
    post_logout_redirect_uris: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        """A public client cannot keep a secret; it must use PKCE (RFC 7636, RFC 9700 §2.1.1)."""
        return not self.secret

    def redirect_allowed(self, uri: str) -> bool:
        """Whether ``uri`` is one of this client's redirect URIs (exact match, or loopback any port)."""
        if uri in self.redirect_uris:
            return True
        return self.loopback and is_loopback_redirect(uri)

    def post_logout_allowed(self, uri: str) -> bool:
        """Whether end-session may redirect to ``uri`` (exact match with a registered URI)."""
        return uri in self.post_logout_redirect_uris

    def check_secret(self, secret: str) -> bool:
        """Constant-time comparison with the registered secret; always False for public clients."""
        return bool(self.secret) and hmac.compare_digest(self.secret.encode(), secret.encode())


def is_loopback_redirect(uri: str) -> bool:
    """``http://localhost:<port>``, ``http://127.0.0.1:<port>`` or ``http://[::1]:<port>``, path ``/`` or
    empty, no query, fragment or user info (RFC 8252 §7.3)."""
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    host = parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    return (parts.scheme == "http" and host in LOOPBACK_HOSTS and port is not None
            and parts.path in ("", "/") and not parts.query and not parts.fragment and "@" not in parts.netloc)


def builtin_clients(url: str) -> list[Client]:
    """The clients every installation knows (see the module docstring). ``url`` is ``OCIS_URL``."""
    base = url.rstrip("/")
    web_redirects = (f"{base}/", f"{base}/oidc-callback.html", f"{base}/oidc-silent-redirect.html")
    return [
        Client("web", "ownCloud web app", "", web_redirects, False, (f"{base}/", f"{base}/oidc-callback.html")),
        Client(DESKTOP_ID, "ownCloud desktop app", DESKTOP_SECRET, (), True),
        Client(ANDROID_ID, "ownCloud Android app", ANDROID_SECRET, ("oc://android.owncloud.com",)),
        Client(IOS_ID, "ownCloud iOS app", IOS_SECRET, ("oc://ios.owncloud.com", "oc.ios://ios.owncloud.com")),
    ]


def client_from_config(entry: Mapping[str, object]) -> Client:
    """A client from one validated ``idp.clients`` entry (see :func:`ocis.config.loader.parse_clients`)."""
    return Client(
        id=str(entry["id"]),
        name=str(entry.get("name") or entry["id"]),
        secret=str(entry.get("secret") or ""),
        redirect_uris=tuple(str(u) for u in _list(entry.get("redirect_uris"))),
        post_logout_redirect_uris=tuple(str(u) for u in _list(entry.get("post_logout_redirect_uris"))),
    )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


class ClientRegistry:
    """Clients by id. A configured client with a built-in id replaces the built-in one."""

    def __init__(self, clients: Iterable[Client]) -> None:
        self._clients: dict[str, Client] = {}
        for client in clients:
            self._clients[client.id] = client

    @classmethod
    def for_url(cls, url: str, extra: Iterable[Mapping[str, object]] = ()) -> ClientRegistry:
        """Built-in clients for ``url`` plus the configured ``extra`` ones."""
        return cls([*builtin_clients(url), *(client_from_config(e) for e in extra)])

    def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id)

    @property
    def ids(self) -> frozenset[str]:
        """Every registered ``client_id`` (the audiences of our access tokens)."""
        return frozenset(self._clients)

    def __iter__(self) -> Iterator[Client]:
        return iter(self._clients.values())
