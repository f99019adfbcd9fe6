"""core.checksums.Hasher: the digests are those of hashlib/zlib whatever the block sizes (MD5 runs in a
pool thread for large blocks), and a failing write leaves no hashing running behind."""

from __future__ import annotations

import hashlib
import os
import zlib

import pytest

from ocis.core.checksums import PARALLEL_MIN, Hasher


def _expected(data: bytes) -> dict[str, str]:
    return {"SHA1": hashlib.sha1(data).hexdigest(), "MD5": hashlib.md5(data).hexdigest(),
            "ADLER32": f"{zlib.adler32(data) & 0xFFFFFFFF:08x}"}


@pytest.mark.parametrize("block", [1, 4096, PARALLEL_MIN - 1, PARALLEL_MIN, 1024 * 1024 + 7])
def test_digests_match_the_standard_library(block: int) -> None:
    data = os.urandom(3 * 1024 * 1024 + 123)
    hasher = Hasher()
    written: list[bytes] = []
    for i in range(0, len(data), block):
        part = data[i:i + block]
        hasher.update(part, alongside=lambda part=part: written.append(part))
    assert b"".join(written) == data
    assert hasher.digests() == _expected(data)


def test_a_failing_write_leaves_nothing_running() -> None:
    big = os.urandom(PARALLEL_MIN * 2)
    hasher = Hasher()

    def fail() -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        hasher.update(big, alongside=fail)
    # the MD5 of the failed block finished before update() raised: nothing runs on in the background
    digests = hasher.digests()
    assert digests["MD5"] == hashlib.md5(big).hexdigest()
    assert digests["SHA1"] == hashlib.sha1(b"").hexdigest()
