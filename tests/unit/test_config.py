"""Config loader: precedence, parsing, and one clear error per bad setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocis.config.errors import ConfigError
from ocis.config.loader import (
    SETTINGS,
    default_url,
    describe_settings,
    load_config,
    parse_addr,
    parse_bool,
    parse_size,
)


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"OCIS_BASE_DATA_PATH": str(tmp_path), **extra}


def test_defaults(tmp_path: Path) -> None:
    cfg = load_config({}, env_for(tmp_path))
    assert cfg.data_dir == tmp_path
    assert cfg.proxy.http_addr == "0.0.0.0:9200"
    assert cfg.proxy.tls is True
    assert cfg.url == "https://localhost:9200"
    assert cfg.log_level == "info"
    assert cfg.storage.metadata_backend == "auto"
    assert cfg.accounts.demo_users_and_groups is True
    assert cfg.storage_root == tmp_path / "storage" / "users"


def test_default_data_dir_is_home_dot_ocis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_config({}, {}).data_dir == tmp_path / ".ocis"


def test_precedence_flag_over_service_env_over_ocis_env_over_yaml(tmp_path: Path) -> None:
    (tmp_path / "ocis.yaml").write_text("proxy:\n  http_addr: 127.0.0.1:1111\n  tls: false\nlog_level: error\n")
    cfg = load_config({}, env_for(tmp_path))
    assert (cfg.proxy.http_addr, cfg.proxy.tls, cfg.log_level) == ("127.0.0.1:1111", False, "error")

    cfg = load_config({}, env_for(tmp_path, PROXY_HTTP_ADDR="127.0.0.1:2222", OCIS_LOG_LEVEL="debug"))
    assert (cfg.proxy.http_addr, cfg.log_level) == ("127.0.0.1:2222", "debug")

    cfg = load_config(
        {"proxy.http_addr": "127.0.0.1:3333", "proxy.tls": True}, env_for(tmp_path, PROXY_HTTP_ADDR="127.0.0.1:2222")
    )
    assert (cfg.proxy.http_addr, cfg.proxy.tls) == ("127.0.0.1:3333", True)


def test_flag_none_means_not_given(tmp_path: Path) -> None:
    cfg = load_config({"proxy.http_addr": None}, env_for(tmp_path, PROXY_HTTP_ADDR="127.0.0.1:2222"))
    assert cfg.proxy.http_addr == "127.0.0.1:2222"


def test_empty_env_counts_as_unset(tmp_path: Path) -> None:
    cfg = load_config({}, env_for(tmp_path, PROXY_TLS="", OCIS_URL=""))
    assert cfg.proxy.tls is True


def test_data_dir_flag_beats_env(tmp_path: Path) -> None:
    other = tmp_path / "other"
    cfg = load_config({"data_dir": str(other)}, env_for(tmp_path))
    assert cfg.data_dir == other


def test_url_derived_from_addr_and_tls(tmp_path: Path) -> None:
    cfg = load_config({}, env_for(tmp_path, PROXY_HTTP_ADDR="127.0.0.1:9311", PROXY_TLS="no"))
    assert cfg.url == "http://127.0.0.1:9311"
    cfg = load_config({}, env_for(tmp_path, PROXY_HTTP_ADDR="127.0.0.1:9311", OCIS_URL="https://cloud.example.com/"))
    assert cfg.url == "https://cloud.example.com"
    assert default_url("[::]:443", True) == "https://localhost"
    assert default_url("[::1]:9200", True) == "https://[::1]:9200"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("true", True),
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("on", True),
        ("false", False),
        ("0", False),
        ("No", False),
        ("off", False),
        (True, True),
        (0, False),
    ],
)
def test_parse_bool(raw: object, expected: bool) -> None:
    assert parse_bool(raw, "X") is expected


def test_bad_bool_names_the_env_var(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({}, env_for(tmp_path, PROXY_TLS="maybe"))
    assert str(err.value) == "PROXY_TLS: expected true or false, got 'maybe'"


@pytest.mark.parametrize(
    ("env", "value", "needle"),
    [
        ("PROXY_HTTP_ADDR", "localhost", "PROXY_HTTP_ADDR: expected host:port"),
        ("PROXY_HTTP_ADDR", "1.2.3.4:99999", "PROXY_HTTP_ADDR: expected host:port"),
        ("OCIS_URL", "ftp://x", "OCIS_URL: expected an http(s) URL"),
        ("OCIS_URL", "localhost:9200", "OCIS_URL: expected an http(s) URL"),
        ("OCIS_LOG_LEVEL", "loud", "OCIS_LOG_LEVEL: expected one of debug, info, warning, error"),
        ("STORAGE_METADATA_BACKEND", "db", "STORAGE_METADATA_BACKEND: expected one of auto, xattrs, sidecar"),
        ("STORAGE_DEFAULT_QUOTA", "-5", "STORAGE_DEFAULT_QUOTA: expected a size"),
        ("ACCOUNTS_DEMO_USERS_AND_GROUPS", "sure", "ACCOUNTS_DEMO_USERS_AND_GROUPS: expected true or false"),
        ("DAV_ALLOW_PROPFIND_INFINITY", "2", "DAV_ALLOW_PROPFIND_INFINITY: expected true or false"),
    ],
)
def test_bad_values(tmp_path: Path, env: str, value: str, needle: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config({}, env_for(tmp_path, **{env: value}))
    assert str(err.value).startswith(needle)
    assert "\n" not in str(err.value)


def test_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--addr: expected host:port"):
        load_config({"proxy.http_addr": "nonsense"}, env_for(tmp_path))


def test_sizes() -> None:
    assert parse_size("0", "X") == 0
    assert parse_size("1000", "X") == 1000
    assert parse_size("10GB", "X") == 10 * 1000**3
    assert parse_size("1 GiB", "X") == 1024**3
    assert parse_size(5, "X") == 5
    with pytest.raises(ConfigError):
        parse_size("10 parsecs", "X")


def test_addrs() -> None:
    assert parse_addr(":9200", "X") == "0.0.0.0:9200"
    assert parse_addr("[::1]:9200", "X") == "[::1]:9200"
    assert parse_addr("127.0.0.1:0", "X") == "127.0.0.1:0"


def test_yaml_unknown_key(tmp_path: Path) -> None:
    (tmp_path / "ocis.yaml").write_text("proxy:\n  http_adr: 1.2.3.4:5\n")
    with pytest.raises(ConfigError, match=r"ocis.yaml: unknown setting 'proxy.http_adr'"):
        load_config({}, env_for(tmp_path))


def test_yaml_data_dir_not_allowed(tmp_path: Path) -> None:
    (tmp_path / "ocis.yaml").write_text("data_dir: /elsewhere\n")
    with pytest.raises(ConfigError, match="unknown setting 'data_dir'"):
        load_config({}, env_for(tmp_path))


def test_yaml_bad_value_names_key(tmp_path: Path) -> None:
    (tmp_path / "ocis.yaml").write_text("proxy:\n  tls: perhaps\n")
    with pytest.raises(ConfigError) as err:
        load_config({}, env_for(tmp_path))
    assert str(err.value) == "ocis.yaml: proxy.tls: expected true or false, got 'perhaps'"


@pytest.mark.parametrize("text", ["proxy: [1, 2\n", "- a\n- b\n"])
def test_yaml_malformed(tmp_path: Path, text: str) -> None:
    (tmp_path / "ocis.yaml").write_text(text)
    with pytest.raises(ConfigError, match=r"ocis\.yaml"):
        load_config({}, env_for(tmp_path))


def test_yaml_empty_and_secrets(tmp_path: Path) -> None:
    (tmp_path / "ocis.yaml").write_text("# nothing\n")
    assert load_config({}, env_for(tmp_path)).jwt_secret == ""
    (tmp_path / "ocis.yaml").write_text('jwt_secret: "abc"\ntransfer_secret: 12345\n')
    cfg = load_config({}, env_for(tmp_path))
    assert (cfg.jwt_secret, cfg.transfer_secret) == ("abc", "12345")
    cfg = load_config({}, env_for(tmp_path, OCIS_JWT_SECRET="fromenv"))
    assert cfg.jwt_secret == "fromenv"


def test_every_setting_is_documented() -> None:
    text = describe_settings()
    for s in SETTINGS:
        for env in s.envs:
            assert env in text


def test_storage_switches(tmp_path: Path) -> None:
    cfg = load_config({}, env_for(tmp_path))
    assert cfg.storage.fsync is True and cfg.storage.inline_reads is True
    cfg = load_config({}, {**env_for(tmp_path), "STORAGE_FSYNC": "false", "STORAGE_INLINE_READS": "false"})
    assert cfg.storage.fsync is False and cfg.storage.inline_reads is False
