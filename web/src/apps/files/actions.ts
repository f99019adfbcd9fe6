// The file actions of the files app. Each reports success or failure with an alert and announces
// the folders it changed, so the views showing them reload.
import type { Resource } from '../../api/dav'
import { basename, dirname, freeName, join, nameProblem, segments } from '../../lib/paths'
import type { ActionContext, FileAction } from '../../registry'
import { useAppRouter } from '../../router'
import { t } from '../../i18n'
import { failure, success } from '../../services/alerts'
import { copyText, saveBlob } from '../../services/browser'
import { confirm, pickFolder, prompt } from '../../services/dialogs'
import { filesChanged } from '../../services/events'
import { useSession } from '../../services/session'

const single = (ctx: ActionContext) => ctx.resources.length === 1
const first = (ctx: ActionContext) => ctx.resources[0]
const folderLabel = (path: string) => (path === '/' ? t('nav.allFiles') : basename(path))

export function openFolder(resource: Resource, select?: string): void {
  void useAppRouter().push({
    name: 'files',
    params: { path: segments(resource.path) },
    query: select ? { select } : {},
  })
}

export async function download(resource: Resource): Promise<void> {
  try {
    saveBlob(await useSession().dav.download(resource.path), resource.name)
  } catch (err) {
    failure(t('alert.downloadFailed', { name: resource.name }), err)
  }
}

export async function rename(resource: Resource, siblings: Set<string> = new Set()): Promise<void> {
  const taken = new Set(siblings)
  taken.delete(resource.name)
  const name = await prompt({
    title: t('rename.title', { name: resource.name }),
    label: t('rename.label'),
    value: resource.name,
    confirmLabel: t('dialog.save'),
    selectStem: !resource.isFolder,
    validate: (v) => nameProblem(v, taken),
  })
  if (name === null || name === resource.name) return
  const target = join(dirname(resource.path), name)
  try {
    await useSession().dav.move(resource.path, target)
    success(t('alert.renamed', { from: resource.name, to: name }))
  } catch (err) {
    failure(t('alert.renameFailed', { name: resource.name }), err)
  }
  filesChanged([resource.path])
}

export async function transfer(resources: Resource[], mode: 'move' | 'copy'): Promise<void> {
  const name = resources[0].name
  const count = resources.length
  const current = dirname(resources[0].path)
  const target = await pickFolder({
    title: t(mode === 'move' ? 'picker.moveTitle' : 'picker.copyTitle', { name, count }),
    confirmLabel: t(mode === 'move' ? 'picker.moveHere' : 'picker.copyHere'),
    start: current,
    current,
    exclude: resources.filter((r) => r.isFolder).map((r) => r.path),
  })
  if (target === null) return
  const { dav } = useSession()
  let ok = 0
  for (const r of resources) {
    try {
      if (mode === 'move') await dav.move(r.path, join(target, r.name))
      else await dav.copy(r.path, join(target, r.name))
      ok++
    } catch (err) {
      failure(t(mode === 'move' ? 'alert.moveFailed' : 'alert.copyFailed', { name: r.name }), err)
    }
  }
  if (ok > 0) {
    const key = mode === 'move' ? 'alert.moved' : 'alert.copied'
    success(t(key, { name, count: ok, target: folderLabel(target) }))
  }
  filesChanged(resources.map((r) => r.path))
  filesChanged([target], true)
}

export async function remove(resources: Resource[]): Promise<void> {
  const count = resources.length
  const yes = await confirm({
    title: t('delete.title', { name: resources[0].name, count }),
    text: t('delete.text'),
    confirmLabel: t('dialog.delete'),
    danger: true,
  })
  if (!yes) return
  const { dav } = useSession()
  let ok = 0
  for (const r of resources) {
    try {
      await dav.remove(r.path)
      ok++
    } catch (err) {
      failure(t('alert.deleteFailed', { name: r.name }), err)
    }
  }
  if (ok > 0) success(t('alert.deleted', { name: resources[0].name, count: ok }))
  filesChanged(resources.map((r) => r.path))
}

export async function toggleFavorite(resource: Resource): Promise<void> {
  const value = !resource.favorite
  try {
    await useSession().dav.setFavorite(resource.path, value)
    resource.favorite = value
    success(t(value ? 'alert.favorited' : 'alert.unfavorited', { name: resource.name }))
  } catch (err) {
    failure(t('alert.favoriteFailed', { name: resource.name }), err)
  }
}

