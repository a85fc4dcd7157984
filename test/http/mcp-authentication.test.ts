import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { defineTool } from '../../src/mcp/tool-definition.js'
import { CORE_TOOLS } from '../../src/mcp/tools/core-tools.js'
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service.js'

let sqlToolRuns = 0
const sqlTool = defineTool({
  name: 'needs_sql',
  title: 'Needs sql:read',
  description: 'A tool that needs dev-mode permission',
  input: z.object({}),
  permission: 'sql:read',
  async run() {
    sqlToolRuns++
    return { structuredContent: { ran: true }, text: 'ran' }
  },
})

const METADATA = 'http://localhost:8000/.well-known/oauth-protected-resource/mcp'
const challenge = (error: string | null, description: string, scope = 'mcp:read') =>
  error === null
    ? `Bearer realm="gatehouse", resource_metadata="${METADATA}", scope="${scope}"`
    : `Bearer realm="gatehouse", error="${error}", error_description="${description}", resource_metadata="${METADATA}", scope="${scope}"`

describe('authentication on /mcp (SPEC §4.4)', () => {
  let t: TestServer
  let fixture: Fixture
  const keys: Record<string, string> = {}

  beforeAll(async () => {
    t = await startTestServer(
      { server: { allowed_origins: ['https://app.example.com'], max_body_bytes: 4096 } },
      { tools: [...CORE_TOOLS, sqlTool] },
    )
    const store = t.server.store
    fixture = await seedOrg(store)
    keys.valid = (await createKey(store, fixture)).key
    keys.sql = (await createKey(store, fixture, { permissions: 'data:read,sql:read' })).key
    const revoked = await createKey(store, fixture)
    await new ApiKeyService(store, { record() {} }).revoke(fixture.orgId, revoked.id, 'test')
    keys.revoked = revoked.key
    const expired = await createKey(store, fixture, { expires: '7d' })
    await store.db
      .updateTable('api_keys')
      .set({ expires_at: Date.now() - 1000 })
      .where('id', '=', expired.id)
      .execute()
    keys.expired = expired.key
    const valid = keys.valid as string
    keys.wrongSecret = `${valid.slice(0, 16)}${'A'.repeat(32)}`
    keys.unknownId = `gk_${'Z'.repeat(12)}_${valid.slice(16)}`

    // One organization per identity change, so each key has exactly one reason to fail.
    const seeded = async (name: string) => {
      const org = await seedOrg(store, name)
      return { org, key: (await createKey(store, org)).key }
    }
    const lonely = await seeded('lonely')
    const elsewhere = await store.orgs.create('elsewhere')
    await store.users.createMember(elsewhere.id, { email: lonely.org.adminEmail, role: 'member' })
    const member = async (f: Fixture) => (await store.users.findMember(f.orgId, f.adminEmail))?.userId ?? ''
    await store.users.removeMember(lonely.org.orgId, await member(lonely.org))
    keys.noOrganization = lonely.key
    const gone = await seeded('gone')
    await store.users.removeMember(gone.org.orgId, await member(gone.org))
    keys.deletedUser = gone.key
    const sleepy = await seeded('sleepy')
    await store.users.setMembershipStatus(sleepy.org.orgId, await member(sleepy.org), 'inactive')
    keys.inactiveUser = sleepy.key
    const paused = await seeded('paused')
    await store.orgs.setStatus(paused.org.orgId, 'inactive')
    keys.inactiveOrg = paused.key
    const closed = await seeded('closed')
    await store.orgs.delete(closed.org.orgId)
    keys.deletedOrg = closed.key
  })
  afterAll(async () => t.close())

  it('answers a valid API key', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${keys.valid}` })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { result: { structuredContent: { projects: { id: string }[] } } }
    expect(body.result.structuredContent.projects.map((p) => p.id)).toEqual([fixture.projectId])
  })

  it('accepts the Bearer scheme in any case', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `bearer ${keys.valid}` })
    expect(res.status).toBe(200)
  })

  const refusals: [string, () => Record<string, string>, string | null, string][] = [
    ['no Authorization header', () => ({}), null, 'Missing bearer token'],
    ['an empty Authorization header', () => ({ authorization: '' }), null, 'Missing bearer token'],
    ['another scheme', () => ({ authorization: `Basic ${keys.valid}` }), 'invalid_token', 'Invalid token'],
    ['a malformed key', () => ({ authorization: 'Bearer gk_short_key' }), 'invalid_token', 'Invalid token'],
    [
      'an unrecognised credential',
      () => ({ authorization: 'Bearer not-a-gatehouse-token' }),
      'invalid_token',
      'Invalid token',
    ],
    ['an unknown key id', () => ({ authorization: `Bearer ${keys.unknownId}` }), 'invalid_token', 'Invalid token'],
    ['a wrong secret', () => ({ authorization: `Bearer ${keys.wrongSecret}` }), 'invalid_token', 'Invalid token'],
    [
      'a revoked key',
      () => ({ authorization: `Bearer ${keys.revoked}` }),
      'invalid_token',
      'Token is revoked or expired',
    ],
    [
      'an expired key',
      () => ({ authorization: `Bearer ${keys.expired}` }),
      'invalid_token',
      'Token is revoked or expired',
    ],
    [
      'the key of a user removed from its organization (member elsewhere)',
      () => ({ authorization: `Bearer ${keys.noOrganization}` }),
      'invalid_token',
      'User has no organization',
    ],
    [
      'the key of a deleted user',
      () => ({ authorization: `Bearer ${keys.deletedUser}` }),
      'invalid_token',
      'Account not found',
    ],
    [
      'the key of a deleted organization',
      () => ({ authorization: `Bearer ${keys.deletedOrg}` }),
      'invalid_token',
      'Account not found',
    ],
    [
      'the key of a deactivated user',
      () => ({ authorization: `Bearer ${keys.inactiveUser}` }),
      'invalid_token',
      'Account is inactive',
    ],
    [
      'the key of a deactivated organization',
      () => ({ authorization: `Bearer ${keys.inactiveOrg}` }),
      'invalid_token',
      'Account is inactive',
    ],
  ]

  it.each(refusals)(
    'refuses %s with 401, a recoverable challenge and the SPEC body',
    async (_, headers, error, description) => {
      const res = await mcpPost(t.url, callTool('list_projects'), headers())
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe(challenge(error, description))
      expect(await res.json()).toEqual({ error: error ?? 'unauthorized', error_description: description })
    },
  )

  it('never echoes the presented credential in a refusal', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${keys.wrongSecret}` })
    const text = `${res.headers.get('www-authenticate')} ${await res.text()}`
    expect(text).not.toContain((keys.wrongSecret as string).slice(16))
  })

  it('refuses a token in the query string, even with a valid header', async () => {
    const res = await fetch(`${t.url}/mcp?access_token=${keys.valid}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.valid}` },
      body: JSON.stringify(callTool('list_projects')),
    })
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'Access tokens are accepted only in the Authorization header, never in the query string',
    })
  })

  it('refuses a call the credential lacks the permission for with 403 insufficient_scope, before the tool runs', async () => {
    const before = sqlToolRuns
    const res = await mcpPost(t.url, callTool('needs_sql'), { authorization: `Bearer ${keys.valid}` })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(
      challenge('insufficient_scope', 'This call needs the mcp:sql scope', 'mcp:sql'),
    )
    expect(await res.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'This call needs the mcp:sql scope',
    })
    expect(sqlToolRuns).toBe(before)
  })

  it('runs the same tool for a credential that has the permission', async () => {
    const res = await mcpPost(t.url, callTool('needs_sql'), { authorization: `Bearer ${keys.sql}` })
    expect(res.status).toBe(200)
    expect(sqlToolRuns).toBeGreaterThan(0)
  })

  it('refuses a batch as a whole when one call lacks the permission', async () => {
    const before = sqlToolRuns
    const res = await mcpPost(t.url, [callTool('list_projects', {}, 1), callTool('needs_sql', {}, 2)], {
      authorization: `Bearer ${keys.valid}`,
    })
    expect(res.status).toBe(403)
    expect(sqlToolRuns).toBe(before)
  })

  it('refuses a browser Origin that is not allowed with 403, before authentication', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), {
      authorization: `Bearer ${keys.valid}`,
      origin: 'https://evil.example.com',
    })
    expect(res.status).toBe(403)
    expect(res.headers.get('www-authenticate')).toBe(challenge('invalid_request', 'Origin not allowed'))
    expect(await res.json()).toEqual({ error: 'invalid_request', error_description: 'Origin not allowed' })
  })

  it('serves an allowed Origin with CORS headers', async () => {
    const res = await mcpPost(t.url, callTool('list_projects'), {
      authorization: `Bearer ${keys.valid}`,
      origin: 'https://app.example.com',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com')
  })

  it('refuses a body over server.max_body_bytes with 413 and runs nothing', async () => {
    const res = await mcpPost(t.url, callTool('list_projects', { response_format: 'json', pad: 'x'.repeat(5000) }), {
      authorization: `Bearer ${keys.valid}`,
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32000, message: 'Payload too large: the request body exceeds 4096 bytes' },
    })
  })

  it('refuses a chunked body that grows over the limit while it streams', async () => {
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode(' '.repeat(1000)))
        controller.close()
      },
    })
    const res = await fetch(`${t.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.valid}` },
      body: chunks,
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
  })

  it('audits each refused authentication with its reason and never the secret', async () => {
    await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${keys.wrongSecret}` })
    await t.server.audit.flush()
    const rows = await t.server.store.audit.query({ type: 'auth.failed' })
    const reasons = rows.map((r) => (JSON.parse(r.data) as { reason: string }).reason)
    expect(reasons).toContain('AUTH_INVALID')
    expect(reasons).toContain('AUTH_MISSING')
    expect(reasons).toContain('AUTH_EXPIRED')
    for (const row of rows) expect(row.data).not.toContain((keys.wrongSecret as string).slice(16))
  })
})

describe('last_used_at', () => {
  it('moves with every use, cached or not, and reaches the store on shutdown without a write per request', async () => {
    const t = await startTestServer()
    const fixture = await seedOrg(t.server.store)
    const { key, id } = await createKey(t.server.store, fixture)
    const auth = { authorization: `Bearer ${key}` }
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(200)
    await new Promise((r) => setTimeout(r, 20))
    const beforeSecond = Date.now()
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(200)
    // Not written per request: the row still has no time until the tracker flushes.
    expect((await t.server.store.apiKeys.findById(id))?.last_used_at).toBeNull()
    await t.server.close()
    const { Store } = await import('../../src/store/store.js')
    const store = Store.open(`sqlite:${t.dir}/state.db`)
    try {
      expect((await store.apiKeys.findById(id))?.last_used_at).toBeGreaterThanOrEqual(beforeSecond)
    } finally {
      await store.close()
      await t.close().catch(() => {})
    }
  })
})
