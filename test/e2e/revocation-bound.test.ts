import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS, freshStoreUrl } from '../support/test-stores.js'
import type { Backend, TestStoreUrl } from '../support/test-stores.js'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import { runCli, spawnServe } from '../support/spawn-gatehouse.js'
import type { ServeProcess } from '../support/spawn-gatehouse.js'
import { Store } from '../../src/store/store.js'
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service.js'
import { SigningKeys } from '../../src/auth/tokens/signing-keys.js'
import { TOKEN_TYPES } from '../../src/auth/tokens/token-types.js'

const PUBLIC_URL = 'http://localhost:8000'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('the revocation bound in the revoking process (SPEC §7)', () => {
  it('fails a revoked key at once, though it was cached', async () => {
    await using t = await startTestServer()
    const fixture = await seedOrg(t.server.store)
    const { key, id } = await createKey(t.server.store, fixture)
    const auth = { authorization: `Bearer ${key}` }
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(200)
    await new ApiKeyService(t.server.store, { record() {} }).revoke(fixture.orgId, id, 'test')
    const res = await mcpPost(t.url, callTool('list_projects'), auth)
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Token is revoked or expired' })
  })

  it('serves a verified key from its cache until a revocation signal arrives', async () => {
    await using t = await startTestServer({}, { revocationPollMs: 60_000 })
    const fixture = await seedOrg(t.server.store)
    const { key, id } = await createKey(t.server.store, fixture)
    const auth = { authorization: `Bearer ${key}` }
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(200)
    // Deleting the row behind the server's back (no counter bump) proves the second answer comes from the cache.
    await t.server.store.db.deleteFrom('api_keys').where('id', '=', id).execute()
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(200)
    await t.server.store.bumpCredentialEpoch()
    expect((await mcpPost(t.url, callTool('list_projects'), auth)).status).toBe(401)
  })
})

describe.each(BACKENDS)('the revocation bound across processes on %s (SPEC §7)', (backend: Backend) => {
  let store: TestStoreUrl
  let dir: string
  let configPath: string
  let servers: ServeProcess[] = []

  beforeAll(async () => {
    store = await freshStoreUrl(backend)
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-revoke-'))
    configPath = join(dir, 'gatehouse.yaml')
    writeFileSync(
      configPath,
      `server:\n  port: 0\n  public_url: ${PUBLIC_URL}\nstore:\n  url: ${store.url}\nlogging:\n  level: warn\n`,
    )
  })
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()))
    rmSync(dir, { recursive: true, force: true })
    await store.dispose()
  })

  it('fails a key revoked by the CLI on every server process within 1 s', async () => {
    const seeded = Store.open(store.url)
    await seeded.migrate()
    const fixture = await seedOrg(seeded)
    const { key, prefix } = await createKey(seeded, fixture)
    await seeded.close()

    servers = await Promise.all([spawnServe(configPath), spawnServe(configPath)])
    const auth = { authorization: `Bearer ${key}` }
    for (const server of servers) expect((await mcpPost(server.url, callTool('list_projects'), auth)).status).toBe(200)

    const revoked = await runCli(['--config', configPath, 'keys', 'revoke', prefix])
    expect(revoked.stderr).toBe('')
    expect(revoked.code).toBe(0)
    await sleep(1000)
    for (const server of servers) {
      const res = await mcpPost(server.url, callTool('list_projects'), auth)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'Token is revoked or expired' })
    }
  })

  // Every identity change that must fail a credential, made by the CLI (another process), within the bound.
  it.each([
    [
      'deactivating the user',
      (org: string, email: string) => ['users', 'deactivate', '--org', org, '--email', email],
      'Account is inactive',
    ],
    [
      'deleting the user',
      (org: string, email: string) => ['users', 'delete', '--org', org, '--email', email],
      'Account not found',
    ],
    ['deactivating the organization', (org: string) => ['orgs', 'deactivate', org], 'Account is inactive'],
    ['deleting the organization', (org: string) => ['orgs', 'delete', org], 'Account not found'],
    [
      'removing the user from this organization while they stay in another',
      (org: string, email: string) => ['users', 'delete', '--org', org, '--email', email],
      'User has no organization',
    ],
  ])('fails a cached key on every server process within 1 s after %s', async (what, command, description) => {
    const name = `org-${Math.random().toString(36).slice(2, 10)}`
    const seeded = Store.open(store.url)
    const fixture = await seedOrg(seeded, name)
    if (what.includes('stay in another')) {
      const other = await seeded.orgs.create(`${name}-other`)
      await seeded.users.createMember(other.id, { email: fixture.adminEmail, role: 'member' })
    }
    const { key } = await createKey(seeded, fixture)
    await seeded.close()
    const auth = { authorization: `Bearer ${key}` }
    for (const server of servers) expect((await mcpPost(server.url, callTool('list_projects'), auth)).status).toBe(200)

    const result = await runCli(['--config', configPath, ...command(name, fixture.adminEmail)])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    await sleep(1000)
    for (const server of servers) {
      const res = await mcpPost(server.url, callTool('list_projects'), auth)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: description })
    }
  })

  it('fails an OAuth access token on every server process within 1 s after its application is disconnected', async () => {
    const name = `org-${Math.random().toString(36).slice(2, 10)}`
    const seeded = Store.open(store.url)
    const fixture = await seedOrg(seeded, name)
    const member = await seeded.users.findMember(fixture.orgId, fixture.adminEmail)
    const grantId = `grant-${name}`
    await seeded.oauth.insertGrant({
      id: grantId,
      org_id: fixture.orgId,
      user_id: member?.userId ?? '',
      client_id: 'client-1',
      client_name: 'Claude',
      project_ids: JSON.stringify([fixture.projectId]),
      scopes: 'mcp:read',
      created_at: Date.now(),
      last_used_at: null,
      disconnected_at: null,
      disconnect_reason: null,
    })
    // The token the authorization server would issue for that grant, signed with the servers' shared keys.
    const keys = new SigningKeys(seeded.signingKeys, { issuer: PUBLIC_URL, audience: `${PUBLIC_URL}/mcp` })
    const token = await keys.sign(
      {
        sub: member?.userId,
        org_id: fixture.orgId,
        client_id: 'client-1',
        grant_id: grantId,
        scope: 'mcp:read',
        jti: name,
      },
      { typ: TOKEN_TYPES.access, expiresAt: Date.now() + 600_000 },
    )
    await seeded.close()
    const auth = { authorization: `Bearer ${token}` }
    for (const server of servers) expect((await mcpPost(server.url, callTool('list_projects'), auth)).status).toBe(200)

    const result = await runCli(['--config', configPath, 'apps', 'disconnect', grantId])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    await sleep(1000)
    for (const server of servers) {
      const res = await mcpPost(server.url, callTool('list_projects'), auth)
      expect(res.status).toBe(401)
      expect(await res.json()).toEqual({
        error: 'invalid_token',
        error_description: 'Application has been disconnected',
      })
    }
  })
})
