"""The ``web`` service: the single-page web UI built into ``web-dist/`` (``make web``), and
``/config.json``, which tells the UI the server URL and how to sign in.

==============================  ==================================================================
path                            answer
==============================  ==================================================================
/config.json                    generated from ``OCIS_URL`` (or the ``WEB_UI_CONFIG`` file), no-cache
/assets/<name>-<hash>.<ext>     the built, content-hashed files: cached for a year, ``immutable``
/<file> (index.html, the OIDC   the file, ``no-cache`` (revalidated with its ``ETag``)
callback pages, favicon …)
/<anything else>                ``index.html`` (the UI routes itself), unless the last segment looks
                                like a file name (has an extension): 404
==============================  ==================================================================

Text files are gzip-compressed once (kept in memory) for clients that accept it. When the UI has not
been built, every page answers 503 with a short page saying how to build it; the server runs on.
Only GET and HEAD are served.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import mimetypes
import re
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from pathlib import Path

import anyio.to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from ocis.config.errors import ConfigError
from ocis.runtime.deps import Deps
from ocis.web.config import WebSettings

log = logging.getLogger("ocis.web")

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
MAX_CACHED = 4 * 1024 * 1024  # bytes; bigger files are read per request
MIN_GZIP = 1024
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest")
_HASHED = re.compile(r"[-.][A-Za-z0-9_-]{8,}\.[a-z0-9]+$")  # vite: name-<hash>.ext
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".woff2": "font/woff2",
    ".ico": "image/x-icon",
    ".map": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
NOT_BUILT_CSP = b"default-src 'none'; style-src 'unsafe-inline'"


@dataclass(frozen=True)
class _File:
    body: bytes
    gzipped: bytes | None
    etag: bytes
    last_modified: bytes
    content_type: bytes


class WebApp:
    """ASGI app serving the built UI (see the module docstring).

    Args:
        settings: where the files are and what ``/config.json`` holds.

    Raises:
        ConfigError: ``WEB_UI_CONFIG`` names a file that cannot be read or is not JSON.
    """

    def __init__(self, settings: WebSettings) -> None:
        self.settings = settings
        self.root = settings.asset_dir
        self.config_body = _config_body(settings)
        self._cache: dict[Path, tuple[tuple[int, int], _File]] = {}
        if not (self.root / "index.html").is_file():
            log.warning("web: %s has no index.html; the web UI is not built (run `make web`)", self.root)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            status = 204 if method == "OPTIONS" else 405
            await _send(send, status, [(b"allow", b"GET, HEAD, OPTIONS")], b"")
            return
        head = method == "HEAD"
        path: str = scope["path"]
        if path == "/config.json":
            await _send(send, 200, [(b"content-type", b"application/json"), (b"cache-control", REVALIDATE)],
                        self.config_body, head=head)
            return
        target = self._locate(path)
        if target is None:
            if _looks_like_file(path):
                await _send(send, 404, [(b"content-type", b"text/plain; charset=utf-8")], b"404 Not Found\n",
                            head=head)
                return
            target = self.root / "index.html"  # a route of the single-page app
            if not target.is_file():
                await self._not_built(send, head)
                return
        try:
            file = await anyio.to_thread.run_sync(self._load, target)
        except OSError:
            log.exception("web: cannot read %s", target)
            await _send(send, 500, [(b"content-type", b"text/plain; charset=utf-8")], b"500 Internal Server Error\n",
                        head=head)
            return
        await self._serve(scope, send, path, file, head)

    def _locate(self, path: str) -> Path | None:
        """The file under the asset directory that ``path`` names, or None (also for unsafe paths)."""
        parts = [p for p in path.split("/") if p]
        if not parts or any(p.startswith(".") or "\x00" in p or "\\" in p for p in parts):
            return None
        candidate = self.root.joinpath(*parts)
        try:
            resolved = candidate.resolve()
            resolved.relative_to(self.root.resolve())
        except (OSError, ValueError):
            return None
        return candidate if candidate.is_file() else None

    def _load(self, target: Path) -> _File:
        st = target.stat()
        key = (st.st_size, st.st_mtime_ns)
        cached = self._cache.get(target)
        if cached is not None and cached[0] == key:
            return cached[1]
        body = target.read_bytes()
        ctype = _TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        compressible = ctype.startswith(_COMPRESSIBLE) and len(body) >= MIN_GZIP
        file = _File(
            body=body,
            gzipped=gzip.compress(body, 9, mtime=0) if compressible else None,
            etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"'.encode(),
            last_modified=formatdate(st.st_mtime, usegmt=True).encode(),
            content_type=ctype.encode(),
        )
        if len(body) <= MAX_CACHED:
            self._cache[target] = (key, file)
        return file

    async def _serve(self, scope: Scope, send: Send, path: str, file: _File, head: bool) -> None:
        hashed = path.startswith("/assets/") and _HASHED.search(path) is not None
        headers = [(b"content-type", file.content_type), (b"etag", file.etag),
                   (b"last-modified", file.last_modified), (b"cache-control", IMMUTABLE if hashed else REVALIDATE)]
        if file.gzipped is not None:
            headers.append((b"vary", b"accept-encoding"))
        request_headers = dict(scope.get("headers") or [])
        if_none_match = request_headers.get(b"if-none-match", b"")
        if if_none_match and (if_none_match.strip() == b"*" or file.etag in _etags(if_none_match)):
            await _send(send, 304, headers, b"", head=True)
            return
        body = file.body
        if file.gzipped is not None and _accepts_gzip(request_headers.get(b"accept-encoding", b"")):
            body = file.gzipped
            headers.append((b"content-encoding", b"gzip"))
        await _send(send, 200, headers, body, head=head)

    async def _not_built(self, send: Send, head: bool) -> None:
        where = escape(str(self.root))
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ocis: web UI not built</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;line-height:1.5;"
            "padding:0 1em}code{background:#eef;padding:.1em .3em}</style></head><body>"
            "<h1>The web interface has not been built</h1>"
            f"<p>There is no <code>index.html</code> in <code>{where}</code>. "
            "Run <code>make web</code> in the source tree (or <code>make run</code>, which builds it), "
            "then reload this page.</p>"
            "<p>The server itself is running: desktop and mobile clients, WebDAV "
            '(<a href="/remote.php/webdav/">/remote.php/webdav/</a>) and the APIs work.</p></body></html>\n'
        ).encode()
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store"),
                   (b"content-security-policy", NOT_BUILT_CSP), (b"retry-after", b"60")]
        await _send(send, 503, headers, page, head=head)


def _config_body(settings: WebSettings) -> bytes:
    if settings.ui_config_file is None:
        return json.dumps(settings.ui_config(), indent=2).encode() + b"\n"
    path = settings.ui_config_file
    try:
        raw = path.read_bytes()
        json.loads(raw)
    except OSError as exc:
        raise ConfigError(f"WEB_UI_CONFIG: cannot read {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"WEB_UI_CONFIG: {path} is not valid JSON: {exc}") from None
    return raw


def _etags(value: bytes) -> set[bytes]:
    return {t.strip().removeprefix(b"W/") for t in value.split(b",")}


def _accepts_gzip(value: bytes) -> bool:
    for item in value.lower().split(b","):
        coding, _, params = item.strip().partition(b";")
        if coding.strip() in (b"gzip", b"*"):
            q = params.strip()
            return not (q.startswith(b"q=") and q[2:].strip() in (b"0", b"0.0", b"0.00", b"0.000"))
    return False


def _looks_like_file(path: str) -> bool:
    last = path.rstrip("/").rsplit("/", 1)[-1]
    return path.startswith("/assets/") or "." in last


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes, *,
                head: bool = False) -> None:
    if status != 304:  # a 304's Content-Length would have to be the full representation's
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def create_app(deps: Deps, settings: WebSettings | None = None) -> ASGIApp:
    """The web service's ASGI app.

    Raises:
        ConfigError: ``WEB_UI_CONFIG`` cannot be read or is not JSON.
    """
    return WebApp(settings or WebSettings.from_config(deps.config))


def web_csp(deps: Deps) -> str:
    """The Content-Security-Policy the proxy adds to the UI's responses."""
    return WebSettings.from_config(deps.config).csp()
