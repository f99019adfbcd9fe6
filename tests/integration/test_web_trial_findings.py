"""Findings of the web/OIDC newcomer trial, as regression tests."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from helpers.dav import files_url, get_bytes, put
from helpers.server import ServerProcess


@pytest.mark.parametrize("name", ["q?x.txt", "s;x.txt", "both?;#%.txt", 'we#ird %25 ?&\'".txt'])
def test_move_and_copy_keep_names_with_query_characters(server: ServerProcess, einstein: httpx.Client,
                                                        name: str) -> None:
    put(einstein, files_url("einstein", "src.txt"), b"content")
    dest = server.url + "/remote.php/dav/files/einstein/" + quote(name, safe="")
    r = einstein.request("COPY", files_url("einstein", "src.txt"), headers={"Destination": dest})
    assert r.status_code in (201, 204), r.text
    r = einstein.request("MOVE", files_url("einstein", "src.txt"), headers={"Destination": dest + ".moved"})
    assert r.status_code == 201, r.text
    assert get_bytes(einstein, "/remote.php/dav/files/einstein/" + quote(name, safe="")) == b"content"
    assert get_bytes(einstein, "/remote.php/dav/files/einstein/" + quote(name + ".moved", safe="")) == b"content"


def test_copy_to_a_name_with_semicolon_does_not_overwrite_another_file(server: ServerProcess,
                                                                       einstein: httpx.Client) -> None:
    put(einstein, files_url("einstein", "precious.txt"), b"precious")
    put(einstein, files_url("einstein", "other.txt"), b"other")
    r = einstein.request("COPY", files_url("einstein", "other.txt"),
                         headers={"Destination": files_url("einstein", "precious.txt;v2")})
    assert r.status_code == 201
    assert get_bytes(einstein, files_url("einstein", "precious.txt")) == b"precious"


def test_wrong_basic_passwords_are_throttled(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, verify=False) as c:
        for _ in range(10):
            r = c.request("PROPFIND", files_url("richard"), auth=("richard", "wrong"), headers={"Depth": "0"})
            assert r.status_code == 401
        # locked for now, even with the right password (answered like a wrong one)
        r = c.request("PROPFIND", files_url("richard"), auth=("richard", "superfluidity"), headers={"Depth": "0"})
        assert r.status_code == 401
        # the email names the same account: locked too
        r = c.request("PROPFIND", files_url("richard"), auth=("richard@example.org", "superfluidity"),
                      headers={"Depth": "0"})
        assert r.status_code == 401
        # other accounts are not affected
        r = c.request("PROPFIND", files_url("marie"), auth=("marie", "radioactivity"), headers={"Depth": "0"})
        assert r.status_code == 207
