"""HTTP preconditions for GET/HEAD and PUT (RFC 9110 §13): If-Match, If-None-Match,
If-Modified-Since, If-Unmodified-Since, evaluated in the order of §13.2.2.

If-Match compares entity tags strongly (a ``W/`` tag never matches), If-None-Match weakly
(§13.1.1, §13.1.2, §8.8.3.2); dates compare at the one-second resolution of ``Last-Modified``; an
unparsable date is ignored (§13.1.3, §13.1.4).
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from ocis.core.errors import PreconditionFailed
from ocis.storage.api import NodeInfo

_ETAG = re.compile(r'(W/)?"([^"]*)"')
ANY = "*"


def etags(value: str | None, *, weak: bool) -> list[str] | str | None:
    """The entity tags of an If-Match (``weak=False``) or If-None-Match (``weak=True``) value,
    unquoted; ``"*"`` for any; None when the header is absent. With strong comparison weak tags are
    left out (they match nothing). A bare unquoted value (sent by some clients) counts as one tag."""
    if value is None:
        return None
    value = value.strip()
    if value == ANY:
        return ANY
    found = _ETAG.findall(value)
    if not found:
        return [value.removeprefix("W/")] if weak or not value.startswith("W/") else []
    return [tag for is_weak, tag in found if weak or not is_weak]


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _matches(tags: list[str] | str, info: NodeInfo | None) -> bool:
    if info is None:
        return False
    return tags == ANY or info.etag in tags


def read_status(info: NodeInfo, headers: dict[str, str]) -> int | None:
    """For GET/HEAD of an existing file: 412, 304, or None to answer normally (RFC 9110 §13.2.2)."""
    if_match = etags(headers.get("if-match"), weak=False)
    if if_match is not None:
        if not _matches(if_match, info):
            return 412
    else:
        since = _date(headers.get("if-unmodified-since"))
        if since is not None and int(info.mtime) > since:
            return 412
    if_none_match = etags(headers.get("if-none-match"), weak=True)
    if if_none_match is not None:
        return 304 if _matches(if_none_match, info) else None
    since = _date(headers.get("if-modified-since"))
    if since is not None and int(info.mtime) <= since:
        return 304
    return None


def check_write(existing: NodeInfo | None, headers: dict[str, str]) -> None:
    """For PUT: raise PreconditionFailed (412) unless the preconditions hold for ``existing`` (None:
    the file does not exist yet). RFC 9110 §13.2.2 steps 1-3."""
    if_match = etags(headers.get("if-match"), weak=False)
    if if_match is not None:
        if not _matches(if_match, existing):
            raise PreconditionFailed("the file has changed (If-Match)" if existing else "the file does not exist")
    elif existing is not None:
        since = _date(headers.get("if-unmodified-since"))
        if since is not None and int(existing.mtime) > since:
            raise PreconditionFailed("the file was modified since (If-Unmodified-Since)")
    if_none_match = etags(headers.get("if-none-match"), weak=True)
    if if_none_match is not None and _matches(if_none_match, existing):
        raise PreconditionFailed("the file exists (If-None-Match)" if if_none_match == ANY
                                 else "the file has not changed (If-None-Match)")
