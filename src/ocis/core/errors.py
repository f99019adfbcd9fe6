"""Domain errors raised by services; each front end maps them to its protocol in one table.

Storage and services raise only these. ``dav/errors.py`` maps them to HTTP status + ``<d:error>``,
``ocs/envelope.py`` to OCS status codes.
"""

from __future__ import annotations


class OcisError(Exception):
    """Base of all domain errors. ``message`` is safe to show to the client."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message or self.__class__.__doc__ or self.__class__.__name__


class NotFound(OcisError):
    """The resource does not exist (or is not visible to the caller)."""


class AlreadyExists(OcisError):
    """A resource with that name already exists."""


class PermissionDenied(OcisError):
    """The caller may not do this."""


class Conflict(OcisError):
    """The operation conflicts with the state of the tree (e.g. a missing parent)."""


class PreconditionFailed(OcisError):
    """A condition given by the client (If-Match, Overwrite: F, ...) does not hold."""


class Locked(OcisError):
    """The resource is locked."""


class InsufficientStorage(OcisError):
    """The quota or the disk is exhausted."""


class ChecksumMismatch(OcisError):
    """The content does not match the checksum the client sent."""


class BadRequest(OcisError):
    """The request is malformed (bad name, bad header value, ...)."""


class Unauthenticated(OcisError):
    """No valid credentials were presented."""
