import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT, exportJWK, generateKeyPair, decodeJwt } from 'jose'
import { SigningKeys } from '../../src/auth/tokens/signing-keys.js'
import { TOKEN_TYPES } from '../../src/auth/tokens/token-types.js'
import { ProjectSecretService } from '../../src/auth/project-tokens/project-secret-service.js'
import { ProjectTokenMinter } from '../../src/auth/project-tokens/project-token-minter.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import { CookieJar, authorizeWithForms, browserRequest, inputValue, tokenRequest } from '../support/oauth-driver.js'
import {
  PASSWORD,
  authorizeUrl,
  obtainTokens,
  refresh,
  registerPublicClient,
  startOAuthWorld,
} from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { startHttpsServer, testCa } from '../support/test-ca.js'
import type { HttpsDocServer } from '../support/test-ca.js'
import { callTool, mcpPost } from '../support/test-server.js'

const REDIRECT = 'http://127.0.0.1:40111/callback'

const mcp = (world: OAuthWorld, token: string, path = '/mcp') =>
  fetch(`${world.base}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
      ...(token !== '' && { authorization: `Bearer ${token}` }),
    },
    body: JSON.stringify(callTool('get_access_context')),
  })

/** Where the authorization endpoint sends the browser (or the status of an error page it shows instead). */
async function authorizeOnce(url: string): Promise<{ status: number; location: string | null; body: string }> {
  const response = await fetch(url, { redirect: 'manual' })
  return { status: response.status, location: response.headers.get('location'), body: await response.text() }
}

describe('OAuth security: each attack is refused', () => {
  let world: OAuthWorld
  let keys: SigningKeys
  let clientId: string
  let docs: HttpsDocServer
  const documents = new Map<string, { status?: number; type?: string; body: string }>()

  beforeAll(async () => {
    docs = await startHttpsServer((req, res) => {
      const doc = documents.get((req.url ?? '').split('?')[0] ?? '')
      if (doc === undefined) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(doc.status ?? 200, { 'content-type': doc.type ?? 'application/json' }).end(doc.body)
    })
    world = await startOAuthWorld(
      { auth: { client_metadata_allowed_networks: ['127.0.0.1/32'], client_metadata_ca: testCa().caPem } },
      { loginThrottle: { perAccount: 3, perSource: 10_000 }, registration: { perSourcePerHour: 1000 } },
    )
    keys = new SigningKeys(world.test.server.store.signingKeys, { issuer: world.base, audience: world.resource })
    clientId = String((await registerPublicClient(world.base)).body.client_id)
  })
  afterAll(async () => {
    await world.close()
    await docs.close()
  })

  describe('PKCE (S256 required)', () => {
    it.each([
      ['missing', { code_challenge: undefined, code_challenge_method: undefined }],
      ['plain', { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }],
      ['an unknown method', { code_challenge_method: 'S512' }],
    ])('refuses an authorization request with the challenge %s', async (_name, override) => {
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT, ...override })
      const result = await authorizeOnce(url)
      expect(result.status).toBe(303)
      const back = new URL(result.location ?? '')
      expect(back.searchParams.get('error')).toBe('invalid_request')
      expect(back.searchParams.get('code')).toBeNull()
    })

    it.each([
      ['a wrong verifier', 'x'.repeat(43)],
      ['no verifier', undefined],
    ])('refuses the code exchange with %s', async (_name, verifier) => {
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT })
      const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
      const code = new URL(location).searchParams.get('code') ?? ''
      const token = await tokenRequest(world.base, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        ...(verifier !== undefined && { code_verifier: verifier }),
      })
      expect(token.status).toBe(400)
      expect(['invalid_grant', 'invalid_request']).toContain(token.body.error)
      expect(token.body.access_token).toBeUndefined()
    })
  })

  describe('redirect URIs', () => {
    it.each([
      ['an unregistered host', 'https://evil.example/callback'],
      ['another path on the loopback host', 'http://127.0.0.1:40111/other'],
      ['a non-loopback http host', 'http://evil.example/callback'],
      ['a javascript: URI', 'javascript:alert(1)'],
      ['the registered URI with a fragment', `${REDIRECT}#x`],
    ])('never redirects to %s (no open redirect)', async (_name, redirectUri) => {
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: redirectUri })
      const result = await authorizeOnce(url)
      expect(result.status).toBe(400)
      expect(result.location).toBeNull()
      expect(result.body).toContain('redirect_uri')
    })

    it('accepts the registered loopback URI on another port (RFC 8252 §7.3)', async () => {
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: 'http://127.0.0.1:51234/callback' })
      const result = await authorizeOnce(url)
      expect(result.status).toBe(303)
      expect(result.location).toMatch(/^\/login\//)
    })

    it('refuses a code exchange whose redirect_uri differs from the authorization request', async () => {
      const { url, verifier } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT })
      const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
      const token = await tokenRequest(world.base, {
        grant_type: 'authorization_code',
        code: new URL(location).searchParams.get('code') ?? '',
        redirect_uri: 'http://127.0.0.1:40112/callback',
        client_id: clientId,
        code_verifier: verifier,
      })
      expect(token.status).toBe(400)
      expect(token.body.error).toBe('invalid_grant')
    })
  })

  describe('codes and refresh tokens', () => {
    async function codeFor(client = clientId) {
      const { url, verifier } = authorizeUrl(world.base, { client_id: client, redirect_uri: REDIRECT })
      const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
      return { code: new URL(location).searchParams.get('code') ?? '', verifier }
    }

    it('refuses a replayed code and revokes the grant it produced', async () => {
      const { code, verifier } = await codeFor()
      const params = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        code_verifier: verifier,
      }
      const first = await tokenRequest(world.base, params)
      expect(first.status).toBe(200)
      const replay = await tokenRequest(world.base, params)
      expect(replay.status).toBe(400)
      expect(replay.body.error).toBe('invalid_grant')
      const denied = await mcp(world, String(first.body.access_token))
      expect(denied.status).toBe(401)
      expect(await denied.json()).toMatchObject({ error_description: 'Application has been disconnected' })
      expect((await refresh(world, clientId, String(first.body.refresh_token))).status).toBe(400)
    })

    it("refuses another client's code", async () => {
      const other = String((await registerPublicClient(world.base, { client_name: 'Other' })).body.client_id)
      const { code, verifier } = await codeFor()
      const token = await tokenRequest(world.base, {
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: other,
        code_verifier: verifier,
      })
      expect(token.status).toBe(400)
      expect(token.body.error).toBe('invalid_grant')
    })

    it("refuses another client's refresh token", async () => {
      const tokens = await obtainTokens(world, { clientId })
      const other = String((await registerPublicClient(world.base, { client_name: 'Thief' })).body.client_id)
      const stolen = await refresh(world, other, tokens.refreshToken)
      expect(stolen.status).toBe(400)
      expect(stolen.body.error).toBe('invalid_grant')
    })

    it('revokes the grant when a refresh token is reused after its successor was used', async () => {
      const tokens = await obtainTokens(world, { clientId })
      const second = await refresh(world, clientId, tokens.refreshToken)
      expect((await refresh(world, clientId, String(second.body.refresh_token))).status).toBe(200)
      expect((await refresh(world, clientId, tokens.refreshToken)).status).toBe(400)
      expect((await mcp(world, String(second.body.access_token))).status).toBe(401)
    })

    it('refuses a scope the grant does not hold at refresh (no escalation)', async () => {
      const tokens = await obtainTokens(world, { clientId, scope: 'mcp:read' })
      const escalated = await refresh(world, clientId, tokens.refreshToken, { scope: 'mcp:read mcp:sql' })
      expect(escalated.status).toBe(400)
      expect(escalated.body.error).toBe('invalid_scope')
    })

    it('a revoked refresh token (RFC 7009) takes the access tokens of its grant with it', async () => {
      const tokens = await obtainTokens(world, { clientId })
      const revoked = await fetch(`${world.base}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refreshToken, client_id: clientId }).toString(),
      })
      expect(revoked.status).toBe(200)
      expect((await mcp(world, tokens.accessToken)).status).toBe(401)
      expect((await refresh(world, clientId, tokens.refreshToken)).status).toBe(400)
    })

    it("neither revokes nor introspects another client's refresh token", async () => {
      const tokens = await obtainTokens(world, { clientId })
      const other = String((await registerPublicClient(world.base, { client_name: 'Nosy' })).body.client_id)
      const form = (extra: Record<string, string>) => ({
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokens.refreshToken, client_id: other, ...extra }).toString(),
      })
      const introspected = await fetch(`${world.base}/oauth/introspect`, form({}))
      expect(await introspected.json()).toEqual({ active: false })
      await fetch(`${world.base}/oauth/revoke`, form({}))
      expect((await refresh(world, clientId, tokens.refreshToken)).status).toBe(200)
    })

    it('keeps codes, refresh tokens and client secrets out of the store in clear text', async () => {
      const confidential = await fetch(`${world.base}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Confidential',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'client_secret_post',
        }),
      })
      const secret = String(((await confidential.json()) as Record<string, unknown>).client_secret)
      const tokens = await obtainTokens(world, { clientId })
      const db = world.test.server.store.db
      const dump = JSON.stringify([
        await db.selectFrom('oauth_objects').selectAll().execute(),
        await db.selectFrom('oauth_clients').selectAll().execute(),
        await db.selectFrom('oauth_refresh_chains').selectAll().execute(),
      ])
      expect(dump).not.toContain(tokens.refreshToken)
      expect(dump).not.toContain(secret)
      expect(dump).not.toContain(tokens.accessToken)
    })
  })

  describe('access tokens on /mcp', () => {
    const base = async (overrides: Record<string, unknown> = {}) => ({
      sub: world.userId,
      org_id: world.orgId,
      client_id: clientId,
      grant_id: (await obtainTokens(world, { clientId })).grantId,
      scope: 'mcp:read',
      jti: `at-${Math.random()}`,
      ...overrides,
    })
    const now = () => Math.floor(Date.now() / 1000)

    it('accepts a well-formed token of a live grant (control case)', async () => {
      const token = await keys.sign(await base(), { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 60_000 })
      expect((await mcp(world, token)).status).toBe(200)
    })

    it.each([
      [
        'another audience',
        async () =>
          keys.sign(await base(), {
            typ: TOKEN_TYPES.access,
            expiresAt: Date.now() + 60_000,
            audience: 'https://other.example/mcp',
          }),
        'Invalid token',
      ],
      [
        'the issuer as audience',
        async () =>
          keys.sign(await base(), { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 60_000, audience: world.base }),
        'Invalid token',
      ],
      [
        'an expired token',
        async () =>
          keys.sign(await base(), {
            typ: TOKEN_TYPES.access,
            expiresAt: Date.now() - 60_000,
            now: Date.now() - 120_000,
          }),
        'Token is revoked or expired',
      ],
      [
        'a token not valid yet',
        async () =>
          keys.sign(
            { ...(await base()), nbf: now() + 600 },
            { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 900_000 },
          ),
        'Invalid token',
      ],
      [
        'a wrong issuer',
        async () => {
          const other = new SigningKeys(world.test.server.store.signingKeys, {
            issuer: 'https://evil.example',
            audience: world.resource,
          })
          return other.sign(await base(), { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 60_000 })
        },
        'Invalid token',
      ],
      [
        'alg none',
        async () => {
          const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')
          const body = Buffer.from(
            JSON.stringify({ ...(await base()), iss: world.base, aud: world.resource, iat: now(), exp: now() + 60 }),
          ).toString('base64url')
          return `${header}.${body}.`
        },
        'Invalid token',
      ],
      [
        "a key that is not Gatehouse's (same kid)",
        async () => {
          const { privateKey } = await generateKeyPair('ES256')
          const kid = (await keys.jwks()).keys[0]?.kid ?? ''
          return new SignJWT({ ...(await base()) })
            .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid })
            .setIssuer(world.base)
            .setAudience(world.resource)
            .setIssuedAt()
            .setExpirationTime('1m')
            .sign(privateKey)
        },
        'Invalid token',
      ],
      [
        'HS256 keyed with the public key',
        async () => {
          const jwk = (await keys.jwks()).keys[0]
          const secret = new TextEncoder().encode(JSON.stringify(jwk))
          return new SignJWT({ ...(await base()) })
            .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: jwk?.kid ?? '' })
            .setIssuer(world.base)
            .setAudience(world.resource)
            .setIssuedAt()
            .setExpirationTime('1m')
            .sign(secret)
        },
        'Invalid token',
      ],
      [
        'a tampered payload (another org)',
        async () => {
          const token = await keys.sign(await base(), { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 60_000 })
          const [h, p, s] = token.split('.')
          const payload = { ...JSON.parse(Buffer.from(p ?? '', 'base64url').toString()), org_id: world.otherOrgId }
          return `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`
        },
        'Invalid token',
      ],
      [
        'a grant of another org than the claim',
        async () =>
          keys.sign(await base({ org_id: world.otherOrgId }), {
            typ: TOKEN_TYPES.access,
            expiresAt: Date.now() + 60_000,
          }),
        'Application has been disconnected',
      ],
      [
        'a sender-constrained token (cnf) presented as a bearer token',
        async () =>
          keys.sign(await base({ cnf: { jkt: 'x'.repeat(43) } }), {
            typ: TOKEN_TYPES.access,
            expiresAt: Date.now() + 60_000,
          }),
        'Invalid token',
      ],
      [
        'a grant id that never existed',
        async () =>
          keys.sign(await base({ grant_id: 'forged' }), { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 60_000 }),
        'Application has been disconnected',
      ],
    ])('refuses %s', async (_name, make, description) => {
      const response = await mcp(world, await make())
      expect(response.status).toBe(401)
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
      expect(await response.json()).toMatchObject({ error: 'invalid_token', error_description: description })
    })

    it('refuses an access token given in the query string', async () => {
      const { accessToken } = await obtainTokens(world, { clientId })
      const response = await mcp(world, '', `/mcp?access_token=${accessToken}`)
      expect(response.status).toBe(400)
      expect(await response.json()).toMatchObject({
        error: 'invalid_request',
        error_description: 'Access tokens are accepted only in the Authorization header, never in the query string',
      })
    })

    it('does not take a project token for an access token, nor an access token for a project token', async () => {
      const store = world.test.server.store
      const audit = { record() {} }
      const read = parsePermissions('read')
      if (!read.ok) throw new Error(read.error)
      const { secret } = await new ProjectSecretService(store, audit).create({
        orgId: world.orgId,
        project: world.projectId,
        maxPermissions: read.value,
        allowOrgUsers: true,
        createdBy: 'test',
      })
      const minted = await new ProjectTokenMinter(store, keys, audit).mint(
        { type: 'project', projectId: world.projectId, projectSecret: secret, orgUserId: world.userId },
        { via: 'cli' },
      )
      const { AccessTokenVerifier } = await import('../../src/auth/authorization-server/access-token-verifier.js')
      const { ProjectTokenVerifier } = await import('../../src/auth/project-tokens/project-token-verifier.js')
      await expect(new AccessTokenVerifier(store, keys).verify(minted.accessToken, Date.now())).rejects.toMatchObject({
        code: 'AUTH_INVALID',
      })
      const { accessToken } = await obtainTokens(world, { clientId })
      await expect(new ProjectTokenVerifier(store, keys).verify(accessToken, Date.now())).rejects.toMatchObject({
        code: 'AUTH_INVALID',
      })
      // Introspection knows only the authorization server's own tokens.
      const introspected = await fetch(`${world.base}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: minted.accessToken, client_id: clientId }).toString(),
      })
      expect(await introspected.json()).toEqual({ active: false })
    })

    it('answers insufficient_scope with the scope to step up to', async () => {
      const { accessToken } = await obtainTokens(world, { clientId, scope: 'mcp:read' })
      const response = await mcpPost(world.base, callTool('run_sql', { connection: 'x', sql: 'select 1' }), {
        authorization: `Bearer ${accessToken}`,
      })
      expect(response.status).toBe(403)
      expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"')
      expect(response.headers.get('www-authenticate')).toContain('scope="mcp:sql"')
    })

    it('refuses a resource other than this MCP server at authorization (RFC 8707)', async () => {
      const { url } = authorizeUrl(world.base, {
        client_id: clientId,
        redirect_uri: REDIRECT,
        resource: 'https://evil.example/mcp',
      })
      const result = await authorizeOnce(url)
      expect(result.status).toBe(303)
      expect(new URL(result.location ?? '').searchParams.get('error')).toBe('invalid_target')
    })
  })

  describe('sign-in and consent', () => {
    async function consentPage(jar = new CookieJar()) {
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT, prompt: 'consent' })
      let next = url
      for (let hop = 0; hop < 6; hop++) {
        const response = await browserRequest(jar, next)
        const path = new URL(next).pathname
        if (response.status === 200 && path.startsWith('/consent/'))
          return { jar, url: next, page: await response.text() }
        if (response.status === 200 && path.startsWith('/login/')) {
          const csrf = inputValue(await response.text(), 'csrf') ?? ''
          const posted = await browserRequest(jar, next, { form: { csrf, email: world.email, password: PASSWORD } })
          next = new URL(posted.headers.get('location') ?? '', next).toString()
        } else next = new URL(response.headers.get('location') ?? '', next).toString()
      }
      throw new Error('no consent page')
    }

    it.each([
      [
        'an org the user is not a member of',
        (w: OAuthWorld) => ({ org: w.otherOrgId, project: `${w.otherOrgId}/x` }),
        400,
      ],
      [
        "a project of another org under the user's org",
        (w: OAuthWorld) => ({ org: w.orgId, project: `${w.orgId}/prj_forged` }),
        400,
      ],
      ['no project at all', (w: OAuthWorld) => ({ org: w.orgId, project: [] as string[] }), 400],
    ])('refuses consent to %s and records no grant', async (_name, choose, status) => {
      const { jar, url, page } = await consentPage()
      const before = (await world.test.server.store.oauth.listGrants(world.orgId)).length
      const response = await browserRequest(jar, url, {
        form: { csrf: inputValue(page, 'csrf') ?? '', decision: 'approve', ...choose(world) },
      })
      expect(response.status).toBe(status)
      expect(response.headers.get('location')).toBeNull()
      expect((await world.test.server.store.oauth.listGrants(world.orgId)).length).toBe(before)
      expect(await world.test.server.store.oauth.listGrants(world.otherOrgId)).toEqual([])
    })

    it('refuses a consent form without the CSRF token of its interaction', async () => {
      const { jar, url } = await consentPage()
      const response = await browserRequest(jar, url, {
        form: { csrf: 'forged', decision: 'approve', org: world.orgId, project: `${world.orgId}/${world.projectId}` },
      })
      expect(response.status).toBe(403)
      expect(response.headers.get('location')).toBeNull()
    })

    it("refuses a consent form posted from another browser (no interaction cookie), even with the victim's token", async () => {
      const { url, page } = await consentPage()
      const response = await browserRequest(new CookieJar(), url, {
        form: {
          csrf: inputValue(page, 'csrf') ?? '',
          decision: 'approve',
          org: world.orgId,
          project: `${world.orgId}/${world.projectId}`,
        },
      })
      expect(response.status).toBe(400)
      expect(response.headers.get('location')).toBeNull()
    })

    it('frames no page and caches none (clickjacking on consent)', async () => {
      const { jar, url } = await consentPage()
      const response = await browserRequest(jar, url)
      expect(response.headers.get('x-frame-options')).toBe('DENY')
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'")
      expect(response.headers.get('cache-control')).toBe('no-store')
    })

    it('throttles password guessing: after the limit even the right password is refused', async () => {
      const store = world.test.server.store
      const email = 'target@acme.test'
      const { hashPassword } = await import('../../src/auth/passwords/password-hash.js')
      await store.users.createMember(world.orgId, { email, role: 'member', passwordHash: await hashPassword(PASSWORD) })
      const attempt = async (password: string) => {
        const jar = new CookieJar()
        const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT })
        const login = await browserRequest(jar, url)
        const loginUrl = new URL(login.headers.get('location') ?? '', url).toString()
        const page = await (await browserRequest(jar, loginUrl)).text()
        return browserRequest(jar, loginUrl, { form: { csrf: inputValue(page, 'csrf') ?? '', email, password } })
      }
      for (let i = 0; i < 3; i++) expect((await attempt('wrong')).status).toBe(401)
      const blocked = await attempt(PASSWORD)
      expect(blocked.status).toBe(429)
      expect(await blocked.text()).toContain('Too many failed sign-ins')
    })

    it('refuses a login form without its CSRF token', async () => {
      const jar = new CookieJar()
      const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: REDIRECT })
      const login = await browserRequest(jar, url)
      const loginUrl = new URL(login.headers.get('location') ?? '', url).toString()
      const response = await browserRequest(jar, loginUrl, {
        form: { csrf: 'x', email: world.email, password: PASSWORD },
      })
      expect(response.status).toBe(403)
    })
  })

  describe('Client ID Metadata Documents', () => {
    const authorizeWith = async (id: string) => {
      const { url } = authorizeUrl(world.base, { client_id: id, redirect_uri: REDIRECT })
      return authorizeOnce(url)
    }
    const publish = (
      path: string,
      doc: Record<string, unknown> | string,
      extra: { status?: number; type?: string } = {},
    ) => {
      documents.set(path, { body: typeof doc === 'string' ? doc : JSON.stringify(doc), ...extra })
      return `${docs.origin.replace('localhost', '127.0.0.1')}${path}`
    }

    it('accepts a well-formed document served over https by a trusted CA (control case)', async () => {
      const id = publish('/good.json', {
        client_id: '',
        client_name: 'Doc Client',
        redirect_uris: ['http://localhost/callback'],
        token_endpoint_auth_method: 'none',
      })
      documents.set('/good.json', {
        body: JSON.stringify({
          client_id: id,
          client_name: 'Doc Client',
          redirect_uris: ['http://localhost/callback'],
          token_endpoint_auth_method: 'none',
        }),
      })
      // The document lists http://localhost/callback; the client sends a port (RFC 8252 §7.3).
      const { url } = authorizeUrl(world.base, { client_id: id, redirect_uri: 'http://localhost:45678/callback' })
      const result = await authorizeOnce(url)
      expect(result.status).toBe(303)
      expect(result.location).toMatch(/^\/login\//)
    })

    it.each([
      ['a private address', 'https://10.1.2.3/client.json'],
      ['the cloud metadata address', 'https://169.254.169.254/latest/client.json'],
      ['a loopback address that is not allowed', 'https://127.0.0.2/client.json'],
      ['an IPv6 loopback', 'https://[::1]/client.json'],
      ['plain http', 'http://client.example/client.json'],
    ])('refuses a client id at %s without fetching it', async (_name, id) => {
      const result = await authorizeWith(id)
      expect(result.status).toBe(400)
      expect(result.location).toBeNull()
    })

    it.each([
      [
        'whose client_id is another URL',
        (id: string) => ({ body: JSON.stringify({ client_id: `${id}x`, redirect_uris: [REDIRECT] }) }),
      ],
      [
        'larger than 5 KiB',
        (id: string) => ({
          body: JSON.stringify({ client_id: id, redirect_uris: [REDIRECT], padding: 'x'.repeat(6000) }),
        }),
      ],
      [
        'with a client secret',
        (id: string) => ({ body: JSON.stringify({ client_id: id, redirect_uris: [REDIRECT], client_secret: 's' }) }),
      ],
      [
        'served as text/html',
        (id: string) => ({ body: JSON.stringify({ client_id: id, redirect_uris: [REDIRECT] }), type: 'text/html' }),
      ],
      ['behind a redirect', (_id: string) => ({ body: '', status: 302 })],
      ['that is not JSON', (_id: string) => ({ body: 'not json' })],
    ])('refuses a document %s', async (name, make) => {
      const path = `/bad-${name.replace(/\W+/g, '-')}.json`
      const id = `${docs.origin.replace('localhost', '127.0.0.1')}${path}`
      documents.set(path, make(id))
      const result = await authorizeWith(id)
      expect(result.status).toBe(400)
      expect(result.location).toBeNull()
    })

    it('pins the checked address: a name that re-resolves to another address between check and connect is not followed', async () => {
      const { fetchClientMetadataWithHeaders } =
        await import('../../src/auth/authorization-server/client-metadata/fetch-client-metadata.js')
      let calls = 0
      // First answer public (passes the check), later answers private: a DNS rebinding attack.
      const resolve = async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1', family: 4 as const }]
      await expect(
        fetchClientMetadataWithHeaders('https://rebind.example/client.json', { resolve, timeoutMs: 1500 }),
      ).rejects.toMatchObject({ code: 'INPUT_INVALID' })
      expect(calls).toBe(1)
      expect(docs.hits.get('/client.json')).toBeUndefined()
    })
  })

  describe('Dynamic Client Registration', () => {
    it.each([
      ['an http redirect URI on a public host', { redirect_uris: ['http://app.example/cb'] }, 'invalid_redirect_uri'],
      ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [
        'a private-use scheme for a confidential client',
        { redirect_uris: ['cursor://callback'], token_endpoint_auth_method: 'client_secret_post' },
        'invalid_redirect_uri',
      ],
      ['a shared-secret JWT method', { token_endpoint_auth_method: 'client_secret_jwt' }, 'invalid_client_metadata'],
      ['the implicit grant', { grant_types: ['implicit'], response_types: ['token'] }, 'invalid_client_metadata'],
    ])('refuses a registration with %s', async (_name, metadata, error) => {
      const response = await registerPublicClient(world.base, metadata)
      expect(response.status).toBe(400)
      expect(response.body.error).toBe(error)
    })

    it('refuses a confidential client that presents a wrong secret', async () => {
      const registered = await fetch(`${world.base}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: 'Conf',
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'client_secret_post',
        }),
      })
      const body = (await registered.json()) as Record<string, unknown>
      const token = await tokenRequest(world.base, {
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: String(body.client_id),
        client_secret: 'wrong',
      })
      expect(token.status).toBe(401)
      expect(token.body.error).toBe('invalid_client')
    })
  })

  it('decodes no more than it should: an access token carries ids and scopes, no secret or email', async () => {
    const { accessToken } = await obtainTokens(world, { clientId })
    const claims = decodeJwt(accessToken)
    expect(Object.keys(claims).sort()).toEqual([
      'aud',
      'client_id',
      'exp',
      'grant_id',
      'iat',
      'iss',
      'jti',
      'org_id',
      'scope',
      'sub',
    ])
    void exportJWK
  })
})

