"""Account store: argon2id passwords, case-insensitive login, demo data, persistence."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from ocis.accounts.demo import DEMO_GROUPS, DEMO_USERS, ensure_demo_data
from ocis.accounts.passwords import hash_password, verify_password
from ocis.accounts.store import AccountStore
from ocis.core.errors import AlreadyExists, BadRequest, NotFound


@pytest.fixture
def store(tmp_path: Path) -> AccountStore:
    return AccountStore(tmp_path / "accounts")


def test_password_hash_is_argon2id_and_reasonably_fast() -> None:
    h = hash_password("secret")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "secret")
    assert not verify_password(h, "Secret")
    assert not verify_password(None, "secret")
    assert not verify_password("not-a-hash", "secret")
    start = time.perf_counter()
    for _ in range(5):
        verify_password(h, "secret")
    per_verify = (time.perf_counter() - start) / 5
    assert per_verify < 0.2, f"argon2 verify took {per_verify * 1000:.0f} ms"


def test_demo_users_and_groups(store: AccountStore) -> None:
    assert ensure_demo_data(store) is True
    names = {u.username for u in store.list_users()}
    assert names == {"admin", "einstein", "marie", "richard", "moss"}
    for demo in DEMO_USERS:
        user = store.authenticate(demo.username, demo.password)
        assert user is not None and user.id == demo.id
        assert user.display_name == demo.display_name and user.email == demo.email
    einstein = store.find_user("einstein")
    assert einstein is not None
    assert set(einstein.groups) == {"users", "sailing-lovers", "violin-haters", "physics-lovers"}
    for g in DEMO_GROUPS:
        found = store.get_group(g.id)
        assert found is not None and found.name == g.name and found.display_name == g.display_name
    assert store.find_user("konnectd") is None and store.find_user("reva") is None


def test_demo_data_created_only_once(store: AccountStore, tmp_path: Path) -> None:
    ensure_demo_data(store)
    einstein = store.find_user("einstein")
    assert einstein is not None
    store.update_user(einstein.id, password="changed", display_name="Al")
    marie = store.find_user("marie")
    assert marie is not None
    store.delete_user(marie.id)
    again = AccountStore(tmp_path / "accounts")
    assert ensure_demo_data(again) is False
    assert again.authenticate("einstein", "changed") is not None
    assert again.authenticate("einstein", "relativity") is None
    assert again.find_user("marie") is None


def test_demo_data_skips_existing_names(store: AccountStore) -> None:
    store.create_user("einstein", "mine", "Not Albert")
    ensure_demo_data(store)
    user = store.find_user("einstein")
    assert user is not None and user.display_name == "Not Albert"
    assert store.authenticate("einstein", "mine") is not None
    sailing = store.get_group("6040aa17-9c64-4fef-9bd0-77234d71bad0")
    assert sailing is not None and user.id not in sailing.members


def test_login_case_insensitive_and_by_email(store: AccountStore) -> None:
    store.create_user("Alice", "pw", "Alice A", "Alice@Example.org")
    for login in ("alice", "ALICE", "Alice", "alice@example.org", "ALICE@EXAMPLE.ORG"):
        assert store.authenticate(login, "pw") is not None, login
    assert store.authenticate("alice", "PW") is None
    assert store.authenticate("alice", "") is None
    assert store.authenticate("bob", "pw") is None
    user = store.find_user("ALICE")
    assert user is not None and user.username == "Alice"
    assert store.find_user_by_email("alice@EXAMPLE.org") == user


def test_disabled_user_cannot_log_in(store: AccountStore) -> None:
    user = store.create_user("alice", "pw")
    store.update_user(user.id, enabled=False)
    assert store.authenticate("alice", "pw") is None
    store.update_user(user.id, enabled=True)
    assert store.authenticate("alice", "pw") is not None


def test_uniqueness_and_validation(store: AccountStore) -> None:
    store.create_user("alice", "pw", email="a@example.org")
    with pytest.raises(AlreadyExists):
        store.create_user("ALICE", "pw")
    with pytest.raises(AlreadyExists):
        store.create_user("alice2", "pw", email="A@example.org")
    with pytest.raises(BadRequest):
        store.create_user("1alice", "pw")
    with pytest.raises(BadRequest):
        store.create_user("al ice", "pw")
    with pytest.raises(BadRequest):
        store.create_user("bob", "")
    with pytest.raises(BadRequest):
        store.create_user("bob", "pw", email="nope")
    with pytest.raises(NotFound):
        store.update_user("missing", display_name="x")
    with pytest.raises(NotFound):
        store.delete_user("missing")


def test_groups(store: AccountStore) -> None:
    alice = store.create_user("alice", "pw")
    group = store.create_group("team", "The Team")
    store.add_member(group.id, alice.id)
    store.add_member(group.id, alice.id)  # idempotent
    assert store.get_group(group.id).members == (alice.id,)  # type: ignore[union-attr]
    assert store.find_user("alice").groups == ("team",)  # type: ignore[union-attr]
    with pytest.raises(AlreadyExists):
        store.create_group("TEAM")
    store.delete_user(alice.id)
    assert store.get_group(group.id).members == ()  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        store.remove_member(group.id, alice.id)
    store.delete_group(group.id)
    assert store.list_groups() == []


def test_persistence_atomic_and_private(store: AccountStore, tmp_path: Path) -> None:
    alice = store.create_user("alice", "pw", "Alice", quota=1000)
    users_file = tmp_path / "accounts" / "users.json"
    assert stat.S_IMODE(users_file.stat().st_mode) == 0o600
    doc = json.loads(users_file.read_text())
    assert doc["version"] == 1
    assert doc["users"][0]["password_hash"].startswith("$argon2id$")
    assert "pw" not in users_file.read_text().replace("password_hash", "")
    assert not [p for p in users_file.parent.iterdir() if p.name.endswith(".tmp")]
    other = AccountStore(tmp_path / "accounts")
    assert other.get_user(alice.id) == alice
    assert other.quota_for(alice.id) == 1000


def test_second_instance_sees_changes(store: AccountStore, tmp_path: Path) -> None:
    other = AccountStore(tmp_path / "accounts")
    store.create_user("alice", "pw")
    assert other.find_user("alice") is not None
    other.create_user("bob", "pw")
    assert {u.username for u in store.list_users()} == {"alice", "bob"}


def test_failed_change_writes_nothing(store: AccountStore, tmp_path: Path) -> None:
    store.create_user("alice", "pw")
    users_file = tmp_path / "accounts" / "users.json"
    before = users_file.read_bytes()
    with pytest.raises(AlreadyExists):
        store.create_user("alice", "pw")
    assert users_file.read_bytes() == before


def test_initial_admin_without_demo_data(store: AccountStore, tmp_path: Path) -> None:
    from ocis.accounts.demo import ensure_initial_admin

    pw_file = tmp_path / "admin-password.txt"
    assert ensure_initial_admin(store, pw_file) is True
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    password = pw_file.read_text().strip()
    assert len(password) >= 20
    assert store.authenticate("admin", password) is not None
    assert ensure_initial_admin(store, pw_file) is False
    assert pw_file.read_text().strip() == password


def test_no_initial_admin_when_users_exist(store: AccountStore, tmp_path: Path) -> None:
    from ocis.accounts.demo import ensure_initial_admin

    ensure_demo_data(store)
    assert ensure_initial_admin(store, tmp_path / "pw") is False
    assert not (tmp_path / "pw").exists()
