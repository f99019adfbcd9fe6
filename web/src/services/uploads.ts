// Uploads with tus-js-client (protocol.md §5): POST on the target folder, PATCH to /data/<id>.
// Every request carries a fresh access token (renewed ahead of expiry), interrupted transfers are
// retried and resumed from the server's offset, a failed one can be retried by hand and resumes
// too, and the browser remembers unfinished uploads (fingerprints) to resume them later.
import { reactive } from 'vue'
import { Upload, type DetailedError, type HttpRequest } from 'tus-js-client'
import type { Dav } from '../api/dav'
import { HttpError } from '../api/errors'
import { basename, dirname, join, normalize, segments } from '../lib/paths'

export type UploadStatus = 'queued' | 'preparing' | 'uploading' | 'retrying' | 'done' | 'error' | 'cancelled'

export interface UploadEntry {
  file: File
  /** path below the target folder, "a.txt" or "Photos/2020/a.jpg" (folder uploads) */
  relativePath: string
}

export interface UploadItem {
  id: number
  batch: number
  name: string
  /** folder the file goes into */
  folder: string
  size: number
  sent: number
  status: UploadStatus
  error: unknown
  file: File
}

export interface BatchResult {
  batch: number
  target: string
  done: UploadItem[]
  failed: UploadItem[]
  folders: string[]
}

export interface UploadOptions {
  dav: Dav
  tokens: { accessToken(): Promise<string>; renew(): Promise<unknown> }
  /** bytes per PATCH; 0 = the default */
  maxChunkSize: number
}

const DEFAULT_CHUNK = 32 * 1024 * 1024
const PARALLEL = 3
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000]
/** statuses that do not get better by trying again */
const FINAL = new Set([400, 403, 404, 412, 413, 415, 460, 507])

/** Whether tus-js-client should try again after `status` (0 = no response: network). */
export function shouldRetry(status: number, method: string, attempt: number): boolean {
  if (status === 0) return true
  if (status === 401) return attempt < 2
  if (FINAL.has(status)) return false
  if (status === 409 || status === 423) return method === 'PATCH' || method === 'HEAD'
  return status >= 500
}

/** The folders (below `target`) that a set of entries needs, parents first. */
export function foldersFor(entries: UploadEntry[], target: string): string[] {
  const dirs = new Set<string>()
  for (const e of entries) {
    const parts = segments(e.relativePath).slice(0, -1)
    for (let i = 1; i <= parts.length; i++) dirs.add(join(target, ...parts.slice(0, i)))
  }
  return Array.from(dirs).sort((a, b) => segments(a).length - segments(b).length || a.localeCompare(b))
}

export class UploadManager {
  readonly items = reactive<UploadItem[]>([])
  private readonly uploads = new Map<number, Upload>()
  private readonly batches = new Map<number, { target: string; folders: string[]; remaining: Set<number> }>()
  private readonly listeners = new Set<(result: BatchResult) => void>()
  private nextId = 1
  private nextBatch = 1

  constructor(private readonly opts: UploadOptions) {
    window.addEventListener('online', () => this.resumeAfterNetworkError())
  }

