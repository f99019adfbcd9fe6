"""Native ASGI handlers for the methods where throughput matters: GET/HEAD (with Range) and PUT.

PUT streams the body into an aside upload (``Storage.begin_upload``) and commits it atomically, so
an interrupted or rejected upload leaves nothing behind (wsgidav's own PUT creates the file first).
Lock and ``If`` header checks use wsgidav's lock manager, so LOCK/UNLOCK (served by wsgidav) and
PUT agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

import trio
from starlette.types import Receive, Send
from wsgidav import util
from wsgidav.dav_error import DAVError, get_http_status_string

from ocis.core.checksums import parse_checksum_header
from ocis.core.errors import BadRequest, Conflict, NotFound, OcisError
from ocis.core.timeutil import http_date
from ocis.dav import conditions
from ocis.dav.errors import error_body, status_of
from ocis.dav.reads import ReadRunner
from ocis.storage.api import NodeInfo, Storage, Upload

CHUNK = 1024 * 1024
SMALL_PUT = 1024 * 1024  # bodies up to this size are read whole, then stored in one worker-thread call
SMALL_GET = 1024 * 1024  # files up to this size are read whole when opened


@dataclass
class Ctx:
    """One request to a user's space."""

    storage: Storage
    lock_manager: Any
    space_id: str
    path: str
    username: str
    headers: dict[str, str]
    limiter: trio.CapacityLimiter
    user_id: str = ""  # the requesting user (favorites are per user)
    reads: ReadRunner | None = None  # where short reads run (None: worker threads)

    async def run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """``fn`` in a worker thread: anything that writes, or may read a lot."""
        return await trio.to_thread.run_sync(lambda: fn(*args, **kwargs), limiter=self.limiter)

    async def read(self, fn: Any, *args: Any, key: Any = None) -> Any:
        """``fn`` that only reads a little (metadata, a small file): see :mod:`ocis.dav.reads`
        (``key``: what makes it long, if anything - e.g. the folder a listing reads)."""
        if self.reads is None:
            return await self.run(fn, *args)
        return await self.reads(fn, *args, key=key)


