"""One server per data directory: a second one is refused with one clear line (binary trial finding)."""

from __future__ import annotations

import os
import subprocess
import sys

from helpers.server import ServerProcess, free_port


def test_second_server_on_the_same_data_dir_is_refused(server: ServerProcess) -> None:
    env = {**os.environ, **server.env(), "PROXY_HTTP_ADDR": f"127.0.0.1:{free_port()}"}
    r = subprocess.run([sys.executable, "-m", "ocis", "server"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2
    assert f"is in use by another ocis server (pid {server.pid})" in r.stderr
    assert "Traceback" not in r.stderr
    server.assert_healthy()
