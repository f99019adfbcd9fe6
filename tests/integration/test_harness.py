"""The test harness itself: a server starts, answers status.php, reports memory, stops and restarts."""

from __future__ import annotations

from helpers.server import ServerProcess


def test_status_php(server: ServerProcess) -> None:
    r = server.status()
    assert r.status_code == 200
    body = r.json()
    assert body["installed"] is True
    assert body["maintenance"] is False
    assert isinstance(body["version"], str)
    assert isinstance(body["productname"], str)
    assert "application/json" in r.headers.get("content-type", "")


def test_data_dir_not_tmpfs(server: ServerProcess) -> None:
    # xattr limits must be the real ones (ext4 here); tmpfs would hide them
    assert server.fs_type != "tmpfs", f"{server.data_dir} is on tmpfs"


def test_certificate_written(server: ServerProcess) -> None:
    assert server.cert_path.is_file()
    assert server.cert_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_peak_rss(server: ServerProcess) -> None:
    rss = server.peak_rss()
    print(f"server peak RSS after start: {rss / 2**20:.1f} MiB")
    assert 5 * 2**20 < rss < 2**30


def test_stop_and_restart(server: ServerProcess) -> None:
    port = server.port
    server.stop()
    assert not server.is_running()
    server.restart()
    assert server.port == port
    server.assert_healthy()
