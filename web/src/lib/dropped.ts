// Files and folders from a drop or a file input, as (file, path below the target) pairs.
import type { UploadEntry } from '../services/uploads'

/** Entries of a drop; folders are walked. The DataTransfer is read synchronously, as browsers require. */
export function readDrop(dt: DataTransfer): Promise<UploadEntry[]> {
  const roots: FileSystemEntry[] = []
  for (const item of Array.from(dt.items ?? [])) {
    if (item.kind !== 'file') continue
    const entry = item.webkitGetAsEntry?.()
    if (entry) roots.push(entry)
  }
  if (roots.length === 0) return Promise.resolve(fromFiles(Array.from(dt.files ?? [])))
  return walkAll(roots)
}

async function walkAll(roots: FileSystemEntry[]): Promise<UploadEntry[]> {
  const out: UploadEntry[] = []
  for (const root of roots) await walk(root, '', out)
  return out
}

async function walk(entry: FileSystemEntry, prefix: string, out: UploadEntry[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ file, relativePath: prefix + file.name })
    return
  }
  if (!entry.isDirectory) return
  const reader = (entry as FileSystemDirectoryEntry).createReader()
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
    if (batch.length === 0) break
    for (const child of batch) await walk(child, `${prefix}${entry.name}/`, out)
  }
}

/** Entries of a file input; a folder input gives each file's webkitRelativePath ("Folder/sub/a.txt"). */
export function fromFiles(files: File[]): UploadEntry[] {
  return files.map((file) => ({ file, relativePath: file.webkitRelativePath || file.name }))
}

/** First path segment of each entry (what lands directly in the target folder). */
export function topNames(entries: UploadEntry[]): string[] {
  return Array.from(new Set(entries.map((e) => e.relativePath.split('/')[0])))
}

/** Entries with their first segment renamed per `renames`. */
export function renameTops(entries: UploadEntry[], renames: Map<string, string>): UploadEntry[] {
  return entries.map((e) => {
    const [top, ...rest] = e.relativePath.split('/')
    const name = renames.get(top)
    return name ? { file: e.file, relativePath: [name, ...rest].join('/') } : e
  })
}
