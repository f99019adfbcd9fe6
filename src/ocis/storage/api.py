"""The storage interface every front end (WebDAV, OCS, web) uses.

Implementations: ``ocis.storage.decomposedfs.DecomposedFS``. All methods are blocking (filesystem
I/O) and thread-safe; async callers run them via ``trio.to_thread.run_sync``.

Addressing: a *space* is a tree of nodes with one root; a user's home is the space whose id is the
user id. Within a space a node is addressed by a path (``/`` = root, ``/a/b``), or globally by its
node id (a UUID string, stable across rename and move). All errors are ``ocis.core.errors``.

Times are float seconds since the epoch (UTC); sizes are bytes; etags are unquoted strings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol


@dataclass(frozen=True)
class NodeInfo:
    """A snapshot of a node's metadata.

    Attributes:
        id: node id (UUID string), stable across rename and move.
        space_id: id of the space the node lives in.
        parent_id: id of the parent node, ``None`` for a space root.
        name: base name (``""`` for a space root).
        path: path within the space, ``/`` for the root, ``/a/b`` below it.
        is_dir: folder (True) or file (False).
        size: bytes; for a folder the recursive size of its content (tree size).
        mtime: modification time; for a folder the tree mtime (latest change below it).
        etag: unquoted entity tag; a folder's changes whenever anything below it changes.
        owner_id: user id of the space owner.
        checksums: for files, ``{"SHA1": hex, "MD5": hex, "ADLER32": hex}``; empty for folders.
            Read-only: storages may hand out the same NodeInfo (and dict) for an unchanged node.
        mimetype: content type guessed from the name; ``httpd/unix-directory`` for folders.
        has_props: the node has dead properties (WebDAV PROPPATCH); ``Storage.get_props`` reads them.
    """

    id: str
    space_id: str
    parent_id: str | None
    name: str
    path: str
    is_dir: bool
    size: int
    mtime: float
    etag: str
    owner_id: str
    checksums: dict[str, str] = field(default_factory=dict)
    mimetype: str = "application/octet-stream"
    has_props: bool = False


@dataclass(frozen=True)
class Quota:
    """Space usage in bytes. ``total`` is ``None`` when unlimited."""

    used: int
    total: int | None

    @property
    def available(self) -> int | None:
        """Bytes left, ``None`` when unlimited."""
        return None if self.total is None else max(0, self.total - self.used)


class Upload(Protocol):
    """Content being written aside (in the storage's ``uploads/``), invisible until committed."""

    @property
    def size(self) -> int:
        """Bytes written so far."""

    def write(self, data: bytes) -> None:
        """Append bytes. Raises InsufficientStorage when the quota would be exceeded."""

    def commit(
        self,
        *,
        mtime: float | None = None,
        checksum: tuple[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> tuple[NodeInfo, bool]:
        """Atomically make the content the node at the upload's path.

        Args:
            mtime: modification time to record (default: now).
            checksum: (``TYPE``, ``hex``) the client sent; verified before anything is visible.
            if_match: unquoted etag the existing file must have (``"*"``: must exist).
            if_none_match: the file must not exist (``If-None-Match: *``).

        Returns:
            (the node after the write, True if it was created, False if overwritten; the old
            content is kept as a revision).

        Raises:
            ChecksumMismatch, PreconditionFailed, Conflict (parent gone or a folder in the
            way), InsufficientStorage. On any error nothing is visible and the upload is discarded.
        """

    def abort(self) -> None:
        """Discard the written content. Idempotent."""


@dataclass(frozen=True)
class TrashItem:
    """A deleted node, as listed in the trash bin.

    Attributes:
        key: the trash key: the id of the deleted subtree root, plus ``/<relative path>`` for a
            node listed inside a deleted folder.
        node_id: id of the node itself.
        name: base name.
        origin: path (within the space) where the node was when it was deleted.
        deleted: deletion time of the subtree root.
        is_dir, size, mtime, etag: as in :class:`NodeInfo` (size is the tree size of folders).
    """

    key: str
    node_id: str
    name: str
    origin: str
    deleted: float
    is_dir: bool
    size: int
    mtime: float
    etag: str


@dataclass(frozen=True)
class Revision:
    """An earlier content of a file (kept when the file is overwritten).

    Attributes:
        key: revision key, unique per file, increasing with age order (newer = larger).
        size: bytes. mtime: the file's modification time when this content was current.
        etag: unquoted entity tag of this revision. checksums: as in :class:`NodeInfo`.
    """

    key: str
    size: int
    mtime: float
    etag: str
    checksums: dict[str, str] = field(default_factory=dict)


class TrashBin(Protocol):
    """Trash operations of a space (``Storage`` implements them)."""

    def list_trash(self, space_id: str, key: str = "") -> list[TrashItem]:
        """Items in the trash (``key`` empty) or inside a deleted folder (``key`` names it).

        Raises NotFound (unknown key), Conflict (the key is a file).
        """

    def restore_trash(self, space_id: str, key: str, dst: str, *, overwrite: bool = False) -> tuple[NodeInfo, bool]:
        """Move a trash item (or a node inside a deleted folder) back to ``dst``; ids are kept.

        Returns (node, created). An existing ``dst`` is moved to the trash when ``overwrite``.
        Raises NotFound, Conflict (the parent of ``dst`` is missing: oC 10 answers 409),
        PreconditionFailed (``dst`` exists and not overwrite), InsufficientStorage.
        """

    def purge_trash(self, space_id: str, key: str) -> None:
        """Delete a trash item for good, folders with all their content. Raises NotFound."""

    def empty_trash(self, space_id: str) -> None:
        """Purge every item of the space's trash."""


class Versions(Protocol):
    """File revisions (``Storage`` implements them). Files are addressed by node id."""

    def list_revisions(self, node_id: str) -> list[Revision]:
        """Earlier contents of a file, newest first (the current content is not listed)."""

    def open_revision(self, node_id: str, key: str) -> tuple[Revision, BinaryIO]:
        """Open a revision's content. Raises NotFound."""

    def restore_revision(self, node_id: str, key: str) -> NodeInfo:
        """Make a revision the current content; the current content becomes a revision.
        Raises NotFound, InsufficientStorage."""

    def delete_revision(self, node_id: str, key: str) -> None:
        """Remove one revision. Raises NotFound."""


class Favorites(Protocol):
    """Per-user favorite marks (``Storage`` implements them)."""

    def favorites(self, user_id: str) -> set[str]:
        """Node ids the user marked as favorite (ids of deleted nodes may be included)."""

    def set_favorite(self, user_id: str, node_id: str, favorite: bool) -> None:
        """Mark or unmark a node for a user."""


class Search(Protocol):
    def search(self, space_id: str, pattern: str, limit: int = 30) -> list[NodeInfo]:
        """Nodes of the space whose name contains ``pattern`` (case-insensitive), at most ``limit``,
        sorted by path. Raises BadRequest for an empty pattern."""


@dataclass(frozen=True)
class UploadSession:
    """A resumable upload (TUS 1.0.0): content arriving in pieces, invisible until finished.

    Attributes:
        id: opaque session id (32 hex digits); the last segment of the TUS upload URL.
        space_id, path: where the file will be committed (its parent folders may not exist yet:
            they are created when the upload finishes).
        user_id: who created the session (only that user may continue it).
        length: announced size in bytes (``Upload-Length``).
        offset: bytes received so far (= ``length`` once finished).
        created, expires: seconds since the epoch; an expired session is gone (HTTP 410/404).
        mtime: modification time to record, ``None`` = the commit time.
        checksum: (``TYPE``, ``hex``) the whole file must match, verified when finishing.
        if_match: unquoted etag the existing file must still have when finishing (``"*"``: exist).
        finished: committed; the content is the node ``node`` (``None`` if it was removed since).
    """

    id: str
    space_id: str
    path: str
    user_id: str
    length: int
    offset: int
    created: float
    expires: float
    mtime: float | None = None
    checksum: tuple[str, str] | None = None
    if_match: str | None = None
    finished: bool = False
    node: NodeInfo | None = None


class SessionWriter(Protocol):
    """Appends one piece (a TUS PATCH body) to a session; holds the session's lock until closed."""

    @property
    def offset(self) -> int:
        """The session's offset after what was written so far."""

    def write(self, data: bytes) -> None:
        """Append bytes. Raises BadRequest (beyond the announced length: nothing of ``data`` is
        written), InsufficientStorage (disk full)."""

    def close(self) -> UploadSession:
        """Make the piece durable (fsync) and release the lock. If a piece checksum was given and
        does not match, the piece is discarded and ChecksumMismatch raised."""

    def abort(self, *, keep: bool = True) -> None:
        """Release the lock; keep what was written (``keep``, resumable) or discard the whole
        piece. A piece with a checksum is always discarded. Idempotent."""


class ChunkWriter(Protocol):
    """One chunk of an ownCloud chunked (v1) upload, written aside."""

    def write(self, data: bytes) -> None:
        """Append bytes. Raises InsufficientStorage (quota or disk)."""

    def commit(self) -> None:
        """Keep the chunk (replacing an earlier copy of the same index)."""

    def abort(self) -> None:
        """Discard the chunk. Idempotent."""


class UploadSessions(Protocol):
    """Resumable uploads (TUS) and ownCloud chunked (v1) uploads. All methods block.

    Staged data lives beside the tree (``uploads/``) and survives a restart; sessions and chunk
    sets not finished within their expiry (default 24 h) are removed. Every finish goes through
    the same atomic commit as a plain PUT (revision of the old content, etag propagation, quota).
    """

    def create(self, space_id: str, path: str, length: int, user_id: str, *, mtime: float | None = None,
               checksum: tuple[str, str] | None = None, if_match: str | None = None,
               expires: float | None = None) -> UploadSession:
        """Start a session for a file of ``length`` bytes at ``path`` (TUS 1.0.0 §creation).

        Missing parent folders are allowed (created at finish); a zero-length upload is finished
        at once. ``expires`` is an absolute time (default: now + the configured expiry).

        Raises:
            BadRequest (invalid path or length), NotFound (no such space), Conflict (a file is
            in the way of a parent folder, or a folder is at ``path``), PreconditionFailed
            (``if_match``), InsufficientStorage (``length`` exceeds what the quota or the disk
            has left).
        """

    def get(self, session_id: str) -> UploadSession:
        """The session, even if expired (callers compare ``expires``). Raises NotFound."""

    def open_writer(self, session_id: str, offset: int, *,
                    checksum: tuple[str, str] | None = None) -> SessionWriter:
        """Start appending at ``offset`` (TUS 1.0.0 §PATCH). ``checksum`` (``SHA1``/``MD5``, hex)
        covers this piece only (TUS §checksum).

        Raises NotFound (unknown or expired), Conflict (offset differs from the session's, or it
        is finished), Locked (another writer is active), BadRequest (unsupported algorithm).
        """

    def append(self, session_id: str, offset: int, chunks: Iterable[bytes], *,
               checksum: tuple[str, str] | None = None) -> UploadSession:
        """:meth:`open_writer`, write every chunk, close. On an error the piece is kept as far as
        it was written (resumable), except with a checksum (then discarded)."""

    def finish(self, session_id: str) -> tuple[NodeInfo, bool]:
        """Commit a complete session: checksums in one pass, intermediate folders, atomic commit.

        Returns (node, created). Idempotent on a finished session (created is then False).
        Raises NotFound, Conflict (incomplete, or the tree changed in the way), Locked,
        ChecksumMismatch, PreconditionFailed, InsufficientStorage; except for Conflict
        (incomplete) and Locked the session is discarded on error.
        """

    def terminate(self, session_id: str) -> None:
        """Discard a session and its data (TUS §termination). Raises NotFound."""

    def expire(self, now: float | None = None) -> int:
        """Remove sessions and chunk sets that expired (or were orphaned by a crash); returns
        how many were removed."""

    def begin_chunk(self, space_id: str, user_id: str, path: str, transfer_id: str, count: int, index: int, *,
                    total_length: int | None = None, mtime: float | None = None,
                    checksum: tuple[str, str] | None = None) -> ChunkWriter:
        """Receive chunk ``index`` of ``count`` of the file at ``path`` (protocol.md §4.12).

        ``mtime`` and ``checksum`` (from any chunk's request) are remembered for the assembly.
        Raises BadRequest (index, count or transfer id invalid), Conflict (parent missing or a
        folder at ``path``), InsufficientStorage (``total_length`` or the stored chunks exceed
        the quota).
        """

    def assemble_chunks(self, space_id: str, path: str, transfer_id: str, count: int, *,
                        total_length: int | None = None, mtime: float | None = None,
                        checksum: tuple[str, str] | None = None,
                        if_match: str | None = None) -> tuple[NodeInfo, bool] | None:
        """If all ``count`` chunks are there, concatenate them (streaming) and commit the file.

        Returns (node, created), or None while chunks are missing (or another request is
        assembling the set). The chunk set is removed either way once assembly started.
        Raises BadRequest (sizes do not add up to ``total_length``), ChecksumMismatch,
        PreconditionFailed, Conflict, InsufficientStorage.
        """


class Storage(TrashBin, Versions, Favorites, Search, Protocol):
    """Operations on spaces and nodes. See the module docstring for conventions."""

    sessions: UploadSessions
    """Resumable uploads (TUS) and chunk sets (ownCloud chunking v1)."""

    def home(self, user_id: str) -> NodeInfo:
        """Return the root of the user's home space, creating it on first access."""

    def stat(self, space_id: str, path: str) -> NodeInfo:
        """Metadata of the node at ``path``. Raises NotFound, BadRequest (invalid name)."""

    def stat_id(self, node_id: str) -> NodeInfo:
        """Metadata of a node by id. Raises NotFound (unknown, or trashed)."""

    def list_dir(self, space_id: str, path: str) -> list[NodeInfo]:
        """Children of a folder, sorted by name. Raises NotFound, Conflict (not a folder)."""

    def stat_and_list(self, space_id: str, path: str) -> tuple[NodeInfo, list[NodeInfo]]:
        """The node at ``path`` and, if it is a folder, its children sorted by name (else []): one
        path lookup for both (a PROPFIND Depth 1). Raises NotFound, BadRequest (invalid name)."""

    def mkdir(self, space_id: str, path: str, *, mtime: float | None = None) -> NodeInfo:
        """Create a folder. Raises AlreadyExists, Conflict (parent missing or a file)."""

    def begin_upload(self, space_id: str, path: str, *, length: int | None = None) -> Upload:
        """Start writing a file at ``path``; see :class:`Upload`.

        ``length`` (if known) is checked against the quota up front.
        Raises Conflict (parent missing, or ``path`` is a folder), InsufficientStorage.
        """

    def write_file(self, space_id: str, path: str, data: bytes, *, mtime: float | None = None,
                   checksum: tuple[str, str] | None = None, if_match: str | None = None,
                   if_none_match: bool = False,
                   precheck: Callable[[NodeInfo | None], None] | None = None) -> tuple[NodeInfo, bool]:
        """Write a whole file in one call (for small ones): the effect of ``stat`` + ``begin_upload``
        + ``write`` + ``commit``, with the path resolved once and every check made under the
        storage's write lock, in this order: a folder at ``path`` (Conflict); ``if_none_match``
        and the file exists (PreconditionFailed); ``precheck(the existing file or None)``, which
        may raise anything (e.g. lock checks); parent missing or a file (Conflict); quota
        (InsufficientStorage); ``checksum`` (ChecksumMismatch); ``if_match`` (PreconditionFailed).
        Returns and keeps revisions as :meth:`Upload.commit`. On any error nothing is visible.
        """

    def open_blob(self, space_id: str, path: str) -> tuple[NodeInfo, BinaryIO]:
        """Open a file's content for reading. Raises NotFound, Conflict (a folder)."""

    def delete(self, space_id: str, path: str) -> None:
        """Move the node (and its subtree) to the trash in one rename. Raises NotFound."""

    def move(self, space_id: str, src: str, dst: str, *, overwrite: bool = True) -> tuple[NodeInfo, bool]:
        """Rename or move a node; its id is kept. Returns (node, created).

        An existing destination is moved to the trash first when ``overwrite`` is true.
        Raises NotFound, Conflict (dst parent missing, dst inside src), PreconditionFailed
        (dst exists and not overwrite), BadRequest.
        """

    def copy(self, space_id: str, src: str, dst: str, *, overwrite: bool = True,
             recursive: bool = True) -> tuple[NodeInfo, bool]:
        """Copy a node (new ids); same rules as :meth:`move`. Returns (node, created)."""

    def set_mtime(self, space_id: str, path: str, mtime: float) -> NodeInfo:
        """Set a node's modification time (propagates). Raises NotFound."""

    def get_props(self, space_id: str, path: str) -> dict[str, str]:
        """Dead properties of a node: Clark name (``{ns}local``) -> XML string of the value."""

    def set_props(self, space_id: str, path: str, changes: dict[str, str | None]) -> None:
        """Set (str) or remove (None) dead properties atomically. Raises NotFound."""

    def quota(self, space_id: str) -> Quota:
        """Usage and limit of a space."""

    def walk(self, space_id: str, path: str) -> Iterator[NodeInfo]:
        """All nodes below ``path`` (excluding it), parents before children."""
