"""The demo users and groups of oCIS 1.0 (ids, names, mails, passwords as shipped there).

Source: shared/reference/services.md section 2.6. The technical users (konnectd, reva) and their
group ``sysusers`` are left out: nothing here logs in as them. Unlike oCIS 1.0, which rewrote the
demo accounts on every start, they are created once (a marker file records that) and never
overwritten, so edits and deletions stick.

Without demo data, :func:`ensure_initial_admin` creates a single ``admin`` user with a random
password (written to a file) so that a fresh server is usable.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from ocis.accounts.store import AccountStore

MARKER = ".demo-created"


@dataclass(frozen=True)
class DemoUser:
    id: str
    username: str
    password: str
    email: str
    display_name: str
    uid_number: int


@dataclass(frozen=True)
class DemoGroup:
    id: str
    name: str
    display_name: str
    gid_number: int
    members: tuple[str, ...]
    description: str = ""


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("4c510ada-c86b-4815-8820-42cdf82c3d51", "einstein", "relativity", "einstein@example.org",
             "Albert Einstein", 20000),
    DemoUser("f7fbf8c8-139b-4376-b307-cf0a8c2d0d9c", "marie", "radioactivity", "marie@example.org",
             "Marie Curie", 20001),
    DemoUser("932b4540-8d16-481e-8ef4-588e4b6b151c", "richard", "superfluidity", "richard@example.org",
             "Richard Feynman", 20002),
    DemoUser("058bff95-6708-4fe5-91e4-9ea3d377588b", "moss", "vista", "moss@example.org",
             "Maurice Moss", 20003),
    DemoUser("ddc2004c-0977-11eb-9d3f-a793888cd0f8", "admin", "admin", "admin@example.org",
             "Admin", 20004),
)

# In oCIS 1.0 moss and admin list "users" in memberOf without being in its members; here every
# demo user is a member, which is what memberOf says.
DEMO_GROUPS: tuple[DemoGroup, ...] = (
    DemoGroup("509a9dcd-bb37-4f4f-a01a-19dca27d9cfa", "users", "Users", 30000,
              ("einstein", "marie", "richard", "moss", "admin"), "A group every normal user belongs to."),
    DemoGroup("6040aa17-9c64-4fef-9bd0-77234d71bad0", "sailing-lovers", "Sailing lovers", 30001,
              ("einstein",)),
    DemoGroup("dd58e5ec-842e-498b-8800-61f2ec6f911f", "violin-haters", "Violin haters", 30002,
              ("einstein",)),
    DemoGroup("7b87fd49-286e-4a5f-bafd-c535d5dd997a", "radium-lovers", "Radium lovers", 30003,
              ("marie",)),
    DemoGroup("cedc21aa-4072-4614-8676-fa9165f598ff", "polonium-lovers", "Polonium lovers", 30004,
              ("marie",)),
    DemoGroup("a1726108-01f8-4c30-88df-2b1a9d1cba1a", "quantum-lovers", "Quantum lovers", 30005,
              ("richard",)),
    DemoGroup("167cbee2-0518-455a-bfb2-031fe0621e5d", "philosophy-haters", "Philosophy haters", 30006,
              ("richard",)),
    DemoGroup("262982c1-2362-4afa-bfdf-8cbfef64a06e", "physics-lovers", "Physics lovers", 30007,
              ("einstein", "marie", "richard")),
)


def ensure_demo_data(store: AccountStore) -> bool:
    """Create the demo users and groups once per store.

    Users or groups whose id or name already exists are skipped (never overwritten). After the
    first run a marker file keeps later starts from recreating deleted demo accounts.

    Returns:
        True if this call created the demo data, False if it had been created before.
    """
    marker = store.directory / MARKER
    if marker.exists():
        return False
    ids: dict[str, str] = {}
    for u in DEMO_USERS:
        if store.get_user(u.id) is not None:
            ids[u.username] = u.id
        elif store.find_user(u.username) is None and store.find_user_by_email(u.email) is None:
            store.create_user(u.username, u.password, u.display_name, u.email, user_id=u.id,
                              uid_number=u.uid_number)
            ids[u.username] = u.id
        # else: someone else has that name or email; leave them alone (and out of demo groups)
    for g in DEMO_GROUPS:
        if store.get_group(g.id) is None and store.find_group(g.name) is None:
            members = tuple(ids[m] for m in g.members if m in ids)
            store.create_group(g.name, g.display_name, group_id=g.id, description=g.description,
                               gid_number=g.gid_number, members=members)
    marker.write_text("demo users and groups were created; delete this file to create missing ones again\n",
                      encoding="utf-8")
    return True


def ensure_initial_admin(store: AccountStore, password_file: Path) -> bool:
    """Without demo data, make sure somebody can log in: create ``admin`` in an empty store.

    The random password is written to ``password_file`` (mode 0600), never logged or printed.

    Returns:
        True if the admin was created now.
    """
    if not store.is_empty():
        return False
    password = secrets.token_urlsafe(18)
    fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    store.create_user("admin", password, "Admin")
    return True
