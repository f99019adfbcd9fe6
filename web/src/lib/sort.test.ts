import { describe, expect, it } from 'vitest'
import type { Resource } from '../api/dav'
import { nextSort, rangeSelection, sortResources } from './sort'

function res(name: string, isFolder: boolean, size: number, mtime: string): Resource {
  return {
    path: '/' + name, name, isFolder, size, mtime: new Date(mtime), etag: '', fileId: name, permissions: 'RDNVW',
    favorite: false, ownerId: 'u', ownerDisplayName: 'U', privateLink: '', mimeType: 'text/plain', hasPreview: false,
  }
}

const items = [
  res('file10.txt', false, 10, '2026-01-03'),
  res('File2.txt', false, 300, '2026-01-01'),
  res('b', true, 5, '2026-01-02'),
  res('A', true, 50, '2026-01-04'),
]

describe('sort', () => {
  it('puts folders first and compares names naturally', () => {
    expect(sortResources(items, 'name', 'asc').map((r) => r.name)).toEqual(['A', 'b', 'File2.txt', 'file10.txt'])
    expect(sortResources(items, 'name', 'desc').map((r) => r.name)).toEqual(['b', 'A', 'file10.txt', 'File2.txt'])
  })

  it('sorts by size and date', () => {
    expect(sortResources(items, 'size', 'desc').map((r) => r.name)).toEqual(['A', 'b', 'File2.txt', 'file10.txt'])
    expect(sortResources(items, 'mtime', 'asc').map((r) => r.name)).toEqual(['b', 'A', 'File2.txt', 'file10.txt'])
  })

  it('flips or starts a column', () => {
    expect(nextSort({ key: 'name', dir: 'asc' }, 'name')).toEqual({ key: 'name', dir: 'desc' })
    expect(nextSort({ key: 'name', dir: 'asc' }, 'size')).toEqual({ key: 'size', dir: 'desc' })
    expect(nextSort({ key: 'size', dir: 'desc' }, 'name')).toEqual({ key: 'name', dir: 'asc' })
  })

  it('selects ranges in display order', () => {
    const order = ['/a', '/b', '/c', '/d']
    expect(rangeSelection(order, '/b', '/d')).toEqual(['/b', '/c', '/d'])
    expect(rangeSelection(order, '/c', '/a')).toEqual(['/a', '/b', '/c'])
    expect(rangeSelection(order, '/x', '/a')).toEqual(['/a'])
  })
})
