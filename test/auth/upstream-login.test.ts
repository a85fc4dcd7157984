import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { providerSchema } from '../../src/config/auth-config-schema.js'
import type { ProviderConfig } from '../../src/config/config-schema.js'
import { ExternalTokenVault } from '../../src/auth/upstream/external-token-vault.js'
import { linkIdentity } from '../../src/auth/upstream/link-identity.js'
import { TokenSealer } from '../../src/auth/upstream/token-sealer.js'
import type { UpstreamIdentity } from '../../src/auth/upstream/upstream-identity.js'
import { UpstreamLogin } from '../../src/auth/upstream/upstream-login.js'
import { UpstreamLoginError } from '../../src/auth/upstream/upstream-login-error.js'
import type { UpstreamLoginFailure } from '../../src/auth/upstream/upstream-login-error.js'
import { Store } from '../../src/store/store.js'
import { BACKENDS, freshStoreUrl } from '../support/test-stores.js'
import type { TestStoreUrl } from '../support/test-stores.js'
import {
  ADA,
  CORP_CLAIMS,
  OCTOCAT,
  OCTOCAT_EMAILS,
  close,
  listen,
  seenParameterNames,
  startGithubUpstream,
  startOidcUpstream,
} from '../support/upstream-servers.js'
import type { GithubUpstream, OidcUpstream } from '../support/upstream-servers.js'

const PUBLIC_URL = 'http://localhost:8000'
const callbackUrl = (providerId: string) => `${PUBLIC_URL}/login/${providerId}/callback`
/** Past 2^32 ms, so a 32-bit column or a bigint read back as text would show. */
const T0 = 1_767_225_600_123

function provider(input: Record<string, unknown>): ProviderConfig {
  return providerSchema.parse(input)
}

async function refusal(promise: Promise<unknown>): Promise<UpstreamLoginError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(UpstreamLoginError)
  return error as UpstreamLoginError
}

/** A browser's part: follows redirects by hand, keeping cookies, until one points at the callback. */
async function browseToCallback(authorizationUrl: string, callbackPrefix: string): Promise<URL> {
  const cookies = new Map<string, string>()
  let url = new URL(authorizationUrl)
  for (let hop = 0; hop < 10; hop++) {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(url, { redirect: 'manual', headers: cookie === '' ? {} : { cookie } })
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';')
      const eq = pair.indexOf('=')
      const name = pair.slice(0, eq).trim()
      const value = pair.slice(eq + 1).trim()
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) cookies.delete(name)
      else cookies.set(name, value)
    }
    const location = response.headers.get('location')
    if (location === null) throw new Error(`no redirect from ${url.pathname}: HTTP ${response.status}`)
    await response.body?.cancel()
    url = new URL(location, url)
    if (url.href.startsWith(callbackPrefix)) return url
  }
  throw new Error('too many redirects')
}

