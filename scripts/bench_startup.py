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
    scripts/bench_startup.py --cmd ".venv/bin/python -m ocis" --runs 5 --json out.json
    scripts/bench_startup.py --cmd dist/ocis --cmd build/bench/ocis-onedir/ocis-onedir   # compare, interleaved
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


def size_of(exe: Path) -> int | None:
    """The file's size; for a one-folder build (``<dir>/<name>`` next to ``_internal/``) the folder's."""
    if not exe.is_file():
        return None
    if (exe.parent / "_internal").is_dir():
        return sum(p.stat().st_size for p in exe.parent.rglob("*") if p.is_file())
    return exe.stat().st_size


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cmd", action="append",
                    help="command that runs ocis (default: the newest dist/ocis-* binary); repeat it to "
                         "compare builds: their runs are interleaved, so a busy machine hurts all alike")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args()

    # SIGTERM ends the benchmark through the finally blocks (no server left running)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    cmds = [shlex.split(c) for c in args.cmd] if args.cmd else [[str(find_binary())]]
    for cmd in cmds:
        if os.sep in cmd[0]:
            cmd[0] = str(Path(cmd[0]).absolute())  # the server runs in a temporary working directory
    load_before = os.getloadavg()[0]
    work = Path(tempfile.mkdtemp(prefix="ocis-bench-"))
    samples: list[dict[str, list[float]]] = [{"cold": [], "first": [], "version": []} for _ in cmds]
    leftovers: list[list[str]] = []
    try:
        tmpdirs = []
        for n, cmd in enumerate(cmds):
            tmpdir = work / f"tmp-{n}"
            tmpdir.mkdir()
            tmpdirs.append(tmpdir)
            time_version(cmd, work, tmpdir)  # warm the page cache and check the command works
        for i in range(args.runs):
            for n, cmd in enumerate(cmds):
                home = work / f"home-{n}-{i}"
                home.mkdir()
                got = samples[n]
                got["first"].append(time_server_start(cmd, home, tmpdirs[n]))
                got["cold"].append(time_server_start(cmd, home, tmpdirs[n]))
                got["version"].append(time_version(cmd, home, tmpdirs[n]))
                shutil.rmtree(home, ignore_errors=True)
                label = f" [{n + 1}]" if len(cmds) > 1 else ""
                print(f"run {i + 1:2d}{label}: cold start {got['cold'][-1]:.3f} s, first run {got['first'][-1]:.3f} s, "
                      f"version {got['version'][-1]:.3f} s", flush=True)
        leftovers = [sorted(p.name for p in t.iterdir()) for t in tmpdirs]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    load = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    results = []
    for n, cmd in enumerate(cmds):
        results.append({
            "command": cmd,
            "size_bytes": size_of(Path(cmd[0])),
            "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs",
            "runs": args.runs,
            "cold_start_s": summary(samples[n]["cold"]),
            "first_run_s": summary(samples[n]["first"]),
            "version_s": summary(samples[n]["version"]),
            "temp_leftovers": leftovers[n],
            "load_average_1min": load,
        })
    for result in results:
        print()
        print(f"command      {shlex.join(result['command'])}")
        size = result["size_bytes"]
        if isinstance(size, int):
            print(f"size         {size / 2**20:.1f} MiB ({size} bytes)")
        for key, label in (("cold_start_s", "cold start"), ("first_run_s", "first run"), ("version_s", "version")):
            fig = result[key]
            assert isinstance(fig, dict)
            print(f"{label:12s} median {fig['median']:.3f} s  (min {fig['min']:.3f}, max {fig['max']:.3f}, "
                  f"n={args.runs})")
        print(f"left in TMPDIR after exit: {result['temp_leftovers'] or 'nothing'}")
    busy = max(load) > (os.cpu_count() or 1) * 0.5
    print(f"\nload average (1 min) before/after: {load[0]:.2f} / {load[1]:.2f} on {os.cpu_count()} CPUs"
          + ("  <- busy machine, figures are pessimistic" if busy else ""))
    if args.json:
        args.json.write_text(json.dumps(results[0] if len(results) == 1 else results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
