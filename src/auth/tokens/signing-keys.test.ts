import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { SignJWT, UnsecuredJWT, generateKeyPair, importJWK } from 'jose'
import type { CryptoKey, JWK } from 'jose'
import { Store } from '../../store/store.js'
import { AuthenticationError, GatehouseError } from '../../domain/errors.js'
import { RETIRED_KEY_PUBLISHED_MS, SigningKeys } from './signing-keys.js'
import { MAX_TOKEN_LIFETIME_S, TOKEN_TYPES } from './token-types.js'

const ISSUER = 'https://gatehouse.example'
const AUDIENCE = `${ISSUER}/mcp`
const T0 = 1_767_225_600_000
const HOUR = 3_600_000
const project = { typ: TOKEN_TYPES.project } as const

let store: Store

beforeEach(async () => {
  store = Store.open('sqlite::memory:')
  await store.migrate()
})

afterEach(async () => {
  await store.close()
})

function keys(options: { issuer?: string; reloadIntervalMs?: number } = {}): SigningKeys {
  return new SigningKeys(store.signingKeys, {
    issuer: options.issuer ?? ISSUER,
    audience: AUDIENCE,
    ...(options.reloadIntervalMs !== undefined && { reloadIntervalMs: options.reloadIntervalMs }),
  })
}

const sign = (k: SigningKeys, now = T0, claims: Record<string, unknown> = { sub: 'usr_1', jti: 'j1' }) =>
  k.sign(claims, { ...project, expiresAt: now + HOUR, now })

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AuthenticationError)
  return (error as AuthenticationError).code
}

/** The stored private key of the current key: what a forger who stole the store would hold. */
async function storedPrivateKey(): Promise<{ kid: string; key: CryptoKey }> {
  const [row] = await store.signingKeys.list()
  if (row === undefined) throw new Error('no key')
  return { kid: row.kid, key: (await importJWK(JSON.parse(row.private_jwk) as JWK, 'ES256')) as CryptoKey }
}

function parts(token: string): [string, string, string] {
  return token.split('.') as [string, string, string]
}

