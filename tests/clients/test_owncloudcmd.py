"""Two-way sync with the real ownCloud sync engine (``owncloudcmd`` 2.11, Debian ``owncloud-client-cmd``).

The phases below run in order against one server and share state; a phase whose predecessor failed
fails too (it cannot say anything meaningful). Acceptance:

1. first sync of a local tree (3 levels, spaces, NFC and NFD umlauts, ``# % & +``, a 0-byte file, a
   30 MB random file) plus files created on the server by PUT: both sides byte-identical;
2. the same account synced into a fresh directory gives the same tree;
3. server edit + local delete + local rename + server MOVE: every change arrives, contents identical,
   the locally renamed file keeps its server file id;
4. an idle re-sync transfers nothing (no PUT/GET/MOVE/DELETE/MKCOL on the DAV endpoints, etags
   unchanged).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpers.dav import exists, files_url, get_bytes, makedirs, put, stat, walk_remote
from helpers.server import ARTIFACTS_DIR, ServerProcess

pytestmark = [
    pytest.mark.clients,
    # the whole scenario once per metadata backend
    pytest.mark.parametrize("server", ["xattrs", "sidecar"], indirect=True, scope="module"),
]

USER, PASSWORD = "einstein", "relativity"
EXCLUDES = "*~\n.#*\n*.part\n"
# The sync engine's own files inside the sync folder
CLIENT_META_PREFIXES = (".sync_", "._sync_", ".owncloudsync.log", ".csync_journal")

NFC_FILE = unicodedata.normalize("NFC", "Grüße aus Köln.txt")
NFD_FILE = unicodedata.normalize("NFD", "Café Müller.txt")
NFD_DIR = unicodedata.normalize("NFD", "Ärger und Öl")
SERVER_NFC = unicodedata.normalize("NFC", "Übersicht.txt")
ODD_NAME = "hash#1 50% & more+plus.txt"
BIG = "big/random 30MB.bin"
BIG_RENAMED = "big/renamed 30MB.bin"
DAV_WRITE_METHODS = ("PUT", "GET", "MOVE", "DELETE", "MKCOL", "COPY", "PROPPATCH")


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


@dataclass
class Scenario:
    server: ServerProcess
    base: Path
    client: httpx.Client
    expected: dict[str, str] = field(default_factory=dict)  # rel path -> sha1 | "<dir>"
    durations: dict[str, float] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    big_fileid: str | None = None

    @property
    def home(self) -> Path:
        return self.base / "home"

    @property
    def exclude_file(self) -> Path:
        return self.base / "exclude.lst"

    @property
    def local(self) -> Path:
        return self.base / "local"

    def require(self, phase: str) -> None:
        if phase not in self.done:
            pytest.fail(f"phase {phase!r} did not succeed; this phase depends on it")

    def sync(self, local_dir: Path, label: str) -> subprocess.CompletedProcess[str]:
        exe = shutil.which("owncloudcmd")
        assert exe, "owncloudcmd is not installed (make test installs owncloud-client-cmd)"
        cmd = [
            exe,
            "--trust",
            "--non-interactive",
            "-u",
            USER,
            "-p",
            PASSWORD,
            "--exclude",
            str(self.exclude_file),
            "--max-sync-retries",
            "1",
            str(local_dir),
            f"{self.server.url}/",
        ]
        env = dict(os.environ, HOME=str(self.home))
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace", timeout=900)
        self.durations[label] = round(time.monotonic() - t0, 2)
        log = self.base / f"owncloudcmd-{label}.log"
        log.write_text(proc.stdout + proc.stderr)
        print(f"owncloudcmd {label}: rc={proc.returncode} in {self.durations[label]:.2f} s")
        self.server.check_alive()
        assert proc.returncode == 0, f"owncloudcmd {label} exited {proc.returncode}\n{summarize(proc, log)}"
        return proc

    def local_tree(self, root: Path) -> dict[str, str]:
        out: dict[str, str] = {}
        for p in sorted(root.rglob("*")):
            rel = p.relative_to(root).as_posix()
            if any(part.startswith(CLIENT_META_PREFIXES) for part in rel.split("/")):
                continue
            out[rel] = "<dir>" if p.is_dir() else sha1(p.read_bytes())
        return out

    def remote_tree(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for rel, res in walk_remote(self.client, USER).items():
            if res.is_collection:
                out[rel] = "<dir>"
            else:
                data = get_bytes(self.client, files_url(USER, rel))
                assert res.size is None or res.size == len(data), f"{rel}: PROPFIND size != GET length"
                out[rel] = sha1(data)
        return out

    def dav_request_counts(self) -> dict[str, int]:
        counts = dict.fromkeys([*DAV_WRITE_METHODS, "PROPFIND"], 0)
        for rec in self.server.access_log():
            path = rec["path"]
            if rec["method"] in counts and path.startswith(("/remote.php/", "/dav/", "/webdav/")):
                counts[rec["method"]] += 1
        return counts


def summarize(proc: subprocess.CompletedProcess[str], log: Path) -> str:
    """Warnings/errors from owncloudcmd's output (deduplicated) plus its last lines."""
    lines = (proc.stdout + proc.stderr).splitlines()
    marked = [ln for ln in lines if any(k in ln for k in ("[ warning", "[ fatal", "[ critical", "rror"))]
    seen: set[str] = set()
    unique = []
    for ln in marked:
        key = ln.split("]", 1)[-1]
        if key not in seen:
            seen.add(key)
            unique.append(ln)
    return (
        "--- warnings/errors ---\n"
        + "\n".join(unique[-40:])
        + "\n--- last lines ---\n"
        + "\n".join(lines[-15:])
        + f"\n(full output: {log})"
    )


