"""Log setup and the access log.

:func:`setup_logging` sends every logger to stderr: one JSON object per line when stderr is not a
terminal (for journald, docker, CI), a short human-readable line when it is.

:class:`AccessLogMiddleware` is the outermost ASGI layer. For each HTTP request it takes the
client's ``X-Request-ID`` (if it is 1-128 characters of ``[A-Za-z0-9._:+/=-]``) or makes one,
stores it in ``scope["ocis.request_id"]``, echoes it in the response header, and logs one line at
the end on logger ``ocis.access``: method, path (no query string: it may carry signatures), status,
response body bytes, duration in milliseconds, request id, user (if the proxy authenticated one),
client address and HTTP version. Request headers are never logged, so neither are
``Authorization`` values or passwords.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ocis.core.principal import SCOPE_KEY
from ocis.runtime.body_timeout import TIMED_OUT

REQUEST_ID_KEY = "ocis.request_id"
_REQUEST_ID_RE = re.compile(rb"^[A-Za-z0-9._:+/=-]{1,128}$")

access_log = logging.getLogger("ocis.access")

# Attributes every LogRecord has; anything else was passed via `extra=` and is logged as a field.
_STANDARD_ATTRS = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "msg", <extra fields>..., "exc"}`` on one line."""

    _second = -1
    _stamp = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:  # strftime once per second: one line per request goes through here
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        doc: dict[str, Any] = {
            "time": f"{self._stamp}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


class HumanFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger: message`` plus the traceback, if any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")


def setup_logging(level: str = "info", *, json_lines: bool | None = None, stream: TextIO | None = None) -> None:
    """Configure the root logger.

    Args:
        level: debug | info | warning | error.
        json_lines: force JSON (True) or human (False); default: JSON unless ``stream`` is a TTY.
        stream: where to write (default ``sys.stderr``).
    """
    out = stream if stream is not None else sys.stderr
    if json_lines is None:
        json_lines = not (hasattr(out, "isatty") and out.isatty())
    # No record needs the caller's file/line, thread or process (neither formatter prints them):
    # skipping them saves a stack walk and a few calls per line (one access-log line per request).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter() if json_lines else HumanFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # hypercorn's own "Running on ..." lines duplicate ours; keep its warnings and errors.
    logging.getLogger("hypercorn.error").setLevel("DEBUG" if level == "debug" else "WARNING")


def _request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"x-request-id":
            if _REQUEST_ID_RE.match(value):
                return bytes(value).decode("ascii")
            break
    return os.urandom(16).hex()  # 128 random bits as 32 hex digits, like uuid4().hex without its object


class AccessLogMiddleware:
    """Request ids and one access-log line per HTTP request. See the module docstring."""

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.log = logger or access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        scope[REQUEST_ID_KEY] = rid
        start = time.perf_counter()
        status = 0
        size = 0

        async def logging_send(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.start":
                status = message["status"]
                # ASGI header names are lower-case bytes: a plain comparison finds an app's own id
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"x-request-id"]
                headers.append((b"x-request-id", rid.encode("ascii")))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, logging_send)
        except BaseException:
            status = status or 500
            raise
        finally:
            self._log(scope, status, size, (time.perf_counter() - start) * 1000.0, rid)

    def _log(self, scope: Scope, status: int, size: int, ms: float, rid: str) -> None:
        principal = scope.get(SCOPE_KEY)
        user = getattr(principal, "username", "") or ""
        client = scope.get("client")
        remote = client[0] if client else ""
        if not status and scope.get(TIMED_OUT):
            status = 408  # answered by the HTTP/1.1 layer after the app gave up on the body
        fields = {
            "method": scope["method"], "path": scope["path"], "status": status, "bytes": size,
            "duration_ms": round(ms, 2), "request_id": rid, "user": user, "remote": remote,
            "proto": scope.get("http_version", ""),
        }
        # 500 is ours to fix; other 5xx (501, 502, 503, 507 quota) are expected answers to what a client
        # asked; 0 means the client went away before an answer
        level = logging.ERROR if status == 500 else logging.WARNING if status > 500 else logging.INFO
        self.log.log(level, "%s %s %s %dB %.1fms rid=%s%s", scope["method"], scope["path"], status or "-", size,
                     ms, rid, f" user={user}" if user else "", extra=fields)
