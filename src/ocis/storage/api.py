"""The storage interface every front end (WebDAV, OCS, web) uses.

Implementations: ``ocis.storage.decomposedfs.DecomposedFS``. All methods are blocking (filesystem
I/O) and thread-safe; async callers run them via ``trio.to_thread.run_sync``.

Addressing: a *space* is a tree of nodes with one root; a user's home is the space whose id is the
user id. Within a space a node is addressed by a path (``/`` = root, ``/a/b``), or globally by its
node id (a UUID string, stable across rename and move). All errors are ``ocis.core.errors``.

Times are float seconds since the epoch (UTC); sizes are bytes; etags are unquoted strings.
"""

from __future__ import annotations

from collections.abc import Iterator
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
        mimetype: content type guessed from the name; ``httpd/unix-directory`` for folders.
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
    ) -> tuple[NodeInfo, bool]:
        """Atomically make the content the node at the upload's path.

        Args:
            mtime: modification time to record (default: now).
            checksum: (``TYPE``, ``hex``) the client sent; verified before anything is visible.
            if_match: unquoted etag the existing file must have (``"*"``: must exist).

        Returns:
            (the node after the write, True if it was created, False if overwritten; the old
            content is kept as a revision).

        Raises:
            ChecksumMismatch, PreconditionFailed, Conflict (parent gone or a folder in the
            way), InsufficientStorage. On any error nothing is visible and the upload is discarded.
        """

    def abort(self) -> None:
        """Discard the written content. Idempotent."""


class Storage(Protocol):
    """Operations on spaces and nodes. See the module docstring for conventions."""

    def home(self, user_id: str) -> NodeInfo:
        """Return the root of the user's home space, creating it on first access."""

    def stat(self, space_id: str, path: str) -> NodeInfo:
        """Metadata of the node at ``path``. Raises NotFound, BadRequest (invalid name)."""

    def stat_id(self, node_id: str) -> NodeInfo:
        """Metadata of a node by id. Raises NotFound (unknown, or trashed)."""

    def list_dir(self, space_id: str, path: str) -> list[NodeInfo]:
        """Children of a folder, sorted by name. Raises NotFound, Conflict (not a folder)."""

    def mkdir(self, space_id: str, path: str, *, mtime: float | None = None) -> NodeInfo:
        """Create a folder. Raises AlreadyExists, Conflict (parent missing or a file)."""

    def begin_upload(self, space_id: str, path: str, *, length: int | None = None) -> Upload:
        """Start writing a file at ``path``; see :class:`Upload`.

        ``length`` (if known) is checked against the quota up front.
        Raises Conflict (parent missing, or ``path`` is a folder), InsufficientStorage.
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
