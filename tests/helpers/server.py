"""Run a real ``ocis server`` process for integration and client tests.

Each :class:`ServerProcess` gets its own free port and a fresh data directory under ``/tmp`` (ext4 on
the CI machine, so xattr limits are the real ones; tmpfs would hide them). The server runs as
``[sys.executable, "-m", "ocis", "server"]`` with its configuration in environment variables and its
stdout/stderr appended to ``<data>/server.log``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SRC_DIR = REPO_ROOT / "src"
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
TEST_TMP = os.environ.get("OCIS_TEST_TMP", "/tmp")

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

# Environment prefixes that configure the server; inherited values are dropped so tests are hermetic.
_CONFIG_PREFIXES = ("OCIS_", "PROXY_", "STORAGE_", "DAV_", "ACCOUNTS_", "IDP_", "OCS_", "WEB_")


class ServerError(AssertionError):
    """The server did not start, died, or misbehaved at the process level."""


def free_port() -> int:
    """A port that was free a moment ago (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_command() -> list[str]:
    """``[sys.executable, "-m", "ocis", "server"]``, or ``$OCIS_TEST_SERVER_CMD`` (e.g. a frozen binary:
    ``OCIS_TEST_SERVER_CMD="dist/ocis server"``) to run the same tests against another build."""
    custom = os.environ.get("OCIS_TEST_SERVER_CMD", "").strip()
    if not custom:
        return [sys.executable, "-m", "ocis", "server"]
    cmd = shlex.split(custom)
    if os.sep in cmd[0] and not os.path.isabs(cmd[0]):
        cmd[0] = os.path.abspath(cmd[0])  # the server runs in its data directory
    return cmd


def _fs_type(path: str) -> str:
    """Filesystem type of the mount holding ``path`` (from /proc/mounts; "" if unknown)."""
    best, fstype = "", ""
    try:
        with open("/proc/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1]
                inside = path == mnt or path.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) > len(best):
                    best, fstype = mnt, parts[2]
    except OSError:
        pass
    return fstype


class ServerProcess:
    """One ``ocis server`` child process with its own port and data directory.

    Attributes:
        port: the TCP port on 127.0.0.1.
        url: ``https://127.0.0.1:<port>`` (no trailing slash).
        data_dir: the server's ``OCIS_BASE_DATA_PATH``.
        log_path: where the server's stdout and stderr go.
    """

    def __init__(
        self,
        *,
        name: str = "ocis",
        metadata_backend: str = "auto",
        env: dict[str, str] | None = None,
        log_level: str = "info",
        command: list[str] | None = None,
    ) -> None:
        self.name = name
        # e.g. ["dist/ocis", "server"] (tests/binary); default: server_command()
        self.command = list(command) if command else None
        self.metadata_backend = metadata_backend
        self.extra_env = dict(env or {})
        self.log_level = log_level
        self.port = free_port()
        self.data_dir = Path(tempfile.mkdtemp(prefix=f"ocis-test-{name}-", dir=TEST_TMP))
        self.log_path = self.data_dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self._expect_running = False

    # --- properties ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise ServerError("server not started")
        return self.proc.pid

    @property
    def fs_type(self) -> str:
        return _fs_type(str(self.data_dir))

    @property
    def cert_path(self) -> Path:
        return self.data_dir / "proxy" / "server.crt"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CONFIG_PREFIXES)}
        env.update(
            {
                "OCIS_BASE_DATA_PATH": str(self.data_dir),
                "PROXY_HTTP_ADDR": f"127.0.0.1:{self.port}",
                "OCIS_URL": self.url,
                "OCIS_LOG_LEVEL": self.log_level,
                "PROXY_TLS": "true",
                "STORAGE_METADATA_BACKEND": self.metadata_backend,
                "PYTHONUNBUFFERED": "1",
                # Run the working tree's code even if the venv has no (editable) install of it.
                "PYTHONPATH": os.pathsep.join(p for p in (str(SRC_DIR), env.get("PYTHONPATH", "")) if p),
            }
        )
        env.update(self.extra_env)
        return env

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self, timeout: float = STARTUP_TIMEOUT, *, new_port_on_conflict: bool = True) -> ServerProcess:
        """Start the process and wait until ``/status.php`` answers 200 with ``installed: true``.

        If the port was taken in the meantime (another xdist worker), a first start retries on a
        new port; a restart keeps its port.
        """
        if self.proc is not None and self.proc.poll() is None:
            raise ServerError("server already running")
        for attempt in range(3):
            log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
            try:
                self._start_once(timeout)
                return self
            except ServerError:
                tail = self.log_path.read_bytes()[log_offset:].decode("utf-8", "replace")
                conflict = "Errno 98" in tail or "ddress already in use" in tail
                if not (new_port_on_conflict and conflict and attempt < 2):
                    raise
                self.port = free_port()
        raise AssertionError("unreachable")

    def _start_once(self, timeout: float) -> None:
        with open(self.log_path, "ab") as log:
            log.write(f"\n===== test harness: starting server on port {self.port} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.command or server_command(),
                env=self.env(),
                cwd=str(self.data_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_ready(timeout)
        self._expect_running = True

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(verify=False, http1=True, http2=False, timeout=2.0) as c:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise ServerError(
                        f"ocis server exited with code {self.proc.returncode} during startup\n"
                        f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
                    )
                try:
                    r = c.get(f"{self.url}/status.php")
                    if r.status_code == 200 and r.json().get("installed") is True:
                        return
                    last = f"HTTP {r.status_code}: {r.text[:200]!r}"
                except (httpx.HTTPError, ValueError) as e:
                    last = f"{type(e).__name__}: {e}"
                time.sleep(0.1)
        self._terminate()
        raise ServerError(
            f"ocis server not ready after {timeout:.0f} s (last: {last})\n"
            f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
        )

    def _terminate(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def stop(self) -> int | None:
        """SIGTERM, wait up to 10 s, then SIGKILL. Returns the exit code."""
        self._expect_running = False
        return self._terminate()

    def restart(self, timeout: float = STARTUP_TIMEOUT) -> ServerProcess:
        """Stop and start again with the same data directory and port."""
        self.stop()
        return self.start(timeout, new_port_on_conflict=False)

    def cleanup(self, keep_log_as: str | None = None) -> None:
        """Stop the server, save its log under ``test-artifacts/`` and remove the data directory."""
        self.stop()
        if keep_log_as and self.log_path.exists():
            with contextlib.suppress(OSError):
                ARTIFACTS_DIR.mkdir(exist_ok=True)
                shutil.copyfile(self.log_path, ARTIFACTS_DIR / f"{keep_log_as}.log")
        if not os.environ.get("OCIS_TEST_KEEP_DATA"):
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- health -------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        """Raise :class:`ServerError` if the server should be running but its process is gone."""
        if self._expect_running and not self.is_running():
            assert self.proc is not None
            self._expect_running = False  # report once
            raise ServerError(
                f"ocis server died unexpectedly (exit code {self.proc.returncode})\n"
                f"--- log tail ({self.log_path}) ---\n{self.log_tail()}"
            )

    def status(self) -> httpx.Response:
        with httpx.Client(verify=False, http1=True, http2=False, timeout=10.0) as c:
            return c.get(f"{self.url}/status.php")

    def assert_healthy(self) -> None:
        """The process is alive and ``/status.php`` still answers 200."""
        self.check_alive()
        r = self.status()
        assert r.status_code == 200, f"/status.php -> {r.status_code}"
        self.check_alive()

    def peak_rss(self) -> int:
        """Peak resident set size (VmHWM) of the server process in bytes.

        For the one-file binary the process we started is PyInstaller's launcher and the server is
        its child, so the largest VmHWM of the process and its children counts.
        """
        pids = [self.pid]
        with contextlib.suppress(OSError):
            pids += [int(c) for c in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        peaks = []
        for pid in pids:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) * 1024)
        if not peaks:
            raise ServerError("VmHWM not found")
        return max(peaks)

    # --- logs ---------------------------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def access_log(self) -> list[dict[str, Any]]:
        """The server's access-log records: JSON lines that carry an HTTP method.

        Field names are normalized to ``method``, ``path`` and ``status`` (``path`` without query).
        """
        records: list[dict[str, Any]] = []
        for line in self.log_text().splitlines():
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if not isinstance(rec, dict):
                continue
            method = _first(rec, "method", "http_method", "request_method")
            if not isinstance(method, str):
                continue
            path = _first(rec, "path", "uri", "url", "request_uri", "target") or ""
            status = _first(rec, "status", "status_code", "code")
            norm = dict(rec)
            norm["method"] = method.upper()
            norm["path"] = str(path).split("?", 1)[0]
            norm["status"] = int(status) if isinstance(status, (int, str)) and str(status).isdigit() else None
            records.append(norm)
        return records

    def count_requests(self, *methods: str) -> dict[str, int]:
        """How many requests per method the access log shows so far."""
        wanted = {m.upper() for m in methods}
        counts = dict.fromkeys(sorted(wanted), 0)
        for rec in self.access_log():
            if rec["method"] in wanted:
                counts[rec["method"]] += 1
        return counts

    # --- TLS ----------------------------------------------------------------------------------

    def served_certificate_der(self) -> bytes:
        """The DER bytes of the certificate the server presents on its port."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw,
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            der = tls.getpeercert(binary_form=True)
        if der is None:
            raise ServerError("server presented no certificate")
        return der

    # --- context manager ----------------------------------------------------------------------

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def __repr__(self) -> str:
        return f"<ServerProcess {self.name} {self.url} data={self.data_dir} backend={self.metadata_backend}>"


def _first(rec: dict[str, Any], *keys: str) -> Any:
    for k in keys:
        if k in rec:
            return rec[k]
    # one level of nesting, e.g. {"request": {"method": ...}} or {"http": {...}}
    for v in rec.values():
        if isinstance(v, dict):
            for k in keys:
                if k in v:
                    return v[k]
    return None


@contextlib.contextmanager
def running_server(**kwargs: Any) -> Iterator[ServerProcess]:
    """``with running_server(metadata_backend="sidecar") as srv: ...``"""
    srv = ServerProcess(**kwargs)
    try:
        srv.start()
        yield srv
    finally:
        srv.cleanup(keep_log_as=srv.name)
