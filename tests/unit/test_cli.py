"""The ``ocis`` command: version, config errors, port in use, start/stop, restart, HTTP/2 early answers.

These start real ``python -m ocis server`` processes on free ports (fresh data dirs under tmp_path).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from helpers.dav import make_client

SRC = str(Path(__file__).resolve().parents[2] / "src")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(data: Path, port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("OCIS_", "PROXY_", "STORAGE_", "ACCOUNTS_", "DAV_"))
    }
    env.update(
        {
            "OCIS_BASE_DATA_PATH": str(data),
            "PROXY_HTTP_ADDR": f"127.0.0.1:{port}",
            "PYTHONPATH": SRC,
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


def run_ocis(*args: str, env: dict[str, str] | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ocis", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


class Server:
    def __init__(self, data: Path, port: int | None = None, **env: str) -> None:
        self.data = data
        self.port = port or free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.env = base_env(data, self.port, **env)
        self.log = data.parent / f"{data.name}-{self.port}.log"
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> Server:
        err = self.log.open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ocis", "server"], env=self.env, text=True, stdout=subprocess.PIPE, stderr=err
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert "is running at" in line, f"server did not start: {line!r} {self.log.read_text()[-2000:]}"
        return self

    def stop(self, sig: int = signal.SIGTERM) -> float:
        assert self.proc is not None
        start = time.monotonic()
        self.proc.send_signal(sig)
        self.proc.wait(timeout=10)
        return time.monotonic() - start

    def access_lines(self) -> list[dict[str, object]]:
        out = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                entry = json.loads(line)
                if entry.get("logger") == "ocis.access":
                    out.append(entry)
        return out


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "data").start()
    yield srv
    if srv.proc and srv.proc.poll() is None:
        srv.stop()


def test_version_is_fast_and_light() -> None:
    code = (
        "import sys; sys.argv = ['ocis', 'version']\n"
        "from ocis.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('starlette', 'hypercorn', 'trio', 'yaml', 'cryptography', 'argon2', 'h2'))\n"
        "print(heavy)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": SRC}, check=True
    ).stdout
    assert out.splitlines() == ["ocis 0.1.0", "[]"]


def test_help_documents_env_vars_and_precedence() -> None:
    out = run_ocis("server", "--help", env={**os.environ, "PYTHONPATH": SRC}).stdout
    for name in (
        "OCIS_BASE_DATA_PATH",
        "OCIS_URL",
        "OCIS_LOG_LEVEL",
        "OCIS_JWT_SECRET",
        "STORAGE_TRANSFER_SECRET",
        "PROXY_HTTP_ADDR",
        "PROXY_TLS",
        "PROXY_TRANSPORT_TLS_CERT",
        "PROXY_TRANSPORT_TLS_KEY",
        "PROXY_ENABLE_BASIC_AUTH",
        "STORAGE_USERS_ROOT",
        "STORAGE_METADATA_BACKEND",
        "STORAGE_DEFAULT_QUOTA",
        "DAV_ALLOW_PROPFIND_INFINITY",
        "ACCOUNTS_DEMO_USERS_AND_GROUPS",
    ):
        assert name in out, name
    assert "Precedence" in out


def test_config_error_is_one_line_exit_2(tmp_path: Path) -> None:
    r = run_ocis("server", env=base_env(tmp_path, free_port(), PROXY_TLS="maybe"))
    assert r.returncode == 2
    assert r.stderr == "ocis: PROXY_TLS: expected true or false, got 'maybe'\n"
    r = run_ocis("server", "--addr", "nonsense", env=base_env(tmp_path, free_port()))
    assert r.returncode == 2 and r.stderr.startswith("ocis: --addr: expected host:port")
    assert "Traceback" not in r.stderr


def test_bad_certificate_is_one_line(tmp_path: Path) -> None:
    r = run_ocis(
        "server",
        env=base_env(
            tmp_path / "d",
            free_port(),
            PROXY_TRANSPORT_TLS_CERT="/nonexistent.crt",
            PROXY_TRANSPORT_TLS_KEY="/nonexistent.key",
        ),
    )
    assert r.returncode == 2
    assert r.stderr.startswith("ocis: PROXY_TRANSPORT_TLS_CERT: cannot read /nonexistent.crt")
    assert r.stderr.count("\n") == 1


def test_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = run_ocis("server", env=base_env(tmp_path, port))
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        f"ocis: PROXY_HTTP_ADDR: cannot listen on 127.0.0.1:{port}: address already in use"
    )
    assert "Traceback" not in r.stderr


def test_serve_auth_and_graceful_stop(server: Server) -> None:
    with httpx.Client(base_url=server.url, verify=False) as c:
        r = c.get("/ocs/v1.php/cloud/capabilities", params={"format": "json"}, auth=("einstein", "relativity"))
        assert r.status_code == 200 and r.json()["ocs"]["meta"]["statuscode"] == 100
        r = c.get("/ocs/v1.php/cloud/capabilities", params={"format": "json"}, auth=("einstein", "nope"))
        assert r.status_code == 401
        realm = f'realm="127.0.0.1:{server.port}", charset="UTF-8"'
        assert r.headers.get_list("www-authenticate") == [f"Bearer {realm}", f"Basic {realm}"]
        assert r.headers["strict-transport-security"]
    assert server.stop(signal.SIGTERM) < 5


def test_sigint_stops(server: Server) -> None:
    assert server.stop(signal.SIGINT) < 5
    assert server.proc is not None and server.proc.returncode == 0


def test_health(server: Server) -> None:
    r = run_ocis("health", env=server.env)
    assert r.returncode == 0, r.stderr
    server.stop()
    r = run_ocis("health", env=server.env)
    assert r.returncode == 1 and r.stderr.startswith("ocis: cannot reach")


def test_restart_keeps_users_cert_and_secrets(server: Server) -> None:
    files = ["ocis.yaml", "proxy/server.crt", "proxy/server.key", "storage/metadata/accounts/users.json"]
    before = {f: (server.data / f).read_bytes() for f in files}
    server.stop()
    server.start()
    assert {f: (server.data / f).read_bytes() for f in files} == before
    with httpx.Client(base_url=server.url, verify=False) as c:
        r = c.get("/ocs/v2.php/cloud/user", params={"format": "json"}, auth=("marie", "radioactivity"))
        assert r.json()["ocs"]["data"]["id"] == "marie"


def test_http2_early_401_on_big_put(server: Server) -> None:
    """hypercorn 0.18 used to crash (KeyError) or hang the request forever on this."""
    body = os.urandom(10 * 1024 * 1024)
    outcomes: list[tuple[str, int | str]] = []
    for i in range(3):
        with make_client(server.url, http2=True, timeout=30) as c:
            try:
                r = c.put(f"/remote.php/webdav/early-{i}.bin", content=body, auth=("einstein", "wrong"))
                outcomes.append((r.http_version, r.status_code))
            except httpx.TransportError as exc:  # the server may reset the stream after answering
                outcomes.append(("-", type(exc).__name__))
    assert server.proc is not None and server.proc.poll() is None, "server died"
    with make_client(server.url, http2=True) as c:
        r = c.get("/ocs/v2.php/cloud/user", params={"format": "json"}, auth=("einstein", "relativity"))
        assert (r.http_version, r.status_code) == ("HTTP/2", 200)
    # every early-answered request must have finished (logged) promptly, not hang until shutdown
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        puts = [e for e in server.access_lines() if e["method"] == "PUT"]
        if len(puts) == 3:
            break
        time.sleep(0.1)
    assert [e["status"] for e in puts] == [401, 401, 401], outcomes
    assert server.stop() < 5


def test_no_demo_users_creates_admin(tmp_path: Path) -> None:
    srv = Server(tmp_path / "data", ACCOUNTS_DEMO_USERS_AND_GROUPS="false")
    srv.start()
    try:
        password = (srv.data / "admin-password.txt").read_text().strip()
        with httpx.Client(base_url=srv.url, verify=False) as c:
            ok = c.get("/ocs/v1.php/cloud/user", params={"format": "json"}, auth=("admin", password))
            assert ok.status_code == 200
            assert c.get("/ocs/v1.php/cloud/user", auth=("einstein", "relativity")).status_code == 401
        assert password not in srv.log.read_text()
    finally:
        srv.stop()


def test_corrupt_accounts_file_is_one_line(tmp_path: Path) -> None:
    accounts = tmp_path / "storage" / "metadata" / "accounts"
    accounts.mkdir(parents=True)
    (accounts / "users.json").write_text("{broken")
    r = run_ocis("server", env=base_env(tmp_path, free_port()))
    assert r.returncode == 2
    assert r.stderr.startswith("ocis: cannot open the accounts") and "users.json is not valid JSON" in r.stderr
    assert r.stderr.count("\n") == 1
