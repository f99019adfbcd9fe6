"""HTTP and WebDAV helpers for tests that talk to a real server over HTTPS."""

from __future__ import annotations

import hashlib
import ssl
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import httpx

DAV = "DAV:"
OC = "http://owncloud.org/ns"

USERS: dict[str, str] = {
    "admin": "admin",
    "einstein": "relativity",
    "marie": "radioactivity",
    "richard": "superfluidity",
    "moss": "vista",
}

DEFAULT_PROPS = [
    f"{{{DAV}}}resourcetype",
    f"{{{DAV}}}getetag",
    f"{{{DAV}}}getlastmodified",
    f"{{{DAV}}}getcontentlength",
    f"{{{OC}}}id",
    f"{{{OC}}}fileid",
    f"{{{OC}}}permissions",
    f"{{{OC}}}checksums",
    f"{{{OC}}}size",
]


class _OfferOnlyH2(ssl.SSLContext):
    """A client TLS context whose ALPN offers only ``h2``: httpx always offers http/1.1 too (and the
    server prefers it), so this is how a test reaches the server's HTTP/2 path."""

    def set_alpn_protocols(self, alpn_protocols: Any) -> None:
        super().set_alpn_protocols(["h2"])


def h2_only_context() -> ssl.SSLContext:
    ctx = _OfferOnlyH2(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def make_client(
    base_url: str,
    user: str | None = None,
    password: str | None = None,
    *,
    http2: bool = False,
    timeout: float = 120.0,
) -> httpx.Client:
    """An httpx client for the test server: no certificate check, Basic auth; HTTP/1.1, or with
    ``http2`` HTTP/2 only (a client offering both gets HTTP/1.1 from the server)."""
    auth: tuple[str, str] | None = None
    if user is not None:
        auth = (user, password if password is not None else USERS[user])
    return httpx.Client(
        base_url=base_url,
        verify=h2_only_context() if http2 else False,
        http1=not http2,
        http2=http2,
        auth=auth,
        timeout=timeout,
        follow_redirects=False,
    )


def files_url(user: str, path: str = "") -> str:
    """``/remote.php/dav/files/<user>/<path>`` with every segment percent-encoded."""
    return f"/remote.php/dav/files/{quote(user)}/" + quote(path.lstrip("/"), safe="/")


def webdav_url(path: str = "") -> str:
    return "/remote.php/webdav/" + quote(path.lstrip("/"), safe="/")


@dataclass
class Resource:
    href: str  # decoded path of the href
    props: dict[str, str | None] = field(default_factory=dict)  # Clark name -> text (200 propstat)
    missing: set[str] = field(default_factory=set)  # props in non-200 propstats
    is_collection: bool = False

    def get(self, name: str) -> str | None:
        """Property by Clark name or by ``d:``/``oc:`` shorthand (``"oc:fileid"``)."""
        if name.startswith("d:"):
            name = f"{{{DAV}}}{name[2:]}"
        elif name.startswith("oc:"):
            name = f"{{{OC}}}{name[3:]}"
        return self.props.get(name)

    @property
    def etag(self) -> str | None:
        return self.get("d:getetag")

    @property
    def fileid(self) -> str | None:
        return self.get("oc:fileid") or self.get("oc:id")

    @property
    def size(self) -> int | None:
        v = self.get("d:getcontentlength")
        return int(v) if v not in (None, "") else None

    @property
    def checksums(self) -> str:
        return self.get("oc:checksums") or ""


def propfind_body(props: list[str]) -> bytes:
    root = ET.Element(f"{{{DAV}}}propfind")
    prop = ET.SubElement(root, f"{{{DAV}}}prop")
    for p in props:
        ET.SubElement(prop, p)
    ET.register_namespace("d", DAV)
    ET.register_namespace("oc", OC)
    return bytes(ET.tostring(root, xml_declaration=True, encoding="utf-8"))


def parse_multistatus(body: bytes) -> list[Resource]:
    root = ET.fromstring(body)
    out: list[Resource] = []
    for resp in root.findall(f"{{{DAV}}}response"):
        href_el = resp.find(f"{{{DAV}}}href")
        href = unquote(urlsplit((href_el.text or "") if href_el is not None else "").path)
        res = Resource(href=href)
        for ps in resp.findall(f"{{{DAV}}}propstat"):
            status_el = ps.find(f"{{{DAV}}}status")
            ok = status_el is not None and " 200 " in f"{status_el.text or ''} "
            prop_el = ps.find(f"{{{DAV}}}prop")
            if prop_el is None:
                continue
            for p in prop_el:
                if not ok:
                    res.missing.add(p.tag)
                    continue
                if p.tag == f"{{{DAV}}}resourcetype":
                    res.is_collection = p.find(f"{{{DAV}}}collection") is not None
                    res.props[p.tag] = "collection" if res.is_collection else ""
                elif len(p):
                    # e.g. <oc:checksums><oc:checksum>SHA1:..</oc:checksum></oc:checksums>
                    res.props[p.tag] = " ".join((c.text or "").strip() for c in p.iter() if c is not p)
                else:
                    res.props[p.tag] = p.text
        out.append(res)
    return out


def propfind(client: httpx.Client, url: str, props: list[str] | None = None, depth: str = "1") -> list[Resource]:
    """PROPFIND ``url``; asserts 207 and returns the parsed responses (first = the resource itself)."""
    r = client.request(
        "PROPFIND",
        url,
        content=propfind_body(props or DEFAULT_PROPS),
        headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"},
    )
    assert r.status_code == 207, f"PROPFIND {url} -> {r.status_code}: {r.text[:500]}"
    return parse_multistatus(r.content)


def stat(client: httpx.Client, url: str, props: list[str] | None = None) -> Resource:
    return propfind(client, url, props, depth="0")[0]


def exists(client: httpx.Client, url: str) -> bool:
    r = client.request("PROPFIND", url, headers={"Depth": "0"})
    if r.status_code == 207:
        return True
    assert r.status_code == 404, f"PROPFIND {url} -> {r.status_code}"
    return False


def put(client: httpx.Client, url: str, data: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    r = client.put(url, content=data, headers=headers or {})
    assert r.status_code in (200, 201, 204), f"PUT {url} -> {r.status_code}: {r.text[:300]}"
    return r


def mkcol(client: httpx.Client, url: str) -> None:
    r = client.request("MKCOL", url)
    assert r.status_code == 201, f"MKCOL {url} -> {r.status_code}: {r.text[:300]}"


def makedirs(client: httpx.Client, user: str, path: str) -> None:
    """MKCOL every missing level of ``path`` below the user's home."""
    parts = [p for p in path.split("/") if p]
    for i in range(1, len(parts) + 1):
        url = files_url(user, "/".join(parts[:i])) + "/"
        r = client.request("MKCOL", url)
        assert r.status_code in (201, 405), f"MKCOL {url} -> {r.status_code}"


def get_bytes(client: httpx.Client, url: str) -> bytes:
    r = client.get(url)
    assert r.status_code == 200, f"GET {url} -> {r.status_code}"
    return r.content


def walk_remote(client: httpx.Client, user: str, path: str = "") -> dict[str, Resource]:
    """All resources below ``path`` (relative paths -> Resource), by Depth-1 PROPFINDs level by level."""
    base = files_url(user)
    base_path = unquote(base)
    result: dict[str, Resource] = {}
    todo = [path.strip("/")]
    while todo:
        cur = todo.pop()
        url = files_url(user, cur) + ("/" if cur else "")
        listing = propfind(client, url, depth="1")
        for res in listing[1:]:
            rel = res.href[len(base_path) :].strip("/") if res.href.startswith(base_path) else res.href
            result[rel] = res
            if res.is_collection:
                todo.append(rel)
    return result


def sha1_file(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def local_tree(root: Path, ignore: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{relative path: sha1 hex | "<dir>"}`` for everything below ``root`` (NFC/NFD kept as is)."""
    out: dict[str, Any] = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root).as_posix()
        if any(part.startswith(ignore) for part in rel.split("/")) if ignore else False:
            continue
        out[rel] = "<dir>" if p.is_dir() else sha1_file(p)
    return out
