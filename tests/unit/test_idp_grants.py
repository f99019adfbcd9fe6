"""IdP state: authorization codes, refresh-token families, sign-in sessions, sign-in throttling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ocis.core.throttle import LoginThrottle
from ocis.idp.codes import CODE_LIFETIME, CodeError, CodeGrant, CodeStore
from ocis.idp.refresh import RefreshError, RefreshGrant, RefreshStore
from ocis.idp.sessions import SessionStore


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


GRANT = CodeGrant("web", "https://x/cb", "u1", ("openid", "offline_access"), "n", "c" * 43, 1_800_000_000, "sid1")


# ---------------------------------------------------------------- codes


def test_code_is_single_use_and_replay_reports_family(tmp_path: Path) -> None:
    codes = CodeStore(tmp_path, Clock())
    code = codes.issue(GRANT)
    grant = codes.redeem(code)
    assert grant.user_id == "u1" and grant.scope == GRANT.scope and grant.family
    with pytest.raises(CodeError) as exc:
        codes.redeem(code)
    assert exc.value.replayed is not None and exc.value.replayed.family == grant.family


def test_code_expires(tmp_path: Path) -> None:
    clock = Clock()
    codes = CodeStore(tmp_path, clock)
    code = codes.issue(GRANT)
    clock.now += CODE_LIFETIME
    with pytest.raises(CodeError, match="expired"):
        codes.redeem(code)


def test_unknown_code_and_no_clear_text_on_disk(tmp_path: Path) -> None:
    codes = CodeStore(tmp_path, Clock())
    code = codes.issue(GRANT)
    assert code not in (tmp_path / "codes.json").read_text()
    with pytest.raises(CodeError, match="unknown"):
        codes.redeem(code + "x")
    # another process (a second store on the same directory) sees the code as used
    codes.redeem(code)
    with pytest.raises(CodeError):
        CodeStore(tmp_path, Clock()).redeem(code)


# ---------------------------------------------------------------- refresh tokens


def family(tmp_path: Path, clock: Clock, grace: int = 0) -> tuple[RefreshStore, str]:
    store = RefreshStore(tmp_path, lifetime=1000, reuse_grace=grace, clock=clock)
    token = store.create(RefreshGrant("fam1", "web", "u1", ("openid", "offline_access"), 1, "sid1"))
    return store, token


def test_refresh_rotates_and_replay_revokes_family(tmp_path: Path) -> None:
    clock = Clock()
    store, t1 = family(tmp_path, clock)
    grant, t2 = store.rotate(t1, "web")
    assert grant.user_id == "u1" and t2 != t1
    _, t3 = store.rotate(t2, "web")
    with pytest.raises(RefreshError) as exc:
        store.rotate(t1, "web")  # an old token: stolen copy
    assert exc.value.revoked
    with pytest.raises(RefreshError, match="unknown"):
        store.rotate(t3, "web")  # the whole family is gone


def test_refresh_grace_returns_same_next_token(tmp_path: Path) -> None:
    clock = Clock()
    store, t1 = family(tmp_path, clock, grace=10)
    _, t2 = store.rotate(t1, "web")
    clock.now += 5
    _, again = store.rotate(t1, "web")  # concurrent refresh with the same token
    assert again == t2
    _, t3 = store.rotate(t2, "web")
    clock.now += 11
    with pytest.raises(RefreshError) as exc:
        store.rotate(t2, "web")  # grace over: replay
    assert exc.value.revoked
    with pytest.raises(RefreshError):
        store.rotate(t3, "web")


def test_refresh_bound_to_client_and_expires_when_idle(tmp_path: Path) -> None:
    clock = Clock()
    store, t1 = family(tmp_path, clock)
    with pytest.raises(RefreshError, match="another client"):
        store.rotate(t1, "other")
    _, t2 = store.rotate(t1, "web")
    clock.now += 999
    _, t3 = store.rotate(t2, "web")  # use renews the idle lifetime
    clock.now += 1000
    with pytest.raises(RefreshError, match="expired"):
        store.rotate(t3, "web")


def test_refresh_malformed_and_unknown(tmp_path: Path) -> None:
    store, t1 = family(tmp_path, Clock())
    for bad in ("", "nodot", "fam1.", ".x", "fam1.wrong", "other.x"):
        with pytest.raises(RefreshError):
            store.rotate(bad, "web")
    store.rotate(t1, "web")  # a guess with the right family but a wrong secret revoked nothing


def test_refresh_persists_hashes_only_and_survives_restart(tmp_path: Path) -> None:
    clock = Clock()
    store, t1 = family(tmp_path, clock)
    text = (tmp_path / "refresh.json").read_text()
    assert t1.split(".")[1] not in text
    json.loads(text)
    _, t2 = RefreshStore(tmp_path, 1000, 0, clock).rotate(t1, "web")
    assert store.rotate(t2, "web")


def test_revoke_by_session(tmp_path: Path) -> None:
    clock = Clock()
    store, t1 = family(tmp_path, clock)
    assert store.revoke_where(sid="other") == 0
    assert store.revoke_where(sid="sid1") == 1
    with pytest.raises(RefreshError):
        store.rotate(t1, "web")
    with pytest.raises(ValueError):
        store.revoke_where()


# ---------------------------------------------------------------- sessions


def test_sessions_persist_and_expire(tmp_path: Path) -> None:
    clock = Clock()
    sessions = SessionStore(tmp_path, lifetime=100, clock=clock)
    cookie, session = sessions.create("u1")
    assert cookie not in (tmp_path / "sessions.json").read_text()
    again = SessionStore(tmp_path, lifetime=100, clock=clock).get(cookie)
    assert again == session
    assert sessions.get("nope") is None and sessions.get(None) is None
    clock.now += 100
    assert sessions.get(cookie) is None


def test_session_delete(tmp_path: Path) -> None:
    sessions = SessionStore(tmp_path, lifetime=100, clock=Clock())
    cookie, session = sessions.create("u1")
    assert sessions.delete(cookie) == session
    assert sessions.get(cookie) is None
    assert sessions.delete(cookie) is None


# ---------------------------------------------------------------- throttling


def test_throttle_per_account() -> None:
    clock = Clock(0)
    t = LoginThrottle(account_limit=3, address_limit=100, window=60, clock=clock)
    for _ in range(3):
        assert t.retry_after("Alice", "1.1.1.1") == 0
        t.failure("Alice", "1.1.1.1")
    assert t.retry_after("alice ", "2.2.2.2") == 60  # same account, any address, any case
    assert t.retry_after("bob", "1.1.1.1") == 0
    clock.now = 61
    assert t.retry_after("alice", "1.1.1.1") == 0


def test_throttle_per_address_and_success_resets_account() -> None:
    clock = Clock(0)
    t = LoginThrottle(account_limit=2, address_limit=3, window=60, clock=clock)
    t.failure("a", "9.9.9.9")
    t.success("a")
    t.failure("a", "9.9.9.9")
    assert t.retry_after("a", "8.8.8.8") == 0
    t.failure("b", "9.9.9.9")
    clock.now = 10
    assert t.retry_after("c", "9.9.9.9") == 50  # three failures from this address
    assert t.retry_after("c", "8.8.8.8") == 0


def test_throttle_memory_is_bounded() -> None:
    t = LoginThrottle(max_keys=10, clock=Clock(0))
    for i in range(100):
        t.failure(f"user{i}", f"10.0.0.{i}")
    assert len(t._failures) <= 10
