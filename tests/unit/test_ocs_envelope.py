"""OCS envelope: key order, v1/v2 status mapping, XML and JSON shapes."""

from __future__ import annotations

import json
import re

import pytest
from defusedxml import ElementTree

from ocis.core.errors import AlreadyExists, BadRequest, NotFound, OcisError, PermissionDenied, Unauthenticated
from ocis.ocs.envelope import (
    JSON_TYPE,
    XML_TYPE,
    error_code,
    http_status,
    meta_statuscode,
    parse_ocs_path,
    render,
    wants_json,
)


def test_json_key_order_and_desktop_regex() -> None:
    body, ctype = render(1, "json", data={"a": 1})
    assert ctype == JSON_TYPE == "application/json; charset=utf-8"
    text = body.decode()
    doc = json.loads(text)
    assert list(doc["ocs"]["meta"]) == ["status", "statuscode", "message", "totalitems", "itemsperpage"]
    assert list(doc["ocs"]) == ["meta", "data"]
    # the desktop client extracts the code with a regex that needs a comma right after the number
    assert re.search(r'"statuscode"\s*:\s*100,', text)
    assert doc["ocs"]["meta"] == {
        "status": "ok",
        "statuscode": 100,
        "message": "OK",
        "totalitems": "",
        "itemsperpage": "",
    }


def test_v2_success_is_200() -> None:
    doc = json.loads(render(2, "json")[0])
    assert doc["ocs"]["meta"]["statuscode"] == 200
    assert meta_statuscode(1, 100) == 100 and meta_statuscode(2, 100) == 200
    assert meta_statuscode(2, 998) == 998


@pytest.mark.parametrize("empty", [None, {}, []])
def test_empty_data_is_list(empty: object) -> None:
    doc = json.loads(render(1, "json", data=empty)[0])
    assert doc["ocs"]["data"] == []
    assert b"<data/>" in render(1, "xml", data=empty)[0]


@pytest.mark.parametrize(
    ("code", "v1", "v2"),
    [
        (100, 200, 200),
        (996, 200, 500),
        (997, 200, 401),
        (998, 200, 404),
        (999, 200, 500),
        (101, 200, 400),
        (102, 200, 400),
        (400, 200, 400),
        (403, 200, 403),
        (404, 200, 404),
    ],
)
def test_http_status(code: int, v1: int, v2: int) -> None:
    assert http_status(1, code) == v1
    assert http_status(2, code) == v2


def test_failure_status() -> None:
    doc = json.loads(render(2, "json", 998, "not found")[0])
    assert doc["ocs"]["meta"]["status"] == "failure"
    assert doc["ocs"]["meta"]["message"] == "not found"


def test_xml_shape() -> None:
    data = {
        "version": {"major": 10},
        "flags": [True, False],
        "name": "a<b",
        "none": None,
        "display-name": "Albert",
        "list": ["x", "y"],
    }
    body, ctype = render(1, "xml", data=data)
    assert ctype == XML_TYPE == "text/xml; charset=UTF-8"
    root = ElementTree.fromstring(body)
    assert root.tag == "ocs"
    assert [c.tag for c in root.find("meta")] == ["status", "statuscode", "message", "totalitems", "itemsperpage"]
    assert root.findtext("meta/statuscode") == "100"
    d = root.find("data")
    assert d.findtext("version/major") == "10"
    assert [e.text for e in d.findall("flags/element")] == ["1", "0"]
    assert d.findtext("name") == "a<b"
    assert d.find("none") is not None and d.findtext("none") == ""
    assert d.findtext("display-name") == "Albert"
    assert [e.text for e in d.findall("list/element")] == ["x", "y"]


def test_error_codes() -> None:
    assert error_code(NotFound()) == 998
    assert error_code(Unauthenticated()) == 997
    assert error_code(PermissionDenied()) == 403
    assert error_code(AlreadyExists()) == 102
    assert error_code(BadRequest()) == 400
    assert error_code(OcisError()) == 996


def test_paths_and_format() -> None:
    assert parse_ocs_path("/ocs/v1.php/cloud/capabilities") == (1, "cloud/capabilities")
    assert parse_ocs_path("/ocs/v2.php/cloud/user/") == (2, "cloud/user")
    assert parse_ocs_path("/ocs/v2.php") == (2, "")
    assert parse_ocs_path("/ocs/v3.php/x") is None
    assert wants_json(b"format=json")
    assert wants_json(b"a=1&format=JSON")
    assert not wants_json(b"format=xml")
    assert not wants_json(b"")
