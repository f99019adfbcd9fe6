"""The HTTP/1.1 connection handler (runtime/h1.py) over real loopback TCP, with small ASGI apps.

Each test sends raw bytes exactly as a client would and checks the raw answer: framing, keep-alive,
pipelining, Expect: 100-continue, errors. The TLS path and the whole server are covered by the
integration and client tests (litmus, owncloudcmd, rclone, curl all speak HTTP/1.1 through it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from asgi_client import echo
from hypercorn.config import Config
from hypercorn.trio.worker_context import WorkerContext

from ocis.runtime import h1
from ocis.runtime.h1 import connection

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class _Server:
    """What serve_connection needs of hypercorn's TCPServer."""

    def __init__(self, stream: Any, app: App, config: Config, context: WorkerContext) -> None:
        async def wrapped(scope: Any, receive: Any, send: Any, *_: Any) -> None:
            await app(scope, receive, send)

        self.stream = stream
        self.app = wrapped
        self.config = config
        self.context = context
        self.state: dict[str, Any] = {}


def _config(**overrides: Any) -> Config:
    cfg = Config()
    cfg.keep_alive_timeout = 5
    for k, v in overrides.items():
        setattr(cfg, k, v)
    return cfg


@asynccontextmanager
async def _connected(app: App, cfg: Config, ctx: WorkerContext,
                     hypercorn_run: Any = None) -> AsyncIterator[tuple[trio.SocketStream, trio.Nursery]]:
    """A loopback listener served by h1.serve_connection, and a client connected to it; the
    nursery is there to run more client tasks. Everything stops when the block ends."""
    listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
    port = listeners[0].socket.getsockname()[1]

    async def handler(stream: Any) -> None:
        await h1.serve_connection(_Server(stream, app, cfg, ctx), hypercorn_run)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(trio.serve_listeners, handler, listeners)
        client = await trio.open_tcp_stream("127.0.0.1", port)
        try:
            yield client, nursery
        finally:
            await client.aclose()
            nursery.cancel_scope.cancel()


async def _read_to_close(client: trio.SocketStream, seconds: float = 10) -> bytes:
    out = bytearray()
    with trio.fail_after(seconds):
        while chunk := await client.receive_some(65536):
            out += chunk
    return bytes(out)


async def _exchange(app: App, data: bytes | list[bytes], *, config: Config | None = None,
                    pause: float = 0.0, handed_over: list[bytes] | None = None,
                    context: WorkerContext | None = None) -> bytes:
    """Serve one connection with ``app``; send ``data`` (pieces with ``pause`` between them), close
    our sending side, and return everything the server sent until it closed."""

    async def hypercorn_run(server: Any) -> None:  # stands in for hypercorn's own protocol
        assert handed_over is not None
        handed_over.append(bytes(await server.stream.receive_some(65536)))
        await server.stream.aclose()

    async with _connected(app, config or _config(), context or WorkerContext(None), hypercorn_run) as (client, _):
        try:
            for piece in ([data] if isinstance(data, bytes) else data):
                await client.send_all(piece)
                if pause:
                    await trio.sleep(pause)
            await client.send_eof()
        except trio.BrokenResourceError:
            pass  # the server closed early (an error answer): read what it sent
        return await _read_to_close(client)


