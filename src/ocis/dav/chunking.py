"""ownCloud chunked upload v1 ("old chunking", shared/reference/protocol.md §4.12).

A client (desktop without TUS, pyocclient ``put_file``) sends ``PUT <dir>/<name>-chunking-<transfer
id>-<count>-<index>`` with ``OC-Chunked: 1``, one request per chunk, in any order and possibly in
parallel; ``OC-Total-Length`` is the whole file's size, ``X-OC-Mtime``, ``If-Match`` and (usually
on the last chunk) ``OC-Checksum: SHA1:<hex>`` apply to the whole file.

Each chunk streams into the storage's chunk set (``UploadSessions.begin_chunk``), never into the
tree. A chunk that leaves others missing answers ``201`` without ``ETag`` (the desktop client's
"not the final chunk"); the request that completes the set assembles it (streaming, one pass that
also computes the checksums), verifies ``OC-Checksum`` and commits ``<dir>/<name>`` atomically:
``201`` (created) or ``204`` (overwritten) with ``ETag``, ``OC-ETag``, ``OC-FileId``,
``Last-Modified`` and ``X-OC-MTime: accepted``. Sets never completed expire with the upload
sessions (24 h). ``OC-Total-Length`` over the quota answers 507 before any data is read.
"""

from __future__ import annotations

import dataclasses
import re

from starlette.types import Receive, Send

from ocis.core import names
from ocis.core.checksums import parse_checksum_header
from ocis.core.errors import BadRequest, NotFound, PreconditionFailed
from ocis.dav import native
from ocis.storage.api import ChunkWriter, NodeInfo, UploadSessions

CHUNK_NAME = re.compile(r"^(?P<name>.+)-chunking-(?P<transfer>[A-Za-z0-9_]+)-(?P<count>\d{1,6})-(?P<index>\d{1,6})$")
BLOCK = 1024 * 1024  # bytes handed to a worker thread per write


def is_chunked(headers: dict[str, str]) -> bool:
    """True if the request announces a v1 chunk (``OC-Chunked`` set to anything but 0/false)."""
    value = headers.get("oc-chunked")
    return value is not None and value.strip().lower() not in ("", "0", "false")


def parse_chunk_path(path: str) -> tuple[str, str, int, int]:
    """``/dir/name-chunking-<id>-<count>-<index>`` -> (``/dir/name``, transfer id, count, index).

    Raises:
        BadRequest: the last segment is not a chunk name, or the resulting name is invalid.
    """
    parent, segment = names.parent_and_name(path)
    m = CHUNK_NAME.match(segment)
    if m is None:
        raise BadRequest("OC-Chunked is set but the name is not <name>-chunking-<id>-<count>-<index>")
    name = names.validate_name(m["name"])
    return names.join_path([*names.split_path(parent), name]), m["transfer"], int(m["count"]), int(m["index"])


async def put(ctx: native.Ctx, receive: Receive, send: Send) -> None:
    """Store one chunk; assemble and commit the file when it was the last one missing."""
    sessions: UploadSessions = ctx.storage.sessions
    h = ctx.headers
    target, transfer, count, index = parse_chunk_path(ctx.path)
    total = _parse_length(h.get("oc-total-length"), "OC-Total-Length")
    declared = _parse_length(h.get("content-length"), "Content-Length")
    mtime = native._parse_mtime(h.get("x-oc-mtime"))
    checksum = parse_checksum_header(h["oc-checksum"]) if "oc-checksum" in h else None
    if_match = h.get("if-match")
    if if_match is not None:
        if_match = if_match.strip()
        if if_match != "*":
            if_match = if_match.removeprefix("W/").strip('"')

    try:
        existing: NodeInfo | None = await ctx.run(ctx.storage.stat, ctx.space_id, target)
    except NotFound:
        existing = None
    if existing is not None and existing.is_dir:
        await native.send_error(send, 409, "a folder exists at that path")
        return
    if if_match is not None and (existing is None or (if_match != "*" and if_match != existing.etag)):
        raise PreconditionFailed("the file has changed (etag mismatch)" if existing else "the file does not exist")
    native._check_locks(dataclasses.replace(ctx, path=target), existing)

    writer: ChunkWriter = await ctx.run(sessions.begin_chunk, ctx.space_id, ctx.space_id, target, transfer, count,
                                        index, total_length=total, mtime=mtime, checksum=checksum)
    committed = False
    try:
        received = 0
        buf = bytearray()
        while True:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return  # client gone: discard this chunk (finally); the others stay until expiry
            buf += msg.get("body", b"")
            more = msg.get("more_body", False)
            if len(buf) >= BLOCK or (buf and not more):
                data, buf = bytes(buf), bytearray()
                received += len(data)
                await ctx.run(writer.write, data)
            if not more:
                break
        if declared is not None and received != declared:
            raise BadRequest(f"expected {declared} bytes, received {received}")
        await ctx.run(writer.commit)
        committed = True
    finally:
        if not committed:
            writer.abort()  # quick (close + unlink); safe even while cancelled

    result = await ctx.run(sessions.assemble_chunks, ctx.space_id, target, transfer, count, total_length=total,
                           mtime=mtime, checksum=checksum, if_match=if_match)
    if result is None:
        # not the final chunk: success without ETag (oc10 answers 201 too)
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-length", b"0"), (b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b""})
        return
    info, created = result
    headers = [*native.node_headers(info), (b"content-length", b"0"), (b"content-type", b"text/plain")]
    if mtime is not None:
        headers.append((b"x-oc-mtime", b"accepted"))
    await send({"type": "http.response.start", "status": 201 if created else 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


def _parse_length(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 19:
        raise BadRequest(f"{name} must be a non-negative integer")
    return int(value)
