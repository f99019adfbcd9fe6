"""The IdP's resolved settings: issuer, endpoint URLs (konnect's paths, services.md §1.2), lifetimes.

The configurable values live in :class:`ocis.config.model.IdpConfig` (``idp.*`` in ``ocis.yaml``,
``IDP_*`` variables); this module derives what the handlers need from the whole configuration.
The issuer is ``OCIS_URL`` (OIDC Discovery §4.3: the discovery document's ``issuer`` must equal
the URL it was fetched under, minus ``/.well-known/openid-configuration``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ocis.config.model import OcisConfig

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/konnect/v1/jwks.json"
TOKEN_PATH = "/konnect/v1/token"
USERINFO_PATH = "/konnect/v1/userinfo"
AUTHORIZE_PATH = "/signin/v1/identifier/_/authorize"
LOGIN_PATH = "/signin/v1/identifier"
ENDSESSION_PATH = "/signin/v1/identifier/_/endsession"

SCOPES = ("openid", "profile", "email", "offline_access")
ROUTE_PREFIXES = ("/.well-known/", "/konnect/", "/signin/")


@dataclass(frozen=True)
class IdpSettings:
    """Everything the IdP's handlers read. Durations in seconds.

    Attributes:
        issuer: ``OCIS_URL`` without a trailing slash.
        state_dir: ``<data>/idp`` (keys, sessions, codes, refresh-token families).
        clients: configured extra clients (validated mappings).
    """

    issuer: str
    state_dir: Path
    access_token_expiration: int = 600
    id_token_expiration: int = 3600
    refresh_token_expiration: int = 2592000
    refresh_token_reuse_grace: int = 10
    session_expiration: int = 86400
    signing_key_rotation: int = 2592000
    clients: tuple[dict[str, object], ...] = field(default_factory=tuple)

    @classmethod
    def from_config(cls, cfg: OcisConfig) -> IdpSettings:
        idp = cfg.idp
        return cls(
            issuer=cfg.url.rstrip("/"),
            state_dir=cfg.data_dir / "idp",
            access_token_expiration=idp.access_token_expiration,
            id_token_expiration=idp.id_token_expiration,
            refresh_token_expiration=idp.refresh_token_expiration,
            refresh_token_reuse_grace=idp.refresh_token_reuse_grace,
            session_expiration=idp.session_expiration,
            signing_key_rotation=idp.signing_key_rotation,
            clients=tuple(idp.clients),
        )

    @property
    def secure_cookies(self) -> bool:
        """Cookies get ``Secure`` and the ``__Host-`` prefix when the issuer is https (RFC 6265bis §4.1.3.2)."""
        return self.issuer.startswith("https://")

    @property
    def max_token_lifetime(self) -> int:
        """The longest lifetime of a signed token: how long a retired key must stay verifiable."""
        return max(self.access_token_expiration, self.id_token_expiration)

    def url(self, path: str) -> str:
        """Absolute URL of an endpoint path under the issuer."""
        return self.issuer + path


def embedded_idp_enabled(cfg: OcisConfig) -> bool:
    """True unless the proxy is pointed at an external OpenID provider (then the IdP is not started)."""
    external = cfg.proxy.oidc_issuer or cfg.proxy.oidc_discovery_url
    return not external or cfg.proxy.oidc_issuer.rstrip("/") == cfg.url.rstrip("/")
