"""Previews (thumbnails) of images, made with Pillow and cached by etag and size."""

from __future__ import annotations

from ocis.thumbnails.service import PreviewRequest, ThumbnailService, is_previewable

__all__ = ["PreviewRequest", "ThumbnailService", "is_previewable"]
