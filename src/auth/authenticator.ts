import { createHash } from 'node:crypto'
import type { Principal } from '../domain/principal.js'
import { AuthenticationError } from '../domain/errors.js'
import type { CredentialCache } from './credential-cache.js'
import type { ApiKeyVerifier } from './api-keys/api-key-verifier.js'
import { looksLikeApiKey } from './api-keys/api-key-format.js'

/**
 * Request → Principal. The credential kind is recognised by its shape; each
 * kind's verifier owns its checks. A verified credential is cached by a hash of
 * the whole credential until it expires or a revocation signal clears the cache.
 */
export class Authenticator {
  readonly #cache: CredentialCache
  readonly #apiKeys: ApiKeyVerifier

  constructor(cache: CredentialCache, apiKeys: ApiKeyVerifier) {
    this.#cache = cache
    this.#apiKeys = apiKeys
  }

  /** Throws `AuthenticationError` with a SPEC §4.4 code. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<Principal> {
    const credential = bearerCredential(authorization)
    const hash = createHash('sha256').update(credential).digest('base64url')
    const cached = this.#cache.get(hash, now)
    if (cached !== undefined) return cached

    const generation = this.#cache.generation
    if (!looksLikeApiKey(credential)) {
      throw new AuthenticationError('AUTH_INVALID', { detail: 'unrecognised credential format' })
    }
    const verified = await this.#apiKeys.verify(credential, now)
    this.#cache.set(hash, verified.principal, verified.cacheUntil, generation)
    return verified.principal
  }
}

/** RFC 6750 §2.1: `Bearer <token68>`, scheme case-insensitive. */
export function bearerCredential(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') throw new AuthenticationError('AUTH_MISSING')
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization)
  if (match === null) throw new AuthenticationError('AUTH_INVALID', { detail: 'not a Bearer authorization header' })
  return match[1] as string
}
