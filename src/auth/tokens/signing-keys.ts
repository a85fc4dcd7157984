import { SignJWT, errors, exportJWK, generateKeyPair, importJWK, jwtVerify } from 'jose'
import type { CryptoKey, JWK, JWTHeaderParameters, JWTPayload } from 'jose'
import { AuthenticationError, GatehouseError } from '../../domain/errors.js'
import { randomBase62 } from '../../domain/ids.js'
import type { SigningKeyRepository, SigningKeyRow } from '../../store/repositories/signing-key-repository.js'
import { MAX_TOKEN_LIFETIME_S } from './token-types.js'
import type { TokenType } from './token-types.js'

export const SIGNING_ALG = 'ES256'

/** How long an instance may go on using its view of the keys before it reads them again. */
const REFRESH_MS = 60_000

/**
 * A retired key stays published until the last token it could have signed has
 * expired: the longest token lifetime, plus the time another instance may take
 * to notice the rotation and stop signing with it.
 */
export const RETIRED_KEY_PUBLISHED_MS = MAX_TOKEN_LIFETIME_S * 1000 + REFRESH_MS

/** Clock skew allowed between the instance that signed a token and the one that verifies it. */
const CLOCK_TOLERANCE_S = 5

export interface SigningKeysOptions {
  /** `server.public_url`: the `iss` of every token. */
  readonly issuer: string
  /** The MCP resource (`public_url + "/mcp"`): the default `aud`. */
  readonly audience: string
  /**
   * Least time between two reloads triggered by an unknown `kid`, so forged kids
   * cannot turn every request into a store read.
   */
  readonly reloadIntervalMs?: number
}

export interface SignOptions {
  readonly typ: TokenType
  /** Epoch ms; at most `MAX_TOKEN_LIFETIME_S` after `now`. */
  readonly expiresAt: number
  readonly audience?: string
  readonly now?: number
}

export interface VerifyOptions {
  readonly typ: TokenType
  readonly audience?: string
  readonly now?: number
}

export type PublicJwk = JWK & { readonly kid: string; readonly alg: typeof SIGNING_ALG; readonly use: 'sig' }

export interface SigningKeyView {
  readonly kid: string
  readonly alg: typeof SIGNING_ALG
  /** `retired`: still published for tokens it signed; `expired`: no longer published, deleted at the next rotation. */
  readonly status: 'current' | 'retired' | 'expired'
  readonly createdAt: number
  readonly retiredAt: number | null
  /** Epoch ms until which the key is published; null while it is current. */
  readonly publishedUntil: number | null
}

interface StoredKey {
  readonly kid: string
  readonly publicJwk: PublicJwk
  readonly createdAt: number
  readonly retiredAt: number | null
}

interface KeySet {
  readonly loadedAt: number
  readonly keys: ReadonlyMap<string, StoredKey>
  readonly current: { readonly kid: string; readonly privateKey: CryptoKey } | undefined
}

function isPublished(key: StoredKey, now: number): boolean {
  return key.retiredAt === null || key.retiredAt + RETIRED_KEY_PUBLISHED_MS > now
}

function view(key: StoredKey, now: number): SigningKeyView {
  const publishedUntil = key.retiredAt === null ? null : key.retiredAt + RETIRED_KEY_PUBLISHED_MS
  return {
    kid: key.kid,
    alg: SIGNING_ALG,
    status: key.retiredAt === null ? 'current' : isPublished(key, now) ? 'retired' : 'expired',
    createdAt: key.createdAt,
    retiredAt: key.retiredAt,
    publishedUntil,
  }
}

/**
 * The ES256 keys of every JWT Gatehouse issues, shared by all instances
 * through the store. The current key is created on first use; `rotate()` makes
 * a new one current and keeps the old one published until its tokens have
 * expired. Private keys never leave this class: they are imported as
 * non-extractable keys, and no error, view or log line carries key material.
 */
