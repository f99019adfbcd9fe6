"""Authorization requests (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3): parsing and checks.

Order matters (RFC 6749 §4.1.2.1): a missing, unknown or duplicated ``client_id`` or a
``redirect_uri`` that is not registered for the client is shown to the user and **never**
redirected to (no open redirector, RFC 9700 §4.11). Every later problem is sent back to the
client's redirect URI as ``error=…&error_description=…&state=…&iss=…``.

Accepted: ``response_type=code`` (the only flow: implicit and hybrid are gone in OAuth 2.1),
``response_mode`` ``query`` (or absent), scope containing ``openid`` (unknown scopes are dropped),
``state``, ``nonce``, ``prompt`` (``none``, ``login``, ``consent``, ``select_account``), ``max_age``,
``login_hint``, and PKCE with ``code_challenge_method=S256`` only (``plain`` is refused; RFC 9700
§2.1.1). Public clients must send a code challenge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from ocis.idp.clients import Client, ClientRegistry
from ocis.idp.config import SCOPES

_SINGLE = ("client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce", "prompt",
           "max_age", "code_challenge", "code_challenge_method", "login_hint", "ui_locales")
_S256_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # base64url of 32 bytes (RFC 7636 §4.2)
_PROMPTS = frozenset({"none", "login", "consent", "select_account"})
MAX_PARAM = 2048  # characters per parameter value


class AuthorizeError(Exception):
    """An authorization request that cannot be served.

    Attributes:
        error: OAuth error code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
        description: human-readable text (shown or sent as ``error_description``).
        request: the parsed request when the error may be redirected to the client; None to show it.
    """

    def __init__(self, error: str, description: str, request: AuthRequest | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.request = request


@dataclass(frozen=True)
class AuthRequest:
    """A valid authorization request."""

    client: Client
    redirect_uri: str
    scope: tuple[str, ...]
    state: str = ""
    nonce: str = ""
    code_challenge: str = ""
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None
    login_hint: str = ""
    ui_locales: str = ""  # preferred languages of the sign-in page (OIDC Core §3.1.2.1)

    def query(self, *, drop_prompts: Sequence[str] = ()) -> str:
        """The request as a query string (to carry it through the sign-in page and back)."""
        params = [("client_id", self.client.id), ("redirect_uri", self.redirect_uri), ("response_type", "code"),
                  ("scope", " ".join(self.scope))]
        for name, value in (("state", self.state), ("nonce", self.nonce), ("code_challenge", self.code_challenge),
                            ("login_hint", self.login_hint), ("ui_locales", self.ui_locales)):
            if value:
                params.append((name, value))
        if self.code_challenge:
            params.append(("code_challenge_method", "S256"))
        prompts = sorted(p for p in self.prompt if p not in drop_prompts)
        if prompts:
            params.append(("prompt", " ".join(prompts)))
        if self.max_age is not None:
            params.append(("max_age", str(self.max_age)))
        return urlencode(params)


def parse_request(params: Sequence[tuple[str, str]], clients: ClientRegistry) -> AuthRequest:
    """Validate an authorization request. See the module docstring.

    Raises:
        AuthorizeError: with ``request`` None for problems that must not be redirected.
    """
    values: dict[str, str] = {}
    duplicated: list[str] = []
    for name, value in params:
        if name in values and name in _SINGLE:
            duplicated.append(name)
        values.setdefault(name, value)
    if "client_id" in duplicated or "redirect_uri" in duplicated:
        raise AuthorizeError("invalid_request", "The request repeats client_id or redirect_uri.")
    client = clients.get(values.get("client_id", ""))
    if client is None:
        raise AuthorizeError("invalid_client", "The application that sent you here is not registered.")
    redirect_uri = values.get("redirect_uri", "")
    if not redirect_uri or not client.redirect_allowed(redirect_uri):
        raise AuthorizeError("invalid_request",
                             "The application asked to return to an address that is not registered for it.")

    state = values.get("state", "")
    partial = AuthRequest(client, redirect_uri, (), state=state[:MAX_PARAM])

    def fail(error: str, description: str) -> AuthorizeError:
        return AuthorizeError(error, description, partial)

    if duplicated:
        raise fail("invalid_request", f"parameter {duplicated[0]} given more than once")
    if any(len(v) > MAX_PARAM for v in values.values()):
        raise fail("invalid_request", "a parameter is too long")
    if "request" in values:
        raise fail("request_not_supported", "request objects are not supported")
    if "request_uri" in values:
        raise fail("request_uri_not_supported", "request_uri is not supported")
    if values.get("response_type") != "code":
        raise fail("unsupported_response_type", "only response_type=code is supported")
    if values.get("response_mode", "query") != "query":
        raise fail("invalid_request", "only response_mode=query is supported")
    requested = values.get("scope", "").split()
    if "openid" not in requested:
        raise fail("invalid_scope", "the scope must contain openid")
    scope = tuple(s for s in SCOPES if s in requested)

    prompt = frozenset(values.get("prompt", "").split())
    if not prompt <= _PROMPTS:
        raise fail("invalid_request", "unknown prompt value")
    if "none" in prompt and len(prompt) > 1:
        raise fail("invalid_request", "prompt=none cannot be combined with other values")  # OIDC Core §3.1.2.1

    max_age: int | None = None
    if "max_age" in values:
        if not values["max_age"].isdigit():
            raise fail("invalid_request", "max_age must be a number of seconds")
        max_age = int(values["max_age"])

    challenge = values.get("code_challenge", "")
    method = values.get("code_challenge_method", "")
    if challenge or method:
        if method != "S256":
            raise fail("invalid_request", "code_challenge_method must be S256")  # RFC 7636 §4.4.1
        if not _S256_CHALLENGE.match(challenge):
            raise fail("invalid_request", "code_challenge must be 43 base64url characters")
    elif client.public:
        raise fail("invalid_request", "PKCE is required for public clients (code_challenge with S256)")

    return AuthRequest(client, redirect_uri, scope, state=state, nonce=values.get("nonce", ""),
                       code_challenge=challenge, prompt=prompt, max_age=max_age,
                       login_hint=values.get("login_hint", ""), ui_locales=values.get("ui_locales", "")[:100])


def redirect_with(redirect_uri: str, params: dict[str, str]) -> str:
    """``redirect_uri`` with ``params`` added to its query (RFC 6749 §4.1.2: keep its own query)."""
    sep = "&" if "?" in redirect_uri else "?"
    return redirect_uri + sep + urlencode({k: v for k, v in params.items() if v})
