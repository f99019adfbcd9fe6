"""Minting the IdP's signed tokens, and verifying its own access tokens (userinfo).

**Access tokens** follow the JWT profile of RFC 9068: header ``typ: at+jwt``; claims ``iss``,
``sub`` (the account id: stable, never reassigned, OIDC Core §5.7), ``aud`` (the client id, as
konnect did), ``client_id``, ``azp``, ``iat``, ``exp``, ``jti``, ``scope``, ``auth_time``, ``sid``,
plus ``preferred_username``, ``name`` and ``email`` so a proxy configured for an external IdP can
also map users by name. Resource servers must check ``typ`` so that an ID token (``typ: JWT``)
is never accepted as an access token (RFC 9068 §4).

**ID tokens** (OIDC Core §2, §3.1.3.6): ``iss``, ``sub``, ``aud`` (client id), ``azp``, ``iat``,
``exp``, ``auth_time``, ``nonce`` (when the request had one), ``at_hash``, ``sid``,
``preferred_username``, ``name``, ``email``, ``email_verified``.

Lifetimes are in seconds; times are UNIX seconds (UTC).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Callable, Collection
from typing import Any

from ocis.accounts.api import User
from ocis.idp.api import ACCESS_TOKEN_TYPES, TokenPolicy, UnknownKey, verify_jwt
from ocis.idp.keys import KeyStore


def at_hash(access_token: str) -> str:
    """``at_hash`` for RS256: base64url of the left half of SHA-256 of the token (OIDC Core §3.1.3.6)."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def profile_claims(user: User, scope: Collection[str] | None = None) -> dict[str, Any]:
    """``preferred_username``/``name`` (scope ``profile``) and ``email``/``email_verified`` (scope
    ``email``); ``scope=None`` gives all (ID and access tokens always carry them)."""
    claims: dict[str, Any] = {}
    if scope is None or "profile" in scope:
        claims.update(preferred_username=user.username, name=user.display_name)
    if (scope is None or "email" in scope) and user.email:
        claims.update(email=user.email, email_verified=True)
    return claims


class TokenIssuer:
    """Signs access and ID tokens with the key store's active key.

    Args:
        keys: the key store.
        issuer: the ``iss`` value.
        access_lifetime: seconds.
        id_lifetime: seconds.
        audiences: every registered client id (accepted ``aud`` values for our access tokens).
        clock: current UNIX time in seconds (tests).
    """

    def __init__(self, keys: KeyStore, issuer: str, *, access_lifetime: int, id_lifetime: int,
                 audiences: Collection[str], clock: Callable[[], float] = time.time) -> None:
        self.keys = keys
        self.issuer = issuer
        self.access_lifetime = access_lifetime
        self.id_lifetime = id_lifetime
        self.audiences = frozenset(audiences)
        self.clock = clock

    def access_token(self, user: User, client_id: str, scope: Collection[str], *, auth_time: int,
                     sid: str) -> str:
        """A signed RFC 9068 access token for ``user`` and ``client_id``."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": user.id, "aud": client_id, "client_id": client_id, "azp": client_id,
            "iat": now, "exp": now + self.access_lifetime, "jti": secrets.token_urlsafe(16),
            "scope": " ".join(scope), "auth_time": auth_time, "sid": sid,
            **profile_claims(user),
        }
        return self.keys.sign(claims, typ="at+jwt")

    def id_token(self, user: User, client_id: str, *, auth_time: int, sid: str, nonce: str = "",
                 access_token: str = "") -> str:
        """A signed ID token for ``user`` and ``client_id``."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer, "sub": user.id, "aud": client_id, "azp": client_id,
            "iat": now, "exp": now + self.id_lifetime, "auth_time": auth_time, "sid": sid,
            **profile_claims(user),
        }
        if nonce:
            claims["nonce"] = nonce
        if access_token:
            claims["at_hash"] = at_hash(access_token)
        return self.keys.sign(claims, typ="JWT")

    def verify_access_token(self, token: str) -> dict[str, Any]:
        """Claims of one of our own valid access tokens.

        Raises:
            InvalidToken: see :func:`ocis.idp.api.verify_jwt`.
        """
        policy = TokenPolicy(self.issuer, self.audiences, types=ACCESS_TOKEN_TYPES)
        try:
            return verify_jwt(token, self.keys.issuer_keys().keys, policy, now=self.clock())
        except UnknownKey:
            return verify_jwt(token, self.keys.issuer_keys(refresh=True).keys, policy, now=self.clock())

    def verify_id_token_hint(self, token: str) -> dict[str, Any]:
        """Claims of an ID token we issued, expired or not (``id_token_hint``, OIDC RP-Initiated Logout §2).

        Raises:
            InvalidToken: bad signature, another issuer, not an ID token of a registered client.
        """
        policy = TokenPolicy(self.issuer, self.audiences, types=frozenset({"jwt"}), leeway=10**9)
        return verify_jwt(token, self.keys.issuer_keys(refresh=True).keys, policy, now=self.clock())
