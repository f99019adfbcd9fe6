// A small translation layer: flat catalogs per language, {placeholders}, one/other plurals.
// The chosen language is kept in localStorage (moves to the settings service when that exists).
import { computed, ref } from 'vue'
import { en, type Message, type MessageKey } from './en'
import { de } from './de'

export type { MessageKey }
export type Locale = 'en' | 'de'
export type Catalog = Record<MessageKey, Message>

export const catalogs: Record<Locale, Catalog> = { en, de }
export const LANGUAGES: ReadonlyArray<{ code: Locale; name: string }> = [
  { code: 'en', name: 'English' },
  { code: 'de', name: 'Deutsch' },
]
const STORAGE_KEY = 'ocis.language'

export type Params = Record<string, string | number>

export function interpolate(template: string, params: Params = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  )
}

export function translate(catalog: Catalog, key: MessageKey, params: Params = {}, locale: Locale = 'en'): string {
  const message = catalog[key] ?? en[key] ?? key
  if (typeof message === 'string') return interpolate(message, params)
  const count = Number(params.count ?? 0)
  const rule = new Intl.PluralRules(locale).select(count)
  return interpolate(rule === 'one' ? message.one : message.other, params)
}

export function detectLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored === 'en' || stored === 'de') return stored
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0]
    if (base === 'de' || base === 'en') return base
  }
  return 'en'
}

function readStored(): string | null {
  try {
    return window.localStorage.getItem(STORAGE_KEY)
  } catch {
    return null
  }
}

export const locale = ref<Locale>(
  typeof window === 'undefined' ? 'en' : detectLocale(readStored(), navigator.languages ?? [navigator.language]),
)

export function setLocale(value: Locale): void {
  locale.value = value
  try {
    window.localStorage.setItem(STORAGE_KEY, value)
  } catch {
    // private mode: the choice lasts for this page
  }
  document.documentElement.lang = value
}

export function t(key: MessageKey, params?: Params): string {
  return translate(catalogs[locale.value], key, params, locale.value)
}

export const currentLocale = computed(() => locale.value)
