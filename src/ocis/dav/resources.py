"""wsgidav resources over ``storage.api``: a space's folders and files, with ownCloud properties.

Inside wsgidav, paths are space-relative (``/a/b``); the endpoint prefix the client used
(``/remote.php/webdav``…) is kept in the environ and only used to build hrefs. Lock and property
URLs are ``/<space-id>/<path>`` so that two users' ``/a.txt`` never share a lock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lxml import etree
from wsgidav import util, xml_tools
from wsgidav.dav_error import (
    HTTP_FORBIDDEN,
    HTTP_LOCKED,
    HTTP_NOT_FOUND,
    DAVError,
    DAVErrorCondition,
    PRECONDITION_CODE_LockConflict,
)
from wsgidav.dav_provider import DAVCollection, DAVNonCollection

from ocis.core.checksums import format_checksums
from ocis.core.errors import AlreadyExists, OcisError
from ocis.core.timeutil import http_date
from ocis.dav.errors import to_dav_error
from ocis.storage.api import NodeInfo
from ocis.thumbnails.api import is_previewable

if TYPE_CHECKING:
    from ocis.dav.provider import SpaceProvider

OC = "http://owncloud.org/ns"
DAV = "DAV:"
_HREF_SAFE = "/!*'(),$-_|.~"

# properties of ours that allprop returns (besides wsgidav's DAV: live props)
_OC_ALLPROP = [f"{{{OC}}}id", f"{{{OC}}}fileid", f"{{{OC}}}permissions", f"{{{OC}}}size",
               f"{{{OC}}}favorite"]


def _oc_value(res: Any, local: str) -> Any:
    """Value of an ``oc:`` live property, or raise DAVError(404)."""
    info: NodeInfo = res.info
    provider: SpaceProvider = res.provider
    if local in ("id", "fileid"):
        return info.id
    if local == "permissions":
        if info.parent_id is None:
            return "RCK"  # the root of a space cannot be deleted, renamed or moved
        return "RDNVCK" if info.is_dir else "RDNVW"
    if local == "size":
        return str(info.size)
    if local == "checksums" and info.checksums:
        el = etree.Element(f"{{{OC}}}checksums")
        etree.SubElement(el, f"{{{OC}}}checksum").text = format_checksums(info.checksums)
        return el
    if local == "owner-id":
        owner = provider.user(info.owner_id)
        return owner.username if owner else info.owner_id
    if local == "owner-display-name":
        owner = provider.user(info.owner_id)
        return owner.display_name if owner else ""
    if local == "share-types":
        return etree.Element(f"{{{OC}}}share-types")
    if local == "privatelink":
        return f"{provider.public_url}/index.php/f/{quote(info.id)}"
    if local == "downloadURL":
        return ""
    if local == "has-preview":
        return "true" if is_previewable(info) else "false"
    if local == "favorite":
        return "1" if info.id in res.user_favorites() else "0"
    raise DAVError(HTTP_NOT_FOUND)


class _NodeMixin:
    """Shared behaviour of files and folders. ``self.info`` is the node snapshot."""

    info: NodeInfo
    provider: SpaceProvider
    environ: dict[str, Any]
    path: str
    name: str
    is_collection: bool
    _props: dict[str, str] | None

    @property
    def space_id(self) -> str:
        return str(self.environ["ocis.space_id"])

    # -- identity ---------------------------------------------------------------------------

    def get_href(self) -> str:
        path = self.path
        if self.is_collection and not path.endswith("/"):
            path += "/"
        return quote(self.environ["ocis.dav_base"] + path, safe=_HREF_SAFE)

    def get_ref_url(self) -> str:
        return quote(f"/{self.space_id}{self.path}", safe=_HREF_SAFE)

    def get_etag(self) -> str:
        return self.info.etag

    def support_etag(self) -> bool:
        return True

    def get_last_modified(self) -> float:
        return self.info.mtime

    def get_creation_date(self) -> None:
        return None

    def get_display_name(self) -> str:
        return self.info.name

    def get_content_type(self) -> str:
        return self.info.mimetype

    # -- properties -------------------------------------------------------------------------

    def dead_props(self) -> dict[str, str]:
        if self._props is None:
            try:
                self._props = self.provider.storage.get_props(self.space_id, self.path)
            except OcisError as exc:
                raise to_dav_error(exc) from None
        return self._props

    def user_favorites(self) -> set[str]:
        """The requesting user's favorites, read once per request."""
        favs = self.environ.get("ocis.favorites")
        if favs is None:
            favs = self.environ["ocis.favorites"] = self.provider.storage.favorites(self.environ["ocis.user_id"])
        return set(favs)

    def get_property_names(self, *, is_allprop: bool) -> list[str]:
        names: list[str] = super().get_property_names(is_allprop=is_allprop)  # type: ignore[misc]
        names += _OC_ALLPROP
        if not self.is_collection and self.info.checksums:
            names.append(f"{{{OC}}}checksums")
        names += [n for n in self.dead_props() if n not in names]
        return names

    def get_property_value(self, name: str) -> Any:
        if name.startswith("{" + OC + "}"):
            try:
                return _oc_value(self, name[len(OC) + 2:])
            except DAVError as exc:
                # not one we compute: a dead property in the oc: namespace, if one was set
                value = self.dead_props().get(name) if exc.value == HTTP_NOT_FOUND else None
                if value is None:
                    raise
                return xml_tools.string_to_xml(value)
        if name == "{DAV:}getetag":
            return f'"{self.info.etag}"'
        if name == "{DAV:}getlastmodified":
            return http_date(self.info.mtime)
        if name in ("{DAV:}quota-used-bytes", "{DAV:}quota-available-bytes"):
            if not self.is_collection:
                raise DAVError(HTTP_NOT_FOUND)
            quota = self.provider.storage.quota(self.space_id)
            if name == "{DAV:}quota-used-bytes":
                return str(self.info.size)
            return "-3" if quota.available is None else str(quota.available)
        if name.startswith("{DAV:}"):
            return super().get_property_value(name)  # type: ignore[misc]
        value = self.dead_props().get(name)
        if value is None:
            raise DAVError(HTTP_NOT_FOUND)
        return xml_tools.string_to_xml(value)

    def set_property_value(self, name: str, value: Any, *, dry_run: bool = False) -> None:
        if name in ("{DAV:}lastmodified", "{DAV:}getlastmodified"):
            # rclone sets the modtime with <d:lastmodified>unix seconds</d:lastmodified>
            text = (value.text if value is not None else "") or ""
            try:
                mtime = float(text)
            except ValueError:
                try:
                    mtime = util.parse_time_string(text)
                except Exception:
                    mtime = None
            if mtime is None:
                raise DAVError(HTTP_FORBIDDEN, "lastmodified must be a unix timestamp")
            if not dry_run:
                self._call(self.provider.storage.set_mtime, self.space_id, self.path, mtime)
            return
        if name.startswith("{DAV:}"):
            raise DAVError(HTTP_FORBIDDEN)  # live (or lock) properties are protected
        if name == f"{{{OC}}}favorite":
            # per user, not a dead property; as oC 10: "1" or "true" marks, anything else unmarks
            text = ((value.text if value is not None else "") or "").strip().lower()
            if not dry_run:
                self._call(self.provider.storage.set_favorite, self.environ["ocis.user_id"], self.info.id,
                           text in ("1", "true"))
                self.environ.pop("ocis.favorites", None)
            return
        if name.startswith("{" + OC + "}") and name[len(OC) + 2:] in _PROTECTED_OC:
            raise DAVError(HTTP_FORBIDDEN)
        if dry_run:
            return
        serialized = None if value is None else etree.tostring(value, encoding="unicode")
        self._call(self.provider.storage.set_props, self.space_id, self.path, {name: serialized})
        self._props = None

    # -- lifecycle ----------------------------------------------------------------------------

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except OcisError as exc:
            raise to_dav_error(exc) from None

    def handle_delete(self) -> bool:
        """Delete the whole subtree in one step (to the trash), or nothing: a lock anywhere below
        that the request holds no token for refuses the request (423) and nothing is deleted.
        (RFC 4918 §9.6.1 allows partial deletes with a 207; we prefer all-or-nothing.)"""
        lm = self.provider.lock_manager
        if lm is not None:
            util.parse_if_header_dict(self.environ)
            tokens = self.environ["wsgidav.ifLockTokenList"]
            principal = self.environ["wsgidav.user_name"]
            ref = self.get_ref_url()
            lm.check_write_permission(url=ref, depth="0", token_list=tokens, principal=principal)
            # members: a lock below needs its token in the request (RFC 4918 §9.6.1); wsgidav's own
            # depth-infinity check refuses even then
            cond = DAVErrorCondition(PRECONDITION_CODE_LockConflict)
            for lock in lm.storage.get_lock_list(ref, include_root=False, include_children=True, token_only=False):
                if not (lock["principal"] == principal and lock["token"] in tokens):
                    cond.add_href(lock["root"])
            if cond.hrefs:
                raise DAVError(HTTP_LOCKED, err_condition=cond)
        self._call(self.provider.storage.delete, self.space_id, self.path)
        self.remove_all_locks(recursive=True)  # type: ignore[attr-defined]
        return True

    def support_recursive_delete(self) -> bool:
        return True

    def delete(self) -> None:
        self._call(self.provider.storage.delete, self.space_id, self.path)
        self.remove_all_locks(recursive=True)  # type: ignore[attr-defined]

    def support_recursive_move(self, dest_path: str) -> bool:
        return True

    def move_recursive(self, dest_path: str) -> list[Any]:
        self._call(self.provider.storage.move, self.space_id, self.path, dest_path.rstrip("/") or "/",
                   overwrite=False)
        self.remove_all_locks(recursive=True)  # type: ignore[attr-defined]
        return []

    def copy_move_single(self, dest_path: str, *, is_move: bool) -> None:
        dest = dest_path.rstrip("/") or "/"
        if self.is_collection:
            try:
                self.provider.storage.mkdir(self.space_id, dest)
            except AlreadyExists:
                pass
            except OcisError as exc:
                raise to_dav_error(exc) from None
            props = self.dead_props()
            if props:
                self._call(self.provider.storage.set_props, self.space_id, dest, dict(props))
        else:
            self._call(self.provider.storage.copy, self.space_id, self.path, dest, overwrite=True,
                       recursive=False)


