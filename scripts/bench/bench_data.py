"""Test data: made once in a cache directory (default ``/tmp/ocis-bench-cache``) and reused.

* ``big-<n>.bin``: random files for the large transfers (1 GiB; the 200 MB file of the size mix).
* ``tree-1000/``: 1000 files in 30 folders of mixed sizes (~180 MB) for ``rclone copy`` and
  ``owncloudcmd`` (80 % 1-64 kB, 17 % 64 kB-1 MB, 3 % 1-8 MB, seeded).
* the size mix of cdperf's "most-used sizes" (84 % < 1 MB, 12.5 % 1-10 MB, 3 % 10-100 MB, 0.5 %
  ~200 MB) is a list of sizes; its content is streamed from a random pattern in memory.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

MiB = 1024 * 1024
PATTERN_SIZE = 16 * MiB
TREE_VERSION = "1"


def pattern() -> bytes:
    """16 MiB of random bytes (content of generated uploads)."""
    return random.Random(7).randbytes(PATTERN_SIZE)


def big_file(cache: Path, size: int) -> Path:
    """A random file of ``size`` bytes in the cache (created on first use)."""
    path = cache / f"big-{size}.bin"
    if path.exists() and path.stat().st_size == size:
        return path
    cache.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    block = os.urandom(8 * MiB)
    with open(tmp, "wb") as fh:
        left = size
        while left > 0:
            n = min(left, len(block))
            fh.write(block[:n])
            left -= n
            block = block[1:] + block[:1] if left else block  # not the same block twice
    os.replace(tmp, path)
    return path


def _log_uniform(rng: random.Random, lo: int, hi: int) -> int:
    import math

    return int(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def size_mix(count: int, big: int, seed: int = 1) -> list[int]:
    """``count`` file sizes in cdperf's most-used proportions; the ~200 MB ones are ``big`` bytes."""
    rng = random.Random(seed)
    n_big = max(1, round(count * 0.005))
    n_large = max(1, round(count * 0.03))
    n_mid = max(1, round(count * 0.125))
    n_small = count - n_big - n_large - n_mid
    sizes = ([_log_uniform(rng, 1000, 1_000_000) for _ in range(n_small)]
             + [rng.randint(1_000_000, 10_000_000) for _ in range(n_mid)]
             + [_log_uniform(rng, 10_000_000, 100_000_000) for _ in range(n_large)]
             + [big] * n_big)
    rng.shuffle(sizes)
    return sizes


def tree(cache: Path, files: int = 1000) -> Path:
    """A folder of ``files`` files in 10 folders x (itself + 2 subfolders), made once."""
    root = cache / f"tree-{files}"
    marker = cache / f"tree-{files}.complete"
    if marker.exists() and marker.read_text() == TREE_VERSION:
        return root
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(3)
    data = pattern()
    folders = [f"d{i:02d}{sub}" for i in range(10) for sub in ("", "/s0", "/s1")]
    for folder in folders:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for i in range(files):
        r = rng.random()
        if r < 0.80:
            size = _log_uniform(rng, 1024, 64 * 1024)
        elif r < 0.97:
            size = _log_uniform(rng, 64 * 1024, MiB)
        else:
            size = rng.randint(MiB, 8 * MiB)
        offset = rng.randrange(PATTERN_SIZE)
        content = (data[offset:] + data[:offset])[:size]
        (root / folders[i % len(folders)] / f"file-{i:04d}.bin").write_bytes(content)
    marker.write_text(TREE_VERSION)
    return root


def tree_stats(root: Path) -> tuple[int, int]:
    """(files, bytes) of a generated tree."""
    n = total = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            n += 1
            total += os.path.getsize(os.path.join(dirpath, name))
    return n, total
