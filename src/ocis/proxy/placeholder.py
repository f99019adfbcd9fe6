"""A tiny HTML page for ``/`` until the web UI lands: says ocis is running and links the APIs."""

from __future__ import annotations

from html import escape

from starlette.types import ASGIApp, Receive, Scope, Send

CSP = "default-src 'none'; style-src 'unsafe-inline';"


def create_placeholder_app(public_url: str, version: str) -> ASGIApp:
    """ASGI app answering every GET/HEAD with the page; other methods get 405."""
    url = escape(public_url)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ocis</title>
<style>body{{font-family:sans-serif;max-width:40em;margin:3em auto;line-height:1.5}}</style></head>
<body><h1>ocis is running</h1>
<p>ownCloud Infinite Scale (Python) {escape(version)}. The web interface is not available yet.</p>
<ul>
<li>Desktop and mobile clients: server address <code>{url}</code></li>
<li>WebDAV: <a href="/remote.php/webdav/">{url}/remote.php/webdav/</a></li>
<li>Server status: <a href="/status.php">{url}/status.php</a></li>
<li>Capabilities: <a href="/ocs/v1.php/cloud/capabilities?format=json">/ocs/v1.php/cloud/capabilities</a></li>
</ul></body></html>
""".encode()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send({"type": "http.response.start", "status": 405,
                        "headers": [(b"allow", b"GET, HEAD"), (b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"text/html; charset=utf-8"),
                   (b"content-length", str(len(page)).encode()), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page})

    return app
