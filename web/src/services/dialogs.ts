// Modal dialogs as promises: prompt for a name, confirm, resolve an upload conflict, pick a folder.
// One at a time; DialogHost.vue renders the current one.
import { shallowRef } from 'vue'

export interface PromptSpec {
  kind: 'prompt'
  title: string
  label: string
  value: string
  confirmLabel: string
  /** i18n key of the problem with the value, or null */
  validate: (value: string) => string | null
  /** select the name without its extension */
  selectStem?: boolean
}

export interface ConfirmSpec {
  kind: 'confirm'
  title: string
  text: string
  confirmLabel: string
  danger?: boolean
}

export type ConflictChoice = 'replace' | 'keepBoth' | 'skip'

export interface ConflictSpec {
  kind: 'conflict'
  title: string
  text: string
}

export interface FolderSpec {
  kind: 'folder'
  title: string
  confirmLabel: string
  start: string
  /** folders that cannot be chosen, nor entered (the items being moved) */
  exclude: string[]
  /** the folder the items are in now (choosing it does nothing) */
  current: string
}

export type DialogSpec = PromptSpec | ConfirmSpec | ConflictSpec | FolderSpec

export interface OpenDialog {
  spec: DialogSpec
  resolve: (value: unknown) => void
}

export const openDialog = shallowRef<OpenDialog | null>(null)
const queue: OpenDialog[] = []

function show<T>(spec: DialogSpec): Promise<T> {
  return new Promise<T>((resolve) => {
    const entry: OpenDialog = {
      spec,
      resolve: (value: unknown) => {
        openDialog.value = null
        resolve(value as T)
        const next = queue.shift()
        if (next) openDialog.value = next
      },
    }
    if (openDialog.value) queue.push(entry)
    else openDialog.value = entry
  })
}

export const prompt = (spec: Omit<PromptSpec, 'kind'>) => show<string | null>({ kind: 'prompt', ...spec })
export const confirm = (spec: Omit<ConfirmSpec, 'kind'>) => show<boolean>({ kind: 'confirm', ...spec })
export const askConflict = (spec: Omit<ConflictSpec, 'kind'>) => show<ConflictChoice | null>({ kind: 'conflict', ...spec })
export const pickFolder = (spec: Omit<FolderSpec, 'kind'>) => show<string | null>({ kind: 'folder', ...spec })
