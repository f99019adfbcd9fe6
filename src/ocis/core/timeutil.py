"""Time helpers. All times are UTC; timestamps are float seconds since the epoch."""

from __future__ import annotations

import email.utils
import time


def now() -> float:
    """Current time, seconds since the epoch (UTC)."""
    return time.time()


def http_date(ts: float) -> str:
    """RFC 7231 IMF-fixdate, e.g. ``Mon, 02 Jan 2006 15:04:05 GMT`` (what pyocclient parses)."""
    return email.utils.formatdate(ts, usegmt=True)
