"""Content checksums as ownCloud clients use them: SHA1, MD5 and ADLER32, computed in one pass.

Header format (``OC-Checksum``, ``oc:checksums``): ``TYPE:hexdigest`` with an upper-case type and a
lower-case hex digest, e.g. ``SHA1:da39a3ee5e6b4b0d3255bfef95601890afd80709``.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from ocis.core.errors import BadRequest

SUPPORTED = ("SHA1", "MD5", "ADLER32")

# Blocks this large get their MD5 in a pool thread while SHA1 and ADLER32 (and the caller's write of
# the same block) run in the calling thread: hashlib and zlib release the GIL on large buffers, and
# MD5 alone costs as much as SHA1 + ADLER32 + the write together (~1.7 ms per MiB here).
PARALLEL_MIN = 256 * 1024
_md5_pool: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    global _md5_pool
    if _md5_pool is None:
        _md5_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="md5")
    return _md5_pool


class Hasher:
    """Incremental SHA1 + MD5 + ADLER32 over a byte stream."""

    def __init__(self) -> None:
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._adler = 1

    def update(self, data: bytes, alongside: Callable[[], object] | None = None) -> None:
        """Hash ``data``; ``alongside`` (e.g. writing the same block) is called first, in this thread.

        For blocks of ``PARALLEL_MIN`` bytes and more, MD5 runs in a pool thread meanwhile; it has
        finished when this returns or raises, so nothing touches the hasher afterwards. If
        ``alongside`` raises, the hasher is to be dropped (the upload is aborted)."""
        if len(data) < PARALLEL_MIN:
            if alongside is not None:
                alongside()
            self._sha1.update(data)
            self._md5.update(data)
            self._adler = zlib.adler32(data, self._adler)
            return
        md5 = _pool().submit(self._md5.update, data)
        try:
            if alongside is not None:
                alongside()
            self._sha1.update(data)
            self._adler = zlib.adler32(data, self._adler)
        finally:
            md5.result()

    def digests(self) -> dict[str, str]:
        """Return ``{"SHA1": hex, "MD5": hex, "ADLER32": hex}`` (ADLER32 zero-padded to 8)."""
        return {
            "SHA1": self._sha1.hexdigest(),
            "MD5": self._md5.hexdigest(),
            "ADLER32": f"{self._adler & 0xFFFFFFFF:08x}",
        }


def parse_checksum_header(value: str) -> tuple[str, str] | None:
    """Parse an ``OC-Checksum`` header value into (``TYPE``, ``hex``).

    Several space-separated entries may be given; the first supported one is returned. Returns
    ``None`` when no entry has a supported type (the client's checksum is then not verified).

    Raises:
        BadRequest: an entry of a supported type is not ``TYPE:hex``.
    """
    for entry in value.split():
        algo, sep, digest = entry.partition(":")
        algo = algo.upper()
        if not sep or not algo:
            raise BadRequest(f"malformed checksum {entry!r}: expected TYPE:hexdigest")
        if algo not in SUPPORTED:
            continue  # e.g. SHA256 from another client: not verified, not an error
        digest = digest.strip().lower()
        if not sep or not digest or any(c not in "0123456789abcdef" for c in digest):
            raise BadRequest(f"malformed checksum {entry!r}")
        return algo, digest
    return None


def format_checksums(digests: dict[str, str]) -> str:
    """Format stored digests for ``oc:checksums``: ``SHA1:… MD5:… ADLER32:…``."""
    return " ".join(f"{algo}:{digests[algo]}" for algo in SUPPORTED if algo in digests)
