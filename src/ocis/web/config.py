"""The web service's resolved settings: where the built UI is, what ``/config.json`` says, which
Content-Security-Policy the UI's pages get.

The configurable values live in :class:`ocis.config.model.WebConfig` (``web.*`` in ``ocis.yaml``,
``WEB_*`` variables); the OpenID Connect values come from the proxy's settings (embedded IdP at
``OCIS_URL``, or the external provider of ``PROXY_OIDC_ISSUER``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ocis import __version__
from ocis.config.model import OcisConfig
from ocis.core.resources import web_dist_dir

CLIENT_ID = "web"
SCOPE = "openid profile email offline_access"
APPS = ("files", "media-viewer")
DISCOVERY_PATH = "/.well-known/openid-configuration"


@dataclass(frozen=True)
class WebSettings:
    """Everything the web service reads.

    Attributes:
        server: ``OCIS_URL`` without a trailing slash.
        asset_dir: the built UI (``index.html``, ``assets/``, the OIDC callback pages).
        ui_config_file: a ``config.json`` to serve verbatim, or None to generate one.
        authority: the OpenID issuer the UI signs in with.
        metadata_url: its discovery document.
        client_id: the UI's OpenID client id.
        apps: the UI's apps, in navigation order.
    """

    server: str
    asset_dir: Path
    ui_config_file: Path | None = None
    authority: str = ""
    metadata_url: str = ""
    client_id: str = CLIENT_ID
    apps: tuple[str, ...] = APPS

    @classmethod
    def from_config(cls, cfg: OcisConfig) -> WebSettings:
        server = cfg.url.rstrip("/")
        proxy = cfg.proxy
        authority = (proxy.oidc_issuer or server).rstrip("/")
        metadata_url = proxy.oidc_discovery_url or authority + DISCOVERY_PATH
        external = authority != server or bool(proxy.oidc_discovery_url)
        client_id = proxy.oidc_client_id if external and proxy.oidc_client_id else CLIENT_ID
        return cls(
            server=server,
            asset_dir=Path(cfg.web.asset_path) if cfg.web.asset_path else web_dist_dir(),
            ui_config_file=Path(cfg.web.ui_config) if cfg.web.ui_config else None,
            authority=authority,
            metadata_url=metadata_url,
            client_id=client_id,
        )

    def ui_config(self) -> dict[str, Any]:
        """The generated ``/config.json`` (the shape ownCloud Web reads, services.md §6)."""
        return {
            "server": self.server,
            "theme": "ocis",
            "version": __version__,
            "openIdConnect": {
                "metadata_url": self.metadata_url,
                "authority": self.authority,
                "client_id": self.client_id,
                "response_type": "code",
                "scope": SCOPE,
            },
            "apps": list(self.apps),
            "options": {"hideSearchBar": False},
        }

    def csp(self) -> str:
        """Content-Security-Policy of the UI: own scripts and styles only, thumbnails and media as
        ``blob:``/``data:`` URLs, API calls to ourselves (and to an external IdP), framing only by
        ourselves (the silent token renewal page)."""
        connect = ["'self'"]
        idp_origin = _origin(self.authority)
        if idp_origin and idp_origin != _origin(self.server):
            connect.append(idp_origin)
        frames = " ".join(connect)
        return (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
            f"media-src 'self' blob:; font-src 'self'; connect-src {' '.join(connect)}; frame-src {frames}; "
            f"form-action {frames}; manifest-src 'self'; frame-ancestors 'self'; base-uri 'self'; "
            "object-src 'none'"
        )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
