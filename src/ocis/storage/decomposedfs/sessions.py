"""Resumable upload sessions (TUS 1.0.0) and ownCloud chunk sets (chunking v1), staged in ``uploads/``.

Layout under ``<storage>/uploads/`` (beside plain uploads, which are dot-less temp files that
``DecomposedFS._sweep_uploads`` deletes at startup; every name here has a dot or is a folder, so
that sweep leaves them alone)::

    <id>.info                     session metadata, JSON, written atomically (temp + rename)
    <id>.bin                      the bytes received so far; its size *is* the offset
    chunking-<key>/               one ownCloud v1 chunk set (key: hash of space, path, transfer id, count)
        set.json                  {space_id, user_id, path, transfer_id, count, created}
        mtime, checksum           X-OC-Mtime / OC-Checksum of the chunk requests that carried them
        <index>                   a received chunk; ``<index>.<rand>.part`` while it streams
    chunking-<key>.assembling-<r> a set being concatenated (claimed by one request with a rename)

Nothing lives only in memory, so sessions survive a restart. The ``.info`` file is written once at
creation (before the ``.bin``) and again when finished (``finished``, ``node_id``; the ``.bin`` is
then the file's blob). A writer holds ``flock`` on the ``.bin`` (exclusive, non-blocking), so two
PATCHes of one session, in one process or several, cannot interleave; the loser gets ``Locked``.

Expiry: a session or chunk set older than its ``expires`` (default creation + 24 h) is removed by
:meth:`Sessions.expire`, which runs at startup and lazily (at most every 10 minutes) when sessions
are created. It also removes what a crash left half-made (a ``.bin`` without ``.info``, an
unfinished ``.info`` whose ``.bin`` is gone, temp files).

Finishing a TUS session creates missing intermediate folders of its path (a desktop client sends
``filename`` = a path relative to the collection it POSTs to, and ownCloud Web uploads folders the
same way), then commits with :func:`~ocis.storage.decomposedfs.upload.commit_content`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO

from ocis.core import names
from ocis.core.checksums import Hasher
from ocis.core.errors import (
    AlreadyExists,
    BadRequest,
    ChecksumMismatch,
    Conflict,
    InsufficientStorage,
    Locked,
    NotFound,
    OcisError,
    PreconditionFailed,
)
from ocis.core.timeutil import now
from ocis.storage.api import NodeInfo, Quota, UploadSession
from ocis.storage.decomposedfs.node import etag_of, to_info
from ocis.storage.decomposedfs.tree import Tree, check_id
from ocis.storage.decomposedfs.upload import commit_content
from ocis.storage.decomposedfs.writeback import Writeback, datasync

DEFAULT_TTL = 24 * 3600.0         # seconds a session or chunk set may stay unfinished
SWEEP_INTERVAL = 600.0            # seconds between lazy expiry sweeps
MAX_CHUNKS = 100_000              # chunk count limit of one v1 upload
ORPHAN_GRACE = 60.0               # seconds before half-made staging files count as orphans
BLOCK = 1024 * 1024               # bytes per read when hashing or concatenating

_SESSION_ID = re.compile(r"^[0-9a-f]{32}$")
_TRANSFER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PIECE_HASHES = {"SHA1": "sha1", "MD5": "md5"}

QuotaOf = Callable[[str], Quota]
MakeDir = Callable[..., NodeInfo]


def _write_json(path: Path, doc: dict[str, Any], fsync: bool) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(doc, fh)
        fh.flush()
        if fsync:
            os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a JSON object")
    return doc


def _disk_error(exc: OSError) -> OcisError | OSError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return InsufficientStorage("the disk is full")
    return exc


class _Writer:
    """:class:`ocis.storage.api.SessionWriter` over an open, locked ``.bin``."""

    def __init__(self, sessions: Sessions, session: UploadSession, fh: BinaryIO,
                 checksum: tuple[str, str] | None) -> None:
        self._sessions = sessions
        self._session = session
        self._fh = fh
        self._start = session.offset
        self._offset = session.offset
        self._checksum = checksum
        self._hash = hashlib.new(_PIECE_HASHES[checksum[0]], usedforsecurity=False) if checksum else None
        self._fsync = sessions.tree.fsync
        self._writeback = Writeback(fh.fileno(), session.offset, enabled=self._fsync)  # close() syncs: start early
        self._closed = False

    @property
    def offset(self) -> int:
        return self._offset

    def write(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("writer closed")
        if self._offset + len(data) > self._session.length:
            raise BadRequest(f"the data goes beyond the upload length of {self._session.length} bytes")
        try:
            self._fh.write(data)
            self._writeback.wrote(len(data))
        except OSError as exc:
            raise _disk_error(exc) from None
        if self._hash is not None:
            self._hash.update(data)
        self._offset += len(data)

    def close(self) -> UploadSession:
        if self._closed:
            raise ValueError("writer closed")
        if self._checksum is not None and self._hash is not None:
            got = self._hash.hexdigest()
            if got != self._checksum[1]:
                self.abort(keep=False)
                raise ChecksumMismatch(f"the {self._checksum[0]} of the piece is {got}, "
                                       f"the client sent {self._checksum[1]}")
        try:
            self._fh.flush()
            if self._fsync:
                datasync(self._fh.fileno())
        except OSError as exc:
            self.abort(keep=False)
            raise _disk_error(exc) from None
        self._release()
        return self._sessions.get(self._session.id)

    def abort(self, *, keep: bool = True) -> None:
        if self._closed:
            return
        try:
            self._fh.flush()
            if not keep or self._checksum is not None:
                self._fh.truncate(self._start)
        except OSError:
            pass
        self._release()

    def _release(self) -> None:
        self._closed = True
        with contextlib.suppress(OSError):
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        self._fh.close()


class _Chunk:
    """:class:`ocis.storage.api.ChunkWriter`: one v1 chunk streaming into ``<index>.<rand>.part``."""

    def __init__(self, folder: Path, index: int, budget: int | None, fsync: bool) -> None:
        self._final = folder / str(index)
        self._tmp = folder / f"{index}.{uuid.uuid4().hex[:8]}.part"
        self._fh = open(self._tmp, "xb")  # noqa: SIM115 - closed in commit/abort
        self._fsync = fsync
        self._writeback = Writeback(self._fh.fileno(), enabled=fsync)  # commit() syncs: start early
        self._budget = budget  # bytes this chunk may still take (quota), None = unlimited
        self._size = 0
        self._done = False

    def write(self, data: bytes) -> None:
        if self._done:
            raise ValueError("chunk already finished")
        if self._budget is not None and self._size + len(data) > self._budget:
            self.abort()
            raise InsufficientStorage("quota exceeded")
        try:
            self._fh.write(data)
            self._writeback.wrote(len(data))
        except OSError as exc:
            self.abort()
            raise _disk_error(exc) from None
        self._size += len(data)

    def commit(self) -> None:
        if self._done:
            raise ValueError("chunk already finished")
        self._done = True
        try:
            self._fh.flush()
            if self._fsync:
                datasync(self._fh.fileno())
            self._fh.close()
            os.replace(self._tmp, self._final)
        except FileNotFoundError:
            pass  # the set was claimed for assembly meanwhile: this copy was a duplicate
        except OSError as exc:
            self._tmp.unlink(missing_ok=True)
            raise _disk_error(exc) from None

    def abort(self) -> None:
        if self._done:
            return
        self._done = True
        self._fh.close()
        self._tmp.unlink(missing_ok=True)


class Sessions:
    """:class:`ocis.storage.api.UploadSessions` for a :class:`Tree`. Thread-safe; all calls block.

    Args:
        tree: the decomposed tree (its ``uploads/`` holds the staged data).
        quota: space id -> :class:`Quota` (``DecomposedFS.quota``).
        mkdir: ``DecomposedFS.mkdir``, used for missing intermediate folders at finish.
        ttl: seconds a session or chunk set may stay unfinished (default 24 h).
    """

    def __init__(self, tree: Tree, quota: QuotaOf, mkdir: MakeDir, *, ttl: float = DEFAULT_TTL) -> None:
        self.tree = tree
        self.dir = tree.uploads
        self.ttl = ttl
        self._quota = quota
        self._mkdir = mkdir
        self._sweep_lock = threading.Lock()
        self._last_sweep = 0.0
        self.expire()

    # --- paths -------------------------------------------------------------------------------

    def _info_path(self, session_id: str) -> Path:
        return self.dir / f"{session_id}.info"

    def _bin_path(self, session_id: str) -> Path:
        return self.dir / f"{session_id}.bin"

    @staticmethod
    def _check_session_id(session_id: str) -> str:
        if not _SESSION_ID.match(session_id):
            raise NotFound("no such upload")
        return session_id

    # --- target checks -----------------------------------------------------------------------

    def _inspect_target(self, space_id: str, parts: list[str], *, parents_must_exist: bool) -> tuple[str | None, Any]:
        """(id of the existing file at the path or None, its record or None).

        Raises NotFound (space), Conflict (a file where a folder must be, a folder at the path,
        or a missing parent when ``parents_must_exist``).
        """
        check_id(space_id)
        if not (self.tree.spaces / space_id).is_symlink():
            raise NotFound("no such space")
        node_id = space_id
        for name in parts[:-1]:
            child = self.tree.child_id(node_id, name)
            if child is None:
                if parents_must_exist:
                    raise Conflict("parent folder does not exist")
                return None, None  # created at finish
            if not self.tree.read(child).get("d"):
                raise Conflict(f"{name} is a file, not a folder")
            node_id = child
        existing = self.tree.child_id(node_id, parts[-1])
        if existing is None:
            return None, None
        rec = self.tree.read(existing)
        if rec.get("d"):
            raise Conflict("a folder exists at that path")
        return existing, rec

    def _check_room(self, space_id: str, length: int, replaced: int) -> None:
        left = self._quota(space_id).available
        if left is not None and length > left + replaced:
            raise InsufficientStorage(f"quota exceeded: {length} bytes announced, {left} bytes left")
        free = shutil.disk_usage(self.dir).free
        if length > free:
            raise InsufficientStorage(f"not enough disk space: {length} bytes announced, {free} bytes free")

    # --- TUS sessions ------------------------------------------------------------------------

    def create(self, space_id: str, path: str, length: int, user_id: str, *, mtime: float | None = None,
               checksum: tuple[str, str] | None = None, if_match: str | None = None,
               expires: float | None = None) -> UploadSession:
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise BadRequest("the upload length must be a non-negative integer")
        parts = names.split_path(path)
        if not parts:
            raise BadRequest("an upload needs a file name")
        existing, rec = self._inspect_target(space_id, parts, parents_must_exist=False)
        if if_match is not None:
            if existing is None:
                raise PreconditionFailed("the file does not exist")
            if if_match != "*" and if_match != etag_of(existing, rec):
                raise PreconditionFailed("the file has changed (etag mismatch)")
        self._check_room(space_id, length, int(rec.get("bs", 0)) if rec else 0)
        self._maybe_sweep()

        # Remember the deepest existing folder by id: if it is moved meanwhile, the upload follows
        # it; if it is deleted, finishing fails (409) instead of re-creating it at the old path.
        anchor, depth = space_id, 0
        for name in parts[:-1]:
            child = self.tree.child_id(anchor, name)
            if child is None:
                break
            anchor, depth = child, depth + 1
        t = now()
        session_id = uuid.uuid4().hex
        doc = {"v": 1, "id": session_id, "space_id": space_id, "path": names.join_path(parts),
               "anchor": anchor, "rel": parts[depth:],
               "user_id": user_id, "length": length, "created": t,
               "expires": t + self.ttl if expires is None else float(expires),
               "mtime": mtime, "checksum": list(checksum) if checksum else None, "if_match": if_match,
               "finished": False, "node_id": None}
        _write_json(self._info_path(session_id), doc, self.tree.fsync)  # .info before .bin: see expire()
        self._bin_path(session_id).touch(exist_ok=False)
        if length == 0:
            self.finish(session_id)
        return self.get(session_id)

    def _load(self, session_id: str) -> dict[str, Any]:
        self._check_session_id(session_id)
        try:
            return _read_json(self._info_path(session_id))
        except FileNotFoundError:
            raise NotFound("no such upload") from None
        except ValueError:
            raise NotFound("the upload's metadata is unreadable") from None

    def _session(self, doc: dict[str, Any]) -> UploadSession:
        session_id = str(doc["id"])
        node: NodeInfo | None = None
        if doc.get("finished"):
            offset = int(doc["length"])
            if doc.get("node_id"):
                with contextlib.suppress(NotFound):
                    path, rec = self.tree.path_of(str(doc["node_id"]))
                    node = to_info(str(doc["node_id"]), rec, path)
        else:
            try:
                offset = self._bin_path(session_id).stat().st_size
            except FileNotFoundError:
                raise NotFound("no such upload") from None  # removed, or a crash mid-commit
        cs = doc.get("checksum")
        return UploadSession(
            id=session_id, space_id=str(doc["space_id"]), path=str(doc["path"]), user_id=str(doc["user_id"]),
            length=int(doc["length"]), offset=offset, created=float(doc["created"]),
            expires=float(doc["expires"]),
            mtime=None if doc.get("mtime") is None else float(doc["mtime"]),
            checksum=(str(cs[0]), str(cs[1])) if cs else None,
            if_match=doc.get("if_match"), finished=bool(doc.get("finished")), node=node,
        )

    def get(self, session_id: str) -> UploadSession:
        return self._session(self._load(session_id))

    def _open_locked(self, session_id: str) -> BinaryIO:
        try:
            fh = open(self._bin_path(session_id), "r+b")  # noqa: SIM115 - owned by the caller
        except FileNotFoundError:
            raise NotFound("no such upload") from None
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise Locked("another request is writing to this upload") from None
        return fh

    def open_writer(self, session_id: str, offset: int, *,
                    checksum: tuple[str, str] | None = None) -> _Writer:
        if checksum is not None and checksum[0] not in _PIECE_HASHES:
            raise BadRequest(f"unsupported checksum algorithm {checksum[0]}")
        session = self.get(session_id)
        if session.finished:
            raise Conflict("the upload is already complete")
        if session.expires <= now():
            raise NotFound("the upload has expired")
        fh = self._open_locked(session_id)
        try:
            size = os.fstat(fh.fileno()).st_size
            if size != offset:
                raise Conflict(f"the upload is at offset {size}, not {offset}")
            fh.seek(offset)
        except BaseException:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()
            raise
        return _Writer(self, session, fh, checksum)

    def append(self, session_id: str, offset: int, chunks: Iterable[bytes], *,
               checksum: tuple[str, str] | None = None) -> UploadSession:
        writer = self.open_writer(session_id, offset, checksum=checksum)
        try:
            for chunk in chunks:
                writer.write(chunk)
        except BaseException:
            writer.abort(keep=True)
            raise
        return writer.close()

    def _ensure_parents(self, space_id: str, parts: list[str]) -> None:
        for i in range(1, len(parts)):
            folder = names.join_path(parts[:i])
            try:
                self.tree.resolve(space_id, folder)
            except NotFound:
                with contextlib.suppress(AlreadyExists):
                    self._mkdir(space_id, folder)

    def _current_parts(self, doc: dict[str, Any]) -> list[str]:
        """Target path segments now: the anchor folder's current path plus the relative rest.

        Raises:
            Conflict: the anchor folder was deleted (or replaced by a file) since the upload began.
        """
        if not doc.get("anchor"):
            return names.split_path(str(doc["path"]))
        try:
            anchor_path, rec = self.tree.path_of(str(doc["anchor"]))
        except NotFound:
            raise Conflict("the folder this upload goes to no longer exists") from None
        if not rec.get("d"):
            raise Conflict("the folder this upload goes to no longer exists")
        return names.split_path(anchor_path) + [str(p) for p in doc.get("rel", [])]

    def finish(self, session_id: str) -> tuple[NodeInfo, bool]:
        doc = self._load(session_id)
        session = self._session(doc)
        if session.finished:
            if session.node is None:
                raise NotFound("the uploaded file no longer exists")
            return session.node, False
        fh = self._open_locked(session_id)
        try:
            size = os.fstat(fh.fileno()).st_size
            if size != session.length:
                raise Conflict(f"the upload is incomplete: {size} of {session.length} bytes")
            try:
                hasher = Hasher()
                while block := fh.read(BLOCK):
                    hasher.update(block)
                digests = hasher.digests()
                if session.checksum is not None and digests.get(session.checksum[0]) != session.checksum[1]:
                    raise ChecksumMismatch(f"the {session.checksum[0]} checksum of the content is "
                                           f"{digests.get(session.checksum[0])}, the client sent "
                                           f"{session.checksum[1]}")
                parts = self._current_parts(doc)
                doc["path"] = names.join_path(parts)
                session = self._session(doc)
                self._ensure_parents(session.space_id, parts)
                info, created = commit_content(
                    self.tree, session.space_id, session.path, self._bin_path(session_id), size, digests,
                    quota=lambda: self._quota(session.space_id), mtime=session.mtime,
                    checksum=session.checksum, if_match=session.if_match)
            except OcisError:
                self._remove(session_id)
                raise
            doc.update({"finished": True, "node_id": info.id})
            _write_json(self._info_path(session_id), doc, self.tree.fsync)
            return info, created
        finally:
            with contextlib.suppress(OSError):
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
            fh.close()

    def _remove(self, session_id: str) -> None:
        self._bin_path(session_id).unlink(missing_ok=True)
        self._info_path(session_id).unlink(missing_ok=True)

    def terminate(self, session_id: str) -> None:
        self._load(session_id)
        self._remove(session_id)

    # --- expiry ------------------------------------------------------------------------------

    def _maybe_sweep(self) -> None:
        if now() - self._last_sweep >= SWEEP_INTERVAL:
            self.expire()

    def expire(self, now_: float | None = None) -> int:
        t = now() if now_ is None else now_
        removed = 0
        with self._sweep_lock:
            self._last_sweep = now()
            try:
                entries = list(os.scandir(self.dir))
            except FileNotFoundError:
                return 0
            present = {e.name for e in entries}
            for entry in entries:
                name = entry.name
                try:
                    age = t - entry.stat(follow_symlinks=False).st_mtime
                    if name.endswith(".info") and _SESSION_ID.match(name[:-5]):
                        removed += self._expire_session(name[:-5], t, age, present)
                    elif name.endswith(".bin") and _SESSION_ID.match(name[:-4]):
                        if f"{name[:-4]}.info" not in present and age > ORPHAN_GRACE:
                            os.unlink(entry.path)  # the .info is written first: a crash leftover
                            removed += 1
                    elif name.startswith("chunking-") and entry.is_dir(follow_symlinks=False):
                        removed += self._expire_chunk_set(Path(entry.path), t, age)
                    elif name.startswith(".") and name.endswith(".tmp") and age > ORPHAN_GRACE:
                        os.unlink(entry.path)
                except FileNotFoundError:
                    continue  # finished or removed concurrently
        return removed

    def _expire_session(self, session_id: str, t: float, age: float, present: set[str]) -> int:
        try:
            doc = _read_json(self._info_path(session_id))
        except ValueError:
            doc = {}
        orphan = not doc.get("finished") and f"{session_id}.bin" not in present and age > ORPHAN_GRACE
        if orphan or float(doc.get("expires", 0.0)) <= t:
            self._remove(session_id)
            return 1
        return 0

    def _expire_chunk_set(self, folder: Path, t: float, age: float) -> int:
        try:
            created = float(_read_json(folder / "set.json").get("created", 0.0))
        except (FileNotFoundError, ValueError):
            created = t - age  # no metadata (crash while creating it): go by the folder's mtime
        if ".assembling-" in folder.name:
            created = max(created, t - age)  # claimed sets: age from the claim, not the first chunk
        if created + self.ttl <= t:
            shutil.rmtree(folder, ignore_errors=True)
            return 1
        return 0

    # --- ownCloud chunking v1 ----------------------------------------------------------------

    def _chunk_dir(self, space_id: str, path: str, transfer_id: str, count: int) -> Path:
        key = hashlib.sha256(f"{space_id}\0{path}\0{transfer_id}\0{count}".encode()).hexdigest()[:40]
        return self.dir / f"chunking-{key}"

    @staticmethod
    def _check_chunk_args(transfer_id: str, count: int, index: int | None = None) -> None:
        if not _TRANSFER_ID.match(transfer_id):
            raise BadRequest("invalid chunking transfer id")
        if not 1 <= count <= MAX_CHUNKS:
            raise BadRequest(f"the chunk count must be between 1 and {MAX_CHUNKS}")
        if index is not None and not 0 <= index < count:
            raise BadRequest("the chunk index must be below the chunk count")

    @staticmethod
    def _stored_bytes(folder: Path) -> int:
        total = 0
        with contextlib.suppress(FileNotFoundError), os.scandir(folder) as it:
            for entry in it:
                if entry.name.isdigit():
                    with contextlib.suppress(FileNotFoundError):
                        total += entry.stat().st_size
        return total

    def begin_chunk(self, space_id: str, user_id: str, path: str, transfer_id: str, count: int, index: int, *,
                    total_length: int | None = None, mtime: float | None = None,
                    checksum: tuple[str, str] | None = None) -> _Chunk:
        self._check_chunk_args(transfer_id, count, index)
        parts = names.split_path(path)
        if not parts:
            raise BadRequest("an upload needs a file name")
        _, rec = self._inspect_target(space_id, parts, parents_must_exist=True)
        replaced = int(rec.get("bs", 0)) if rec else 0
        if total_length is not None:
            if total_length < 0:
                raise BadRequest("OC-Total-Length must not be negative")
            self._check_room(space_id, total_length, replaced)
        self._maybe_sweep()
        path = names.join_path(parts)
        folder = self._chunk_dir(space_id, path, transfer_id, count)
        folder.mkdir(exist_ok=True)
        if not (folder / "set.json").exists():
            doc = {"space_id": space_id, "user_id": user_id, "path": path, "transfer_id": transfer_id,
                   "count": count, "created": now()}
            _write_json(folder / "set.json", doc, self.tree.fsync)
        if mtime is not None:
            _write_json(folder / "mtime", {"mtime": mtime}, self.tree.fsync)
        if checksum is not None:
            _write_json(folder / "checksum", {"checksum": list(checksum)}, self.tree.fsync)
        left = self._quota(space_id).available
        budget = None
        if left is not None:
            have = self._stored_bytes(folder)
            with contextlib.suppress(FileNotFoundError):
                have -= (folder / str(index)).stat().st_size  # a re-sent chunk replaces itself
            budget = max(0, left + replaced - have)
        return _Chunk(folder, index, budget, self.tree.fsync)

    def assemble_chunks(self, space_id: str, path: str, transfer_id: str, count: int, *,
                        total_length: int | None = None, mtime: float | None = None,
                        checksum: tuple[str, str] | None = None,
                        if_match: str | None = None) -> tuple[NodeInfo, bool] | None:
        self._check_chunk_args(transfer_id, count)
        path = names.join_path(names.split_path(path))
        folder = self._chunk_dir(space_id, path, transfer_id, count)
        if not all((folder / str(i)).exists() for i in range(count)):
            return None
        claimed = folder.with_name(f"{folder.name}.assembling-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(folder, claimed)  # exactly one request assembles
        except FileNotFoundError:
            return None
        out = self.dir / uuid.uuid4().hex  # a plain upload temp name: swept at startup after a crash
        try:
            if mtime is None:
                with contextlib.suppress(FileNotFoundError, ValueError):
                    mtime = float(_read_json(claimed / "mtime")["mtime"])
            if checksum is None:
                with contextlib.suppress(FileNotFoundError, ValueError):
                    algo, digest = _read_json(claimed / "checksum")["checksum"]
                    checksum = (str(algo), str(digest))
            hasher, size = Hasher(), 0
            fsync = self.tree.fsync
            with open(out, "xb") as dst:
                writeback = Writeback(dst.fileno(), enabled=fsync)
                for i in range(count):
                    with open(claimed / str(i), "rb") as src:
                        while block := src.read(BLOCK):
                            hasher.update(block)
                            dst.write(block)
                            writeback.wrote(len(block))
                            size += len(block)
                dst.flush()
                if fsync:
                    datasync(dst.fileno())
            if total_length is not None and size != total_length:
                raise BadRequest(f"the chunks add up to {size} bytes, OC-Total-Length says {total_length}")
            return commit_content(self.tree, space_id, path, out, size, hasher.digests(),
                                  quota=lambda: self._quota(space_id), mtime=mtime, checksum=checksum,
                                  if_match=if_match)
        except OSError as exc:
            raise _disk_error(exc) from None
        finally:
            out.unlink(missing_ok=True)
            shutil.rmtree(claimed, ignore_errors=True)
