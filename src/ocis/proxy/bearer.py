"""``Authorization: Bearer <jwt>``: OpenID Connect access tokens verified locally.

oCIS 1.0 sent every bearer token to the IdP's userinfo endpoint (one HTTP round trip per new
token, TLS verification off, 10 s cache). Here the proxy verifies the JWT itself against the
issuer's keys (:func:`ocis.idp.api.verify_jwt`: signature, ``iss``, ``exp``, audience, and for our
own tokens ``typ: at+jwt``), then maps it to an account:

* **embedded IdP**: keys from its key store (:class:`ocis.idp.keys.KeyStore`, re-read when another
  process rotates them); audiences = every registered client id; the user is ``sub`` (account id);
* **external IdP**: keys from its JWKS (:class:`ocis.proxy.oidc_remote.RemoteKeySource`); audience
  ``PROXY_OIDC_CLIENT_ID`` in ``aud`` or ``azp``; the user is named by ``PROXY_OIDC_USER_CLAIM``
  looked up as a username, email or account id (``PROXY_OIDC_USER_LOOKUP``); 30 s clock leeway.

A token naming an unknown ``kid`` makes the key source refresh once (new key after a rotation).
Unknown or disabled accounts are refused. Tokens are never logged; refusals are logged at debug
level with the reason only. The 401 challenge is ``Bearer realm="<host>", charset="UTF-8"``
(protocol.md §1): clients that see it (desktop, mobile apps) start the OpenID Connect flow.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from typing import Literal

import anyio.to_thread
from starlette.types import Scope

from ocis.accounts.api import AccountsAPI, User
from ocis.core.principal import Principal
from ocis.idp.api import (
    ACCESS_TOKEN_TYPES,
    InvalidToken,
    KeySource,
    TokenPolicy,
    UnknownKey,
    verify_jwt,
)
from ocis.proxy.auth import header

log = logging.getLogger("ocis.proxy")

MAX_TOKEN = 16 * 1024  # bytes; a JWT access token is a few hundred to a few thousand
UNAVAILABLE_LOG_INTERVAL = 60.0  # seconds between warnings about an unreachable key source

Lookup = Literal["id", "username", "email"]


def parse_bearer(value: bytes | None) -> str | None:
    """The token of ``Bearer <token>`` (scheme case-insensitive, RFC 7235 §2.1), or None."""
    if not value or len(value) > MAX_TOKEN:
        return None
    scheme, _, token = value.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return None
    token = token.strip()
    try:
        return token.decode("ascii") if token else None
    except UnicodeDecodeError:
        return None


class BearerAuthenticator:
    """Bearer JWTs against a key source. See the module docstring.

    Args:
        source: where the issuer and its keys come from.
        accounts: to map the token to an account.
        audiences: accepted ``aud`` values.
        accept_azp: also accept a matching ``azp`` (external IdPs often put the client there).
        types: accepted ``typ`` headers (empty: any).
        leeway: seconds of clock skew.
        claim: the claim naming the user.
        lookup: how that claim is looked up.
    """

    name = "bearer"

    def __init__(self, source: KeySource, accounts: AccountsAPI, *, audiences: Collection[str],
                 accept_azp: bool = False, types: Collection[str] = ACCESS_TOKEN_TYPES, leeway: int = 0,
                 claim: str = "sub", lookup: Lookup = "id") -> None:
        self.source = source
        self.accounts = accounts
        self.audiences = frozenset(audiences)
        self.accept_azp = accept_azp
        self.types = frozenset(t.lower() for t in types)
        self.leeway = leeway
        self.claim = claim
        self.lookup = lookup
        self._last_unavailable_log = -UNAVAILABLE_LOG_INTERVAL

    async def authenticate(self, scope: Scope) -> Principal | None:
        token = parse_bearer(header(scope, b"authorization"))
        if token is None:
            return None
        try:
            claims = await self._verify(token)
        except InvalidToken as exc:
            log.debug("bearer token refused: %s", exc)
            return None
        except OSError as exc:  # the key source is unreachable (external IdP down)
            self._warn_unavailable(exc)
            return None
        value = claims.get(self.claim)
        if not isinstance(value, str) or not value:
            log.debug("bearer token refused: no %s claim", self.claim)
            return None
        user = await anyio.to_thread.run_sync(self._find_user, value)
        if user is None or not user.enabled:
            log.debug("bearer token refused: no enabled account for its %s claim", self.claim)
            return None
        return user.principal(self.name)

    def challenge(self, realm: str) -> str | None:
        return f'Bearer realm="{realm}", charset="UTF-8"'

    async def _verify(self, token: str) -> dict[str, object]:
        issuer, keys = await anyio.to_thread.run_sync(self.source.issuer_keys)
        policy = TokenPolicy(issuer, self.audiences, accept_azp=self.accept_azp, types=self.types,
                             leeway=self.leeway)
        try:
            return verify_jwt(token, keys, policy)
        except UnknownKey:
            issuer, keys = await anyio.to_thread.run_sync(self.source.issuer_keys, True)
            return verify_jwt(token, keys, policy)

    def _find_user(self, value: str) -> User | None:
        if self.lookup == "id":
            return self.accounts.get_user(value)
        if self.lookup == "email":
            return self.accounts.find_user_by_email(value)
        return self.accounts.find_user(value)

    def _warn_unavailable(self, exc: OSError) -> None:
        now = time.monotonic()
        if now - self._last_unavailable_log >= UNAVAILABLE_LOG_INTERVAL:
            self._last_unavailable_log = now
            log.warning("bearer tokens cannot be verified: the OpenID provider's keys are unavailable (%s)", exc)
