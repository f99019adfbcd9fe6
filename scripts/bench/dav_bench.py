#!/usr/bin/env python3
"""WebDAV benchmark against peers (``make bench``): ours, Apache httpd + mod_dav, rclone serve webdav.

Every server runs on loopback over HTTPS with Basic auth; the same cdperf-like workload (see
``bench_scenarios.py``) runs against each, scenario by scenario, and a table of medians with the
ratio ours / best peer is printed. A benchmark, not a test - except ``--quick``: ours only, small
sizes, a few seconds; it fails (exit 1) if any request fails, and runs in ``make test``.

    python scripts/bench/dav_bench.py                      # full run (~10 min), all servers
    python scripts/bench/dav_bench.py --quick              # smoke
    python scripts/bench/dav_bench.py --servers ours,rclone --scenarios flat,deep --json out.json

Data: ``--cache`` (default /tmp/ocis-bench-cache) keeps the generated 1 GiB and 200 MB files and the
1000-file tree between runs; servers' data goes to a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import bench_data
from bench_scenarios import FULL, QUICK, SCENARIOS, Context, Metrics
from bench_servers import Ours, Server, start_all, stop_all

ALL_SERVERS = ("ours", "apache", "rclone")
MiB = 1024 * 1024


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str
    lower_is_better: bool = True
    goal_peer: str | None = None    # the goal compares ours with this peer…
    goal_ratio: float | None = None  # …ours/peer must be <= (lower is better) or >= this
    goal_abs: float | None = None   # or ours itself must be <= this
    ours_only: bool = False


def rows(quick: bool) -> list[Row]:
    p = QUICK if quick else FULL
    return [
        Row("flat_put_s", f"{p.flat_files} x 1 kB PUT", "s", goal_peer="apache", goal_ratio=1.0),
        Row("flat_propfind_ms", f"PROPFIND D1, {p.flat_files} entries", "ms", goal_peer="rclone", goal_ratio=1.0),
        Row("flat_propfind_first_ms", "same, first listing after the uploads (once)", "ms"),
        Row("deep_a_ms", f"deep: PROPFIND/folder, {p.deep_a[1]} files in {p.deep_a[0]} nested", "ms",
            goal_peer="rclone", goal_ratio=1.0),
        Row("deep_b_ms", f"deep: PROPFIND/folder, {p.deep_b[1]} files in {p.deep_b[0]} nested", "ms",
            goal_peer="rclone", goal_ratio=1.0),
        Row("mix_up_s", f"size mix ({p.mix_count} files): upload", "s"),
        Row("mix_down_s", "size mix: download", "s"),
        Row("mix_delete_s", "size mix: delete", "s"),
        Row("large_put_mbs", f"{_size(p.large)} PUT", "MB/s", lower_is_better=False, goal_peer="apache",
            goal_ratio=0.9),
        Row("large_get_mbs", f"{_size(p.large)} GET", "MB/s", lower_is_better=False, goal_peer="apache",
            goal_ratio=0.9),
        Row("conc_errors", f"{p.clients} clients: errors", "", goal_abs=0.0),
        Row("conc_p50_ms", f"{p.clients} clients: p50 (PUT 4k + PROPFIND D0)", "ms"),
        Row("conc_p99_ms", f"{p.clients} clients: p99", "ms"),
        Row("conc_p99_p50", f"{p.clients} clients: p99 / p50", "x", goal_abs=2.0),
        Row("conc_iter_s", f"{p.clients} clients: iterations/s", "1/s", lower_is_better=False),
        Row("rss_idle_mib", "idle RSS (after start)", "MiB", goal_abs=80.0),
        Row("rss_end_mib", "idle RSS (after the run)", "MiB"),
        Row("rss_peak_mib", "peak RSS", "MiB"),
        Row("rclone_copy_s", f"rclone copy, {p.tree_files}-file tree", "s", goal_peer="apache", goal_ratio=1.2),
        Row("occ_sync_s", f"owncloudcmd first sync, {p.tree_files} files", "s", ours_only=True),
    ]


def _size(n: int) -> str:
    return f"{n // 1024 ** 3} GiB" if n >= 1024 ** 3 else f"{n // MiB} MiB"


class MemorySampler:
    """Samples each server's RSS (summed over its processes) every 0.2 s; keeps the maximum."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self.peak = {s.name: 0 for s in servers}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def sample(self) -> None:
        for s in self.servers:
            self.peak[s.name] = max(self.peak[s.name], s.rss())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> dict[str, int]:
        self._stop.set()
        self._thread.join()
        self.sample()
        for s in self.servers:
            if len(s.pids()) == 1:  # one process: the kernel's high-water mark is exact
                self.peak[s.name] = max(self.peak[s.name], s.hwm())
        return self.peak


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 1 else f"{value:.3f}"


