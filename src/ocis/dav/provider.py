"""The wsgidav ``DAVProvider`` over ``storage.api``: one provider serves every user's space;
the space and the href base of a request come from the environ (see ``dav/app.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from wsgidav.dav_provider import DAVProvider

from ocis.accounts.api import AccountsAPI, User
from ocis.core.errors import NotFound, OcisError
from ocis.dav import propfind
from ocis.dav.errors import to_dav_error
from ocis.dav.resources import FileResource, FolderResource
from ocis.storage.api import NodeInfo, Storage


class SpaceProvider(DAVProvider):  # type: ignore[misc]
    def __init__(self, storage: Storage, accounts: AccountsAPI, public_url: str,
                 allow_propfind_infinity: bool) -> None:
        super().__init__()
        self.storage = storage
        self.accounts = accounts
        self.public_url = public_url.rstrip("/")
        self.allow_propfind_infinity = allow_propfind_infinity
        self._user = lru_cache(maxsize=256)(self._lookup_user)

    def _lookup_user(self, user_id: str) -> User | None:
        return self.accounts.get_user(user_id)

    def user(self, user_id: str) -> User | None:
        return self._user(user_id)

    def is_readonly(self) -> bool:
        return False

    def resource_for(self, info: NodeInfo, environ: dict[str, Any]) -> FileResource | FolderResource:
        if info.is_dir:
            return FolderResource(info.path, environ, info)
        return FileResource(info.path, environ, info)

    def get_resource_inst(self, path: str, environ: dict[str, Any]) -> Any:
        try:
            info = self.storage.stat(environ["ocis.space_id"], path)
        except NotFound:
            return None
        except OcisError as exc:
            raise to_dav_error(exc) from None
        return self.resource_for(info, environ)

    def ref_url_to_path(self, ref_url: str) -> str:
        # ref urls are /<space-id>/<path> (see resources.get_ref_url)
        rest = unquote(ref_url).lstrip("/").partition("/")[2]
        return "/" + rest

    def custom_request_handler(self, environ: dict[str, Any], start_response: Callable[..., Any],
                               default_handler: Callable[..., Iterable[bytes]]) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "PROPFIND":
            return propfind.handle(self, environ, start_response)
        return default_handler(environ, start_response)
