"""Authenticators: pluggable ways of turning request credentials into a :class:`Principal`.

The proxy asks each authenticator of its chain in order; the first to return a principal wins.
An authenticator returns ``None`` both for "not my kind of credentials" and "wrong credentials";
if nobody accepts a request that needs a user, the proxy answers 401 with every authenticator's
:meth:`Authenticator.challenge`. Planned: an OIDC bearer authenticator, signed URLs, public-link
tokens — each just another class with this shape.

:class:`BasicAuthenticator` checks ``Authorization: Basic`` against the accounts. A password
check is an argon2 hash (~25 ms), and sync clients send hundreds of requests, so successful
logins are cached for ``ttl`` seconds in memory, keyed by an HMAC-SHA-256 (per-process random key)
of user and password: nothing reversible is kept. Failures are never cached.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict
from typing import Protocol

import anyio.to_thread
from starlette.types import Scope

from ocis.accounts.api import AccountsAPI, login_key
from ocis.core.principal import Principal
from ocis.core.throttle import LoginThrottle


class Authenticator(Protocol):
    """One authentication method."""

    name: str

    async def authenticate(self, scope: Scope) -> Principal | None:
        """The principal for this request's credentials, or None (absent, foreign or wrong)."""

    def challenge(self, realm: str) -> str | None:
        """A ``WWW-Authenticate`` value for 401 responses, or None to send none."""


def header(scope: Scope, name: bytes) -> bytes | None:
    """First value of a request header (``name`` lower-case), or None."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def parse_basic(value: bytes | None) -> tuple[str, str] | None:
    """Decode ``Basic base64(user:password)``; None when absent, malformed or either part empty.

    Credentials are decoded as UTF-8 (RFC 7617 ``charset="UTF-8"``), falling back to Latin-1.
    """
    if not value:
        return None
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    user, sep, password = text.partition(":")
    if not sep or not user or not password:
        return None
    return user, password


class CredentialCache:
    """Successful credentials -> principal, for ``ttl`` seconds, at most ``max_entries`` (LRU)."""

    def __init__(self, ttl: float = 60.0, max_entries: int = 4096) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._key = os.urandom(32)
        self._entries: OrderedDict[bytes, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def _digest(self, user: str, password: str) -> bytes:
        msg = user.encode("utf-8", "surrogatepass") + b"\x00" + password.encode("utf-8", "surrogatepass")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def get(self, user: str, password: str) -> Principal | None:
        key = self._digest(user, password)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, user: str, password: str, principal: Principal) -> None:
        key = self._digest(user, password)
        with self._lock:
            self._entries[key] = (time.monotonic() + self.ttl, principal)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class BasicAuthenticator:
    """HTTP Basic against the accounts service (username case-insensitive, or email)."""

    name = "basic"

    def __init__(self, accounts: AccountsAPI, cache: CredentialCache | None = None,
                 throttle: LoginThrottle | None = None) -> None:
        self.accounts = accounts
        self.cache = cache if cache is not None else CredentialCache()
        # Wrong passwords are throttled like on the sign-in page (else Basic would bypass its
        # lockout); limits are higher since sync clients retry on their own.
        self.throttle = throttle if throttle is not None else LoginThrottle(account_limit=10, address_limit=100)

    async def authenticate(self, scope: Scope) -> Principal | None:
        creds = parse_basic(header(scope, b"authorization"))
        if creds is None:
            return None
        user, password = creds
        cached = self.cache.get(user, password)
        if cached is not None:
            return cached
        address = str((scope.get("client") or ("", 0))[0])
        key = login_key(self.accounts, user)
        if self.throttle.retry_after(key, address):
            return None  # answered like a wrong password: says nothing about the account
        account = await anyio.to_thread.run_sync(self.accounts.authenticate, user, password)
        if account is None:
            self.throttle.failure(key, address)
            return None
        self.throttle.success(key)
        principal = account.principal(self.name)
        self.cache.put(user, password, principal)
        return principal

    def challenge(self, realm: str) -> str | None:
        return f'Basic realm="{realm}", charset="UTF-8"'
