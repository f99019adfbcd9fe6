"""Process-level safeguards for ``ocis server``: one server per data directory, enough file
descriptors, and no orphaned server when the one-file binary's launcher is killed."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import signal
import sys
from pathlib import Path
from typing import IO

from ocis.config.errors import ConfigError

LOCK_NAME = ".ocis-server.lock"


def lock_data_dir(data_dir: Path) -> IO[str]:
    """Hold an exclusive lock on ``<data>/.ocis-server.lock`` for the life of the process.

    Two servers on one data directory would not share WebDAV locks, upload sessions or the search
    index, so the second one is refused. The lock goes away with the process (even on SIGKILL).

    Raises:
        ConfigError: another process holds the lock (its pid is named), or the file can't be made.
    """
    path = data_dir / LOCK_NAME
    try:
        fh = open(path, "a+")  # noqa: SIM115 - kept open for the life of the process
    except OSError as exc:
        raise ConfigError(f"OCIS_BASE_DATA_PATH: cannot open {path}: {exc.strerror}") from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        fh.seek(0)
        pid = fh.read().strip() or "?"
        fh.close()
        raise ConfigError(f"OCIS_BASE_DATA_PATH: {data_dir} is in use by another ocis server (pid {pid})") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    return fh


def raise_nofile_limit() -> None:
    """Raise the soft limit of open files to the hard limit (as Go programs do): every connection
    costs a descriptor, and shells often start with a soft limit of 1024."""
    with contextlib.suppress(ImportError, ValueError, OSError):
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY:
            hard = 1 << 20
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def die_with_parent() -> None:
    """In the one-file binary the server runs as the child of PyInstaller's launcher; if the
    launcher is killed (SIGKILL) the server would live on, holding the port. Ask Linux to send
    SIGTERM to the server when its parent dies (prctl PR_SET_PDEATHSIG)."""
    if not getattr(sys, "frozen", False) or not sys.platform.startswith("linux"):
        return
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
        if os.getppid() == 1:  # the launcher died before the call: stop now
            os.kill(os.getpid(), signal.SIGTERM)
