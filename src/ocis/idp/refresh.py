"""Refresh tokens: opaque, rotated on every use, grouped in families; persisted in
``<data>/idp/refresh.json``.

A refresh token is ``<family id>.<secret>``. A family is everything that descends from one
authorization code. Rotation (OAuth 2.0 Security BCP, RFC 9700 §4.14.2): each use returns a new
token and the presented one becomes *used*; presenting a used token again means it was copied, so
the whole family is revoked and both the thief and the client must sign in again.

Concurrent refreshes (two requests of the same client racing with the same token, e.g. parallel
uploads whose access token expired at once) must not log the user out — that was the oCIS 1.0
"interruptions during uploads" failure mode. So the next secret is *derived*, not random:
``next = HMAC-SHA256(family key, presented secret)``. Replaying the token that was rotated less
than ``reuse_grace`` seconds ago yields the same, current, next token again instead of a revocation.
After the grace period a replay revokes the family.

The store keeps per family: client, user, scope, ``auth_time``, browser ``sid``, the random family
key, the SHA-256 of the current secret, of the previous one and of all earlier ones (bounded), the
rotation time and the idle expiry (renewed on every use). Secrets themselves are never stored.

Times are UNIX seconds (UTC). All methods block (file I/O) and are thread-safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ocis.idp.state import Doc, StateFile, token_hash

log = logging.getLogger("ocis.idp")

MAX_USED = 64  # hashes of earlier tokens remembered per family to detect replays


@dataclass(frozen=True)
class RefreshGrant:
    """What a refresh token stands for."""

    family: str
    client_id: str
    user_id: str
    scope: tuple[str, ...]
    auth_time: int
    sid: str


class RefreshError(Exception):
    """The refresh token is not acceptable (``invalid_grant``, RFC 6749 §5.2). ``revoked``: a replay
    revoked its family."""

    def __init__(self, message: str, revoked: bool = False) -> None:
        super().__init__(message)
        self.revoked = revoked


class RefreshStore:
    """Refresh-token families. See the module docstring.

    Args:
        directory: ``<data>/idp``.
        lifetime: idle lifetime of a family in seconds (each use extends it).
        reuse_grace: seconds the just-rotated token may be replayed; 0 = never.
        clock: current UNIX time in seconds (tests).
    """

    def __init__(self, directory: Path, lifetime: int, reuse_grace: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.reuse_grace = reuse_grace
        self.clock = clock
        self._file = StateFile(directory / "refresh.json")

    def create(self, grant: RefreshGrant) -> str:
        """Start the family ``grant.family`` and return its first token."""
        key = secrets.token_bytes(32)
        secret = _b64(secrets.token_bytes(32))
        now = int(self.clock())
        with self._file.update() as doc:
            self._purge(doc)
            doc.setdefault("families", {})[grant.family] = {
                "client_id": grant.client_id, "user_id": grant.user_id, "scope": list(grant.scope),
                "auth_time": grant.auth_time, "sid": grant.sid, "key": _b64(key),
                "current": token_hash(secret), "previous": None, "used": [], "rotated": now,
                "expires": now + self.lifetime,
            }
        return f"{grant.family}.{secret}"

    def rotate(self, token: str, client_id: str) -> tuple[RefreshGrant, str]:
        """Use ``token`` for ``client_id``: returns its grant and the next token.

        Raises:
            RefreshError: unknown, expired, another client's, or replayed (then the family is revoked).
        """
        family, _, secret = token.partition(".")
        if not family or not secret:
            raise RefreshError("malformed refresh token")
        presented = token_hash(secret)
        revoked = False
        with self._file.update() as doc:
            families = doc.setdefault("families", {})
            record = families.get(family)
            now = self.clock()
            if record is None:
                raise RefreshError("unknown refresh token")
            if record["expires"] <= now:
                del families[family]
                raise RefreshError("refresh token expired")
            if not hmac.compare_digest(record["client_id"], client_id):
                raise RefreshError("refresh token was issued to another client")
            following = _derive(record["key"], secret)
            if hmac.compare_digest(presented, record["current"]):
                record["used"] = [*record["used"], presented][-MAX_USED:]
                record["previous"] = presented
                record["current"] = token_hash(following)
                record["rotated"] = int(now)
                record["expires"] = int(now) + self.lifetime
            elif (record["previous"] is not None and hmac.compare_digest(presented, record["previous"])
                  and now - record["rotated"] <= self.reuse_grace):
                pass  # concurrent refresh within the grace period: same next token, no rotation
            elif presented in record["used"]:
                del families[family]
                revoked = True
            else:
                raise RefreshError("unknown refresh token")
            grant = _grant(family, record)
        if revoked:
            log.warning("idp: refresh token replayed for client %s, user %s: token family revoked",
                        grant.client_id, grant.user_id)
            raise RefreshError("refresh token already used; its family has been revoked", revoked=True)
        return grant, f"{family}.{following}"

    def revoke(self, family: str) -> bool:
        """Delete a family. Returns whether it existed."""
        with self._file.update() as doc:
            return doc.setdefault("families", {}).pop(family, None) is not None

    def revoke_where(self, *, sid: str | None = None, user_id: str | None = None) -> int:
        """Delete every family of a browser session and/or a user. Returns how many.

        Raises:
            ValueError: neither ``sid`` nor ``user_id`` given.
        """
        if sid is None and user_id is None:
            raise ValueError("revoke_where needs sid or user_id")
        with self._file.update() as doc:
            families = doc.setdefault("families", {})
            gone = [k for k, v in families.items()
                    if (sid is None or v["sid"] == sid) and (user_id is None or v["user_id"] == user_id)]
            for key in gone:
                del families[key]
        return len(gone)

    def _purge(self, doc: Doc) -> None:
        now = self.clock()
        families = doc.setdefault("families", {})
        for key in [k for k, v in families.items() if v["expires"] <= now]:
            del families[key]


def _derive(key_b64: str, secret: str) -> str:
    key = base64.urlsafe_b64decode(key_b64 + "=" * (-len(key_b64) % 4))
    return _b64(hmac.new(key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _grant(family: str, record: Doc) -> RefreshGrant:
    return RefreshGrant(family, record["client_id"], record["user_id"], tuple(record["scope"]),
                        record["auth_time"], record["sid"])
