"""Token verification (ocis.idp.api), token minting, registered clients, authorization requests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from ocis.accounts.api import User
from ocis.config.errors import ConfigError
from ocis.config.loader import parse_clients
from ocis.idp.api import ACCESS_TOKEN_TYPES, InvalidToken, TokenPolicy, UnknownKey, verify_jwt
from ocis.idp.authorize import AuthorizeError, parse_request, redirect_with
from ocis.idp.clients import (
    ANDROID_ID,
    DESKTOP_ID,
    DESKTOP_SECRET,
    IOS_ID,
    ClientRegistry,
    is_loopback_redirect,
)
from ocis.idp.keys import KeyStore
from ocis.idp.tokens import TokenIssuer, at_hash
from ocis.proxy.oidc_remote import signing_keys

ISSUER = "https://cloud.example.org"
NOW = 1_800_000_000
USER = User("id-1", "alice", "Alice A", "alice@example.org")
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B


@pytest.fixture
def issuer(tmp_path: Path) -> TokenIssuer:
    keys = KeyStore(tmp_path, ISSUER, rotation=0, max_token_lifetime=3600, clock=lambda: NOW)
    return TokenIssuer(keys, ISSUER, access_lifetime=600, id_lifetime=3600, audiences={"web", "desk"},
                       clock=lambda: NOW)


def policy(**kw: object) -> TokenPolicy:
    args: dict[str, object] = {"issuer": ISSUER, "audiences": frozenset({"web", "desk"}), "types": ACCESS_TOKEN_TYPES}
    args.update(kw)
    return TokenPolicy(**args)  # type: ignore[arg-type]


def keyset(issuer: TokenIssuer) -> object:
    return issuer.keys.issuer_keys().keys


# ---------------------------------------------------------------- verify_jwt


def test_access_token_claims(issuer: TokenIssuer) -> None:
    token = issuer.access_token(USER, "web", ("openid", "profile"), auth_time=NOW - 5, sid="s")
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    claims = verify_jwt(token, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]
    assert claims["sub"] == "id-1" and claims["aud"] == "web" and claims["client_id"] == "web"
    assert claims["exp"] == NOW + 600 and claims["scope"] == "openid profile"
    assert claims["preferred_username"] == "alice" and claims["email"] == "alice@example.org"


def test_id_token_claims_and_at_hash(issuer: TokenIssuer) -> None:
    access = issuer.access_token(USER, "web", ("openid",), auth_time=NOW, sid="s")
    token = issuer.id_token(USER, "web", auth_time=NOW, sid="s", nonce="n1", access_token=access)
    claims = verify_jwt(token, keyset(issuer), policy(types=frozenset({"jwt"})), now=NOW)  # type: ignore[arg-type]
    assert claims["nonce"] == "n1" and claims["at_hash"] == at_hash(access) and claims["azp"] == "web"
    assert {"sub", "preferred_username", "name", "email", "auth_time", "iat", "exp"} <= set(claims)
    # an ID token is not an access token (RFC 9068 §4: typ)
    with pytest.raises(InvalidToken, match="type"):
        verify_jwt(token, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "at", "reason"),
    [
        ({}, NOW + 600, "expired"),
        ({"issuer": "https://other.example.org"}, NOW, "issuer"),
        ({"audiences": frozenset({"android"})}, NOW, "audience"),
    ],
)
def test_refusals(issuer: TokenIssuer, kw: dict[str, object], at: int, reason: str) -> None:
    token = issuer.access_token(USER, "web", ("openid",), auth_time=NOW, sid="s")
    with pytest.raises(InvalidToken, match=reason):
        verify_jwt(token, keyset(issuer), policy(**kw), now=at)  # type: ignore[arg-type]


def test_leeway_and_azp(issuer: TokenIssuer) -> None:
    token = issuer.access_token(USER, "web", ("openid",), auth_time=NOW, sid="s")
    assert verify_jwt(token, keyset(issuer), policy(leeway=30), now=NOW + 620)  # type: ignore[arg-type]
    only_azp = policy(audiences=frozenset({"web"}), accept_azp=True)
    assert verify_jwt(token, keyset(issuer), only_azp, now=NOW)  # type: ignore[arg-type]


def test_foreign_key_and_forged_algorithms(issuer: TokenIssuer) -> None:
    claims = {"iss": ISSUER, "sub": "id-1", "aud": "web", "exp": NOW + 60}
    foreign = RSAKey.generate_key(2048)
    kid = issuer.keys.active_key()[0]
    forged = jwt.encode({"alg": "RS256", "kid": kid, "typ": "at+jwt"}, claims, foreign)
    with pytest.raises(InvalidToken, match="signature"):
        verify_jwt(forged, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]
    unknown = jwt.encode({"alg": "RS256", "kid": "nope", "typ": "at+jwt"}, claims, foreign)
    with pytest.raises(UnknownKey):
        verify_jwt(unknown, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]
    hmac_token = jwt.encode({"alg": "HS256", "kid": kid, "typ": "at+jwt"}, claims, OctKey.generate_key(256))
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_jwt(hmac_token, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    none_header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"at+jwt"}').rstrip(b"=").decode()
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_jwt(f"{none_header}.{body}.", keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]
    for garbage in ("", "abc", "a.b.c", "x" * 50):
        with pytest.raises(InvalidToken):
            verify_jwt(garbage, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]


def test_missing_or_bad_claims(issuer: TokenIssuer) -> None:
    base = {"iss": ISSUER, "sub": "id-1", "aud": "web", "exp": NOW + 60}
    for change, reason in (({"exp": None}, "expiry"), ({"exp": "soon"}, "expiry"), ({"sub": ""}, "subject"),
                           ({"nbf": NOW + 100}, "nbf"), ({"iat": NOW + 100}, "iat"), ({"aud": ["x", "y"]}, "audience")):
        claims = {k: v for k, v in {**base, **change}.items() if v is not None}
        token = issuer.keys.sign(claims, typ="at+jwt")
        with pytest.raises(InvalidToken, match=reason):
            verify_jwt(token, keyset(issuer), policy(), now=NOW)  # type: ignore[arg-type]


def test_remote_jwks_keeps_only_public_signature_keys() -> None:
    rsa = RSAKey.generate_key(2048).as_dict(private=True, kid="a")
    enc = RSAKey.generate_key(2048).as_dict(private=False, kid="b", use="enc")
    keys = signing_keys({"keys": [rsa, enc, {"kty": "oct", "k": "c2VjcmV0"}, {"kty": "RSA"}, "junk"]})
    assert [k.kid for k in keys] == ["a"]
    assert "d" not in keys[0].as_dict(private=False) and not keys[0].is_private


# ---------------------------------------------------------------- clients


def test_builtin_clients() -> None:
    reg = ClientRegistry.for_url("https://cloud.example.org/")
    web = reg.get("web")
    assert web is not None and web.public
    assert web.redirect_allowed("https://cloud.example.org/oidc-callback.html")
    assert web.redirect_allowed("https://cloud.example.org/")
    assert not web.redirect_allowed("https://cloud.example.org/oidc-callback.html?x=1")
    assert not web.redirect_allowed("https://evil.example.org/oidc-callback.html")
    assert not web.redirect_allowed("http://localhost:1234")
    desktop = reg.get(DESKTOP_ID)
    assert desktop is not None and not desktop.public and desktop.check_secret(DESKTOP_SECRET)
    assert not desktop.check_secret("wrong")
    assert desktop.redirect_allowed("http://localhost:41234") and desktop.redirect_allowed("http://127.0.0.1:80/")
    assert not desktop.redirect_allowed("https://localhost:41234")
    android, ios = reg.get(ANDROID_ID), reg.get(IOS_ID)
    assert android is not None and android.redirect_allowed("oc://android.owncloud.com")
    assert ios is not None and ios.redirect_allowed("oc.ios://ios.owncloud.com")


@pytest.mark.parametrize("uri", ["http://localhost", "http://localhost:1/path", "http://evil.com:80",
                                 "http://localhost:1?x=1", "http://user@localhost:1", "http://localhost:99999"])
def test_not_loopback(uri: str) -> None:
    assert not is_loopback_redirect(uri)


def test_configured_clients() -> None:
    extra = parse_clients('[{"id": "app", "secret": "s3", "redirect_uris": ["https://app.example.org/cb"],'
                          ' "post_logout_redirect_uris": ["https://app.example.org/"]}]', "IDP_CLIENTS")
    reg = ClientRegistry.for_url("https://c.example.org", extra)
    app = reg.get("app")
    assert app is not None and not app.public and app.redirect_allowed("https://app.example.org/cb")
    assert app.post_logout_allowed("https://app.example.org/") and "web" in reg.ids
    for bad in ('{"id": 1}', '[{"redirect_uris": ["https://x/"]}]', '[{"id": "a", "redirect_uris": []}]',
                '[{"id": "a", "redirect_uris": ["/relative"]}]', '[{"id": "a", "redirect_uris": ["https://x/#f"]}]',
                '[{"id": "a", "redirect_uris": ["https://x/"], "colour": "red"}]', "not json"):
        with pytest.raises(ConfigError, match="IDP_CLIENTS"):
            parse_clients(bad, "IDP_CLIENTS")


# ---------------------------------------------------------------- authorization requests

REG = ClientRegistry.for_url(ISSUER)
CB = f"{ISSUER}/oidc-callback.html"


def request(**overrides: str | None) -> list[tuple[str, str]]:
    params: dict[str, str | None] = {"client_id": "web", "redirect_uri": CB, "response_type": "code",
                                     "scope": "openid profile bogus", "state": "st", "code_challenge": CHALLENGE,
                                     "code_challenge_method": "S256"}
    params.update(overrides)
    return [(k, v) for k, v in params.items() if v is not None]


def test_valid_request() -> None:
    auth = parse_request(request(nonce="n", prompt="login", max_age="60"), REG)
    assert auth.scope == ("openid", "profile") and auth.nonce == "n" and auth.max_age == 60
    assert "prompt" not in auth.query(drop_prompts=("login",))


@pytest.mark.parametrize("overrides", [{"client_id": "unknown"}, {"client_id": None},
                                       {"redirect_uri": "https://evil.example.org/cb"}, {"redirect_uri": None},
                                       {"redirect_uri": CB + "/"}])
def test_errors_shown_not_redirected(overrides: dict[str, str | None]) -> None:
    with pytest.raises(AuthorizeError) as exc:
        parse_request(request(**overrides), REG)
    assert exc.value.request is None


def test_repeated_redirect_uri_is_not_redirected() -> None:
    with pytest.raises(AuthorizeError) as exc:
        parse_request([*request(), ("redirect_uri", "https://evil.example.org/")], REG)
    assert exc.value.request is None


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),  # public client: PKCE required
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),  # RFC 7636 default is plain
        ({"code_challenge": "short"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"response_mode": "fragment"}, "invalid_request"),
        ({"request": "eyJ"}, "request_not_supported"),
        ({"max_age": "-1"}, "invalid_request"),
    ],
)
def test_errors_redirected(overrides: dict[str, str | None], error: str) -> None:
    with pytest.raises(AuthorizeError) as exc:
        parse_request(request(**overrides), REG)
    assert exc.value.error == error and exc.value.request is not None
    assert exc.value.request.redirect_uri == CB and exc.value.request.state == "st"


def test_confidential_client_may_skip_pkce() -> None:
    auth = parse_request(request(client_id=DESKTOP_ID, redirect_uri="http://localhost:5000", code_challenge=None,
                                 code_challenge_method=None), REG)
    assert auth.code_challenge == ""


def test_redirect_with_keeps_query() -> None:
    assert redirect_with("https://a/cb?x=1", {"code": "c", "state": ""}) == "https://a/cb?x=1&code=c"


def test_clients_from_ocis_yaml(tmp_path: Path) -> None:
    from ocis.config.loader import load_config

    (tmp_path / "ocis.yaml").write_text(
        "idp:\n"
        "  access_token_expiration: 120\n"
        "  clients:\n"
        "    - id: my-app\n"
        "      redirect_uris: [https://my-app.example.org/callback]\n"
    )
    cfg = load_config(environ={"OCIS_BASE_DATA_PATH": str(tmp_path)})
    assert cfg.idp.access_token_expiration == 120
    reg = ClientRegistry.for_url(cfg.url, cfg.idp.clients)
    app = reg.get("my-app")
    assert app is not None and app.public and app.redirect_allowed("https://my-app.example.org/callback")
    with pytest.raises(ConfigError, match="IDP_ACCESS_TOKEN_EXPIRATION"):
        load_config(environ={"OCIS_BASE_DATA_PATH": str(tmp_path), "IDP_ACCESS_TOKEN_EXPIRATION": "0"})
