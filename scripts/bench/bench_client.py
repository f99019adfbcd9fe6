"""A small HTTPS/1.1 WebDAV client for the benchmark, on ``http.client`` (one keep-alive connection).

Why not httpx: its per-request cost (~0.3 ms) would be a large part of a 1 kB PUT on loopback. This
client does no parsing of response bodies (PROPFIND answers are read as bytes only), so client-side
XML work is never counted, and the cost per request is the same for every server.
"""

from __future__ import annotations

import base64
import http.client
import ssl
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TypeAlias
from urllib.parse import quote, urlsplit

BLOCK = 1024 * 1024
Body: TypeAlias = bytes | Iterable[bytes | memoryview] | None

# What the ownCloud desktop client asks for when it lists a folder (stack-notes §4): the same body is
# sent to every server; properties a server does not know come back as 404 propstats.
PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop>'
    b"<d:resourcetype/><d:getlastmodified/><d:getcontentlength/><d:getetag/>"
    b"<oc:id/><oc:downloadURL/><oc:dDC/><oc:permissions/><oc:checksums/><oc:data-fingerprint/><oc:share-types/>"
    b"</d:prop></d:propfind>"
)


class HTTPStatusError(Exception):
    """A request answered with an unexpected status."""


@dataclass(frozen=True)
class Target:
    """Where a server's WebDAV tree is, and who may write to it.

    Attributes:
        name: short name for the table (``ours``, ``apache``, ``rclone``).
        url: ``https://127.0.0.1:<port>``.
        root: path of the user's WebDAV root, ending in ``/`` (``/remote.php/dav/files/einstein/``).
        user, password: Basic credentials.
    """

    name: str
    url: str
    root: str
    user: str
    password: str

    @property
    def dav_url(self) -> str:
        return self.url + self.root


def _tls() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


_CTX = _tls()


class DavConn:
    """One keep-alive HTTPS connection to a target; paths are relative to its WebDAV root."""

    def __init__(self, target: Target, timeout: float = 300.0) -> None:
        parts = urlsplit(target.url)
        self.target = target
        self._conn = http.client.HTTPSConnection(parts.hostname or "127.0.0.1", parts.port, context=_CTX,
                                                 timeout=timeout, blocksize=BLOCK)
        token = base64.b64encode(f"{target.user}:{target.password}".encode()).decode()
        self._auth = f"Basic {token}"
        self._buf = bytearray(BLOCK)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> DavConn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.target.root + quote(path.lstrip("/"), safe="/")

    def request(self, method: str, path: str, body: Body = None,
                headers: dict[str, str] | None = None, ok: tuple[int, ...] = (200, 201, 204, 207)) -> bytes:
        """Send a request and read the whole answer; raise HTTPStatusError unless its status is in ``ok``."""
        status, data = self.raw(method, path, body, headers)
        if status not in ok:
            raise HTTPStatusError(f"{self.target.name}: {method} {path} -> {status} {data[:200]!r}")
        return data

    def raw(self, method: str, path: str, body: Body = None, headers: dict[str, str] | None = None,
            *, absolute: bool = False) -> tuple[int, bytes]:
        """Send a request, read the whole answer: (status, body). ``absolute``: ``path`` is not
        relative to the WebDAV root."""
        hdrs = {"Authorization": self._auth}
        if headers:
            hdrs.update(headers)
        if body is None and method in ("PUT", "PROPFIND", "MKCOL"):
            hdrs.setdefault("Content-Length", "0")
        url = path if absolute else self.url(path)
        try:
            self._conn.request(method, url, body=body, headers=hdrs)
            resp = self._conn.getresponse()
            data = resp.read()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # the server closed an idle keep-alive connection (or its keep-alive limit): retry once,
            # unless the body was a stream that is now used up
            if body is not None and not isinstance(body, bytes):
                raise
            self._conn.close()
            self._conn.request(method, url, body=body, headers=hdrs)
            resp = self._conn.getresponse()
            data = resp.read()
        return resp.status, data

    def mkcol(self, path: str) -> None:
        self.request("MKCOL", path, ok=(201,))

    def put(self, path: str, data: bytes) -> None:
        self.request("PUT", path, data, {"Content-Length": str(len(data))}, ok=(200, 201, 204))

    def put_stream(self, path: str, size: int, chunks: Iterable[bytes | memoryview]) -> None:
        self.request("PUT", path, chunks, {"Content-Length": str(size)}, ok=(200, 201, 204))

    def get_stream(self, path: str) -> int:
        """GET a file, reading it in 1 MiB blocks into a reused buffer; returns the byte count."""
        hdrs = {"Authorization": self._auth}
        self._conn.request("GET", self.url(path), headers=hdrs)
        resp = self._conn.getresponse()
        if resp.status != 200:
            data = resp.read()
            raise HTTPStatusError(f"{self.target.name}: GET {path} -> {resp.status} {data[:200]!r}")
        view = memoryview(self._buf)
        total = 0
        while n := resp.readinto(view):
            total += n
        return total

    def propfind(self, path: str, depth: str = "1") -> bytes:
        return self.request("PROPFIND", path, PROPFIND_BODY,
                            {"Depth": depth, "Content-Type": "application/xml; charset=utf-8",
                             "Content-Length": str(len(PROPFIND_BODY))}, ok=(207,))

    def delete(self, path: str) -> None:
        self.request("DELETE", path, ok=(200, 204))

    def timed(self, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> tuple[float, int, bytes]:
        t0 = time.perf_counter()
        status, data = self.raw(method, path, body, headers)
        return time.perf_counter() - t0, status, data


def pattern_chunks(size: int, pattern: bytes, block: int = BLOCK) -> Iterator[memoryview]:
    """``size`` bytes cut from a repeated ``pattern`` (at least ``block`` long), as memoryview blocks."""
    view = memoryview(pattern)
    left = size
    offset = 0
    while left > 0:
        n = min(block, left, len(pattern) - offset)
        yield view[offset:offset + n]
        left -= n
        offset = (offset + n) % len(pattern)


def file_chunks(path: str, block: int = BLOCK) -> Iterator[memoryview]:
    """A file's content in ``block``-sized pieces (read into one reused buffer)."""
    buf = bytearray(block)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            yield view[:n]
