"""Mapping of domain errors to WebDAV: status codes and Sabre-style ``<d:error>`` bodies."""

from __future__ import annotations

from xml.sax.saxutils import escape

from wsgidav.dav_error import DAVError

from ocis.core import errors

STATUS: dict[type[errors.OcisError], int] = {
    errors.BadRequest: 400,
    errors.ChecksumMismatch: 400,
    errors.Unauthenticated: 401,
    errors.PermissionDenied: 403,
    errors.NotFound: 404,
    errors.AlreadyExists: 405,
    errors.Conflict: 409,
    errors.PreconditionFailed: 412,
    errors.Locked: 423,
    errors.InsufficientStorage: 507,
}

# The exception class names ownCloud's Sabre server reports, which some clients display.
_SABRE = {
    400: "BadRequest", 401: "NotAuthenticated", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 409: "Conflict", 412: "PreconditionFailed", 415: "UnsupportedMediaType",
    416: "RequestedRangeNotSatisfiable", 423: "Locked", 501: "NotImplemented",
    507: "InsufficientStorage",
}


def status_of(exc: errors.OcisError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def to_dav_error(exc: errors.OcisError) -> DAVError:
    """Convert a domain error for code running inside wsgidav."""
    return DAVError(status_of(exc), exc.message)


def error_body(status: int, message: str) -> bytes:
    """``<d:error>`` body as ownCloud 10 (Sabre) sends it."""
    exception = "Sabre\\DAV\\Exception\\" + _SABRE.get(status, "ServiceUnavailable")
    if isinstance(message, bytes):  # pragma: no cover - defensive
        message = message.decode("utf-8", "replace")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns">'
        f"<s:exception>{escape(exception)}</s:exception><s:message>{escape(message)}</s:message>"
        "</d:error>"
    ).encode()
