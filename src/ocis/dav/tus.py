"""TUS 1.0.0 resumable uploads (https://tus.io/protocols/resumable-upload) as ownCloud clients use them.

Creation (``POST``) happens on a folder of the files endpoints (``/remote.php/dav/files/<user>/<dir>``,
``/remote.php/webdav/<dir>``); the upload resource is ``<OCIS_URL>/data/<id>`` (``PATCH``, ``HEAD``,
``DELETE``, ``OPTIONS``), reachable only by the user who created it (anyone else: 404). Sessions are
:class:`ocis.storage.api.UploadSessions` (staged on disk, they survive a restart, 24 h expiry).

Extensions: ``creation``, ``creation-with-upload``, ``checksum`` (``Upload-Checksum: sha1|md5
<base64>`` per PATCH body; a mismatch answers 460 and discards that body), ``termination``,
``expiration`` (``Upload-Expires``). ``X-HTTP-Method-Override`` on a POST to ``/data/<id>`` is honoured.

ownCloud specifics (shared/reference/protocol.md §5, reva ``ocdav/tus.go``): ``Upload-Metadata``
``filename`` (required; may be a relative path, each segment validated; missing folders are created
when the upload finishes), ``mtime`` (unix seconds, may be fractional; the ``X-OC-Mtime`` header
works too), ``checksum`` (``"SHA1 <hex>"``, verified over the whole file at the end; ``OC-Checksum``
works too). The request that completes an upload gets ``OC-FileId``, ``OC-ETag``, ``ETag``,
``OC-Perm``, ``Last-Modified`` and ``X-OC-MTime: accepted`` (if an mtime was given), so the desktop
client needs no extra PROPFIND. Every TUS response carries ``Tus-Resumable: 1.0.0``.

Status codes: 201 created, 204 PATCH/DELETE done, 200 HEAD; 400 malformed headers; 404 unknown
upload (or another user's); 409 ``Upload-Offset`` differs from the upload's; 410 expired; 412 missing
or wrong ``Tus-Resumable`` (``Tus-Version`` lists ours), ``filename`` missing, or ``If-Match``
failed; 413 beyond ``Upload-Length`` or ``Tus-Max-Size``; 415 PATCH without
``application/offset+octet-stream``; 423 a concurrent PATCH of the same upload, or a WebDAV lock;
460 checksum mismatch; 507 the quota (or the disk) cannot hold ``Upload-Length``.

Bodies stream to disk through worker threads in blocks of at most :data:`BLOCK` bytes.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

import trio
from starlette.types import Receive, Scope, Send
from wsgidav.dav_error import DAVError, get_http_status_string

from ocis.core import names
from ocis.core.checksums import parse_checksum_header
from ocis.core.errors import (
    BadRequest,
    ChecksumMismatch,
    Conflict,
    NotFound,
    OcisError,
)
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.core.timeutil import http_date, now
from ocis.dav import native
from ocis.dav.errors import status_of
from ocis.storage.api import NodeInfo, Storage, UploadSession, UploadSessions

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,creation-with-upload,checksum,termination,expiration"
TUS_MAX_SIZE = 1 << 40                       # bytes (1 TiB); the quota usually says less
CHECKSUM_ALGORITHMS = {"sha1": "SHA1", "md5": "MD5"}
OFFSET_OCTET_STREAM = "application/offset+octet-stream"
BLOCK = 1024 * 1024                          # bytes handed to a worker thread per write
FILE_PERMISSIONS = "RDNVW"                   # OC-Perm of an uploaded file (as oc:permissions)
STATUS_GONE = 410
STATUS_CHECKSUM_MISMATCH = 460               # tusd's code for the checksum extension
DATA_ALLOW = "OPTIONS, HEAD, PATCH, DELETE, POST"

EXPOSE_HEADERS = ("Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Location, "
                  "Upload-Offset, Upload-Length, Upload-Expires, OC-FileId, OC-ETag, ETag, OC-Perm, X-OC-MTime, "
                  "Last-Modified")

#: Discovery headers (TUS §OPTIONS) that OPTIONS and PROPFIND answers on folders carry; ownCloud
#: Web uploads into a folder with TUS only when its PROPFIND response has them (protocol.md §5.1).
TUS_HEADERS: list[tuple[str, str]] = [
    ("Tus-Resumable", TUS_VERSION),
    ("Tus-Version", TUS_VERSION),
    ("Tus-Extension", TUS_EXTENSIONS),
    ("Tus-Max-Size", str(TUS_MAX_SIZE)),
    ("Tus-Checksum-Algorithm", ",".join(CHECKSUM_ALGORITHMS)),
    ("Access-Control-Expose-Headers", EXPOSE_HEADERS),
]

Headers = list[tuple[bytes, bytes]]


_DISCOVERY: tuple[tuple[bytes, bytes], ...] = tuple((k.lower().encode(), v.encode()) for k, v in TUS_HEADERS)


def discovery_headers() -> Headers:
    """:data:`TUS_HEADERS` as ASGI header pairs (a new list: callers may extend it)."""
    return list(_DISCOVERY)


class _TusStatus(Exception):
    """Answer with this status and message (a TUS-level rule, not a domain error)."""

    def __init__(self, status: int, message: str, headers: Headers | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or []


# --- header parsing --------------------------------------------------------------------------


def parse_metadata(value: str) -> dict[str, str]:
    """``Upload-Metadata`` (TUS §creation): ``key base64,key base64,key`` -> {key: decoded value}.

    Raises:
        BadRequest: an empty or duplicate key, invalid base64, or a value that is not UTF-8.
    """
    out: dict[str, str] = {}
    for pair in value.split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, _, encoded = pair.partition(" ")
        encoded = encoded.strip()
        if not key or " " in encoded or key in out:
            raise BadRequest(f"malformed Upload-Metadata entry {pair[:50]!r}")
        try:
            out[key] = base64.b64decode(encoded, validate=True).decode("utf-8") if encoded else ""
        except (binascii.Error, ValueError):
            raise BadRequest(f"Upload-Metadata {key!r} is not base64 of UTF-8 text") from None
    return out


def _parse_int(headers: dict[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 19:
        raise BadRequest(f"{name} must be a non-negative integer")
    return int(value)


def _file_checksum(meta: dict[str, str], headers: dict[str, str]) -> tuple[str, str] | None:
    """The whole-file checksum: metadata ``checksum`` (``"SHA1 <hex>"``) or ``OC-Checksum``."""
    value = meta.get("checksum") or headers.get("oc-checksum")
    if not value:
        return None
    value = value.strip()
    if ":" not in value:
        value = value.replace(" ", ":", 1)
    return parse_checksum_header(value)


def _piece_checksum(headers: dict[str, str]) -> tuple[str, str] | None:
    """``Upload-Checksum: <algorithm> <base64>`` (TUS §checksum) -> (``SHA1``/``MD5``, hex)."""
    value = headers.get("upload-checksum")
    if value is None:
        return None
    algo, _, encoded = value.strip().partition(" ")
    if algo.lower() not in CHECKSUM_ALGORITHMS:
        raise BadRequest(f"unsupported checksum algorithm {algo!r} (supported: sha1, md5)")
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Upload-Checksum: the digest must be base64") from None
    return CHECKSUM_ALGORITHMS[algo.lower()], digest.hex()


def _content_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


# --- responses -------------------------------------------------------------------------------


def _base_headers() -> Headers:
    return [(b"tus-resumable", TUS_VERSION.encode()), (b"access-control-expose-headers", EXPOSE_HEADERS.encode())]


async def _send(send: Send, status: int, headers: Headers, body: bytes = b"", *, head: bool = False) -> None:
    hdrs = [*_base_headers(), *headers]
    if body:
        hdrs.append((b"content-type", b"text/plain; charset=utf-8"))
    hdrs.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": b"" if head else body})


async def _error(send: Send, status: int, message: str, headers: Headers | None = None, *, head: bool = False) -> None:
    extra = list(headers or [])
    if status == 412:
        extra.append((b"tus-version", TUS_VERSION.encode()))
    await _send(send, status, extra, f"{message}\n".encode(), head=head)


def _status_for(exc: OcisError) -> int:
    return STATUS_CHECKSUM_MISMATCH if isinstance(exc, ChecksumMismatch) else status_of(exc)


def _finished_headers(info: NodeInfo, session: UploadSession) -> Headers:
    headers = [*native.node_headers(info), (b"oc-perm", FILE_PERMISSIONS.encode())]
    if session.mtime is not None:
        headers.append((b"x-oc-mtime", b"accepted"))
    return headers


def _progress_headers(session: UploadSession) -> Headers:
    headers = [(b"upload-offset", str(session.offset).encode())]
    if not session.finished:
        headers.append((b"upload-expires", http_date(session.expires).encode()))
    return headers


# --- the handler -----------------------------------------------------------------------------


class TusHandler:
    """TUS creation on files collections and the ``/data/<id>`` upload resources.

    Args:
        storage: the storage; its ``sessions`` attribute (:class:`UploadSessions`) holds the uploads.
        public_url: ``OCIS_URL``; ``Location`` is ``<public_url>/data/<id>`` (absolute: the desktop
            client cannot PATCH a relative URL).
        lock_manager: wsgidav's lock manager (a TUS upload honours WebDAV locks like a PUT).
        limiter: worker-thread limiter shared with the other DAV handlers.
    """

    def __init__(self, storage: Storage, public_url: str, lock_manager: Any, limiter: trio.CapacityLimiter) -> None:
        self.storage = storage
        self.sessions: UploadSessions = storage.sessions
        self.public_url = public_url.rstrip("/")
        self.lock_manager = lock_manager
        self.limiter = limiter

    async def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        return await trio.to_thread.run_sync(lambda: fn(*args, **kwargs), limiter=self.limiter)

    def location(self, session_id: str) -> str:
        return f"{self.public_url}/data/{session_id}"

    # --- creation (POST on a collection) -------------------------------------------------------

    async def create(self, ctx: native.Ctx, user_id: str, receive: Receive, send: Send) -> None:
        """TUS §creation and §creation-with-upload on the folder ``ctx.path``."""
        try:
            await self._create(ctx, user_id, receive, send)
        except _TusStatus as exc:
            await _error(send, exc.status, exc.message, exc.headers)
        except OcisError as exc:
            await _error(send, _status_for(exc), exc.message)
        except DAVError as exc:  # WebDAV locks (423) and If headers (412)
            await _error(send, exc.value, exc.context_info or get_http_status_string(exc))

    async def _create(self, ctx: native.Ctx, user_id: str, receive: Receive, send: Send) -> None:
        h = ctx.headers
        sessions = self.sessions
        if h.get("tus-resumable", "").strip() != TUS_VERSION:
            raise _TusStatus(412, f"Tus-Resumable: {TUS_VERSION} is required")
        length = _parse_int(h, "upload-length")
        if length is None:
            if "upload-defer-length" in h:
                raise BadRequest("Upload-Defer-Length is not supported")
            raise BadRequest("Upload-Length is required")
        if length > TUS_MAX_SIZE:
            raise _TusStatus(413, f"Upload-Length exceeds Tus-Max-Size ({TUS_MAX_SIZE} bytes)")
        meta = parse_metadata(h.get("upload-metadata", ""))
        rel = names.split_path(meta.get("filename", ""))  # each segment validated (BadRequest)
        if not rel:
            raise _TusStatus(412, "Upload-Metadata must contain a filename")
        mtime = native._parse_mtime(meta.get("mtime") or h.get("x-oc-mtime"))
        checksum = _file_checksum(meta, h)
        piece_checksum = _piece_checksum(h)
        if_match = h.get("if-match")
        if if_match is not None:
            if_match = if_match.strip()
            if if_match != "*":
                if_match = if_match.removeprefix("W/").strip('"')
        ctype = _content_type(h)
        declared = _parse_int(h, "content-length")
        with_body = ctype == OFFSET_OCTET_STREAM
        if not with_body and (declared or "transfer-encoding" in h):
            raise _TusStatus(415, f"a creation request with data needs Content-Type: {OFFSET_OCTET_STREAM}")
        if with_body and declared is not None and declared > length:
            raise _TusStatus(413, f"the body ({declared} bytes) exceeds Upload-Length ({length} bytes)")

        folder: NodeInfo = await ctx.run(ctx.storage.stat, ctx.space_id, ctx.path)
        if not folder.is_dir:
            raise Conflict("uploads are created on a folder")
        path = names.join_path(names.split_path(ctx.path) + rel)
        try:
            existing: NodeInfo | None = await ctx.run(ctx.storage.stat, ctx.space_id, path)
        except (NotFound, Conflict):
            existing = None
        native._check_locks(dataclasses.replace(ctx, path=path), existing)

        session: UploadSession = await ctx.run(sessions.create, ctx.space_id, path, length, user_id, mtime=mtime,
                                               checksum=checksum, if_match=if_match)
        location = [(b"location", self.location(session.id).encode())]
        if with_body and not session.finished:
            try:
                received = await self._receive(sessions, session, 0, piece_checksum, receive)
            except _TusStatus as exc:
                raise _TusStatus(exc.status, exc.message, location) from None
            if received is None:
                return  # client gone: the session stays, resumable via HEAD on Location
            session = received
        headers = location + _progress_headers(session)
        if session.offset == session.length:
            info, session = await self._complete(sessions, session)
            headers = location + _progress_headers(session) + _finished_headers(info, session)
        await _send(send, 201, headers)

    # --- streaming a body ----------------------------------------------------------------------

    async def _receive(self, sessions: UploadSessions, session: UploadSession, offset: int,
                       checksum: tuple[str, str] | None, receive: Receive) -> UploadSession | None:
        """Append the request body at ``offset``. Returns the session, or None if the client left.

        Raises _TusStatus (413 beyond the length, 460 checksum mismatch), OcisError.
        """
        run = self._run
        writer = await run(sessions.open_writer, session.id, offset, checksum=checksum)
        done = False
        keep = True
        try:
            buf = bytearray()
            while True:
                msg = await receive()
                if msg["type"] == "http.disconnect":
                    if buf and checksum is None:  # a piece with a checksum is all or nothing
                        await run(writer.write, bytes(buf))
                    return None  # keep what arrived: the client resumes from HEAD's offset
                buf += msg.get("body", b"")
                more = msg.get("more_body", False)
                if writer.offset + len(buf) > session.length:
                    keep = False
                    raise _TusStatus(413, f"the data goes beyond Upload-Length ({session.length} bytes)")
                if len(buf) >= BLOCK or (buf and not more):
                    data, buf = bytes(buf), bytearray()
                    await run(writer.write, data)
                if not more:
                    break
            try:
                result: UploadSession = await run(writer.close)
            except ChecksumMismatch as exc:
                raise _TusStatus(STATUS_CHECKSUM_MISMATCH, exc.message) from None
            done = True
            return result
        finally:
            if not done:
                writer.abort(keep=keep)  # quick (truncate, unlock); safe even while cancelled

    async def _complete(self, sessions: UploadSessions, session: UploadSession) -> tuple[NodeInfo, UploadSession]:
        info, _ = await self._run(sessions.finish, session.id)
        return info, dataclasses.replace(session, offset=session.length, finished=True, node=info)

    # --- the upload resource (/data/<id>) ------------------------------------------------------

    async def data(self, scope: Scope, receive: Receive, send: Send, segments: tuple[str, ...]) -> None:
        """``/data/<id>``: OPTIONS, HEAD, PATCH, DELETE (POST + ``X-HTTP-Method-Override``)."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        method = scope["method"].upper()
        if method == "POST" and headers.get("x-http-method-override"):
            method = headers["x-http-method-override"].strip().upper()
        head = method == "HEAD"
        if method == "OPTIONS":
            await _send(send, 204, [*discovery_headers()[1:], (b"allow", DATA_ALLOW.encode())])
            return
        principal: Principal | None = scope.get(SCOPE_KEY)
        if principal is None:
            await _error(send, 401, "no valid credentials", head=head)
            return
        sessions = self.sessions
        if len(segments) != 2:
            await _error(send, 404, "no such upload", head=head)
            return
        if method not in ("HEAD", "PATCH", "DELETE"):
            await _error(send, 405, f"{method} is not allowed here", [(b"allow", DATA_ALLOW.encode())], head=head)
            return
        try:
            if headers.get("tus-resumable", "").strip() != TUS_VERSION:
                raise _TusStatus(412, f"Tus-Resumable: {TUS_VERSION} is required")
            session = await self._session(sessions, segments[1], principal)
            if method == "HEAD":
                await self._head(sessions, session, send)
            elif method == "DELETE":
                await self._run(sessions.terminate, session.id)
                await _send(send, 204, [])
            else:
                await self._patch(sessions, session, headers, receive, send)
        except _TusStatus as exc:
            await _error(send, exc.status, exc.message, exc.headers, head=head)
        except OcisError as exc:
            await _error(send, _status_for(exc), exc.message, head=head)

    async def _session(self, sessions: UploadSessions, session_id: str, principal: Principal) -> UploadSession:
        session: UploadSession = await self._run(sessions.get, session_id)
        if session.user_id != principal.id:
            raise NotFound("no such upload")  # do not tell others it exists
        if not session.finished and session.expires <= now():
            await self._run(sessions.terminate, session.id)
            raise _TusStatus(STATUS_GONE, "the upload has expired")
        return session

    async def _head(self, sessions: UploadSessions, session: UploadSession, send: Send) -> None:
        headers: Headers = [(b"upload-length", str(session.length).encode()), (b"cache-control", b"no-store")]
        if session.offset == session.length and not session.finished:
            # all data arrived but the commit did not happen (crash, lost response): do it now,
            # since a client seeing the full offset will not PATCH again
            info, session = await self._complete(sessions, session)
            headers += _finished_headers(info, session)
        elif session.finished and session.node is not None:
            headers += _finished_headers(session.node, session)
        await _send(send, 200, headers + _progress_headers(session), head=True)

    async def _patch(self, sessions: UploadSessions, session: UploadSession, h: dict[str, str],
                     receive: Receive, send: Send) -> None:
        if _content_type(h) != OFFSET_OCTET_STREAM:
            raise _TusStatus(415, f"PATCH needs Content-Type: {OFFSET_OCTET_STREAM}")
        offset = _parse_int(h, "upload-offset")
        if offset is None:
            raise BadRequest("Upload-Offset is required")
        declared = _parse_int(h, "content-length")
        checksum = _piece_checksum(h)
        if offset != session.offset:
            raise _TusStatus(409, f"the upload is at offset {session.offset}, not {offset}",
                             [(b"upload-offset", str(session.offset).encode())])
        if declared is not None and offset + declared > session.length:
            raise _TusStatus(413, f"the data goes beyond Upload-Length ({session.length} bytes)")
        if session.finished:
            if declared:
                raise _TusStatus(413, "the upload is complete")
            if session.node is None:
                raise NotFound("the uploaded file no longer exists")
            await _send(send, 204, _progress_headers(session) + _finished_headers(session.node, session))
            return
        received = await self._receive(sessions, session, offset, checksum, receive)
        if received is None:
            return
        session = received
        headers = _progress_headers(session)
        if session.offset == session.length:
            info, session = await self._complete(sessions, session)
            headers = _progress_headers(session) + _finished_headers(info, session)
        await _send(send, 204, headers)

