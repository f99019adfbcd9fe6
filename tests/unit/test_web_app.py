"""The web service: static files with cache headers, SPA fallback, /config.json, the not-built page,
the UI's Content-Security-Policy, private links reaching the UI without credentials."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from asgi_client import Client

from ocis.config.errors import ConfigError
from ocis.config.loader import load_config
from ocis.proxy.app import ProxyApp, build_routes
from ocis.web.app import WebApp
from ocis.web.config import WebSettings

JS = b"console.log('hello');\n" * 100


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "web-dist"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text('<!doctype html><script type="module" src="/assets/main-AbCd1234.js"></script>')
    (root / "oidc-callback.html").write_text("<!doctype html>callback")
    (root / "oidc-silent-redirect.html").write_text("<!doctype html>silent")
    (root / "assets" / "main-AbCd1234.js").write_bytes(JS)
    (root / "assets" / "logo.svg").write_text("<svg/>")
    (root / "favicon.svg").write_text("<svg/>")
    (root / ".gitkeep").write_text("")
    (tmp_path / "secret.txt").write_text("outside")
    return root


def settings(root: Path, **kwargs: object) -> WebSettings:
    defaults: dict[str, object] = {"server": "https://cloud.example.com", "asset_dir": root,
                                   "authority": "https://cloud.example.com",
                                   "metadata_url": "https://cloud.example.com/.well-known/openid-configuration"}
    defaults.update(kwargs)
    return WebSettings(**defaults)  # type: ignore[arg-type]


def test_index_and_spa_fallback(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    for path in ("/", "/index.html", "/files/all/Documents", "/f/abc"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        assert r.headers["cache-control"] == "no-cache"
        assert b"main-AbCd1234.js" in r.content


def test_oidc_pages_are_files(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    assert client.get("/oidc-callback.html").text == "<!doctype html>callback"
    assert client.get("/oidc-silent-redirect.html").text == "<!doctype html>silent"


def test_hashed_assets_are_immutable_and_gzipped(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    r = client.get("/assets/main-AbCd1234.js", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["content-type"] == "text/javascript; charset=utf-8"
    assert r.headers["content-encoding"] == "gzip" and r.headers["vary"] == "accept-encoding"
    assert r.content == JS  # httpx decodes
    assert int(r.headers["content-length"]) == len(gzip.compress(JS, 9, mtime=0))
    plain = client.get("/assets/main-AbCd1234.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == JS
    refused = client.get("/assets/main-AbCd1234.js", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers
    # not hashed: revalidated
    assert client.get("/favicon.svg").headers["cache-control"] == "no-cache"
    assert client.get("/assets/logo.svg").headers["cache-control"] == "no-cache"


def test_conditional_get_and_head(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    r = client.get("/")
    etag = r.headers["etag"]
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    head = client.request("HEAD", "/assets/main-AbCd1234.js", headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) == len(JS)


def test_changed_file_is_reread(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    first = client.get("/oidc-callback.html")
    (dist / "oidc-callback.html").write_text("<!doctype html>new callback page")
    second = client.get("/oidc-callback.html")
    assert second.text == "<!doctype html>new callback page" and second.headers["etag"] != first.headers["etag"]


@pytest.mark.parametrize("path", ["/missing.js", "/assets/missing-12345678.js", "/assets/x", "/.gitkeep",
                                  "/../secret.txt", "/assets/../../secret.txt"])
def test_missing_files_and_unsafe_paths_are_404(dist: Path, path: str) -> None:
    r = Client(WebApp(settings(dist))).get(path)
    assert r.status_code == 404, (path, r.text[:100])


def test_only_get_and_head(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    r = client.post("/", content=b"x")
    assert r.status_code == 405 and "GET" in r.headers["allow"]


def test_config_json(dist: Path) -> None:
    client = Client(WebApp(settings(dist)))
    r = client.get("/config.json")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-cache"
    doc = r.json()
    assert doc["server"] == "https://cloud.example.com"
    assert doc["openIdConnect"] == {
        "metadata_url": "https://cloud.example.com/.well-known/openid-configuration",
        "authority": "https://cloud.example.com", "client_id": "web", "response_type": "code",
        "scope": "openid profile email offline_access"}
    assert doc["apps"] == ["files", "media-viewer"]


def test_settings_from_config(tmp_path: Path) -> None:
    cfg = load_config(environ={"OCIS_BASE_DATA_PATH": str(tmp_path), "OCIS_URL": "https://files.example.org/"})
    s = WebSettings.from_config(cfg)
    assert s.server == s.authority == "https://files.example.org"
    assert s.metadata_url == "https://files.example.org/.well-known/openid-configuration"
    assert s.client_id == "web" and s.asset_dir.name == "web-dist"
    external = WebSettings.from_config(load_config(environ={
        "OCIS_BASE_DATA_PATH": str(tmp_path), "OCIS_URL": "https://files.example.org",
        "PROXY_OIDC_ISSUER": "https://idp.example.org/realms/x", "PROXY_OIDC_CLIENT_ID": "ocis-web",
        "WEB_ASSET_PATH": str(tmp_path / "ui")}))
    assert external.authority == "https://idp.example.org/realms/x" and external.client_id == "ocis-web"
    assert external.metadata_url == "https://idp.example.org/realms/x/.well-known/openid-configuration"
    assert external.asset_dir == tmp_path / "ui"
    assert "connect-src 'self' https://idp.example.org;" in external.csp()


def test_ui_config_file(dist: Path, tmp_path: Path) -> None:
    custom = tmp_path / "config.json"
    custom.write_text('{"server": "https://other", "custom": true}')
    client = Client(WebApp(settings(dist, ui_config_file=custom)))
    assert client.get("/config.json").json() == {"server": "https://other", "custom": True}
    custom.write_text("{not json")
    with pytest.raises(ConfigError, match="WEB_UI_CONFIG"):
        WebApp(settings(dist, ui_config_file=custom))
    with pytest.raises(ConfigError, match="cannot read"):
        WebApp(settings(dist, ui_config_file=tmp_path / "absent.json"))


def test_not_built(tmp_path: Path) -> None:
    empty = tmp_path / "web-dist"
    empty.mkdir()
    client = Client(WebApp(settings(empty)))
    r = client.get("/")
    assert r.status_code == 503 and "make web" in r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/files/all").status_code == 503
    assert client.get("/config.json").status_code == 200  # still answers
    assert client.get("/assets/x-12345678.js").status_code == 404


def test_behind_the_proxy(dist: Path) -> None:
    """The proxy adds the UI's CSP to the UI (not to its own not-built page) and lets private links
    reach the dav service without credentials (a browser follows them as they are)."""
    s = settings(dist)
    seen: list[str] = []

    async def dav(scope: object, receive: object, send: object) -> None:
        assert isinstance(scope, dict)
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 302,  # type: ignore[operator]
                    "headers": [(b"location", b"https://cloud.example.com/#/f/x")]})
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    proxy = ProxyApp(build_routes(dav=dav, ocs=dav, web=WebApp(s), web_csp=s.csp()), [], tls=True)
    client = Client(proxy)
    r = client.get("/")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "img-src 'self' blob: data:" in csp and "connect-src 'self'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    link = client.get("/index.php/f/x")
    assert link.status_code == 302 and seen == ["/index.php/f/x"]
    assert client.get("/index.php/other").status_code == 401

    empty = dist.parent / "empty"
    empty.mkdir()
    not_built = ProxyApp(build_routes(dav=dav, ocs=dav, web=WebApp(settings(empty)), web_csp=s.csp()), [], tls=True)
    page = Client(not_built).get("/")
    assert page.headers["content-security-policy"] == "default-src 'none'; style-src 'unsafe-inline'"


def test_config_json_is_valid_for_the_real_settings(tmp_path: Path) -> None:
    cfg = load_config(environ={"OCIS_BASE_DATA_PATH": str(tmp_path)})
    doc = json.loads(WebApp(WebSettings.from_config(cfg)).config_body)
    assert doc["openIdConnect"]["authority"] == cfg.url
