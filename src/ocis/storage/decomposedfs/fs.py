"""Placeholder; replaced by the real implementation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


class DecomposedFS:
    def __init__(self, root: Path, backend: str = "auto",
                 quota_for: Callable[[str], int | None] | None = None) -> None:
        self.root = root


def open_storage(root: Path, backend: str = "auto",
                 quota_for: Callable[[str], int | None] | None = None) -> DecomposedFS:
    """Open (creating if needed) the storage at ``root``.

    Args:
        root: directory of the decomposed filesystem (created if missing).
        backend: metadata backend, ``auto`` (self-check at startup), ``xattrs`` or ``sidecar``.
        quota_for: user id -> quota in bytes (None = unlimited).

    Raises:
        OSError: the directory cannot be created or written.
        ValueError: ``xattrs`` was forced but the filesystem has no user xattrs.
    """
    return DecomposedFS(root, backend, quota_for)
