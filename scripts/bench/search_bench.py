"""Benchmark: REPORT search-files over a space of N nodes (default 100 000), and delete of the
whole tree (one rename), against the storage directly and over HTTPS.

    python scripts/bench/search_bench.py [--nodes 100000] [--dir /tmp/ocis-bench-search]

Prints the median of 20 searches (storage call), the first search (index build), and the time to
delete the top folder (to the trash).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

from ocis.storage.decomposedfs import open_storage

USER = "4c510ada-c86b-4815-8820-42cdf82c3d51"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=100_000)
    ap.add_argument("--dir", default="/tmp/ocis-bench-search")
    args = ap.parse_args()
    root = Path(args.dir)
    shutil.rmtree(root, ignore_errors=True)
    fs = open_storage(root, "auto", fsync=False)  # setting up 100k nodes: durability is not measured
    fs.home(USER)
    per_folder = 100
    folders = max(1, args.nodes // (per_folder + 1))
    t0 = time.perf_counter()
    fs.mkdir(USER, "/top")
    for f in range(folders):
        fs.mkdir(USER, f"/top/folder-{f:05d}")
        for i in range(per_folder):
            up = fs.begin_upload(USER, f"/top/folder-{f:05d}/file-{i:03d}-{'needle' if i == 7 else 'hay'}.txt")
            up.write(b"x")
            up.commit()
    n = folders * (per_folder + 1) + 1
    print(f"created {n} nodes in {time.perf_counter() - t0:.1f} s ({fs.backend.name} backend)")

    t0 = time.perf_counter()
    hits = fs.search(USER, "NEEDLE", 30)
    print(f"first search (builds the index): {1000 * (time.perf_counter() - t0):.0f} ms, {len(hits)} hits")
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        hits = fs.search(USER, "needle", 30)
        times.append(time.perf_counter() - t0)
    print(f"search median of 20: {1000 * statistics.median(times):.1f} ms (limit 30, {len(hits)} hits)")

    t0 = time.perf_counter()
    fs.delete(USER, "/top")
    print(f"delete of the {n}-node tree to the trash: {1000 * (time.perf_counter() - t0):.1f} ms")
    t0 = time.perf_counter()
    fs.empty_trash(USER)
    print(f"purge of the {n}-node tree: {time.perf_counter() - t0:.1f} s")
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
