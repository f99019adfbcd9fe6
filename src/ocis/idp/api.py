"""What other services use of the IdP: verifying signed JWTs (access tokens, ID tokens).

The proxy verifies ``Authorization: Bearer`` tokens locally with :func:`verify_jwt`, against the
keys of a :class:`KeySource`: the embedded IdP's key store (same process or same data directory),
or an external provider's JWKS fetched through its discovery document. Nothing here does I/O;
:class:`KeySource` implementations may block and are called from worker threads.

Checks made by :func:`verify_jwt`, each failure an :class:`InvalidToken` naming the reason:

* compact JWS with an asymmetric ``alg`` from :data:`ASYMMETRIC_ALGORITHMS` (never ``none`` or HMAC:
  RFC 8725 §3.1, §3.2) and a signature by the key named by ``kid`` (an unknown ``kid`` raises
  :class:`UnknownKey`, so the caller can refresh the key set once and retry);
* ``typ`` header when the policy asks for one (``at+jwt`` for access tokens, RFC 9068 §4);
* ``iss`` exactly the expected issuer (RFC 9068 §4, OIDC Core §3.1.3.7);
* ``exp`` present and in the future, ``nbf``/``iat`` not in the future, with ``leeway`` seconds;
* ``aud`` naming one of the accepted audiences, or (if allowed) ``azp`` doing so;
* ``sub`` a non-empty string.
"""

from __future__ import annotations

import math
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeGuard

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

ASYMMETRIC_ALGORITHMS: tuple[str, ...] = (
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA",
)
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})


class InvalidToken(Exception):
    """The token is not acceptable; the message says why (never contains the token)."""


class UnknownKey(InvalidToken):
    """The token names a key id the key set does not have (yet)."""


class IssuerKeys(NamedTuple):
    """An issuer identifier and its current public verification keys."""

    issuer: str
    keys: KeySet


class KeySource(Protocol):
    """Where verification keys come from. May block (file reads, HTTP): call it from a thread."""

    def issuer_keys(self, refresh: bool = False) -> IssuerKeys:
        """The issuer and its public keys; ``refresh`` re-reads them now (a token named an unknown kid)."""


@dataclass(frozen=True)
class TokenPolicy:
    """What :func:`verify_jwt` demands.

    Attributes:
        issuer: the exact ``iss`` value.
        audiences: accepted ``aud`` values (any one suffices).
        accept_azp: also accept a token whose ``azp`` is one of ``audiences``.
        types: accepted ``typ`` header values (lower-case); empty = any or none.
        leeway: seconds of clock skew allowed for ``exp``, ``nbf`` and ``iat``.
        algorithms: accepted signature algorithms.
    """

    issuer: str
    audiences: frozenset[str]
    accept_azp: bool = False
    types: frozenset[str] = field(default_factory=frozenset)
    leeway: int = 0
    algorithms: tuple[str, ...] = ASYMMETRIC_ALGORITHMS


def unverified_header(token: str) -> dict[str, Any]:
    """The JOSE header of a compact JWS, without checking anything else.

    Raises:
        InvalidToken: not a compact JWS.
    """
    try:
        return dict(jws.extract_compact(token.encode("ascii")).headers())
    except (JoseError, ValueError, UnicodeError, TypeError):
        raise InvalidToken("malformed token") from None


def verify_jwt(token: str, keys: KeySet, policy: TokenPolicy, now: float | None = None) -> dict[str, Any]:
    """Verify a signed JWT and return its claims. See the module docstring for the checks.

    Raises:
        UnknownKey: the ``kid`` is not in ``keys``.
        InvalidToken: any other failure.
    """
    header = unverified_header(token)
    alg = header.get("alg")
    if alg not in policy.algorithms:
        raise InvalidToken(f"algorithm {alg!r} not accepted")
    if policy.types and str(header.get("typ", "")).lower() not in policy.types:
        raise InvalidToken("wrong token type")
    kid = header.get("kid")
    candidates = [k for k in keys if k.kid == kid] if kid is not None else list(keys)
    if not candidates:
        raise UnknownKey("unknown signing key")
    if len(candidates) != 1:
        raise InvalidToken("ambiguous signing key")
    try:
        claims = jwt.decode(token, candidates[0], algorithms=[alg]).claims
    except (JoseError, ValueError, TypeError):
        raise InvalidToken("bad signature") from None
    check_claims(claims, policy, time.time() if now is None else now)
    return claims


def check_claims(claims: dict[str, Any], policy: TokenPolicy, now: float) -> None:
    """The claim checks of :func:`verify_jwt` (signature already verified).

    Raises:
        InvalidToken: naming the failed claim.
    """
    if claims.get("iss") != policy.issuer:
        raise InvalidToken("wrong issuer")
    exp = claims.get("exp")
    if not _number(exp):
        raise InvalidToken("no expiry")
    if exp <= now - policy.leeway:
        raise InvalidToken("expired")
    for name in ("nbf", "iat"):
        value = claims.get(name)
        if value is not None and (not _number(value) or value > now + policy.leeway):
            raise InvalidToken(f"{name} in the future")
    if not _audience_ok(claims, policy.audiences, policy.accept_azp):
        raise InvalidToken("wrong audience")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise InvalidToken("no subject")


def _audience_ok(claims: dict[str, Any], audiences: Collection[str], accept_azp: bool) -> bool:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if any(isinstance(v, str) and v in audiences for v in values):
        return True
    return accept_azp and isinstance(claims.get("azp"), str) and claims["azp"] in audiences


def _number(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False
