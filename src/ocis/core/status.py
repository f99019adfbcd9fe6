"""The server status object: the body of ``/status.php`` (what clients check before they log in,
protocol.md §2) and ``core.status`` in the capabilities, so both agree."""

from __future__ import annotations

import json
from typing import Any

from ocis import __version__

PRODUCT_VERSION = "10.0.11.5"
PRODUCT_VERSION_STRING = "10.0.11"


def status() -> dict[str, Any]:
    """The status object; also embedded in capabilities ``core.status``."""
    return {
        "installed": True,
        "maintenance": False,
        "needsDbUpgrade": False,
        "version": PRODUCT_VERSION,
        "versionstring": PRODUCT_VERSION_STRING,
        "edition": "community",
        "productname": "ownCloud",
        "product": "Infinite Scale",
        "productversion": __version__,
    }


def status_body() -> bytes:
    return json.dumps(status(), indent=4).encode()
