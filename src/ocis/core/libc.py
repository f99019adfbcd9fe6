"""C library functions the standard library does not wrap (or wraps with extra round trips)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any


def function(name: str, argtypes: list[Any], restype: Any) -> Any:
    """libc's ``name`` with its C signature (errno kept for ``ctypes.get_errno``), or None where
    there is no such function (not Linux, or a libc without it): callers then take their fallback."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = getattr(ctypes.CDLL(None, use_errno=True), name)
    except (OSError, AttributeError):
        return None
    fn.argtypes = argtypes
    fn.restype = restype
    return fn
