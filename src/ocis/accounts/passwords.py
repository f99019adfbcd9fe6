"""Password hashing with argon2id (argon2-cffi).

Parameters: time cost 2, memory 19 MiB, parallelism 1 (the OWASP minimum for argon2id), which
costs ~20-30 ms per verify on the development machine: slow enough to hurt guessing, fast enough
for logins (the proxy caches successful Basic logins on top). Hashes are PHC strings
(``$argon2id$v=19$m=19456,t=2,p=1$...``), so changing the parameters later rehashes on login.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

TIME_COST = 2
MEMORY_COST_KIB = 19456
PARALLELISM = 1

_hasher = PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB, parallelism=PARALLELISM,
                         type=Type.ID)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when a login names no user, so a miss costs as much time as a wrong password.

    Made on first use, not at import: hashing costs ~35 ms of every server start otherwise.
    """
    return _hasher.hash("ocis-dummy-password")


def hash_password(password: str) -> str:
    """Hash a password (new random salt each time)."""
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``; ``None`` burns the same time and fails."""
    try:
        return _hasher.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True if the hash was made with other parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
