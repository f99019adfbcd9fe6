"""Server-rendered pages of the IdP: sign-in form, sign-out confirmation, messages.

Plain HTML, no JavaScript. Accessibility: ``lang``, one ``h1``, visible ``label`` for every input,
``autocomplete`` hints (username, current-password), the error in a ``role="alert"`` region that
the inputs reference with ``aria-describedby`` and ``aria-invalid``, keyboard focus on the first
field, sufficient contrast, and a visible focus outline. Every value is HTML-escaped.

:data:`CSP` is the Content-Security-Policy of these pages: nothing but the inline style (allowed by
its hash), forms posting to ourselves, and no framing (clickjacking).
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

_STYLE = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1b1f24}
main{max-width:24rem;margin:10vh auto;padding:2rem;background:#fff;border-radius:.5rem;
box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin:0 0 .25rem}
p.sub{margin:0 0 1.5rem;color:#4a5260}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input{width:100%;padding:.6rem;font-size:1rem;border:1px solid #6b7280;border-radius:.25rem}
input[aria-invalid=true]{border-color:#b00020}
input:focus,button:focus,a:focus{outline:3px solid #1a5fb4;outline-offset:2px}
button{margin-top:1.5rem;width:100%;padding:.7rem;font-size:1rem;font-weight:600;color:#fff;
background:#1a5fb4;border:0;border-radius:.25rem;cursor:pointer}
.error{margin:0 0 1rem;padding:.75rem;border-radius:.25rem;background:#fde8ea;color:#8a0015;
border:1px solid #b00020}
""".strip()

_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CSP = (f"default-src 'none'; style-src 'sha256-{_STYLE_HASH}'; img-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")


# The sign-in pages speak the languages of the web UI. Chosen by ``ui_locales`` (OIDC Core
# §3.1.2.1), else Accept-Language, else English (see :func:`pick_language`).
MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "sign_in": "Sign in", "continue_to": "to continue to {client}", "username": "Username or email",
        "password": "Password", "sign_out": "Sign out", "sign_out_question": "Do you want to sign out of ocis?",
        "wrong_credentials": "Wrong username or password.",
        "missing_credentials": "Enter your username and password.",
        "form_expired": "The sign-in form expired. Please try again.",
        "too_many": "Too many failed sign-in attempts. Please wait {minutes} {unit} and try again.",
        "minute": "minute", "minutes": "minutes",
    },
    "de": {
        "sign_in": "Anmelden", "continue_to": "um mit {client} fortzufahren", "username": "Benutzername oder E-Mail",
        "password": "Passwort", "sign_out": "Abmelden", "sign_out_question": "Möchten Sie sich von ocis abmelden?",
        "wrong_credentials": "Falscher Benutzername oder falsches Passwort.",
        "missing_credentials": "Bitte Benutzernamen und Passwort eingeben.",
        "form_expired": "Das Anmeldeformular ist abgelaufen. Bitte versuchen Sie es erneut.",
        "too_many": "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {minutes} {unit} und "
                    "versuchen Sie es dann erneut.",
        "minute": "Minute", "minutes": "Minuten",
    },
}


def pick_language(ui_locales: str, accept_language: str) -> str:
    """The first supported language of ``ui_locales`` (space-separated BCP 47 tags), else of the
    Accept-Language header (RFC 9110 §12.5.4, q-values honoured), else ``en``."""
    for tag in ui_locales.split():
        lang = tag.split("-")[0].lower()
        if lang in MESSAGES:
            return lang
    ranked = []
    for i, item in enumerate(accept_language.split(",")):
        tag, _, q = item.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((-weight, i, tag.split("-")[0].strip().lower()))
    for weight, _, lang in sorted(ranked):
        if weight < 0 and lang in MESSAGES:
            return lang
    return "en"


def text(lang: str, key: str, **params: object) -> str:
    """A message of the sign-in pages in ``lang`` (English when unknown)."""
    return MESSAGES.get(lang, MESSAGES["en"])[key].format(**params)


def _page(title: str, body: str, lang: str = "en") -> str:
    return (
        f'<!doctype html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main>{body}</main></body></html>\n"
    )


def login_page(*, action: str, csrf: str, request: str, client_name: str, username: str = "",
               error: str = "", lang: str = "en") -> str:
    """The sign-in form.

    Args:
        action: where the form posts (the sign-in path).
        csrf: the anti-CSRF token (hidden field).
        request: the authorization request as a query string (hidden field).
        client_name: the application the user signs in to.
        username: pre-filled login name (after a failure, or ``login_hint``).
        error: message to show (already in ``lang``); empty for none.
        lang: language of the page (a key of :data:`MESSAGES`).
    """
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    alert = f'<p class="error" id="error" role="alert">{escape(error)}</p>' if error else ""
    focus_user = "" if username else " autofocus"
    focus_password = " autofocus" if username else ""
    body = (
        f'<h1>{text(lang, "sign_in")}</h1><p class="sub">{escape(text(lang, "continue_to", client=client_name))}</p>'
        f"{alert}"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="request" value="{escape(request)}">'
        f'<label for="username">{text(lang, "username")}</label>'
        f'<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" '
        f'spellcheck="false" required value="{escape(username)}"{invalid}{focus_user}>'
        f'<label for="password">{text(lang, "password")}</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password" required'
        f"{invalid}{focus_password}>"
        f'<button type="submit">{text(lang, "sign_in")}</button></form>'
    )
    return _page(f'{text(lang, "sign_in")} - ocis', body, lang)


def logout_page(*, action: str, csrf: str, hidden: dict[str, str], lang: str = "en") -> str:
    """Ask before signing out when the request did not prove it came from a client (no id_token_hint)."""
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items())
    body = (
        f'<h1>{text(lang, "sign_out")}</h1><p class="sub">{text(lang, "sign_out_question")}</p>'
        f'<form method="post" action="{escape(action)}"><input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'{fields}<button type="submit" autofocus>{text(lang, "sign_out")}</button></form>'
    )
    return _page(f'{text(lang, "sign_out")} - ocis', body, lang)


def message_page(title: str, message: str, *, link: tuple[str, str] | None = None) -> str:
    """A page with a heading, a message and an optional (href, text) link."""
    extra = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return _page(f"{title} - ocis", f'<h1>{escape(title)}</h1><p role="status">{escape(message)}</p>{extra}')