describe('upstream login through an OpenID Connect provider', () => {
  let upstream: OidcUpstream
  let login: UpstreamLogin

  beforeAll(async () => {
    upstream = await startOidcUpstream({ redirectUris: [callbackUrl('corp')] })
    const corp = provider({
      id: 'corp',
      type: 'oidc',
      issuer: upstream.issuer,
      client_id: 'gatehouse',
      client_secret: 'upstream-client-secret',
      claims: CORP_CLAIMS,
    })
    login = new UpstreamLogin([corp], { callbackUrl })
  })
  afterAll(async () => {
    await upstream?.close()
  })
  beforeEach(() => {
    upstream.seen.length = 0
    upstream.account = ADA
  })

  async function signIn() {
    const { authorizationUrl, pending } = await login.start('corp')
    const callback = await browseToCallback(authorizationUrl, callbackUrl('corp'))
    return { authorizationUrl, pending, callback }
  }

  it('signs in, mapping subject, email, groups, attributes and the role from a nested claim', async () => {
    const { pending, callback } = await signIn()
    const identity = await login.finish('corp', callback, pending)
    expect(identity).toMatchObject({
      provider: 'corp',
      subject: 'kc-7f3a9c',
      email: 'ada@example.com',
      emailVerified: true,
      name: 'Ada Lovelace',
      groups: ['analysts', 'engineering'],
      attributes: { department: 'R&D' },
      role: 'admin',
    })
    expect(identity.tokens.accessToken).toEqual(expect.any(String))
    expect(identity.tokens.expiresAt).toBeGreaterThan(Date.now())
  })

  it('gives member to an account whose roles the map does not name', async () => {
    upstream.account = {
      sub: 'kc-b0b',
      claims: { ...ADA.claims, email: 'bob@example.com', realm_access: { roles: ['offline_access'] } },
    }
    const { pending, callback } = await signIn()
    expect((await login.finish('corp', callback, pending)).role).toBe('member')
  })

  it('asks for an authorization code with PKCE S256, state and nonce, and the default scopes', async () => {
    const { authorizationUrl, pending } = await login.start('corp')
    const url = new URL(authorizationUrl)
    expect(url.origin).toBe(upstream.issuer)
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'gatehouse',
      response_type: 'code',
      redirect_uri: 'http://localhost:8000/login/corp/callback',
      scope: 'openid profile email',
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: createHash('sha256').update(pending.codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    })
  })

  it('never sends the MCP resource parameter upstream, in any request', async () => {
    const { pending, callback } = await signIn()
    await login.finish('corp', callback, pending)
    const token = upstream.seen.find((r) => r.path === '/token')
    expect(token?.body).toMatchObject({ grant_type: 'authorization_code', code_verifier: pending.codeVerifier })
    expect(upstream.seen.map((r) => r.path)).toContain('/me')
    expect(seenParameterNames(upstream.seen)).not.toContain('resource')
  })

  it('refuses a callback whose state was tampered with, before redeeming the code', async () => {
    const { pending, callback } = await signIn()
    const tampered = new URL(callback)
    tampered.searchParams.set('state', `${pending.state}x`)
    const error = await refusal(login.finish('corp', tampered, pending))
    expect(error.reason).toBe('state_mismatch')
    expect(error.message).toMatch(/^Sign-in with corp failed: .*state mismatch/)
    expect(upstream.seen.some((r) => r.path === '/token')).toBe(false)
  })

  it("refuses a callback that belongs to another sign-in's pending state (login CSRF)", async () => {
    const first = await signIn()
    const second = await login.start('corp')
    expect((await refusal(login.finish('corp', first.callback, second.pending))).reason).toBe('state_mismatch')
  })

  it('refuses an ID token whose nonce is not the pending one', async () => {
    const { pending, callback } = await signIn()
    const error = await refusal(login.finish('corp', callback, { ...pending, nonce: 'another-nonce' }))
    expect(error.reason).toBe('id_token_invalid')
  })

  it('refuses a code redeemed with the wrong PKCE verifier, without saying the code', async () => {
    const { pending, callback } = await signIn()
    const error = await refusal(login.finish('corp', callback, { ...pending, codeVerifier: 'x'.repeat(43) }))
    expect(error.reason).toBe('token_request_failed')
    expect(error.message).toBe('Sign-in with corp failed: the authorization code could not be exchanged for tokens')
    expect(`${error.message} ${error.detail}`).not.toContain(callback.searchParams.get('code'))
  })

  it('refuses a code redeemed twice', async () => {
    const { pending, callback } = await signIn()
    await login.finish('corp', callback, pending)
    expect((await refusal(login.finish('corp', callback, pending))).reason).toBe('token_request_failed')
  })

  it('refuses a callback carrying the error the provider answered, naming it', async () => {
    const { pending } = await login.start('corp')
    const callback = new URL(callbackUrl('corp'))
    callback.search = new URLSearchParams({
      error: 'access_denied',
      error_description: 'Visit evil.example to restore your account',
      state: pending.state,
    }).toString()
    const error = await refusal(login.finish('corp', callback, pending))
    expect(error.reason).toBe('upstream_error')
    expect(error.message).toBe('Sign-in with corp failed: the identity provider answered access_denied')
  })

  it('refuses an unknown provider id', async () => {
    expect((await refusal(login.start('nope'))).reason).toBe('provider_unknown')
  })

  it('says the provider cannot be reached when discovery fails, and tries again on the next sign-in', async () => {
    const probe = createServer()
    const issuer = await listen(probe)
    await close(probe)
    const down = new UpstreamLogin([provider({ id: 'down', type: 'oidc', issuer, client_id: 'x' })], { callbackUrl })
    const error = await refusal(down.start('down'))
    expect(error.reason).toBe('provider_unavailable')
    expect(error.message).toMatch(/^Sign-in with down failed: the identity provider could not be reached/)
    expect((await refusal(down.start('down'))).reason).toBe('provider_unavailable')
  })

  it('refuses an http issuer off loopback when it is built', () => {
    const remote = provider({ id: 'remote', type: 'oidc', issuer: 'http://sso.example.com', client_id: 'x' })
    expect(() => new UpstreamLogin([remote], { callbackUrl })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    )
  })
})

