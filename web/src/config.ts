// /config.json, served by the `web` service (src/ocis/web/config.py): where the server is and how to sign in.

export interface OidcSettings {
  metadata_url: string
  authority: string
  client_id: string
  response_type: string
  scope: string
}

export interface WebConfig {
  server: string
  theme?: string
  version?: string
  openIdConnect: OidcSettings
  apps: string[]
  options?: { hideSearchBar?: boolean }
}

export function parseConfig(doc: unknown): WebConfig {
  if (typeof doc !== 'object' || doc === null) throw new Error('config.json is not an object')
  const d = doc as Record<string, unknown>
  const oidc = d.openIdConnect as Record<string, unknown> | undefined
  if (typeof d.server !== 'string' || !oidc || typeof oidc.authority !== 'string' || typeof oidc.client_id !== 'string') {
    throw new Error('config.json needs "server" and "openIdConnect" with "authority" and "client_id"')
  }
  const server = d.server.replace(/\/+$/, '')
  return {
    server,
    theme: typeof d.theme === 'string' ? d.theme : undefined,
    version: typeof d.version === 'string' ? d.version : undefined,
    openIdConnect: {
      authority: oidc.authority.replace(/\/+$/, ''),
      metadata_url:
        typeof oidc.metadata_url === 'string' && oidc.metadata_url
          ? oidc.metadata_url
          : `${oidc.authority.replace(/\/+$/, '')}/.well-known/openid-configuration`,
      client_id: oidc.client_id,
      response_type: typeof oidc.response_type === 'string' ? oidc.response_type : 'code',
      scope: typeof oidc.scope === 'string' ? oidc.scope : 'openid profile email offline_access',
    },
    apps: Array.isArray(d.apps) ? d.apps.filter((a): a is string => typeof a === 'string') : ['files', 'media-viewer'],
    options: (d.options as WebConfig['options']) ?? {},
  }
}

export async function loadConfig(): Promise<WebConfig> {
  const r = await fetch('/config.json', { cache: 'no-cache', credentials: 'same-origin' })
  if (!r.ok) throw new Error(`config.json: HTTP ${r.status}`)
  return parseConfig(await r.json())
}
