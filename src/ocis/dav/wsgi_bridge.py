"""A streaming trio <-> WSGI bridge for wsgidav.

a2wsgi is asyncio-only, Starlette's WSGIMiddleware buffers quadratically and hypercorn's
TrioWSGIMiddleware caps bodies at 64 KiB (stack-notes §1), so this one streams both ways: the WSGI
app runs in a worker thread, ``wsgi.input.read()`` pulls ASGI body messages through
``trio.from_thread.run``, and response chunks are sent the same way.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable
from typing import Any

import trio
from starlette.types import Message, Receive, Scope, Send

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ClientDisconnected(OSError):
    """The client went away while its request body was being read."""


class _Input:
    """``wsgi.input`` over ASGI ``http.request`` messages."""

    def __init__(self, receive: Receive) -> None:
        self._receive = receive
        self._buf = bytearray()
        self._eof = False

    def _fill(self) -> None:
        msg: Message = trio.from_thread.run(self._receive)
        if msg["type"] == "http.disconnect":
            self._eof = True
            raise ClientDisconnected("client disconnected")
        self._buf += msg.get("body", b"")
        if not msg.get("more_body", False):
            self._eof = True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            while not self._eof:
                self._fill()
            data = bytes(self._buf)
            self._buf.clear()
            return data
        while len(self._buf) < size and not self._eof:
            self._fill()
        data = bytes(self._buf[:size])
        del self._buf[:size]
        return data

    def readline(self, size: int = -1) -> bytes:
        while b"\n" not in self._buf and not self._eof and (size < 0 or len(self._buf) < size):
            self._fill()
        i = self._buf.find(b"\n")
        n = len(self._buf) if i < 0 else i + 1
        if size >= 0:
            n = min(n, size)
        data = bytes(self._buf[:n])
        del self._buf[:n]
        return data

    def __iter__(self) -> Any:
        while line := self.readline():
            yield line


def build_environ(scope: Scope, receive: Receive, script_name: str, path_info: str) -> dict[str, Any]:
    """A WSGI environ for ``scope``; paths are given decoded (they become WSGI latin-1 strings)."""
    server = scope.get("server") or ("localhost", 80)
    env: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name.encode("utf-8").decode("latin-1"),
        "PATH_INFO": path_info.encode("utf-8").decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": _Input(receive),
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        env["REMOTE_ADDR"], env["REMOTE_PORT"] = scope["client"][0], str(scope["client"][1])
    for raw_key, raw_value in scope.get("headers", []):
        key, value = raw_key.decode("latin-1"), raw_value.decode("latin-1")
        if key == "content-length":
            name = "CONTENT_LENGTH"
        elif key == "content-type":
            name = "CONTENT_TYPE"
        elif key == "transfer-encoding":
            continue  # the body arrives de-chunked
        else:
            name = "HTTP_" + key.upper().replace("-", "_")
        env[name] = f"{env[name]},{value}" if name in env else value
    if "HTTP_HOST" not in env:
        env["HTTP_HOST"] = f"{server[0]}:{server[1]}"
    return env


async def run_wsgi(app: WSGIApp, environ: dict[str, Any], send: Send, limiter: trio.CapacityLimiter) -> None:
    """Run ``app`` for one request in a worker thread, streaming its response to ``send``."""
    await trio.to_thread.run_sync(_run, app, environ, send, limiter=limiter)


def _run(app: WSGIApp, environ: dict[str, Any], send: Send) -> None:
    state: dict[str, Any] = {"started": False, "status": 500, "headers": []}

    def push(data: bytes, more: bool = True) -> None:
        if not state["started"]:
            state["started"] = True
            trio.from_thread.run(send, {"type": "http.response.start", "status": state["status"],
                                        "headers": state["headers"]})
        trio.from_thread.run(send, {"type": "http.response.body", "body": bytes(data), "more_body": more})

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[..., Any]:
        if exc_info and state["started"]:
            raise exc_info[1].with_traceback(exc_info[2])
        state["status"] = int(status.split(" ", 1)[0])
        state["headers"] = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        return push

    try:
        result = app(environ, start_response)
        try:
            for chunk in result:
                if chunk:
                    push(chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except ClientDisconnected:
        return
    except Exception:
        log.exception("WSGI application failed")
        if not state["started"]:
            state["status"], state["headers"] = 500, [(b"content-length", b"0")]
            push(b"", more=False)
        return
    push(b"", more=False)
