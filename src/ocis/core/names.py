"""Validation of file and folder names and of paths inside a space.

A name is one path segment: non-empty, not ``.`` or ``..``, no ``/``, no control characters (they
cannot appear in the XML of a PROPFIND answer: U+0000-U+001F, U+007F, and the non-characters
U+FFFE/U+FFFF), valid UTF-8, at most 255 bytes in UTF-8 (the limit of ext4 and most other
filesystems). Paths are ``/``-joined names, always
absolute within a space (``/`` is the space root).
"""

from __future__ import annotations

from ocis.core.errors import BadRequest

MAX_NAME_BYTES = 255
_FORBIDDEN_CHARS = frozenset([chr(c) for c in range(0x20)] + ["\x7f", "\ufffe", "\uffff"])


def validate_name(name: str) -> str:
    """Return ``name`` if it is a valid node name.

    Raises:
        BadRequest: empty, ``.``/``..``, contains ``/``, a control character or a lone surrogate,
            or longer than 255 bytes in UTF-8.
    """
    if not name or name in (".", ".."):
        raise BadRequest(f"invalid name {name!r}")
    if "/" in name:
        raise BadRequest("a name must not contain '/'")
    if not _FORBIDDEN_CHARS.isdisjoint(name):
        raise BadRequest("a name must not contain control characters")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("a name must be valid UTF-8") from None
    if len(encoded) > MAX_NAME_BYTES:
        raise BadRequest(f"a name must be at most {MAX_NAME_BYTES} bytes long")
    return name


def split_path(path: str) -> list[str]:
    """Split a space path into validated names; ``/`` and ``""`` give ``[]``.

    Empty segments (``//``) are ignored, as HTTP servers commonly do.

    Raises:
        BadRequest: a segment is not a valid name.
    """
    return [validate_name(seg) for seg in path.split("/") if seg]


def join_path(parts: list[str]) -> str:
    """Inverse of :func:`split_path`: ``[]`` gives ``/``, ``["a", "b"]`` gives ``/a/b``."""
    return "/" + "/".join(parts)


def parent_and_name(path: str) -> tuple[str, str]:
    """Split ``/a/b/c`` into (``/a/b``, ``c``).

    Raises:
        BadRequest: the path is the root (it has no name) or contains an invalid segment.
    """
    parts = split_path(path)
    if not parts:
        raise BadRequest("the space root has no parent")
    return join_path(parts[:-1]), parts[-1]
