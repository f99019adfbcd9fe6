// HTTP to the server with the user's bearer token. A 401 renews the token once and retries.
import { HttpError, serverMessage } from './errors'

export interface TokenSource {
  accessToken(): Promise<string>
  renew(): Promise<unknown>
}

export interface RequestOptions {
  headers?: Record<string, string>
  body?: BodyInit | null
  /** statuses that are not errors (default: 2xx) */
  accept?: (status: number) => boolean
  signal?: AbortSignal
}

export class ApiClient {
  constructor(
    readonly server: string,
    private readonly tokens: TokenSource,
  ) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : this.server + path
    const send = async (): Promise<Response> => {
      const token = await this.tokens.accessToken()
      return fetch(url, {
        method,
        headers: { Authorization: `Bearer ${token}`, 'X-Requested-With': 'XMLHttpRequest', ...opts.headers },
        body: opts.body ?? null,
        signal: opts.signal,
        credentials: 'omit',
        cache: 'no-store',
      })
    }
    let response: Response
    try {
      response = await send()
      if (response.status === 401) {
        await this.tokens.renew()
        response = await send()
      }
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err
      if (err instanceof HttpError) throw err
      throw new HttpError(0, err instanceof Error ? err.message : String(err), method, url)
    }
    const ok = opts.accept ? opts.accept(response.status) : response.ok
    if (!ok) {
      const body = await response.text().catch(() => '')
      throw new HttpError(response.status, serverMessage(body, response.headers.get('content-type')), method, url)
    }
    return response
  }

  async json<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const r = await this.request(method, path, opts)
    return (await r.json()) as T
  }
}
