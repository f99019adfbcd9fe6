// Hash routes (/#/files/all/…): the server needs no knowledge of them, and private links
// (/index.php/f/<id>, redirected to /#/f/<id>) land in the app as they are.
import { createRouter, createWebHashHistory, type Router } from 'vue-router'
import { routes } from './registry'
import NotFound from './components/NotFound.vue'

let router: Router | null = null

export function buildRouter(): Router {
  router = createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', redirect: { name: 'files' } },
      ...routes(),
      { path: '/:pathMatch(.*)*', name: 'not-found', component: NotFound },
    ],
    scrollBehavior: () => ({ top: 0 }),
  })
  return router
}

export function useAppRouter(): Router {
  if (!router) throw new Error('router not built')
  return router
}