export class SigningKeys {
  readonly #repository: SigningKeyRepository
  readonly #issuer: string
  readonly #audience: string
  readonly #reloadIntervalMs: number
  /** Imported keys by kid (a kid's key never changes), so a reload imports only new keys. */
  readonly #publicKeys = new Map<string, Promise<CryptoKey>>()
  #keySet: KeySet | undefined
  #loading: Promise<KeySet> | undefined
  #lastKidReload = Number.NEGATIVE_INFINITY

  constructor(repository: SigningKeyRepository, options: SigningKeysOptions) {
    this.#repository = repository
    this.#issuer = options.issuer
    this.#audience = options.audience
    this.#reloadIntervalMs = options.reloadIntervalMs ?? 1000
  }

  get issuer(): string {
    return this.#issuer
  }

  get audience(): string {
    return this.#audience
  }

  async sign(claims: JWTPayload, options: SignOptions): Promise<string> {
    const now = options.now ?? Date.now()
    const issuedAt = Math.floor(now / 1000)
    const expiresAt = Math.floor(options.expiresAt / 1000)
    if (expiresAt <= issuedAt || expiresAt - issuedAt > MAX_TOKEN_LIFETIME_S) {
      throw new GatehouseError('INTERNAL', 'A token lifetime is out of range', {
        detail: `lifetime ${expiresAt - issuedAt} s, at most ${MAX_TOKEN_LIFETIME_S} s`,
      })
    }
    const current = await this.#current()
    return new SignJWT(claims)
      .setProtectedHeader({ alg: SIGNING_ALG, kid: current.kid, typ: options.typ })
      .setIssuer(this.#issuer)
      .setAudience(options.audience ?? this.#audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(current.privateKey)
  }

  /**
   * Verifies signature (ES256 only, by a published `kid`), then `typ`, issuer,
   * audience and times. Throws `AUTH_EXPIRED` for an expired token and
   * `AUTH_INVALID` for anything else; the detail names the failed check only.
   */
  async verify(token: string, options: VerifyOptions): Promise<JWTPayload> {
    const now = options.now ?? Date.now()
    try {
      const { payload } = await jwtVerify(token, (header) => this.#verificationKey(header, now), {
        algorithms: [SIGNING_ALG],
        typ: options.typ,
        issuer: this.#issuer,
        audience: options.audience ?? this.#audience,
        currentDate: new Date(now),
        requiredClaims: ['iat', 'exp'],
        maxTokenAge: MAX_TOKEN_LIFETIME_S,
        clockTolerance: CLOCK_TOLERANCE_S,
      })
      return payload
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw new AuthenticationError('AUTH_EXPIRED', { detail: 'token expired' })
      if (error instanceof errors.JOSEError) {
        const claim = error instanceof errors.JWTClaimValidationFailed ? ` (${error.claim})` : ''
        throw new AuthenticationError('AUTH_INVALID', { detail: `token refused: ${error.code}${claim}` })
      }
      throw error
    }
  }

  /** The kid new tokens are signed with (creating the first key if there is none). */
  async currentKid(): Promise<string> {
    return (await this.#current()).kid
  }

  /**
   * The current private key as a JWK, for the OAuth authorization server
   * (oidc-provider signs access and ID tokens itself). Only that module calls
   * this; the JWK must not be logged or kept anywhere else.
   */
  async currentPrivateJwk(): Promise<JWK & { kid: string }> {
    const kid = await this.currentKid()
    const row = (await this.#repository.list()).find((r) => r.kid === kid)
    if (row === undefined) throw new GatehouseError('INTERNAL', 'The current signing key was not found')
    return { ...(JSON.parse(row.private_jwk) as JWK), kid }
  }

  /** The JWKS document: the current key and the retired keys still published; public parts only. */
  async jwks(now = Date.now()): Promise<{ keys: PublicJwk[] }> {
    const keySet = await this.#fresh()
    return { keys: [...keySet.keys.values()].filter((k) => isPublished(k, now)).map((k) => k.publicJwk) }
  }

  async list(now = Date.now()): Promise<SigningKeyView[]> {
    const keySet = await this.#reload()
    return [...keySet.keys.values()].map((k) => view(k, now))
  }

  /**
   * Makes a new key current and retires the old one (still published until
   * its tokens have expired); keys past that are deleted with their private parts.
   */
  async rotate(now = Date.now()): Promise<SigningKeyView> {
    const row = await newKeyRow(now)
    await this.#repository.rotate(row, now - RETIRED_KEY_PUBLISHED_MS)
    const keySet = await this.#reload()
    const current = keySet.keys.get(row.kid)
    if (current === undefined) throw new GatehouseError('INTERNAL', 'The new signing key was not stored')
    return view(current, now)
  }

  /** The key to sign with; the first use ever creates it (one instance wins if several try at once). */
  async #current(): Promise<NonNullable<KeySet['current']>> {
    let keySet = await this.#fresh()
    if (keySet.current === undefined) {
      await this.#repository.insertFirst(await newKeyRow(Date.now()))
      keySet = await this.#reload()
    }
    if (keySet.current === undefined) throw new GatehouseError('INTERNAL', 'No signing key is available')
    return keySet.current
  }

  async #verificationKey(header: JWTHeaderParameters, now: number): Promise<CryptoKey> {
    const kid = header.kid
    if (typeof kid !== 'string') throw new errors.JWKSNoMatchingKey('the token names no kid')
    let keySet = await this.#fresh()
    // A kid this process has not seen may be a key another instance just made current.
    if (!keySet.keys.has(kid) && Date.now() - this.#lastKidReload >= this.#reloadIntervalMs) {
      this.#lastKidReload = Date.now()
      keySet = await this.#reload()
    }
    const key = keySet.keys.get(kid)
    if (key === undefined || !isPublished(key, now)) throw new errors.JWKSNoMatchingKey('the kid is not published')
    let imported = this.#publicKeys.get(kid)
    if (imported === undefined) {
      imported = importJWK(key.publicJwk, SIGNING_ALG) as Promise<CryptoKey>
      this.#publicKeys.set(kid, imported)
    }
    return imported
  }

  async #fresh(): Promise<KeySet> {
    const keySet = this.#keySet
    return keySet !== undefined && Date.now() - keySet.loadedAt < REFRESH_MS ? keySet : this.#reload()
  }

