"""Regression: hypercorn 0.18 + trio + HTTP/2 used to kill the whole server when a handler answered
before reading the request body (KeyError in the h2 protocol for DATA on a closed stream).

A 10 MB PUT with wrong credentials is answered 401 early; three of them, then the server must be alive.
The client offers only HTTP/2 (the server prefers HTTP/1.1 when a client offers both).
"""

from __future__ import annotations

import os
import time

import httpx

from helpers.dav import files_url, make_client
from helpers.server import ServerProcess

BODY = os.urandom(10 * 1024 * 1024)


def test_early_401_on_big_put_over_http2(server: ServerProcess) -> None:
    with make_client(server.url, "einstein", "wrong password", http2=True, timeout=60) as c:
        assert c.get("/status.php").http_version == "HTTP/2"
        outcomes: list[int | str] = []
        for i in range(3):
            try:
                r = c.put(files_url("einstein", f"early-{i}.bin"), content=BODY)
                outcomes.append(r.status_code)
                assert r.status_code == 401, f"PUT with wrong password -> {r.status_code}"
            except httpx.TransportError as e:
                # the server may reset the stream / close the connection after answering early;
                # but if it died, say so rather than report a connection error
                time.sleep(0.5)
                server.check_alive()
                assert not isinstance(e, httpx.ConnectError), f"cannot connect any more: {e}"
                outcomes.append(type(e).__name__)
            server.check_alive()
        print(f"outcomes: {outcomes}")
    # fresh connections, after the early answers
    assert server.is_running(), "server process exited"
    server.assert_healthy()
    with make_client(server.url, http2=True) as c:
        r = c.get("/status.php")
        assert r.status_code == 200
    with make_client(server.url, "einstein", http2=True) as c:
        r = c.request("PROPFIND", files_url("einstein"), headers={"Depth": "0"})
        assert r.status_code == 207, f"authenticated PROPFIND after the early answers -> {r.status_code}"
        for i in range(3):
            assert c.request("PROPFIND", files_url("einstein", f"early-{i}.bin")).status_code == 404
