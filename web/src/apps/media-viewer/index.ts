// The media viewer app: images and videos full screen, with previous/next through the folder.
import type { Resource } from '../../api/dav'
import { segments } from '../../lib/paths'
import { registerApp } from '../../registry'
import { useAppRouter } from '../../router'

export function isMedia(r: Resource): boolean {
  return !r.isFolder && (r.mimeType.startsWith('image/') || r.mimeType.startsWith('video/'))
}

export function registerMediaViewer(): void {
  registerApp({
    id: 'media-viewer',
    routes: [
      {
        path: '/media/:path(.*)*',
        name: 'media',
        component: () => import('./MediaViewer.vue'),
        meta: { nav: 'all-files' },
      },
    ],
    fileActions: [
      {
        id: 'view-media',
        primary: true,
        label: () => 'action.view',
        icon: 'eye',
        order: 5,
        isDefault: true,
        isEnabled: (ctx) => ctx.resources.length === 1 && isMedia(ctx.resources[0]),
        run: (ctx) => {
          const r = ctx.resources[0]
          void useAppRouter().push({ name: 'media', params: { path: segments(r.path) }, query: { from: ctx.view } })
        },
      },
    ],
  })
}
