// The extension point: every app (files, media viewer; later sharing, accounts, settings) registers its
// routes, its navigation entries and the actions it offers on files through `registerApp`.
import { computed, reactive } from 'vue'
import type { RouteRecordRaw } from 'vue-router'
import type { Resource } from './api/dav'
import type { IconName } from './components/icons'
import type { MessageKey } from './i18n'

export interface NavItem {
  id: string
  /** i18n key of the label */
  label: MessageKey
  icon: IconName
  /** route name to go to */
  route: string
  order: number
}

/** Where a file action is invoked and on what. */
export interface ActionContext {
  resources: Resource[]
  /** the folder being shown ("" in flat lists such as favorites or search) */
  folder: string
  /** e.g. "files", "favorites", "search" */
  view: string
  /** names in the folder shown (name checks before a rename) */
  siblingNames?: Set<string>
  /** open the details sidebar on a panel */
  showDetails?: (resource: Resource, panel?: 'info' | 'versions') => void
}

export interface FileAction {
  id: string
  label: (ctx: ActionContext) => MessageKey
  icon: IconName | ((ctx: ActionContext) => IconName)
  /** lower first */
  order: number
  /** works on several resources at once (batch bar) */
  multi?: boolean
  /** the action a click on the name runs (the first enabled default wins) */
  isDefault?: boolean
  /** shown in red, after a separator */
  danger?: boolean
  /** a button of its own in the selection bar (the others are under "More") */
  primary?: boolean
  isEnabled: (ctx: ActionContext) => boolean
  run: (ctx: ActionContext) => void | Promise<void>
}

export interface AppDefinition {
  id: string
  routes?: RouteRecordRaw[]
  navItems?: NavItem[]
  fileActions?: FileAction[]
}

const apps = reactive<AppDefinition[]>([])

export function registerApp(app: AppDefinition): void {
  if (apps.some((a) => a.id === app.id)) throw new Error(`app ${app.id} is registered twice`)
  apps.push(app)
}

export function registeredApps(): readonly AppDefinition[] {
  return apps
}

export const navItems = computed<NavItem[]>(() =>
  apps.flatMap((a) => a.navItems ?? []).sort((x, y) => x.order - y.order),
)

export function routes(): RouteRecordRaw[] {
  return apps.flatMap((a) => a.routes ?? [])
}

/** The actions that apply to `ctx`, in order. */
export function actionsFor(ctx: ActionContext): FileAction[] {
  if (ctx.resources.length === 0) return []
  return apps
    .flatMap((a) => a.fileActions ?? [])
    .filter((action) => (ctx.resources.length === 1 || action.multi) && action.isEnabled(ctx))
    .sort((a, b) => a.order - b.order)
}

export function defaultAction(ctx: ActionContext): FileAction | undefined {
  return actionsFor(ctx).find((a) => a.isDefault)
}

/** For tests: start from an empty registry. */
export function resetRegistry(): void {
  apps.splice(0, apps.length)
}
