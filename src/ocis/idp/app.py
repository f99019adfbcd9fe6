"""The ``idp`` service: the embedded OpenID Provider, served by the proxy under ``/.well-known/``,
``/konnect/`` and ``/signin/`` (konnect's paths, services.md §1.2).

=====================================  ==========  ==============================================
path                                   methods     what
=====================================  ==========  ==============================================
/.well-known/openid-configuration      GET         discovery (OIDC Discovery §3), issuer OCIS_URL
/konnect/v1/jwks.json                  GET         public signing keys (RFC 7517 §5)
/signin/v1/identifier/_/authorize      GET, POST   authorization endpoint (OIDC Core §3.1.2)
/signin/v1/identifier                  GET, POST   sign-in page
/konnect/v1/token                      POST        token endpoint (RFC 6749 §3.2)
/konnect/v1/userinfo                   GET, POST   userinfo (OIDC Core §5.3)
/signin/v1/identifier/_/endsession     GET, POST   end session (RP-Initiated Logout §2)
=====================================  ==========  ==============================================

State lives in ``<data>/idp/`` (see :class:`ocis.idp.service.Idp`): it survives restarts and can be
shared by several copies of the service. No dynamic client registration.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from ocis.accounts.api import AccountsAPI
from ocis.config.model import OcisConfig
from ocis.idp.config import (
    AUTHORIZE_PATH,
    DISCOVERY_PATH,
    ENDSESSION_PATH,
    JWKS_PATH,
    LOGIN_PATH,
    SCOPES,
    TOKEN_PATH,
    USERINFO_PATH,
    IdpSettings,
)
from ocis.idp.http import json_response
from ocis.idp.keys import ALGORITHM
from ocis.idp.login import BrowserEndpoints
from ocis.idp.service import Idp
from ocis.idp.token_endpoint import ApiEndpoints
from ocis.runtime.deps import Deps

METADATA_CACHE = "public, max-age=60"  # seconds; keys rotate rarely and verifiers re-fetch on an unknown kid


def open_idp(cfg: OcisConfig, accounts: AccountsAPI) -> Idp:
    """The IdP for this configuration (stores opened, signing key ready). Raises OSError, ValueError."""
    return Idp.open(IdpSettings.from_config(cfg), accounts)


def discovery_document(settings: IdpSettings) -> dict[str, Any]:
    """The OpenID Provider Metadata (OIDC Discovery §3, RFC 8414 §2, RFC 9207 §3)."""
    url = settings.url
    return {
        "issuer": settings.issuer,
        "authorization_endpoint": url(AUTHORIZE_PATH),
        "token_endpoint": url(TOKEN_PATH),
        "userinfo_endpoint": url(USERINFO_PATH),
        "end_session_endpoint": url(ENDSESSION_PATH),
        "jwks_uri": url(JWKS_PATH),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "azp", "at_hash", "sid",
                             "name", "preferred_username", "email", "email_verified"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
    }


def create_app(deps: Deps, idp: Idp | None = None) -> ASGIApp:
    """The IdP's ASGI app (paths as in the module docstring; other paths under its prefixes: 404).

    Args:
        deps: config and accounts.
        idp: an already opened IdP (the runtime shares its key store with the proxy); default: open one.

    Raises:
        OSError, ValueError: the state directory cannot be opened (only when ``idp`` is not given).
    """
    service = idp if idp is not None else open_idp(deps.config, deps.accounts)
    browser = BrowserEndpoints(service)
    api = ApiEndpoints(service)
    metadata = discovery_document(service.settings)

    async def discovery(request: Request) -> Response:
        return json_response(metadata, cache=METADATA_CACHE)

    async def jwks(request: Request) -> Response:
        return json_response(service.keys.jwks(), cache=METADATA_CACHE)

    async def login(request: Request) -> Response:
        if request.method == "POST":
            return await browser.login_submit(request)
        return await browser.login_form(request)

    async def not_found(scope: Any, receive: Any, send: Any) -> None:
        await PlainTextResponse("404 Not Found\n", 404)(scope, receive, send)

    router = Router(routes=[
        Route(DISCOVERY_PATH, discovery, methods=["GET"]),
        Route(JWKS_PATH, jwks, methods=["GET"]),
        Route(AUTHORIZE_PATH, browser.authorize, methods=["GET", "POST"]),
        Route(LOGIN_PATH, login, methods=["GET", "POST"]),
        Route(ENDSESSION_PATH, browser.end_session, methods=["GET", "POST"]),
        Route(TOKEN_PATH, api.token, methods=["POST"]),
        Route(USERINFO_PATH, api.userinfo, methods=["GET", "POST"]),
    ], default=not_found)
    router.idp = service  # type: ignore[attr-defined]
    return router