export async function copyPrivateLink(resource: Resource): Promise<void> {
  try {
    await copyText(resource.privateLink)
    success(t('alert.linkCopied'))
  } catch (err) {
    failure(t('alert.linkCopyFailed'), err)
  }
}

export async function createFolder(parent: string, siblings: Set<string>): Promise<string | null> {
  const name = await prompt({
    title: t('newFolder.title'),
    label: t('newFolder.label'),
    value: freeName(t('newFolder.default'), siblings),
    confirmLabel: t('dialog.create'),
    validate: (v) => nameProblem(v, siblings),
  })
  if (name === null) return null
  try {
    await useSession().dav.mkdir(join(parent, name))
    success(t('alert.folderCreated', { name }))
    filesChanged([parent], true)
    return name
  } catch (err) {
    failure(t('alert.folderCreateFailed', { name }), err)
    return null
  }
}

export const fileActions: FileAction[] = [
  {
    id: 'open-folder',
    primary: true,
    label: () => 'action.open',
    icon: 'folder',
    order: 0,
    isDefault: true,
    isEnabled: (ctx) => single(ctx) && first(ctx).isFolder,
    run: (ctx) => openFolder(first(ctx)),
  },
  {
    id: 'download',
    primary: true,
    label: () => 'action.download',
    icon: 'download',
    order: 20,
    isDefault: true,
    isEnabled: (ctx) => single(ctx) && !first(ctx).isFolder,
    run: (ctx) => download(first(ctx)),
  },
  {
    id: 'show-in-folder',
    label: () => 'action.showInFolder',
    icon: 'folder',
    order: 25,
    isEnabled: (ctx) => single(ctx) && ctx.view !== 'files',
    run: (ctx) => openFolder({ ...first(ctx), path: dirname(first(ctx).path) }, first(ctx).name),
  },
  {
    id: 'rename',
    primary: true,
    label: () => 'action.rename',
    icon: 'edit',
    order: 30,
    isEnabled: (ctx) => single(ctx) && first(ctx).permissions.includes('N'),
    run: (ctx) => rename(first(ctx), ctx.siblingNames),
  },
  {
    id: 'move',
    primary: true,
    label: () => 'action.move',
    icon: 'folder-move',
    order: 40,
    multi: true,
    isEnabled: (ctx) => ctx.resources.every((r) => r.permissions.includes('V')),
    run: (ctx) => transfer(ctx.resources, 'move'),
  },
  {
    id: 'copy',
    primary: true,
    label: () => 'action.copy',
    icon: 'copy',
    order: 50,
    multi: true,
    isEnabled: () => true,
    run: (ctx) => transfer(ctx.resources, 'copy'),
  },
  {
    id: 'favorite',
    label: (ctx) => (first(ctx).favorite ? 'action.unfavorite' : 'action.favorite'),
    icon: 'star',
    order: 60,
    isEnabled: (ctx) => single(ctx) && useSession().capabilities.favorites,
    run: (ctx) => toggleFavorite(first(ctx)),
  },
  {
    id: 'copy-link',
    label: () => 'action.copyLink',
    icon: 'link',
    order: 70,
    isEnabled: (ctx) => single(ctx) && !!first(ctx).privateLink && useSession().capabilities.privateLinks,
    run: (ctx) => copyPrivateLink(first(ctx)),
  },
  {
    id: 'details',
    label: () => 'action.details',
    icon: 'info',
    order: 80,
    isEnabled: (ctx) => single(ctx) && !!ctx.showDetails,
    run: (ctx) => ctx.showDetails?.(first(ctx), 'info'),
  },
  {
    id: 'versions',
    label: () => 'action.versions',
    icon: 'history',
    order: 85,
    isEnabled: (ctx) => single(ctx) && !first(ctx).isFolder && !!ctx.showDetails && useSession().capabilities.versioning,
    run: (ctx) => ctx.showDetails?.(first(ctx), 'versions'),
  },
  {
    id: 'delete',
    primary: true,
    label: () => 'action.delete',
    icon: 'trash',
    order: 100,
    multi: true,
    danger: true,
    isEnabled: (ctx) => ctx.resources.every((r) => r.permissions.includes('D')),
    run: (ctx) => remove(ctx.resources),
  },
]
