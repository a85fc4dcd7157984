import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import { CookieJar, browserRequest, inputValue } from '../support/oauth-driver.js'
import { PASSWORD, obtainTokens, refresh, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { callTool, mcpPost } from '../support/test-server.js'

const call = (world: OAuthWorld, token: string) =>
  mcpPost(world.base, callTool('get_access_context'), { authorization: `Bearer ${token}` })

async function expectDisconnected(world: OAuthWorld, accessToken: string): Promise<void> {
  const response = await call(world, accessToken)
  expect(response.status).toBe(401)
  expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"')
  expect(await response.json()).toEqual({
    error: 'invalid_token',
    error_description: 'Application has been disconnected',
  })
}

async function adminKeyFor(world: OAuthWorld, orgId: string): Promise<string> {
  const store = world.test.server.store
  const email = `boss-${orgId}@acme.test`
  if ((await store.users.findMember(orgId, email)) === undefined)
    await store.users.createMember(orgId, { email, role: 'admin' })
  const permissions = parsePermissions('read')
  if (!permissions.ok) throw new Error(permissions.error)
  const { key } = await new ApiKeyService(store, { record() {} }).create({
    orgId,
    userEmail: email,
    name: 'admin',
    projects: [],
    domains: [],
    permissions: permissions.value,
    expires: '90d',
    admin: true,
    createdBy: 'test',
  })
  return key
}

describe('Connected Applications', () => {
  let world: OAuthWorld
  beforeAll(async () => {
    world = await startOAuthWorld()
  })
  afterAll(async () => world.close())

  it('lists a grant with the org, projects and scopes chosen at consent', async () => {
    const tokens = await obtainTokens(world, { scope: 'mcp:read mcp:write' })
    const admin = await adminKeyFor(world, world.orgId)
    const response = await fetch(`${world.base}/api/v1/apps?user_id=${world.userId}`, {
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(response.status).toBe(200)
    const { apps } = (await response.json()) as { apps: Record<string, unknown>[] }
    expect(apps.find((a) => a.id === tokens.grantId)).toMatchObject({
      org_id: world.orgId,
      user_id: world.userId,
      client_id: tokens.clientId,
      client_name: 'Test Client',
      project_ids: [world.projectId],
      scopes: ['mcp:read', 'mcp:write'],
      status: 'connected',
    })
  })

  it('an org admin disconnects an app: its access token fails at once though the JWT is valid, and refresh fails', async () => {
    const tokens = await obtainTokens(world)
    expect((await call(world, tokens.accessToken)).status).toBe(200)
    const admin = await adminKeyFor(world, world.orgId)
    const response = await fetch(`${world.base}/api/v1/apps/${tokens.grantId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({
      id: tokens.grantId,
      status: 'disconnected',
      disconnect_reason: 'disconnected',
    })
    await expectDisconnected(world, tokens.accessToken)
    const refreshed = await refresh(world, tokens.clientId, tokens.refreshToken)
    expect(refreshed.status).toBe(400)
    expect(refreshed.body.error).toBe('invalid_grant')
  })

  it("an admin of another org cannot see or disconnect the user's apps (404 like an unknown id)", async () => {
    const tokens = await obtainTokens(world)
    const otherAdmin = await adminKeyFor(world, world.otherOrgId)
    const list = await fetch(`${world.base}/api/v1/apps`, { headers: { authorization: `Bearer ${otherAdmin}` } })
    expect(((await list.json()) as { apps: unknown[] }).apps).toEqual([])
    const attempt = await fetch(`${world.base}/api/v1/apps/${tokens.grantId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${otherAdmin}` },
    })
    expect(attempt.status).toBe(404)
    expect((await call(world, tokens.accessToken)).status).toBe(200)
  })

  it('the signed-in user disconnects an app from the Connected Applications page', async () => {
    const tokens = await obtainTokens(world)
    const jar = new CookieJar()
    const loginPage = await browserRequest(jar, `${world.base}/account/login`)
    const csrf = inputValue(await loginPage.text(), 'csrf') ?? ''
    const signedIn = await browserRequest(jar, `${world.base}/account/login`, {
      form: { csrf, email: world.email, password: PASSWORD },
    })
    expect(signedIn.status).toBe(303)
    const page = await browserRequest(jar, `${world.base}/apps`)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain('Test Client')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    // A forged form without the session's CSRF token is refused and changes nothing.
    const forged = await browserRequest(jar, `${world.base}/apps/${tokens.grantId}/disconnect`, { form: { csrf: 'x' } })
    expect(forged.status).toBe(403)
    expect((await call(world, tokens.accessToken)).status).toBe(200)
    const done = await browserRequest(jar, `${world.base}/apps/${tokens.grantId}/disconnect`, {
      form: { csrf: inputValue(html, 'csrf') ?? '' },
    })
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('is disconnected')
    await expectDisconnected(world, tokens.accessToken)
  })

  it('after a disconnection the user is asked to consent again and gets a new grant', async () => {
    const first = await obtainTokens(world)
    await world.test.server.store.oauth.revokeGrant(first.grantId, 'disconnected')
    const second = await obtainTokens(world, { clientId: first.clientId })
    expect(second.grantId).not.toBe(first.grantId)
    expect((await call(world, second.accessToken)).status).toBe(200)
  })
})