def diff(a: dict[str, str], b: dict[str, str]) -> str:
    lines = []
    for k in sorted(set(a) | set(b), key=lambda s: s.encode()):
        if a.get(k) != b.get(k):
            lines.append(f"  {k!r}: {a.get(k)} != {b.get(k)}")
    return "\n".join(lines[:50])


def add_local(sc: Scenario, rel: str, data: bytes) -> None:
    p = sc.local / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    parts = rel.split("/")
    for i in range(1, len(parts)):
        sc.expected["/".join(parts[:i])] = "<dir>"
    sc.expected[rel] = sha1(data)


def add_remote(sc: Scenario, rel: str, data: bytes) -> None:
    parent = rel.rsplit("/", 1)[0] if "/" in rel else ""
    if parent:
        makedirs(sc.client, USER, parent)
        parts = parent.split("/")
        for i in range(1, len(parts) + 1):
            sc.expected["/".join(parts[:i])] = "<dir>"
    put(sc.client, files_url(USER, rel), data)
    sc.expected[rel] = sha1(data)


@pytest.fixture(scope="module")
def sc(server: ServerProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    base = tmp_path_factory.mktemp("owncloudcmd")
    with httpx.Client(
        base_url=server.url, verify=False, http1=True, http2=False, auth=(USER, PASSWORD), timeout=300
    ) as client:
        scenario = Scenario(server=server, base=base, client=client)
        scenario.home.mkdir()
        scenario.local.mkdir()
        scenario.exclude_file.write_text(EXCLUDES)
        yield scenario
        print(f"owncloudcmd sync durations (s), {server.metadata_backend}: {scenario.durations}")
        if scenario.durations:
            ARTIFACTS_DIR.mkdir(exist_ok=True)
            out = ARTIFACTS_DIR / f"owncloudcmd-durations-{server.metadata_backend}.json"
            out.write_text(json.dumps(scenario.durations, indent=2))


def test_1_first_sync(sc: Scenario) -> None:
    # local tree
    add_local(sc, "root file.txt", b"root file\n")
    add_local(sc, f"top level/{NFC_FILE}", "NFC name, NFC content: Grüße\n".encode())
    add_local(sc, f"top level/{NFD_FILE}", b"NFD name\n")
    add_local(sc, f"top level/level two/{ODD_NAME}", b"odd characters\n")
    add_local(sc, "top level/level two/empty file.txt", b"")
    add_local(sc, f"top level/level two/{NFD_DIR}/in NFD dir.txt", b"inside an NFD-named folder\n")
    add_local(sc, "top level/level two/level three/deep file.txt", b"three levels deep\n")
    add_local(sc, BIG, os.urandom(30 * 1024 * 1024))
    # files that exist only on the server before the first sync
    add_remote(sc, "server dir/nested #dir/server file & co.txt", b"created on the server\n")
    add_remote(sc, "server dir/plus+percent%.txt", b"plus and percent\n")
    add_remote(sc, SERVER_NFC, b"server NFC name\n")
    local_files = sum(1 for v in sc.local_tree(sc.local).values() if v != "<dir>")
    before = sc.server.access_log()

    sc.sync(sc.local, "first")

    local = sc.local_tree(sc.local)
    assert local == sc.expected, f"local tree after first sync differs from expected:\n{diff(local, sc.expected)}"
    remote = sc.remote_tree()
    assert remote == sc.expected, f"server tree after first sync differs from expected:\n{diff(remote, sc.expected)}"
    # tus_support is advertised, so the client uploads with TUS (protocol.md §8.3): a creation POST
    # on the DAV collection (carrying the data: max_chunk_size is 0), PATCH /data/<id> for the rest
    during = sc.server.access_log()[len(before):]
    dav = ("/remote.php/", "/dav/", "/webdav/")
    tus_posts = [r for r in during if r["method"] == "POST" and r["path"].startswith(dav) and r["status"] == 201]
    puts = [r for r in during if r["method"] == "PUT"]
    patches = [r for r in during if r["method"] == "PATCH" and r["path"].startswith("/data/")]
    print(f"TUS during first sync: {len(tus_posts)} POST (201), {len(patches)} PATCH, {len(puts)} PUT")
    assert len(tus_posts) >= local_files, f"expected a TUS creation per uploaded file ({local_files}): {tus_posts}"
    assert not puts, f"the client uploaded with PUT although TUS is advertised: {puts}"
    sc.done.add("first")


def test_2_fresh_directory_sync(sc: Scenario) -> None:
    sc.require("first")
    fresh = sc.base / "fresh"
    fresh.mkdir()
    sc.sync(fresh, "fresh-download")
    tree = sc.local_tree(fresh)
    assert tree == sc.expected, f"fresh sync differs from expected:\n{diff(tree, sc.expected)}"
    sc.done.add("fresh")


def test_3_changes_on_both_sides(sc: Scenario) -> None:
    sc.require("first")
    big_before = stat(sc.client, files_url(USER, BIG))
    assert big_before.fileid, "server reports no oc:fileid for the big file"
    sc.big_fileid = big_before.fileid

    # server-side edit
    edited = "server dir/nested #dir/server file & co.txt"
    new_content = b"edited on the server\n" * 100
    put(sc.client, files_url(USER, edited), new_content)
    sc.expected[edited] = sha1(new_content)
    # local delete
    (sc.local / "root file.txt").unlink()
    del sc.expected["root file.txt"]
    # local rename
    (sc.local / BIG).rename(sc.local / BIG_RENAMED)
    sc.expected[BIG_RENAMED] = sc.expected.pop(BIG)
    # server-side MOVE
    moved_to = f"top level/{unicodedata.normalize('NFC', 'Übersicht verschoben.txt')}"
    r = sc.client.request(
        "MOVE",
        files_url(USER, SERVER_NFC),
        headers={"Destination": sc.server.url + files_url(USER, moved_to), "Overwrite": "F"},
    )
    assert r.status_code == 201, f"MOVE -> {r.status_code}: {r.text[:300]}"
    sc.expected[moved_to] = sc.expected.pop(SERVER_NFC)

    sc.sync(sc.local, "changes")

    local = sc.local_tree(sc.local)
    assert local == sc.expected, f"local tree after change sync differs:\n{diff(local, sc.expected)}"
    remote = sc.remote_tree()
    assert remote == sc.expected, f"server tree after change sync differs:\n{diff(remote, sc.expected)}"
    assert not exists(sc.client, files_url(USER, BIG)), "renamed file still exists under its old name"
    assert not exists(sc.client, files_url(USER, "root file.txt")), "locally deleted file still on server"
    big_after = stat(sc.client, files_url(USER, BIG_RENAMED))
    assert big_after.fileid == sc.big_fileid, (
        f"local rename did not keep the file id: {sc.big_fileid} -> {big_after.fileid} "
        "(the client uploaded a new file instead of a MOVE?)"
    )
    sc.done.add("changes")


def test_4_idle_resync_transfers_nothing(sc: Scenario) -> None:
    sc.require("changes")
    etags_before = {rel: res.etag for rel, res in walk_remote(sc.client, USER).items()}
    root_before = stat(sc.client, files_url(USER)).etag
    local_before = sc.local_tree(sc.local)
    time.sleep(0.3)
    counts_before = sc.dav_request_counts()

    sc.sync(sc.local, "idle")

    time.sleep(0.5)  # let the access log catch up
    counts_after = sc.dav_request_counts()
    print(f"DAV requests before idle sync: {counts_before}\n               after idle sync: {counts_after}")
    assert counts_after["PROPFIND"] > counts_before["PROPFIND"], (
        "the server's access log shows no PROPFIND for the idle sync - "
        "is the JSON access log (method/path/status per request) missing from the server log?"
    )
    transfers = {
        m: counts_after[m] - counts_before[m] for m in DAV_WRITE_METHODS if counts_after[m] != counts_before[m]
    }
    assert not transfers, f"idle re-sync was not idle: {transfers}"
    assert stat(sc.client, files_url(USER)).etag == root_before, "root etag changed during an idle sync"
    etags_after = {rel: res.etag for rel, res in walk_remote(sc.client, USER).items()}
    assert etags_after == etags_before, "etags changed during an idle sync"
    assert sc.local_tree(sc.local) == local_before, "local tree changed during an idle sync"
    print(f"owncloudcmd sync durations (s), {sc.server.metadata_backend}: {sc.durations}")
