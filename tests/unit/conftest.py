"""Fixtures for unit tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from storage_util import USER

from ocis.storage.decomposedfs import DecomposedFS, open_storage


@pytest.fixture(params=["xattrs", "sidecar"])
def fs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DecomposedFS]:
    """A fresh storage with USER's home, once per metadata backend (on /tmp: ext4, real xattr limits)."""
    base = Path(os.environ.get("OCIS_TEST_TMP", "/tmp"))
    root = tmp_path_factory.mktemp("dfs", numbered=True)
    if base != Path("/tmp"):
        root = base / root.name
    storage = open_storage(root, request.param)
    storage.home(USER)
    yield storage
