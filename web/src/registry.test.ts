import { beforeEach, describe, expect, it } from 'vitest'
import type { Resource } from './api/dav'
import { actionsFor, defaultAction, navItems, registerApp, resetRegistry, routes, type FileAction } from './registry'

const file = { path: '/a.png', name: 'a.png', isFolder: false, mimeType: 'image/png' } as Resource
const folder = { path: '/d', name: 'd', isFolder: true, mimeType: 'httpd/unix-directory' } as Resource

const action = (id: string, order: number, extra: Partial<FileAction> = {}): FileAction => ({
  id, order, label: () => 'action.open', icon: 'file', isEnabled: () => true, run: () => undefined, ...extra,
})

describe('registry', () => {
  beforeEach(resetRegistry)

  it('collects routes and sorted navigation from every app', () => {
    registerApp({ id: 'b', navItems: [{ id: 'two', label: 'nav.favorites', icon: 'star', route: 'r2', order: 20 }] })
    registerApp({
      id: 'a',
      routes: [{ path: '/x', component: {} }],
      navItems: [{ id: 'one', label: 'nav.allFiles', icon: 'folder', route: 'r1', order: 10 }],
    })
    expect(navItems.value.map((n) => n.id)).toEqual(['one', 'two'])
    expect(routes().map((r) => r.path)).toEqual(['/x'])
    expect(() => registerApp({ id: 'a' })).toThrow(/twice/)
  })

  it('offers enabled actions in order; multi only for batch', () => {
    registerApp({
      id: 'files',
      fileActions: [
        action('delete', 100, { multi: true }),
        action('rename', 30),
        action('download', 20, { isDefault: true, isEnabled: (c) => !c.resources[0].isFolder }),
        action('open', 0, { isDefault: true, isEnabled: (c) => c.resources[0].isFolder }),
      ],
    })
    registerApp({ id: 'viewer', fileActions: [action('view', 5, { isDefault: true, isEnabled: (c) => c.resources[0].mimeType.startsWith('image/') })] })
    const ctx = (resources: Resource[]) => ({ resources, folder: '/', view: 'files' })
    expect(actionsFor(ctx([file])).map((a) => a.id)).toEqual(['view', 'download', 'rename', 'delete'])
    expect(actionsFor(ctx([file, folder])).map((a) => a.id)).toEqual(['delete'])
    expect(actionsFor(ctx([]))).toEqual([])
    expect(defaultAction(ctx([file]))?.id).toBe('view')
    expect(defaultAction(ctx([folder]))?.id).toBe('open')
  })
})
