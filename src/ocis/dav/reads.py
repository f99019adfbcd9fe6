"""Where short storage reads run: on the event loop while they stay short, else in worker threads.

Why: handing a call to a worker thread and back costs two thread wake-ups and two GIL hand-overs;
measured on a PROPFIND Depth 1 of a small folder it was 0.3 of 0.8 ms of server time per request.
Metadata reads on a local filesystem (readlink, getxattr, a small file from the page cache) take
microseconds, so they run inline, as nginx does its open/stat calls. A read that turns out slow
(a cold SD card, a network filesystem) would stall every connection, so :class:`ReadRunner` times
each inline call and sends all reads to worker threads for a while after one took longer than
``slow`` seconds. A read given a ``key`` (e.g. the folder a PROPFIND lists) that took longer than
``slow_key`` is remembered: reads with that key run in threads from then on (a listing of thousands
of entries is long every time). ``STORAGE_INLINE_READS=false`` keeps all reads in threads (for
storage that can hang, such as a hard-mounted NFS share). Writes never run inline (fsync,
dirty-page throttling).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

import trio

log = logging.getLogger("ocis.dav")

T = TypeVar("T")

SLOW = 0.05       # seconds: an inline read slower than this sends reads to threads...
BACKOFF = 30.0    # ...for this many seconds
SLOW_KEY = 0.01   # seconds: an inline read with a key slower than this sends that key to threads
MAX_KEYS = 4096   # keys remembered (forgotten all at once beyond)


class ReadRunner:
    """Run ``fn(*args)`` inline or in a worker thread (see the module docstring).

    Args:
        limiter: the worker-thread limiter of the service.
        inline: False = always in worker threads.
        slow, backoff, slow_key: seconds, see :data:`SLOW`, :data:`BACKOFF`, :data:`SLOW_KEY`.
    """

    def __init__(self, limiter: trio.CapacityLimiter, *, inline: bool = True, slow: float = SLOW,
                 backoff: float = BACKOFF, slow_key: float = SLOW_KEY) -> None:
        self.limiter = limiter
        self.inline = inline
        self.slow = slow
        self.backoff = backoff
        self.slow_key = slow_key
        self.threads_until = 0.0  # time.monotonic() before which reads go to threads
        self.slow_keys: set[Hashable] = set()

    async def __call__(self, fn: Callable[..., T], *args: object, key: Hashable = None) -> T:
        if self.inline and time.monotonic() >= self.threads_until and key not in self.slow_keys:
            start = time.monotonic()
            try:
                return fn(*args)
            finally:
                took = time.monotonic() - start
                if key is not None and took > self.slow_key:
                    if len(self.slow_keys) >= MAX_KEYS:
                        self.slow_keys.clear()
                    self.slow_keys.add(key)
                if took > self.slow:
                    self.threads_until = start + took + self.backoff
                    log.warning("a storage read took %.0f ms on the event loop: reads run in worker "
                                "threads for the next %.0f s", took * 1000, self.backoff)
        return await trio.to_thread.run_sync(lambda: fn(*args), limiter=self.limiter)
