"""Where the files that ship with ocis are: in the source tree, or inside the single-file binary.

The PyInstaller build (``ocis.spec``) lays the bundle out like the repository: ``web-dist/`` at the
bundle root, package data (templates, static files) beside the modules of ``ocis`` (so
``Path(__file__).parent / "templates"`` and :mod:`importlib.resources` work in both cases).
"""

from __future__ import annotations

import sys
from pathlib import Path


def bundle_root() -> Path:
    """The directory holding ``web-dist/``.

    PyInstaller's unpack directory (``sys._MEIPASS``) in the frozen binary; otherwise the repository
    root of this source tree (``src/ocis/core/resources.py`` → three levels up).
    """
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parents[3]


def web_dist_dir() -> Path:
    """The built web UI (``make web`` output; bundled by ``make dist``). It may be empty."""
    return bundle_root() / "web-dist"
