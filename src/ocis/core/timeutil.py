"""Time helpers. All times are UTC; timestamps are float seconds since the epoch."""

from __future__ import annotations

import time

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def now() -> float:
    """Current time, seconds since the epoch (UTC)."""
    return time.time()


def http_date(ts: float) -> str:
    """RFC 9110 §5.6.7 IMF-fixdate, e.g. ``Mon, 02 Jan 2006 15:04:05 GMT`` (what pyocclient parses).

    Same text as ``email.utils.formatdate(ts, usegmt=True)`` in a third less time: PROPFIND formats
    one per entry."""
    t = time.gmtime(ts)
    return (f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
            f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT")
