// "Something changed in these folders": actions announce it, the views showing those folders reload.
import { dirname, normalize } from '../lib/paths'

type Listener = (folders: Set<string>) => void
const listeners = new Set<Listener>()

export function onFilesChanged(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

/** Announce changes of these items (their parent folders change) or folders (pass folder paths with `asFolders`). */
export function filesChanged(paths: string[], asFolders = false): void {
  const folders = new Set(paths.map((p) => (asFolders ? normalize(p) : dirname(p))))
  for (const l of Array.from(listeners)) l(folders)
}
