// Previews (thumbnails) fetched with the bearer token and shown as blob: URLs. A few at a time,
// cached by path, etag and size; the oldest object URLs are released beyond a limit.
import type { Dav, Preview, Resource } from '../api/dav'

const MAX_ENTRIES = 400
const PARALLEL = 4

export class ThumbnailCache {
  private readonly entries = new Map<string, Promise<string | null>>()
  private readonly urls = new Map<string, string>()
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(private readonly dav: Dav) {}

  /** An object URL of the preview, or null if there is none. */
  get(resource: Resource, size: Preview): Promise<string | null> {
    if (!resource.hasPreview) return Promise.resolve(null)
    const key = `${resource.path}|${resource.etag}|${size.width}x${size.height}`
    const hit = this.entries.get(key)
    if (hit) {
      this.entries.delete(key) // refresh LRU position
      this.entries.set(key, hit)
      return hit
    }
    const promise = this.fetch(resource, size).then(
      (blob) => {
        const url = URL.createObjectURL(blob)
        this.urls.set(key, url)
        return url
      },
      () => {
        this.entries.delete(key) // try again next time
        return null
      },
    )
    this.entries.set(key, promise)
    this.evict()
    return promise
  }

  private async fetch(resource: Resource, size: Preview): Promise<Blob> {
    if (this.active >= PARALLEL) await new Promise<void>((resolve) => this.waiting.push(resolve))
    this.active++
    try {
      return await this.dav.preview(resource, size)
    } finally {
      this.active--
      this.waiting.shift()?.()
    }
  }

  private evict(): void {
    while (this.entries.size > MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value as string
      this.entries.delete(oldest)
      const url = this.urls.get(oldest)
      if (url) {
        URL.revokeObjectURL(url)
        this.urls.delete(oldest)
      }
    }
  }
}
