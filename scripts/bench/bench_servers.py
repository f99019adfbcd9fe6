"""The servers under test, each on its own loopback port over HTTPS with Basic auth.

* ``ours``: ``python -m ocis server`` with a fresh data directory, its default settings (info log
  level: one JSON access-log line per request, written to a file as journald would get it).
* ``apache``: Debian ``apache2`` with mod_dav_fs, a self-contained config (nothing in /etc/apache2
  is read or changed; stack-notes §5), mpm_event, an access log, keep-alive without a request limit.
* ``rclone``: ``rclone serve webdav`` (Debian ``rclone``) over a plain directory.

All three use the certificate (EC P-256) that ours generates on its first start, so the TLS cost
is the same. Each server's processes are started by us and stopped by their pid.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench_client import DavConn, Target

REPO = Path(__file__).resolve().parents[2]
USER, PASSWORD = "einstein", "relativity"
APACHE_MODULES = ("mpm_event", "authz_core", "authz_user", "authn_core", "authn_file", "auth_basic", "dav",
                  "dav_fs", "mime", "alias", "ssl", "socache_shmcb")
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            out.append(int(entry.name))
    return out


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class Server:
    """Base: a process we start, its work directory, and its WebDAV target."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir / self.name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.dir / "server.log"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def target(self) -> Target:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        return dict(os.environ)

    def prepare(self, cert: Path, key: Path) -> None:
        """Write config files before the start."""

    def start(self) -> None:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), env=self.env(), cwd=self.dir, stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.wait_ready()

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        last = ""
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with DavConn(self.target, timeout=5) as c:
                    status, body = c.raw("PROPFIND", "", None, {"Depth": "0"})
                if status == 207:
                    return
                last = f"HTTP {status} {body[:100]!r}"
            except OSError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {START_TIMEOUT} s ({last}):\n{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """The server's processes: the one we started and its descendants."""
        if self.proc is None or self.proc.poll() is not None:
            return []
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += _children(pid)
        return out

    def rss(self) -> int:
        """Resident memory in bytes, summed over the server's processes."""
        return sum(_status_kib(p, "VmRSS") for p in self.pids()) * 1024

    def hwm(self) -> int:
        """Peak resident memory (VmHWM) in bytes, summed over the server's processes."""
        return sum(_status_kib(p, "VmHWM") for p in self.pids()) * 1024

    def empty_trash(self, conn: DavConn) -> None:
        """Free the disk space of deleted files (only ours keeps a trash bin)."""

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # the group we created for it
                self.proc.wait(5)
        self.proc = None


class Ours(Server):
    name = "ours"
    extra_env: dict[str, str] = {}  # e.g. {"STORAGE_FSYNC": "false"} (dav_bench.py --ours-env)

    @property
    def data(self) -> Path:
        return self.dir / "data"

    @property
    def cert(self) -> Path:
        return self.data / "proxy" / "server.crt"

    @property
    def key(self) -> Path:
        return self.data / "proxy" / "server.key"

    @property
    def target(self) -> Target:
        return Target(self.name, self.url, f"/remote.php/dav/files/{USER}/", USER, PASSWORD)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "ocis", "server"]

    def env(self) -> dict[str, str]:
        prefixes = ("OCIS_", "PROXY_", "STORAGE_", "DAV_", "ACCOUNTS_", "IDP_", "OCS_", "WEB_")
        env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
        env.update({
            "OCIS_BASE_DATA_PATH": str(self.data),
            "PROXY_HTTP_ADDR": f"127.0.0.1:{self.port}",
            "OCIS_URL": self.url,
            "PROXY_TLS": "true",
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH", "")) if p),
        })
        env.update(self.extra_env)
        return env

    def empty_trash(self, conn: DavConn) -> None:
        status, body = conn.raw("DELETE", f"/remote.php/dav/trash-bin/{USER}/", absolute=True)
        if status not in (200, 204):
            raise RuntimeError(f"emptying the trash: {status} {body[:200]!r}")


