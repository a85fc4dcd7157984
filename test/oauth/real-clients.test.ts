import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeJwt } from 'jose'
import { authorizeWithForms, tokenRequest } from '../support/oauth-driver.js'
import { PASSWORD, authorizeUrl, obtainTokens, registerPublicClient, startOAuthWorld } from '../support/oauth-world.js'
import type { OAuthWorld } from '../support/oauth-world.js'
import { callTool, mcpPost } from '../support/test-server.js'

/** What real MCP clients do (issue 5 §8), each handled. */
describe('what real clients do', () => {
  let world: OAuthWorld
  beforeAll(async () => {
    world = await startOAuthWorld({
      auth: {
        clients: [
          {
            client_id: 'static-app',
            client_secret: 'static-app-secret-value',
            name: 'Static App',
            redirect_uris: ['https://app.example/callback'],
          },
        ],
      },
    })
  })
  afterAll(async () => world.close())

  const flow = async (clientId: string, redirectUri: string, params: Record<string, string> = {}) => {
    const { url, verifier, state } = authorizeUrl(world.base, {
      client_id: clientId,
      redirect_uri: redirectUri,
      ...params,
    })
    const { location } = await authorizeWithForms(world.base, url, { email: world.email, password: PASSWORD })
    const back = new URL(location)
    expect(back.searchParams.get('state')).toBe(state)
    return { code: back.searchParams.get('code') ?? '', verifier, location }
  }

  it('sends no resource parameter: the token is for the canonical MCP URL', async () => {
    const { accessToken } = await obtainTokens(world)
    expect(decodeJwt(accessToken).aud).toBe(world.resource)
  })

  it.each([
    ['a trailing slash', (w: OAuthWorld) => `${w.resource}/`],
    [
      'an upper-case host',
      (w: OAuthWorld) => w.resource.replace('127.0.0.1', '127.0.0.1').replace('http://', 'HTTP://'),
    ],
  ])('sends a resource with %s: accepted as the canonical URL', async (_name, resource) => {
    const { accessToken } = await obtainTokens(world, { extra: { resource: resource(world) } })
    expect(decodeJwt(accessToken).aud).toBe(world.resource)
  })

  it('re-registers on every connect: identical public registrations from one source share one client', async () => {
    const ids = new Set<unknown>()
    for (let i = 0; i < 4; i++)
      ids.add((await registerPublicClient(world.base, { client_name: 'Reconnecting' })).body.client_id)
    expect(ids.size).toBe(1)
    const rows = await world.test.server.store.oauth.listClients()
    expect(rows.filter((r) => r.metadata.includes('Reconnecting'))).toHaveLength(1)
  })

  it('authenticates with client_secret_post only', async () => {
    const registered = await fetch(`${world.base}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Post Only',
        redirect_uris: ['https://post.example/callback'],
        token_endpoint_auth_method: 'client_secret_post',
        grant_types: ['authorization_code', 'refresh_token'],
      }),
    })
    expect(registered.status).toBe(201)
    const client = (await registered.json()) as { client_id: string; client_secret: string }
    const { code, verifier } = await flow(client.client_id, 'https://post.example/callback')
    const token = await tokenRequest(world.base, {
      grant_type: 'authorization_code',
      code,
      redirect_uri: 'https://post.example/callback',
      client_id: client.client_id,
      client_secret: client.client_secret,
      code_verifier: verifier,
    })
    expect(token.status).toBe(200)
    const call = await mcpPost(world.base, callTool('get_access_context'), {
      authorization: `Bearer ${String(token.body.access_token)}`,
    })
    expect(call.status).toBe(200)
  })

  it('registers a cursor:// redirect URI (a private-use scheme of a public client) and is sent back to it', async () => {
    const redirectUri = 'cursor://anysphere.cursor-retrieval/oauth/user-gatehouse/callback'
    const registered = await registerPublicClient(world.base, { client_name: 'Cursor', redirect_uris: [redirectUri] })
    expect(registered.status).toBe(201)
    expect(registered.body.application_type).toBe('native')
    const { location } = await flow(String(registered.body.client_id), redirectUri)
    expect(location.startsWith(`${redirectUri}?`)).toBe(true)
    expect(new URL(location).searchParams.get('iss')).toBe(world.base)
  })

  it('a static confidential client from the config authenticates with client_secret_basic', async () => {
    const { code, verifier } = await flow('static-app', 'https://app.example/callback')
    const basic = Buffer.from('static-app:static-app-secret-value').toString('base64')
    const token = await tokenRequest(
      world.base,
      { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example/callback', code_verifier: verifier },
      { authorization: `Basic ${basic}` },
    )
    expect(token.status).toBe(200)
    const wrong = Buffer.from('static-app:nope').toString('base64')
    const refused = await tokenRequest(
      world.base,
      { grant_type: 'refresh_token', refresh_token: String(token.body.refresh_token) },
      { authorization: `Basic ${wrong}` },
    )
    expect(refused.status).toBe(401)
  })

  it('introspects its own access token (RFC 7662), which stops being active once disconnected', async () => {
    const tokens = await obtainTokens(world)
    const introspect = async (clientId: string) =>
      (await (
        await fetch(`${world.base}/oauth/introspect`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token: tokens.accessToken, client_id: clientId }).toString(),
        })
      ).json()) as Record<string, unknown>
    expect(await introspect(tokens.clientId)).toMatchObject({
      active: true,
      client_id: tokens.clientId,
      sub: world.userId,
      org_id: world.orgId,
      aud: world.resource,
      scope: 'mcp:read',
    })
    expect(await introspect('someone-else')).toEqual({ active: false })
    await world.test.server.store.oauth.revokeGrant(tokens.grantId, 'disconnected')
    expect(await introspect(tokens.clientId)).toEqual({ active: false })
  })
})
