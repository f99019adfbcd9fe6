"""Browser-facing endpoints: authorization (OIDC Core §3.1.2), the sign-in page, end-session
(OpenID Connect RP-Initiated Logout 1.0).

Flow: the client sends the browser to ``/signin/v1/identifier/_/authorize?…``. A valid request with
a live sign-in session (cookie) gets a code right away (302 to the redirect URI with ``code``,
``state`` and ``iss``, RFC 9207). Without one, the browser goes to the sign-in page
``/signin/v1/identifier?…`` (the request rides along in a hidden field), which posts back to itself;
on success it starts a session and sends the browser back to the authorize endpoint (303), which
now issues the code. ``prompt=none`` without a session answers ``login_required`` instead.
There is no consent screen: every registered client is first-party (as konnect's ``trusted``
clients were), so ``prompt=consent`` is granted and ``offline_access`` is honoured when asked for.

CSRF (OWASP CSRF Prevention Cheat Sheet): the sign-in and sign-out forms carry a random token
that must equal the value of a ``SameSite=Strict``, ``HttpOnly`` cookie set with the form, and a
cross-origin ``Origin`` header is refused.

A failed sign-in always says "Wrong username or password." (unknown user and wrong password are
indistinguishable, and cost the same time: the accounts store hashes against a dummy); repeated
failures are throttled per login name and per client address (:mod:`ocis.core.throttle`).
Passwords, codes and cookies are never logged.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from urllib.parse import parse_qsl, urlsplit

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from ocis.accounts.api import User, login_key
from ocis.idp import templates
from ocis.idp.api import InvalidToken
from ocis.idp.authorize import AuthorizeError, AuthRequest, parse_request, redirect_with
from ocis.idp.codes import CodeGrant
from ocis.idp.config import AUTHORIZE_PATH, ENDSESSION_PATH, LOGIN_PATH
from ocis.idp.http import (
    FormError,
    client_address,
    get_cookie,
    html,
    read_form,
    redirect,
    set_cookie,
    single_values,
)
from ocis.idp.service import Idp
from ocis.idp.sessions import Session

log = logging.getLogger("ocis.idp")

SESSION_COOKIE = "ocis-idp-session"
CSRF_COOKIE = "ocis-idp-csrf"
CSRF_LIFETIME = 3600  # seconds a sign-in form stays usable

# message keys of templates.MESSAGES (the page shows them in the user's language)
WRONG_CREDENTIALS = "wrong_credentials"
MISSING_CREDENTIALS = "missing_credentials"
FORM_EXPIRED = "form_expired"


class BrowserEndpoints:
    """Handlers for authorize, sign-in and end-session. Each is a Starlette endpoint."""

    def __init__(self, idp: Idp) -> None:
        self.idp = idp
        self.secure = idp.settings.secure_cookies

    # ------------------------------------------------------------------ authorization endpoint

    async def authorize(self, request: Request) -> Response:
        """GET or POST (OIDC Core §3.1.2.1) authorization request."""
        try:
            params = list(request.query_params.multi_items()) if request.method == "GET" else await read_form(request)
        except FormError as exc:
            return self._error_page(str(exc))
        try:
            auth = parse_request(params, self.idp.clients)
        except AuthorizeError as exc:
            return self._authorize_error(exc)
        session, user = await self._session_user(request)
        if session is None or user is None or _login_needed(auth, session.auth_time):
            if "none" in auth.prompt:
                return self._redirect_error(auth, "login_required", "the user is not signed in")
            return redirect(f"{self.idp.settings.url(LOGIN_PATH)}?{auth.query()}")
        grant = CodeGrant(auth.client.id, auth.redirect_uri, user.id, auth.scope, auth.nonce, auth.code_challenge,
                          session.auth_time, session.sid)
        code = await anyio.to_thread.run_sync(self.idp.codes.issue, grant)
        return redirect(redirect_with(auth.redirect_uri, {"code": code, "state": auth.state,
                                                          "iss": self.idp.settings.issuer}))

    # ------------------------------------------------------------------ sign-in page

    async def login_form(self, request: Request) -> Response:
        """GET: show the sign-in form for the authorization request in the query."""
        try:
            auth = parse_request(list(request.query_params.multi_items()), self.idp.clients)
        except AuthorizeError as exc:
            return self._authorize_error(exc)
        return self._render_login(request, auth, username=auth.login_hint)

    async def login_submit(self, request: Request) -> Response:
        """POST: check CSRF, throttling and credentials; start a session and continue to authorize."""
        try:
            form, _ = single_values(await read_form(request))
        except FormError as exc:
            return self._error_page(str(exc))
        try:
            auth = parse_request(parse_qsl(form.get("request", ""), keep_blank_values=True), self.idp.clients)
        except AuthorizeError as exc:
            return self._authorize_error(exc)
        username = form.get("username", "").strip()
        password = form.get("password", "")
        if not self._csrf_ok(request, form.get("csrf", "")):
            return self._render_login(request, auth, username=username, error=FORM_EXPIRED, status=400, renew=True)
        if not username or not password:
            return self._render_login(request, auth, username=username, error=MISSING_CREDENTIALS, status=400)

        address = client_address(request)
        throttle = self.idp.throttle
        key = login_key(self.idp.accounts, username)  # username and email count as one account
        wait = throttle.retry_after(key, address)
        if wait:
            log.warning("idp: sign-in refused, too many failures (client %s)", address)
            minutes = max(1, (wait + 59) // 60)
            return self._render_login(request, auth, username=username, error="too_many", status=429,
                                      headers={"retry-after": str(wait)}, minutes=minutes)
        user = await anyio.to_thread.run_sync(self.idp.accounts.authenticate, username, password)
        if user is None:
            throttle.failure(key, address)
            log.info("idp: sign-in failed (client %s)", address)
            return self._render_login(request, auth, username=username, error=WRONG_CREDENTIALS)
        throttle.success(key)

        old = get_cookie(request, SESSION_COOKIE, self.secure)
        if old:
            await anyio.to_thread.run_sync(self.idp.sessions.delete, old)
        cookie, _session = await anyio.to_thread.run_sync(self.idp.sessions.create, user.id)
        log.info("idp: %s signed in for client %s", user.username, auth.client.id)
        target = f"{self.idp.settings.url(AUTHORIZE_PATH)}?{auth.query(drop_prompts=('login', 'select_account'))}"
        response = redirect(target, 303)
        set_cookie(response, SESSION_COOKIE, cookie, secure=self.secure, max_age=self.idp.settings.session_expiration)
        return response

    # ------------------------------------------------------------------ end session

    async def end_session(self, request: Request) -> Response:
        """GET or POST: sign out of the IdP (RP-Initiated Logout §2, §3)."""
        try:
            pairs = list(request.query_params.multi_items()) if request.method == "GET" else await read_form(request)
        except FormError as exc:
            return self._error_page(str(exc))
        params, _ = single_values(pairs)
        hint_claims = None
        if params.get("id_token_hint"):
            try:
                hint_claims = self.idp.tokens.verify_id_token_hint(params["id_token_hint"])
            except InvalidToken:
                return self._error_page("The sign-out request carries an invalid id_token_hint.")
        client_id = str(hint_claims["aud"]) if hint_claims else params.get("client_id", "")
        if hint_claims and params.get("client_id") and params["client_id"] != client_id:
            return self._error_page("The sign-out request names two different applications.")
        client = self.idp.clients.get(client_id)
        target = params.get("post_logout_redirect_uri", "")
        if target and (client is None or not client.post_logout_allowed(target)):
            target = ""  # never redirect to an unregistered address

        confirmed = request.method == "POST" and self._csrf_ok(request, params.get("csrf", ""))
        if hint_claims is None and not confirmed:
            keep = {k: params[k] for k in ("post_logout_redirect_uri", "state", "client_id") if params.get(k)}
            csrf = self._csrf_value(request)
            lang = templates.pick_language(params.get("ui_locales", ""), request.headers.get("accept-language", ""))
            page = html(templates.logout_page(action=ENDSESSION_PATH, csrf=csrf, hidden=keep, lang=lang))
            set_cookie(page, CSRF_COOKIE, csrf, secure=self.secure, max_age=CSRF_LIFETIME, same_site="strict")
            return page

        cookie = get_cookie(request, SESSION_COOKIE, self.secure)
        session = await anyio.to_thread.run_sync(self.idp.sessions.delete, cookie)
        if session is not None:
            revoked = await anyio.to_thread.run_sync(lambda: self.idp.refresh.revoke_where(sid=session.sid))
            log.info("idp: signed out (session ended, %d refresh token families revoked)", revoked)
        response: Response
        if target:
            response = redirect(redirect_with(target, {"state": params.get("state", "")}))
        else:
            response = html(templates.message_page("Signed out", "You have been signed out."))
        set_cookie(response, SESSION_COOKIE, "", secure=self.secure, max_age=0)
        return response

    # ------------------------------------------------------------------ helpers

    async def _session_user(self, request: Request) -> tuple[Session | None, User | None]:
        cookie = get_cookie(request, SESSION_COOKIE, self.secure)
        session = await anyio.to_thread.run_sync(self.idp.sessions.get, cookie)
        if session is None:
            return None, None
        user = await anyio.to_thread.run_sync(self.idp.accounts.get_user, session.user_id)
        if user is None or not user.enabled:
            return None, None
        return session, user

    def _render_login(self, request: Request, auth: AuthRequest, *, username: str = "", error: str = "",
                      status: int = 200, renew: bool = False, headers: dict[str, str] | None = None,
                      minutes: int = 0) -> Response:
        """The sign-in page; ``error`` is a message key of ``templates.MESSAGES`` (or empty)."""
        csrf = self._csrf_value(request, renew=renew)
        lang = templates.pick_language(auth.ui_locales, request.headers.get("accept-language", ""))
        message = ""
        if error:
            unit = templates.text(lang, "minute" if minutes == 1 else "minutes")
            message = templates.text(lang, error, minutes=minutes, unit=unit)
        page = templates.login_page(action=LOGIN_PATH, csrf=csrf, request=auth.query(), client_name=auth.client.name,
                                    username=username, error=message, lang=lang)
        response = html(page, status, headers)
        set_cookie(response, CSRF_COOKIE, csrf, secure=self.secure, max_age=CSRF_LIFETIME, same_site="strict")
        return response

    def _csrf_value(self, request: Request, renew: bool = False) -> str:
        current = get_cookie(request, CSRF_COOKIE, self.secure)
        if current and not renew and 32 <= len(current) <= 64:
            return current
        return secrets.token_urlsafe(32)

    def _csrf_ok(self, request: Request, submitted: str) -> bool:
        origin = request.headers.get("origin")
        if origin is not None and origin != "null" and not _same_origin(origin, self.idp.settings.issuer):
            return False
        cookie = get_cookie(request, CSRF_COOKIE, self.secure) or ""
        return bool(cookie) and bool(submitted) and hmac.compare_digest(cookie.encode(), submitted.encode())

    def _authorize_error(self, exc: AuthorizeError) -> Response:
        if exc.request is None:
            return self._error_page(exc.description)
        return self._redirect_error(exc.request, exc.error, exc.description)

    def _redirect_error(self, auth: AuthRequest, error: str, description: str) -> Response:
        return redirect(redirect_with(auth.redirect_uri, {"error": error, "error_description": description,
                                                          "state": auth.state, "iss": self.idp.settings.issuer}))

    def _error_page(self, message: str) -> Response:
        return html(templates.message_page("Sign-in request not accepted", message), 400)



def _login_needed(auth: AuthRequest, auth_time: int) -> bool:
    if auth.prompt & {"login", "select_account"}:
        return True
    return auth.max_age is not None and time.time() - auth_time > auth.max_age


def _same_origin(origin: str, issuer: str) -> bool:
    a, b = urlsplit(origin), urlsplit(issuer)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())
