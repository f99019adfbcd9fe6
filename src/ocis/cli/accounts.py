"""``ocis accounts …``: manage users in the data directory (the server may be running: the
account store is safe across processes and the server picks up changes).

Commands: ``list``, ``add``, ``set-password``, ``set-quota``, ``remove``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from ocis.accounts.store import AccountStore


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"ocis: {message}", err=True)
    sys.exit(code)


def _store(data_dir: str | None) -> AccountStore:
    from ocis.accounts.store import AccountStore
    from ocis.config.errors import ConfigError
    from ocis.config.loader import load_config

    try:
        cfg = load_config({"data_dir": data_dir})
    except ConfigError as exc:
        _fail(str(exc), 2)
    return AccountStore(cfg.metadata_dir / "accounts")


def _user(store: AccountStore, name: str) -> Any:
    user = store.find_user(name) or store.get_user(name)
    if user is None:
        _fail(f"no such user: {name}")
    return user


def _size(text: str) -> int | None:
    from ocis.config.errors import ConfigError
    from ocis.config.loader import parse_size

    if text.strip().lower() in ("none", "default", ""):
        return None
    try:
        return parse_size(text, "quota")
    except ConfigError as exc:
        _fail(str(exc), 2)


_data_dir = click.option("--data-dir", envvar="OCIS_BASE_DATA_PATH", help="Data directory [OCIS_BASE_DATA_PATH].")


@click.group()
def accounts() -> None:
    """Manage user accounts."""


@accounts.command("list")
@_data_dir
def list_users(data_dir: str | None) -> None:
    """List users: username, display name, email, quota."""
    for user in _store(data_dir).list_users():
        quota = "default" if user.quota is None else str(user.quota)
        state = "" if user.enabled else "  (disabled)"
        click.echo(f"{user.username}\t{user.display_name}\t{user.email}\tquota={quota}{state}")


@accounts.command()
@_data_dir
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name", default="")
@click.option("--email", default="")
@click.option("--quota", "quota_text", default="", help="bytes, units allowed (10GB); default: the storage default")
def add(data_dir: str | None, username: str, password: str, display_name: str, email: str, quota_text: str) -> None:
    """Create a user."""
    from ocis.core.errors import OcisError

    try:
        user = _store(data_dir).create_user(username, password, display_name or username, email,
                                            quota=_size(quota_text))
    except (OcisError, ValueError) as exc:
        _fail(getattr(exc, "message", str(exc)))
    click.echo(f"created {user.username} ({user.id})")


@accounts.command("set-password")
@_data_dir
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def set_password(data_dir: str | None, username: str, password: str) -> None:
    """Change a user's password."""
    store = _store(data_dir)
    store.update_user(_user(store, username).id, password=password)
    click.echo(f"password of {username} changed")


@accounts.command("set-quota")
@_data_dir
@click.argument("username")
@click.argument("quota")
def set_quota(data_dir: str | None, username: str, quota: str) -> None:
    """Set a user's quota: bytes with optional unit (500MB, 2GiB), or "default"."""
    store = _store(data_dir)
    value = _size(quota)
    store.update_user(_user(store, username).id, quota=value)
    click.echo(f"quota of {username}: {'default' if value is None else value}")


@accounts.command()
@_data_dir
@click.argument("username")
@click.confirmation_option(prompt="Remove the user? (their files stay in the storage)")
def remove(data_dir: str | None, username: str) -> None:
    """Remove a user (their files are kept)."""
    store = _store(data_dir)
    store.delete_user(_user(store, username).id)
    click.echo(f"removed {username}")
