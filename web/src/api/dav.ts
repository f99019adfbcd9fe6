// WebDAV on /remote.php/dav (protocol.md §4): listing, favorites and search (REPORT), folders,
// move/copy/delete, the trash bin, versions (meta), previews, downloads.
import type { ApiClient } from './client'
import { basename, encodePath, normalize } from '../lib/paths'

const D = 'DAV:'
const OC = 'http://owncloud.org/ns'

export interface Resource {
  /** path inside the user's files, e.g. "/Documents/a.txt" ("/" for the root) */
  path: string
  name: string
  isFolder: boolean
  size: number
  mtime: Date | null
  etag: string
  fileId: string
  permissions: string
  favorite: boolean
  ownerId: string
  ownerDisplayName: string
  privateLink: string
  mimeType: string
  hasPreview: boolean
}

export interface TrashItem {
  key: string
  name: string
  originalLocation: string
  deleted: Date | null
  isFolder: boolean
  size: number
}

export interface Version {
  key: string
  size: number
  mtime: Date | null
  etag: string
}

const FILE_PROPS = [
  ['d', 'resourcetype'],
  ['d', 'getlastmodified'],
  ['d', 'getcontentlength'],
  ['d', 'getcontenttype'],
  ['d', 'getetag'],
  ['oc', 'size'],
  ['oc', 'fileid'],
  ['oc', 'permissions'],
  ['oc', 'favorite'],
  ['oc', 'owner-id'],
  ['oc', 'owner-display-name'],
  ['oc', 'privatelink'],
  ['oc', 'has-preview'],
] as const

function propXml(props: ReadonlyArray<readonly [string, string]>): string {
  return `<d:prop>${props.map(([ns, name]) => `<${ns}:${name}/>`).join('')}</d:prop>`
}

const NS = 'xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"'
export const PROPFIND_BODY = `<?xml version="1.0" encoding="utf-8"?><d:propfind ${NS}>${propXml(FILE_PROPS)}</d:propfind>`

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

export interface DavResponse {
  href: string
  props: Map<string, Element>
}

/** Child elements of `parent` named {ns}name (namespace-aware, prefix-independent). */
export function childrenNS(parent: Element | Document, ns: string, name: string): Element[] {
  return Array.from(parent.children).filter((el) => el.namespaceURI === ns && el.localName === name)
}

function childNS(parent: Element, ns: string, name: string): Element | undefined {
  return childrenNS(parent, ns, name)[0]
}

/** The <d:response> elements with their 200 properties (keyed "{ns}name"). */
export function parseMultistatus(doc: Document): DavResponse[] {
  const out: DavResponse[] = []
  const root = doc.documentElement
  if (!root || root.namespaceURI !== D || root.localName !== 'multistatus') return out
  for (const response of childrenNS(root, D, 'response')) {
    const href = childNS(response, D, 'href')?.textContent?.trim() ?? ''
    const props = new Map<string, Element>()
    for (const propstat of childrenNS(response, D, 'propstat')) {
      const status = childNS(propstat, D, 'status')?.textContent ?? ''
      if (!/\s2\d\d\s/.test(status + ' ')) continue
      const prop = childNS(propstat, D, 'prop')
      if (!prop) continue
      for (const el of Array.from(prop.children)) props.set(`{${el.namespaceURI}}${el.localName}`, el)
    }
    out.push({ href, props })
  }
  return out
}

function text(r: DavResponse, ns: string, name: string): string {
  return r.props.get(`{${ns}}${name}`)?.textContent?.trim() ?? ''
}

function isCollection(r: DavResponse): boolean {
  const rt = r.props.get(`{${D}}resourcetype`)
  return !!rt && childrenNS(rt, D, 'collection').length > 0
}

function parseDate(value: string): Date | null {
  if (!value) return null
  const d = new Date(value)
  return Number.isNaN(d.getTime()) ? null : d
}

/** Decoded path of an href below `basePath` (the encoded endpoint path, e.g. /remote.php/dav/files/alice). */
export function hrefToPath(href: string, basePath: string): string {
  let path = href
  try {
    path = new URL(href, 'https://x').pathname
  } catch {
    // keep as is
  }
  const base = basePath.replace(/\/+$/, '')
  const decodedBase = safeDecode(base)
  const decoded = path
    .split('/')
    .map((s) => safeDecode(s))
    .join('/')
  let rest = decoded
  if (decoded.toLowerCase().startsWith(decodedBase.toLowerCase())) rest = decoded.slice(decodedBase.length)
  return normalize(rest)
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}

