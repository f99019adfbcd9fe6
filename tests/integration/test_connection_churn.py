"""Short-lived connections are closed when the client closes them (binary trial finding: sockets
stayed in CLOSE-WAIT for the keep-alive timeout and exhausted a 1024 file limit)."""

from __future__ import annotations

import os
import socket
import ssl

from helpers.server import ServerProcess


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def one_request(port: int) -> None:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        tls.sendall(b"GET /status.php HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert tls.recv(65536).startswith(b"HTTP/1.1 200")


def test_closed_connections_do_not_pile_up(server: ServerProcess) -> None:
    pid = server.pid
    before = open_fds(pid)
    for _ in range(150):
        one_request(server.port)
    server.assert_healthy()
    # allow a few in flight; before the fix all 150 sockets stayed open for 30 s
    assert open_fds(pid) < before + 40
