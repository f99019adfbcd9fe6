"""The accounts interface other services use (authentication and user lookup)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ocis.core.principal import Principal


@dataclass(frozen=True)
class User:
    """A user account (the password hash never leaves the accounts service)."""

    id: str
    username: str
    display_name: str
    email: str = ""
    enabled: bool = True
    groups: tuple[str, ...] = field(default_factory=tuple)
    quota: int | None = None                 # bytes; None = the storage default

    def principal(self, auth_method: str = "") -> Principal:
        return Principal(self.id, self.username, self.display_name, self.email, self.groups, auth_method)


class AccountsAPI(Protocol):
    def authenticate(self, login: str, password: str) -> User | None:
        """Check a username (case-insensitive) or email and password; None if wrong or disabled."""

    def get_user(self, user_id: str) -> User | None:
        """Look up by id."""

    def find_user(self, username: str) -> User | None:
        """Look up by username (case-insensitive)."""

    def find_user_by_email(self, email: str) -> User | None:
        """Look up by email address (case-insensitive)."""


@dataclass(frozen=True)
class Group:
    """A group of users.

    Attributes:
        id: stable group id (UUID string).
        name: unique short name (``sam account name``), case-insensitive; what ``User.groups`` lists.
        display_name: human-readable name.
        description: free text.
        gid_number: POSIX-style group number (informational).
        members: ids of the member users.
    """

    id: str
    name: str
    display_name: str
    description: str = ""
    gid_number: int | None = None
    members: tuple[str, ...] = field(default_factory=tuple)


def login_key(accounts: AccountsAPI, login: str) -> str:
    """One key per account for throttling failed logins: the user id when the login (username in
    any case, or email) names an account, else the login itself, lower-cased."""
    login = login.strip()
    user = accounts.find_user(login) or accounts.find_user_by_email(login)
    return user.id if user is not None else login.lower()
