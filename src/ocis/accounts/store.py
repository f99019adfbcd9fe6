"""Users and groups persisted as JSON files; implements :class:`~ocis.accounts.api.AccountsAPI`.

Layout under the store directory (``<data>/storage/metadata/accounts``):

* ``users.json``  ``{"version": 1, "users": [{id, username, display_name, email, enabled,
  password_hash, uid_number, quota, created}, ...]}``
* ``groups.json`` ``{"version": 1, "groups": [{id, name, display_name, description, gid_number,
  members: [user id, ...]}, ...]}``
* ``.lock``       ``fcntl`` lock taken for every write, so several processes can share the store.

Files are written atomically (temp file, fsync, ``os.replace``) with mode 0600. Each process keeps
a parsed copy and re-reads a file when its size/mtime/inode change, so writes by another process
are seen on the next call. All methods are blocking and thread-safe; password checks (argon2,
~25 ms) run outside the lock. Usernames, group names and emails are unique case-insensitively.

Errors: ``AlreadyExists`` (duplicate id/username/email/group name), ``NotFound``, ``BadRequest``
(invalid username, email or empty password) from :mod:`ocis.core.errors`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from ocis.accounts.api import Group, User
from ocis.accounts.passwords import hash_password, needs_rehash, verify_password
from ocis.core import jsonfile
from ocis.core.errors import AlreadyExists, BadRequest, NotFound

USERNAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9._%+\-]*(@[A-Za-z0-9.\-]+)?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_NAME_LEN = 255
FIRST_UID = 20000
FIRST_GID = 30000

_UNSET: Any = object()


@dataclass
class UserRecord:
    """A user as stored (with the password hash)."""

    id: str
    username: str
    display_name: str
    email: str = ""
    enabled: bool = True
    password_hash: str = ""
    uid_number: int | None = None
    quota: int | None = None
    created: float = 0.0


@dataclass
class GroupRecord:
    """A group as stored."""

    id: str
    name: str
    display_name: str
    description: str = ""
    gid_number: int | None = None
    members: list[str] = field(default_factory=list)


@dataclass
class _Snapshot:
    users: list[UserRecord]
    groups: list[GroupRecord]


class AccountStore:
    """JSON-file backed users and groups. See the module docstring."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._users_file = directory / "users.json"
        self._groups_file = directory / "groups.json"
        self._lock = threading.RLock()
        self._stamps: dict[Path, tuple[int, int, int] | None] = {}
        self._users: list[UserRecord] = []
        self._groups: list[GroupRecord] = []
        self._refresh()

    # ------------------------------------------------------------------ AccountsAPI

    def authenticate(self, login: str, password: str) -> User | None:
        """Username (case-insensitive) or email + password -> the user; None if wrong or disabled."""
        with self._lock:
            self._refresh()
            rec = self._by_login(login)
            stored = rec.password_hash if rec is not None and rec.enabled else None
        if not password or not verify_password(stored, password):
            return None
        assert rec is not None
        if needs_rehash(rec.password_hash):
            with contextlib.suppress(NotFound):
                self.update_user(rec.id, password=password)
        return self.get_user(rec.id)

    def get_user(self, user_id: str) -> User | None:
        with self._lock:
            self._refresh()
            rec = self._user_by_id(user_id)
            return self._public_user(rec) if rec else None

    def find_user(self, username: str) -> User | None:
        with self._lock:
            self._refresh()
            rec = self._user_by_name(username)
            return self._public_user(rec) if rec else None

    # ------------------------------------------------------------------ more lookups

    def find_user_by_email(self, email: str) -> User | None:
        with self._lock:
            self._refresh()
            key = email.lower()
            rec = next((u for u in self._users if u.email and u.email.lower() == key), None)
            return self._public_user(rec) if rec else None

    def list_users(self) -> list[User]:
        """All users, sorted by username."""
        with self._lock:
            self._refresh()
            return [self._public_user(u) for u in sorted(self._users, key=lambda u: u.username.lower())]

    def list_groups(self) -> list[Group]:
        """All groups, sorted by name."""
        with self._lock:
            self._refresh()
            return [_public_group(g) for g in sorted(self._groups, key=lambda g: g.name.lower())]

    def get_group(self, group_id: str) -> Group | None:
        with self._lock:
            self._refresh()
            rec = next((g for g in self._groups if g.id == group_id), None)
            return _public_group(rec) if rec else None

    def find_group(self, name: str) -> Group | None:
        with self._lock:
            self._refresh()
            rec = self._group_by_name(name)
            return _public_group(rec) if rec else None

    def quota_for(self, user_id: str) -> int | None:
        """The user's own quota in bytes, or None (use the storage default)."""
        user = self.get_user(user_id)
        return user.quota if user else None

    def is_empty(self) -> bool:
        with self._lock:
            self._refresh()
            return not self._users

    # ------------------------------------------------------------------ changes

    def create_user(self, username: str, password: str, display_name: str = "", email: str = "", *,
                    user_id: str | None = None, enabled: bool = True, quota: int | None = None,
                    uid_number: int | None = None) -> User:
        """Create a user. Raises BadRequest (invalid username/email/password), AlreadyExists."""
        _check_username(username)
        if email:
            _check_email(email)
        if not password:
            raise BadRequest("the password must not be empty")
        password_hash = hash_password(password)  # slow: outside the lock
        with self._writing() as snap:
            new_id = user_id or str(uuid.uuid4())
            if any(u.id == new_id for u in snap.users):
                raise AlreadyExists(f"a user with id {new_id} already exists")
            if _find_name(snap.users, username) is not None:
                raise AlreadyExists(f"the username {username} is taken")
            if email and any(u.email.lower() == email.lower() for u in snap.users if u.email):
                raise AlreadyExists(f"the email {email} is taken")
            if uid_number is None:
                uid_number = max([FIRST_UID - 1, *(u.uid_number or 0 for u in snap.users)]) + 1
            rec = UserRecord(new_id, username, display_name or username, email, enabled, password_hash,
                             uid_number, quota, time.time())
            snap.users.append(rec)
        return self._public_user_from(rec, snap.groups)

    def update_user(self, user_id: str, *, username: str | None = None, display_name: str | None = None,
                    email: str | None = None, password: str | None = None, enabled: bool | None = None,
                    quota: int | None = _UNSET) -> User:
        """Change fields of a user (None = keep; ``quota=None`` clears it). Raises NotFound etc."""
        if username is not None:
            _check_username(username)
        if email:
            _check_email(email)
        if password is not None and not password:
            raise BadRequest("the password must not be empty")
        new_hash = hash_password(password) if password is not None else None
        with self._writing() as snap:
            rec = next((u for u in snap.users if u.id == user_id), None)
            if rec is None:
                raise NotFound(f"no user with id {user_id}")
            if username is not None:
                other = _find_name(snap.users, username)
                if other is not None and other.id != user_id:
                    raise AlreadyExists(f"the username {username} is taken")
                rec.username = username
            if email is not None:
                if email and any(u.email.lower() == email.lower() for u in snap.users
                                 if u.email and u.id != user_id):
                    raise AlreadyExists(f"the email {email} is taken")
                rec.email = email
            if display_name is not None:
                rec.display_name = display_name
            if new_hash is not None:
                rec.password_hash = new_hash
            if enabled is not None:
                rec.enabled = enabled
            if quota is not _UNSET:
                rec.quota = quota
            result = replace(rec)
        return self._public_user_from(result, snap.groups)

    def delete_user(self, user_id: str) -> None:
        """Delete a user and remove it from all groups. Raises NotFound."""
        with self._writing() as snap:
            before = len(snap.users)
            snap.users[:] = [u for u in snap.users if u.id != user_id]
            if len(snap.users) == before:
                raise NotFound(f"no user with id {user_id}")
            for g in snap.groups:
                if user_id in g.members:
                    g.members.remove(user_id)

    def create_group(self, name: str, display_name: str = "", *, group_id: str | None = None,
                     description: str = "", gid_number: int | None = None,
                     members: tuple[str, ...] = ()) -> Group:
        """Create a group. Raises BadRequest (invalid name), AlreadyExists, NotFound (a member)."""
        _check_username(name, what="group name")
        with self._writing() as snap:
            new_id = group_id or str(uuid.uuid4())
            if any(g.id == new_id for g in snap.groups):
                raise AlreadyExists(f"a group with id {new_id} already exists")
            if _find_name(snap.groups, name) is not None:
                raise AlreadyExists(f"the group name {name} is taken")
            known = {u.id for u in snap.users}
            for member in members:
                if member not in known:
                    raise NotFound(f"no user with id {member}")
            if gid_number is None:
                gid_number = max([FIRST_GID - 1, *(g.gid_number or 0 for g in snap.groups)]) + 1
            rec = GroupRecord(new_id, name, display_name or name, description, gid_number, list(members))
            snap.groups.append(rec)
        return _public_group(rec)

    def delete_group(self, group_id: str) -> None:
        """Delete a group. Raises NotFound."""
        with self._writing() as snap:
            before = len(snap.groups)
            snap.groups[:] = [g for g in snap.groups if g.id != group_id]
            if len(snap.groups) == before:
                raise NotFound(f"no group with id {group_id}")

    def add_member(self, group_id: str, user_id: str) -> None:
        """Add a user to a group (no-op if already a member). Raises NotFound."""
        with self._writing() as snap:
            group = next((g for g in snap.groups if g.id == group_id), None)
            if group is None:
                raise NotFound(f"no group with id {group_id}")
            if not any(u.id == user_id for u in snap.users):
                raise NotFound(f"no user with id {user_id}")
            if user_id not in group.members:
                group.members.append(user_id)

    def remove_member(self, group_id: str, user_id: str) -> None:
        """Remove a user from a group. Raises NotFound (group, or user not a member)."""
        with self._writing() as snap:
            group = next((g for g in snap.groups if g.id == group_id), None)
            if group is None or user_id not in group.members:
                raise NotFound(f"user {user_id} is not a member of group {group_id}")
            group.members.remove(user_id)

    # ------------------------------------------------------------------ internals

    def _by_login(self, login: str) -> UserRecord | None:
        rec = self._user_by_name(login)
        if rec is None and "@" in login:
            key = login.lower()
            rec = next((u for u in self._users if u.email and u.email.lower() == key), None)
        return rec

    def _user_by_id(self, user_id: str) -> UserRecord | None:
        return next((u for u in self._users if u.id == user_id), None)

    def _user_by_name(self, username: str) -> UserRecord | None:
        return _find_name(self._users, username)

    def _group_by_name(self, name: str) -> GroupRecord | None:
        return _find_name(self._groups, name)

    def _public_user(self, rec: UserRecord) -> User:
        return self._public_user_from(rec, self._groups)

    @staticmethod
    def _public_user_from(rec: UserRecord, groups: list[GroupRecord]) -> User:
        names = tuple(sorted(g.name for g in groups if rec.id in g.members))
        return User(rec.id, rec.username, rec.display_name, rec.email, rec.enabled, names, rec.quota)

    def _refresh(self) -> None:
        """Re-read the files that changed on disk since the last read (caller holds the lock)."""
        stamp = jsonfile.stamp(self._users_file)
        if stamp != self._stamps.get(self._users_file, ()):
            self._users = [UserRecord(**u) for u in _read_list(self._users_file, "users")]
            self._stamps[self._users_file] = stamp
        stamp = jsonfile.stamp(self._groups_file)
        if stamp != self._stamps.get(self._groups_file, ()):
            self._groups = [GroupRecord(**g) for g in _read_list(self._groups_file, "groups")]
            self._stamps[self._groups_file] = stamp

    @contextlib.contextmanager
    def _writing(self) -> Iterator[_Snapshot]:
        """Lock (thread + file), load the latest state, yield it for changes, write it back.

        If the body raises, nothing is written.
        """
        with self._lock, jsonfile.file_lock(self.directory / ".lock"):
            self._refresh()
            snap = _Snapshot([replace(u) for u in self._users],
                             [replace(g, members=list(g.members)) for g in self._groups])
            yield snap
            if snap.users != self._users:
                users = {"version": 1, "users": [asdict(u) for u in snap.users]}
                jsonfile.write_json(self._users_file, users, pretty=True)
                self._users = snap.users
                self._stamps[self._users_file] = jsonfile.stamp(self._users_file)
            if snap.groups != self._groups:
                groups = {"version": 1, "groups": [asdict(g) for g in snap.groups]}
                jsonfile.write_json(self._groups_file, groups, pretty=True)
                self._groups = snap.groups
                self._stamps[self._groups_file] = jsonfile.stamp(self._groups_file)


def _public_group(rec: GroupRecord) -> Group:
    return Group(rec.id, rec.name, rec.display_name, rec.description, rec.gid_number, tuple(rec.members))


_R = TypeVar("_R", UserRecord, GroupRecord)


def _find_name(records: list[_R], name: str) -> _R | None:
    """The user (by ``username``) or group (by ``name``) called ``name``, case-insensitively."""
    key = name.lower()
    for rec in records:
        if (rec.username if isinstance(rec, UserRecord) else rec.name).lower() == key:
            return rec
    return None


def _check_username(name: str, what: str = "username") -> None:
    if not name or len(name) > MAX_NAME_LEN or not USERNAME_RE.match(name):
        raise BadRequest(
            f"invalid {what} {name!r}: use letters, digits and . _ % + - (starting with a letter)"
        )


def _check_email(email: str) -> None:
    if len(email) > MAX_NAME_LEN or not EMAIL_RE.match(email):
        raise BadRequest(f"invalid email {email!r}")


def _read_list(path: Path, key: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not valid JSON ({exc})") from None
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: expected an object with a list {key!r}")
    return items
