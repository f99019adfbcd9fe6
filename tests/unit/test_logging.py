"""Access log: one line per request, request ids, JSON vs human, nothing secret."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator

import pytest
from asgi_client import Client
from starlette.types import Receive, Scope, Send

from ocis.core.principal import SCOPE_KEY, Principal
from ocis.runtime.logging import REQUEST_ID_KEY, AccessLogMiddleware, setup_logging

SECRET = "s3cr3t-password"


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    scope[SCOPE_KEY] = Principal("id", "alice", "Alice")
    await send({"type": "http.response.start", "status": 207, "headers": [(b"x-request-id", b"from-app")]})
    await send({"type": "http.response.body", "body": b"12345", "more_body": True})
    await send({"type": "http.response.body", "body": b"678"})


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    out = io.StringIO()
    setup_logging("info", json_lines=True, stream=out)
    yield out
    logging.getLogger().handlers.clear()


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in stream.getvalue().splitlines()]
    return [e for e in entries if e["logger"] == "ocis.access"]


def test_access_line_fields(stream: io.StringIO) -> None:
    auth = "Basic " + base64.b64encode(f"alice:{SECRET}".encode()).decode()
    r = Client(AccessLogMiddleware(app)).request(
        "PROPFIND", "/remote.php/dav/files/alice/?token=abc", headers={"Authorization": auth}
    )
    assert r.status_code == 207
    rid = r.headers["x-request-id"]
    assert rid != "from-app" and len(rid) == 32
    (entry,) = lines(stream)
    assert entry["logger"] == "ocis.access" and entry["level"] == "info"
    assert entry["method"] == "PROPFIND"
    assert entry["path"] == "/remote.php/dav/files/alice/"
    assert entry["status"] == 207 and entry["bytes"] == 8
    assert isinstance(entry["duration_ms"], float)
    assert entry["request_id"] == rid and entry["user"] == "alice"
    text = json.dumps(lines(stream))
    assert SECRET not in text and "Basic" not in text and "token" not in text


def test_client_request_id_is_echoed(stream: io.StringIO) -> None:
    seen = {}

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen["rid"] = scope[REQUEST_ID_KEY]
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    r = Client(AccessLogMiddleware(inner)).get("/", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123" == seen["rid"]
    r = Client(AccessLogMiddleware(inner)).get("/", headers={"X-Request-ID": "bad id\twith junk"})
    assert r.headers["x-request-id"] != "bad id\twith junk"


def test_crash_is_logged_as_500(stream: io.StringIO) -> None:
    async def boom(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Client(AccessLogMiddleware(boom)).get("/x")
    (entry,) = lines(stream)
    assert entry["status"] == 500 and entry["level"] == "error"


def test_human_format() -> None:
    out = io.StringIO()
    setup_logging("info", json_lines=False, stream=out)
    try:
        Client(AccessLogMiddleware(app)).get("/a")
    finally:
        logging.getLogger().handlers.clear()
    (line,) = [x for x in out.getvalue().splitlines() if "ocis.access" in x]
    assert "ocis.access: GET /a 207 8B" in line and "user=alice" in line
    assert not line.startswith("{")
