// Errors of API calls, with what the server said (Sabre <s:message>, OCS meta.message, TUS body).

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly serverMessage: string,
    readonly method: string,
    readonly url: string,
  ) {
    super(serverMessage || `HTTP ${status}`)
    this.name = 'HttpError'
  }
}

/** The message inside a Sabre-style <d:error> body, or the trimmed text of a short plain body. */
export function serverMessage(body: string, contentType: string | null): string {
  const text = body.trim()
  if (!text) return ''
  if ((contentType ?? '').includes('xml') || text.startsWith('<')) {
    const m = /<(?:[a-z]+:)?message[^>]*>([\s\S]*?)<\/(?:[a-z]+:)?message>/i.exec(text)
    return m ? decodeXmlText(m[1]).trim() : ''
  }
  if ((contentType ?? '').includes('json')) {
    try {
      const doc = JSON.parse(text) as { ocs?: { meta?: { message?: string } }; message?: string }
      return doc.ocs?.meta?.message ?? doc.message ?? ''
    } catch {
      return ''
    }
  }
  return text.length <= 200 ? text : ''
}

function decodeXmlText(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
}

/** The i18n key that explains an HTTP status to a person (the server's message is shown beside it). */
export function statusReason(status: number): string {
  switch (status) {
    case 0:
      return 'error.network'
    case 401:
      return 'error.unauthorized'
    case 403:
      return 'error.forbidden'
    case 404:
      return 'error.notFound'
    case 405:
    case 412:
      return 'error.exists'
    case 409:
      return 'error.conflict'
    case 413:
      return 'error.tooLarge'
    case 423:
      return 'error.locked'
    case 507:
      return 'error.quota'
    default:
      return status >= 500 ? 'error.server' : 'error.generic'
  }
}
