"""Authorization codes (RFC 6749 §4.1.2): single-use, short-lived, bound to client, redirect URI and
PKCE challenge; persisted in ``<data>/idp/codes.json`` so any copy of the IdP can redeem them.

Only the SHA-256 of a code is stored. Redeeming marks the code used (atomically, under the file
lock) and assigns it a refresh-token family id; a second redemption is refused, and the caller
revokes that family (RFC 6749 §4.1.2: "the authorization server ... SHOULD revoke (when possible)
all tokens previously issued based on that authorization code"). Used codes are remembered for
:data:`REMEMBER_USED` seconds after their expiry.

Times are UNIX seconds (UTC). All methods block (file I/O) and are thread-safe.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ocis.idp.state import Doc, StateFile, token_hash

CODE_LIFETIME = 60       # seconds (RFC 6749 §4.1.2 recommends at most 10 minutes)
REMEMBER_USED = 600      # seconds a used code is kept after its expiry to detect replays


@dataclass(frozen=True)
class CodeGrant:
    """What a code stands for.

    Attributes:
        client_id: the client it was issued to.
        redirect_uri: the exact redirect URI of the authorization request.
        user_id: the signed-in account.
        scope: granted scopes.
        nonce: the request's ``nonce`` ("" if none), echoed in the ID token (OIDC Core §3.1.2.1).
        code_challenge: the PKCE S256 challenge ("" if none, RFC 7636 §4.3).
        auth_time: when the user signed in (UNIX seconds).
        sid: the browser session id.
        expires: UNIX seconds.
        family: refresh-token family id assigned on redemption ("" before).
    """

    client_id: str
    redirect_uri: str
    user_id: str
    scope: tuple[str, ...]
    nonce: str
    code_challenge: str
    auth_time: int
    sid: str
    expires: int = 0
    family: str = ""


class CodeError(Exception):
    """A code cannot be redeemed. ``replayed`` carries the grant when it was used before."""

    def __init__(self, message: str, replayed: CodeGrant | None = None) -> None:
        super().__init__(message)
        self.replayed = replayed


class CodeStore:
    """Issue and redeem codes. ``clock``: current UNIX time in seconds (tests)."""

    def __init__(self, directory: Path, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._file = StateFile(directory / "codes.json")

    def issue(self, grant: CodeGrant) -> str:
        """Store ``grant`` and return a new random code (256 bits, base64url)."""
        code = secrets.token_urlsafe(32)
        record = asdict(grant)
        record.update(expires=int(self.clock()) + CODE_LIFETIME, family="", used=False, scope=list(grant.scope))
        with self._file.update() as doc:
            self._purge(doc)
            doc.setdefault("codes", {})[token_hash(code)] = record
        return code

    def redeem(self, code: str) -> CodeGrant:
        """Mark ``code`` used and return its grant, with a new refresh-token family id.

        Raises:
            CodeError: unknown or expired code; a used one carries the earlier grant in ``replayed``.
        """
        key = token_hash(code)
        with self._file.update() as doc:
            codes = doc.setdefault("codes", {})
            record = codes.get(key)
            if record is None:
                raise CodeError("unknown authorization code")
            if record["used"]:
                raise CodeError("authorization code already used", _grant(record))
            if record["expires"] <= self.clock():
                raise CodeError("authorization code expired")
            record["used"] = True
            record["family"] = secrets.token_urlsafe(16)
            self._purge(doc)
            return _grant(record)

    def _purge(self, doc: Doc) -> None:
        now = self.clock()
        codes = doc.setdefault("codes", {})
        for key in [k for k, v in codes.items() if v["expires"] + (REMEMBER_USED if v["used"] else 0) <= now]:
            del codes[key]


def _grant(record: Doc) -> CodeGrant:
    fields = {k: v for k, v in record.items() if k != "used"}
    fields["scope"] = tuple(fields["scope"])
    return CodeGrant(**fields)
