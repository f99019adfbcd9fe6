"""The decomposed filesystem: nodes by UUID, content in blobs, metadata in xattrs or sidecars."""

from __future__ import annotations

from ocis.storage.decomposedfs.fs import DecomposedFS, open_storage

__all__ = ["DecomposedFS", "open_storage"]
