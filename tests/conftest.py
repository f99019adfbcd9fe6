"""Shared fixtures.

``server`` is one real ``ocis server`` process per test module (free port, fresh data dir under /tmp).
It uses the ``auto`` metadata backend unless parametrized indirectly, e.g. at module level::

    pytestmark = pytest.mark.parametrize("server", ["xattrs", "sidecar"], indirect=True, scope="module")

After every test that used a server, the server must still be running (unless the test stopped it);
otherwise the test errors with the tail of the server log. Server logs are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers.dav import make_client
from helpers.server import ARTIFACTS_DIR, ServerProcess


def _log_name(request: pytest.FixtureRequest, backend: str) -> str:
    node = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
    return f"{node}-{backend}"


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    """One running server for the whole module (metadata backend from indirect parametrization)."""
    backend = str(getattr(request, "param", "auto"))
    srv = ServerProcess(name=Path(str(request.node.nodeid)).stem, metadata_backend=backend)
    try:
        srv.start()
        yield srv
        srv.check_alive()
        _record_peak_rss(request, backend, srv)
    finally:
        srv.cleanup(keep_log_as=_log_name(request, backend))


def _record_peak_rss(request: pytest.FixtureRequest, backend: str, srv: ServerProcess) -> None:
    """Append the module's server peak RSS to test-artifacts/peak-rss.tsv (figures for the notes)."""
    try:
        peak = srv.peak_rss()
    except OSError:
        return
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    with open(ARTIFACTS_DIR / "peak-rss.tsv", "a") as fh:
        fh.write(f"{request.node.nodeid}\t{backend}\t{peak / 2**20:.1f} MiB\n")


@pytest.fixture
def server_factory(request: pytest.FixtureRequest) -> Iterator[Callable[..., ServerProcess]]:
    """Start extra servers inside one test: ``srv = server_factory(env={...})``; stopped afterwards."""
    started: list[ServerProcess] = []

    def factory(**kwargs: Any) -> ServerProcess:
        kwargs.setdefault("name", re.sub(r"\W+", "_", request.node.name)[:40])
        srv = ServerProcess(**kwargs)
        started.append(srv)
        return srv.start()

    yield factory
    for i, srv in enumerate(started):
        srv.cleanup(keep_log_as=_log_name(request, f"{srv.metadata_backend}-{i}"))


@pytest.fixture(autouse=True)
def _server_still_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test if a server it used died while it ran."""
    yield
    for value in request.node.funcargs.values():
        if isinstance(value, ServerProcess):
            value.check_alive()


@pytest.fixture
def admin(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url, "admin") as c:
        yield c


@pytest.fixture
def einstein(server: ServerProcess) -> Iterator[httpx.Client]:
    with make_client(server.url, "einstein") as c:
        yield c
