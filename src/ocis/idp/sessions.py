"""Browser sign-in sessions of the IdP, persisted in ``<data>/idp/sessions.json``.

After a successful sign-in the browser gets a random cookie value; the store keeps only its
SHA-256 (:func:`ocis.idp.state.token_hash`) with the user id, the sign-in time and the expiry, so
single sign-on and silent renewal (``prompt=none``) keep working across a restart. Each session
also has a public id (``sid``, OIDC Front-Channel Logout §3) that ties refresh-token families to
it, so signing out can revoke them.

Times are UNIX seconds (UTC). All methods block (file I/O) and are thread-safe.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ocis.idp.state import Doc, StateFile, token_hash


@dataclass(frozen=True)
class Session:
    """A signed-in browser.

    Attributes:
        sid: public session id (goes into ID tokens as ``sid``).
        user_id: the account id.
        auth_time: when the user entered the password (UNIX seconds).
        expires: when the session ends (UNIX seconds).
    """

    sid: str
    user_id: str
    auth_time: int
    expires: int


class SessionStore:
    """Sessions keyed by the hash of their cookie value.

    Args:
        directory: ``<data>/idp``.
        lifetime: seconds a session lasts after sign-in.
        clock: current UNIX time in seconds (tests).
    """

    def __init__(self, directory: Path, lifetime: int, clock: Callable[[], float] = time.time) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._file = StateFile(directory / "sessions.json")

    def create(self, user_id: str) -> tuple[str, Session]:
        """Start a session. Returns (cookie value, session); the cookie value is not stored."""
        cookie = secrets.token_urlsafe(32)
        now = int(self.clock())
        session = Session(secrets.token_urlsafe(16), user_id, now, now + self.lifetime)
        with self._file.update() as doc:
            self._purge(doc)
            doc.setdefault("sessions", {})[token_hash(cookie)] = {
                "sid": session.sid, "user_id": user_id, "auth_time": now, "expires": session.expires}
        return cookie, session

    def get(self, cookie: str | None) -> Session | None:
        """The live session for a cookie value, or None (unknown, expired, or no cookie)."""
        if not cookie:
            return None
        record = self._file.read().get("sessions", {}).get(token_hash(cookie))
        if record is None or record["expires"] <= self.clock():
            return None
        return Session(record["sid"], record["user_id"], record["auth_time"], record["expires"])

    def delete(self, cookie: str | None) -> Session | None:
        """End the session of a cookie value. Returns it, or None if there was none."""
        if not cookie:
            return None
        with self._file.update() as doc:
            record = doc.setdefault("sessions", {}).pop(token_hash(cookie), None)
            self._purge(doc)
        if record is None:
            return None
        return Session(record["sid"], record["user_id"], record["auth_time"], record["expires"])

    def _purge(self, doc: Doc) -> None:
        now = self.clock()
        sessions = doc.setdefault("sessions", {})
        for key in [k for k, v in sessions.items() if v["expires"] <= now]:
            del sessions[key]
