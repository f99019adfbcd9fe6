"""HTTP/1.1 over real TLS against the server (runtime/h1.py): what clients see on the wire.

The protocol details are unit-tested in tests/unit/test_h1.py; these check them end to end through
TLS, the proxy and the WebDAV app.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time

import httpx
import pytest

from helpers import raw
from helpers.dav import make_client
from helpers.server import ServerProcess

EINSTEIN = raw.basic_auth("einstein", "relativity")
HOME = "/remote.php/dav/files/einstein/"


def _tls(port: int, *, ragged_eof_is_error: bool = False) -> ssl.SSLSocket:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname="127.0.0.1", suppress_ragged_eofs=not ragged_eof_is_error)


def _read_to_eof(sock: ssl.SSLSocket) -> bytes:
    out = bytearray()
    while chunk := sock.recv(65536):
        out += chunk
    return bytes(out)


def test_http10_response_ends_with_a_tls_close_notify(server: ServerProcess) -> None:
    # Without a close_notify, OpenSSL 3 clients reading to EOF (HTTP/1.0) count the answer as failed;
    # Python raises SSLEOFError when ragged EOFs are not suppressed.
    with _tls(server.port, ragged_eof_is_error=True) as s:
        s.sendall(b"GET /status.php HTTP/1.0\r\n\r\n")
        data = _read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 200 ") and b'"installed"' in data


def test_pipelined_requests_over_tls(server: ServerProcess) -> None:
    put = (f"PUT {HOME}pipelined.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {EINSTEIN}\r\n"
           f"Content-Length: 5\r\n\r\nhello").encode()
    get = f"GET {HOME}pipelined.txt HTTP/1.1\r\nHost: x\r\nAuthorization: {EINSTEIN}\r\n".encode()
    with _tls(server.port) as s:
        s.sendall(put + get + b"Connection: close\r\n\r\n")
        data = _read_to_eof(s)
    assert data.count(b"HTTP/1.1 ") == 2
    assert data.startswith(b"HTTP/1.1 201 ") and data.endswith(b"\r\n\r\nhello")


def test_large_upload_without_credentials_sees_its_401(server: ServerProcess) -> None:
    """The server answers at once and closes while the client is still sending: the client must
    still read the 401 (the server reads off what follows for a moment before closing)."""
    size = 50 * 1024 * 1024
    with _tls(server.port) as s:
        s.sendall(f"PUT {HOME}no-auth.bin HTTP/1.1\r\nHost: x\r\nContent-Length: {size}\r\n\r\n".encode())
        block = b"\0" * 65536
        sent = 0
        try:
            while sent < 4 * 1024 * 1024:
                s.sendall(block)
                sent += len(block)
        except OSError:
            pass
        s.settimeout(10)
        data = s.recv(65536)
    assert data.startswith(b"HTTP/1.1 401 ")


def test_head_sent_byte_by_byte_is_answered(server: ServerProcess) -> None:
    """A head may arrive in many small reads (the cut-off of a head that never ends, after the
    keep-alive timeout, is unit-tested with a short timeout)."""
    with _tls(server.port) as s:
        for byte in b"GET /status.php HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n":
            s.sendall(bytes([byte]))
            time.sleep(0.005)
        assert _read_to_eof(s).startswith(b"HTTP/1.1 200 ")


def test_clients_offering_both_protocols_get_http1(server: ServerProcess) -> None:
    """ALPN prefers HTTP/1.1 (runtime/h1, 3-6x faster than hypercorn's HTTP/2 for large bodies); a
    client that offers only HTTP/2 still gets it."""
    with httpx.Client(verify=False, http2=True) as c:  # offers h2 and http/1.1
        assert c.get(f"{server.url}/status.php").http_version == "HTTP/1.1"
    with make_client(server.url, http2=True) as c:  # offers h2 only
        assert c.get("/status.php").http_version == "HTTP/2"
    curl = shutil.which("curl")
    if curl is None:
        pytest.fail("curl is missing (make test installs it)")
    out = subprocess.run([curl, "-sk", "-o", "/dev/null", "-w", "%{http_version}", f"{server.url}/status.php"],
                         capture_output=True, text=True, timeout=30, check=True).stdout
    assert out == "1.1"  # curl offers h2 first
