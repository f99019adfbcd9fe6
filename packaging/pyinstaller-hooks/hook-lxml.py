"""PyInstaller hook for lxml, used by ocis.spec instead of the contrib hook.

The contrib hook takes every lxml submodule (objectify, html, isoschematron, sax: ~4 MB of
extensions). ocis and wsgidav use ``lxml.etree`` only, which needs ``lxml._elementpath``.
"""

from __future__ import annotations

hiddenimports = ["lxml.etree", "lxml._elementpath"]
