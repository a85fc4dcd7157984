import { decodeJwt } from 'jose'
import { sql } from 'kysely'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ExternalTokenVault } from '../../src/auth/upstream/external-token-vault.js'
import { TokenSealer } from '../../src/auth/upstream/token-sealer.js'
import { CookieJar, authorizeWithForms, browserRequest, freePort, tokenRequest } from '../support/oauth-driver.js'
import { authorizeUrl, registerPublicClient, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { callTool, mcpPost } from '../support/test-server.js'
import {
  ADA,
  CORP_CLAIMS,
  GITHUB_CLIENT,
  OCTOCAT,
  OIDC_CLIENT,
  seenParameterNames,
  startGithubUpstream,
  startOidcUpstream,
} from '../support/upstream-servers.js'
import type { GithubUpstream, OidcUpstream, TestAccount } from '../support/upstream-servers.js'

const REDIRECT_URI = 'http://127.0.0.1:40111/callback'

/**
 * A browser: cookies kept per origin. Gatehouse and the upstream provider run
 * on one loopback address here and both are oidc-provider (same cookie names),
 * where in real life they are two hosts whose cookies never meet.
 */
class Browser {
  readonly #jars = new Map<string, CookieJar>()

  jar(url: string): CookieJar {
    const origin = new URL(url).origin
    let jar = this.#jars.get(origin)
    if (jar === undefined) this.#jars.set(origin, (jar = new CookieJar()))
    return jar
  }

  get(url: string): Promise<Response> {
    return browserRequest(this.jar(url), url)
  }
}

function locationOf(response: Response, base: string): string {
  const location = response.headers.get('location')
  if (location === null) throw new Error(`expected a redirect, got HTTP ${response.status}`)
  return new URL(location, base).href
}

interface Authorization {
  readonly browser: Browser
  readonly clientId: string
  readonly verifier: string
  /** Gatehouse's login page, `/login/<uid>`. */
  readonly loginPage: string
  /** Where the login page's button sent the browser: the provider's authorization endpoint. */
  readonly upstreamUrl: string
}

describe('sign-in through an upstream identity provider, end to end (SPEC §3.4, §4.1)', () => {
  let world: OAuthWorld
  let oidc: OidcUpstream
  let github: GithubUpstream

  const callbackOf = (provider: string) => `${world.base}/login/${provider}/callback`
  const store = () => world.test.server.store

  beforeAll(async () => {
    // The issuer goes into Gatehouse's config and Gatehouse's callbacks into the provider's: the port comes first.
    const oidcPort = await freePort()
    const issuer = `http://127.0.0.1:${oidcPort}`
    github = await startGithubUpstream()
    world = await startOAuthWorld({
      auth: {
        providers: [
          {
            id: 'corp',
            type: 'oidc',
            issuer,
            client_id: OIDC_CLIENT.id,
            client_secret: OIDC_CLIENT.secret,
            claims: CORP_CLAIMS,
            provision: { org: 'acme', allowed_domains: ['example.com'] },
          },
          // The same provider without provisioning: a first sign-in is refused.
          { id: 'closed', type: 'oidc', issuer, client_id: OIDC_CLIENT.id, client_secret: OIDC_CLIENT.secret },
          {
            id: 'github',
            type: 'github',
            client_id: GITHUB_CLIENT.id,
            client_secret: GITHUB_CLIENT.secret,
            authorization_endpoint: `${github.url}/login/oauth/authorize`,
            token_endpoint: `${github.url}/login/oauth/access_token`,
            api_url: github.url,
          },
        ],
      },
    })
    oidc = await startOidcUpstream({ port: oidcPort, redirectUris: [callbackOf('corp'), callbackOf('closed')] })
  })
  afterAll(async () => {
    await world?.close()
    await oidc?.close()
    await github?.close()
  })
  beforeEach(() => {
    oidc.seen.length = 0
    oidc.account = ADA
    github.seen.length = 0
  })

  /** From the MCP client's authorization request to the provider, by the login page's button. */
  async function startAuthorization(provider: string, browser = new Browser()): Promise<Authorization> {
    const clientId = String((await registerPublicClient(world.base, { redirect_uris: [REDIRECT_URI] })).body.client_id)
    const { url, verifier } = authorizeUrl(world.base, {
      client_id: clientId,
      redirect_uri: REDIRECT_URI,
      scope: 'mcp:read',
      resource: world.resource,
    })
    const loginPage = locationOf(await browser.get(url), world.base)
    const page = await browser.get(loginPage)
    expect(page.status).toBe(200)
    const html = await page.text()
    const uid = new URL(loginPage).pathname.split('/')[2] ?? ''
    expect(html).toContain(`href="/login/${uid}/${provider}"`)
    const button = await browser.get(`${loginPage}/${provider}`)
    expect(button.status).toBe(303)
    return { browser, clientId, verifier, loginPage, upstreamUrl: locationOf(button, world.base) }
  }

  /** The person signs in at the provider: its redirects, up to the URL of Gatehouse's callback. */
  async function atProvider(auth: Authorization): Promise<string> {
    let url = auth.upstreamUrl
    for (let hop = 0; hop < 10; hop++) {
      url = locationOf(await auth.browser.get(url), url)
      if (url.startsWith(world.base)) return url
    }
    throw new Error('too many redirects at the provider')
  }

  /** From Gatehouse's callback on: back onto the interaction, consent, code, token; the access token. */
  async function finish(auth: Authorization, callback: string): Promise<string> {
    const back = await auth.browser.get(callback)
    expect(back.status).toBe(303)
    const resume = locationOf(back, world.base)
    expect(resume).toMatch(new RegExp(`^${auth.loginPage}/upstream/[\\w-]{43}$`))
    const { location } = await authorizeWithForms(
      world.base,
      resume,
      { email: '', password: '' },
      auth.browser.jar(world.base),
    )
    const code = new URL(location).searchParams.get('code')
    if (code === null) throw new Error(`no code in ${location}`)
    const token = await tokenRequest(world.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      client_id: auth.clientId,
      code_verifier: auth.verifier,
    })
    expect(token.status).toBe(200)
    return String(token.body.access_token)
  }

  async function signInWith(provider: string): Promise<string> {
    const auth = await startAuthorization(provider)
    return finish(auth, await atProvider(auth))
  }

  async function expectMcpWorks(accessToken: string): Promise<void> {
    const call = await mcpPost(world.base, callTool('get_access_context'), { authorization: `Bearer ${accessToken}` })
    expect(call.status).toBe(200)
    expect(await call.text()).toContain(world.orgId)
  }

  async function auditData(type: string): Promise<Record<string, unknown>[]> {
    await world.test.server.audit.flush()
    const rows = await store().audit.query({ type })
    return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>)
  }

  async function vault(): Promise<ExternalTokenVault> {
    return new ExternalTokenVault(
      store().userIdentities,
      new TokenSealer(await store().serverSecrets.get('upstream_token_key')),
    )
  }

  async function refusalPage(response: Response, status: number): Promise<string> {
    expect(response.status).toBe(status)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('cache-control')).toBe('no-store')
    return response.text()
  }

  it('lists each configured provider on the login page, under its name or, for generic OIDC, its id', async () => {
    const browser = new Browser()
    const { url } = authorizeUrl(world.base, {
      client_id: String((await registerPublicClient(world.base)).body.client_id),
      redirect_uri: 'http://127.0.0.1:33418/callback',
    })
    const page = await (await browser.get(locationOf(await browser.get(url), world.base))).text()
    expect(page).toContain('Sign in with corp')
    expect(page).toContain('Sign in with closed')
    expect(page).toContain('Sign in with GitHub')
  })

  it('provisions a user on a first OIDC sign-in, and the access token it ends with calls /mcp', async () => {
    const accessToken = await signInWith('corp')
    const user = await store().users.findByEmail('ada@example.com')
    expect(user).toMatchObject({ status: 'active', name: 'Ada Lovelace', password_hash: null })
    const userId = user?.id ?? ''
    expect(await store().users.membership(world.orgId, userId)).toMatchObject({
      role: 'admin',
      groups: ['analysts', 'engineering'],
      attributes: { department: 'R&D' },
    })
    expect(await store().userIdentities.find('corp', ADA.sub)).toMatchObject({ user_id: userId })
    expect(decodeJwt(accessToken)).toMatchObject({ sub: userId, org_id: world.orgId, aud: world.resource })
    await expectMcpWorks(accessToken)
    expect(await auditData('auth.login')).toContainEqual(
      expect.objectContaining({
        method: 'upstream',
        provider: 'corp',
        user_id: userId,
        created: true,
        ip: '127.0.0.1',
      }),
    )
  })

  it('signs a user in through GitHub by an identity an administrator linked', async () => {
    await store().userIdentities.link('github', String(OCTOCAT.id), world.userId, 'octocat@github.com')
    const auth = await startAuthorization('github')
    expect(auth.upstreamUrl).toMatch(new RegExp(`^${github.url}/login/oauth/authorize\\?`))
    const accessToken = await finish(auth, await atProvider(auth))
    expect(decodeJwt(accessToken).sub).toBe(world.userId)
    await expectMcpWorks(accessToken)
    // Signed in to Gatehouse's own pages too, as after a password sign-in.
    expect(auth.browser.jar(world.base).header(`${world.base}/apps`)).toContain('gatehouse_account=')
    const apps = await auth.browser.get(`${world.base}/apps`)
    expect(apps.status).toBe(200)
    expect(await apps.text()).toContain('Test Client')
    const logins = (await auditData('auth.login')).filter((d) => d.provider === 'github')
    expect(logins).toEqual([expect.objectContaining({ method: 'upstream', user_id: world.userId })])
    expect(logins[0]).not.toHaveProperty('created')
    expect(seenParameterNames(github.seen)).not.toContain('resource')
  })

  it('refuses a first sign-in at a provider that does not provision, with the page message, creating nothing', async () => {
    const newcomer: TestAccount = { sub: 'kc-newcomer', claims: { ...ADA.claims, email: 'newcomer@example.com' } }
    oidc.account = newcomer
    const auth = await startAuthorization('closed')
    const callback = await atProvider(auth)
    const page = await refusalPage(await auth.browser.get(callback), 403)
    expect(page).toContain('No Gatehouse account is linked to this closed identity')
    expect(page).not.toContain(new URL(callback).searchParams.get('code'))
    expect(await store().users.findByEmail('newcomer@example.com')).toBeUndefined()
    expect(await store().userIdentities.find('closed', newcomer.sub)).toBeUndefined()
    expect(await auditData('auth.failed')).toContainEqual(
      expect.objectContaining({ method: 'upstream', provider: 'closed', reason: 'account_not_linked' }),
    )
  })

  it('refuses a callback replayed with the same state, before the code reaches the provider again', async () => {
    const auth = await startAuthorization('corp')
    const callback = await atProvider(auth)
    expect((await auth.browser.get(callback)).status).toBe(303)
    const tokenRequests = oidc.seen.filter((r) => r.path === '/token').length
    const page = await refusalPage(await auth.browser.get(callback), 400)
    expect(page).toContain('Sign-in with corp failed: the response does not belong to this sign-in (state mismatch)')
    expect(oidc.seen.filter((r) => r.path === '/token')).toHaveLength(tokenRequests)
    expect(await auditData('auth.failed')).toContainEqual(
      expect.objectContaining({
        method: 'upstream',
        provider: 'corp',
        reason: 'state_mismatch',
        detail: 'the callback state is unknown or already used',
      }),
    )
  })

  it("refuses a callback carrying the state of another browser's sign-in, and that sign-in still completes", async () => {
    const victim = await startAuthorization('corp')
    const callback = await atProvider(victim)
    // Another browser, itself in a sign-in at the same provider, opens the first one's callback URL (login CSRF).
    const attacker = await startAuthorization('corp')
    const page = await refusalPage(await attacker.browser.get(callback), 400)
    expect(page).toContain('state mismatch')
    expect(oidc.seen.some((r) => r.path === '/token')).toBe(false)
    expect(await auditData('auth.failed')).toContainEqual(
      expect.objectContaining({
        reason: 'state_mismatch',
        detail: 'the callback came from a browser other than the one that started the sign-in',
      }),
    )
    await expectMcpWorks(await finish(victim, callback))
  })

  it('hands the result of a sign-in only to the interaction of the browser that started it', async () => {
    const auth = await startAuthorization('corp')
    const back = await auth.browser.get(await atProvider(auth))
    const resume = locationOf(back, world.base)
    // Another browser with its own interaction, and one without any, open the one-time URL.
    const other = await startAuthorization('corp')
    const uid = new URL(other.loginPage).pathname.split('/')[2] ?? ''
    const elsewhere = resume.replace(new URL(auth.loginPage).pathname, `/login/${uid}`)
    for (const [browser, url] of [
      [other.browser, elsewhere],
      [other.browser, resume],
      [new Browser(), resume],
    ] as const) {
      const page = await refusalPage(await browser.get(url), 400)
      expect(page).toContain('the sign-in page has expired or was opened in another browser')
    }
    // The one-time URL is still good in its own browser, once.
    const { location } = await authorizeWithForms(
      world.base,
      resume,
      { email: '', password: '' },
      auth.browser.jar(resume),
    )
    expect(new URL(location).searchParams.get('code')).toEqual(expect.any(String))
    await refusalPage(await auth.browser.get(resume), 400)
  })

  it.each([
    ['an unconfigured provider', 'nope', 'Sign-in with nope failed: no identity provider has this id'],
    ['a login page this browser does not hold', 'corp', 'Sign-in with corp failed: the sign-in page has expired'],
  ])('refuses the button of %s, with a page', async (name, provider, message) => {
    const auth = await startAuthorization('corp')
    const browser = name === 'an unconfigured provider' ? auth.browser : new Browser()
    const page = await refusalPage(await browser.get(`${auth.loginPage}/${provider}`), 400)
    expect(page).toContain(message)
    expect(await auditData('auth.failed')).toContainEqual(expect.objectContaining({ method: 'upstream', provider }))
  })

  it('never passes the MCP resource parameter upstream', async () => {
    const auth = await startAuthorization('corp')
    expect(new URL(auth.upstreamUrl).origin).toBe(oidc.issuer)
    expect(new URL(auth.upstreamUrl).searchParams.has('resource')).toBe(false)
    await finish(auth, await atProvider(auth))
    expect(oidc.seen.map((r) => r.path)).toEqual(expect.arrayContaining(['/auth', '/token', '/me']))
    expect(seenParameterNames(oidc.seen)).not.toContain('resource')
  })

  it('keeps the upstream tokens sealed: the access token is in no table, and externalTokenFor returns it', async () => {
    await signInWith('corp')
    const userId = (await store().userIdentities.find('corp', ADA.sub))?.user_id ?? ''
    const tokens = await (await vault()).externalTokenFor(userId, 'corp')
    const accessToken = tokens?.accessToken ?? ''
    // The real upstream access token: the provider's userinfo endpoint takes it.
    const me = await fetch(`${oidc.issuer}/me`, { headers: { authorization: `Bearer ${accessToken}` } })
    expect(me.status).toBe(200)
    expect(await store().userIdentities.findExternalToken(userId, 'corp')).toMatch(/^v1\./)

    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(store().db)
    expect(tables.rows.map((t) => t.name)).toContain('user_external_tokens')
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(store().db)
      expect(JSON.stringify(rows.rows), name).not.toContain(accessToken)
    }
  })
})