describe('registration flooding', () => {
  let world: OAuthWorld
  beforeAll(async () => {
    world = await startOAuthWorld({}, { registration: { perSourcePerHour: 3 } })
  })
  afterAll(async () => world.close())

  it('answers identical public registrations with one client, uncounted', async () => {
    const first = await registerPublicClient(world.base)
    const again = await registerPublicClient(world.base)
    expect(again.status).toBe(201)
    expect(again.body.client_id).toBe(first.body.client_id)
  })

  it('limits registrations per source, and a forged X-Forwarded-For does not evade the limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${world.base}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': `203.0.113.${i}` },
        body: JSON.stringify({
          client_name: `Flood ${i}`,
          redirect_uris: ['https://app.example/cb'],
          token_endpoint_auth_method: 'client_secret_post',
        }),
      })
      statuses.push(response.status)
      if (response.status === 429) {
        expect(response.headers.get('retry-after')).toBe('3600')
        expect(await response.json()).toMatchObject({ error: 'too_many_requests' })
      }
    }
    expect(statuses.filter((s) => s === 201).length).toBe(2)
    expect(statuses.slice(-2)).toEqual([429, 429])
  })

  it('never de-duplicates confidential registrations: each gets its own secret', async () => {
    const fresh = await startOAuthWorld({}, { registration: { perSourcePerHour: 10 } })
    try {
      const register = () =>
        fetch(`${fresh.base}/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            client_name: 'Same',
            redirect_uris: ['https://app.example/cb'],
            token_endpoint_auth_method: 'client_secret_basic',
          }),
        }).then((r) => r.json() as Promise<Record<string, unknown>>)
      const [a, b] = [await register(), await register()]
      expect(a.client_id).not.toBe(b.client_id)
      expect(a.client_secret).not.toBe(b.client_secret)
    } finally {
      await fresh.close()
    }
  })
})
