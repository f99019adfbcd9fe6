"""A fix to wsgidav 4.4 (pinned in pyproject), applied by :func:`apply`.

``RequestServer._copy_or_move`` percent-*decodes* the Destination header and only then splits it
with ``urlparse``: a name with ``?`` or ``;`` (sent encoded as ``%3F``/``%3B``) was cut there,
so MOVE or COPY to ``a%3Fb.txt`` created ``a`` — and could overwrite another file. ``dav/app.py``
hands wsgidav a path-only Destination it has already checked; for those, the patched ``urlparse``
returns the whole string as the path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

_applied = False


def _urlparse_path_whole(url: Any, scheme: str = "", allow_fragments: bool = True) -> Any:
    if isinstance(url, str) and url.startswith("/"):
        return ParseResult("", "", url, "", "", "")
    return urlparse(url, scheme, allow_fragments)


def apply() -> None:
    """Install the fix (idempotent)."""
    global _applied
    if _applied:
        return
    from wsgidav import request_server

    request_server.urlparse = _urlparse_path_whole
    _applied = True
