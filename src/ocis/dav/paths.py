"""Which WebDAV endpoint a request addresses, decoded strictly from the raw request path.

hypercorn's ``scope["path"]`` is already percent-decoded (``%2F`` became ``/``, invalid UTF-8
became U+FFFD), so names are decoded here from ``scope["raw_path"]``, segment by segment.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from ocis.core.errors import BadRequest
from ocis.core.names import validate_name

# (prefix segments, has a user segment) — longest first
_FILES_ENDPOINTS: list[tuple[tuple[str, ...], bool]] = [
    (("remote.php", "dav", "files"), True),
    (("dav", "files"), True),
    (("remote.php", "webdav"), False),
    (("webdav",), False),
]


@dataclass(frozen=True)
class Target:
    """A request path, resolved.

    Attributes:
        kind: ``files`` (a user's space), ``trash`` (a user's trash bin), ``meta`` (a file's
            versions; ``base`` ends with the file id), ``status`` (status.php), or ``other``.
        base: the endpoint prefix as the client wrote it, decoded (``/remote.php/webdav`` or
            ``/remote.php/dav/files/einstein``); hrefs in responses start with it.
        user: the user segment of ``/dav/files/<user>``, or None for ``/webdav``.
        path: the path inside the space, ``/`` for its root.
        segments: raw decoded segments of the whole request path.
    """

    kind: str
    base: str
    user: str | None
    path: str
    segments: tuple[str, ...]


def decode_segments(raw_path: bytes) -> list[str]:
    """Percent-decode each ``/``-separated segment as strict UTF-8.

    Raises:
        BadRequest: invalid UTF-8, or a NUL or ``/`` produced by decoding.
    """
    out = []
    for raw in raw_path.split(b"/"):
        if not raw:
            continue
        data = unquote_to_bytes(raw)
        try:
            seg = data.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the path is not valid UTF-8") from None
        if "/" in seg or "\x00" in seg:
            raise BadRequest("a name must not contain '/' or NUL")
        out.append(seg)
    return out


def resolve(raw_path: bytes) -> Target:
    """Classify a request path. Names inside a space are validated.

    Raises:
        BadRequest: see :func:`decode_segments`, or an invalid name (``..``, over 255 bytes).
    """
    segs = decode_segments(raw_path.split(b"?", 1)[0])
    if segs == ["status.php"]:
        return Target("status", "/status.php", None, "/", tuple(segs))
    for dav_prefix in (("remote.php", "dav"), ("dav",)):
        n = len(dav_prefix)
        if tuple(segs[:n]) != dav_prefix or len(segs) <= n + 1:
            continue
        if segs[n] == "trash-bin":
            # /remote.php/dav/trash-bin/<user>/<key>[/<path inside a deleted folder>]
            base = "/" + "/".join(segs[: n + 2])
            return Target("trash", base, segs[n + 1], "/" + "/".join(segs[n + 2:]), tuple(segs))
        if segs[n] == "meta":
            # /remote.php/dav/meta/<fileid>[/v[/<version key>]]
            base = "/" + "/".join(segs[: n + 2])
            return Target("meta", base, None, "/" + "/".join(segs[n + 2:]), tuple(segs))
    for prefix, has_user in _FILES_ENDPOINTS:
        n = len(prefix)
        if tuple(segs[:n]) != prefix:
            continue
        user = None
        if has_user:
            if len(segs) == n:
                break  # bare /dav/files/
            user = segs[n]
            n += 1
        rest = segs[n:]
        for name in rest:
            validate_name(name)
        base = "/" + "/".join(segs[:n])
        return Target("files", base, user, "/" + "/".join(rest), tuple(segs))
    return Target("other", "", None, "/", tuple(segs))
