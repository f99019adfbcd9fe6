"""Server settings that performance depends on (runtime/server.py)."""

from __future__ import annotations

from pathlib import Path

from ocis.config.loader import load_config
from ocis.runtime.server import hypercorn_config, release_free_memory


def test_connections_are_not_cut_after_1000_requests(tmp_path: Path) -> None:
    # hypercorn's default (1000) sent HTTP/2 GOAWAY under rclone copy with streams in flight
    hc = hypercorn_config(load_config({}, {"OCIS_BASE_DATA_PATH": str(tmp_path)}))
    assert hc.keep_alive_max_requests >= 100_000


def test_release_free_memory_is_safe_to_call() -> None:
    assert release_free_memory() in (True, False)
    assert release_free_memory() in (True, False)
