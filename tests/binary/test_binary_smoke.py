"""Smoke tests of the single-file binary ``dist/ocis-<version>-<os>-<arch>`` (``make dist``).

Every server here is the frozen binary, never ``python -m ocis``. The binary is ``$OCIS_TEST_BINARY``
if set, else the newest ``dist/ocis-*-*-*``; without ``$OCIS_TEST_BINARY`` it is rebuilt first
(the same PyInstaller call as ``make dist``) when it is missing or older than the sources, the
web assets or the spec. ``make test`` runs ``make dist`` before pytest, so there it is fresh.

Covered: checksum file, size budget, bundle contents (every ocis module, package data, wsgidav's
data, web-dist), the CLI and a server in an ``env -i``-like environment from an empty directory
(and nothing left behind), a chroot with nothing but the binary and the C library (no Python),
Ctrl-C, litmus ``basic``, an owncloudcmd two-way sync, the web login (the bundled UI in chromium
through the IdP; the code flow over HTTP as well), the sample ``packaging/ocis.yaml``, and a data
directory on a filesystem without user xattrs (ramfs; root only) plus the sidecar backend forced by
config.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PyInstaller.archive.readers import CArchiveReader  # type: ignore[import-untyped]

from helpers.dav import files_url, get_bytes, local_tree, make_client, put, stat, walk_remote
from helpers.oidc import AUTHORIZE, DISCOVERY, AuthParams, bearer, tokens_for
from helpers.raw import read_all, tls_connect
from helpers.server import ARTIFACTS_DIR, REPO_ROOT, ServerProcess, free_port

SRC_PKG = REPO_ROOT / "src" / "ocis"
WEB_DIST = REPO_ROOT / "web-dist"
SPEC = REPO_ROOT / "ocis.spec"
HOOKS = REPO_ROOT / "packaging" / "pyinstaller-hooks"
MKROOTFS = REPO_ROOT / "packaging" / "docker" / "mkrootfs.sh"
SIZE_BUDGET = 40 * 2**20
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
LITMUS_BASIC_MIN_PASSED = 16


# --------------------------------------------------------------------------- the binary


def _source_mtime() -> float:
    newest = max(SPEC.stat().st_mtime, *(p.stat().st_mtime for p in HOOKS.glob("*.py")))
    for root in (SRC_PKG, WEB_DIST):
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in filenames:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.stat(os.path.join(dirpath, name)).st_mtime)
    return newest


def _newest_dist() -> Path | None:
    found = [p for p in (REPO_ROOT / "dist").glob("ocis-*-*-*") if p.is_file() and p.suffix != ".sha256"]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _build() -> None:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", "--distpath",
           str(REPO_ROOT / "dist"), "--workpath", str(REPO_ROOT / "build" / "pyinstaller"), str(SPEC)]
    for attempt in (1, 2):  # a second try: files may change under a build in a shared working tree
        proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
        if proc.returncode == 0:
            return
        print(f"PyInstaller attempt {attempt} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    raise AssertionError(f"PyInstaller failed ({proc.returncode}):\n{proc.stderr[-4000:]}")


@pytest.fixture(scope="module")
def binary() -> Path:
    given = os.environ.get("OCIS_TEST_BINARY", "").strip()
    if given:
        assert Path(given).is_file(), f"OCIS_TEST_BINARY={given}: no such file"
        return Path(given).absolute()
    lock_path = REPO_ROOT / "build" / "pyinstaller.lock"
    lock_path.parent.mkdir(exist_ok=True)
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time (parallel pytest runs in one tree)
        found = _newest_dist()
        if found is None or found.stat().st_mtime < _source_mtime():
            print("building the binary (missing or older than the sources)")
            _build()
            found = _newest_dist()
    assert found is not None, "PyInstaller produced no dist/ocis-*-*-*"
    return found


def clean_env(home: Path, tmpdir: Path, **extra: str) -> dict[str, str]:
    """What ``env -i PATH=/usr/bin:/bin HOME=...`` leaves, plus TMPDIR so the unpack dir is observable."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmpdir), **extra}


