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


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body><main>{body}</main></body></html>\n"
    )


def login_page(*, action: str, csrf: str, request: str, client_name: str, username: str = "",
               error: str = "") -> str:
    """The sign-in form.

    Args:
        action: where the form posts (the sign-in path).
        csrf: the anti-CSRF token (hidden field).
        request: the authorization request as a query string (hidden field).
        client_name: the application the user signs in to.
        username: pre-filled login name (after a failure, or ``login_hint``).
        error: message to show; empty for none.
    """
    invalid = ' aria-invalid="true" aria-describedby="error"' if error else ""
    alert = f'<p class="error" id="error" role="alert">{escape(error)}</p>' if error else ""
    focus_user = "" if username else " autofocus"
    focus_password = " autofocus" if username else ""
    body = (
        f'<h1>Sign in</h1><p class="sub">to continue to {escape(client_name)}</p>{alert}'
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'<input type="hidden" name="request" value="{escape(request)}">'
        '<label for="username">Username or email</label>'
        f'<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" '
        f'spellcheck="false" required value="{escape(username)}"{invalid}{focus_user}>'
        '<label for="password">Password</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password" required'
        f"{invalid}{focus_password}>"
        '<button type="submit">Sign in</button></form>'
    )
    return _page("Sign in - ocis", body)


def logout_page(*, action: str, csrf: str, hidden: dict[str, str]) -> str:
    """Ask before signing out when the request did not prove it came from a client (no id_token_hint)."""
    fields = "".join(f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in hidden.items())
    body = (
        '<h1>Sign out</h1><p class="sub">Do you want to sign out of ocis?</p>'
        f'<form method="post" action="{escape(action)}"><input type="hidden" name="csrf" value="{escape(csrf)}">'
        f'{fields}<button type="submit" autofocus>Sign out</button></form>'
    )
    return _page("Sign out - ocis", body)


def message_page(title: str, message: str, *, link: tuple[str, str] | None = None) -> str:
    """A page with a heading, a message and an optional (href, text) link."""
    extra = f'<p><a href="{escape(link[0])}">{escape(link[1])}</a></p>' if link else ""
    return _page(f"{title} - ocis", f'<h1>{escape(title)}</h1><p role="status">{escape(message)}</p>{extra}')
