"""Small HTTP helpers of the IdP handlers: bounded form bodies, responses, cookies.

Every IdP response carries ``Cache-Control: no-store`` unless it says otherwise (RFC 6749 §5.1 for
tokens; pages with CSRF tokens and codes must not be cached either) and ``Referrer-Policy:
no-referrer`` (codes and states in URLs must not leak through ``Referer``).

Cookies (:func:`set_cookie`): ``HttpOnly``, ``SameSite``, ``Path=/``, and ``Secure`` with the
``__Host-`` name prefix when the issuer is https (RFC 6265bis §4.1.3.2: no ``Domain``, so the
cookie cannot be set or shadowed by a sibling host).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ocis.idp import templates

MAX_FORM = 16 * 1024  # bytes: a sign-in or token request is far smaller

NO_STORE = {"cache-control": "no-store", "pragma": "no-cache", "referrer-policy": "no-referrer"}


class FormError(Exception):
    """The request body is not an acceptable form (too large, not UTF-8, wrong content type)."""


async def read_form(request: Request, *, require_type: bool = True) -> list[tuple[str, str]]:
    """The ``application/x-www-form-urlencoded`` body as (name, value) pairs, at most :data:`MAX_FORM` bytes.

    Raises:
        FormError: wrong content type, too large, or not UTF-8.
    """
    ctype = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if require_type and ctype != "application/x-www-form-urlencoded":
        raise FormError("expected an application/x-www-form-urlencoded body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_FORM:
            raise FormError("request body too large")
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("request body is not UTF-8") from None
    return parse_qsl(text, keep_blank_values=True)


def single_values(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """(first value of every name, names given more than once)."""
    values: dict[str, str] = {}
    repeated: list[str] = []
    for name, value in pairs:
        if name in values:
            repeated.append(name)
        else:
            values[name] = value
    return values, repeated


def html(body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    """An IdP page with its CSP and no-store headers."""
    return HTMLResponse(body, status, {**NO_STORE, "content-security-policy": templates.CSP, **(headers or {})})


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None, *,
                  cache: str | None = None) -> Response:
    """A JSON response; ``no-store`` unless ``cache`` gives a ``Cache-Control`` value."""
    base = dict(NO_STORE) if cache is None else {"cache-control": cache}
    return Response(json.dumps(doc, separators=(",", ":")), status, {**base, **(headers or {})},
                    media_type="application/json")


def redirect(location: str, status: int = 302, headers: dict[str, str] | None = None) -> Response:
    """A redirect that is never cached."""
    return Response(b"", status, {**NO_STORE, "location": location, **(headers or {})})


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-<base>`` for secure cookies, ``<base>`` otherwise."""
    return f"__Host-{base}" if secure else base


def set_cookie(response: Response, base: str, value: str, *, secure: bool, max_age: int,
               same_site: str = "lax") -> None:
    """Set an IdP cookie (see the module docstring); ``max_age`` in seconds, 0 deletes it."""
    response.set_cookie(cookie_name(base, secure), value, max_age=max_age, path="/", secure=secure,
                        httponly=True, samesite=same_site)  # type: ignore[arg-type]


def get_cookie(request: Request, base: str, secure: bool) -> str | None:
    return request.cookies.get(cookie_name(base, secure))


def client_address(request: Request) -> str:
    """The peer address (no forwarded headers are trusted)."""
    return request.client.host if request.client else ""
