"""Load :class:`~ocis.config.model.OcisConfig` from flags, environment, ``ocis.yaml`` and defaults.

Precedence, highest first (the first source that sets a value wins, per setting):

1. CLI flags (``ocis server --addr ...``),
2. service environment variables (``PROXY_*``, ``STORAGE_*``, ``ACCOUNTS_*``, ``DAV_*``, ``IDP_*``, ``WEB_*``),
3. global ``OCIS_*`` environment variables,
4. ``<data dir>/ocis.yaml`` (nested mapping mirroring the dataclasses, e.g. ``proxy: {tls: false}``),
5. built-in defaults.

The data directory itself comes only from ``--data-dir`` or ``OCIS_BASE_DATA_PATH`` (default
``~/.ocis``), since ``ocis.yaml`` lives inside it. An environment variable set to the empty string
counts as unset. When no source sets ``url``, it is derived from the listen address and TLS
(``0.0.0.0`` and ``::`` become ``localhost``).

Every problem raises :class:`~ocis.config.errors.ConfigError` with one message naming the setting
the way the operator wrote it (env var, ``ocis.yaml: key`` or ``--flag``), e.g.
``PROXY_TLS: expected true or false, got 'maybe'``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ocis.config.errors import ConfigError
from ocis.config.model import OcisConfig

CONFIG_FILE_NAME = "ocis.yaml"

Parser = Callable[[object, str], Any]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


# --------------------------------------------------------------------------- value parsers
# Each parser takes (raw value, label for messages) and returns the typed value or raises
# ConfigError. Raw values are strings (env, flags) or YAML scalars (bool, int, str).


def parse_bool(value: object, label: str) -> bool:
    """``true/false/1/0/yes/no/on/off`` (any case), or a YAML/flag boolean."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        low = value.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
    raise ConfigError(f"{label}: expected true or false, got {_show(value)}")


def parse_str(value: object, label: str) -> str:
    """Any scalar, as a string (YAML may give numbers for secrets)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{label}: expected a string, got {_show(value)}")
    return str(value)


def parse_path(value: object, label: str) -> Path:
    """A filesystem path; ``~`` is expanded and relative paths are made absolute."""
    text = parse_str(value, label).strip()
    if not text:
        raise ConfigError(f"{label}: expected a path, got an empty value")
    return Path(text).expanduser().absolute()


def parse_optional_path(value: object, label: str) -> str:
    """Like :func:`parse_path` but ``""`` stays ``""`` (meaning: use the built-in location)."""
    text = parse_str(value, label).strip()
    return str(parse_path(text, label)) if text else ""


def choice(*choices: str, aliases: Mapping[str, str] | None = None) -> Parser:
    """Parser accepting one of ``choices`` (case-insensitive); ``aliases`` map extra spellings."""

    def parse(value: object, label: str) -> str:
        text = parse_str(value, label).strip().lower()
        text = (aliases or {}).get(text, text)
        if text not in choices:
            raise ConfigError(f"{label}: expected one of {', '.join(choices)}, got {_show(value)}")
        return text

    return parse


_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
    "t": 1000**4, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(value: object, label: str) -> int:
    """Bytes: a non-negative integer, optionally with a unit (``KB``, ``MiB``, ``GB``, ...)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ConfigError(f"{label}: expected a size in bytes >= 0, got {value}")
        return value
    if isinstance(value, str):
        m = _SIZE_RE.match(value)
        if m and m.group(2).lower() in _SIZE_UNITS:
            return int(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]
    raise ConfigError(f"{label}: expected a size in bytes (e.g. 1000000, 10GB, 1GiB), got {_show(value)}")


def split_host_port(addr: str) -> tuple[str, int]:
    """Split ``host:port`` / ``[v6]:port`` / ``:port``. Raises ValueError when malformed."""
    if addr.startswith("["):
        host, sep, port = addr[1:].partition("]:")
        if not sep:
            raise ValueError(addr)
        ipaddress.IPv6Address(host)
    else:
        host, sep, port = addr.rpartition(":")
        if not sep or ":" in host:
            raise ValueError(addr)
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(addr)
    return host or "0.0.0.0", int(port)


