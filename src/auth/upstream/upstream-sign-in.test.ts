import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { providerSchema } from '../../config/auth-config-schema.js'
import type { ProviderConfig } from '../../config/config-schema.js'
import { Store } from '../../store/store.js'
import { ExternalTokenVault } from './external-token-vault.js'
import { TokenSealer } from './token-sealer.js'
import { UpstreamLoginError } from './upstream-login-error.js'
import type { UpstreamLoginFailure } from './upstream-login-error.js'
import { UpstreamSignIn } from './upstream-sign-in.js'

const T0 = 1_767_225_600_000
const SOURCE = { ip: '192.0.2.7', userAgent: 'test' }
const INTERACTION = { uid: 'uid-1', clientId: 'client-1' }

// GitHub has no discovery document: a sign-in starts without any request to the provider.
const github = providerSchema.parse({
  id: 'github',
  type: 'github',
  client_id: 'gh-client',
  authorization_endpoint: 'https://github.example.com/login/oauth/authorize',
  token_endpoint: 'https://github.example.com/login/oauth/access_token',
  api_url: 'https://github.example.com/api/v3',
})
const corp = providerSchema.parse({ id: 'corp', type: 'oidc', issuer: 'https://sso.example.com', client_id: 'x' })

describe('UpstreamSignIn', () => {
  let store: Store
  let now: number
  let audit: { type: string; data: Readonly<Record<string, unknown>> }[]
  let signIn: UpstreamSignIn

  const build = (providers: readonly ProviderConfig[]) =>
    new UpstreamSignIn(providers, {
      store,
      tokens: new ExternalTokenVault(store.userIdentities, new TokenSealer(randomBytes(32))),
      audit: { record: (event) => audit.push(event) },
      callbackUrl: (id) => `https://gatehouse.example.com/login/${id}/callback`,
      now: () => now,
    })

  beforeEach(async () => {
    store = Store.open('sqlite::memory:')
    await store.migrate()
    now = T0
    audit = []
    signIn = build([github, corp])
  })
  afterEach(async () => {
    await store.close()
  })

  async function refusal(promise: Promise<unknown>): Promise<UpstreamLoginError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(UpstreamLoginError)
    return error as UpstreamLoginError
  }

  async function begin(browser = 'browser-a'): Promise<URL> {
    const url = new URL(await signIn.begin('github', INTERACTION, browser, SOURCE))
    const callback = new URL('https://gatehouse.example.com/login/github/callback')
    callback.search = new URLSearchParams({ code: 'c0de', state: url.searchParams.get('state') ?? '' }).toString()
    return callback
  }

  it('lists the providers in config order under their names, a generic OIDC provider under its id', () => {
    expect(signIn.providers).toEqual([
      { id: 'github', label: 'GitHub' },
      { id: 'corp', label: 'corp' },
    ])
  })

  it('refuses a provider id that would be taken for the callback path', () => {
    expect(() => build([{ ...corp, id: 'callback' }])).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
  })

  it('keeps the pending sign-in under a hash of its state, never the state itself', async () => {
    const callback = await begin()
    const state = callback.searchParams.get('state') ?? ''
    const rows = await store.db.selectFrom('upstream_logins').selectAll().execute()
    expect(rows).toEqual([
      expect.objectContaining({
        stage: 'pending',
        provider: 'github',
        interaction_uid: 'uid-1',
        expires_at: T0 + 600_000,
      }),
    ])
    expect(JSON.stringify(rows)).not.toContain(state)
    expect(JSON.stringify(rows)).not.toContain('browser-a')
  })

  it.each<[string, (callback: URL) => Promise<unknown>, UpstreamLoginFailure, string]>([
    [
      'a callback without a state',
      (callback) => {
        callback.searchParams.delete('state')
        return signIn.complete('github', callback, 'browser-a', SOURCE)
      },
      'state_mismatch',
      'the callback has no state',
    ],
    [
      'a state nobody issued',
      (callback) => {
        callback.searchParams.set('state', 'forged')
        return signIn.complete('github', callback, 'browser-a', SOURCE)
      },
      'state_mismatch',
      'the callback state is unknown or already used',
    ],
    [
      'a state after ten minutes',
      (callback) => {
        now = T0 + 600_000
        return signIn.complete('github', callback, 'browser-a', SOURCE)
      },
      'state_mismatch',
      'the callback state has expired',
    ],
    [
      "another provider's callback",
      (callback) => signIn.complete('corp', callback, 'browser-a', SOURCE),
      'state_mismatch',
      'the callback state is of provider github',
    ],
    [
      'a callback without the binding cookie',
      (callback) => signIn.complete('github', callback, undefined, SOURCE),
      'state_mismatch',
      'the callback came from a browser other than the one that started the sign-in',
    ],
    [
      "another browser's binding cookie",
      (callback) => signIn.complete('github', callback, 'browser-b', SOURCE),
      'state_mismatch',
      'the callback came from a browser other than the one that started the sign-in',
    ],
    [
      'an unconfigured provider',
      (callback) => signIn.complete('nope', callback, 'browser-a', SOURCE),
      'provider_unknown',
      '',
    ],
  ])('refuses %s, and audits it', async (_name, act, reason, detail) => {
    const callback = await begin()
    const error = await refusal(act(callback))
    expect(error.reason).toBe(reason)
    expect(audit).toEqual([
      {
        type: 'auth.failed',
        data: expect.objectContaining({
          reason,
          method: 'upstream',
          ip: '192.0.2.7',
          user_agent: 'test',
          ...(detail !== '' && { detail }),
        }),
      },
    ])
  })

  it('refuses to start without the interaction of this browser', async () => {
    const error = await refusal(signIn.begin('github', undefined, 'browser-a', SOURCE))
    expect(error.reason).toBe('interaction_expired')
    expect(error.message).toMatch(/^Sign-in with github failed: the sign-in page has expired/)
    expect(await store.db.selectFrom('upstream_logins').selectAll().execute()).toEqual([])
  })

  it('refuses to redeem a completion nobody issued, naming no provider', async () => {
    const error = await refusal(signIn.redeem(INTERACTION, 'x'.repeat(43), SOURCE))
    expect(error.reason).toBe('interaction_expired')
    expect(error.message).toMatch(/^Sign-in with this provider failed/)
    expect(audit[0]?.data).toMatchObject({ reason: 'interaction_expired', provider: '' })
  })

  it('forgets abandoned sign-ins once they expire', async () => {
    await begin()
    expect(await store.upstreamLogins.purgeExpired(T0 + 599_999)).toBe(0)
    expect(await store.upstreamLogins.purgeExpired(T0 + 600_001)).toBe(1)
  })
})