def run(binary: Path, *args: str, env: dict[str, str], cwd: Path, timeout: float = 60
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(binary), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def wait_status(url: str, proc: subprocess.Popen[bytes], timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    with httpx.Client(verify=False, timeout=2) as c:
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"server exited with {proc.returncode}"
            with contextlib.suppress(httpx.HTTPError):
                r = c.get(f"{url}/status.php")
                if r.status_code == 200:
                    return r
            time.sleep(0.05)
    raise AssertionError(f"{url}/status.php did not answer 200 within {timeout:.0f} s")


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@contextlib.contextmanager
def binary_server(binary: Path, name: str, metadata_backend: str = "auto", env: dict[str, str] | None = None
                  ) -> Iterator[ServerProcess]:
    srv = ServerProcess(name=name, command=[str(binary), "server"], metadata_backend=metadata_backend, env=env)
    try:
        srv.start()
        yield srv
        srv.check_alive()
    finally:
        srv.cleanup(keep_log_as=f"binary-{name}")


# --------------------------------------------------------------------------- the file itself


def test_checksum_file(binary: Path) -> None:
    sums = binary.with_name(binary.name + ".sha256")
    assert sums.is_file(), f"{sums.name} is missing"
    digest = hashlib.sha256(binary.read_bytes()).hexdigest()
    assert sums.read_text() == f"{digest}  {binary.name}\n"


def test_size_budget(binary: Path) -> None:
    size = binary.stat().st_size
    print(f"{binary.name}: {size / 2**20:.1f} MiB")
    assert size <= SIZE_BUDGET, f"{binary.name} is {size / 2**20:.1f} MiB, budget {SIZE_BUDGET / 2**20:.0f} MiB"


def test_bundle_contents(binary: Path) -> None:
    """Every ocis module, every non-Python file of the package, wsgidav's data and web-dist."""
    archive = CArchiveReader(str(binary))
    names = set(archive.toc)
    modules = set(archive.open_embedded_archive("PYZ.pyz").toc)

    expected_modules = set()
    package_data = set()
    for path in SRC_PKG.rglob("*"):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        rel = path.relative_to(SRC_PKG.parent)
        if path.suffix == ".py":
            parts = rel.with_suffix("").parts
            expected_modules.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
        elif path.suffix != ".pyc":
            package_data.add(rel.as_posix())
    assert "ocis.cli.main" in expected_modules and "ocis/py.typed" in package_data
    assert not expected_modules - modules, f"modules missing from the binary: {sorted(expected_modules - modules)}"
    assert not package_data - names, f"package data missing from the binary: {sorted(package_data - names)}"

    assert "wsgidav/dir_browser/htdocs/template.html" in names, "wsgidav's data files are missing"
    web = {f"web-dist/{p.relative_to(WEB_DIST).as_posix()}" for p in WEB_DIST.rglob("*")
           if p.is_file() and p.name != ".gitkeep"}
    assert not web - names, f"web-dist files missing from the binary: {sorted(web - names)}"
    assert any(n.startswith("web-dist/") for n in names)


# --------------------------------------------------------------------------- CLI and a clean environment


def test_cli_in_clean_environment(binary: Path, tmp_path: Path) -> None:
    home, tmp, cwd = tmp_path / "home", tmp_path / "tmp", tmp_path / "cwd"
    for d in (home, tmp, cwd):
        d.mkdir()
    env = clean_env(home, tmp)
    from ocis import __version__

    version = run(binary, "version", env=env, cwd=cwd)
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"ocis {__version__}\n"

    helptext = run(binary, "--help", env=env, cwd=cwd)
    assert helptext.returncode == 0, helptext.stderr
    for command in ("server", "version", "health"):
        assert command in helptext.stdout

    server_help = run(binary, "server", "--help", env=env, cwd=cwd)
    assert server_help.returncode == 0 and "OCIS_BASE_DATA_PATH" in server_help.stdout

    down = run(binary, "health", "--url", f"https://127.0.0.1:{free_port()}", "--timeout", "2", env=env, cwd=cwd)
    assert down.returncode == 1 and down.stderr.startswith("ocis: cannot reach"), down.stderr

    assert not tree(home) and not tree(cwd) and not tree(tmp), "CLI commands left files behind"


def test_ignores_python_environment(binary: Path, tmp_path: Path) -> None:
    """A frozen build must not pick up modules from PYTHONPATH or the working directory."""
    fake = tmp_path / "fake"
    (fake / "ocis").mkdir(parents=True)
    (fake / "ocis" / "__init__.py").write_text("raise SystemExit('imported ocis from PYTHONPATH')\n")
    (fake / "click.py").write_text("raise SystemExit('imported click from the working directory')\n")
    env = clean_env(tmp_path, tmp_path, PYTHONPATH=str(fake), PYTHONHOME=str(fake))
    proc = run(binary, "version", env=env, cwd=fake)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ocis ")


def test_server_in_clean_environment(binary: Path, tmp_path: Path) -> None:
    """``env -i PATH=/usr/bin:/bin HOME=$EMPTY ocis server`` from an empty directory (on a free port)."""
    home, tmp, cwd = tmp_path / "home", tmp_path / "tmp", tmp_path / "cwd"
    for d in (home, tmp, cwd):
        d.mkdir()
    port = free_port()
    url = f"https://127.0.0.1:{port}"
    env = clean_env(home, tmp, PROXY_HTTP_ADDR=f"127.0.0.1:{port}")
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(binary), "server"], env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status = wait_status(url, proc)
        assert status.json()["installed"] is True
        unpacked = [p.name for p in tmp.iterdir()]
        assert len(unpacked) == 1 and unpacked[0].startswith("_MEI"), f"TMPDIR while running: {unpacked}"

        with make_client(url, "einstein") as c:
            put(c, files_url("einstein", "hello.txt"), b"hello from the binary")
            assert get_bytes(c, files_url("einstein", "hello.txt")) == b"hello from the binary"
            assert stat(c, files_url("einstein", "hello.txt")).fileid
        with make_client(url) as c:
            page = c.get("/")  # 503 = the web service's "UI not built" page (web-dist without index.html)
            assert page.status_code in (200, 503) and page.headers["content-type"].startswith("text/html")

        health = run(binary, "health", env=env, cwd=cwd)
        assert health.returncode == 0, health.stderr
        assert health.stdout.startswith("ok: ")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
    output = log.read_text(errors="replace")
    assert code == 0, f"exit code {code} after SIGTERM\n{output[-3000:]}"
    assert "ocis stopped" in output

    data = home / ".ocis"
    assert {p.name for p in home.iterdir()} == {".ocis"}, "the server wrote into HOME outside ~/.ocis"
    for expected in ("ocis.yaml", "proxy/server.crt", "proxy/server.key", "storage/users", "storage/metadata"):
        assert (data / expected).exists(), f"{expected} missing from the data directory"
    assert not tree(cwd), f"the server wrote into its working directory: {sorted(tree(cwd))}"
    assert not tree(tmp), f"the unpack directory was not removed: {sorted(tree(tmp))}"


def test_ctrl_c_stops_gracefully(binary: Path, tmp_path: Path) -> None:
    """Ctrl-C reaches the bootloader and the server (one process group); one graceful stop, exit 0."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    port = free_port()
    env = clean_env(tmp_path, tmp, PROXY_HTTP_ADDR=f"127.0.0.1:{port}")
    proc = subprocess.Popen([str(binary), "server"], env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_status(f"https://127.0.0.1:{port}", proc)
        os.killpg(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = out.decode(errors="replace")
    assert proc.returncode == 0, f"exit code {proc.returncode}\n{text[-2000:]}"
    assert "again, exiting now" not in text and "ocis stopped" in text
    assert not tree(tmp), "the unpack directory was not removed"


def test_chroot_without_python(binary: Path, tmp_path: Path) -> None:
    """The Docker recipe's root filesystem (binary + C library only) runs the server; the only writes
    land in the data directory."""
    # Environmental skips: CI runs `make test` as root, where this runs (0 skips in the CI log);
    # a developer's unprivileged run cannot chroot.
    if os.geteuid() != 0 or not shutil.which("chroot", path="/usr/sbin:/sbin:/usr/bin:/bin"):
        pytest.skip("chroot needs root")
    root = tmp_path / "rootfs"
    made = subprocess.run(["sh", str(MKROOTFS), str(binary), str(root), "0"], capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert not [p for p in root.rglob("*") if "python" in p.name], "a Python crept into the root filesystem"
    before = tree(root)
    chroot = shutil.which("chroot", path="/usr/sbin:/sbin:/usr/bin:/bin")
    assert chroot
    env = {"PATH": "/usr/bin", "HOME": "/var/lib/ocis"}

    version = subprocess.run([chroot, str(root), "/usr/bin/ocis", "version"], env=env, capture_output=True,
                             text=True, timeout=60)
    if version.returncode != 0 and "Operation not permitted" in version.stderr:
        pytest.skip(f"chroot not permitted here: {version.stderr.strip()}")
    assert version.returncode == 0 and version.stdout.startswith("ocis "), version.stderr

    port = free_port()
    env["PROXY_HTTP_ADDR"] = f"127.0.0.1:{port}"
    proc = subprocess.Popen([chroot, str(root), "/usr/bin/ocis", "server"], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_status(f"https://127.0.0.1:{port}", proc)
        with make_client(f"https://127.0.0.1:{port}", "marie") as c:
            put(c, files_url("marie", "in-chroot.txt"), b"no python here")
            assert get_bytes(c, files_url("marie", "in-chroot.txt")) == b"no python here"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    new = tree(root) - before
    outside = sorted(p for p in new if not p.startswith("var/lib/ocis/"))
    assert not outside, f"files written outside the data directory: {outside}"
    assert "var/lib/ocis/.ocis/ocis.yaml" in new


# --------------------------------------------------------------------------- clients against the binary


@pytest.fixture(scope="module")
def bin_server(binary: Path) -> Iterator[ServerProcess]:
    with binary_server(binary, "clients") as srv:
        yield srv


def run_litmus_basic(url: str, cwd: Path) -> None:
    from clients.test_litmus import failing_lines, parse_litmus

    litmus = shutil.which("litmus")
    assert litmus, "litmus is not installed (make test installs the Debian package)"
    proc = subprocess.run([litmus, "-k", url, "admin", "admin"], cwd=cwd, env=dict(os.environ, TESTS="basic"),
                          capture_output=True, text=True, errors="replace", timeout=300)
    output = proc.stdout + proc.stderr
    result = parse_litmus(output).get("basic")
    details = "\n".join(failing_lines(output)[:40]) or output[-2000:]
    assert result, f"litmus printed no summary (rc={proc.returncode})\n{details}"
    assert result["failed"] == 0, f"litmus basic: {result}\n{details}"
    assert result["passed"] >= LITMUS_BASIC_MIN_PASSED, f"litmus basic ran short: {result}\n{details}"


def test_litmus_basic(bin_server: ServerProcess, tmp_path: Path) -> None:
    run_litmus_basic(f"{bin_server.url}/remote.php/dav/files/admin/", tmp_path)


OC_META = (".sync_", "._sync_", ".owncloudsync.log", ".csync_journal")


def owncloudcmd(server: ServerProcess, local: Path, home: Path, label: str) -> None:
    exe = shutil.which("owncloudcmd")
    assert exe, "owncloudcmd is not installed (make test installs owncloud-client-cmd)"
    excludes = home / "exclude.lst"
    excludes.write_text("*~\n.#*\n*.part\n")
    cmd = [exe, "--trust", "--non-interactive", "-u", "einstein", "-p", "relativity", "--exclude", str(excludes),
           "--max-sync-retries", "1", str(local), f"{server.url}/"]
    proc = subprocess.run(cmd, env=dict(os.environ, HOME=str(home)), capture_output=True, text=True,
                          errors="replace", timeout=600)
    with contextlib.suppress(OSError):
        ARTIFACTS_DIR.mkdir(exist_ok=True)
        (ARTIFACTS_DIR / f"binary-owncloudcmd-{label}.log").write_text(proc.stdout + proc.stderr)
    server.check_alive()
    tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-25:])
    assert proc.returncode == 0, f"owncloudcmd {label} exited {proc.returncode}\n{tail}"


def remote_tree(c: httpx.Client) -> dict[str, str]:
    out: dict[str, str] = {}
    for rel, res in walk_remote(c, "einstein").items():
        out[rel] = "<dir>" if res.is_collection else hashlib.sha1(get_bytes(c, files_url("einstein", rel))).hexdigest()
    return out


def test_owncloudcmd_two_way_sync(bin_server: ServerProcess, tmp_path: Path) -> None:
    local, home = tmp_path / "local", tmp_path / "home"
    local.mkdir()
    home.mkdir()
    (local / "docs").mkdir()
    (local / "docs" / "notes.txt").write_bytes(b"local notes\n")
    (local / "Grüße.txt").write_bytes("umlauts ä ö ü\n".encode())
    (local / "random.bin").write_bytes(os.urandom(3 * 2**20))
    with make_client(bin_server.url, "einstein") as c:
        put(c, files_url("einstein", "from-server.txt"), b"created on the server\n")

        owncloudcmd(bin_server, local, home, "first")
        mine = local_tree(local, OC_META)
        theirs = remote_tree(c)
        assert mine == theirs, f"after the first sync\nlocal:  {mine}\nserver: {theirs}"
        assert "from-server.txt" in mine and "docs/notes.txt" in theirs

        # changes on both sides
        (local / "docs" / "notes.txt").write_bytes(b"local notes, edited\n")
        (local / "Grüße.txt").unlink()
        put(c, files_url("einstein", "from-server.txt"), b"edited on the server\n")
        put(c, files_url("einstein", "docs/server-new.txt"), b"new on the server\n")
        time.sleep(1.1)  # mtime granularity of the client's local discovery

        owncloudcmd(bin_server, local, home, "second")
        mine = local_tree(local, OC_META)
        theirs = remote_tree(c)
        assert mine == theirs, f"after the second sync\nlocal:  {mine}\nserver: {theirs}"
        assert "Grüße.txt" not in theirs
        assert (local / "from-server.txt").read_bytes() == b"edited on the server\n"
        assert get_bytes(c, files_url("einstein", "docs/notes.txt")) == b"local notes, edited\n"
        assert (local / "docs" / "server-new.txt").read_bytes() == b"new on the server\n"


def bundled_file(binary: Path, name: str) -> bytes | None:
    archive = CArchiveReader(str(binary))
    data = archive.extract(name) if name in archive.toc else None
    return bytes(data) if data is not None else None


def test_web_entry_and_login(binary: Path, bin_server: ServerProcess) -> None:
    """``/`` serves the bundled web UI (or says it is not built, naming the bundle's web-dist); the web
    client signs in through the IdP (code flow + PKCE, as the UI does) and its token works on WebDAV."""
    with make_client(bin_server.url) as c:
        page = c.get("/")
        assert page.headers["content-type"].startswith("text/html")
        index = bundled_file(binary, "web-dist/index.html")
        if index is not None:
            assert page.status_code == 200, page.text[:300]
            assert page.content == index, "/ is not the bundled web-dist/index.html"
        elif page.status_code == 503:
            # the web service looked for the UI inside the unpacked bundle
            assert "/_MEI" in page.text and "web-dist" in page.text, page.text[:500]
        else:
            assert page.status_code == 200, page.text[:300]

        discovery = c.get(DISCOVERY)
        assert discovery.status_code == 200, discovery.text[:300]
        assert discovery.json()["issuer"] == bin_server.url

        tokens = tokens_for(bin_server.url, "einstein", "relativity")
        r = c.request("PROPFIND", files_url("einstein"), headers={**bearer(tokens["access_token"]), "Depth": "0"})
        assert r.status_code == 207, r.text[:300]
        r = c.get("/ocs/v1.php/cloud/user?format=json", headers=bearer(tokens["access_token"]))
        assert r.status_code == 200 and r.json()["ocs"]["data"]["id"] == "einstein"


def test_browser_login(binary: Path, bin_server: ServerProcess) -> None:
    """Headless chromium logs in: through the bundled web UI (``/`` → IdP sign-in page → back, the file
    list shows a file uploaded over WebDAV) when the binary has one, else through the IdP page alone."""
    if not Path(CHROMIUM).exists():  # `make test` installs Debian chromium, so CI always runs this
        pytest.skip(f"{CHROMIUM} is not installed")
    if bundled_file(binary, "web-dist/index.html") is not None:
        from e2e.browser import Browser

        with make_client(bin_server.url, "richard") as c:
            put(c, files_url("richard", "seen-in-the-ui.txt"), b"hello")
        with Browser(bin_server.url, None) as ui:
            ui.login("richard", "superfluidity")
            ui.row("seen-in-the-ui.txt").wait_for()
            assert not ui.errors, ui.errors
        return

    from playwright.sync_api import sync_playwright

    callback = f"{bin_server.url}/oidc-callback.html"
    params = AuthParams(redirect_uri=callback)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(f"{bin_server.url}{AUTHORIZE}?{params.query()}")
            page.get_by_label("Username or email").fill("marie")
            page.get_by_label("Password").fill("radioactivity")
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{callback}?*")
            assert f"state={params.state}" in page.url and "code=" in page.url
        finally:
            browser.close()


# --------------------------------------------------------------------------- without user xattrs


def _xattrs_refused(path: Path) -> bool:
    probe = path / ".probe"
    probe.write_bytes(b"")
    try:
        os.setxattr(probe, "user.ocis.probe", b"1")
        return False
    except OSError as exc:
        return exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP, errno.EPERM)
    finally:
        probe.unlink()


@pytest.fixture(scope="module")
def no_xattr_fs() -> Iterator[Path]:
    """A ramfs mount: symlinks and hard links, but no extended attributes at all. Needs root to mount,
    which CI has (`make test` as root); unprivileged developer runs skip the tests using it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a ramfs needs root")
    mnt = Path(tempfile.mkdtemp(prefix="ocis-noxattr-"))
    proc = subprocess.run(["mount", "-t", "ramfs", "-o", "mode=0700", "ramfs", str(mnt)], capture_output=True,
                          text=True)
    if proc.returncode != 0:
        mnt.rmdir()
        pytest.skip(f"cannot mount a ramfs here: {proc.stderr.strip()}")
    try:
        assert _xattrs_refused(mnt), "ramfs accepted a user xattr"
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        with contextlib.suppress(OSError):
            mnt.rmdir()


@pytest.fixture(scope="module")
def no_xattr_server(binary: Path, no_xattr_fs: Path) -> Iterator[ServerProcess]:
    with binary_server(binary, "noxattr", metadata_backend="auto",
                       env={"OCIS_BASE_DATA_PATH": str(no_xattr_fs / "data")}) as srv:
        yield srv


def test_no_xattrs_auto_picks_sidecar(no_xattr_server: ServerProcess, no_xattr_fs: Path) -> None:
    data = no_xattr_fs / "data"
    assert (data / "storage" / "users" / ".metadata-backend").read_text().strip() == "sidecar"
    with make_client(no_xattr_server.url, "einstein") as c:
        put(c, files_url("einstein", "a.txt"), b"on ramfs")
        before = stat(c, files_url("einstein", "a.txt"))
        assert before.fileid and before.etag
        r = c.request("MOVE", files_url("einstein", "a.txt"),
                      headers={"Destination": f"{no_xattr_server.url}{files_url('einstein', 'b.txt')}"})
        assert r.status_code == 201, r.text[:300]
    no_xattr_server.restart()
    with make_client(no_xattr_server.url, "einstein") as c:
        after = stat(c, files_url("einstein", "b.txt"))
        assert after.fileid == before.fileid, "file id changed across move + restart"
        assert get_bytes(c, files_url("einstein", "b.txt")) == b"on ramfs"


def test_no_xattrs_litmus_basic(no_xattr_server: ServerProcess, tmp_path: Path) -> None:
    run_litmus_basic(f"{no_xattr_server.url}/remote.php/webdav/", tmp_path)


def test_no_xattrs_forcing_xattrs_fails_cleanly(binary: Path, no_xattr_fs: Path, tmp_path: Path) -> None:
    data = no_xattr_fs / "forced"
    env = clean_env(tmp_path, tmp_path, OCIS_BASE_DATA_PATH=str(data), STORAGE_METADATA_BACKEND="xattrs",
                    PROXY_HTTP_ADDR=f"127.0.0.1:{free_port()}")
    proc = run(binary, "server", env=env, cwd=tmp_path)
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout[-1000:]}{proc.stderr[-1000:]}"
    assert proc.stderr.startswith("ocis: STORAGE_METADATA_BACKEND:") and proc.stderr.count("\n") == 1, proc.stderr


def test_sidecar_forced_by_config(binary: Path) -> None:
    """STORAGE_METADATA_BACKEND=sidecar on a filesystem that has xattrs: none are written."""
    with binary_server(binary, "sidecar", metadata_backend="sidecar") as srv:
        users = srv.data_dir / "storage" / "users"
        assert (users / ".metadata-backend").read_text().strip() == "sidecar"
        with make_client(srv.url, "moss") as c:
            put(c, files_url("moss", "s.txt"), b"sidecar")
            assert stat(c, files_url("moss", "s.txt")).fileid
        for node in (users / "nodes").rglob("*"):
            with contextlib.suppress(OSError):
                names = os.listxattr(node, follow_symlinks=False)
                assert not [n for n in names if n.startswith("user.ocis")], f"{node} has xattrs {names}"



def test_sample_config(binary: Path) -> None:
    """packaging/ocis.yaml is accepted as it is: no demo users, an admin with a generated password,
    secrets appended to the file (the harness's environment overrides address and URL)."""
    srv = ServerProcess(name="sample-config", command=[str(binary), "server"])
    sample = (REPO_ROOT / "packaging" / "ocis.yaml").read_text()
    (srv.data_dir / "ocis.yaml").write_text(sample)
    try:
        srv.start()
        written = (srv.data_dir / "ocis.yaml").read_text()
        assert written.startswith(sample) and "jwt_secret:" in written and "transfer_secret:" in written
        password = (srv.data_dir / "admin-password.txt").read_text().strip()
        with make_client(srv.url, "admin", password) as c:
            assert stat(c, files_url("admin")).is_collection
        with make_client(srv.url, "einstein") as c:
            assert c.request("PROPFIND", files_url("einstein"), headers={"Depth": "0"}).status_code == 401
    finally:
        srv.cleanup(keep_log_as="binary-sample-config")


def test_http1_is_served_by_httptools_in_the_binary(bin_server: ServerProcess) -> None:
    """The bundle must carry httptools: without it the server falls back to hypercorn's slower h11
    path silently (runtime/h1). Only the httptools path echoes keep-alive to an HTTP/1.0 client."""
    with tls_connect(bin_server.port) as s:
        s.sendall(b"GET /status.php HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        head = read_all(s, timeout=5).split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.1 200") and b"connection: keep-alive" in head
