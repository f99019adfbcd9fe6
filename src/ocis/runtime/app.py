"""Assemble the whole ASGI application for ``ocis server``.

``build_app(cfg)`` expects a bootstrapped config (:func:`ocis.runtime.bootstrap.bootstrap` ran):
it opens the accounts store (creating the demo users on first run unless disabled) and the
storage, builds :class:`~ocis.runtime.deps.Deps`, the service apps (idp, dav, ocs, web),
the proxy in front of them and the access log around everything.

Authentication chain of the proxy: OpenID Connect bearer tokens (always), then HTTP Basic (while
``PROXY_ENABLE_BASIC_AUTH``). With the embedded IdP, the proxy verifies tokens with the IdP's own key
store; with an external provider (``PROXY_OIDC_ISSUER`` / ``PROXY_OIDC_DISCOVERY_URL``), with the keys
of its JWKS, and the embedded IdP is not started.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from starlette.types import ASGIApp

from ocis.accounts.demo import ensure_demo_data, ensure_initial_admin
from ocis.accounts.store import AccountStore
from ocis.config.errors import ConfigError
from ocis.config.model import OcisConfig
from ocis.idp.config import embedded_idp_enabled
from ocis.idp.service import Idp
from ocis.proxy.app import ProxyApp, build_routes
from ocis.proxy.auth import Authenticator, BasicAuthenticator
from ocis.proxy.bearer import BearerAuthenticator, Lookup
from ocis.proxy.drain import DrainSmallBodies
from ocis.runtime.body_timeout import BodyTimeoutMiddleware
from ocis.runtime.deps import Deps
from ocis.runtime.logging import AccessLogMiddleware
from ocis.storage.api import Storage

log = logging.getLogger("ocis.runtime")

EXTERNAL_LEEWAY = 30  # seconds of clock skew tolerated for tokens of an external OpenID provider


@dataclass
class Application:
    """The built app and the pieces tests and the CLI may want to reach."""

    asgi: ASGIApp
    deps: Deps
    accounts: AccountStore
    proxy: ProxyApp
    demo_created: bool
    admin_created: bool
    idp: Idp | None = None


def admin_password_file(cfg: OcisConfig) -> Path:
    """Where the generated password of the initial ``admin`` is kept (no demo data only)."""
    return cfg.data_dir / "admin-password.txt"


def open_accounts(cfg: OcisConfig) -> tuple[AccountStore, bool, bool]:
    """The account store under ``<metadata>/accounts``.

    Returns:
        (store, demo data created now, initial admin created now). Demo data is created on the
        first run unless disabled; without it, an empty store gets an ``admin`` with a random
        password in :func:`admin_password_file`.
    """
    store = AccountStore(cfg.metadata_dir / "accounts")
    demo = ensure_demo_data(store) if cfg.accounts.demo_users_and_groups else False
    admin = ensure_initial_admin(store, admin_password_file(cfg))
    return store, demo, admin


def build_app(cfg: OcisConfig) -> Application:
    """Build the complete application. See the module docstring.

    Raises:
        ConfigError: the accounts or the storage cannot be opened (message names what and why).
    """
    from ocis.dav.app import create_app as create_dav_app
    from ocis.ocs.app import create_app as create_ocs_app
    from ocis.storage.decomposedfs import open_storage
    from ocis.web.app import create_app as create_web_app
    from ocis.web.app import web_csp

    try:
        accounts, demo_created, admin_created = open_accounts(cfg)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot open the accounts in {cfg.metadata_dir / 'accounts'}: {_reason(exc)}") from None
    default_quota = cfg.storage.default_quota or None

    def quota_for(user_id: str) -> int | None:
        own = accounts.quota_for(user_id)
        return own if own is not None else default_quota

    try:
        storage = open_storage(cfg.storage_root, cfg.storage.metadata_backend, quota_for=quota_for,
                               max_revisions=cfg.storage.versions_max_count,
                               max_revision_age=cfg.storage.versions_max_age, fsync=cfg.storage.fsync)
    except OSError as exc:
        raise ConfigError(f"STORAGE_USERS_ROOT: cannot open {cfg.storage_root}: {_reason(exc)}") from None
    except ValueError as exc:  # e.g. xattrs forced where the filesystem has none; names the setting
        raise ConfigError(str(exc)) from None
    deps = Deps(config=cfg, storage=cast(Storage, storage), accounts=accounts)

    bearer, idp = build_oidc(cfg, accounts)
    authenticators: list[Authenticator] = [bearer]
    if cfg.proxy.enable_basic_auth:
        authenticators.append(BasicAuthenticator(accounts))
    idp_app = None
    if idp is not None:
        from ocis.idp.app import create_app as create_idp_app

        idp_app = create_idp_app(deps, idp)
    routes = build_routes(
        dav=create_dav_app(deps),
        ocs=create_ocs_app(deps),
        web=create_web_app(deps),
        web_csp=web_csp(deps),
        idp=idp_app,
    )
    proxy = ProxyApp(routes, authenticators, tls=cfg.proxy.tls)
    asgi = AccessLogMiddleware(BodyTimeoutMiddleware(DrainSmallBodies(proxy)))
    return Application(asgi, deps, accounts, proxy, demo_created, admin_created, idp)


def build_oidc(cfg: OcisConfig, accounts: AccountStore) -> tuple[BearerAuthenticator, Idp | None]:
    """The bearer authenticator, and the embedded IdP unless an external provider is configured.

    Raises:
        ConfigError: the IdP state in ``<data>/idp`` cannot be opened, or the external provider's
            settings are incomplete.
    """
    if embedded_idp_enabled(cfg):
        from ocis.idp.app import open_idp

        try:
            idp = open_idp(cfg, accounts)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot open the IdP state in {cfg.data_dir / 'idp'}: {_reason(exc)}") from None
        return BearerAuthenticator(idp.keys, accounts, audiences=idp.clients.ids), idp

    from ocis.proxy.oidc_remote import RemoteKeySource

    p = cfg.proxy
    if not p.oidc_client_id:
        raise ConfigError("PROXY_OIDC_CLIENT_ID: required with an external OpenID provider (PROXY_OIDC_ISSUER)")
    if p.oidc_insecure:
        log.warning("PROXY_OIDC_INSECURE: the OpenID provider's TLS certificate is not verified")
    source = RemoteKeySource(p.oidc_issuer, p.oidc_discovery_url, insecure=p.oidc_insecure)
    lookup = cast(Lookup, p.oidc_user_lookup)
    bearer = BearerAuthenticator(source, accounts, audiences={p.oidc_client_id}, accept_azp=True, types=(),
                                 leeway=EXTERNAL_LEEWAY, claim=p.oidc_user_claim, lookup=lookup)
    return bearer, None


def _reason(exc: BaseException) -> str:
    return (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) or type(exc).__name__
