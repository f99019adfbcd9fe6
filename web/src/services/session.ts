// What the signed-in app works with: config, tokens, API clients, the user, the server's capabilities.
import type { ApiClient } from '../api/client'
import type { Dav } from '../api/dav'
import type { Capabilities, CurrentUser } from '../api/ocs'
import type { Auth } from '../auth'
import type { WebConfig } from '../config'
import type { ThumbnailCache } from './thumbnails'
import type { UploadManager } from './uploads'

export interface Session {
  config: WebConfig
  auth: Auth
  api: ApiClient
  dav: Dav
  user: CurrentUser
  capabilities: Capabilities
  uploads: UploadManager
  thumbnails: ThumbnailCache
}

let current: Session | null = null

export function setSession(session: Session): void {
  current = session
}

export function useSession(): Session {
  if (!current) throw new Error('no session')
  return current
}
