"""HTTP/1.1 connections served on httptools (llhttp) instead of hypercorn's h11 protocol (RFC 9112).

Why: on a small request (1 KiB PUT, PROPFIND Depth 0) hypercorn's HTTP/1.1 path cost more server
CPU than Apache's whole request: h11 parses and writes in pure Python, and every request spawns an
app task, passes each body message through a memory channel, takes a send lock and restarts an idle
timer task: ~13 trips through trio's scheduler per request. Here one task per connection reads,
parses with llhttp (C), calls the ASGI app inline and writes the head and the first body block in one
TLS record. hypercorn still does everything else: listening, TLS set-up, lifespan, HTTP/2 (ALPN
``h2``), graceful shutdown; a connection that is not HTTP/1.1 is handed back to it
(:func:`serve_connection`): over TLS that is decided by ALPN alone (no ALPN means HTTP/1.1, as
RFC 9113 §3.3 requires ALPN for HTTP/2 over TLS); over plain TCP by the HTTP/2 preface or an
``Upgrade: h2c`` request.

Behaviour kept from hypercorn's HTTP/1.1 path: keep-alive with ``keep_alive_timeout`` and
``keep_alive_max_requests``, ``h11_max_incomplete_size`` for a request head (431 beyond it),
``Expect: 100-continue`` answered when the app first reads the body, ``date`` header, HEAD/204/304
without a body, a 500 when the app ends without answering, a response without ``content-length``
sent chunked (or with its length when the app sent it in one message), sends to a closed connection
ignored. Differences: an unread request body is read and dropped after the answer when it is small
(``DRAIN_LIMIT``), else the connection is closed; a response whose body does not match its
``content-length`` closes the connection; an ``Upgrade`` request is answered as plain HTTP/1.1
and the connection closed after it. Stricter than h11 (RFC 9112): a missing or repeated ``Host``,
transfer codings other than ``chunked``, versions other than 1.0/1.1, unknown methods, a head not
complete within ``keep_alive_timeout`` of its first byte, and chunk framing (sizes, extensions,
trailers) out of proportion to the body are answered with an error and the connection closed; after
such an answer, what the client still sends is read for a moment (so it sees the answer, not a
reset), and TLS connections end with a close_notify.
"""

from __future__ import annotations

from ocis.runtime.h1.connection import H1Connection, serve_connection
from ocis.runtime.h1.parser import HAVE_HTTPTOOLS

__all__ = ["H1Connection", "available", "serve_connection"]


def available() -> bool:
    """Whether the fast path can be used (httptools is importable)."""
    return HAVE_HTTPTOOLS