  /** One read of the store at a time; callers that arrive meanwhile share it. */
  #reload(): Promise<KeySet> {
    this.#loading ??= this.#load().finally(() => (this.#loading = undefined))
    return this.#loading
  }

  async #load(): Promise<KeySet> {
    const rows = await this.#repository.list()
    const keys = new Map<string, StoredKey>()
    for (const row of rows) {
      keys.set(row.kid, {
        kid: row.kid,
        publicJwk: JSON.parse(row.public_jwk) as PublicJwk,
        createdAt: Number(row.created_at),
        retiredAt: row.retired_at === null ? null : Number(row.retired_at),
      })
    }
    const currentRow = rows.find((r) => r.retired_at === null)
    let current = this.#keySet?.current
    if (currentRow === undefined) current = undefined
    else if (current?.kid !== currentRow.kid) {
      const privateKey = (await importJWK(JSON.parse(currentRow.private_jwk) as JWK, SIGNING_ALG, {
        extractable: false,
      })) as CryptoKey
      current = { kid: currentRow.kid, privateKey }
    }
    this.#keySet = { loadedAt: Date.now(), keys, current }
    return this.#keySet
  }
}

async function newKeyRow(now: number): Promise<SigningKeyRow> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
  const kid = `sk_${randomBase62(16)}`
  const meta = { kid, alg: SIGNING_ALG, use: 'sig' } as const
  return {
    kid,
    alg: SIGNING_ALG,
    public_jwk: JSON.stringify({ ...(await exportJWK(publicKey)), ...meta }),
    private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }),
    created_at: now,
    retired_at: null,
  }
}
