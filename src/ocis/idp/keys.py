"""Token signing keys: generated on first use, persisted in ``<data>/idp/keys.json``, rotated.

oCIS 1.0 (konnectd) made a new random key at every start, so every token and session died with a
restart. Here keys live in the data directory:

* the **active** key (RSA 2048, ``RS256``, the algorithm every OpenID relying party supports,
  OIDC Core §15.1) signs every new token; its ``kid`` is its RFC 7638 thumbprint;
* after ``rotation`` seconds a new key becomes active and the old one is **retired**: it signs
  nothing more but stays in the JWKS until ``retired + max_token_lifetime + RETIRED_SLACK``, i.e.
  until every token it signed has expired; then it is deleted;
* ``rotation = 0`` never rotates.

File format: ``{"version": 1, "keys": [{"kid", "created", "retired", "jwk"}]}`` (times: UNIX
seconds, UTC; ``retired`` null while active; ``jwk``: the private JWK). Mode 0600.

:class:`KeyStore` implements :class:`ocis.idp.api.KeySource` for local verification. All methods
block (file I/O, RSA key generation ~50 ms) and are thread-safe; several processes may share the
directory (rotation happens under a file lock, by whichever process sees it due first).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from ocis.idp.api import IssuerKeys
from ocis.idp.state import Doc, StateFile

log = logging.getLogger("ocis.idp")

ALGORITHM = "RS256"
KEY_SIZE = 2048
RETIRED_SLACK = 300  # seconds a retired key outlives the longest token lifetime (clock skew, in-flight requests)


class KeyStore:
    """Persisted signing keys with rotation. See the module docstring.

    Args:
        directory: ``<data>/idp``.
        issuer: the issuer these keys sign for (reported by :meth:`issuer_keys`).
        rotation: seconds a key stays active; 0 = forever.
        max_token_lifetime: seconds the longest-lived signed token is valid (access or ID token).
        clock: current UNIX time in seconds (tests).
    """

    def __init__(self, directory: Path, issuer: str, *, rotation: int, max_token_lifetime: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self.rotation = rotation
        self.max_token_lifetime = max_token_lifetime
        self.clock = clock
        self._file = StateFile(directory / "keys.json")
        self._lock = threading.Lock()
        self._parsed: dict[str, RSAKey] = {}
        self._public: KeySet | None = None

    # ------------------------------------------------------------------ signing

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str:
        """A compact JWS of ``claims`` with the active key (``alg`` RS256, ``kid``, ``typ``)."""
        kid, key = self.active_key()
        return jwt.encode({"alg": ALGORITHM, "kid": kid, "typ": typ}, claims, key, algorithms=[ALGORITHM])

    def active_key(self) -> tuple[str, RSAKey]:
        """(kid, private key) of the active key, creating or rotating first if due."""
        doc = self._file.read()
        active = _active(doc)
        if active is None or self._rotation_due(active):
            doc = self._rotate_if_due()
            active = _active(doc)
            assert active is not None
        return active["kid"], self._key(active)

    def rotate(self) -> str:
        """Retire the active key now and make a new one. Returns the new kid."""
        with self._file.update() as doc:
            self._add_key(doc, self.clock())
            self._purge(doc)
            kid: str = doc["keys"][-1]["kid"]
        self._public = None
        return kid

    # ------------------------------------------------------------------ verification

    def issuer_keys(self, refresh: bool = False) -> IssuerKeys:
        """The issuer and every unexpired public key (active and retired).

        The file is re-read whenever it changed on disk (a rotation by another process), so ``refresh``
        adds nothing here: a token naming an unknown kid cannot make us re-parse an unchanged file.
        """
        with self._lock:
            if self._public is None or self._file.changed():
                doc = self._file.read()
                self._public = KeySet([RSAKey.import_key(self._key(k).as_dict(private=False)) for k in
                                       doc.get("keys", []) if not self._expired(k)])
            return IssuerKeys(self.issuer, self._public)

    def jwks(self) -> dict[str, Any]:
        """The public JWK Set document (RFC 7517 §5) served at the JWKS endpoint (creates or rotates the
        active key first, when due)."""
        self.active_key()
        keys = self.issuer_keys().keys
        return {"keys": [{**k.as_dict(private=False), "use": "sig", "alg": ALGORITHM} for k in keys]}

    # ------------------------------------------------------------------ internals

    def _rotation_due(self, active: Doc) -> bool:
        return self.rotation > 0 and float(active["created"]) + self.rotation <= self.clock()

    def _rotate_if_due(self) -> Doc:
        with self._file.update() as doc:
            active = _active(doc)
            now = self.clock()
            if active is None or self._rotation_due(active):
                self._add_key(doc, now)
            self._purge(doc)
        self._public = None
        return doc

    def _add_key(self, doc: Doc, now: float) -> None:
        keys: list[Doc] = doc.setdefault("keys", [])
        for k in keys:
            if k.get("retired") is None:
                k["retired"] = now
        key = RSAKey.generate_key(KEY_SIZE, private=True)
        kid = key.thumbprint()
        keys.append({"kid": kid, "created": now, "retired": None,
                     "jwk": key.as_dict(private=True, kid=kid, use="sig", alg=ALGORITHM)})
        log.info("idp: new token signing key %s", kid)

    def _purge(self, doc: Doc) -> None:
        keys = doc.get("keys", [])
        doc["keys"] = [k for k in keys if not self._expired(k)]
        for k in keys:
            if self._expired(k):
                self._parsed.pop(k["kid"], None)

    def _expired(self, record: Doc) -> bool:
        retired = record.get("retired")
        if retired is None:
            return False
        return float(retired) + self.max_token_lifetime + RETIRED_SLACK <= self.clock()

    def _key(self, record: Doc) -> RSAKey:
        kid = record["kid"]
        key = self._parsed.get(kid)
        if key is None:
            key = RSAKey.import_key(record["jwk"])
            self._parsed[kid] = key
        return key


def _active(doc: Doc) -> Doc | None:
    active = [k for k in doc.get("keys", []) if k.get("retired") is None]
    return active[-1] if active else None
