import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * What Gatehouse knows of the HTTP request an oidc-provider call serves, kept
 * for the adapter and event handlers that oidc-provider calls without it: the
 * source address (proxy-aware), the user agent, a registration's fingerprint,
 * and why a grant is being revoked when the adapter is the one that knows.
 */
export interface OAuthRequestContext {
  readonly ip: string
  readonly userAgent?: string
  /** Set on a dynamic registration of a public client: identical ones from one source share it. */
  readonly registrationFingerprint?: string
  revokeReason?: 'refresh_token_reuse' | 'code_replay'
}

export const oauthRequestContext = new AsyncLocalStorage<OAuthRequestContext>()
