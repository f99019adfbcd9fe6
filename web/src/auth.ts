// Signing in through the server's OpenID provider with oidc-client-ts: authorization code + PKCE,
// tokens kept per browser tab (sessionStorage), renewed with the refresh token a minute before the
// access token expires (so a long upload keeps a valid token for every request), logout through the
// provider's end-session endpoint.
import { shallowRef } from 'vue'
import { User, UserManager, WebStorageStateStore } from 'oidc-client-ts'
import type { WebConfig } from './config'

export const CALLBACK_PATH = '/oidc-callback.html'
export const SILENT_PATH = '/oidc-silent-redirect.html'
const LOGGED_OUT_FLAG = 'ocis.loggedOut'

export function createUserManager(config: WebConfig): UserManager {
  const base = config.server
  const oidc = config.openIdConnect
  return new UserManager({
    authority: oidc.authority,
    metadataUrl: oidc.metadata_url,
    client_id: oidc.client_id,
    response_type: oidc.response_type,
    scope: oidc.scope,
    redirect_uri: base + CALLBACK_PATH,
    silent_redirect_uri: base + SILENT_PATH,
    post_logout_redirect_uri: base + '/',
    automaticSilentRenew: true,
    accessTokenExpiringNotificationTimeInSeconds: 60,
    loadUserInfo: false,
    monitorSession: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  })
}

export interface SignInState {
  returnTo: string
}

export class Auth {
  readonly user = shallowRef<User | null>(null)
  /** Called when the session is lost for good (renewal failed): the app sends the user to sign in. */
  onSessionLost: ((reason: unknown) => void) | null = null
  private renewing: Promise<User | null> | null = null

  constructor(readonly manager: UserManager) {
    manager.events.addUserLoaded((u) => {
      this.user.value = u
    })
    manager.events.addUserUnloaded(() => {
      this.user.value = null
    })
    manager.events.addSilentRenewError((err) => {
      // the automatic renewal failed; try once more when the token is needed, then give up
      console.warn('token renewal failed:', err.message)
    })
    manager.events.addAccessTokenExpired(() => {
      void this.renew().then((u) => {
        if (!u) this.onSessionLost?.(new Error('access token expired'))
      })
    })
  }

  /** The signed-in user, renewing an expired access token with the refresh token. Null: sign in needed. */
  async restore(): Promise<User | null> {
    const user = await this.manager.getUser()
    if (user && !user.expired) {
      this.user.value = user
      return user
    }
    if (user?.refresh_token) return this.renew()
    return null
  }

  /** One renewal at a time; concurrent callers share it. Resolves to null when it failed. */
  renew(): Promise<User | null> {
    if (!this.renewing) {
      this.renewing = this.manager
        .signinSilent()
        .then((u) => {
          this.user.value = u
          return u
        })
        .catch(() => null)
        .finally(() => {
          this.renewing = null
        })
    }
    return this.renewing
  }

  /** A valid access token (renewed if it is about to expire). Throws when the session is gone. */
  async accessToken(): Promise<string> {
    let user = this.user.value
    if (!user || user.expired || (user.expires_in !== undefined && user.expires_in < 5)) {
      user = await this.renew()
    }
    if (!user) {
      this.onSessionLost?.(new Error('not signed in'))
      throw new Error('not signed in')
    }
    return user.access_token
  }

  /** ``uiLocales``: the UI language, so the sign-in page speaks it too (OIDC ``ui_locales``). */
  login(returnTo: string, uiLocales?: string): Promise<void> {
    return this.manager.signinRedirect({
      state: { returnTo } satisfies SignInState,
      ...(uiLocales ? { ui_locales: uiLocales } : {}),
    })
  }

  /** On the callback page: finish the code flow; returns where the user wanted to go. */
  async completeLogin(): Promise<string> {
    const user = await this.manager.signinRedirectCallback()
    const state = user.state as SignInState | undefined
    return state?.returnTo || '/'
  }

  async logout(): Promise<void> {
    window.sessionStorage.setItem(LOGGED_OUT_FLAG, '1')
    const user = this.user.value
    if (!user) {
      await this.manager.removeUser()
      window.location.assign('/')
      return
    }
    await this.manager.signoutRedirect({ id_token_hint: user.id_token })
  }

  /** True once after a logout round trip (the app then shows "signed out" instead of signing in again). */
  static consumeLoggedOut(): boolean {
    const flag = window.sessionStorage.getItem(LOGGED_OUT_FLAG) === '1'
    window.sessionStorage.removeItem(LOGGED_OUT_FLAG)
    return flag
  }
}
