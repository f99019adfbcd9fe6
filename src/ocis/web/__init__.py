"""The ``web`` service: serves the single-page web UI (``web/``, built into ``web-dist/``) and its
``/config.json``. See :mod:`ocis.web.app`."""

from __future__ import annotations