def parse_addr(value: object, label: str) -> str:
    """A listen address ``host:port`` (``[::1]:9200`` for IPv6, ``:9200`` for all interfaces)."""
    text = parse_str(value, label).strip()
    try:
        host, port = split_host_port(text)
    except ValueError:
        raise ConfigError(
            f"{label}: expected host:port (e.g. 0.0.0.0:9200 or [::1]:9200), got {_show(value)}"
        ) from None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def parse_url(value: object, label: str) -> str:
    """An absolute ``http(s)://host[:port][/path]`` URL; a trailing ``/`` is removed."""
    text = parse_str(value, label).strip()
    try:
        parts = urlsplit(text)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError:
        ok = False
    if not ok or parts.query or parts.fragment:
        raise ConfigError(
            f"{label}: expected an http(s) URL like https://cloud.example.com, got {_show(value)}"
        )
    return text.rstrip("/")


def parse_optional_url(value: object, label: str) -> str:
    """Like :func:`parse_url` but ``""`` stays ``""`` (meaning: not set)."""
    text = parse_str(value, label).strip()
    return parse_url(text, label) if text else ""


def parse_seconds(value: object, label: str) -> int:
    """A duration in whole seconds, >= 0 (an integer, or digits in a string)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ConfigError(f"{label}: expected a number of seconds >= 0, got {_show(value)}")


def parse_count(value: object, label: str) -> int:
    """A whole number >= 0 (an integer, or digits in a string)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise ConfigError(f"{label}: expected a whole number >= 0, got {_show(value)}")


def parse_positive_seconds(value: object, label: str) -> int:
    """A duration in whole seconds, >= 1."""
    seconds = parse_seconds(value, label)
    if seconds < 1:
        raise ConfigError(f"{label}: expected a number of seconds >= 1, got {_show(value)}")
    return seconds


_CLIENT_KEYS = {"id", "name", "secret", "redirect_uris", "post_logout_redirect_uris"}


def parse_clients(value: object, label: str) -> list[dict[str, object]]:
    """Extra OpenID Connect clients: a list of mappings (YAML), or the same as JSON in a string (env).

    Each client: ``id`` (required), ``name``, ``secret`` (absent or empty = a public client, which must
    use PKCE), ``redirect_uris`` (required, absolute URIs without fragment, RFC 6749 §3.1.2) and
    ``post_logout_redirect_uris``.
    """
    if isinstance(value, str):
        import json

        try:
            value = json.loads(value) if value.strip() else []
        except ValueError:
            raise ConfigError(f"{label}: expected a JSON list of clients") from None
    if not isinstance(value, list):
        raise ConfigError(f"{label}: expected a list of clients, got {_show(value)}")
    clients: list[dict[str, object]] = []
    for i, entry in enumerate(value):
        where = f"{label}[{i}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected a mapping with id and redirect_uris")
        unknown = sorted(str(k) for k in entry if k not in _CLIENT_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_CLIENT_KEYS))})")
        client_id = entry.get("id")
        if not isinstance(client_id, str) or not client_id.strip():
            raise ConfigError(f"{where}: id must be a non-empty string")
        client: dict[str, object] = {"id": client_id.strip(), "name": str(entry.get("name") or client_id),
                                     "secret": str(entry.get("secret") or "")}
        for key in ("redirect_uris", "post_logout_redirect_uris"):
            uris = entry.get(key, [])
            if not isinstance(uris, list) or not all(isinstance(u, str) for u in uris):
                raise ConfigError(f"{where}: {key} must be a list of URIs")
            for uri in uris:
                parts = urlsplit(uri)
                if not parts.scheme or parts.fragment or not (parts.netloc or parts.path):
                    raise ConfigError(f"{where}: {key}: {uri!r} is not an absolute URI without fragment")
            client[key] = list(uris)
        if not client["redirect_uris"]:
            raise ConfigError(f"{where}: redirect_uris must list at least one URI")
        clients.append(client)
    return clients


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else repr(str(value))


