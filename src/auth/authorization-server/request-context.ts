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

interface Disableable {
  disable(): void
}

/**
 * On Node 20 and 22 an AsyncLocalStorage in use turns on async hooks for the
 * whole process, which makes every promise on the `/mcp` hot path slower
 * (measured: about a fifth of the throughput). oidc-provider runs each of its
 * requests in one, as does Gatehouse's context above. Both are disabled again
 * whenever no authorization-server request is in flight, so the cost is paid
 * only while OAuth traffic is being served. A later `run()` enables them again.
 */
export class AsyncContextGate {
  readonly #storages: readonly Disableable[]
  #inFlight = 0

  constructor(storages: readonly Disableable[]) {
    this.#storages = storages
  }

  async around<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight += 1
    try {
      return await work()
    } finally {
      this.#inFlight -= 1
      if (this.#inFlight === 0) for (const storage of this.#storages) storage.disable()
    }
  }
}
