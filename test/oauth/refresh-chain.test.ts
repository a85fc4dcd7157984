import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { obtainTokens, refresh, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { callTool, mcpPost } from '../support/test-server.js'

const call = (world: OAuthWorld, token: string) =>
  mcpPost(world.base, callTool('get_access_context'), { authorization: `Bearer ${token}` })

describe('refresh tokens: one chain per grant (SPEC §4.1)', () => {
  let world: OAuthWorld
  beforeAll(async () => {
    world = await startOAuthWorld()
  })
  afterAll(async () => world.close())

  it('rotates the refresh token on every use and keeps the grant', async () => {
    const first = await obtainTokens(world)
    const r1 = await refresh(world, first.clientId, first.refreshToken)
    expect(r1.status).toBe(200)
    expect(r1.body.refresh_token).not.toBe(first.refreshToken)
    const r2 = await refresh(world, first.clientId, String(r1.body.refresh_token))
    expect(r2.status).toBe(200)
    expect((await call(world, String(r2.body.access_token))).status).toBe(200)
  })

  it('accepts the previous token again while its successor is unused (a client that crashed before saving it)', async () => {
    const first = await obtainTokens(world)
    const lost = await refresh(world, first.clientId, first.refreshToken)
    expect(lost.status).toBe(200)
    // The client never saved `lost.refresh_token` and retries with the token it has.
    const retry = await refresh(world, first.clientId, first.refreshToken)
    expect(retry.status).toBe(200)
    // The lost successor was replaced, never a second branch: it no longer works.
    const branch = await refresh(world, first.clientId, String(lost.body.refresh_token))
    expect(branch.status).toBe(400)
    expect(branch.body.error).toBe('invalid_grant')
  })

  it('revokes the whole grant when a token older than the previous one is presented (reuse detection)', async () => {
    const first = await obtainTokens(world)
    const second = await refresh(world, first.clientId, first.refreshToken)
    const third = await refresh(world, first.clientId, String(second.body.refresh_token))
    expect(third.status).toBe(200)
    // `first` is two generations old, and its successor has been used.
    const reuse = await refresh(world, first.clientId, first.refreshToken)
    expect(reuse.status).toBe(400)
    expect(reuse.body.error).toBe('invalid_grant')
    // The current refresh token and the access tokens of the grant are dead too.
    expect((await refresh(world, first.clientId, String(third.body.refresh_token))).status).toBe(400)
    const denied = await call(world, String(third.body.access_token))
    expect(denied.status).toBe(401)
    expect(await denied.json()).toMatchObject({ error_description: 'Application has been disconnected' })
    const grant = await world.test.server.store.oauth.findGrant(first.grantId)
    expect(grant?.disconnect_reason).toBe('refresh_token_reuse')
  })

  it('refuses the previous token once its successor has been used, and revokes the grant', async () => {
    const first = await obtainTokens(world)
    const second = await refresh(world, first.clientId, first.refreshToken)
    // The successor is used: `first` is no longer the previous token of an unused successor.
    const third = await refresh(world, first.clientId, String(second.body.refresh_token))
    expect(third.status).toBe(200)
    const late = await refresh(world, first.clientId, first.refreshToken)
    expect(late.status).toBe(400)
    expect((await refresh(world, first.clientId, String(third.body.refresh_token))).status).toBe(400)
  })

  it('refuses a refresh that asks for a scope the grant does not have (no escalation)', async () => {
    const first = await obtainTokens(world, { scope: 'mcp:read' })
    const escalate = await refresh(world, first.clientId, first.refreshToken, { scope: 'mcp:read mcp:sql' })
    expect(escalate.status).toBe(400)
    expect(escalate.body.error).toBe('invalid_scope')
  })
})
