// Start-up: read /config.json, make sure the user is signed in (or send them to the IdP), learn who
// they are and what the server offers, register the apps, mount the shell.
import './styles/app.css'
import { createApp, h } from 'vue'
import { ApiClient } from './api/client'
import { Dav } from './api/dav'
import { capabilities as loadCapabilities, currentUser } from './api/ocs'
import App from './App.vue'
import { Auth, createUserManager } from './auth'
import StartPage from './components/StartPage.vue'
import { loadConfig, type WebConfig } from './config'
import { locale, setLocale, t } from './i18n'
import { buildRouter } from './router'
import { registerFilesApp } from './apps/files'
import { registerMediaViewer } from './apps/media-viewer'
import { notify } from './services/alerts'
import { setSession } from './services/session'
import { ThumbnailCache } from './services/thumbnails'
import { UploadManager } from './services/uploads'

interface StartProps {
  kind: 'redirecting' | 'signed-out' | 'error'
  detail?: string
  onLogin?: () => void
}

function showStartPage(props: StartProps): void {
  document.getElementById('app')!.replaceChildren()
  createApp({ render: () => h(StartPage, props) }).mount('#app')
}

function returnPath(): string {
  const hash = window.location.hash.replace(/^#/, '')
  return hash.startsWith('/') ? hash : '/'
}

async function start(): Promise<void> {
  setLocale(locale.value)
  let config: WebConfig
  try {
    config = await loadConfig()
  } catch (err) {
    showStartPage({ kind: 'error', detail: err instanceof Error ? err.message : String(err) })
    return
  }
  const serverOrigin = new URL(config.server).origin
  if (window.location.origin !== serverOrigin) {
    // sign-in redirects are registered for the server URL only
    window.location.replace(serverOrigin + window.location.pathname + window.location.hash)
    return
  }
  const auth = new Auth(createUserManager(config))
  if (Auth.consumeLoggedOut()) {
    window.history.replaceState(null, '', '/')
    await auth.manager.removeUser()
    showStartPage({ kind: 'signed-out', onLogin: () => void auth.login('/', locale.value) })
    return
  }
  const user = await auth.restore().catch(() => null)
  if (!user) {
    showStartPage({ kind: 'redirecting' })
    await auth.login(returnPath(), locale.value)
    return
  }
  auth.onSessionLost = () => {
    auth.onSessionLost = null
    notify('error', t('session.lost'))
    window.setTimeout(() => void auth.login(returnPath(), locale.value), 1500)
  }

  const api = new ApiClient(config.server, auth)
  let me, caps
  try {
    ;[me, caps] = await Promise.all([currentUser(api), loadCapabilities(api)])
  } catch (err) {
    showStartPage({ kind: 'error', detail: err instanceof Error ? err.message : String(err) })
    return
  }
  const dav = new Dav(api, me.id)
  setSession({
    config,
    auth,
    api,
    dav,
    user: me,
    capabilities: caps,
    uploads: new UploadManager({ dav, tokens: auth, maxChunkSize: caps.tus?.maxChunkSize ?? 0 }),
    thumbnails: new ThumbnailCache(dav),
  })
  registerFilesApp()
  if (config.apps.includes('media-viewer')) registerMediaViewer()
  const router = buildRouter()
  const app = createApp(App)
  app.use(router)
  await router.isReady().catch(() => undefined)
  document.getElementById('app')!.replaceChildren()
  app.mount('#app')
}

void start()
