"""What ``cloud/capabilities`` advertises: only features that exist now.

Source: shared/reference/protocol.md section 3.2, trimmed. Deliberately absent until implemented:
``dav.chunking`` (pyocclient crashes on an empty one, and its presence changes client behaviour),
``files_sharing``, ``notifications``, ``core.support-url-signing``.
``files.tus_support`` makes the desktop client upload every file with TUS (``dav/tus.py``);
``files.bigfilechunking`` stays false (no chunking NG; v1 chunks are still accepted on PUT).

``core.status`` is :func:`ocis.core.status.status`, the body of ``/status.php``, so both agree.
"""

from __future__ import annotations

from typing import Any

from ocis.core.status import status as status_info

VERSION = {"major": 10, "minor": 0, "micro": 11, "string": "10.0.11", "edition": "reva"}


def capabilities() -> dict[str, Any]:
    """``data`` of ``GET /ocs/v{1,2}.php/cloud/capabilities``."""
    return {
        "version": dict(VERSION),
        "capabilities": {
            "core": {
                "pollinterval": 60,
                "webdav-root": "remote.php/webdav",
                "status": status_info(),
            },
            "checksums": {"supportedTypes": ["SHA1"], "preferredUploadType": "SHA1"},
            "files": {
                "bigfilechunking": False,
                "tus_support": {"version": "1.0.0", "resumable": "1.0.0",
                                "extension": "creation,creation-with-upload,checksum,termination,expiration",
                                "max_chunk_size": 0, "http_method_override": ""},
                "privateLinks": True,
                "undelete": True,
                "versioning": True,
                "favorites": True,
                "blacklisted_files": [".htaccess"],
            },
            # no "chunking" key: pyocclient float()s it, and chunking NG is not offered
            "dav": {"reports": ["search-files"], "trashbin": "1.0"},
        },
    }
