import { describe, expect, it } from 'vitest'
import { de } from './de'
import { en } from './en'
import { detectLocale, interpolate, translate } from './index'

const placeholders = (m: unknown): string[] =>
  (typeof m === 'string' ? [m] : [(m as { one: string }).one, (m as { other: string }).other])
    .flatMap((s) => s.match(/\{\w+\}/g) ?? [])
    .filter((p) => p !== '{count}')
    .sort()

describe('i18n', () => {
  it('German has exactly the English keys, with the same kind and placeholders', () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort())
    for (const key of Object.keys(en) as Array<keyof typeof en>) {
      expect(typeof de[key], key).toBe(typeof en[key])
      expect(new Set(placeholders(de[key])), key).toEqual(new Set(placeholders(en[key])))
    }
  })

  it('labels the navigation exactly', () => {
    expect([en['nav.allFiles'], en['nav.favorites'], en['nav.sharedWithMe'], en['nav.sharedWithOthers'], en['nav.deletedFiles']])
      .toEqual(['All files', 'Favorites', 'Shared with me', 'Shared with others', 'Deleted files'])
  })

  it('interpolates and pluralizes', () => {
    expect(interpolate('Hello {name}, {missing}', { name: 'Ada' })).toBe('Hello Ada, {missing}')
    expect(translate(en, 'files.selected', { count: 1 })).toBe('1 item selected')
    expect(translate(en, 'files.selected', { count: 3 })).toBe('3 items selected')
    expect(translate(de, 'files.selected', { count: 1 }, 'de')).toBe('1 Element ausgewählt')
    expect(translate(de, 'alert.deleted', { count: 2, name: 'x' }, 'de')).toBe('2 Elemente gelöscht')
  })

  it('detects the language', () => {
    expect(detectLocale('de', ['en-US'])).toBe('de')
    expect(detectLocale(null, ['fr-FR', 'de-AT'])).toBe('de')
    expect(detectLocale(null, ['fr-FR'])).toBe('en')
    expect(detectLocale('xx', ['en-GB'])).toBe('en')
  })
})
