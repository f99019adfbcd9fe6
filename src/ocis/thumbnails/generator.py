"""Making a thumbnail from image bytes with Pillow.

Output: PNG for PNG and GIF sources (transparency), JPEG otherwise (ocis-webdav did the same).
Decoding is bounded: images above ``MAX_PIXELS`` are refused rather than decompressed (a
"decompression bomb" would otherwise take the server's memory).
"""

from __future__ import annotations

import io
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from ocis.core.errors import NotFound

MAX_PIXELS = 64_000_000  # e.g. 8000 x 8000
SOURCE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
PNG_SOURCES = {"image/png", "image/gif"}


def make_thumbnail(src: BinaryIO, mimetype: str, width: int, height: int, *, keep_aspect: bool = True,
                   upscale: bool = False) -> tuple[bytes, str]:
    """Scale an image to fit (``keep_aspect``) or fill-and-crop a ``width`` x ``height`` box (pixels).

    Returns (encoded bytes, content type).

    Raises:
        NotFound: not an image we can decode (unknown format, corrupt, or too large).
    """
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(src) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise NotFound("image too large for a preview")
            opened.draft("RGB", (width * 2, height * 2))  # JPEG: let the decoder downscale cheaply
            img: Image.Image = ImageOps.exif_transpose(opened)
            if img.mode not in ("RGB", "RGBA", "L", "LA"):
                img = img.convert("RGBA" if "transparency" in img.info or img.mode == "P" else "RGB")
            if keep_aspect:
                if upscale and (img.width < width and img.height < height):
                    scale = min(width / img.width, height / img.height)
                    img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))))
                else:
                    img.thumbnail((width, height), Image.Resampling.LANCZOS)
            else:
                img = ImageOps.fit(img, (width, height), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            if mimetype in PNG_SOURCES:
                img.save(out, "PNG", optimize=False)
                return out.getvalue(), "image/png"
            if img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            img.save(out, "JPEG", quality=85)
            return out.getvalue(), "image/jpeg"
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError, SyntaxError):
        raise NotFound("no preview available for this file") from None
