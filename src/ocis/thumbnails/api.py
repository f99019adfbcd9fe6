"""What other services use of the thumbnails service."""

from __future__ import annotations

from ocis.thumbnails.service import PreviewRequest, ThumbnailService, is_previewable

__all__ = ["PreviewRequest", "ThumbnailService", "is_previewable"]