class Apache(Server):
    name = "apache"

    @property
    def target(self) -> Target:
        return Target(self.name, self.url, "/dav/", USER, PASSWORD)

    def prepare(self, cert: Path, key: Path) -> None:
        davdir, lockdir = self.dir / "dav", self.dir / "lock"
        for d in (self.dir.parent, self.dir):  # www-data must reach the DAV folder (mkdtemp made 0700)
            d.chmod(0o755)
        davdir.mkdir(exist_ok=True)
        lockdir.mkdir(exist_ok=True)
        htpasswd = self.dir / "htpasswd"
        subprocess.run(["htpasswd", "-bc", str(htpasswd), USER, PASSWORD], check=True, capture_output=True)
        as_root = os.geteuid() == 0
        if as_root:  # Apache's children run as www-data; without root they run as we do
            shutil.chown(davdir, "www-data", "www-data")
            shutil.chown(lockdir, "www-data", "www-data")
        user = "User www-data\nGroup www-data\n" if as_root else ""
        modules = "\n".join(f"LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so" for m in APACHE_MODULES)
        conf = f"""\
ServerRoot "{self.dir}"
ServerName 127.0.0.1
Listen 127.0.0.1:{self.port}
PidFile "{self.dir}/httpd.pid"
ErrorLog "{self.dir}/error.log"
LogLevel warn
{user}{modules}
TypesConfig /etc/mime.types
# Debian's mpm_event defaults; keep-alive without a request limit (Apache's best case)
StartServers 2
MinSpareThreads 25
MaxSpareThreads 75
ThreadLimit 64
ThreadsPerChild 25
MaxRequestWorkers 150
MaxConnectionsPerChild 0
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
LimitRequestBody 0
LogFormat "%h %l %u %t \\"%r\\" %>s %O" common
CustomLog "{self.dir}/access.log" common
SSLEngine on
SSLCertificateFile "{cert}"
SSLCertificateKeyFile "{key}"
SSLSessionCache "shmcb:{self.dir}/ssl_scache(512000)"
DAVLockDB "{lockdir}/DAVLock"
Alias /dav "{davdir}"
<Directory "{davdir}">
    DAV On
    Options None
    AllowOverride None
    AuthType Basic
    AuthName "dav"
    AuthUserFile "{htpasswd}"
    Require valid-user
</Directory>
"""
        (self.dir / "httpd.conf").write_text(conf)

    def command(self) -> list[str]:
        return ["apache2", "-f", str(self.dir / "httpd.conf"), "-DFOREGROUND"]


class Rclone(Server):
    name = "rclone"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self._cert: Path | None = None
        self._key: Path | None = None

    @property
    def target(self) -> Target:
        return Target(self.name, self.url, "/", USER, PASSWORD)

    def prepare(self, cert: Path, key: Path) -> None:
        (self.dir / "dav").mkdir(exist_ok=True)
        self._cert, self._key = cert, key

    def command(self) -> list[str]:
        return ["rclone", "serve", "webdav", str(self.dir / "dav"), "--addr", f"127.0.0.1:{self.port}",
                "--user", USER, "--pass", PASSWORD, "--cert", str(self._cert), "--key", str(self._key)]

    def env(self) -> dict[str, str]:
        return dict(os.environ, RCLONE_CONFIG="/dev/null")


def start_all(workdir: Path, names: list[str]) -> list[Server]:
    """Start ours (always, and first: it makes the certificate), then the requested peers."""
    ours = Ours(workdir)
    servers: list[Server] = [ours]
    try:
        ours.start()
        for cls in (Apache, Rclone):
            if cls.name in names:
                srv = cls(workdir)
                servers.append(srv)
                srv.prepare(ours.cert, ours.key)
                srv.start()
    except BaseException:
        stop_all(servers)
        raise
    return servers


def stop_all(servers: list[Server]) -> None:
    for srv in servers:
        srv.stop()
