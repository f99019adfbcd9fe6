"""Header parsing of the TUS handler (dav/tus.py)."""

from __future__ import annotations

import base64

import pytest

from ocis.core.errors import BadRequest
from ocis.dav.tus import _file_checksum, _piece_checksum, parse_metadata


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_parse_metadata() -> None:
    value = f"filename {b64('/Sync/ä b.txt')},mtime {b64('1600000000.5')}, empty,filetype {b64('text/plain')}"
    assert parse_metadata(value) == {"filename": "/Sync/ä b.txt", "mtime": "1600000000.5", "empty": "",
                                     "filetype": "text/plain"}
    assert parse_metadata("") == {}
    not_utf8 = base64.b64encode(bytes([0xFF])).decode()
    for bad in ("filename !!!", f"filename {b64('a')},filename {b64('b')}", "k a b", f"k {not_utf8}"):
        with pytest.raises(BadRequest):
            parse_metadata(bad)


def test_checksums() -> None:
    hexdigest = "a9993e364706816aba3e25717850c26c9cd0d89d"
    assert _file_checksum({"checksum": f"SHA1 {hexdigest}"}, {}) == ("SHA1", hexdigest)
    assert _file_checksum({}, {"oc-checksum": f"sha1:{hexdigest.upper()}"}) == ("SHA1", hexdigest)
    assert _file_checksum({"checksum": "SHA256 abcd"}, {}) is None  # unsupported: not verified
    assert _file_checksum({}, {}) is None
    digest = base64.b64encode(bytes.fromhex(hexdigest)).decode()
    assert _piece_checksum({"upload-checksum": f"sha1 {digest}"}) == ("SHA1", hexdigest)
    assert _piece_checksum({}) is None
    with pytest.raises(BadRequest):
        _piece_checksum({"upload-checksum": f"crc32 {digest}"})
    with pytest.raises(BadRequest):
        _piece_checksum({"upload-checksum": "md5 not-base64!"})
