"""Raw HTTP/1.1 over TLS, for requests httpx refuses to send (bad Content-Length, ``..`` in paths)."""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from base64 import b64encode
from dataclasses import dataclass, field


@dataclass
class RawResponse:
    status: int | None  # None = the server closed without answering
    head: str = field(repr=False)
    body: bytes = field(repr=False)
    raw: bytes = field(repr=False)


def basic_auth(user: str, password: str) -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode()


def tls_connect(port: int, timeout: float = 10.0) -> ssl.SSLSocket:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def build_request(method: str, target: str, headers: dict[str, str], port: int) -> bytes:
    lines = [f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def parse_response(data: bytes) -> RawResponse:
    head, _, body = data.partition(b"\r\n\r\n")
    text = head.decode("latin-1", "replace")
    status: int | None = None
    first = text.split("\r\n", 1)[0]
    parts = first.split(" ")
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        status = int(parts[1])
    return RawResponse(status=status, head=text, body=body, raw=data)


def read_all(sock: ssl.SSLSocket, timeout: float = 10.0, limit: int = 1 << 20) -> bytes:
    """Read until the server closes, ``timeout`` passes, or ``limit`` bytes arrived."""
    sock.settimeout(0.5)
    buf = bytearray()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(buf) < limit:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            if _complete(bytes(buf)):
                break
            continue
        except (ssl.SSLError, OSError):
            break
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _complete(data: bytes) -> bool:
    """A full response with Content-Length is in ``data``."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and value.strip().isdigit():
            return len(body) >= int(value.strip())
    return False


def request(
    port: int,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    timeout: float = 10.0,
) -> RawResponse:
    """Send one request exactly as given (``Connection: close``) and read the answer."""
    hdrs = {"Connection": "close", **(headers or {})}
    if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in hdrs):
        hdrs["Content-Length"] = str(len(body))
    with tls_connect(port, timeout) as s:
        s.sendall(build_request(method, target, hdrs, port) + body)
        return parse_response(read_all(s, timeout))


def send_and_abort(
    port: int, method: str, target: str, headers: dict[str, str], body: bytes, *, linger: float = 0.2
) -> None:
    """Send headers and (part of) a body, then close the connection without reading the answer."""
    s = tls_connect(port)
    try:
        s.sendall(build_request(method, target, headers, port))
        s.sendall(body)
        time.sleep(linger)
    finally:
        with contextlib.suppress(OSError):
            s.close()
