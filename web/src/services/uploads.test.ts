import { describe, expect, it } from 'vitest'
import { foldersFor, shouldRetry, toHttpError } from './uploads'

const file = (name: string) => new File(['x'], name)

describe('uploads', () => {
  it('lists the folders a folder upload needs, parents first', () => {
    const entries = [
      { file: file('a.jpg'), relativePath: 'Photos/2020/a.jpg' },
      { file: file('b.jpg'), relativePath: 'Photos/b.jpg' },
      { file: file('c.txt'), relativePath: 'c.txt' },
      { file: file('d.txt'), relativePath: 'Photos/2021/x/d.txt' },
    ]
    expect(foldersFor(entries, '/Docs')).toEqual(['/Docs/Photos', '/Docs/Photos/2020', '/Docs/Photos/2021', '/Docs/Photos/2021/x'])
    expect(foldersFor([{ file: file('c.txt'), relativePath: 'c.txt' }], '/')).toEqual([])
  })

  it('retries network drops and server trouble, not quota or bad requests', () => {
    expect(shouldRetry(0, 'PATCH', 5)).toBe(true)
    expect(shouldRetry(502, 'PATCH', 0)).toBe(true)
    expect(shouldRetry(507, 'POST', 0)).toBe(false)
    expect(shouldRetry(413, 'PATCH', 0)).toBe(false)
    expect(shouldRetry(409, 'PATCH', 0)).toBe(true)
    expect(shouldRetry(409, 'POST', 0)).toBe(false)
    expect(shouldRetry(401, 'PATCH', 0)).toBe(true)
    expect(shouldRetry(401, 'PATCH', 2)).toBe(false)
  })

  it('turns tus errors into HTTP errors with the server message', () => {
    const err = Object.assign(new Error('tus: unexpected response'), {
      originalRequest: { getMethod: () => 'POST', getURL: () => 'https://h/remote.php/dav/files/u/' },
      originalResponse: {
        getStatus: () => 507,
        getBody: () => '<d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:message>quota exceeded</s:message></d:error>',
      },
    })
    const http = toHttpError(err as never)
    expect(http.status).toBe(507)
    expect(http.serverMessage).toBe('quota exceeded')
    expect(toHttpError(new Error('network')).status).toBe(0)
  })
})
