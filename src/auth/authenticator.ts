import { hash } from 'node:crypto'
import type { Principal } from '../domain/principal.js'
import { AuthenticationError } from '../domain/errors.js'
import type { CredentialCache } from './credential-cache.js'
import type { ApiKeyVerifier, VerifiedCredential } from './api-keys/api-key-verifier.js'
import { looksLikeApiKey } from './api-keys/api-key-format.js'
import { jwtTypeOf, looksLikeJwt } from './tokens/jwt-shape.js'

/** Verifies one kind of JWT; the authenticator picks it by the token's header `typ`. */
export interface TokenVerifier {
  verify(credential: string, now: number): Promise<VerifiedCredential>
}

/**
 * Request → Principal. The credential kind is recognised by its shape; each
 * kind's verifier owns its checks. A verified credential is cached by a hash of
 * the whole credential until it expires or a revocation signal clears the cache.
 */
export class Authenticator {
  readonly #cache: CredentialCache
  readonly #apiKeys: ApiKeyVerifier
  readonly #tokens: ReadonlyMap<string, TokenVerifier>

  /** `tokens`: a verifier per JWT `typ` (e.g. `gatehouse-project+jwt`); a JWT of any other `typ` is invalid. */
  constructor(cache: CredentialCache, apiKeys: ApiKeyVerifier, tokens: ReadonlyMap<string, TokenVerifier> = new Map()) {
    this.#cache = cache
    this.#apiKeys = apiKeys
    this.#tokens = tokens
  }

  /**
   * The principal of a credential verified earlier and still cached, without
   * waiting for anything: the common case, kept off the promise machinery.
   * Undefined when the credential must be verified (or is malformed).
   */
  cached(authorization: string | undefined, now = Date.now()): Principal | undefined {
    const credential = bearerCredentialOrUndefined(authorization)
    const principal = credential === undefined ? undefined : this.#cache.get(cacheKey(credential), now)
    if (principal !== undefined) this.#apiKeys.used(principal, now)
    return principal
  }

  /** Throws `AuthenticationError` with a SPEC §4.4 code. */
  async authenticate(authorization: string | undefined, now = Date.now()): Promise<Principal> {
    const credential = bearerCredential(authorization)
    const key = cacheKey(credential)
    const cached = this.#cache.get(key, now)
    if (cached !== undefined) {
      this.#apiKeys.used(cached, now)
      return cached
    }

    const generation = this.#cache.generation
    const verified = await this.#verify(credential, now)
    this.#cache.set(key, verified.principal, verified.cacheUntil, generation)
    return verified.principal
  }

  #verify(credential: string, now: number): Promise<VerifiedCredential> {
    if (looksLikeApiKey(credential)) return this.#apiKeys.verify(credential, now)
    if (looksLikeJwt(credential)) {
      // The unverified `typ` only picks the verifier; that verifier checks it again with the signature.
      const typ = jwtTypeOf(credential)
      const verifier = typ === undefined ? undefined : this.#tokens.get(typ)
      if (verifier !== undefined) return verifier.verify(credential, now)
      throw new AuthenticationError('AUTH_INVALID', { detail: 'a JWT of no known typ' })
    }
    throw new AuthenticationError('AUTH_INVALID', { detail: 'unrecognised credential format' })
  }
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** RFC 6750 §2.1: `Bearer <token68>`, scheme case-insensitive. */
export function bearerCredential(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') throw new AuthenticationError('AUTH_MISSING')
  const credential = bearerCredentialOrUndefined(authorization)
  if (credential === undefined) {
    throw new AuthenticationError('AUTH_INVALID', { detail: 'not a Bearer authorization header' })
  }
  return credential
}

function bearerCredentialOrUndefined(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
}

/** The cache holds a hash of the whole credential, never the credential. */
function cacheKey(credential: string): string {
  return hash('sha256', credential, 'base64url')
}
