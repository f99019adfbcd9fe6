// Sizes and dates for people, in the UI's language.

const UNITS = ['B', 'KB', 'MB', 'GB', 'TB', 'PB']

/** 1 KB = 1000 B (as the desktop and mobile apps show sizes). */
export function formatSize(bytes: number, locale = 'en'): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–'
  if (bytes < 1000) return `${bytes} B`
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000
    unit++
  }
  const digits = value < 10 ? 1 : 0
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: 0 }).format(value)} ${UNITS[unit]}`
}

export function formatDate(date: Date | null, locale = 'en'): string {
  if (!date || Number.isNaN(date.getTime())) return '–'
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(date)
}

/** "3 minutes ago", "yesterday", "in 2 days" … */
export function formatRelative(date: Date | null, locale = 'en', now: Date = new Date()): string {
  if (!date || Number.isNaN(date.getTime())) return '–'
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000)
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  const abs = Math.abs(seconds)
  if (abs < 45) return rtf.format(0, 'second')
  if (abs < 45 * 60) return rtf.format(Math.round(seconds / 60), 'minute')
  if (abs < 22 * 3600) return rtf.format(Math.round(seconds / 3600), 'hour')
  if (abs < 26 * 86400) return rtf.format(Math.round(seconds / 86400), 'day')
  if (abs < 320 * 86400) return rtf.format(Math.round(seconds / (30 * 86400)), 'month')
  return rtf.format(Math.round(seconds / (365 * 86400)), 'year')
}

/** Two letters for an avatar: "Albert Einstein" -> "AE", "einstein" -> "EI". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  if (words.length === 0) return '?'
  if (words.length === 1) return words[0].slice(0, 2).toUpperCase()
  return (words[0][0] + words[words.length - 1][0]).toUpperCase()
}

export function percent(done: number, total: number): number {
  if (total <= 0) return done > 0 ? 100 : 0
  return Math.min(100, Math.floor((done / total) * 100))
}
