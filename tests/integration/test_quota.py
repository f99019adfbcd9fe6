"""Per-user quota: set with ``ocis accounts set-quota`` on a running server; PUT beyond it is 507 with
nothing stored; ``quota-used-bytes``/``quota-available-bytes`` report usage and what is left."""

from __future__ import annotations

import subprocess
import sys

import httpx

from helpers.dav import files_url, put, stat
from helpers.server import ServerProcess

QUOTA_PROPS = ["{DAV:}quota-used-bytes", "{DAV:}quota-available-bytes"]


def set_quota(server: ServerProcess, user: str, quota: str) -> None:
    subprocess.run([sys.executable, "-m", "ocis", "accounts", "set-quota", "--data-dir", str(server.data_dir),
                    user, quota], check=True, capture_output=True, timeout=30)


def usage(client: httpx.Client, user: str) -> tuple[int, int]:
    res = stat(client, files_url(user), QUOTA_PROPS)
    return int(res.get("d:quota-used-bytes") or 0), int(res.get("d:quota-available-bytes") or 0)


def test_unlimited_by_default(server: ServerProcess, admin: httpx.Client) -> None:
    put(admin, files_url("admin", "x.bin"), b"x" * 1000)
    used, available = usage(admin, "admin")
    assert used == 1000 and available == -3  # -3: unlimited (ownCloud's convention)


def test_quota_exceeded_put_is_507_and_figures_are_right(server: ServerProcess, einstein: httpx.Client) -> None:
    set_quota(server, "einstein", "10000")
    put(einstein, files_url("einstein", "fits.bin"), b"a" * 6000)
    assert usage(einstein, "einstein") == (6000, 4000)
    r = einstein.put(files_url("einstein", "too-big.bin"), content=b"b" * 5000)
    assert r.status_code == 507
    assert einstein.request("PROPFIND", files_url("einstein", "too-big.bin"), headers={"Depth": "0"}).status_code == 404
    # a streamed body of unknown length (chunked) is refused once it crosses the quota
    r = einstein.put(files_url("einstein", "streamed.bin"), content=iter([b"c" * 3000, b"c" * 3000]))
    assert r.status_code == 507
    assert usage(einstein, "einstein") == (6000, 4000)
    # overwriting within the quota is fine: the old content is freed
    put(einstein, files_url("einstein", "fits.bin"), b"a" * 9000)
    assert usage(einstein, "einstein") == (9000, 1000)
    # deleting frees space (the trash does not count)
    assert einstein.delete(files_url("einstein", "fits.bin")).status_code == 204
    assert usage(einstein, "einstein") == (0, 10000)
    set_quota(server, "einstein", "default")
    assert usage(einstein, "einstein")[1] == -3
    assert stat(einstein, files_url("einstein")).fileid