describe('upstream login through GitHub', () => {
  let github: GithubUpstream
  let login: UpstreamLogin

  beforeAll(async () => {
    github = await startGithubUpstream()
    const config = provider({
      id: 'github',
      type: 'github',
      client_id: 'gh-client',
      client_secret: 'gh-secret',
      authorization_endpoint: `${github.url}/login/oauth/authorize`,
      token_endpoint: `${github.url}/login/oauth/access_token`,
      api_url: github.url,
    })
    login = new UpstreamLogin([config], { callbackUrl })
  })
  afterAll(async () => {
    await github?.close()
  })
  beforeEach(() => {
    github.seen.length = 0
    github.user = OCTOCAT
    github.emails = OCTOCAT_EMAILS
    github.failTokens = false
  })

  async function signIn() {
    const { authorizationUrl, pending } = await login.start('github')
    const callback = await browseToCallback(authorizationUrl, callbackUrl('github'))
    return { authorizationUrl, pending, callback }
  }

  it('signs in with the numeric user id as subject and the verified primary email', async () => {
    const { pending, callback } = await signIn()
    const identity = await login.finish('github', callback, pending)
    expect(identity).toMatchObject({
      provider: 'github',
      subject: '583231',
      email: 'octocat@github.com',
      emailVerified: true,
      name: 'The Octocat',
      role: 'member',
      groups: [],
      tokens: { accessToken: expect.stringMatching(/^gho_/), scope: 'read:user,user:email' },
    })
    expect(pending.nonce).toBeUndefined()
  })

  it('reports an unverified primary email as not verified', async () => {
    github.emails = [{ email: 'octocat@github.com', primary: true, verified: false, visibility: 'public' }]
    const { pending, callback } = await signIn()
    const identity = await login.finish('github', callback, pending)
    expect(identity.email).toBe('octocat@github.com')
    expect(identity.emailVerified).toBe(false)
  })

  it('asks GitHub for JSON, with PKCE S256, state and the default scopes, and never a resource', async () => {
    const { pending, callback } = await signIn()
    await login.finish('github', callback, pending)
    const authorize = github.seen.find((r) => r.path === '/login/oauth/authorize')
    expect(authorize?.query).toEqual({
      client_id: 'gh-client',
      response_type: 'code',
      redirect_uri: callbackUrl('github'),
      scope: 'read:user user:email',
      state: pending.state,
      code_challenge: expect.any(String),
      code_challenge_method: 'S256',
    })
    const token = github.seen.find((r) => r.path === '/login/oauth/access_token')
    expect(token?.body).toMatchObject({ code_verifier: pending.codeVerifier, redirect_uri: callbackUrl('github') })
    expect(github.seen.map((r) => r.path)).toEqual([
      '/login/oauth/authorize',
      '/login/oauth/access_token',
      '/user',
      '/user/emails',
    ])
    expect(seenParameterNames(github.seen)).not.toContain('resource')
  })

  it("refuses GitHub's error answer at the token endpoint, without saying the code", async () => {
    github.failTokens = true
    const { pending, callback } = await signIn()
    const error = await refusal(login.finish('github', callback, pending))
    expect(error.reason).toBe('token_request_failed')
    expect(error.message).toMatch(/^Sign-in with github failed:/)
    expect(`${error.message} ${error.detail}`).not.toContain(callback.searchParams.get('code'))
  })

  it('refuses a user object without an id', async () => {
    github.user = { login: 'ghost' }
    const { pending, callback } = await signIn()
    const error = await refusal(login.finish('github', callback, pending))
    expect(error.reason).toBe('subject_missing')
    expect(error.message).toBe(
      'Sign-in with github failed: the identity provider did not say who signed in (no subject)',
    )
  })

  it('refuses a tampered state', async () => {
    const { pending, callback } = await signIn()
    callback.searchParams.set('state', 'forged')
    expect((await refusal(login.finish('github', callback, pending))).reason).toBe('state_mismatch')
    expect(github.seen.some((r) => r.path === '/login/oauth/access_token')).toBe(false)
  })

  it('builds an Atlassian authorization request with its audience and consent prompt', async () => {
    const atlassian = new UpstreamLogin([provider({ id: 'jira', type: 'atlassian', client_id: 'atl' })], {
      callbackUrl,
    })
    const { authorizationUrl, pending } = await atlassian.start('jira')
    const url = new URL(authorizationUrl)
    expect(url.origin + url.pathname).toBe('https://auth.atlassian.com/authorize')
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      audience: 'api.atlassian.com',
      prompt: 'consent',
      scope: 'read:me',
      state: pending.state,
      code_challenge_method: 'S256',
    })
  })
})

