"""HTTP/1.1 request parsing for :mod:`ocis.runtime.h1`: httptools (llhttp) callbacks collect each
request's head and body blocks; :func:`check_head` refuses what llhttp lets through but RFC 9112 does
not allow. Also the status reason phrases and the ``date`` header value."""

from __future__ import annotations

from collections import deque
from http import HTTPStatus
from time import time

from ocis.core.timeutil import http_date

try:
    import httptools as httptools  # re-exported: connection.py catches its errors
    HAVE_HTTPTOOLS = True
except ImportError:  # pragma: no cover - e.g. a platform without a wheel: hypercorn's h11 serves
    httptools = None  # type: ignore[assignment]  # (then nothing here is used: h1.available() is False)
    HAVE_HTTPTOOLS = False

REASONS = {int(s): s.phrase.encode("latin-1") for s in HTTPStatus}


class HttpDate:
    """The ``date`` header value (RFC 9110 §6.6.1), formatted once per second."""

    second = -1
    value = b""

    @classmethod
    def now(cls) -> bytes:
        t = int(time())
        if t != cls.second:
            cls.second = t
            cls.value = http_date(t).encode("ascii")
        return cls.value


class Request:
    """One parsed request: head, buffered body blocks, whether its body is complete."""

    __slots__ = (
        "body",
        "body_bytes",
        "complete",
        "expect_continue",
        "framing",
        "headers",
        "keep_alive",
        "method",
        "reject",
        "target",
        "version",
    )

    def __init__(self) -> None:
        self.target = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.keep_alive = True
        self.version = "1.1"
        self.expect_continue = False
        self.reject = 0              # status to answer instead of calling the app (431, 400, 501, 505)
        self.body_bytes = 0          # body bytes parsed so far
        self.framing = 0             # other bytes parsed after the head (chunk sizes, extensions, trailers)
        self.method = "GET"


class Parser:
    """httptools callbacks: requests whose head is complete go to ``ready`` in order (pipelining)."""

    def __init__(self, max_head: int) -> None:
        self.max_head = max_head     # bytes (hypercorn's h11_max_incomplete_size)
        self.ready: deque[Request] = deque()
        self.current: Request | None = None
        self.head_bytes = 0          # size of the current head so far (h11_max_incomplete_size)
        self.in_head = False
        self.body_total = 0          # body bytes parsed on this connection
        self.parser = httptools.HttpRequestParser(self)

    def on_message_begin(self) -> None:
        self.current = Request()
        self.in_head = True
        self.head_bytes = 0

    def on_url(self, url: bytes) -> None:
        assert self.current is not None
        self.current.target += url
        self.head_bytes += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.current is not None
        if not self.in_head:
            # a trailer field (RFC 9112 §7.1.2): not passed on, only counted (framing limit)
            return
        self.head_bytes += len(name) + len(value) + 4
        self.current.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        req = self.current
        assert req is not None
        p = self.parser
        req.method = p.get_method().decode("ascii")
        req.version = p.get_http_version()
        req.keep_alive = p.should_keep_alive()
        req.reject = check_head(req, self.head_bytes > self.max_head)
        if req.reject == 431 and len(req.target) > self.max_head // 2:
            req.reject = 414  # the head is too large mostly because of its URL (RFC 9110 §15.5.15)
        if req.reject:
            req.keep_alive = False
        self.in_head = False
        self.head_bytes = 0
        self.ready.append(req)

    def on_body(self, body: bytes) -> None:
        assert self.current is not None
        self.current.body.append(body)
        self.current.body_bytes += len(body)
        self.body_total += len(body)

    def on_message_complete(self) -> None:
        assert self.current is not None
        self.current.complete = True


class Closed(Exception):
    """The client went away or sent something unparsable; the connection ends."""


_VERSIONS = frozenset(("1.0", "1.1"))


def check_head(req: Request, too_large: bool) -> int:
    """0 if the app may see the request, else the status to answer it with (the connection closes).

    Checks what llhttp lets through: the head size (431; the caller makes it 414 when the URL is
    most of it), HTTP versions other than 1.0/1.1 (505,
    RFC 9110 §15.6.6), ``Host`` missing or repeated in HTTP/1.1 (400, RFC 9112 §3.2), transfer
    codings other than a single ``chunked`` (400 when chunked is not last, RFC 9112 §6.3; else 501,
    §6.1). Also notes ``Expect: 100-continue`` (ignored in HTTP/1.0, RFC 9110 §10.1.1)."""
    if too_large:
        return 431
    if req.version not in _VERSIONS:
        return 505
    hosts = 0
    codings: list[bytes] = []
    for name, value in req.headers:
        if name == b"host":
            hosts += 1
        elif name == b"transfer-encoding":
            codings += [c.strip().lower() for c in value.split(b",")]
        elif name == b"expect" and value.strip().lower() == b"100-continue" and req.version == "1.1":
            req.expect_continue = True
    if req.version == "1.1" and hosts != 1:
        return 400
    if codings and codings != [b"chunked"]:
        return 501 if codings[-1] == b"chunked" else 400
    return 0


def content_length(headers: list[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
