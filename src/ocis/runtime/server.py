"""Serve an ASGI app with hypercorn 0.18's trio worker.

* Binds ``cfg.proxy.http_addr`` itself first, so a taken port or a bad address is reported as one
  line (:class:`ServeError`, naming ``PROXY_HTTP_ADDR``) instead of a traceback from inside trio.
* TLS with ALPN ``h2`` + ``http/1.1`` when ``cfg.proxy.tls`` (cert and key from the bootstrap),
  plain HTTP/1.1 (+ h2c upgrade) otherwise. The hypercorn patches are applied first.
* SIGINT, SIGTERM and SIGHUP (the terminal went away) trigger hypercorn's graceful shutdown (in-flight requests get
  ``GRACEFUL_TIMEOUT`` seconds); a watchdog ends the process if shutdown is not done within
  ``HARD_EXIT_AFTER`` seconds after the signal (e.g. a worker thread that never returns).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import Any

import trio

from ocis.config.loader import split_host_port
from ocis.config.model import OcisConfig
from ocis.runtime import hypercorn_patch

log = logging.getLogger("ocis.runtime")

GRACEFUL_TIMEOUT = 3.0
KEEP_ALIVE_MAX_REQUESTS = 100_000
HARD_EXIT_AFTER = 4.5
# A repeat of the signal within this many seconds is the same request, not "exit now": Ctrl-C (or
# systemd's KillMode=control-group) reaches both the one-file binary's bootloader and this process,
# and the bootloader forwards it once more.
REPEAT_SIGNAL_WINDOW = 1.0


class ServeError(Exception):
    """The server cannot start (e.g. the port is taken). The message is one line for the operator."""


def hypercorn_config(cfg: OcisConfig) -> Any:
    """A hypercorn ``Config`` for our settings (listening sockets are made by :func:`bind`)."""
    from hypercorn.config import Config

    hc = Config()
    hc.bind = [cfg.proxy.http_addr]
    if cfg.proxy.tls:
        hc.certfile = cfg.proxy.tls_cert
        hc.keyfile = cfg.proxy.tls_key
        # HTTP/1.1 first: ALPN picks the server's first protocol the client also offers, so clients
        # that speak both (curl, rclone, browsers, the desktop client) get runtime/h1; HTTP/2 (pure
        # Python h2, 16 KiB frames) stays for clients that offer nothing else. Measured with curl,
        # 300 MB: PUT 90 vs 300 MB/s, GET 146 vs 894 MB/s (HTTP/2 vs HTTP/1.1).
        hc.alpn_protocols = ["http/1.1", "h2"]
    hc.graceful_timeout = GRACEFUL_TIMEOUT
    hc.include_server_header = False
    hc.accesslog = None                          # we write our own (runtime/logging.py)
    hc.errorlog = logging.getLogger("hypercorn.error")
    hc.keep_alive_timeout = 30                   # sync clients pause between requests
    # hypercorn's default, 1000 requests per connection, ends an HTTP/2 connection with GOAWAY
    # while a busy client (rclone copy: ~3 requests per file) has streams in flight; rclone then
    # failed those and ran the whole copy a second time.
    hc.keep_alive_max_requests = KEEP_ALIVE_MAX_REQUESTS
    return hc


def bind(addr: str) -> socket.socket:
    """A listening TCP socket on ``host:port``.

    Raises:
        ServeError: ``PROXY_HTTP_ADDR: cannot listen on <addr>: <reason>``.
    """
    host, port = split_host_port(addr)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        reason = {
            errno.EADDRINUSE: "address already in use",
            errno.EADDRNOTAVAIL: "address not available on this machine",
            errno.EACCES: "permission denied",
        }.get(exc.errno or 0, exc.strerror or str(exc))
        if isinstance(exc, socket.gaierror):
            reason = f"unknown host {host!r}"
        raise ServeError(f"PROXY_HTTP_ADDR: cannot listen on {addr}: {reason}") from None
    return sock


def serve(app: Any, cfg: OcisConfig, *, on_started: Callable[[list[str]], None] | None = None) -> None:
    """Run until SIGINT/SIGTERM. Blocks.

    Args:
        app: the ASGI app.
        cfg: bootstrapped config (TLS cert/key paths filled in when TLS is on).
        on_started: called with the bound URLs once the server listens.

    Raises:
        ServeError: cannot listen.
    """
    from hypercorn.config import Sockets
    from hypercorn.trio.run import worker_serve
    from hypercorn.utils import wrap_app

    hypercorn_patch.apply()
    release_free_memory()
    hc = hypercorn_config(cfg)
    sock = bind(cfg.proxy.http_addr)
    sockets = Sockets(secure_sockets=[sock] if cfg.proxy.tls else [],
                      insecure_sockets=[] if cfg.proxy.tls else [sock], quic_sockets=[])
    wrapped = wrap_app(app, hc.wsgi_max_body_size, "asgi")

    async def main() -> None:
        shutdown = trio.Event()
        # Signals are caught from here on, before the listener is announced: a SIGTERM right
        # after the "running" line must still shut down gracefully.
        with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM, signal.SIGHUP) as signals:
            async with trio.open_nursery() as nursery:
                nursery.start_soon(_watch_signals, signals, shutdown)

                async def run_server(task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
                    await worker_serve(wrapped, hc, sockets=sockets, shutdown_trigger=shutdown.wait,
                                       task_status=task_status)
                    nursery.cancel_scope.cancel()

                binds: list[str] = await nursery.start(run_server)
                if on_started is not None:
                    on_started(binds)

    try:
        trio.run(main)
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()


# glibc mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 4 * 1024 * 1024   # blocks this large are mmapped, so their memory goes back on free
TRIM_THRESHOLD = 32 * 1024 * 1024  # free memory kept at a heap's top before it is returned


def release_free_memory() -> bool:
    """Keep the idle server small (glibc only; a no-op elsewhere). Returns True if applied.

    * Each Basic-auth password check (argon2, ~19 MiB of working memory) ran in a worker thread,
      and glibc's adaptive thresholds then kept those 19 MiB in the thread's arena for good. With
      fixed thresholds, blocks of 4 MiB and more are mmapped and returned when freed; smaller ones
      (request bodies come in 1 MiB blocks) stay in the arenas, up to 32 MiB free at a heap's top.
    * What start-up freed (a first start hashes the demo users' passwords and makes keys) is given
      back with ``malloc_trim``.
    """
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt, trim = libc.mallopt, libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    trim.argtypes = [ctypes.c_size_t]
    mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    trim(0)
    return True


async def _watch_signals(signals: Any, shutdown: trio.Event) -> None:
    """First SIGINT/SIGTERM: graceful shutdown (with a watchdog); a second one: exit at once."""
    first_at = 0.0
    async for signum in signals:
        name = signal.Signals(signum).name
        if shutdown.is_set():
            if trio.current_time() - first_at < REPEAT_SIGNAL_WINDOW:
                continue
            log.warning("received %s again, exiting now", name)
            logging.shutdown()
            os._exit(1)
        log.info("received %s, shutting down", name)
        first_at = trio.current_time()
        _start_watchdog()
        shutdown.set()


def _start_watchdog() -> None:
    def force_exit() -> None:
        logging.getLogger("ocis.runtime").error("shutdown took longer than %.1f s; exiting", HARD_EXIT_AFTER)
        logging.shutdown()
        os._exit(1)

    timer = threading.Timer(HARD_EXIT_AFTER, force_exit)
    timer.daemon = True
    timer.start()
