"""IdP signing keys: persisted, rotated, retired keys verifiable until their tokens expire."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ocis.idp.api import InvalidToken, TokenPolicy, UnknownKey, verify_jwt
from ocis.idp.keys import RETIRED_SLACK, KeyStore

ISSUER = "https://cloud.example.org"


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def store(directory: Path, clock: Clock, rotation: int = 1000, lifetime: int = 100) -> KeyStore:
    return KeyStore(directory, ISSUER, rotation=rotation, max_token_lifetime=lifetime, clock=clock)


def token(keys: KeyStore, clock: Clock, **claims: object) -> str:
    now = int(clock())
    return keys.sign({"iss": ISSUER, "sub": "u1", "aud": "web", "iat": now, "exp": now + 100, **claims},
                     typ="at+jwt")


POLICY = TokenPolicy(ISSUER, frozenset({"web"}), types=frozenset({"at+jwt"}))


def test_first_use_creates_a_persisted_private_key(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock)
    kid, _ = keys.active_key()
    path = tmp_path / "keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = json.loads(path.read_text())
    assert [k["kid"] for k in doc["keys"]] == [kid]
    # a second store (a restart, or another process) uses the same key and verifies old tokens
    again = store(tmp_path, clock)
    assert again.active_key()[0] == kid
    claims = verify_jwt(token(keys, clock), again.issuer_keys().keys, POLICY, now=clock())
    assert claims["sub"] == "u1"


def test_jwks_has_only_public_parts(tmp_path: Path) -> None:
    keys = store(tmp_path, Clock())
    doc = keys.jwks()
    (jwk,) = doc["keys"]
    assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["alg"] == "RS256" and jwk["kid"]
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)


def test_rotation_keeps_retired_key_until_its_tokens_expired(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock, rotation=1000, lifetime=100)
    old_kid, _ = keys.active_key()
    old_token = token(keys, clock)

    clock.now += 1000  # rotation due
    new_kid, _ = keys.active_key()
    assert new_kid != old_kid
    assert {k["kid"] for k in keys.jwks()["keys"]} == {old_kid, new_kid}
    assert verify_jwt(old_token, keys.issuer_keys().keys, POLICY, now=clock.now - 1000 + 50)["sub"] == "u1"
    new_token = token(keys, clock)
    assert verify_jwt(new_token, keys.issuer_keys().keys, POLICY, now=clock.now)

    # the retired key survives the longest token lifetime plus slack, then goes at the next write
    clock.now += 100 + RETIRED_SLACK + 1
    keys.rotate()
    kids = {k["kid"] for k in keys.jwks()["keys"]}
    assert old_kid not in kids and new_kid in kids and len(kids) == 2
    with pytest.raises(UnknownKey):
        verify_jwt(old_token, keys.issuer_keys().keys, POLICY, now=clock.now)


def test_rotation_zero_never_rotates(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock, rotation=0)
    kid, _ = keys.active_key()
    clock.now += 10**9
    assert keys.active_key()[0] == kid


def test_other_process_sees_rotation(tmp_path: Path) -> None:
    clock = Clock()
    idp = store(tmp_path, clock)
    proxy = store(tmp_path, clock)
    proxy.issuer_keys()
    new_kid = idp.rotate()
    assert new_kid in {k.kid for k in proxy.issuer_keys().keys}


def test_corrupt_key_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "keys.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"keys\.json"):
        store(tmp_path, Clock()).active_key()


def test_tampered_token_refused(tmp_path: Path) -> None:
    clock = Clock()
    keys = store(tmp_path, clock)
    header, _payload, sig = token(keys, clock).split(".")
    other = token(keys, clock, sub="admin").split(".")[1]
    with pytest.raises(InvalidToken, match="bad signature"):
        verify_jwt(f"{header}.{other}.{sig}", keys.issuer_keys().keys, POLICY, now=clock())
