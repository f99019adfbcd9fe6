// Paths inside the user's files: always absolute ("/" is the root, no trailing slash otherwise).

export function normalize(path: string): string {
  const parts = path.split('/').filter((p) => p && p !== '.')
  return '/' + parts.join('/')
}

export function join(...parts: string[]): string {
  return normalize(parts.join('/'))
}

export function dirname(path: string): string {
  const p = normalize(path)
  const i = p.lastIndexOf('/')
  return i <= 0 ? '/' : p.slice(0, i)
}

export function basename(path: string): string {
  const p = normalize(path)
  return p.slice(p.lastIndexOf('/') + 1)
}

export function segments(path: string): string[] {
  return normalize(path).split('/').filter(Boolean)
}

/** Percent-encode each segment (for URLs); slashes stay. */
export function encodePath(path: string): string {
  return segments(path).map(encodeURIComponent).join('/')
}

/** Whether `path` is `ancestor` or inside it. */
export function isInside(path: string, ancestor: string): boolean {
  const p = normalize(path)
  const a = normalize(ancestor)
  return a === '/' || p === a || p.startsWith(a + '/')
}

export function extension(name: string): string {
  const i = name.lastIndexOf('.')
  return i > 0 ? name.slice(i + 1).toLowerCase() : ''
}

/** "name (2).ext", "name (3).ext", … : the first that is not taken. */
export function freeName(name: string, taken: Set<string>): string {
  if (!taken.has(name)) return name
  const ext = extension(name)
  const stem = ext ? name.slice(0, -(ext.length + 1)) : name
  for (let i = 2; ; i++) {
    const candidate = ext ? `${stem} (${i}).${ext}` : `${stem} (${i})`
    if (!taken.has(candidate)) return candidate
  }
}

/** Why a file or folder name is not acceptable (i18n key), or null. */
export function nameProblem(name: string, siblings: Set<string> = new Set()): string | null {
  const trimmed = name.trim()
  if (!trimmed) return 'name.empty'
  if (trimmed === '.' || trimmed === '..') return 'name.dots'
  if (/[/\\]/.test(trimmed)) return 'name.slash'
  if (new TextEncoder().encode(trimmed).length > 255) return 'name.tooLong'
  if (trimmed !== name) return 'name.spaces'
  if (siblings.has(trimmed)) return 'name.exists'
  return null
}
