// oidc-callback.html: finish the sign-in (code -> tokens), then go back into the app where the user was.
import './styles/callback.css'
import { Auth, createUserManager } from './auth'
import { loadConfig } from './config'

async function run(): Promise<void> {
  const config = await loadConfig()
  const auth = new Auth(createUserManager(config))
  const returnTo = await auth.completeLogin()
  window.location.replace('/#' + (returnTo.startsWith('/') ? returnTo : '/' + returnTo))
}

run().catch((err: unknown) => {
  const status = document.getElementById('status')
  if (status) {
    status.setAttribute('role', 'alert')
    status.textContent = ''
    const p = document.createElement('p')
    p.textContent = `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`
    const a = document.createElement('a')
    a.href = '/'
    a.textContent = 'Try again'
    status.append(p, a)
  }
})
