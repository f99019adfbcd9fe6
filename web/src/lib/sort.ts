// Sorting of file lists: folders first, then by the chosen column; names compare like people do
// ("file2" before "file10", case-insensitive).
import type { Resource } from '../api/dav'

export type SortKey = 'name' | 'size' | 'mtime'
export type SortDir = 'asc' | 'desc'

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

export function compareNames(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0)
}

export function sortResources(items: readonly Resource[], key: SortKey, dir: SortDir): Resource[] {
  const sign = dir === 'asc' ? 1 : -1
  return [...items].sort((a, b) => {
    if (a.isFolder !== b.isFolder) return a.isFolder ? -1 : 1
    let c = 0
    if (key === 'size') c = a.size - b.size
    else if (key === 'mtime') c = (a.mtime?.getTime() ?? 0) - (b.mtime?.getTime() ?? 0)
    if (c === 0) c = compareNames(a.name, b.name)
    return sign * c
  })
}

/** Clicking a column: the same column flips the direction; a new one starts ascending for names,
 *  descending for size and date (largest, newest first). */
export function nextSort(current: { key: SortKey; dir: SortDir }, key: SortKey): { key: SortKey; dir: SortDir } {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' }
  return { key, dir: key === 'name' ? 'asc' : 'desc' }
}

/** Paths selected by a shift-click from `anchor` to `target` in the displayed order. */
export function rangeSelection(order: readonly string[], anchor: string, target: string): string[] {
  const a = order.indexOf(anchor)
  const b = order.indexOf(target)
  if (a < 0 || b < 0) return [target]
  const [from, to] = a < b ? [a, b] : [b, a]
  return order.slice(from, to + 1)
}