export function toResource(r: DavResponse, basePath: string): Resource {
  const path = hrefToPath(r.href, basePath)
  const isFolder = isCollection(r)
  const size = Number(text(r, OC, 'size') || text(r, D, 'getcontentlength') || 0)
  return {
    path,
    name: path === '/' ? '' : basename(path),
    isFolder,
    size: Number.isFinite(size) ? size : 0,
    mtime: parseDate(text(r, D, 'getlastmodified')),
    etag: text(r, D, 'getetag').replace(/^W\//, '').replace(/^"|"$/g, ''),
    fileId: text(r, OC, 'fileid'),
    permissions: text(r, OC, 'permissions'),
    favorite: ['1', 'true'].includes(text(r, OC, 'favorite')),
    ownerId: text(r, OC, 'owner-id'),
    ownerDisplayName: text(r, OC, 'owner-display-name'),
    privateLink: text(r, OC, 'privatelink'),
    mimeType: isFolder ? 'httpd/unix-directory' : text(r, D, 'getcontenttype') || 'application/octet-stream',
    hasPreview: text(r, OC, 'has-preview') === 'true',
  }
}

export function toTrashItem(r: DavResponse, basePath: string): TrashItem {
  const key = hrefToPath(r.href, basePath).slice(1)
  const original = text(r, OC, 'trashbin-original-location')
  const filename = text(r, OC, 'trashbin-original-filename')
  return {
    key,
    name: basename(filename || original || key),
    originalLocation: normalize(original || filename),
    deleted: parseDate(text(r, OC, 'trashbin-delete-datetime')),
    isFolder: isCollection(r),
    size: Number(text(r, OC, 'size') || text(r, D, 'getcontentlength') || 0),
  }
}

export function toVersion(r: DavResponse): Version {
  const href = r.href.replace(/\/+$/, '')
  return {
    key: safeDecode(href.slice(href.lastIndexOf('/') + 1)),
    size: Number(text(r, D, 'getcontentlength') || 0),
    mtime: parseDate(text(r, D, 'getlastmodified')),
    etag: text(r, D, 'getetag').replace(/^"|"$/g, ''),
  }
}

function parseXml(body: string): Document {
  return new DOMParser().parseFromString(body, 'application/xml')
}

export interface Preview {
  width: number
  height: number
}

/** The WebDAV operations of one user. */
export class Dav {
  readonly filesBase: string
  readonly trashBase: string

  constructor(
    private readonly api: ApiClient,
    readonly username: string,
  ) {
    const user = encodeURIComponent(username)
    this.filesBase = `/remote.php/dav/files/${user}`
    this.trashBase = `/remote.php/dav/trash-bin/${user}`
  }

  /** URL path of a file or folder (folders with a trailing slash). */
  url(path: string, folder = false): string {
    const enc = encodePath(path)
    return `${this.filesBase}/${enc}${folder && enc ? '/' : ''}`
  }

  /** Absolute URL (Destination headers, TUS endpoints). */
  absoluteUrl(path: string, folder = false): string {
    return this.api.server + this.url(path, folder)
  }

  private async multistatus(method: string, url: string, body: string, depth?: string): Promise<DavResponse[]> {
    const headers: Record<string, string> = { 'Content-Type': 'application/xml; charset=utf-8' }
    if (depth !== undefined) headers.Depth = depth
    const r = await this.api.request(method, url, { headers, body })
    return parseMultistatus(parseXml(await r.text()))
  }

  /** The folder itself and its children. */
  async list(path: string): Promise<{ folder: Resource; children: Resource[] }> {
    const responses = await this.multistatus('PROPFIND', this.url(path, true), PROPFIND_BODY, '1')
    const resources = responses.map((r) => toResource(r, this.filesBase))
    const target = normalize(path)
    const folder = resources.find((r) => r.path === target) ?? resources[0]
    return { folder, children: resources.filter((r) => r !== folder) }
  }

  async stat(path: string): Promise<Resource> {
    const responses = await this.multistatus('PROPFIND', this.url(path), PROPFIND_BODY, '0')
    return toResource(responses[0], this.filesBase)
  }

  async favorites(): Promise<Resource[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?><oc:filter-files ${NS}>${propXml(FILE_PROPS)}<oc:filter-rules><oc:favorite>1</oc:favorite></oc:filter-rules></oc:filter-files>`
    return (await this.multistatus('REPORT', this.url('/', true), body)).map((r) => toResource(r, this.filesBase))
  }

  async search(pattern: string, limit = 200): Promise<Resource[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?><oc:search-files ${NS}>${propXml(FILE_PROPS)}<oc:search><oc:pattern>${xmlEscape(pattern)}</oc:pattern><oc:limit>${limit}</oc:limit></oc:search></oc:search-files>`
    return (await this.multistatus('REPORT', this.url('/', true), body)).map((r) => toResource(r, this.filesBase))
  }

  async mkdir(path: string): Promise<void> {
    await this.api.request('MKCOL', this.url(path, true))
  }

  /** Create each missing folder of `path` (known: folders that exist already). */
  async mkdirs(path: string, known: Set<string>): Promise<void> {
    let current = ''
    for (const seg of normalize(path).split('/').filter(Boolean)) {
      current += '/' + seg
      if (known.has(current)) continue
      await this.api.request('MKCOL', this.url(current, true), { accept: (s) => (s >= 200 && s < 300) || s === 405 })
      known.add(current)
    }
  }

  async move(from: string, to: string, overwrite = false): Promise<void> {
    await this.api.request('MOVE', this.url(from), {
      headers: { Destination: this.absoluteUrl(to), Overwrite: overwrite ? 'T' : 'F' },
    })
  }

  async copy(from: string, to: string, overwrite = false): Promise<void> {
    await this.api.request('COPY', this.url(from), {
      headers: { Destination: this.absoluteUrl(to), Overwrite: overwrite ? 'T' : 'F', Depth: 'infinity' },
    })
  }

  async remove(path: string): Promise<void> {
    await this.api.request('DELETE', this.url(path))
  }

  async setFavorite(path: string, favorite: boolean): Promise<void> {
    const body = `<?xml version="1.0" encoding="utf-8"?><d:propertyupdate ${NS}><d:set><d:prop><oc:favorite>${favorite ? '1' : '0'}</oc:favorite></d:prop></d:set></d:propertyupdate>`
    await this.api.request('PROPPATCH', this.url(path), {
      headers: { 'Content-Type': 'application/xml; charset=utf-8' },
      body,
    })
  }

  async download(path: string, signal?: AbortSignal): Promise<Blob> {
    const r = await this.api.request('GET', this.url(path), { signal })
    return r.blob()
  }

  async preview(resource: Resource, size: Preview, signal?: AbortSignal): Promise<Blob> {
    const q = new URLSearchParams({
      x: String(size.width),
      y: String(size.height),
      a: '1',
      scalingup: '0',
      preview: '1',
      c: resource.etag,
    })
    const r = await this.api.request('GET', `${this.url(resource.path)}?${q.toString()}`, { signal })
    return r.blob()
  }

  // --- trash bin -------------------------------------------------------------------------

  async trash(): Promise<TrashItem[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?><d:propfind ${NS}><d:prop><oc:trashbin-original-filename/><oc:trashbin-original-location/><oc:trashbin-delete-datetime/><d:getcontentlength/><oc:size/><d:resourcetype/></d:prop></d:propfind>`
    const responses = await this.multistatus('PROPFIND', `${this.trashBase}/`, body, '1')
    return responses.slice(1).map((r) => toTrashItem(r, this.trashBase))
  }

  /** Restore to `target` (the original location unless given). */
  async restore(item: TrashItem, target = item.originalLocation, overwrite = false): Promise<void> {
    await this.api.request('MOVE', `${this.trashBase}/${encodePath(item.key)}`, {
      headers: { Destination: this.absoluteUrl(target), Overwrite: overwrite ? 'T' : 'F' },
    })
  }

  async purge(item: TrashItem): Promise<void> {
    await this.api.request('DELETE', `${this.trashBase}/${encodePath(item.key)}`)
  }

  async emptyTrash(): Promise<void> {
    await this.api.request('DELETE', `${this.trashBase}/`)
  }

  // --- versions ----------------------------------------------------------------------------

  private metaUrl(fileId: string): string {
    return `/remote.php/dav/meta/${encodeURIComponent(fileId)}`
  }

  async versions(fileId: string): Promise<Version[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?><d:propfind ${NS}><d:prop><d:getcontentlength/><d:getlastmodified/><d:getetag/><d:resourcetype/></d:prop></d:propfind>`
    const responses = await this.multistatus('PROPFIND', `${this.metaUrl(fileId)}/v/`, body, '1')
    return responses
      .slice(1)
      .map(toVersion)
      .sort((a, b) => (b.mtime?.getTime() ?? 0) - (a.mtime?.getTime() ?? 0))
  }

  async downloadVersion(fileId: string, version: Version): Promise<Blob> {
    const r = await this.api.request('GET', `${this.metaUrl(fileId)}/v/${encodeURIComponent(version.key)}`)
    return r.blob()
  }

  async restoreVersion(fileId: string, version: Version, path: string): Promise<void> {
    await this.api.request('COPY', `${this.metaUrl(fileId)}/v/${encodeURIComponent(version.key)}`, {
      headers: { Destination: this.absoluteUrl(path) },
    })
  }

  async deleteVersion(fileId: string, version: Version): Promise<void> {
    await this.api.request('DELETE', `${this.metaUrl(fileId)}/v/${encodeURIComponent(version.key)}`)
  }

  /** The path of a file id in the user's files (private links). */
  async pathOf(fileId: string): Promise<string> {
    const body = `<?xml version="1.0" encoding="utf-8"?><d:propfind ${NS}><d:prop><oc:meta-path-for-user/></d:prop></d:propfind>`
    const responses = await this.multistatus('PROPFIND', `${this.metaUrl(fileId)}/`, body, '0')
    const value = responses[0] ? text(responses[0], OC, 'meta-path-for-user') : ''
    if (!value) throw new Error('no path for this file id')
    return normalize(value)
  }
}