_PROTECTED_OC = {"id", "fileid", "permissions", "size", "checksums", "owner-id", "owner-display-name",
                 "share-types", "privatelink", "downloadURL", "has-preview"}


class FolderResource(_NodeMixin, DAVCollection):  # type: ignore[misc]
    def __init__(self, path: str, environ: dict[str, Any], info: NodeInfo) -> None:
        DAVCollection.__init__(self, path, environ)
        self.info = info
        self._props = None

    def get_member_names(self) -> list[str]:
        return [child.name for child in self._call(self.provider.storage.list_dir, self.space_id, self.path)]

    def get_member(self, name: str) -> Any:
        return self.provider.get_resource_inst(util.join_uri(self.path, name), self.environ)

    def get_member_list(self) -> list[Any]:
        children = self._call(self.provider.storage.list_dir, self.space_id, self.path)
        return [self.provider.resource_for(child, self.environ) for child in children]

    def create_empty_resource(self, name: str) -> Any:
        path = util.join_uri(self.path, name)
        upload = self._call(self.provider.storage.begin_upload, self.space_id, path, length=0)
        info, _ = self._call(upload.commit)
        return self.provider.resource_for(info, self.environ)

    def create_collection(self, name: str) -> None:
        mtime = self.environ.get("ocis.mtime")
        self._call(self.provider.storage.mkdir, self.space_id, util.join_uri(self.path, name), mtime=mtime)


class FileResource(_NodeMixin, DAVNonCollection):  # type: ignore[misc]
    def __init__(self, path: str, environ: dict[str, Any], info: NodeInfo) -> None:
        DAVNonCollection.__init__(self, path, environ)
        self.info = info
        self._props = None

    def get_content_length(self) -> int:
        return self.info.size

    def get_content(self) -> Any:
        _, fh = self._call(self.provider.storage.open_blob, self.space_id, self.path)
        return fh

    def begin_write(self, *, content_type: str | None = None) -> Any:
        raise DAVError(HTTP_FORBIDDEN, "PUT is served natively")

    def support_ranges(self) -> bool:
        return True

