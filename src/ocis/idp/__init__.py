"""The embedded OpenID Provider (``idp`` service). See :mod:`ocis.idp.app`; other services use only
:mod:`ocis.idp.api` (token verification)."""

from __future__ import annotations
