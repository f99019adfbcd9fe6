"""The typed configuration model. Loading (defaults <- ocis.yaml <- OCIS_* env <- service env <-
CLI flags) lives in ``config/loader.py``; services read only these dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ProxyConfig:
    """The front door: listener, TLS and authentication."""

    http_addr: str = "0.0.0.0:9200"          # PROXY_HTTP_ADDR / --addr
    tls: bool = True                         # PROXY_TLS; false = plain HTTP behind a reverse proxy
    tls_cert: str = ""                       # PROXY_TRANSPORT_TLS_CERT; "" = <data>/proxy/server.crt
    tls_key: str = ""                        # PROXY_TRANSPORT_TLS_KEY
    enable_basic_auth: bool = True           # PROXY_ENABLE_BASIC_AUTH
    # OpenID Connect bearer tokens. Empty issuer and discovery URL = the embedded IdP (issuer OCIS_URL);
    # either set = an external OpenID provider, and the embedded IdP is not started.
    oidc_issuer: str = ""                    # PROXY_OIDC_ISSUER
    oidc_discovery_url: str = ""             # PROXY_OIDC_DISCOVERY_URL; "" = <issuer>/.well-known/openid-configuration
    oidc_client_id: str = ""                 # PROXY_OIDC_CLIENT_ID: audience expected in external tokens
    oidc_user_claim: str = "preferred_username"  # PROXY_OIDC_USER_CLAIM (external mode)
    oidc_user_lookup: str = "username"       # PROXY_OIDC_USER_LOOKUP: username | email | id (external mode)
    oidc_insecure: bool = False              # PROXY_OIDC_INSECURE: skip TLS verification of the external IdP


@dataclass
class StorageConfig:
    """The decomposed filesystem of user spaces."""

    root: str = ""                           # STORAGE_USERS_ROOT; "" = <data>/storage/users
    metadata_backend: str = "auto"           # STORAGE_METADATA_BACKEND: auto | xattrs | sidecar
    default_quota: int = 0                   # STORAGE_DEFAULT_QUOTA bytes per user, 0 = unlimited
    versions_max_count: int = 100            # STORAGE_VERSIONS_MAX_COUNT per file, 0 = no limit
    versions_max_age: int = 0                # STORAGE_VERSIONS_MAX_AGE seconds, 0 = no limit
    fsync: bool = True                       # STORAGE_FSYNC: uploads reach the disk before they are visible
    inline_reads: bool = True                # STORAGE_INLINE_READS: short reads on the event loop (dav/reads.py)


@dataclass
class DavConfig:
    """WebDAV front end."""

    allow_propfind_infinity: bool = False    # DAV_ALLOW_PROPFIND_INFINITY


@dataclass
class AccountsConfig:
    """Users and groups."""

    demo_users_and_groups: bool = True       # ACCOUNTS_DEMO_USERS_AND_GROUPS


@dataclass
class IdpConfig:
    """The embedded OpenID provider (``idp/``). Durations are in seconds."""

    access_token_expiration: int = 600       # IDP_ACCESS_TOKEN_EXPIRATION
    id_token_expiration: int = 3600          # IDP_ID_TOKEN_EXPIRATION
    refresh_token_expiration: int = 2592000  # IDP_REFRESH_TOKEN_EXPIRATION: idle lifetime, renewed on each use
    refresh_token_reuse_grace: int = 10      # IDP_REFRESH_TOKEN_REUSE_GRACE: a just-rotated token may be replayed
    session_expiration: int = 86400          # IDP_SESSION_EXPIRATION: browser sign-in session
    signing_key_rotation: int = 2592000      # IDP_SIGNING_KEY_ROTATION: new signing key after this; 0 = never
    clients: list[dict[str, object]] = field(default_factory=list)  # IDP_CLIENTS: extra OIDC clients


@dataclass
class WebConfig:
    """The web UI (``web/``): where its built files are and what ``/config.json`` says."""

    asset_path: str = ""                     # WEB_ASSET_PATH; "" = the bundled web-dist/
    ui_config: str = ""                      # WEB_UI_CONFIG: a config.json file served as is; "" = generated


@dataclass
class OcisConfig:
    """Everything ``ocis server`` needs. Field comments name the env var that sets it."""

    data_dir: Path = field(default_factory=lambda: Path.home() / ".ocis")  # OCIS_BASE_DATA_PATH
    url: str = "https://localhost:9200"      # OCIS_URL: the public URL clients use
    log_level: str = "info"                  # OCIS_LOG_LEVEL: debug | info | warning | error
    jwt_secret: str = ""                     # OCIS_JWT_SECRET; generated into ocis.yaml on first run
    transfer_secret: str = ""                # STORAGE_TRANSFER_SECRET; generated likewise
    proxy: ProxyConfig = field(default_factory=ProxyConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    dav: DavConfig = field(default_factory=DavConfig)
    accounts: AccountsConfig = field(default_factory=AccountsConfig)
    idp: IdpConfig = field(default_factory=IdpConfig)
    web: WebConfig = field(default_factory=WebConfig)

    @property
    def storage_root(self) -> Path:
        return Path(self.storage.root) if self.storage.root else self.data_dir / "storage" / "users"

    @property
    def metadata_dir(self) -> Path:
        """Where accounts, groups, settings and shares are kept (JSON, written atomically)."""
        return self.data_dir / "storage" / "metadata"