async def send_error(send: Send, status: int, message: str, head: bool = False,
                     extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = b"" if head else error_body(status, message)
    headers = [(b"content-type", b"application/xml; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers + (extra or [])})
    await send({"type": "http.response.body", "body": body})


def node_headers(info: NodeInfo) -> list[tuple[bytes, bytes]]:
    etag = f'"{info.etag}"'.encode()
    return [(b"etag", etag), (b"oc-etag", etag), (b"oc-fileid", info.id.encode()),
            (b"last-modified", http_date(info.mtime).encode())]


def _ref_url(space_id: str, path: str) -> str:
    return quote(f"/{space_id}{path}", safe="/!*'(),$-_|.~")


def _parse_range(value: str, size: int) -> tuple[int, int] | str | None:
    """A single ``bytes=a-b`` range as (start, end inclusive); None to ignore the header and answer
    200 (RFC 9110 §14.2: several ranges, other units, invalid or inverted specs); "unsatisfiable"
    for a valid range that misses the content (416)."""
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec or size == 0:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                return "unsatisfiable"
            return max(0, size - n), size - 1
        start = int(first)
        end = int(last) if last else None
    except ValueError:
        return None
    if start < 0 or (end is not None and end < start):
        return None
    if start >= size:
        return "unsatisfiable"
    return start, size - 1 if end is None else min(end, size - 1)


def _open_for_get(ctx: Ctx) -> tuple[NodeInfo, BinaryIO | None, bytes | None]:
    """(info, open handle, None) for a file; (info, None, whole content) for a small one, already
    closed; (info, None, None) for a folder."""
    try:
        info, fh = ctx.storage.open_blob(ctx.space_id, ctx.path)
    except Conflict:
        info = ctx.storage.stat(ctx.space_id, ctx.path)
        if info.is_dir:
            return info, None, None
        raise
    if info.size > SMALL_GET:
        return info, fh, None
    with fh:
        return info, None, fh.read(SMALL_GET + 1)


def _pread(fh: BinaryIO, size: int, offset: int) -> bytes:
    return os.pread(fh.fileno(), size, offset)


async def get(ctx: Ctx, send: Send, head: bool) -> bool:
    """GET/HEAD of a file (RFC 9110 §9.3.1, ranges §14); False (nothing sent) for a folder.

    A file up to ``SMALL_GET`` bytes is read in the same worker-thread call that opens it; larger
    ones are sent in ``CHUNK`` pieces, one ``pread`` call each, the next read while one is sent."""
    info, fh, content = await ctx.read(_open_for_get, ctx)
    if info.is_dir:
        return False
    try:
        precondition = conditions.read_status(info, ctx.headers)
        if precondition == 412:
            await send_error(send, 412, "precondition failed (If-Match / If-Unmodified-Since)", head)
            return True
        if precondition == 304:
            await send({"type": "http.response.start", "status": 304, "headers": node_headers(info)})
            await send({"type": "http.response.body", "body": b""})
            return True
        size = info.size
        status, start, end = 200, 0, size - 1
        headers = [*node_headers(info), (b"content-type", info.mimetype.encode()),
                   (b"accept-ranges", b"bytes"),
                   (b"content-disposition",
                    f"attachment; filename*=UTF-8''{quote(info.name)}; filename=\"{quote(info.name)}\"".encode())]
        if "SHA1" in info.checksums:
            headers.append((b"oc-checksum", f"SHA1:{info.checksums['SHA1']}".encode()))
        rng = ctx.headers.get("range")
        if_range = ctx.headers.get("if-range")
        if rng and (not if_range or if_range.strip() == f'"{info.etag}"'):
            parsed = _parse_range(rng, size)
            if parsed == "unsatisfiable":
                await send_error(send, 416, "range not satisfiable", head,
                                 [(b"content-range", f"bytes */{size}".encode())])
                return True
            if isinstance(parsed, tuple):
                status, (start, end) = 206, parsed
                headers.append((b"content-range", f"bytes {start}-{end}/{size}".encode()))
        length = max(0, end - start + 1)
        headers.append((b"content-length", str(length).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if head or length == 0:
            await send({"type": "http.response.body", "body": b""})
            return True
        if content is not None:
            await send({"type": "http.response.body", "body": content[start:end + 1]})
            return True
        assert fh is not None
        blob = fh
        left = length
        # read-ahead: a reader task preads the next block while this one is being sent
        send_block, receive_block = trio.open_memory_channel[bytes](1)

        async def reader() -> None:
            async with send_block:
                offset, todo = start, length
                while todo > 0:
                    block = await ctx.run(_pread, blob, min(CHUNK, todo), offset)
                    if not block:
                        return
                    offset += len(block)
                    todo -= len(block)
                    await send_block.send(block)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(reader)
            async with receive_block:
                async for chunk in receive_block:
                    left -= len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        if left > 0:  # the blob was shorter than its record says: end the response anyway
            await send({"type": "http.response.body", "body": b""})
    finally:
        if fh is not None:
            await ctx.run(fh.close)
    return True


def _check_locks(ctx: Ctx, existing: NodeInfo | None) -> None:
    """Raise DAVError 423/412 per the lock manager and the ``If`` header (RFC 4918 §10.4)."""
    lm = ctx.lock_manager
    env: dict[str, Any] = {}
    if "if" in ctx.headers:
        env["HTTP_IF"] = ctx.headers["if"]
    util.parse_if_header_dict(env)
    tokens = env["wsgidav.ifLockTokenList"]
    if existing is not None:
        url = _ref_url(ctx.space_id, existing.path)
        if env["wsgidav.conditions.if"] is not None:
            held = [lock["token"] for lock in lm.get_indirect_url_lock_list(url, principal=ctx.username)]

            class _Res:
                @staticmethod
                def support_etag() -> bool:
                    return True

            if not util.test_if_header_dict(_Res, env["wsgidav.conditions.if"], url, held, existing.etag):
                raise DAVError(412, "'If' header condition failed")
        lm.check_write_permission(url=url, depth="0", token_list=tokens, principal=ctx.username)
    else:
        parent = ctx.path.rsplit("/", 1)[0] or "/"
        lm.check_write_permission(url=_ref_url(ctx.space_id, parent), depth="0", token_list=tokens,
                                  principal=ctx.username)


def check_locked(ctx: Ctx, path: str, depth: str = "infinity") -> None:
    """Raise DAVError(423) if ``path`` (and, for depth infinity, anything below it) is locked and
    the request holds no token for that lock (RFC 4918 §7). For operations that replace a node
    outside wsgidav: trash and version restores."""
    env: dict[str, Any] = {}
    if "if" in ctx.headers:
        env["HTTP_IF"] = ctx.headers["if"]
    util.parse_if_header_dict(env)
    ctx.lock_manager.check_write_permission(url=_ref_url(ctx.space_id, path), depth=depth,
                                            token_list=env["wsgidav.ifLockTokenList"], principal=ctx.username)


def _parse_mtime(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        mtime = float(value)
    except ValueError:
        raise BadRequest("X-OC-Mtime must be a unix timestamp") from None
    if not (0 <= mtime < 2**37):
        raise BadRequest("X-OC-Mtime out of range")
    return mtime


async def put(ctx: Ctx, receive: Receive, send: Send) -> None:
    """PUT a file (RFC 9110 §9.3.4, ownCloud: X-OC-Mtime, OC-Checksum, OC-FileId)."""
    h = ctx.headers
    if "oc-chunked" in h:
        from ocis.dav import chunking

        if chunking.is_chunked(h):
            await chunking.put(ctx, receive, send)
            return
    if "content-range" in h:
        raise BadRequest("Content-Range is not allowed on PUT")
    if "content-encoding" in h and h["content-encoding"].strip().lower() != "identity":
        await send_error(send, 501, "Content-Encoding is not supported")
        return
    mtime = _parse_mtime(h.get("x-oc-mtime"))
    checksum = parse_checksum_header(h["oc-checksum"]) if "oc-checksum" in h else None
    length: int | None = None
    if "content-length" in h:
        try:
            length = int(h["content-length"])
        except ValueError:
            raise BadRequest("invalid Content-Length") from None
    # Preconditions (conditions.check_write) are checked once: for a small PUT under the storage
    # lock that also places the file; for a streamed one before the body, then pinned for the commit.
    if length is not None and length <= SMALL_PUT:
        # Small file: read the body first, then check, write and commit in one worker-thread hop.
        body = await _read_body(receive)
        if body is None:
            return  # the client went away: nothing to answer
        info, created = await ctx.run(_put_small, ctx, body, length, mtime, checksum)
    else:
        upload, existing = await ctx.run(_prepare_put, ctx, length)
        if_match, if_none_match = _pinned(h, existing)
        streamed = await _stream_body(ctx, upload, receive, length, mtime, checksum, if_match, if_none_match)
        if streamed is None:
            return
        info, created = streamed
    headers = [*node_headers(info), (b"content-length", b"0"), (b"content-type", b"text/plain")]
    if mtime is not None:
        headers.append((b"x-oc-mtime", b"accepted"))
    await send({"type": "http.response.start", "status": 201 if created else 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


_CONDITIONS = frozenset(("if-match", "if-unmodified-since", "if-none-match"))


def _pinned(headers: dict[str, str], existing: NodeInfo | None) -> tuple[str | None, bool]:
    """(if_match, if_none_match) for ``Upload.commit`` of a streamed PUT whose preconditions held
    for ``existing``: what they held for must still be true when the file is placed (a write that
    lands while the body streams in makes it 412)."""
    if existing is None:
        return None, conditions.etags(headers.get("if-none-match"), weak=True) == conditions.ANY
    if conditions.etags(headers.get("if-match"), weak=False) == conditions.ANY:
        return conditions.ANY, False  # any version will do, as long as there is one
    return (existing.etag if _CONDITIONS.intersection(headers) else None), False


def _prepare_put(ctx: Ctx, length: int | None) -> tuple[Upload, NodeInfo | None]:
    """Checks before a PUT (folder in the way, preconditions, locks), then the upload (quota).
    Returns the upload and the file it replaces (None: a new file)."""
    try:
        existing: NodeInfo | None = ctx.storage.stat(ctx.space_id, ctx.path)
    except NotFound:
        existing = None
    if existing is not None and existing.is_dir:
        raise Conflict("a folder exists at that path")
    conditions.check_write(existing, ctx.headers)
    _check_locks(ctx, existing)
    return ctx.storage.begin_upload(ctx.space_id, ctx.path, length=length), existing


def _put_small(ctx: Ctx, body: bytes, length: int, mtime: float | None,
               checksum: tuple[str, str] | None) -> tuple[NodeInfo, bool]:
    """A whole small PUT in one worker-thread call: ``Storage.write_file`` resolves the path once;
    preconditions and locks are its ``precheck``, run under the lock that places the file."""
    if len(body) != length:
        raise BadRequest(f"expected {length} bytes, received {len(body)}")
    return ctx.storage.write_file(ctx.space_id, ctx.path, body, mtime=mtime, checksum=checksum,
                                  precheck=lambda existing: _precheck(ctx, existing))


def _precheck(ctx: Ctx, existing: NodeInfo | None) -> None:
    conditions.check_write(existing, ctx.headers)
    _check_locks(ctx, existing)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None if the client disconnected."""
    chunks = []
    while True:
        msg = await receive()
        if msg["type"] == "http.disconnect":
            return None
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body", False):
            return b"".join(chunks)


async def _stream_body(ctx: Ctx, upload: Upload, receive: Receive, length: int | None, mtime: float | None,
                       checksum: tuple[str, str] | None, if_match: str | None,
                       if_none_match: bool = False) -> tuple[NodeInfo, bool] | None:
    """Stream a large body into ``upload`` and commit it; None if the client went away.

    Body messages (16-64 KiB each) are gathered into blocks of ``CHUNK`` bytes; a writer task
    hands each block to a worker thread (write + checksums, which release the GIL) while this
    task goes on receiving: receiving and writing overlap, with at most two blocks in flight."""
    committed = False
    gone = False  # the client went away before the end of the body
    send_block, receive_block = trio.open_memory_channel[bytes](1)
    failure: list[Exception] = []

    async def writer(cancel: trio.CancelScope) -> None:
        try:
            async with receive_block:
                async for block in receive_block:
                    await ctx.run(upload.write, block)
        except Exception as exc:  # e.g. InsufficientStorage: raised below, not as an ExceptionGroup
            failure.append(exc)
            cancel.cancel()

    try:
        async with trio.open_nursery() as nursery:
            nursery.start_soon(writer, nursery.cancel_scope)
            async with send_block:
                pending: list[bytes] = []
                size = 0
                while True:
                    msg = await receive()
                    if msg["type"] == "http.disconnect":
                        # Not `return` here: leaving the cancelled nursery raises Cancelled at the
                        # next checkpoint, the nursery swallows it, and execution would go on to
                        # commit a truncated body (seen with chunked uploads cut off mid-way).
                        gone = True
                        nursery.cancel_scope.cancel()
                        break
                    data = msg.get("body", b"")
                    if data:
                        pending.append(data)
                        size += len(data)
                    more = msg.get("more_body", False)
                    if size >= CHUNK or (not more and pending):
                        await send_block.send(pending[0] if len(pending) == 1 else b"".join(pending))
                        pending, size = [], 0
                    if not more:
                        break
        if gone:
            return None  # discarded in finally; nothing to answer
        if failure:
            raise failure[0]
        if length is not None and upload.size != length:
            raise BadRequest(f"expected {length} bytes, received {upload.size}")
        result: tuple[NodeInfo, bool] = await ctx.run(upload.commit, mtime=mtime, checksum=checksum,
                                                      if_match=if_match, if_none_match=if_none_match)
        committed = True
        return result
    finally:
        if not committed:
            with trio.CancelScope(shield=True):
                await ctx.run(upload.abort)


def _exists(ctx: Ctx) -> bool:
    try:
        ctx.storage.stat(ctx.space_id, ctx.path)
    except OcisError:
        return False
    return True


async def mkcol_target_exists(ctx: Ctx) -> bool:
    """True if a MKCOL without body and with Depth 0 names an existing resource (405, RFC 4918
    §9.3.1; wsgidav checks body and depth first). False: let wsgidav handle the MKCOL."""
    h = ctx.headers
    if h.get("content-length", "0").strip() != "0" or "transfer-encoding" in h:
        return False
    if h.get("depth", "0").strip() != "0":
        return False
    return bool(await ctx.read(_exists, ctx))


async def dispatch_error(send: Send, exc: Exception, head: bool = False) -> None:
    """Answer a domain error or a wsgidav DAVError raised by a native handler."""
    if isinstance(exc, OcisError):
        await send_error(send, status_of(exc), exc.message, head)
    elif isinstance(exc, DAVError):
        await send_error(send, exc.value, exc.context_info or get_http_status_string(exc), head)
    else:  # pragma: no cover - programming error
        raise exc

