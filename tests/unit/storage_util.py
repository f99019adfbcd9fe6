"""Shared helpers for the storage unit tests (the ``fs`` fixture lives in conftest.py)."""

from __future__ import annotations

from ocis.storage.decomposedfs import DecomposedFS

USER = "4c510ada-c86b-4815-8820-42cdf82c3d51"


def put(fs: DecomposedFS, path: str, data: bytes, **kw: object) -> tuple[str, bool]:
    up = fs.begin_upload(USER, path, length=len(data))
    up.write(data)
    info, created = up.commit(**kw)  # type: ignore[arg-type]
    return info.id, created


def read(fs: DecomposedFS, path: str) -> bytes:
    _, fh = fs.open_blob(USER, path)
    with fh:
        return fh.read()
