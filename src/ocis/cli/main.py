"""The ``ocis`` command line (click).

Commands: ``ocis server`` (run everything in one process), ``ocis version``, ``ocis health``,
``ocis accounts …`` (cli/accounts.py).
Heavy modules (starlette, hypercorn, trio, yaml, cryptography) are imported inside the commands,
so ``ocis version`` and ``--help`` stay fast.

Exit codes: 0 ok; 1 runtime failure (port taken, unhealthy server); 2 configuration error or bad
usage. Errors are one line on stderr, ``ocis: <message>``, without a traceback.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn

import click

from ocis import __version__

_PRECEDENCE = """\b
Precedence (highest first): command-line flags > service environment
variables (PROXY_*, STORAGE_*, ACCOUNTS_*, DAV_*) > OCIS_* environment
variables > <data dir>/ocis.yaml > built-in defaults. An empty environment
variable counts as unset. Booleans: true/false/1/0/yes/no.
"""


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"ocis: {message}", err=True)
    sys.exit(code)


def _settings_help() -> str:
    # The settings table lives in the loader; import it lazily only when help is rendered.
    from ocis.config.loader import describe_settings

    return "\b\n" + describe_settings()


class _ServerCommand(click.Command):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text(_PRECEDENCE)
        formatter.write_paragraph()
        formatter.write_text("Settings (environment variables, flag, ocis.yaml key):")
        with formatter.indentation():
            formatter.write_text(_settings_help())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-v", "--version", prog_name="ocis", message="%(prog)s %(version)s")
def cli() -> None:
    """ownCloud Infinite Scale, in Python: file sync and share server."""


@cli.command(cls=_ServerCommand)
@click.option("--data-dir", help="Data directory [OCIS_BASE_DATA_PATH, default ~/.ocis].")
@click.option("--addr", help="Listen address host:port [PROXY_HTTP_ADDR, default 0.0.0.0:9200].")
@click.option("--url", help="Public URL clients use [OCIS_URL].")
@click.option("--log-level", help="debug | info | warning | error [OCIS_LOG_LEVEL, default info].")
@click.option("--tls/--no-tls", default=None, help="Serve HTTPS or plain HTTP [PROXY_TLS, default on].")
@click.option("--tls-cert", help="PEM certificate file [PROXY_TRANSPORT_TLS_CERT].")
@click.option("--tls-key", help="PEM private key file [PROXY_TRANSPORT_TLS_KEY].")
@click.option("--basic-auth/--no-basic-auth", default=None,
              help="Accept HTTP Basic auth [PROXY_ENABLE_BASIC_AUTH, default on].")
@click.option("--storage-root", help="User storage directory [STORAGE_USERS_ROOT].")
@click.option("--metadata-backend", help="auto | xattrs | sidecar [STORAGE_METADATA_BACKEND, default auto].")
@click.option("--default-quota", help="Default per-user quota, e.g. 10GB; 0 = unlimited [STORAGE_DEFAULT_QUOTA].")
@click.option("--demo-users/--no-demo-users", default=None,
              help="Create demo users on first run [ACCOUNTS_DEMO_USERS_AND_GROUPS, default on].")
def server(**flags: Any) -> None:
    """Run all services in one process on one port."""
    from ocis.config.errors import ConfigError

    try:
        _run_server(flags)
    except ConfigError as exc:
        _fail(str(exc), 2)


_FLAG_KEYS = {
    "data_dir": "data_dir", "addr": "proxy.http_addr", "url": "url", "log_level": "log_level",
    "tls": "proxy.tls", "tls_cert": "proxy.tls_cert", "tls_key": "proxy.tls_key",
    "basic_auth": "proxy.enable_basic_auth", "storage_root": "storage.root",
    "metadata_backend": "storage.metadata_backend", "default_quota": "storage.default_quota",
    "demo_users": "accounts.demo_users_and_groups",
}


def _run_server(flags: dict[str, Any]) -> None:
    from ocis.config.loader import load_config
    from ocis.runtime.bootstrap import bootstrap
    from ocis.runtime.logging import setup_logging
    from ocis.runtime.process import die_with_parent, lock_data_dir, raise_nofile_limit

    die_with_parent()
    cfg = load_config({_FLAG_KEYS[k]: v for k, v in flags.items()})
    setup_logging(cfg.log_level)
    boot = bootstrap(cfg)
    data_lock = lock_data_dir(cfg.data_dir)  # noqa: F841 - held until the process ends
    raise_nofile_limit()

    from ocis.runtime.app import build_app
    from ocis.runtime.server import ServeError, serve

    application = build_app(cfg)

    def started(binds: list[str]) -> None:
        lines = [f"ocis {__version__} is running at {cfg.url} (listening on {', '.join(binds)})",
                 f"data directory: {cfg.data_dir}"]
        if boot.first_run:
            lines.append(f"first run: wrote {boot.config_file}")
        if boot.cert_generated:
            lines.append(f"self-signed certificate: {boot.cert_file}")
        if application.admin_created:
            from ocis.runtime.app import admin_password_file

            lines.append(f"created user admin; its password is in {admin_password_file(cfg)}")
        if application.demo_created:
            lines.append("demo users created: admin/admin, einstein/relativity, marie/radioactivity, "
                         "richard/superfluidity, moss/vista")
        click.echo("\n".join(lines))
        sys.stdout.flush()

    try:
        serve(application.asgi, cfg, on_started=started)
    except ServeError as exc:
        _fail(str(exc), 1)
    click.echo("ocis stopped")


@cli.command()
def version() -> None:
    """Print the version."""
    click.echo(f"ocis {__version__}")


@cli.command()
@click.option("--url", help="Server to check (default: the local listener from the config).")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds to wait for an answer.")
def health(url: str | None, timeout: float) -> None:
    """Check that a running server answers /status.php (exit 0 healthy, 1 not)."""
    from ocis.config.errors import ConfigError

    try:
        target = url or _local_url()
    except ConfigError as exc:
        _fail(str(exc), 2)
    ok, message = check_health(target, timeout)
    if ok:
        click.echo(f"ok: {message}")
        return
    _fail(message, 1)


def _local_url() -> str:
    """The URL of the local listener (wildcard addresses become 127.0.0.1)."""
    from ocis.config.loader import load_config, split_host_port

    cfg = load_config()
    host, port = split_host_port(cfg.proxy.http_addr)
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if cfg.proxy.tls else 'http'}://{host}:{port}"


def check_health(base_url: str, timeout: float = 5.0) -> tuple[bool, str]:
    """GET ``<base_url>/status.php`` without certificate verification.

    Returns:
        (healthy, message): healthy when the answer is 200 with JSON ``"installed": true``.
    """
    import json
    import ssl
    import urllib.error
    import urllib.request

    target = base_url.rstrip("/") + "/status.php"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with urllib.request.urlopen(target, timeout=timeout, context=ctx) as resp:
            body = resp.read(65536)
    except urllib.error.HTTPError as exc:
        return False, f"{target} answered HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"cannot reach {target}: {reason}"
    try:
        doc = json.loads(body)
    except ValueError:
        return False, f"{target} did not answer JSON"
    if not isinstance(doc, dict) or doc.get("installed") is not True:
        return False, f"{target} does not report installed: true"
    if doc.get("maintenance"):
        return False, f"{target} reports maintenance mode"
    return True, f"{target} {doc.get('productname', '')} {doc.get('versionstring', '')}".rstrip()


def _add_subcommands() -> None:
    from ocis.cli.accounts import accounts

    cli.add_command(accounts)


_add_subcommands()


def main() -> None:
    """Entry point of the ``ocis`` script and ``python -m ocis``."""
    cli(prog_name="ocis")