# --------------------------------------------------------------------------- the schema


@dataclass(frozen=True)
class Setting:
    """One configurable value.

    Attributes:
        key: dotted path in :class:`OcisConfig` and in ``ocis.yaml`` (``proxy.tls``).
        envs: environment variables, highest precedence first (service env before ``OCIS_*``).
        parse: (raw, label) -> typed value.
        flag: the ``ocis server`` option that sets it, if any.
        help: one line for ``--help``.
        in_yaml: whether ``ocis.yaml`` may set it.
    """

    key: str
    envs: tuple[str, ...]
    parse: Parser
    flag: str | None
    help: str
    in_yaml: bool = True


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", ("OCIS_BASE_DATA_PATH",), parse_path, "--data-dir",
            "data directory (default ~/.ocis)", in_yaml=False),
    Setting("url", ("OCIS_URL",), parse_url, "--url",
            "public URL clients use (default derived from the address, e.g. https://localhost:9200)"),
    Setting("log_level", ("OCIS_LOG_LEVEL",), choice("debug", "info", "warning", "error",
            aliases={"warn": "warning"}), "--log-level", "debug | info | warning | error (default info)"),
    Setting("jwt_secret", ("OCIS_JWT_SECRET",), parse_str, None,
            "secret for internal tokens (generated into ocis.yaml on first run)"),
    Setting("transfer_secret", ("STORAGE_TRANSFER_SECRET",), parse_str, None,
            "secret for signed transfer URLs (generated into ocis.yaml on first run)"),
    Setting("proxy.http_addr", ("PROXY_HTTP_ADDR",), parse_addr, "--addr",
            "listen address host:port (default 0.0.0.0:9200)"),
    Setting("proxy.tls", ("PROXY_TLS",), parse_bool, "--tls/--no-tls",
            "serve HTTPS (default true); false = plain HTTP behind a reverse proxy"),
    Setting("proxy.tls_cert", ("PROXY_TRANSPORT_TLS_CERT",), parse_optional_path, "--tls-cert",
            "PEM certificate (default: self-signed <data>/proxy/server.crt)"),
    Setting("proxy.tls_key", ("PROXY_TRANSPORT_TLS_KEY",), parse_optional_path, "--tls-key",
            "PEM private key (default: <data>/proxy/server.key)"),
    Setting("proxy.enable_basic_auth", ("PROXY_ENABLE_BASIC_AUTH",), parse_bool,
            "--basic-auth/--no-basic-auth",
            "accept HTTP Basic auth against the accounts (default true)"),
    Setting("proxy.oidc_issuer", ("PROXY_OIDC_ISSUER",), parse_optional_url, None,
            "external OpenID issuer URL; empty = the embedded IdP (issuer OCIS_URL)"),
    Setting("proxy.oidc_discovery_url", ("PROXY_OIDC_DISCOVERY_URL",), parse_optional_url, None,
            "external OpenID discovery document (default <issuer>/.well-known/openid-configuration)"),
    Setting("proxy.oidc_client_id", ("PROXY_OIDC_CLIENT_ID",), parse_str, None,
            "external IdP: client id that access tokens must name in aud or azp"),
    Setting("proxy.oidc_user_claim", ("PROXY_OIDC_USER_CLAIM",), parse_str, None,
            "external IdP: the token claim that names the user (default preferred_username)"),
    Setting("proxy.oidc_user_lookup", ("PROXY_OIDC_USER_LOOKUP",), choice("username", "email", "id"), None,
            "external IdP: what that claim holds: username | email | id (default username)"),
    Setting("proxy.oidc_insecure", ("PROXY_OIDC_INSECURE",), parse_bool, None,
            "external IdP: do not verify its TLS certificate (default false; testing only)"),
    Setting("idp.access_token_expiration", ("IDP_ACCESS_TOKEN_EXPIRATION",), parse_positive_seconds, None,
            "access token lifetime in seconds (default 600)"),
    Setting("idp.id_token_expiration", ("IDP_ID_TOKEN_EXPIRATION",), parse_positive_seconds, None,
            "ID token lifetime in seconds (default 3600)"),
    Setting("idp.refresh_token_expiration", ("IDP_REFRESH_TOKEN_EXPIRATION",), parse_positive_seconds, None,
            "refresh token idle lifetime in seconds, renewed on every use (default 2592000 = 30 days)"),
    Setting("idp.refresh_token_reuse_grace", ("IDP_REFRESH_TOKEN_REUSE_GRACE",), parse_seconds, None,
            "seconds a just-rotated refresh token may be replayed (concurrent refresh) before reuse "
            "revokes its family (default 10; 0 = never)"),
    Setting("idp.session_expiration", ("IDP_SESSION_EXPIRATION",), parse_positive_seconds, None,
            "browser sign-in session lifetime in seconds (default 86400)"),
    Setting("idp.signing_key_rotation", ("IDP_SIGNING_KEY_ROTATION",), parse_seconds, None,
            "make a new token signing key after this many seconds; 0 = never (default 2592000)"),
    Setting("idp.clients", ("IDP_CLIENTS",), parse_clients, None,
            "extra OpenID clients (list of {id, name, secret, redirect_uris, post_logout_redirect_uris}; "
            "JSON in the environment)"),
    Setting("storage.root", ("STORAGE_USERS_ROOT",), parse_optional_path, "--storage-root",
            "user storage directory (default <data>/storage/users)"),
    Setting("storage.metadata_backend", ("STORAGE_METADATA_BACKEND",), choice("auto", "xattrs", "sidecar"),
            "--metadata-backend", "auto | xattrs | sidecar (default auto: self-check at start)"),
    Setting("storage.default_quota", ("STORAGE_DEFAULT_QUOTA",), parse_size, "--default-quota",
            "default quota per user in bytes, units allowed (10GB, 1GiB); 0 = unlimited (default)"),
    Setting("storage.versions_max_count", ("STORAGE_VERSIONS_MAX_COUNT",), parse_count, None,
            "keep at most this many versions per file; 0 = no limit (default 100)"),
    Setting("storage.versions_max_age", ("STORAGE_VERSIONS_MAX_AGE",), parse_seconds, None,
            "drop versions older than this many seconds; 0 = never (default 0)"),
    Setting("storage.fsync", ("STORAGE_FSYNC",), parse_bool, None,
            "fsync every upload (PUT, TUS, chunked) before it becomes visible, so a power loss cannot "
            "leave a file with lost content (default true; false: as Apache mod_dav and rclone, "
            "~0.4 ms less per small file on an SSD, far more on an SD card)"),
    Setting("storage.inline_reads", ("STORAGE_INLINE_READS",), parse_bool, None,
            "run short metadata reads (PROPFIND, small GET) without a worker-thread hand-over while "
            "they stay fast (default true); false for storage whose reads can hang, e.g. a hard NFS mount"),
    Setting("dav.allow_propfind_infinity", ("DAV_ALLOW_PROPFIND_INFINITY",), parse_bool, None,
            "allow PROPFIND with Depth: infinity (default false)"),
    Setting("web.asset_path", ("WEB_ASSET_PATH",), parse_optional_path, None,
            "directory of the built web UI (default: the bundled web-dist/)"),
    Setting("web.ui_config", ("WEB_UI_CONFIG",), parse_optional_path, None,
            "a config.json for the web UI, served as it is (default: generated from OCIS_URL)"),
    Setting("accounts.demo_users_and_groups", ("ACCOUNTS_DEMO_USERS_AND_GROUPS",), parse_bool,
            "--demo-users/--no-demo-users",
            "create the demo users and groups on first run (default true)"),
)

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}


