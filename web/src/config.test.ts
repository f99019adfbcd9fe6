import { describe, expect, it } from 'vitest'
import { parseConfig } from './config'

describe('config.json', () => {
  it('reads what the web service generates', () => {
    const cfg = parseConfig({
      server: 'https://cloud.example.com/',
      version: '0.1.0',
      openIdConnect: { metadata_url: 'https://cloud.example.com/.well-known/openid-configuration', authority: 'https://cloud.example.com', client_id: 'web', response_type: 'code', scope: 'openid profile email offline_access' },
      apps: ['files', 'media-viewer'],
    })
    expect(cfg.server).toBe('https://cloud.example.com')
    expect(cfg.openIdConnect.client_id).toBe('web')
    expect(cfg.apps).toEqual(['files', 'media-viewer'])
  })

  it('fills defaults and refuses nonsense', () => {
    const cfg = parseConfig({ server: 'https://h', openIdConnect: { authority: 'https://idp/', client_id: 'x' } })
    expect(cfg.openIdConnect.metadata_url).toBe('https://idp/.well-known/openid-configuration')
    expect(cfg.openIdConnect.scope).toContain('openid')
    expect(() => parseConfig({ server: 'https://h' })).toThrow()
    expect(() => parseConfig(null)).toThrow()
  })
})
