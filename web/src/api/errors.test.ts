import { describe, expect, it } from 'vitest'
import { serverMessage, statusReason } from './errors'

describe('errors', () => {
  it('reads the Sabre message', () => {
    const body = '<?xml version="1.0"?><d:error xmlns:d="DAV:" xmlns:s="http://sabredav.org/ns"><s:exception>Sabre\\DAV\\Exception\\InsufficientStorage</s:exception><s:message>quota exceeded &amp; more</s:message></d:error>'
    expect(serverMessage(body, 'application/xml; charset=utf-8')).toBe('quota exceeded & more')
    expect(serverMessage('', 'text/plain')).toBe('')
    expect(serverMessage('{"ocs":{"meta":{"message":"nope"}}}', 'application/json')).toBe('nope')
    expect(serverMessage('short text', 'text/plain')).toBe('short text')
  })

  it('explains statuses', () => {
    expect(statusReason(507)).toBe('error.quota')
    expect(statusReason(0)).toBe('error.network')
    expect(statusReason(412)).toBe('error.exists')
    expect(statusReason(502)).toBe('error.server')
    expect(statusReason(418)).toBe('error.generic')
  })
})
