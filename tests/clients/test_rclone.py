"""rclone (Debian package, ``vendor=owncloud``) against ``/remote.php/dav/files/<user>``.

Acceptance: copy a tree with odd names and a few MB, ``rclone check`` finds 0 differences and can
compare hashes (SHA1 via ``oc:checksums``), modification times survive so a second copy transfers
nothing, and moveto / delete / purge do what they say.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpers.dav import exists, files_url, get_bytes, stat
from helpers.server import ServerProcess

pytestmark = pytest.mark.clients

USER, PASSWORD = "einstein", "relativity"
MTIME = 1577934245  # 2020-01-02 03:04:05 UTC
DEST = "rclone test"


@dataclass
class Rclone:
    server: ServerProcess
    exe: str
    remote: str
    env: dict[str, str]
    client: httpx.Client
    src: Path
    files: dict[str, bytes] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [self.exe, "--no-check-certificate", "--retries", "1", "--low-level-retries", "2", *args]
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True, errors="replace", timeout=600)
        self.server.check_alive()
        if check:
            assert proc.returncode == 0, (
                f"rclone {' '.join(args)} exited {proc.returncode}\n{(proc.stdout + proc.stderr)[-4000:]}"
            )
        return proc

    def r(self, path: str = "") -> str:
        """A path on the remote (the connection-string remote has no config file entry)."""
        return f"{self.remote}{path}"

    def require(self, phase: str) -> None:
        if phase not in self.done:
            pytest.fail(f"phase {phase!r} did not succeed; this phase depends on it")


@pytest.fixture(scope="module")
def rc(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rclone]:
    exe = shutil.which("rclone")
    assert exe, "rclone is not installed (make test installs the Debian package)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
    env.update(RCLONE_CONFIG="/dev/null", TZ="UTC")  # lsjson prints ModTime in local time
    obscured = subprocess.run(
        [exe, "obscure", PASSWORD], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    remote = f":webdav,url='{server.url}/remote.php/dav/files/{USER}',vendor=owncloud,user={USER},pass={obscured}:"
    base = tmp_path_factory.mktemp("rclone")
    with httpx.Client(
        base_url=server.url, verify=False, http1=True, http2=False, auth=(USER, PASSWORD), timeout=120
    ) as client:
        yield Rclone(server=server, exe=exe, remote=remote, env=env, client=client, src=base / "src")


def make_tree(rc: Rclone) -> None:
    files = {
        "plain.txt": b"plain\n",
        "with space.txt": b"space\n",
        "hash#percent%amp&plus+.txt": b"odd ascii\n",
        unicodedata.normalize("NFC", "Grüße NFC.txt"): "NFC ü\n".encode(),
        unicodedata.normalize("NFD", "Müller NFD.txt"): b"NFD\n",
        "empty.bin": b"",
        "sub dir/nested/level3.txt": b"three levels\n",
        "sub dir/random 3MB.bin": os.urandom(3 * 1024 * 1024),
        "sub dir/random 1MB.bin": os.urandom(1024 * 1024 + 7),
        "other/a.txt": b"a\n",
        "other/b.txt": b"b\n",
    }
    for rel, data in files.items():
        p = rc.src / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
        os.utime(p, (MTIME, MTIME))
    rc.files = files


def test_1_copy_and_check(rc: Rclone) -> None:
    make_tree(rc)
    rc.run("copy", str(rc.src), rc.r(DEST))

    for rel, data in rc.files.items():
        assert get_bytes(rc.client, files_url(USER, f"{DEST}/{rel}")) == data, f"content of {rel!r} differs"

    proc = rc.run("check", str(rc.src), rc.r(DEST))
    out = proc.stdout + proc.stderr
    print(out)
    assert "0 differences found" in out, out
    assert "hashes could not be checked" not in out, f"rclone could not compare hashes (oc:checksums?):\n{out}"
    m = re.search(r"(\d+) matching files", out)
    assert m and int(m.group(1)) == len(rc.files), out
    rc.done.add("copy")


def test_2_modtimes_and_hashes_listed(rc: Rclone) -> None:
    rc.require("copy")
    proc = rc.run("lsjson", "-R", "--hash", "--files-only", rc.r(DEST))
    listing = {e["Path"]: e for e in json.loads(proc.stdout)}
    assert set(listing) == set(rc.files), set(listing) ^ set(rc.files)
    for rel, data in rc.files.items():
        e = listing[rel]
        assert e["Size"] == len(data), rel
        assert e["ModTime"].startswith("2020-01-02T03:04:05"), f"{rel}: mtime not kept: {e['ModTime']}"
        sha1 = (e.get("Hashes") or {}).get("sha1")
        assert sha1 == hashlib.sha1(data).hexdigest(), f"{rel}: sha1 {sha1}"


def test_3_second_copy_transfers_nothing(rc: Rclone) -> None:
    rc.require("copy")
    puts_before = rc.server.count_requests("PUT")["PUT"]
    proc = rc.run("copy", "-v", str(rc.src), rc.r(DEST))
    out = proc.stdout + proc.stderr
    print(out)
    copied = [ln for ln in out.splitlines() if "Copied (" in ln or "Updated modification time" in ln]
    assert not copied, "second copy transferred files:\n" + "\n".join(copied)
    m = re.search(r"Transferred:\s+([\d.]+ \w*B) / ([\d.]+ \w*B)", out)
    assert m and m.group(1).split()[0] in ("0", "0.0"), f"second copy transferred bytes:\n{out}"
    m = re.search(r"Checks:\s+(\d+) / (\d+)", out)
    assert m and int(m.group(1)) == len(rc.files), f"expected {len(rc.files)} checks:\n{out}"
    assert rc.server.count_requests("PUT")["PUT"] == puts_before, "the server saw PUTs during the second copy"


def test_4_moveto(rc: Rclone) -> None:
    rc.require("copy")
    src_rel, dst_rel = f"{DEST}/other/a.txt", f"{DEST}/moved here/a renamed ü.txt"
    fileid = stat(rc.client, files_url(USER, src_rel)).fileid
    assert fileid, "PROPFIND returned no oc:fileid"
    rc.run("moveto", rc.r(src_rel), rc.r(dst_rel))
    assert not exists(rc.client, files_url(USER, src_rel)), "moveto left the source"
    assert get_bytes(rc.client, files_url(USER, dst_rel)) == rc.files["other/a.txt"]
    after = stat(rc.client, files_url(USER, dst_rel))
    assert after.fileid == fileid, f"server-side move changed the file id {fileid} -> {after.fileid}"
    proc = rc.run("lsf", rc.r(f"{DEST}/moved here"))
    assert proc.stdout.splitlines() == ["a renamed ü.txt"], proc.stdout


def test_5_delete(rc: Rclone) -> None:
    rc.require("copy")
    rc.run("delete", rc.r(f"{DEST}/sub dir"))
    for rel in rc.files:
        if rel.startswith("sub dir/"):
            assert not exists(rc.client, files_url(USER, f"{DEST}/{rel}")), f"{rel} survived delete"
    # delete removes files only; other files are untouched
    assert get_bytes(rc.client, files_url(USER, f"{DEST}/plain.txt")) == rc.files["plain.txt"]
    proc = rc.run("lsf", "-R", "--files-only", rc.r(f"{DEST}/sub dir"))
    assert proc.stdout.strip() == "", proc.stdout


def test_6_purge(rc: Rclone) -> None:
    rc.require("copy")
    rc.run("purge", rc.r(DEST))
    assert not exists(rc.client, files_url(USER, DEST)), "purge left the folder"
    proc = rc.run("lsf", rc.r(""))
    assert DEST + "/" not in proc.stdout.splitlines()