def table(results: dict[str, Metrics], quick: bool) -> tuple[str, bool]:
    """The printed table and whether every goal that could be checked was met."""
    names = [n for n in ALL_SERVERS if n in results]
    header = ["scenario", "unit", *names, "ours/best peer", "goal", "met"]
    lines = [header]
    all_met = True
    for row in rows(quick):
        values = {n: results[n].get(row.key) for n in names}
        if values.get("ours") is None:
            continue
        ours = values["ours"]
        assert ours is not None
        peers = {n: v for n, v in values.items() if n != "ours" and v is not None and not row.ours_only}
        ratio = None
        if peers:
            best = min(peers.values()) if row.lower_is_better else max(peers.values())
            ratio = ours / best if best else None
        goal, met = "", ""
        if row.goal_abs is not None:
            goal = f"<= {row.goal_abs:g}"
            ok = ours <= row.goal_abs
            met = f"{'yes' if ok else 'NO'} ({_fmt(ours)})"
            all_met &= ok
        elif row.goal_peer and row.goal_ratio is not None:
            sign = "<=" if row.lower_is_better else ">="
            goal = f"{sign} {row.goal_ratio:g} x {row.goal_peer}"
            peer = peers.get(row.goal_peer)
            if peer:
                r = ours / peer
                ok = r <= row.goal_ratio if row.lower_is_better else r >= row.goal_ratio
                met = f"{'yes' if ok else 'NO'} ({r:.2f})"
                all_met &= ok
        cells = [row.label, row.unit, *[_fmt(values[n]) if not (row.ours_only and n != "ours") else "n/a"
                                         for n in names],
                 f"{ratio:.2f}" if ratio is not None else "-", goal, met]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for i, line in enumerate(lines):
        out.append("| " + " | ".join(c.ljust(widths[j]) for j, c in enumerate(line)) + " |")
        if i == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out), all_met


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="ours only, small sizes, a few seconds (smoke test)")
    ap.add_argument("--servers", default=None, help="comma-separated subset of ours,apache,rclone")
    ap.add_argument("--scenarios", default=None, help=f"comma-separated subset of {','.join(SCENARIOS)}")
    ap.add_argument("--cache", default="/tmp/ocis-bench-cache", help="where generated test files are kept")
    ap.add_argument("--json", default=None, help="write all measurements to this file")
    ap.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for our server, e.g. STORAGE_FSYNC=false (repeatable)")
    args = ap.parse_args(argv)
    Ours.extra_env = dict(kv.split("=", 1) for kv in args.ours_env)

    params = QUICK if args.quick else FULL
    names = args.servers.split(",") if args.servers else (["ours"] if args.quick else list(ALL_SERVERS))
    if "ours" not in names or set(names) - set(ALL_SERVERS):
        ap.error(f"--servers: a subset of {','.join(ALL_SERVERS)} that includes ours")
    default = [s for s in SCENARIOS if not (args.quick and s in ("rclone", "owncloudcmd"))]
    scenarios = args.scenarios.split(",") if args.scenarios else default
    if set(scenarios) - set(SCENARIOS):
        ap.error(f"--scenarios: a subset of {','.join(SCENARIOS)}")
    if not args.quick and any(shutil.which(t) is None for t in ("apache2", "rclone", "owncloudcmd")):
        print("note: apache2, rclone and owncloudcmd are needed (make bench installs them)", file=sys.stderr)

    cache = Path(args.cache)
    pattern = bench_data.pattern()
    workdir = Path(tempfile.mkdtemp(prefix="ocis-davbench-", dir="/tmp"))
    results: dict[str, Metrics] = {}
    t_start = time.perf_counter()
    servers: list[Server] = []
    try:
        servers = start_all(workdir, names)
        time.sleep(1.0)  # let start-up work settle before the idle figure
        for s in servers:
            results[s.name] = {"rss_idle_mib": s.rss() / MiB}
        sampler = MemorySampler(servers)
        sampler.start()
        for scenario in scenarios:
            for s in servers:
                t0 = time.perf_counter()
                ctx = Context(s, params, cache, pattern, workdir)
                metrics = SCENARIOS[scenario](ctx)
                results[s.name].update(metrics)
                print(f"  {scenario:<12} {s.name:<7} {time.perf_counter() - t0:6.1f} s  "
                      + " ".join(f"{k}={v:.4g}" for k, v in metrics.items()), flush=True)
        time.sleep(1.0)
        peaks = sampler.stop()
        for s in servers:
            results[s.name]["rss_end_mib"] = s.rss() / MiB
            results[s.name]["rss_peak_mib"] = peaks[s.name] / MiB
    except BaseException:
        for s in servers:  # say why a server went away before its log is removed
            if s.proc is not None and s.proc.poll() is not None:
                print(f"{s.name} exited with {s.proc.returncode}; log tail:\n{s.log_tail(40)}", file=sys.stderr)
        raise
    finally:
        stop_all(servers)
        shutil.rmtree(workdir, ignore_errors=True)
    text, met = table(results, args.quick)
    print()
    print(text)
    print(f"\n{'quick' if args.quick else 'full'} run: {time.perf_counter() - t_start:.1f} s; "
          f"goals {'all met' if met else 'NOT all met'}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"quick": args.quick, "ours_env": Ours.extra_env, "results": results},
                                              indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
