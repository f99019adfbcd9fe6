"""OCS endpoints: capabilities, cloud/user, config, unknown routes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from asgi_client import Client
from defusedxml import ElementTree
from starlette.types import ASGIApp, Receive, Scope, Send

from ocis.accounts.store import AccountStore
from ocis.config.model import OcisConfig
from ocis.core.principal import SCOPE_KEY, Principal
from ocis.core.status import status
from ocis.ocs.app import create_app
from ocis.runtime.deps import Deps
from ocis.storage.api import Storage

EINSTEIN = Principal(
    "4c510ada-c86b-4815-8820-42cdf82c3d51", "einstein", "Albert Einstein", "einstein@example.org", ("users",), "basic"
)


def with_principal(app: ASGIApp, principal: Principal | None) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        scope[SCOPE_KEY] = principal
        await app(scope, receive, send)

    return wrapped


@pytest.fixture
def deps(tmp_path: Path) -> Deps:
    cfg = OcisConfig(data_dir=tmp_path, url="https://cloud.example.com")
    return Deps(cfg, cast(Storage, object()), AccountStore(tmp_path / "accounts"))


@pytest.fixture
def client(deps: Deps) -> Client:
    return Client(with_principal(create_app(deps), EINSTEIN))


@pytest.mark.parametrize("version", [1, 2])
def test_capabilities_json(client: Client, version: int) -> None:
    r = client.get(f"/ocs/v{version}.php/cloud/capabilities", params={"format": "json"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    ocs = r.json()["ocs"]
    assert ocs["meta"]["statuscode"] == (100 if version == 1 else 200)
    data = ocs["data"]
    assert data["version"] == {"major": 10, "minor": 0, "micro": 11, "string": "10.0.11", "edition": "reva"}
    caps = data["capabilities"]
    assert caps["core"]["pollinterval"] == 60
    assert caps["core"]["webdav-root"] == "remote.php/webdav"
    assert caps["core"]["status"] == status()
    assert caps["core"]["status"]["installed"] is True
    assert caps["checksums"] == {"supportedTypes": ["SHA1"], "preferredUploadType": "SHA1"}
    files = caps["files"]
    assert files["bigfilechunking"] is False and files["privateLinks"] is True
    assert files["undelete"] is True and files["versioning"] is True and files["favorites"] is True
    assert files["blacklisted_files"] == [".htaccess"]
    assert caps["dav"]["reports"] == ["search-files"] and caps["dav"]["trashbin"] == "1.0"
    assert "chunking" not in caps["dav"]
    assert files["tus_support"] == {
        "version": "1.0.0", "resumable": "1.0.0",
        "extension": "creation,creation-with-upload,checksum,termination,expiration",
        "max_chunk_size": 0, "http_method_override": "",
    }


def test_capabilities_xml_default(client: Client) -> None:
    r = client.get("/ocs/v1.php/cloud/capabilities")
    assert r.headers["content-type"] == "text/xml; charset=UTF-8"
    root = ElementTree.fromstring(r.content)
    assert root.findtext("meta/statuscode") == "100"
    assert root.findtext("data/capabilities/core/pollinterval") == "60"
    assert root.findtext("data/capabilities/files/bigfilechunking") == "0"
    assert root.find("data/capabilities/dav/chunking") is None


def test_cloud_user(client: Client) -> None:
    r = client.get("/ocs/v2.php/cloud/user", params={"format": "json"})
    assert r.status_code == 200
    assert r.json()["ocs"]["data"] == {
        "id": "einstein",
        "display-name": "Albert Einstein",
        "displayname": "Albert Einstein",
        "email": "einstein@example.org",
        "enabled": "true",
    }


def test_cloud_user_anonymous(deps: Deps) -> None:
    client = Client(with_principal(create_app(deps), None))
    r = client.get("/ocs/v2.php/cloud/user", params={"format": "json"})
    assert r.status_code == 401
    assert r.json()["ocs"]["meta"]["statuscode"] == 997
    r = client.get("/ocs/v1.php/cloud/user", params={"format": "json"})
    assert r.status_code == 200 and r.json()["ocs"]["meta"]["statuscode"] == 997


def test_config(client: Client) -> None:
    r = client.get("/ocs/v1.php/config", params={"format": "json"})
    assert r.json()["ocs"]["data"] == {
        "version": "1.7",
        "website": "ocis",
        "host": "https://cloud.example.com",
        "contact": "",
        "ssl": "true",
    }


@pytest.mark.parametrize(("version", "status"), [(1, 200), (2, 404)])
def test_unknown_route(client: Client, version: int, status: int) -> None:
    r = client.get(f"/ocs/v{version}.php/cloud/nothing", params={"format": "json"})
    assert r.status_code == status
    assert r.json()["ocs"]["meta"]["statuscode"] == 998
    assert r.json()["ocs"]["data"] == []
    r = client.post(f"/ocs/v{version}.php/cloud/capabilities", params={"format": "json"})
    assert r.json()["ocs"]["meta"]["statuscode"] == 998


def test_handler_crash_is_996(deps: Deps) -> None:
    from ocis.ocs.app import OcsRequest, OcsResult, OcsRouter

    router = OcsRouter()

    async def boom(req: OcsRequest) -> OcsResult:
        raise RuntimeError("boom")

    router.add("GET", "boom", boom)
    client = Client(create_app(deps, router))
    r = client.get("/ocs/v2.php/boom", params={"format": "json"})
    assert r.status_code == 500
    body: Any = r.json()
    assert body["ocs"]["meta"]["statuscode"] == 996
