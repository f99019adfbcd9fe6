"""The workload, modelled on cdperf's scenarios. Every function runs one scenario against one server
and returns its measurements (``{metric key: value}``); timings are medians where repeated.

All requests of the sequential parts go over one keep-alive connection; the concurrency scenario
gives each client its own. PROPFIND answers are read as bytes, never parsed while timed.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bench_data
from bench_client import DavConn, HTTPStatusError, file_chunks, pattern_chunks
from bench_servers import Server

Metrics = dict[str, float]
_RESPONSE_END = re.compile(rb"</(?:[A-Za-z0-9_.-]+:)?response>")


@dataclass(frozen=True)
class Params:
    """Sizes of the workload (full run, or the few-second ``--quick`` smoke)."""

    flat_files: int = 1000
    flat_reps: int = 3
    propfind_reps: int = 20
    deep_a: tuple[int, int] = (45, 100)     # nested folders, files
    deep_b: tuple[int, int] = (5, 1000)
    deep_sweeps: int = 5
    mix_count: int = 200
    mix_big: int = 200 * 1000 * 1000
    large: int = 1024 ** 3
    large_reps: int = 3
    clients: int = 16
    client_iters: int = 25
    tree_files: int = 1000


FULL = Params()
QUICK = Params(flat_files=50, flat_reps=1, propfind_reps=3, deep_a=(5, 10), deep_b=(2, 40), deep_sweeps=1,
               mix_count=20, mix_big=8 * 1000 * 1000, large=16 * 1024 * 1024, large_reps=1, clients=4,
               client_iters=5, tree_files=0)


def responses(body: bytes) -> int:
    """How many ``<x:response>`` elements a multistatus has (closing tags, counted on the raw bytes)."""
    return len(_RESPONSE_END.findall(body))


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, math.ceil(pct / 100 * len(ordered)) - 1)
    return ordered[k]


class Context:
    """What the scenarios share: the server, the parameters, the data cache, a content pattern."""

    def __init__(self, server: Server, params: Params, cache: Path, pattern: bytes, workdir: Path) -> None:
        self.server = server
        self.params = params
        self.cache = cache
        self.pattern = pattern
        self.workdir = workdir

    def conn(self) -> DavConn:
        return DavConn(self.server.target)


def flat(ctx: Context) -> Metrics:
    """N x 1 kB PUT into one folder (median of reps), then PROPFIND Depth 1 of it (median of 20).

    The first PROPFIND after the uploads is reported on its own: servers may cache listings of an
    unchanged folder (ours caches rendered entries), and sync clients list changed folders too."""
    p = ctx.params
    payload = ctx.pattern[:1024]
    put_times = []
    with ctx.conn() as c:
        for rep in range(p.flat_reps):
            folder = f"flat-{rep}"
            c.mkcol(folder)
            t0 = time.perf_counter()
            for i in range(p.flat_files):
                c.put(f"{folder}/file-{i:04d}.txt", payload)
            put_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        c.propfind("flat-0")  # the first listing after the uploads (also the warm-up)
        first = time.perf_counter() - t0
        times = []
        for _ in range(p.propfind_reps):
            t0 = time.perf_counter()
            body = c.propfind("flat-0")
            times.append(time.perf_counter() - t0)
            if responses(body) != p.flat_files + 1:
                raise HTTPStatusError(f"{ctx.server.name}: PROPFIND listed {responses(body) - 1} of {p.flat_files}")
    return {"flat_put_s": statistics.median(put_times), "flat_propfind_ms": 1000 * statistics.median(times),
            "flat_propfind_first_ms": 1000 * first, "flat_propfind_bytes": float(len(body))}


def _deep(ctx: Context, c: DavConn, top: str, folders: int, files: int) -> list[float]:
    chain = [top]
    c.mkcol(top)
    for i in range(1, folders):
        chain.append(f"{chain[-1]}/level-{i:02d}")
        c.mkcol(chain[-1])
    payload = ctx.pattern[:4096]
    for j in range(files):
        c.put(f"{chain[j % folders]}/file-{j:04d}.txt", payload)
    c.propfind(top)  # warm-up
    per_folder: list[float] = []
    for _ in range(ctx.params.deep_sweeps):
        for folder in chain:
            t0 = time.perf_counter()
            c.propfind(folder)
            per_folder.append(time.perf_counter() - t0)
    return per_folder


def deep(ctx: Context) -> Metrics:
    """A: files spread over a chain of nested folders; B: many files in a few nested folders.
    One PROPFIND Depth 1 per folder, ``deep_sweeps`` times; the median per folder."""
    out: Metrics = {}
    with ctx.conn() as c:
        for key, (folders, files) in (("a", ctx.params.deep_a), ("b", ctx.params.deep_b)):
            times = _deep(ctx, c, f"deep-{key}", folders, files)
            out[f"deep_{key}_ms"] = 1000 * statistics.median(times)
    return out


def sizes(ctx: Context) -> Metrics:
    """cdperf's most-used sizes: upload, download and delete every file (sequentially)."""
    p = ctx.params
    mix = bench_data.size_mix(p.mix_count, p.mix_big)
    big = str(bench_data.big_file(ctx.cache, p.mix_big)) if p.mix_big > bench_data.PATTERN_SIZE else ""
    names = [f"mix/file-{i:03d}.bin" for i in range(len(mix))]
    with ctx.conn() as c:
        c.mkcol("mix")
        t0 = time.perf_counter()
        for name, size in zip(names, mix, strict=True):
            if size == p.mix_big and big:
                c.put_stream(name, size, file_chunks(big))
            else:
                c.put_stream(name, size, pattern_chunks(size, ctx.pattern))
        up = time.perf_counter() - t0
        t0 = time.perf_counter()
        for name, size in zip(names, mix, strict=True):
            got = c.get_stream(name)
            if got != size:
                raise HTTPStatusError(f"{ctx.server.name}: GET {name} gave {got} of {size} bytes")
        down = time.perf_counter() - t0
        t0 = time.perf_counter()
        for name in names:
            c.delete(name)
        rm = time.perf_counter() - t0
        ctx.server.empty_trash(c)
    total = sum(mix) / 1e6
    return {"mix_up_s": up, "mix_down_s": down, "mix_delete_s": rm, "mix_mb": total}