// ---------------------------------------------------------------------------------------------
// Linking and provisioning (SPEC §3.1, §4.1), on each store backend.
// ---------------------------------------------------------------------------------------------

function identity(overrides: Partial<UpstreamIdentity> = {}): UpstreamIdentity {
  return {
    provider: 'corp',
    subject: `sub-${randomBytes(6).toString('hex')}`,
    email: `user-${randomBytes(4).toString('hex')}@example.com`,
    emailVerified: true,
    name: 'Grace Hopper',
    groups: ['analysts'],
    attributes: { department: 'R&D' },
    role: 'member',
    tokens: { accessToken: `at-${randomBytes(8).toString('hex')}`, refreshToken: 'rt-1', expiresAt: T0 + 3_600_000 },
    ...overrides,
  }
}

describe.each(BACKENDS)('linking upstream identities on %s', (backend) => {
  let location: TestStoreUrl
  let store: Store
  let vault: ExternalTokenVault
  let orgName: string
  let orgId: string

  const closed = provider({ id: 'corp', type: 'oidc', issuer: 'https://sso.example.com', client_id: 'x' })
  const provisioning = () =>
    provider({
      id: 'corp',
      type: 'oidc',
      issuer: 'https://sso.example.com',
      client_id: 'x',
      provision: { org: orgName, allowed_domains: ['example.com'], allowed_groups: ['gatehouse-users'] },
    })
  const link = (p: ProviderConfig, i: UpstreamIdentity, now = T0) => linkIdentity({ store, tokens: vault }, p, i, now)

  beforeAll(async () => {
    location = await freshStoreUrl(backend)
    store = Store.open(location.url)
    await store.migrate()
    vault = new ExternalTokenVault(store.userIdentities, new TokenSealer(randomBytes(32)))
    orgName = 'acme'
    orgId = (await store.orgs.create(orgName)).id
  })
  afterAll(async () => {
    await store?.close()
    await location?.dispose()
  })

  async function refused(p: ProviderConfig, i: UpstreamIdentity): Promise<UpstreamLoginFailure> {
    return (await refusal(link(p, i))).reason
  }

  it('refuses a first sign-in when the provider does not provision', async () => {
    const error = await refusal(link(closed, identity()))
    expect(error.reason).toBe('account_not_linked')
    expect(error.message).toBe('No Gatehouse account is linked to this corp identity')
  })

  it('creates a user with one membership in the provisioning org when the verified email domain is allowed', async () => {
    const ada = identity({ role: 'admin', groups: ['analysts', 'analysts', 'eng'], name: 'Ada' })
    const linked = await link(provisioning(), ada)
    expect(linked).toEqual({ userId: expect.stringMatching(/^usr_/), created: true, orgId })
    const user = await store.users.findById(linked.userId)
    expect(user).toMatchObject({ email: ada.email, name: 'Ada', status: 'active', password_hash: null })
    const membership = await store.users.membership(orgId, linked.userId)
    expect(membership).toMatchObject({
      role: 'admin',
      groups: ['analysts', 'eng'],
      attributes: { department: 'R&D' },
      status: 'active',
    })
    expect(await store.userIdentities.listForUser(linked.userId)).toEqual([
      {
        provider: 'corp',
        subject: ada.subject,
        user_id: linked.userId,
        email: ada.email,
        created_at: T0,
        last_login_at: T0,
      },
    ])
  })

  it('creates a user when one of the mapped groups is allowed, whatever the email domain', async () => {
    const linked = await link(provisioning(), identity({ email: 'kim@partner.example', groups: ['gatehouse-users'] }))
    expect(linked.created).toBe(true)
  })

  it.each<[string, Partial<UpstreamIdentity>, UpstreamLoginFailure]>([
    ['neither the domain nor a group is allowed', { email: 'eve@evil.example', groups: ['x'] }, 'signup_not_allowed'],
    ['a subdomain of an allowed domain', { email: 'eve@mail.example.com', groups: [] }, 'signup_not_allowed'],
    ['an allowed domain whose address is not verified', { emailVerified: false, groups: [] }, 'email_unverified'],
    [
      'an allowed group without a verified email',
      { emailVerified: false, groups: ['gatehouse-users'] },
      'email_unverified',
    ],
    ['an allowed group without any email', { email: undefined, groups: ['gatehouse-users'] }, 'email_unverified'],
  ])('refuses sign-up when %s, creating nothing', async (_name, overrides, reason) => {
    const eve = identity(overrides)
    expect(await refused(provisioning(), eve)).toBe(reason)
    expect(await store.userIdentities.find('corp', eve.subject)).toBeUndefined()
    if (eve.email !== undefined) expect(await store.users.findByEmail(eve.email)).toBeUndefined()
  })

  it('signs the same identity in as the same user the second time, recording the login', async () => {
    const first = identity()
    const created = await link(provisioning(), first, T0)
    const again = await link(provisioning(), { ...first, email: 'renamed@example.com' }, T0 + 5000)
    expect(again).toEqual({ userId: created.userId, created: false })
    expect(await store.userIdentities.find('corp', first.subject)).toMatchObject({
      user_id: created.userId,
      email: 'renamed@example.com',
      created_at: T0,
      last_login_at: T0 + 5000,
    })
    // A linked identity signs in even once the provider stops provisioning.
    expect((await link(closed, first)).userId).toBe(created.userId)
  })

  it('signs in a user an administrator linked, without provisioning, and links an identity once only', async () => {
    const member = await store.users.createMember(orgId, { email: 'linus@example.com', role: 'member' })
    const linus = identity({ email: 'linus@example.com' })
    await store.userIdentities.link('corp', linus.subject, member.userId, 'linus@example.com', T0)
    expect(await link(closed, linus)).toEqual({ userId: member.userId, created: false })
    await expect(store.userIdentities.link('corp', linus.subject, member.userId, null)).rejects.toMatchObject({
      code: 'CONFLICT',
    })
  })

  it('never links to an existing user by email', async () => {
    const existing = await store.users.createMember(orgId, { email: 'grace@example.com', role: 'member' })
    const claimant = identity({ email: 'Grace@Example.com' })
    const error = await refusal(link(provisioning(), claimant))
    expect(error.reason).toBe('email_taken')
    expect(error.message).toMatch(/an administrator must link this identity/)
    expect(await store.userIdentities.listForUser(existing.userId)).toEqual([])
    expect(await store.userIdentities.find('corp', claimant.subject)).toBeUndefined()
    expect(await vault.externalTokenFor(existing.userId, 'corp')).toBeUndefined()
  })

  it('links by (provider, subject) only: the same subject at another provider is another identity', async () => {
    const shared = identity()
    await link(provisioning(), shared)
    const other = provider({ id: 'other', type: 'oidc', issuer: 'https://other.example.com', client_id: 'x' })
    expect(await refused(other, { ...shared, provider: 'other' })).toBe('account_not_linked')
  })

  it('never makes an owner, whatever the identity says', async () => {
    const forged = identity({ role: 'owner' as unknown as 'admin' })
    const linked = await link(provisioning(), forged)
    expect((await store.users.membership(orgId, linked.userId))?.role).toBe('member')
  })

  it('refuses a linked user who is inactive, and one who was deleted', async () => {
    const inactive = identity()
    const a = await link(provisioning(), inactive)
    await store.db.updateTable('users').set({ status: 'inactive' }).where('id', '=', a.userId).execute()
    expect(await refused(provisioning(), inactive)).toBe('account_inactive')

    const deleted = identity()
    const b = await link(provisioning(), deleted)
    await store.users.removeMember(orgId, b.userId)
    expect(await refused(provisioning(), deleted)).toBe('account_inactive')
  })

  it('refuses sign-up into a provisioning org that does not exist or is inactive', async () => {
    const missing = provider({ ...provisioning(), provision: { org: 'no-such-org', allowed_domains: ['example.com'] } })
    expect(await refused(missing, identity())).toBe('signup_org_missing')
    const dormant = await store.orgs.create('dormant')
    await store.orgs.setStatus(dormant.id, 'inactive')
    const inactive = provider({ ...provisioning(), provision: { org: 'dormant', allowed_domains: ['example.com'] } })
    expect(await refused(inactive, identity())).toBe('signup_org_missing')
  })

  it('creates one user when the same identity signs up twice at once', async () => {
    const twin = identity()
    const results = await Promise.all([link(provisioning(), twin), link(provisioning(), twin)])
    expect(new Set(results.map((r) => r.userId)).size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
  })

  it('keeps the upstream tokens sealed and replaces them at each sign-in', async () => {
    const first = identity()
    const { userId } = await link(provisioning(), first)
    expect(await vault.externalTokenFor(userId, 'corp')).toEqual(first.tokens)
    const sealed = await store.userIdentities.findExternalToken(userId, 'corp')
    expect(sealed).toMatch(/^v1\./)
    expect(sealed).not.toContain(first.tokens.accessToken)

    const renewed = { accessToken: 'at-renewed', scope: 'openid' }
    await link(provisioning(), { ...first, tokens: renewed }, T0 + 1000)
    expect(await vault.externalTokenFor(userId, 'corp')).toEqual(renewed)
  })

  it("refuses a sealed token copied onto another user's row", async () => {
    const a = await link(provisioning(), identity())
    const b = await link(provisioning(), identity())
    const sealedA = (await store.userIdentities.findExternalToken(a.userId, 'corp')) ?? ''
    await store.userIdentities.saveExternalToken(b.userId, 'corp', sealedA)
    await expect(vault.externalTokenFor(b.userId, 'corp')).rejects.toMatchObject({ name: 'SealedTokenError' })
  })

  it('hands a sign-in in flight to one taker only, and purges the expired ones', async () => {
    const row = {
      stage: 'pending' as const,
      id_hash: `h-${randomBytes(6).toString('hex')}`,
      provider: 'corp',
      interaction_uid: 'uid-1',
      browser_hash: 'b',
      payload: '{}',
      expires_at: T0,
    }
    await store.upstreamLogins.insert(row)
    await store.upstreamLogins.insert({ ...row, stage: 'completed', expires_at: T0 + 1 })
    expect(await store.upstreamLogins.find('pending', row.id_hash)).toEqual(row)
    const takers = await Promise.all([0, 1, 2].map(() => store.upstreamLogins.take('pending', row.id_hash)))
    expect(takers.filter((t) => t !== undefined)).toEqual([row])
    expect(await store.upstreamLogins.find('pending', row.id_hash)).toBeUndefined()
    expect(await store.upstreamLogins.purgeExpired(T0 + 1)).toBe(0)
    expect(await store.upstreamLogins.purgeExpired(T0 + 2)).toBe(1)
  })
})

describe('an OpenID Connect sign-in end to end, into the store', () => {
  let upstream: OidcUpstream
  let location: TestStoreUrl
  let store: Store

  beforeAll(async () => {
    upstream = await startOidcUpstream({ redirectUris: [callbackUrl('corp')] })
    location = await freshStoreUrl('sqlite')
    store = Store.open(location.url)
    await store.migrate()
    await store.orgs.create('acme')
  })
  afterAll(async () => {
    await upstream?.close()
    await store?.close()
    await location?.dispose()
  })

  it('provisions the user on the first sign-in and keeps the upstream access token for get_user_external_token', async () => {
    const corp = provider({
      id: 'corp',
      type: 'oidc',
      issuer: upstream.issuer,
      client_id: 'gatehouse',
      client_secret: 'upstream-client-secret',
      claims: CORP_CLAIMS,
      provision: { org: 'acme', allowed_groups: ['engineering'] },
    })
    const login = new UpstreamLogin([corp], { callbackUrl })
    const vault = new ExternalTokenVault(store.userIdentities, new TokenSealer(randomBytes(32)))
    const { authorizationUrl, pending } = await login.start('corp')
    const identity = await login.finish('corp', await browseToCallback(authorizationUrl, callbackUrl('corp')), pending)
    const linked = await linkIdentity({ store, tokens: vault }, corp, identity)
    expect(linked.created).toBe(true)
    const org = await store.orgs.findByRef('acme')
    expect(await store.users.membership(org?.id ?? '', linked.userId)).toMatchObject({
      role: 'admin',
      groups: ['analysts', 'engineering'],
      attributes: { department: 'R&D' },
    })
    expect((await vault.externalTokenFor(linked.userId, 'corp'))?.accessToken).toBe(identity.tokens.accessToken)
  })
})