describe('SigningKeys', () => {
  it('signs an ES256 token with its kid and typ, and verifies it with the issuer, audience and times', async () => {
    const k = keys()
    const token = await sign(k)
    const header = JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString()) as Record<string, unknown>
    expect(header).toMatchObject({ alg: 'ES256', typ: 'gatehouse-project+jwt' })
    expect(header.kid).toMatch(/^sk_/)
    const payload = await k.verify(token, { ...project, now: T0 + 1000 })
    expect(payload).toMatchObject({
      iss: ISSUER,
      aud: AUDIENCE,
      sub: 'usr_1',
      jti: 'j1',
      iat: T0 / 1000,
      exp: (T0 + HOUR) / 1000,
    })
  })

  it('creates the current key once, on first use, and shares it with every instance over the store', async () => {
    const a = keys()
    const b = keys()
    const [tokenA, tokenB] = await Promise.all([sign(a), sign(b)])
    expect((await store.signingKeys.list()).length).toBe(1)
    expect(await b.verify(tokenA, { ...project, now: T0 })).toMatchObject({ sub: 'usr_1' })
    expect(await a.verify(tokenB, { ...project, now: T0 })).toMatchObject({ sub: 'usr_1' })
  })

  it('publishes public parts only, with kid, alg ES256 and use sig', async () => {
    const k = keys()
    await sign(k)
    const { keys: published } = await k.jwks(T0)
    expect(published).toHaveLength(1)
    expect(published[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' })
    expect(Object.keys(published[0] as object).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'])
    expect(JSON.stringify(await k.list(T0))).not.toContain('"d"')
  })

  it('keeps a rotated key published until its last token has expired, then drops it', async () => {
    const k = keys()
    const old = await sign(k)
    const oldKid = (await k.list(T0))[0]?.kid
    const rotatedAt = T0 + 1000
    const current = await k.rotate(rotatedAt)
    expect(current.kid).not.toBe(oldKid)
    expect(current.status).toBe('current')

    const fresh = await sign(k, rotatedAt + 1000)
    expect(JSON.parse(Buffer.from(parts(fresh)[0], 'base64url').toString()).kid).toBe(current.kid)
    expect(await k.verify(old, { ...project, now: rotatedAt + 1000 })).toMatchObject({ jti: 'j1' })
    expect((await k.jwks(rotatedAt)).keys.map((j) => j.kid).sort()).toEqual([current.kid, oldKid].sort())

    const lastPublished = rotatedAt + RETIRED_KEY_PUBLISHED_MS - 1
    expect(RETIRED_KEY_PUBLISHED_MS).toBeGreaterThanOrEqual(MAX_TOKEN_LIFETIME_S * 1000)
    expect((await k.jwks(lastPublished)).keys.map((j) => j.kid)).toContain(oldKid)
    expect((await k.jwks(lastPublished + 1)).keys.map((j) => j.kid)).toEqual([current.kid])
    expect((await k.list(lastPublished + 1)).find((v) => v.kid === oldKid)?.status).toBe('expired')

    // The next rotation deletes the expired key, private part and all.
    await k.rotate(lastPublished + 2)
    expect((await store.signingKeys.list()).map((r) => r.kid)).not.toContain(oldKid)
  })

  it('picks up a key another instance made current (an unknown kid triggers a reload)', async () => {
    const a = keys()
    const b = keys()
    await sign(a)
    await b.rotate(T0)
    const token = await sign(b)
    expect(await a.verify(token, { ...project, now: T0 })).toMatchObject({ sub: 'usr_1' })
  })

  it('reloads for unknown kids at most once per interval', async () => {
    let reads = 0
    const repository = store.signingKeys
    const counting = {
      list: () => {
        reads++
        return repository.list()
      },
      insertFirst: repository.insertFirst.bind(repository),
      rotate: repository.rotate.bind(repository),
    } as unknown as typeof repository
    const k = new SigningKeys(counting, { issuer: ISSUER, audience: AUDIENCE, reloadIntervalMs: 60_000 })
    const token = await sign(k)
    const [header, payload, signature] = parts(token)
    const forgedKid = (kid: string) =>
      `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid })).toString('base64url')}.${payload}.${signature}`
    const before = reads
    for (const kid of ['sk_unknown1', 'sk_unknown2', 'sk_unknown3']) {
      expect(await refusal(k.verify(forgedKid(kid), { ...project, now: T0 }))).toBe('AUTH_INVALID')
    }
    expect(reads - before).toBe(1)
  })

  it('refuses to sign a token that would outlive the longest lifetime', async () => {
    const k = keys()
    const error = await k
      .sign({}, { ...project, expiresAt: T0 + MAX_TOKEN_LIFETIME_S * 1000 + 1000, now: T0 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(GatehouseError)
    expect((error as GatehouseError).code).toBe('INTERNAL')
  })

  const refusals: [string, (k: SigningKeys) => Promise<string>, 'AUTH_INVALID' | 'AUTH_EXPIRED'][] = [
    [
      'a token of another typ (an OAuth access token is not a project token)',
      (k) => k.sign({ sub: 'usr_1' }, { typ: TOKEN_TYPES.access, expiresAt: T0 + HOUR, now: T0 }),
      'AUTH_INVALID',
    ],
    [
      'a token for another audience',
      (k) => k.sign({}, { ...project, audience: 'https://other.example/mcp', expiresAt: T0 + HOUR, now: T0 }),
      'AUTH_INVALID',
    ],
    ['a token of another issuer', () => sign(keys({ issuer: 'https://evil.example' })), 'AUTH_INVALID'],
    [
      'a token whose payload was changed',
      async (k) => {
        const [h, , s] = parts(await sign(k))
        const payload = Buffer.from(JSON.stringify({ sub: 'usr_admin', iss: ISSUER, aud: AUDIENCE })).toString(
          'base64url',
        )
        return `${h}.${payload}.${s}`
      },
      'AUTH_INVALID',
    ],
    [
      'a token whose signature was changed',
      async (k) => {
        const [h, p, s] = parts(await sign(k))
        return `${h}.${p}.${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`
      },
      'AUTH_INVALID',
    ],
    [
      'a token signed by a key that is not published (unknown kid)',
      async () => {
        const { privateKey } = await generateKeyPair('ES256')
        return new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid: 'sk_notpublished00', typ: TOKEN_TYPES.project })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(T0 / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .sign(privateKey)
      },
      'AUTH_INVALID',
    ],
    [
      'a token with a published kid but signed by another key',
      async (k) => {
        await sign(k)
        const kid = (await k.list(T0))[0]?.kid as string
        const { privateKey } = await generateKeyPair('ES256')
        return new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid, typ: TOKEN_TYPES.project })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(T0 / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .sign(privateKey)
      },
      'AUTH_INVALID',
    ],
    [
      'a token without a kid',
      async (k) => {
        await sign(k)
        const { key } = await storedPrivateKey()
        return new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', typ: TOKEN_TYPES.project })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(T0 / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .sign(key)
      },
      'AUTH_INVALID',
    ],
    [
      'an unsecured token (alg: none)',
      async (k) => {
        await sign(k)
        const kid = (await k.list(T0))[0]?.kid as string
        const unsecured = new UnsecuredJWT({ sub: 'usr_1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(T0 / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .encode()
        const [, p] = parts(unsecured)
        const h = Buffer.from(JSON.stringify({ alg: 'none', kid, typ: TOKEN_TYPES.project })).toString('base64url')
        return `${h}.${p}.`
      },
      'AUTH_INVALID',
    ],
    [
      'an HS256 token keyed with the published public key (algorithm confusion)',
      async (k) => {
        await sign(k)
        const jwk = (await k.jwks(T0)).keys[0] as JWK & { kid: string }
        return new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', kid: jwk.kid, typ: TOKEN_TYPES.project })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(T0 / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .sign(new TextEncoder().encode(JSON.stringify(jwk)))
      },
      'AUTH_INVALID',
    ],
    [
      'a validly signed token issued longer ago than the longest lifetime',
      async (k) => {
        await sign(k)
        const { kid, key } = await storedPrivateKey()
        return new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid, typ: TOKEN_TYPES.project })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt((T0 - 2 * MAX_TOKEN_LIFETIME_S * 1000) / 1000)
          .setExpirationTime((T0 + HOUR) / 1000)
          .sign(key)
      },
      'AUTH_EXPIRED',
    ],
    ['an expired token', (k) => sign(k, T0 - 2 * HOUR), 'AUTH_EXPIRED'],
  ]

  it.each(refusals)('refuses %s', async (_, token, code) => {
    const k = keys()
    const presented = await token(k)
    expect(await refusal(k.verify(presented, { ...project, now: T0 }))).toBe(code)
  })

  it('verifies the signature before the claims: a forged expired token is invalid, not expired', async () => {
    const { privateKey } = await generateKeyPair('ES256')
    const k = keys()
    await sign(k)
    const kid = (await k.list(T0))[0]?.kid as string
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid, typ: TOKEN_TYPES.project })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt((T0 - 2 * HOUR) / 1000)
      .setExpirationTime((T0 - HOUR) / 1000)
      .sign(privateKey)
    expect(await refusal(k.verify(forged, { ...project, now: T0 }))).toBe('AUTH_INVALID')
  })

  it('keeps key material out of refusals', async () => {
    const k = keys()
    await sign(k)
    const error = (await k.verify('a.b.c', { ...project, now: T0 }).catch((e: unknown) => e)) as AuthenticationError
    const [row] = await store.signingKeys.list()
    const { d } = JSON.parse(row?.private_jwk ?? '{}') as { d: string }
    expect(`${error.message} ${error.detail}`).not.toContain(d)
    expect(error.message).toBe('Invalid token')
  })

  it('stores the public JWK without private parts', async () => {
    await sign(keys())
    const [row] = await store.signingKeys.list()
    expect(JSON.parse(row?.public_jwk ?? '{}')).not.toHaveProperty('d')
  })
})
