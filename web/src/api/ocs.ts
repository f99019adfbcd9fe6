// OCS: who the user is, what the server can do.
import type { ApiClient } from './client'

export interface CurrentUser {
  id: string
  displayName: string
  email: string
}

export interface Capabilities {
  tus: { maxChunkSize: number; extensions: string[] } | null
  privateLinks: boolean
  favorites: boolean
  undelete: boolean
  versioning: boolean
  search: boolean
  sharing: boolean
}

interface Envelope<T> {
  ocs: { meta: { statuscode: number; message: string }; data: T }
}

export async function currentUser(api: ApiClient): Promise<CurrentUser> {
  const doc = await api.json<Envelope<Record<string, string>>>('GET', '/ocs/v1.php/cloud/user?format=json', {
    headers: { 'OCS-APIREQUEST': 'true' },
  })
  const d = doc.ocs.data
  return { id: d.id, displayName: d['display-name'] || d.displayname || d.id, email: d.email ?? '' }
}

export function parseCapabilities(data: unknown): Capabilities {
  const caps = ((data as { capabilities?: Record<string, unknown> })?.capabilities ?? {}) as Record<string, Record<string, unknown>>
  const files = caps.files ?? {}
  const dav = caps.dav ?? {}
  const tus = files.tus_support as { max_chunk_size?: number; extension?: string } | undefined
  return {
    tus: tus
      ? { maxChunkSize: Number(tus.max_chunk_size ?? 0), extensions: String(tus.extension ?? '').split(',').filter(Boolean) }
      : null,
    privateLinks: files.privateLinks === true,
    favorites: files.favorites !== false,
    undelete: files.undelete === true,
    versioning: files.versioning === true,
    search: Array.isArray(dav.reports) && (dav.reports as unknown[]).includes('search-files'),
    sharing: !!caps.files_sharing,
  }
}

export async function capabilities(api: ApiClient): Promise<Capabilities> {
  const doc = await api.json<Envelope<unknown>>('GET', '/ocs/v1.php/cloud/capabilities?format=json', {
    headers: { 'OCS-APIREQUEST': 'true' },
  })
  return parseCapabilities(doc.ocs.data)
}
