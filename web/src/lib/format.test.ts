import { describe, expect, it } from 'vitest'
import { formatRelative, formatSize, initials, percent } from './format'

describe('format', () => {
  it('formats sizes in decimal units', () => {
    expect(formatSize(0)).toBe('0 B')
    expect(formatSize(999)).toBe('999 B')
    expect(formatSize(1500)).toBe('1.5 KB')
    expect(formatSize(123_456_789)).toBe('123 MB')
    expect(formatSize(1500, 'de')).toBe('1,5 KB')
    expect(formatSize(-1)).toBe('–')
  })

  it('formats relative dates', () => {
    const now = new Date('2026-01-10T12:00:00Z')
    expect(formatRelative(new Date('2026-01-10T11:59:50Z'), 'en', now)).toBe('now')
    expect(formatRelative(new Date('2026-01-10T11:55:00Z'), 'en', now)).toBe('5 minutes ago')
    expect(formatRelative(new Date('2026-01-09T12:00:00Z'), 'en', now)).toBe('yesterday')
    expect(formatRelative(new Date('2026-01-09T12:00:00Z'), 'de', now)).toBe('gestern')
    expect(formatRelative(null)).toBe('–')
  })

  it('makes initials', () => {
    expect(initials('Albert Einstein')).toBe('AE')
    expect(initials('Marie Skłodowska Curie')).toBe('MC')
    expect(initials('einstein')).toBe('EI')
    expect(initials('  ')).toBe('?')
  })

  it('computes percentages', () => {
    expect(percent(5, 10)).toBe(50)
    expect(percent(0, 0)).toBe(0)
    expect(percent(11, 10)).toBe(100)
  })
})
