"""WebDAV compliance: the neon litmus suite (Debian package ``litmus``) against both DAV endpoints.

Acceptance: every suite (basic, copymove, props, locks, http) runs completely with 0 failures.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.server import ServerProcess

pytestmark = pytest.mark.clients

SUITES = ("basic", "copymove", "props", "locks", "http")
# Tests per suite in litmus 0.13 over https (http's expect100 is skipped over TLS). A suite that
# stops early (e.g. its "begin" step fails) runs fewer tests; that is a failure too.
MIN_PASSED = {"basic": 16, "copymove": 13, "props": 30, "locks": 41, "http": 3}

SUMMARY_RE = re.compile(
    r"<- summary for `(?P<suite>\w+)': of (?P<run>\d+) tests run: "
    r"(?P<passed>\d+) passed, (?P<failed>\d+) failed\. (?P<pct>[\d.]+)%"
)
SKIPPED_RE = re.compile(r"-> (\d+) tests? (?:was|were) skipped")


def parse_litmus(output: str) -> dict[str, dict[str, int]]:
    """Per-suite counts from litmus output: ``{"basic": {"run": 16, "passed": 16, "failed": 0}, ...}``."""
    results: dict[str, dict[str, int]] = {}
    for m in SUMMARY_RE.finditer(output):
        results[m["suite"]] = {"run": int(m["run"]), "passed": int(m["passed"]), "failed": int(m["failed"])}
    return results


def failing_lines(output: str) -> list[str]:
    return [ln.strip() for ln in output.splitlines() if "FAIL" in ln or "WARNING" in ln]


def test_parse_litmus_summary() -> None:
    out = (
        "-> running `basic':\n 0. init.................. pass\n"
        "<- summary for `basic': of 16 tests run: 15 passed, 1 failed. 93.8%\n"
        "-> 1 test was skipped.\n"
        "<- summary for `http': of 3 tests run: 3 passed, 0 failed. 100.0%\n"
    )
    assert parse_litmus(out) == {
        "basic": {"run": 16, "passed": 15, "failed": 1},
        "http": {"run": 3, "passed": 3, "failed": 0},
    }


@pytest.mark.parametrize("server", ["xattrs", "sidecar"], indirect=True, scope="module")
@pytest.mark.parametrize(
    ("endpoint", "user", "password"),
    [
        ("/remote.php/dav/files/admin/", "admin", "admin"),
        ("/remote.php/webdav/", "admin", "admin"),
    ],
    ids=["dav-files", "webdav"],
)
def test_litmus(server: ServerProcess, tmp_path: Path, endpoint: str, user: str, password: str) -> None:
    litmus = shutil.which("litmus")
    assert litmus, "litmus is not installed (make test installs the Debian package)"
    url = f"{server.url}{endpoint}"
    env = dict(os.environ, TESTS=" ".join(SUITES))
    # litmus writes debug.log/child.log into its working directory
    proc = subprocess.run(
        [litmus, "-k", url, user, password],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    results = parse_litmus(output)

    print(f"litmus {url} (metadata backend {server.metadata_backend})")
    for suite in SUITES:
        r = results.get(suite)
        print(f"  {suite:9s} " + (f"{r['passed']}/{r['run']} passed, {r['failed']} failed" if r else "no summary"))
    skipped = SKIPPED_RE.findall(output)
    if skipped:
        print(f"  skipped tests reported: {skipped}")

    details = "\n".join(failing_lines(output)[:60]) or output[-3000:]
    server.check_alive()
    missing = [s for s in SUITES if s not in results]
    assert not missing, f"litmus printed no summary for {missing} (rc={proc.returncode})\n{details}"
    failed = {s: r for s, r in results.items() if r["failed"]}
    assert not failed, f"litmus failures at {url}: {failed}\n{details}"
    short = {s: results[s]["passed"] for s in SUITES if results[s]["passed"] < MIN_PASSED[s]}
    assert not short, f"suites ran fewer tests than expected ({MIN_PASSED}): {short}\n{details}"
