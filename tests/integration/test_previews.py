"""Previews: ``GET <file>?preview=1`` for images (PNG, JPEG, GIF), 404 for other files."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from helpers.dav import OC, files_url, makedirs, put, stat
from helpers.server import ServerProcess


def image_bytes(fmt: str, size: tuple[int, int] = (400, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def preview(client: httpx.Client, path: str, etag: str, x: int = 64, y: int = 64, a: int = 1) -> httpx.Response:
    return client.get(files_url("einstein", path), params={"preview": "1", "x": x, "y": y, "a": a, "c": etag})


def test_png_jpeg_gif_previews(server: ServerProcess, einstein: httpx.Client) -> None:
    makedirs(einstein, "einstein", "pics")
    for name, fmt, ctype in (("a.png", "PNG", "image/png"), ("b.jpg", "JPEG", "image/jpeg"),
                             ("c.gif", "GIF", "image/png")):
        put(einstein, files_url("einstein", f"pics/{name}"), image_bytes(fmt))
        res = stat(einstein, files_url("einstein", f"pics/{name}"), [f"{{{OC}}}has-preview", "{DAV:}getetag"])
        assert res.get("oc:has-preview") == "true"
        r = preview(einstein, f"pics/{name}", (res.etag or "").strip('"'))
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == ctype
        img = Image.open(io.BytesIO(r.content))
        assert max(img.size) == 64 and img.size == (64, 32)  # aspect ratio kept, fits the box
        again = preview(einstein, f"pics/{name}", (res.etag or "").strip('"'))
        assert again.content == r.content  # cached
    # without a=1: filled and cropped to the box
    r = preview(einstein, "pics/a.png", "x", 32, 32, a=0)
    assert Image.open(io.BytesIO(r.content)).size == (32, 32)


def test_preview_changes_with_content(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "change.png"), image_bytes("PNG", (100, 100)))
    first = preview(einstein, "change.png", "1")
    put(einstein, files_url("einstein", "change.png"), image_bytes("PNG", (100, 50)))
    second = preview(einstein, "change.png", "2")
    assert Image.open(io.BytesIO(first.content)).size == (64, 64)
    assert Image.open(io.BytesIO(second.content)).size == (64, 32)


def test_no_preview_for_text_corrupt_and_folders(server: ServerProcess, einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "notes.txt"), b"hello")
    assert stat(einstein, files_url("einstein", "notes.txt"), [f"{{{OC}}}has-preview"]).get("oc:has-preview") == "false"
    assert preview(einstein, "notes.txt", "x").status_code == 404
    put(einstein, files_url("einstein", "broken.png"), b"\x89PNG not really")
    assert preview(einstein, "broken.png", "x").status_code == 404
    makedirs(einstein, "einstein", "afolder")
    assert preview(einstein, "afolder", "x").status_code == 400
    assert preview(einstein, "missing.png", "x").status_code == 404
    assert einstein.get(files_url("einstein", "notes.txt"), params={"preview": "1", "x": "huge"}).status_code == 400