# --------------------------------------------------------------------------- loading


def load_config(cli: Mapping[str, object] | None = None,
                environ: Mapping[str, str] | None = None) -> OcisConfig:
    """Build the effective configuration.

    Args:
        cli: values from command-line flags, keyed by setting key (``"proxy.http_addr"``); ``None``
            values mean "flag not given".
        environ: the environment (default ``os.environ``).

    Raises:
        ConfigError: a bad value, an unreadable or malformed ``ocis.yaml``, an unknown key in it.
    """
    env = os.environ if environ is None else environ
    flags = {k: v for k, v in (cli or {}).items() if v is not None}
    for key in flags:
        if key not in SETTINGS_BY_KEY:
            raise ValueError(f"unknown setting {key!r}")  # programming error, not user input

    cfg = OcisConfig()
    data_dir = _resolve(SETTINGS_BY_KEY["data_dir"], flags, env, {})
    if data_dir is not None:
        cfg.data_dir = data_dir
    yaml_values = read_config_file(cfg.data_dir / CONFIG_FILE_NAME)

    explicit: set[str] = set()
    for setting in SETTINGS:
        if setting.key == "data_dir":
            continue
        value = _resolve(setting, flags, env, yaml_values)
        if value is not None:
            _assign(cfg, setting.key, value)
            explicit.add(setting.key)
    if "url" not in explicit:
        cfg.url = default_url(cfg.proxy.http_addr, cfg.proxy.tls)
    return cfg


