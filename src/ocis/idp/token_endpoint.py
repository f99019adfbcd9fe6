"""API endpoints for clients: token (RFC 6749 §3.2, §4.1.3, §6; OIDC Core §3.1.3) and userinfo
(OIDC Core §5.3).

Client authentication (RFC 6749 §2.3.1): ``client_secret_basic`` (HTTP Basic with the form-encoded
id and secret), ``client_secret_post`` (``client_id`` + ``client_secret`` in the body), or ``none``
for public clients (``client_id`` only). A client with a registered secret must authenticate. The
desktop client sends Basic *and* the same id and secret in the body; that is accepted.

``authorization_code``: the code must be unused, unexpired, issued to this client with exactly this
``redirect_uri``, and its PKCE challenge must match ``BASE64URL(SHA256(code_verifier))`` (RFC 7636
§4.6); a verifier without a challenge is refused too (PKCE downgrade, RFC 9700 §2.1.1). Returns an
access token, an ID token and, with scope ``offline_access``, a refresh token. Reusing a code
revokes the refresh tokens issued from it.

``refresh_token``: rotated on every use (:mod:`ocis.idp.refresh`); returns a new access token, a
new refresh token and a new ID token (same ``sub``, ``auth_time``, ``azp``: OIDC Core §12.2). An
optional ``scope`` must be a subset of the granted one (RFC 6749 §6).

Errors are JSON ``{"error", "error_description"}`` with 400, or 401 for ``invalid_client`` (with a
``WWW-Authenticate: Basic`` challenge when the client tried Basic), RFC 6749 §5.2.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import re
from typing import Any
from urllib.parse import unquote_plus

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ocis.accounts.api import User
from ocis.idp.api import InvalidToken
from ocis.idp.clients import Client
from ocis.idp.codes import CodeError
from ocis.idp.http import FormError, json_response, read_form, single_values
from ocis.idp.refresh import RefreshError, RefreshGrant
from ocis.idp.service import Idp
from ocis.idp.tokens import profile_claims

log = logging.getLogger("ocis.idp")

_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")  # RFC 7636 §4.1


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    def __init__(self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}

    def response(self) -> Response:
        return json_response({"error": self.error, "error_description": self.description}, self.status, self.headers)


def pkce_s256(verifier: str) -> str:
    """``BASE64URL(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ApiEndpoints:
    """Token and userinfo handlers (Starlette endpoints)."""

    def __init__(self, idp: Idp) -> None:
        self.idp = idp

    # ------------------------------------------------------------------ token endpoint

    async def token(self, request: Request) -> Response:
        try:
            pairs = await read_form(request)
            params, repeated = single_values(pairs)
            if repeated:
                raise OAuthError("invalid_request", f"parameter {repeated[0]} given more than once")
            client = self._authenticate_client(request, params)
            grant_type = params.get("grant_type", "")
            if grant_type == "authorization_code":
                doc = await self._code_grant(client, params)
            elif grant_type == "refresh_token":
                doc = await self._refresh_grant(client, params)
            elif not grant_type:
                raise OAuthError("invalid_request", "grant_type is missing")
            else:
                raise OAuthError("unsupported_grant_type", "supported: authorization_code, refresh_token")
        except FormError as exc:
            return OAuthError("invalid_request", str(exc)).response()
        except OAuthError as exc:
            return exc.response()
        return json_response(doc)

    def _authenticate_client(self, request: Request, params: dict[str, str]) -> Client:
        basic = _basic_credentials(request.headers.get("authorization", ""))
        challenge = {"www-authenticate": 'Basic realm="ocis", charset="UTF-8"'} if basic else {}
        if basic is not None:
            # RFC 6749 §2.3 allows one method per request, but the ownCloud desktop client sends its id and
            # secret both as Basic and in the body: accept that when both say the same.
            client_id, secret = basic
            same_secret = hmac.compare_digest(params.get("client_secret", secret).encode(), secret.encode())
            if params.get("client_id", client_id) != client_id or not same_secret:
                raise OAuthError("invalid_request", "conflicting client credentials in header and body")
        else:
            client_id, secret = params.get("client_id", ""), params.get("client_secret", "")
        if not client_id:
            raise OAuthError("invalid_client", "client authentication failed", 401, challenge)
        client = self.idp.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "client authentication failed", 401, challenge)
        if client.public:
            if secret:
                raise OAuthError("invalid_client", "public clients have no secret", 401, challenge)
        elif not client.check_secret(secret):
            raise OAuthError("invalid_client", "client authentication failed", 401, challenge)
        return client

    async def _code_grant(self, client: Client, params: dict[str, str]) -> dict[str, Any]:
        code = params.get("code", "")
        if not code:
            raise OAuthError("invalid_request", "code is missing")
        try:
            grant = await anyio.to_thread.run_sync(self.idp.codes.redeem, code)
        except CodeError as exc:
            if exc.replayed is not None:
                family = exc.replayed.family
                await anyio.to_thread.run_sync(self.idp.refresh.revoke, family)
                log.warning("idp: authorization code replayed (client %s); its tokens were revoked",
                            exc.replayed.client_id)
            raise OAuthError("invalid_grant", str(exc)) from None
        if grant.client_id != client.id:
            raise OAuthError("invalid_grant", "the code was issued to another client")
        if params.get("redirect_uri", "") != grant.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        verifier = params.get("code_verifier", "")
        if grant.code_challenge:
            if not _VERIFIER.match(verifier) or not hmac.compare_digest(pkce_s256(verifier), grant.code_challenge):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        elif verifier:
            raise OAuthError("invalid_grant", "code_verifier sent but no code_challenge was")
        user = await self._live_user(grant.user_id)
        refresh_token = ""
        if "offline_access" in grant.scope:
            start = RefreshGrant(grant.family, client.id, user.id, grant.scope, grant.auth_time, grant.sid)
            refresh_token = await anyio.to_thread.run_sync(self.idp.refresh.create, start)
        return await self._token_response(user, client, grant.scope, grant.auth_time, grant.sid, grant.nonce,
                                          refresh_token)

    async def _refresh_grant(self, client: Client, params: dict[str, str]) -> dict[str, Any]:
        token = params.get("refresh_token", "")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is missing")
        try:
            grant, following = await anyio.to_thread.run_sync(self.idp.refresh.rotate, token, client.id)
        except RefreshError as exc:
            raise OAuthError("invalid_grant", str(exc)) from None
        scope = grant.scope
        if "scope" in params:
            wanted = tuple(params["scope"].split())
            if not set(wanted) <= set(grant.scope):
                raise OAuthError("invalid_scope", "the scope exceeds the one originally granted")
            scope = tuple(s for s in grant.scope if s in wanted)
        try:
            user = await self._live_user(grant.user_id)
        except OAuthError:
            await anyio.to_thread.run_sync(self.idp.refresh.revoke, grant.family)
            raise
        return await self._token_response(user, client, scope, grant.auth_time, grant.sid, "", following)

    async def _live_user(self, user_id: str) -> User:
        user = await anyio.to_thread.run_sync(self.idp.accounts.get_user, user_id)
        if user is None or not user.enabled:
            raise OAuthError("invalid_grant", "the account no longer exists or is disabled")
        return user

    async def _token_response(self, user: User, client: Client, scope: tuple[str, ...], auth_time: int, sid: str,
                              nonce: str, refresh_token: str) -> dict[str, Any]:
        tokens = self.idp.tokens

        def mint() -> tuple[str, str]:
            access = tokens.access_token(user, client.id, scope, auth_time=auth_time, sid=sid)
            id_token = tokens.id_token(user, client.id, auth_time=auth_time, sid=sid, nonce=nonce,
                                       access_token=access)
            return access, id_token

        access, id_token = await anyio.to_thread.run_sync(mint)
        doc: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": tokens.access_lifetime,
                               "scope": " ".join(scope), "id_token": id_token}
        if refresh_token:
            doc["refresh_token"] = refresh_token
        return doc

    # ------------------------------------------------------------------ userinfo

    async def userinfo(self, request: Request) -> Response:
        """The signed-in user's claims for a valid access token (``Authorization: Bearer``)."""
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return json_response({"error": "invalid_request", "error_description": "no bearer token"}, 401,
                                 {"www-authenticate": 'Bearer realm="ocis"'})
        try:
            claims = await anyio.to_thread.run_sync(self.idp.tokens.verify_access_token, token.strip())
        except InvalidToken as exc:
            return _invalid_token(str(exc))
        user = await anyio.to_thread.run_sync(self.idp.accounts.get_user, claims["sub"])
        if user is None or not user.enabled:
            return _invalid_token("unknown user")
        scope = str(claims.get("scope", "")).split()
        return json_response({"sub": user.id, **profile_claims(user, scope)})


def _invalid_token(description: str) -> Response:
    value = f'Bearer realm="ocis", error="invalid_token", error_description="{description}"'
    return json_response({"error": "invalid_token", "error_description": description}, 401,
                         {"www-authenticate": value})


def _basic_credentials(value: str) -> tuple[str, str] | None:
    """``Basic base64(urlencode(id):urlencode(secret))`` → (id, secret) (RFC 6749 §2.3.1); None if not Basic."""
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise OAuthError("invalid_client", "malformed Basic credentials", 401,
                         {"www-authenticate": 'Basic realm="ocis", charset="UTF-8"'}) from None
    client_id, sep, secret = raw.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "malformed Basic credentials", 401,
                         {"www-authenticate": 'Basic realm="ocis", charset="UTF-8"'})
    return unquote_plus(client_id), unquote_plus(secret)
