"""One JSON document of IdP state under ``<data>/idp/``, shared by threads and processes.

Every store of the IdP (signing keys, sign-in sessions, authorization codes, refresh-token
families) keeps its whole state in one small JSON file, like the accounts store does:

* reads re-parse the file only when its (mtime, size, inode) changed, so a change made by another
  process (another copy of the IdP, or a proxy running apart) is seen on the next call;
* :meth:`StateFile.update` takes a thread lock and an ``fcntl`` lock on ``<name>.lock``, re-reads
  the file, yields the document for changes and writes it back atomically (temp file, fsync,
  ``os.replace``, mode 0600) if it changed. If the body raises, nothing is written.

Secrets are never stored in clear: stores keep SHA-256 hashes of codes, cookies and tokens
(:func:`token_hash`). Only the signing keys are stored as they are, in a 0600 file in a 0700
directory.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ocis.core import jsonfile

Doc = dict[str, Any]


def token_hash(secret: str) -> str:
    """SHA-256 of a secret (code, cookie value, refresh token part), base64url without padding."""
    digest = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class StateFile:
    """A JSON object persisted in ``path``. See the module docstring.

    Args:
        path: the file (its directory is created with mode 0700).
        version: stored as ``"version"``; a file with another version is an error.

    Raises:
        ValueError: the file exists but is not a JSON object of this version (from reads).
        OSError: the file or its directory cannot be read or written.
    """

    def __init__(self, path: Path, version: int = 1) -> None:
        self.path = path
        self.version = version
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._stamp: tuple[int, int, int] | tuple[()] | None = ()
        self._doc: Doc = {}

    def read(self) -> Doc:
        """A deep copy of the current document (``{}`` when the file does not exist yet)."""
        with self._lock:
            self._refresh()
            return copy.deepcopy(self._doc)

    def changed(self) -> bool:
        """True if the file changed on disk since this object last read or wrote it."""
        with self._lock:
            return jsonfile.stamp(self.path) != self._stamp

    @contextlib.contextmanager
    def update(self) -> Iterator[Doc]:
        """Lock, load the latest document, yield it for in-place changes, write it back if changed."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        with self._lock, jsonfile.file_lock(lock_path):
            self._refresh()
            doc = copy.deepcopy(self._doc)
            yield doc
            if doc != self._doc:
                jsonfile.write_json(self.path, {**doc, "version": self.version})
                self._doc = doc
                self._stamp = jsonfile.stamp(self.path)

    def _refresh(self) -> None:
        stamp = jsonfile.stamp(self.path)
        if stamp == self._stamp:
            return
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            self._doc, self._stamp = {}, None
            return
        try:
            doc = json.loads(text)
        except ValueError:
            raise ValueError(f"{self.path} is not valid JSON") from None
        if not isinstance(doc, dict) or doc.get("version") != self.version:
            raise ValueError(f"{self.path}: expected a JSON object with version {self.version}")
        doc.pop("version", None)
        self._doc, self._stamp = doc, stamp
