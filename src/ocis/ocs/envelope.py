"""The OCS envelope (v1/v2, XML/JSON), as ownCloud 10 writes it.

Source: shared/reference/protocol.md section 3.1. Callers always use the v1 success code 100;
:func:`render` turns it into meta statuscode 200 on v2. HTTP status: v1 is always 200 (except what
the caller forces, e.g. the proxy's 401), v2 maps OCS codes (:func:`http_status`).

JSON: ``{"ocs": {"meta": {"status", "statuscode", "message", "totalitems", "itemsperpage"},
"data": ...}}`` in exactly that key order (the desktop client finds the code with a regex that
wants a comma right after the ``statuscode`` number). Empty data is ``[]`` (oc10 style).

XML: ``<ocs><meta>...</meta><data>...</data></ocs>``; list items become ``<element>``, booleans
``1``/``0``, ``None`` an empty element.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from xml.sax.saxutils import escape

from ocis.core.errors import (
    AlreadyExists,
    BadRequest,
    Conflict,
    NotFound,
    OcisError,
    PermissionDenied,
    PreconditionFailed,
    Unauthenticated,
)

OK = 100
SERVER_ERROR = 996
UNAUTHORISED = 997
NOT_FOUND = 998
UNKNOWN_ERROR = 999

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=UTF-8"

_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def http_status(version: int, statuscode: int) -> int:
    """HTTP status for an OCS status code: v1 always 200; v2 per the oc10/reva table."""
    if version == 1:
        return 200
    if statuscode in (OK, 200):
        return 200
    if statuscode == UNAUTHORISED:
        return 401
    if statuscode == NOT_FOUND:
        return 404
    if statuscode in (SERVER_ERROR, UNKNOWN_ERROR):
        return 500
    if 200 < statuscode < 600:
        return statuscode
    return 400


def meta_statuscode(version: int, statuscode: int) -> int:
    """The code written into ``meta``: v2 reports success as 200 instead of 100."""
    return 200 if version == 2 and statuscode == OK else statuscode


def render(version: int, fmt: str, statuscode: int = OK, message: str = "OK", data: object = None,
           *, totalitems: str = "", itemsperpage: str = "") -> tuple[bytes, str]:
    """Serialise an envelope.

    Args:
        version: 1 or 2 (``/ocs/v1.php`` or ``/ocs/v2.php``).
        fmt: ``"json"`` or ``"xml"``.
        statuscode: OCS code in v1 terms (100 = ok).
        message: human-readable text.
        data: JSON-like payload (dict, list, str, int, float, bool, None).

    Returns:
        (body, content type).
    """
    code = meta_statuscode(version, statuscode)
    status = "ok" if statuscode in (OK, 200) else "failure"
    meta = {"status": status, "statuscode": code, "message": message,
            "totalitems": totalitems, "itemsperpage": itemsperpage}
    if fmt == "json":
        payload = {"ocs": {"meta": meta, "data": data if data not in (None, {}, []) else []}}
        return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"), JSON_TYPE
    parts = ['<?xml version="1.0"?>\n<ocs>', _xml_value("meta", meta)]
    parts.append(_xml_value("data", data) if data not in (None, {}, []) else "<data/>")
    parts.append("</ocs>\n")
    return "".join(parts).encode("utf-8"), XML_TYPE


def _xml_value(name: str, value: object) -> str:
    tag = name if _XML_NAME.match(name) else "element"
    if value is None:
        return f"<{tag}/>"
    if isinstance(value, bool):
        return f"<{tag}>{1 if value else 0}</{tag}>"
    if isinstance(value, Mapping):
        inner = "".join(_xml_value(str(k), v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>" if inner else f"<{tag}/>"
    if isinstance(value, list | tuple):
        inner = "".join(_xml_value("element", v) for v in value)
        return f"<{tag}>{inner}</{tag}>" if inner else f"<{tag}/>"
    return f"<{tag}>{escape(str(value))}</{tag}>"


# Domain errors -> (OCS status code, default message). The first matching class wins.
ERROR_CODES: tuple[tuple[type[OcisError], int], ...] = (
    (Unauthenticated, UNAUTHORISED),
    (NotFound, NOT_FOUND),
    (PermissionDenied, 403),
    (AlreadyExists, 102),
    (BadRequest, 400),
    (Conflict, 400),
    (PreconditionFailed, 400),
)


def error_code(exc: OcisError) -> int:
    """OCS status code for a domain error (996 for anything unmapped)."""
    for cls, code in ERROR_CODES:
        if isinstance(exc, cls):
            return code
    return SERVER_ERROR


def parse_ocs_path(path: str) -> tuple[int, str] | None:
    """``/ocs/v2.php/cloud/user/`` -> ``(2, "cloud/user")``; None when not an OCS path."""
    m = re.match(r"^/ocs/v([12])\.php(?:/(.*))?$", path)
    if m is None:
        return None
    return int(m.group(1)), (m.group(2) or "").strip("/")


def wants_json(query_string: bytes) -> bool:
    """True when the query asks for ``format=json`` (reva only looks at the query string)."""
    from urllib.parse import parse_qs

    values = parse_qs(query_string.decode("latin-1")).get("format", [])
    return bool(values) and values[-1].lower() == "json"