def _resolve(setting: Setting, flags: Mapping[str, object], env: Mapping[str, str],
             yaml_values: Mapping[str, object]) -> Any:
    if setting.key in flags:
        return setting.parse(flags[setting.key], setting.flag or setting.key)
    for name in setting.envs:
        raw = env.get(name)
        if raw is not None and raw != "":
            return setting.parse(raw, name)
    if setting.key in yaml_values:
        return setting.parse(yaml_values[setting.key], f"{CONFIG_FILE_NAME}: {setting.key}")
    return None


def _assign(cfg: OcisConfig, key: str, value: object) -> None:
    target: object = cfg
    *parents, last = key.split(".")
    for part in parents:
        target = getattr(target, part)
    setattr(target, last, value)


def read_config_file(path: Path) -> dict[str, object]:
    """Read ``ocis.yaml`` into ``{dotted key: raw value}``; a missing file gives ``{}``.

    Raises:
        ConfigError: unreadable, not YAML, not a mapping, or an unknown key.
    """
    import yaml  # lazy: keeps `ocis version` fast

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping of settings at the top level")
    values: dict[str, object] = {}
    for key, value in _flatten(doc, ""):
        setting = SETTINGS_BY_KEY.get(key)
        if setting is None or not setting.in_yaml:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        values[key] = value
    return values


def _flatten(doc: Mapping[object, object], prefix: str) -> Iterator[tuple[str, object]]:
    for raw_key, value in doc.items():
        key = f"{prefix}{raw_key}"
        if isinstance(value, dict) and key not in SETTINGS_BY_KEY:
            yield from _flatten(value, key + ".")
        else:
            yield key, value


def default_url(http_addr: str, tls: bool) -> str:
    """The URL a local client would use for a listen address (wildcards become ``localhost``)."""
    host, port = split_host_port(http_addr)
    if host in ("0.0.0.0", "::", ""):
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if tls else "http"
    default_port = 443 if tls else 80
    return f"{scheme}://{host}" if port == default_port else f"{scheme}://{host}:{port}"


def describe_settings() -> str:
    """Plain-text table of every setting for ``ocis server --help``."""
    lines = []
    for s in SETTINGS:
        names = ", ".join([*(s.envs), *([s.flag] if s.flag else [])])
        where = "" if s.in_yaml else " [not in ocis.yaml]"
        lines.append(f"{names}\n    {s.key}: {s.help}{where}")
    return "\n".join(lines)
