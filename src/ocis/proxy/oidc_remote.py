"""Verification keys of an external OpenID provider, from its discovery document and JWKS.

:class:`RemoteKeySource` implements :class:`ocis.idp.api.KeySource`. On first use (not at start:
the provider may come up later) it fetches the discovery document (OIDC Discovery §4), checks that
its ``issuer`` equals the configured one (§4.3; an unset issuer adopts the document's), then
fetches ``jwks_uri`` and keeps the signing keys (``use`` absent or ``sig``; asymmetric only).

The result is cached for ``ttl`` seconds. A refresh on demand (a token named an unknown ``kid``) is
honoured at most every ``min_refresh`` seconds, so forged tokens cannot make us hammer the provider.
When a refetch fails, the last good keys stay in use; with none at all, :class:`OidcUnavailable`
(an ``OSError``) is raised.

Blocking (``urllib``, ``timeout`` seconds per request): call from a worker thread. TLS is verified
against the system trust store unless ``insecure`` (``PROXY_OIDC_INSECURE``, for testing).
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jwk import JWKRegistry, Key, KeySet

from ocis.idp.api import IssuerKeys

DISCOVERY_SUFFIX = "/.well-known/openid-configuration"
MAX_DOCUMENT = 1024 * 1024  # bytes
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth"})  # never trust private parts of a JWKS


class OidcUnavailable(OSError):
    """The provider's discovery document or keys cannot be had (network, TLS, bad document)."""


class RemoteKeySource:
    """Issuer and keys of an external provider. See the module docstring.

    Args:
        issuer: the expected issuer ("" = take it from the discovery document).
        discovery_url: "" = ``<issuer>/.well-known/openid-configuration``.
        insecure: skip TLS certificate verification.
        timeout: seconds per HTTP request.
        ttl: seconds the keys are cached.
        min_refresh: minimum seconds between two fetches.
        clock: monotonic seconds (tests).
    """

    def __init__(self, issuer: str = "", discovery_url: str = "", *, insecure: bool = False, timeout: float = 10.0,
                 ttl: float = 3600.0, min_refresh: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not issuer and not discovery_url:
            raise ValueError("an issuer or a discovery URL is required")
        self.issuer = issuer.rstrip("/")
        self.discovery_url = discovery_url or self.issuer + DISCOVERY_SUFFIX
        self.timeout = timeout
        self.ttl = ttl
        self.min_refresh = min_refresh
        self.clock = clock
        self._context = ssl.create_default_context()
        if insecure:
            self._context.check_hostname = False
            self._context.verify_mode = ssl.CERT_NONE
        self._lock = threading.Lock()
        self._cached: IssuerKeys | None = None
        self._fetched = float("-inf")

    def issuer_keys(self, refresh: bool = False) -> IssuerKeys:
        """The issuer and its signing keys (cached; see the module docstring).

        Raises:
            OidcUnavailable: nothing could be fetched yet.
        """
        with self._lock:
            age = self.clock() - self._fetched
            due = self._cached is None or age >= self.ttl or (refresh and age >= self.min_refresh)
            if not due:
                assert self._cached is not None
                return self._cached
            if self._cached is None and age < self.min_refresh:
                raise OidcUnavailable(f"{self.discovery_url}: unavailable (retrying in a few seconds)")
            self._fetched = self.clock()
            try:
                self._cached = self._fetch()
            except OidcUnavailable:
                if self._cached is None:
                    raise
            return self._cached

    def _fetch(self) -> IssuerKeys:
        doc = self._get_json(self.discovery_url)
        issuer = doc.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise OidcUnavailable(f"{self.discovery_url}: no issuer in the discovery document")
        if self.issuer and issuer.rstrip("/") != self.issuer:
            raise OidcUnavailable(f"{self.discovery_url}: issuer {issuer!r} is not the configured {self.issuer!r}")
        jwks_uri = doc.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise OidcUnavailable(f"{self.discovery_url}: no usable jwks_uri")
        keys = signing_keys(self._get_json(jwks_uri))
        if not keys:
            raise OidcUnavailable(f"{jwks_uri}: no usable signing keys")
        return IssuerKeys(issuer, KeySet(keys))

    def _get_json(self, url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._context) as resp:
                body = resp.read(MAX_DOCUMENT + 1)
        except urllib.error.HTTPError as exc:
            raise OidcUnavailable(f"{url}: HTTP {exc.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise OidcUnavailable(f"{url}: {getattr(exc, 'reason', exc)}") from None
        if len(body) > MAX_DOCUMENT:
            raise OidcUnavailable(f"{url}: document too large")
        try:
            doc = json.loads(body)
        except ValueError:
            raise OidcUnavailable(f"{url}: not JSON") from None
        if not isinstance(doc, dict):
            raise OidcUnavailable(f"{url}: not a JSON object")
        return doc


def signing_keys(jwks: dict[str, Any]) -> list[Key]:
    """The asymmetric signature keys of a JWK Set document; others (``use: enc``, ``oct``, broken) are skipped."""
    keys: list[Key] = []
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("kty") not in ("RSA", "EC", "OKP"):
            continue
        try:
            keys.append(JWKRegistry.import_key({k: v for k, v in entry.items() if k not in _PRIVATE_MEMBERS}))
        except (JoseError, ValueError, TypeError, KeyError):
            continue
    return keys
