"""HTTP preconditions for GET/HEAD and PUT (RFC 9110 §13): If-Match, If-None-Match,
If-Modified-Since, If-Unmodified-Since, evaluated in the order of §13.2.2.

Entity tags compare weakly where the RFC says so; dates compare at the one-second resolution of
``Last-Modified``; an unparsable date is ignored (§13.1.3, §13.1.4).
"""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime

from ocis.core.errors import PreconditionFailed
from ocis.storage.api import NodeInfo

_ETAG = re.compile(r'(?:W/)?"([^"]*)"')
ANY = "*"


def etags(value: str | None) -> list[str] | str | None:
    """The entity tags of an If-Match / If-None-Match value, unquoted and without ``W/``; ``"*"``
    for any; None when the header is absent. A bare unquoted value (sent by some clients) counts as
    one tag."""
    if value is None:
        return None
    value = value.strip()
    if value == ANY:
        return ANY
    found = _ETAG.findall(value)
    return found if found else [value.removeprefix("W/")]


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
    if_match = etags(headers.get("if-match"))
    if if_match is not None:
        if not _matches(if_match, info):
            return 412
    else:
        since = _date(headers.get("if-unmodified-since"))
        if since is not None and int(info.mtime) > since:
            return 412
    if_none_match = etags(headers.get("if-none-match"))
    if if_none_match is not None:
        return 304 if _matches(if_none_match, info) else None
    since = _date(headers.get("if-modified-since"))
    if since is not None and int(info.mtime) <= since:
        return 304
    return None


def check_write(existing: NodeInfo | None, headers: dict[str, str]) -> None:
    """For PUT: raise PreconditionFailed (412) unless the preconditions hold for ``existing`` (None:
    the file does not exist yet). RFC 9110 §13.2.2 steps 1-3."""
    if_match = etags(headers.get("if-match"))
    if if_match is not None:
        if not _matches(if_match, existing):
            raise PreconditionFailed("the file has changed (If-Match)" if existing else "the file does not exist")
    elif existing is not None:
        since = _date(headers.get("if-unmodified-since"))
        if since is not None and int(existing.mtime) > since:
            raise PreconditionFailed("the file was modified since (If-Unmodified-Since)")
    if_none_match = etags(headers.get("if-none-match"))
    if if_none_match is not None and _matches(if_none_match, existing):
        raise PreconditionFailed("the file exists (If-None-Match)" if if_none_match == ANY
                                 else "the file has not changed (If-None-Match)")