def _responses(raw: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Split a byte stream of responses (content-length or chunked; 1xx have no body)."""
    out = []
    rest = raw
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, f"incomplete head: {head!r}"
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        body = b""
        if "content-length" in headers:
            n = int(headers["content-length"])
            body, rest = rest[:n], rest[n:]
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line, 16)
                body += rest[:size]
                rest = rest[size + 2:]
                if size == 0:
                    break
        out.append((status, headers, body))
    return out


def get(path: str = "/", extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def put(body: bytes, path: str = "/f", extra: str = "") -> bytes:
    return f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


def test_a_long_url_within_the_head_limit_is_served() -> None:
    raw = trio.run(_exchange, echo, get("/" + "a" * 12_000))
    assert raw.startswith(b"HTTP/1.1 200 ")


def test_keep_alive_and_length_of_a_single_message_body() -> None:
    raw = trio.run(_exchange, echo, [get("/a"), put(b"hello", "/b%20c")], )
    (s1, h1_, b1), (s2, h2_, b2) = _responses(raw)
    assert (s1, b1, h1_["x-path"]) == (200, b"GET ", "/a")
    assert (s2, b2, h2_["x-path"]) == (200, b"PUT hello", "/b c")  # path percent-decoded
    assert h1_["content-length"] == "4" and "date" in h1_ and "connection" not in h1_


def test_pipelined_requests_in_one_write_are_answered_in_order() -> None:
    raw = trio.run(_exchange, echo, put(b"one", "/1") + get("/2") + put(b"three", "/3"))
    assert [b for _, _, b in _responses(raw)] == [b"PUT one", b"GET ", b"PUT three"]


def test_chunked_request_body_reaches_the_app_whole() -> None:
    req = b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    raw = trio.run(_exchange, echo, req)
    assert _responses(raw)[0][2] == b"PUT hello world"


def test_body_arriving_in_pieces() -> None:
    body = bytes(range(256)) * 1000
    req = put(body)
    raw = trio.run(lambda: _exchange(echo, [req[:100], req[100:70000], req[70000:]], pause=0.05))
    assert _responses(raw)[0][2] == b"PUT " + body


def test_streamed_response_is_chunked() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"ab", b"", b"cd"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    (status, headers, body), (_, _, again) = _responses(trio.run(_exchange, app, get() + get()))
    assert status == 200 and headers["transfer-encoding"] == "chunked" and body == b"abcd" and again == b"abcd"


def test_http10_gets_the_body_then_the_connection_closes() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": True})
        await send({"type": "http.response.body", "body": b"y"})

    raw = trio.run(_exchange, app, b"GET / HTTP/1.0\r\n\r\n" + get())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"connection: close" in head and b"transfer-encoding" not in head and body == b"xy"


def test_head_and_204_carry_no_body() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        status = 204 if scope["path"] == "/none" else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"5")]})
        await send({"type": "http.response.body", "body": b"hello"})

    raw = trio.run(_exchange, app, b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n" + get("/none") + get("/"))
    # HEAD keeps the length of the GET it stands for, without the bytes; 204 has neither
    assert raw.count(b"hello") == 1
    first, second, third = raw.split(b"HTTP/1.1 ")[1:]
    assert b"content-length: 5" in first and first.endswith(b"\r\n\r\n")
    assert second.startswith(b"204") and b"content-length" not in second
    assert third.endswith(b"hello")


def test_expect_100_continue_is_answered_when_the_app_reads() -> None:
    head = b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    raw = trio.run(lambda: _exchange(echo, [head, b"abc"], pause=0.2))
    assert raw.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 ")
    assert raw.endswith(b"PUT abc")


def test_expect_100_continue_refused_without_reading_closes() -> None:
    async def deny(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 401, "headers": []})
        await send({"type": "http.response.body", "body": b"no"})

    head = b"PUT /e HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n"
    raw = trio.run(_exchange, deny, head)
    assert b"100 Continue" not in raw
    assert raw.count(b"HTTP/1.1 ") == 1 and raw.startswith(b"HTTP/1.1 401 ") and b"connection: close" in raw


def test_small_unread_body_is_dropped_and_the_connection_goes_on() -> None:
    async def ignore(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 403, "headers": []})
        await send({"type": "http.response.body", "body": b"nope"})

    raw = trio.run(lambda: _exchange(ignore, [put(b"z" * 100_000)[:50_000], put(b"z" * 100_000)[50_000:] + get()],
                                     pause=0.1))
    assert [s for s, _, _ in _responses(raw)] == [403, 403]


def test_large_unread_body_closes_the_connection() -> None:
    async def ignore(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    head = b"PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
    raw = trio.run(_exchange, ignore, head + b"z" * 1000)
    assert raw.startswith(b"HTTP/1.1 413 ") and b"connection: close" in raw and raw.count(b"HTTP/1.1") == 1


def test_app_error_before_answering_is_a_500() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    async def silent(scope: Any, receive: Any, send: Any) -> None:
        return None

    for app in (broken, silent):
        raw = trio.run(_exchange, app, get() + get())
        assert raw.startswith(b"HTTP/1.1 500 ") and raw.count(b"HTTP/1.1") == 1


def test_header_injection_in_a_response_becomes_a_500() -> None:
    async def bad(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"x-name", b"a\r\nset-cookie: evil=1")]})
        await send({"type": "http.response.body", "body": b"x"})

    raw = trio.run(_exchange, bad, get())
    assert raw.startswith(b"HTTP/1.1 500 ") and b"evil" not in raw


def test_body_longer_than_its_content_length_is_cut_and_the_connection_closed() -> None:
    async def liar(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"3")]})
        await send({"type": "http.response.body", "body": b"abcdef"})

    raw = trio.run(_exchange, liar, get() + get())
    assert raw.endswith(b"\r\n\r\nabc") and raw.count(b"HTTP/1.1") == 1


@pytest.mark.parametrize("data, status", [
    (b"NOT HTTP AT ALL\r\n\r\n", 501),            # an unknown method (RFC 9110 §15.6.2)
    (b"GET / HTTP/1.1\r\n\r\n", 400),                # no Host (RFC 9112 §3.2)
    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
    (b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
    (b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\nabc", 400),
    (b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n", 431),
    (b"GET /" + b"a" * 17_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),  # RFC 9110 §15.5.15
    ([b"GET / HTTP/1.1\r\nHost: x\r\nX-Endless: " + b"a" * 20_000, b"a" * 20_000], 431),
])
def test_malformed_or_oversized_requests(data: bytes | list[bytes], status: int) -> None:
    raw = trio.run(lambda: _exchange(echo, data, pause=0.1))
    assert raw.startswith(b"HTTP/1.1 %d " % status) and b"connection: close" in raw


def test_connection_close_request_is_honoured() -> None:
    raw = trio.run(_exchange, echo, get(extra="Connection: close\r\n") + get("/never"))
    assert raw.count(b"HTTP/1.1 200") == 1 and b"connection: close" in raw


def test_plain_http2_preface_is_handed_to_hypercorn_with_its_bytes() -> None:
    handed: list[bytes] = []
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    trio.run(lambda: _exchange(echo, preface, handed_over=handed))
    assert handed == [preface]


def test_h2c_upgrade_request_is_handed_to_hypercorn() -> None:
    handed: list[bytes] = []
    req = get(extra="Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n")
    trio.run(lambda: _exchange(echo, req, handed_over=handed))
    assert handed == [req]


def test_idle_connection_closes_after_the_keep_alive_timeout() -> None:
    async def main() -> float:
        t0 = trio.current_time()
        # one request, then the client stays silent (its send side open) until the server closes
        async with _connected(echo, _config(keep_alive_timeout=0.3), WorkerContext(None)) as (client, _):
            await client.send_all(get())
            await _read_to_close(client, 5)
        return trio.current_time() - t0

    assert 0.25 < trio.run(main) < 3


def test_server_shutdown_closes_idle_connections() -> None:
    async def main() -> bytes:
        ctx = WorkerContext(None)
        async with _connected(echo, _config(keep_alive_timeout=60), ctx) as (client, _):
            await client.send_all(get())
            await trio.sleep(0.2)
            await ctx.terminated.set()
            return await _read_to_close(client, 5)

    assert trio.run(main).startswith(b"HTTP/1.1 200 ")


def test_rejected_requests_never_reach_the_app() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["method"])
        await echo(scope, receive, send)

    for req in (b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                b"PUT / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\nabc",
                b"GET / HTTP/1.1\r\n\r\n"):
        trio.run(_exchange, app, req)
    assert seen == []


def test_a_broken_chunked_body_is_a_disconnect_for_the_app_and_a_400() -> None:
    got: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            got.append(msg)
            if msg["type"] == "http.disconnect" or not msg.get("more_body"):
                return
        # never answers: the upload is incomplete

    req = b"PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    raw = trio.run(lambda: _exchange(app, [req, b"zz\r\n\r\n"], pause=0.1))
    assert raw.startswith(b"HTTP/1.1 400 ")
    assert got[-1] == {"type": "http.disconnect"} and all(m.get("more_body", True) for m in got[:-1])


def test_endless_trailers_or_chunk_extensions_are_cut_off() -> None:
    head = b"PUT /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    trailers = [head + b"0\r\n"] + [(b"X-T: " + b"a" * 1000 + b"\r\n") * 20] * 10
    extension = [head + b"5;e="] + [b"a" * 20000] * 10
    for pieces in (trailers, extension):
        raw = trio.run(lambda pieces=pieces: _exchange(echo, pieces, pause=0.02))
        assert raw.startswith(b"HTTP/1.1 400 ") and b"connection: close" in raw


def test_trailers_within_limits_are_accepted_and_not_passed_as_headers() -> None:
    headers: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await echo(scope, receive, send)
        headers.extend(scope["headers"])

    req = (b"PUT /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n"
           b"X-Trailer: 1\r\n\r\n")
    raw = trio.run(_exchange, app, req)
    assert raw.endswith(b"PUT hello") and (b"x-trailer", b"1") not in headers


def test_http10_expect_is_ignored_and_keep_alive_is_echoed() -> None:
    req = b"PUT /e HTTP/1.0\r\nContent-Length: 3\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\n"
    raw = trio.run(lambda: _exchange(echo, [req, b"abc"], pause=0.2))
    assert b"100 Continue" not in raw and b"connection: keep-alive" in raw and raw.endswith(b"PUT abc")


def test_absolute_form_target_is_served_by_its_path() -> None:
    raw = trio.run(_exchange, echo, b"GET https://example.org/a%20b?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n")
    assert _responses(raw)[0][1]["x-path"] == "/a b"


def test_a_head_trickling_in_is_cut_off_after_the_keep_alive_timeout() -> None:
    async def main() -> tuple[bytes, float]:
        async with _connected(echo, _config(keep_alive_timeout=0.6), WorkerContext(None)) as (client, nursery):
            t0 = trio.current_time()

            async def trickle() -> None:
                for byte in get():  # one byte every 0.1 s: each read is well within the timeout
                    await client.send_all(bytes([byte]))
                    await trio.sleep(0.1)

            nursery.start_soon(trickle)
            out = bytearray()
            elapsed = 0.0
            with trio.fail_after(8):
                while chunk := await client.receive_some(65536):
                    elapsed = elapsed or trio.current_time() - t0
                    out += chunk
        return bytes(out), elapsed

    raw, answered_after = trio.run(main)
    # the head (~20 bytes) would take ~2 s: the answer comes at the 0.6 s deadline instead
    assert raw.startswith(b"HTTP/1.1 408 ") and 0.5 < answered_after < 1.5


@pytest.mark.parametrize("setting", ["default", "read_timeout"])
def test_a_body_that_stops_arriving_gets_408_and_the_app_sees_a_disconnect(monkeypatch: pytest.MonkeyPatch,
                                                                           setting: str) -> None:
    """Without hypercorn's read_timeout, BODY_TIMEOUT applies (60 s; shortened here)."""
    if setting == "default":
        monkeypatch.setattr(connection, "BODY_TIMEOUT", 0.5)
    cfg = _config() if setting == "default" else _config(read_timeout=0.5)
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while True:
            msg = await receive()
            seen.append(msg["type"])
            if msg["type"] == "http.disconnect" or not msg.get("more_body"):
                return  # a disconnect: like our PUT, nothing is stored and nothing answered

    async def main() -> tuple[bytes, float]:
        async with _connected(app, cfg, WorkerContext(None)) as (client, _):
            t0 = trio.current_time()
            await client.send_all(put(b"x" * 100)[:-90])  # the head and 10 of 100 body bytes, then silence
            raw = await _read_to_close(client)
            return raw, trio.current_time() - t0

    raw, after = trio.run(main)
    assert raw.startswith(b"HTTP/1.1 408 ") and b"connection: close" in raw and 0.4 < after < 4
    assert seen == ["http.request", "http.disconnect"]


def test_a_slow_body_that_keeps_arriving_is_not_cut_off() -> None:
    async def main() -> bytes:
        async with _connected(echo, _config(read_timeout=0.5), WorkerContext(None)) as (client, _):
            await client.send_all(put(b"abcdef")[:-6])
            for byte in b"abcdef":  # 1.8 s in all, each pause well within the timeout
                await trio.sleep(0.3)
                await client.send_all(bytes([byte]))
            await client.send_eof()
            return await _read_to_close(client)

    assert _responses(trio.run(main))[0][0:3:2] == (200, b"PUT abcdef")


class _Throttled:
    """A client's TCP stream that, once ``rate`` is set, sends 100 bytes at a time at ``rate`` bytes/s."""

    def __init__(self, inner: trio.SocketStream) -> None:
        self.inner = inner
        self.rate: float | None = None

    async def send_all(self, data: bytes | bytearray | memoryview) -> None:
        if self.rate is None:
            await self.inner.send_all(data)
            return
        for i in range(0, len(data), 100):
            await self.inner.send_all(data[i:i + 100])
            await trio.sleep(100 / self.rate)

    async def wait_send_all_might_not_block(self) -> None:
        await self.inner.wait_send_all_might_not_block()

    async def receive_some(self, max_bytes: int | None = None) -> bytes | bytearray:
        return await self.inner.receive_some(max_bytes)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _slow_tls_put(tmp_path: Any, body: bytes, *, head_fast: bool) -> bytes:
    """PUT ``body`` over TLS through a 2000 bytes/s link (the head at full speed, or not), on a
    server whose keep-alive and body timeouts are 0.5 s; the raw answer."""
    import ssl

    from ocis.runtime.bootstrap import generate_self_signed

    cert_pem, key_pem = generate_self_signed(["localhost"])
    (tmp_path / "c.pem").write_bytes(cert_pem)
    (tmp_path / "k.pem").write_bytes(key_pem)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    client_ctx = ssl.create_default_context()
    client_ctx.check_hostname = False
    client_ctx.verify_mode = ssl.CERT_NONE
    cfg = _config(read_timeout=0.5, keep_alive_timeout=0.5)

    async def main() -> bytes:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        port = listeners[0].socket.getsockname()[1]

        async def handler(stream: Any) -> None:
            tls = trio.SSLStream(stream, server_ctx, server_side=True)
            await h1.serve_connection(_Server(tls, echo, cfg, WorkerContext(None)), None)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(trio.serve_listeners, handler, listeners)
            link = _Throttled(await trio.open_tcp_stream("127.0.0.1", port))
            client = trio.SSLStream(link, client_ctx, server_hostname="localhost")
            await client.do_handshake()
            request = put(body)
            if head_fast:
                await client.send_all(request[:-len(body)])
                request = body
            link.rate = 2000
            await client.send_all(request)  # one TLS record (< 16 KiB)
            out = bytearray()
            with trio.fail_after(10):
                while b"\r\n\r\n" not in out or len(out) < out.index(b"\r\n\r\n") + 4 + 4 + len(body):
                    chunk = await client.receive_some(65536)
                    if not chunk:
                        break
                    out += chunk
            nursery.cancel_scope.cancel()
        return bytes(out)

    return trio.run(main)


def test_over_tls_a_body_record_arriving_slower_than_the_timeout_is_not_cut_off(tmp_path: Any) -> None:
    """On a slow link one TLS record (here 4 kB of body, ~2 s) takes longer to arrive than the body
    timeout (0.5 s) although bytes keep coming: the timeout counts bytes as they arrive, before TLS."""
    body = bytes(range(256)) * 16
    status, _, answer = _responses(_slow_tls_put(tmp_path, body, head_fast=True))[0]
    assert (status, answer) == (200, b"PUT " + body)


def test_over_tls_a_head_sharing_a_slow_record_with_the_body_is_served(tmp_path: Any) -> None:
    """curl --data-binary sends head and body in one record: ~0.8 s to arrive here, longer than the
    0.5 s keep-alive wait for a request to start (trial: dropped without an answer)."""
    body = bytes(range(256)) * 6
    status, _, answer = _responses(_slow_tls_put(tmp_path, body, head_fast=False))[0]
    assert (status, answer) == (200, b"PUT " + body)


def test_without_httptools_hypercorn_keeps_serving_http1() -> None:
    """httptools has no wheel for some platforms (Termux): the package still imports and says it is
    not available (the patch then keeps hypercorn's own HTTP/1.1 path), and the patch applies."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['httptools'] = None\n"
            "from ocis.runtime import h1, hypercorn_patch\n"
            "assert not h1.available()\n"
            "hypercorn_patch.apply()\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
