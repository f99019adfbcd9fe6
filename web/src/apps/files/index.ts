// The files app: all files, favorites, search, the sharing views, deleted files, private links.
import { registerApp } from '../../registry'
import { fileActions } from './actions'
import FavoritesView from './views/FavoritesView.vue'
import FilesView from './views/FilesView.vue'
import PrivateLinkView from './views/PrivateLinkView.vue'
import SearchView from './views/SearchView.vue'
import SharedView from './views/SharedView.vue'
import TrashView from './views/TrashView.vue'

export function registerFilesApp(): void {
  registerApp({
    id: 'files',
    routes: [
      { path: '/files/all/:path(.*)*', name: 'files', component: FilesView, meta: { nav: 'all-files' } },
      { path: '/files/favorites', name: 'favorites', component: FavoritesView, meta: { nav: 'favorites' } },
      { path: '/files/search', name: 'search', component: SearchView },
      { path: '/files/shared-with-me', name: 'shared-with-me', component: SharedView, props: { kind: 'with-me' }, meta: { nav: 'shared-with-me' } },
      { path: '/files/shared-with-others', name: 'shared-with-others', component: SharedView, props: { kind: 'with-others' }, meta: { nav: 'shared-with-others' } },
      { path: '/files/trash', name: 'trash', component: TrashView, meta: { nav: 'deleted-files' } },
      { path: '/f/:fileId', name: 'private-link', component: PrivateLinkView, meta: { nav: 'all-files' } },
    ],
    navItems: [
      { id: 'all-files', label: 'nav.allFiles', icon: 'folder', route: 'files', order: 10 },
      { id: 'favorites', label: 'nav.favorites', icon: 'star', route: 'favorites', order: 20 },
      { id: 'shared-with-me', label: 'nav.sharedWithMe', icon: 'inbox', route: 'shared-with-me', order: 30 },
      { id: 'shared-with-others', label: 'nav.sharedWithOthers', icon: 'share', route: 'shared-with-others', order: 40 },
      { id: 'deleted-files', label: 'nav.deletedFiles', icon: 'trash', route: 'trash', order: 50 },
    ],
    fileActions,
  })
}