  onBatchFinished(listener: (result: BatchResult) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get active(): UploadItem[] {
    return this.items.filter((i) => ['queued', 'preparing', 'uploading', 'retrying'].includes(i.status))
  }

  /**
   * Upload `entries` into `target`. Folders of folder uploads are created first.
   *
   * @param existing names already in `target` (from its listing) — saves requests for folders that exist.
   */
  async add(entries: UploadEntry[], target: string, existing: Set<string>): Promise<void> {
    if (entries.length === 0) return
    const batch = this.nextBatch++
    const items: UploadItem[] = entries.map((e) => ({
      id: this.nextId++,
      batch,
      name: basename(e.relativePath),
      folder: join(target, dirname('/' + e.relativePath)),
      size: e.file.size,
      sent: 0,
      status: 'preparing' as UploadStatus,
      error: null,
      file: e.file,
    }))
    this.items.push(...items)
    const folders = foldersFor(entries, target)
    this.batches.set(batch, { target: normalize(target), folders, remaining: new Set(items.map((i) => i.id)) })
    try {
      await this.createFolders(folders, normalize(target), existing)
    } catch (err) {
      for (const item of items) this.fail(this.item(item.id), err)
      return
    }
    for (const item of items) {
      const live = this.item(item.id)
      if (live.status === 'preparing') live.status = 'queued'
    }
    this.pump()
  }

  cancel(id: number): void {
    const item = this.item(id)
    if (['done', 'cancelled'].includes(item.status)) return
    const upload = this.uploads.get(id)
    item.status = 'cancelled'
    if (upload) void upload.abort(true).catch(() => undefined)
    this.settle(item)
    this.pump()
  }

  cancelAll(): void {
    for (const item of this.active) this.cancel(item.id)
  }

  retry(id: number): void {
    const item = this.item(id)
    if (item.status !== 'error') return
    item.status = 'queued'
    item.error = null
    const batch = this.batches.get(item.batch)
    batch?.remaining.add(id)
    this.pump()
  }

  /** Forget finished, failed and cancelled uploads (the panel's close button). */
  clearFinished(): void {
    for (let i = this.items.length - 1; i >= 0; i--) {
      if (['done', 'error', 'cancelled'].includes(this.items[i].status)) {
        this.uploads.delete(this.items[i].id)
        this.items.splice(i, 1)
      }
    }
  }

  private item(id: number): UploadItem {
    // the reactive proxy, so that changes re-render
    return this.items.find((i) => i.id === id) as UploadItem
  }

  private async createFolders(folders: string[], target: string, existing: Set<string>): Promise<void> {
    const created = new Set<string>()
    const listings = new Map<string, Set<string>>([[target, existing]])
    for (const folder of folders) {
      const parent = dirname(folder)
      let exists = false
      if (!created.has(parent)) {
        let names = listings.get(parent)
        if (!names) {
          const { children } = await this.opts.dav.list(parent)
          names = new Set(children.filter((c) => c.isFolder).map((c) => c.name))
          listings.set(parent, names)
        }
        exists = names.has(basename(folder))
      }
      if (!exists) {
        await this.opts.dav.mkdir(folder)
        created.add(folder)
      }
    }
  }

  private pump(): void {
    let running = this.items.filter((i) => i.status === 'uploading' || i.status === 'retrying').length
    for (const item of this.items) {
      if (running >= PARALLEL) break
      if (item.status !== 'queued') continue
      running++
      this.start(item)
    }
  }

  private start(item: UploadItem): void {
    item.status = 'uploading'
    let upload = this.uploads.get(item.id)
    if (!upload) {
      upload = this.create(item)
      this.uploads.set(item.id, upload)
      const created = upload
      void created
        .findPreviousUploads()
        .then((previous) => {
          if (previous.length > 0) created.resumeFromPreviousUpload(previous[0])
        })
        .catch(() => undefined)
        .finally(() => {
          if (this.item(item.id).status === 'uploading') created.start()
        })
      return
    }
    upload.start()
  }

  private create(item: UploadItem): Upload {
    const { dav, tokens, maxChunkSize } = this.opts
    const id = item.id
    const upload: Upload = new Upload(item.file, {
      endpoint: dav.absoluteUrl(item.folder, true),
      metadata: {
        filename: item.name,
        filetype: item.file.type || 'application/octet-stream',
        mtime: String(Math.floor(item.file.lastModified / 1000)),
      },
      chunkSize: maxChunkSize > 0 ? maxChunkSize : DEFAULT_CHUNK,
      retryDelays: RETRY_DELAYS,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onBeforeRequest: async (req: HttpRequest) => {
        req.setHeader('Authorization', `Bearer ${await tokens.accessToken()}`)
      },
      onShouldRetry: (err: DetailedError, attempt: number) => {
        const status = err.originalResponse?.getStatus() ?? 0
        const method = err.originalRequest?.getMethod() ?? ''
        const again = shouldRetry(status, method, attempt)
        if (again) {
          if (status === 401) void tokens.renew()
          const live = this.item(id)
          if (live.status === 'uploading') live.status = 'retrying'
        }
        return again
      },
      onProgress: (sent: number) => {
        const live = this.item(id)
        if (live.status === 'cancelled') return
        live.sent = sent
        if (live.status === 'retrying') live.status = 'uploading'
      },
      onSuccess: () => {
        const live = this.item(id)
        live.sent = live.size
        live.status = 'done'
        this.settle(live)
        this.pump()
      },
      onError: (err: Error | DetailedError) => {
        const live = this.item(id)
        if (live.status === 'cancelled') return
        this.fail(live, toHttpError(err))
        this.pump()
      },
    })
    return upload
  }

  private fail(item: UploadItem, err: unknown): void {
    item.status = 'error'
    item.error = err
    this.settle(item)
  }

  private settle(item: UploadItem): void {
    const batch = this.batches.get(item.batch)
    if (!batch || !batch.remaining.delete(item.id) || batch.remaining.size > 0) return
    const all = this.items.filter((i) => i.batch === item.batch)
    const result: BatchResult = {
      batch: item.batch,
      target: batch.target,
      done: all.filter((i) => i.status === 'done'),
      failed: all.filter((i) => i.status === 'error'),
      folders: batch.folders,
    }
    for (const l of Array.from(this.listeners)) l(result)
  }

  private resumeAfterNetworkError(): void {
    for (const item of this.items) {
      if (item.status === 'error' && item.error instanceof HttpError && item.error.status === 0) this.retry(item.id)
    }
  }
}

/** tus-js-client's error as an HttpError (status 0 when no response came). */
export function toHttpError(err: Error | DetailedError): HttpError {
  const detailed = err as DetailedError
  const response = detailed.originalResponse
  const request = detailed.originalRequest
  const status = response?.getStatus() ?? 0
  let message = ''
  if (response) {
    const body = (response.getBody() ?? '').trim()
    const m = /<(?:[a-z]+:)?message[^>]*>([\s\S]*?)</i.exec(body)
    message = m ? m[1].trim() : body.length <= 200 ? body : ''
  }
  return new HttpError(status, message, request?.getMethod() ?? '', request?.getURL() ?? '')
}
