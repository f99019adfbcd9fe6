// oidc-silent-redirect.html: the hidden frame of a silent renewal (used when no refresh token is at hand).
import { UserManager } from 'oidc-client-ts'

void new UserManager({ authority: '', client_id: '', redirect_uri: '' }).signinSilentCallback().catch(() => {
  // the parent window times out and reports it
})
