"""Throttling of failed sign-ins, per account name and per client address (in memory).

A sliding window: each key (the login name as typed, lower-cased, and the client address) keeps the
times of its failures in the last ``window`` seconds. Once a key has ``limit`` failures in the
window, further attempts are refused without checking the password until the oldest failure
leaves the window (OWASP Authentication Cheat Sheet, "Account lockout"; NIST SP 800-63B §5.2.2).
Unknown login names are throttled like real ones, so the answer tells nothing about existence.
A successful sign-in clears the account's failures (not the address's).

State is per process and not persisted (a restart forgets it). Memory is bounded: at most
``max_keys`` keys; the least recently failed are dropped first. Thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

ACCOUNT_LIMIT = 5        # failures per login name per window
ADDRESS_LIMIT = 20       # failures per client address per window
WINDOW = 600             # seconds


class LoginThrottle:
    """Failure counters. ``clock``: monotonic seconds (tests)."""

    def __init__(self, *, account_limit: int = ACCOUNT_LIMIT, address_limit: int = ADDRESS_LIMIT,
                 window: float = WINDOW, max_keys: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.account_limit = account_limit
        self.address_limit = address_limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, account: str, address: str) -> int:
        """Seconds to wait before another attempt is accepted; 0 = go ahead."""
        with self._lock:
            now = self.clock()
            wait = max(self._wait(_account_key(account), self.account_limit, now),
                       self._wait(_address_key(address), self.address_limit, now))
        return int(wait + 0.999)

    def failure(self, account: str, address: str) -> None:
        """Record a failed attempt for both keys."""
        with self._lock:
            now = self.clock()
            for key in (_account_key(account), _address_key(address)):
                times = [t for t in self._failures.pop(key, []) if t > now - self.window]
                times.append(now)
                self._failures[key] = times
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def success(self, account: str) -> None:
        """Forget the failures of an account name after a successful sign-in."""
        with self._lock:
            self._failures.pop(_account_key(account), None)

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = [t for t in self._failures.get(key, []) if t > now - self.window]
        if len(times) < limit:
            return 0.0
        return times[-limit] + self.window - now


def _account_key(account: str) -> str:
    return "u:" + account.strip().lower()


def _address_key(address: str) -> str:
    return "a:" + address
