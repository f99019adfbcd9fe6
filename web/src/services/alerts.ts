// Toasts for the outcome of every action: successes fade after a few seconds, failures stay until dismissed.
import { reactive } from 'vue'
import { HttpError, statusReason } from '../api/errors'
import { t, type MessageKey } from '../i18n'

export type AlertKind = 'success' | 'error' | 'info'

export interface Alert {
  id: number
  kind: AlertKind
  title: string
  detail: string
}

export const alerts = reactive<Alert[]>([])
let nextId = 1
const SUCCESS_MS = 5000
const MAX_ALERTS = 3

export function notify(kind: AlertKind, title: string, detail = ''): number {
  const id = nextId++
  alerts.push({ id, kind, title, detail })
  while (alerts.length > MAX_ALERTS) alerts.shift()
  if (kind !== 'error') window.setTimeout(() => dismiss(id), SUCCESS_MS)
  return id
}

export function dismiss(id: number): void {
  const i = alerts.findIndex((a) => a.id === id)
  if (i >= 0) alerts.splice(i, 1)
}

/** Why something failed, for people: the meaning of the status, then what the server said. */
export function describeError(err: unknown): string {
  if (err instanceof HttpError) {
    const reason = t(statusReason(err.status) as MessageKey)
    const server = err.serverMessage.trim()
    return server && err.status !== 0 ? `${reason} (${server})` : reason
  }
  if (err instanceof Error && err.message) return err.message
  return t('error.generic')
}

export function success(title: string): void {
  notify('success', title)
}

export function failure(title: string, err?: unknown): void {
  notify('error', title, err === undefined ? '' : describeError(err))
}
