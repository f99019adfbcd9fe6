"""Adapting wsgidav's responses to what ownCloud clients expect.

* MKCOL/MOVE/COPY answers carry ``ETag``/``OC-ETag``/``OC-FileId`` of the resulting node (the
  desktop reads the id after MKCOL), and apply ``X-OC-Mtime`` on MOVE/COPY (rclone).
* MKCOL/MOVE/COPY/DELETE/UNLOCK successes have no body (wsgidav writes a small HTML page).
* Error answers get a Sabre-style ``<d:error>`` XML body instead of wsgidav's HTML page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ocis.core.errors import OcisError
from ocis.dav.errors import error_body
from ocis.storage.api import Storage

_WITH_NODE_HEADERS = {"MKCOL", "MOVE", "COPY"}
_NO_SUCCESS_BODY = {"MKCOL", "MOVE", "COPY", "DELETE", "UNLOCK"}


class ResponseAdapter:
    """WSGI middleware around wsgidav for one request."""

    def __init__(self, app: Callable[..., Any], method: str, storage: Storage, space_id: str, node_path: str,
                 mtime: float | None) -> None:
        self.app, self.method, self.storage = app, method, storage
        self.space_id, self.node_path, self.mtime = space_id, node_path, mtime

    def _node_headers(self) -> list[tuple[str, str]]:
        try:
            if self.mtime is not None and self.method != "MKCOL":
                self.storage.set_mtime(self.space_id, self.node_path, self.mtime)
            info = self.storage.stat(self.space_id, self.node_path)
        except OcisError:
            return []
        headers = [("ETag", f'"{info.etag}"'), ("OC-ETag", f'"{info.etag}"'), ("OC-FileId", info.id)]
        if self.mtime is not None:
            headers.append(("X-OC-MTime", "accepted"))
        return headers

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
        replacement: list[bytes | None] = [None]

        def sr(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            code = int(status[:3])
            if code in (201, 204) and self.method in _WITH_NODE_HEADERS:
                headers = list(headers) + self._node_headers()
            body: bytes | None = None
            if 200 <= code < 300 and code != 207 and self.method in _NO_SUCCESS_BODY:
                body = b""
            elif code >= 400:
                body = error_body(code, status[4:] or str(code))
            if body is not None:
                replacement[0] = body
                headers = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
                headers.append(("Content-Length", str(len(body))))
                if body:
                    headers.append(("Content-Type", "application/xml; charset=utf-8"))
            return start_response(status, headers, exc_info)

        result = self.app(environ, sr)
        try:
            for chunk in result:
                if replacement[0] is None:
                    yield chunk
            if replacement[0]:
                yield replacement[0]
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
