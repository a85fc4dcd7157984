import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readAuditLog } from '../../src/audit/audit-log.js'
import { ConnectedApps } from '../../src/auth/authorization-server/connected-apps.js'
import { CookieJar, browserRequest, inputValue } from '../support/oauth-driver.js'
import { authorizeUrl, obtainTokens, refresh, registerPublicClient, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'

/** SPEC §8: every authentication event of the authorization server is in the audit log, with no secret. */
describe('audit of the authorization server', () => {
  let world: OAuthWorld
  const secrets: string[] = []
  beforeAll(async () => {
    world = await startOAuthWorld({ audit: { flush_interval_ms: 10 } })
    const tokens = await obtainTokens(world, { scope: 'mcp:read' })
    secrets.push(tokens.accessToken, tokens.refreshToken)
    const second = await refresh(world, tokens.clientId, tokens.refreshToken)
    secrets.push(String(second.body.refresh_token))
    await refresh(world, tokens.clientId, String(second.body.refresh_token))
    // Reuse of a token two generations old.
    await refresh(world, tokens.clientId, tokens.refreshToken)
    const other = await obtainTokens(world)
    await new ConnectedApps(world.test.server.store, world.test.server.audit).disconnect(
      { orgId: world.orgId },
      other.grantId,
      'test',
    )
    // A failed sign-in.
    const clientId = String((await registerPublicClient(world.base)).body.client_id)
    const jar = new CookieJar()
    const { url } = authorizeUrl(world.base, { client_id: clientId, redirect_uri: 'http://127.0.0.1:40111/callback' })
    const login = await browserRequest(jar, url)
    const loginUrl = new URL(login.headers.get('location') ?? '', url).toString()
    const page = await (await browserRequest(jar, loginUrl)).text()
    await browserRequest(jar, loginUrl, {
      form: { csrf: inputValue(page, 'csrf') ?? '', email: world.email, password: 'nope-wrong' },
    })
    await world.test.server.audit.flush()
  })
  afterAll(async () => world.close())

  it.each([
    ['client.registered', undefined, { token_endpoint_auth_method: 'none' }],
    ['auth.login', undefined, { method: 'password' }],
    ['auth.failed', undefined, { method: 'password', reason: 'wrong_password' }],
    ['auth.consent', 'org', { scope: 'mcp:read' }],
    ['token.issued', 'org', { grant_type: 'authorization_code' }],
    ['token.refreshed', 'org', { grant_type: 'refresh_token' }],
    ['token.reuse_detected', 'org', { reason: 'refresh_token_reuse' }],
    ['app.disconnected', 'org', { by: 'test' }],
  ])('records %s', async (type, scope, fields) => {
    const entries = await readAuditLog(world.test.server.store, {
      type,
      ...(scope === 'org' && { orgId: world.orgId }),
    })
    expect(entries.length).toBeGreaterThan(0)
    expect(entries.some((e) => Object.entries(fields).every(([k, v]) => e.data[k] === v))).toBe(true)
  })

  it('never records a token, code or password', async () => {
    const all = JSON.stringify(await readAuditLog(world.test.server.store, { limit: 1000 }))
    for (const secret of secrets) expect(all).not.toContain(secret)
    expect(all).not.toContain('nope-wrong')
  })
})
