#!/usr/bin/env python3
"""Start-up benchmark of the ``ocis`` binary (``make bench-startup``). A benchmark, not a test.

Measures, each as the median of ``--runs`` (default 10) runs:

* **cold start**: exec of ``ocis server`` → first HTTPS 200 on ``/status.php`` (polled every
  10 ms), with a data directory that already exists (the usual restart: no certificate or demo
  users to create). Every run is a new process, so for a one-file binary it includes unpacking the
  bundle into a fresh temporary directory; the binary itself is in the page cache after the first
  run (we do not drop caches: that would measure the disk).
* **first run**: the same with an empty data directory (secrets, certificate, demo users).
* **version**: ``ocis version`` exec → exit.

The server runs with a clean environment (``env -i``-like: PATH, HOME, TMPDIR only), on a free
port on 127.0.0.1, and is stopped with SIGTERM after each run.

Usage::

    scripts/bench_startup.py                          # newest dist/ocis-*-*-* binary
    scripts/bench_startup.py --cmd "dist/ocis-0.1.0-linux-amd64/ocis-0.1.0-linux-amd64"   # e.g. onedir
    scripts/bench_startup.py --cmd ".venv/bin/python -m ocis" --runs 5 --json out.json
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shlex
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLL_INTERVAL = 0.01
START_TIMEOUT = 30.0


def find_binary() -> Path:
    """The newest one-file build in dist/ (ocis-<version>-<os>-<arch>, not the .sha256)."""
    candidates = [p for p in (REPO / "dist").glob("ocis-*-*-*") if p.is_file() and not p.name.endswith(".sha256")]
    if not candidates:
        raise SystemExit("no dist/ocis-<version>-<os>-<arch> binary: run `make dist` first (or pass --cmd)")
    return max(candidates, key=lambda p: p.stat().st_mtime)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status_ok(port: int, ctx: ssl.SSLContext) -> bool:
    conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=2, context=ctx)
    try:
        conn.request("GET", "/status.php")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def clean_env(home: Path, tmpdir: Path, port: int) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(tmpdir),
        "PROXY_HTTP_ADDR": f"127.0.0.1:{port}",
        "OCIS_URL": f"https://127.0.0.1:{port}",
        "OCIS_LOG_LEVEL": "warning",
    }


def time_server_start(cmd: list[str], home: Path, tmpdir: Path) -> float:
    """Seconds from exec to the first 200 on /status.php; the server is stopped afterwards."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([*cmd, "server"], env=clean_env(home, tmpdir, port), cwd=str(tmpdir),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            if _status_ok(port, ctx):
                return time.perf_counter() - t0
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise SystemExit(f"server exited with {proc.returncode} before answering:\n{err[-2000:]}")
            if time.perf_counter() - t0 > START_TIMEOUT:
                raise SystemExit(f"server did not answer within {START_TIMEOUT:.0f} s")
            time.sleep(POLL_INTERVAL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def time_version(cmd: list[str], home: Path, tmpdir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([*cmd, "version"], env=clean_env(home, tmpdir, 0), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 3), "min": round(min(values), 3),
            "max": round(max(values), 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cmd", help="command that runs ocis (default: the newest dist/ocis-* binary)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    # SIGTERM ends the benchmark through the finally blocks (no server left running)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cmd = shlex.split(args.cmd) if args.cmd else [str(find_binary())]
    if os.sep in cmd[0]:
        cmd[0] = str(Path(cmd[0]).absolute())  # the server runs in a temporary working directory
    exe = Path(cmd[0])
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="ocis-bench-"))
    try:
        tmpdir = work / "tmp"
        tmpdir.mkdir()
        # warm the page cache and check the command works
        time_version(cmd, work, tmpdir)

        first_run: list[float] = []
        cold: list[float] = []
        version: list[float] = []
        for i in range(args.runs):
            home = work / f"home-{i}"
            home.mkdir()
            first_run.append(time_server_start(cmd, home, tmpdir))
            cold.append(time_server_start(cmd, home, tmpdir))
            version.append(time_version(cmd, home, tmpdir))
            shutil.rmtree(home, ignore_errors=True)
            print(f"run {i + 1:2d}: cold start {cold[-1]:.3f} s, first run {first_run[-1]:.3f} s, "
                  f"version {version[-1]:.3f} s", flush=True)
        leftovers = sorted(p.name for p in tmpdir.iterdir())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    size = exe.stat().st_size if exe.is_file() else None
    result = {
        "command": cmd,
        "size_bytes": size,
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
        "runs": args.runs,
        "cold_start_s": summary(cold),
        "first_run_s": summary(first_run),
        "version_s": summary(version),
        "temp_leftovers": leftovers,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print()
    print(f"command      {shlex.join(cmd)}")
    if size is not None:
        print(f"size         {size / 2**20:.1f} MiB ({size} bytes)")
    for key, label in (("cold_start_s", "cold start"), ("first_run_s", "first run"), ("version_s", "version")):
        s = result[key]
        assert isinstance(s, dict)
        print(f"{label:12s} median {s['median']:.3f} s  (min {s['min']:.3f}, max {s['max']:.3f}, n={args.runs})")
    print(f"left in TMPDIR after exit: {leftovers or 'nothing'}")
    load = result["load_average_1min"]
    assert isinstance(load, list)
    print(f"load average (1 min) before/after: {load[0]:.2f} / {load[1]:.2f} on {os.cpu_count()} CPUs"
          + ("  <- busy machine, figures are pessimistic" if max(load) > (os.cpu_count() or 1) * 0.5 else ""))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