def large(ctx: Context) -> Metrics:
    """One big file: PUT, GET (MB/s, median of reps), then delete it (and empty ours' trash)."""
    p = ctx.params
    src = str(bench_data.big_file(ctx.cache, p.large))
    puts, gets = [], []
    with ctx.conn() as c:
        for rep in range(p.large_reps):
            name = f"large-{rep}.bin"
            t0 = time.perf_counter()
            c.put_stream(name, p.large, file_chunks(src))
            puts.append(p.large / 1e6 / (time.perf_counter() - t0))
            t0 = time.perf_counter()
            got = c.get_stream(name)
            gets.append(p.large / 1e6 / (time.perf_counter() - t0))
            if got != p.large:
                raise HTTPStatusError(f"{ctx.server.name}: GET {name} gave {got} of {p.large} bytes")
            c.delete(name)
            ctx.server.empty_trash(c)
    return {"large_put_mbs": statistics.median(puts), "large_get_mbs": statistics.median(gets)}


def concurrency(ctx: Context) -> Metrics:
    """N clients, each on its own connection: ``client_iters`` x (PUT 4 kB + PROPFIND Depth 0 of it).
    Latency of one iteration (both requests), p50 and p99 over all; errors = failed requests."""
    p = ctx.params
    payload = ctx.pattern[:4096]
    with ctx.conn() as c:
        c.mkcol("conc")
    barrier = threading.Barrier(p.clients + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []

    def client(n: int) -> None:
        mine: list[float] = []
        with ctx.conn() as c:
            try:
                c.propfind("conc", "0")  # TLS handshake before the clock starts
            except (OSError, HTTPStatusError) as exc:
                errors.append(repr(exc))
            barrier.wait()
            for j in range(p.client_iters):
                name = f"conc/c{n:02d}-{j:03d}.bin"
                t0 = time.perf_counter()
                try:
                    c.put(name, payload)
                    c.propfind(name, "0")
                except (OSError, HTTPStatusError) as exc:
                    with lock:
                        errors.append(repr(exc))
                    continue
                mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(p.clients)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if errors:
        print(f"    {ctx.server.name}: {len(errors)} errors, first: {errors[0]}")
    p50 = percentile(latencies, 50) if latencies else math.nan
    p99 = percentile(latencies, 99) if latencies else math.nan
    return {"conc_errors": float(len(errors)), "conc_p50_ms": 1000 * p50, "conc_p99_ms": 1000 * p99,
            "conc_p99_p50": p99 / p50 if latencies else math.nan,
            "conc_iter_s": len(latencies) / wall if wall else math.nan}


def _rclone_remote(ctx: Context) -> str:
    t = ctx.server.target
    obscured = subprocess.run(["rclone", "obscure", t.password], capture_output=True, text=True, check=True,
                              env=dict(os.environ, RCLONE_CONFIG="/dev/null")).stdout.strip()
    vendor = "owncloud" if ctx.server.name == "ours" else "other"
    return f":webdav,url='{t.dav_url}',vendor={vendor},user={t.user},pass={obscured}:"


def rclone_copy(ctx: Context) -> Metrics:
    """``rclone copy`` of the 1000-file tree (default 4 transfers), wall time."""
    src = bench_data.tree(ctx.cache, ctx.params.tree_files)
    remote = _rclone_remote(ctx) + "rclone-copy"
    env = dict(os.environ, RCLONE_CONFIG="/dev/null")
    t0 = time.perf_counter()
    proc = subprocess.run(["rclone", "copy", "--no-check-certificate", str(src), remote], env=env,
                          capture_output=True, text=True, timeout=900)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"rclone copy to {ctx.server.name} failed:\n{proc.stderr[-2000:]}")
    return {"rclone_copy_s": took}


def owncloudcmd_sync(ctx: Context) -> Metrics:
    """The desktop sync engine's first sync of the tree into an empty account (ours only)."""
    if ctx.server.name != "ours":
        return {}
    src = bench_data.tree(ctx.cache, ctx.params.tree_files)
    base = Path(tempfile.mkdtemp(prefix="occ-", dir=ctx.workdir))
    try:
        local = base / "local"
        shutil.copytree(src, local)
        (base / "home").mkdir()
        excludes = base / "exclude.lst"
        excludes.write_text("*~\n.#*\n*.part\n")
        env = dict(os.environ, HOME=str(base / "home"))
        t0 = time.perf_counter()
        proc = subprocess.run(["owncloudcmd", "--trust", "--non-interactive", "-u", "marie", "-p", "radioactivity",
                               "--exclude", str(excludes), "--max-sync-retries", "1", str(local), ctx.server.url],
                              env=env, capture_output=True, text=True, timeout=900)
        took = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(f"owncloudcmd failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    finally:
        shutil.rmtree(base, ignore_errors=True)
    return {"occ_sync_s": took}


SCENARIOS: dict[str, Callable[[Context], Metrics]] = {
    "flat": flat,
    "deep": deep,
    "sizes": sizes,
    "large": large,
    "concurrency": concurrency,
    "rclone": rclone_copy,
    "owncloudcmd": owncloudcmd_sync,
}
