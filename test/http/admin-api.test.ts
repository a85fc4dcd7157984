import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { ApiKeyService } from '../../src/auth/api-keys/api-key-service.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import type { Store } from '../../src/store/store.js'

async function adminKey(store: Store, fixture: Fixture): Promise<string> {
  const none = parsePermissions('read')
  if (!none.ok) throw new Error(none.error)
  const { key } = await new ApiKeyService(store, { record() {} }).create({
    orgId: fixture.orgId,
    userEmail: fixture.adminEmail,
    name: 'admin',
    projects: [],
    domains: [],
    permissions: none.value,
    expires: '90d',
    admin: true,
    createdBy: 'test',
  })
  return key
}

/** The admin API (SPEC §3.4): org admin keys only, everything scoped to the key's organization. */
describe('the admin API', () => {
  let t: TestServer
  let acme: Fixture
  let globex: Fixture
  let acmeAdmin: string
  let globexAdmin: string
  let acmeReader: string

  const api = async (method: string, path: string, key: string | undefined, body?: unknown) => {
    const response = await fetch(`${t.url}/api/v1/${path}`, {
      method,
      headers: {
        ...(key !== undefined && { authorization: `Bearer ${key}` }),
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    })
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> } // eslint-disable-line @typescript-eslint/no-explicit-any
  }
  const mcpStatus = async (key: string) => {
    const response = await mcpPost(t.url, callTool('list_projects'), { authorization: `Bearer ${key}` })
    return { status: response.status, body: (await response.json()) as unknown }
  }

  beforeAll(async () => {
    t = await startTestServer()
    acme = await seedOrg(t.server.store, 'acme')
    globex = await seedOrg(t.server.store, 'globex')
    acmeAdmin = await adminKey(t.server.store, acme)
    globexAdmin = await adminKey(t.server.store, globex)
    acmeReader = (await createKey(t.server.store, acme)).key
  })
  afterAll(async () => {
    await t?.close()
  })

  it.each([
    ['no credential', undefined, 401, { error: 'unauthorized', error_description: 'Missing bearer token' }],
    ['a key without the admin permission', 'reader', 403, { error: 'access_denied' }],
    ['a malformed key', 'gk_nope', 401, { error: 'invalid_token', error_description: 'Invalid token' }],
  ])('refuses %s', async (_what, which, status, body) => {
    const key = which === 'reader' ? acmeReader : (which ?? undefined)
    const response = await api('GET', 'users', key)
    expect(response.status).toBe(status)
    expect(response.body).toMatchObject(body)
    expect(response.headers.get('www-authenticate')).toContain('resource_metadata=')
  })

  it('manages users: create, list, deactivate (their keys fail), reactivate, set attributes, delete', async () => {
    const created = await api('POST', 'users', acmeAdmin, { email: 'bo@acme.test', role: 'member', groups: ['emea'] })
    expect(created.status).toBe(201)
    const userId = created.body.user_id as string
    const listed = await api('GET', 'users', acmeAdmin)
    expect((listed.body.users as { email: string }[]).map((u) => u.email)).toEqual(['admin@acme.test', 'bo@acme.test'])

    const boKey = (await createKey(t.server.store, { ...acme, adminEmail: 'bo@acme.test' })).key
    expect((await mcpStatus(boKey)).status).toBe(200)

    expect((await api('PATCH', `users/${userId}`, acmeAdmin, { status: 'inactive' })).body.status).toBe('inactive')
    expect(await mcpStatus(boKey)).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'Account is inactive' },
    })
    await api('PATCH', `users/${userId}`, acmeAdmin, { status: 'active' })
    expect((await mcpStatus(boKey)).status).toBe(200)

    const attrs = await api('PATCH', `users/${userId}`, acmeAdmin, { attributes: { tenant_id: 't_globex' } })
    expect(attrs.body.attributes).toEqual({ tenant_id: 't_globex' })
    const promoted = await api('PATCH', `users/${userId}`, acmeAdmin, { role: 'admin', groups: ['emea', 'finance'] })
    expect(promoted.body).toMatchObject({ role: 'admin', groups: ['emea', 'finance'] })
    // The key acts with the member's current role at once (the cached principal was dropped).
    const context = await mcpPost(t.url, callTool('get_access_context'), { authorization: `Bearer ${boKey}` })
    expect(JSON.stringify(await context.json())).toContain('"role":"admin"')

    expect((await api('DELETE', `users/${userId}`, acmeAdmin)).body).toMatchObject({
      removed: true,
      user_deleted: true,
    })
    expect(await mcpStatus(boKey)).toEqual({
      status: 401,
      body: { error: 'invalid_token', error_description: 'Account not found' },
    })
  })

  it('manages tenants and projects', async () => {
    const tenant = await api('POST', 'tenants', acmeAdmin, { name: 'initech', attributes: { tenant_id: 't_initech' } })
    expect(tenant.status).toBe(201)
    expect(tenant.body).toMatchObject({ name: 'initech', attributes: { tenant_id: 't_initech' } })
    expect((await api('POST', 'tenants', acmeAdmin, { name: 'initech' })).status).toBe(409)
    expect((await api('GET', 'tenants', acmeAdmin)).body.tenants).toHaveLength(1)
    expect((await api('POST', 'projects', acmeAdmin, { name: 'marketing' })).status).toBe(201)
    const projects = (await api('GET', 'projects', acmeAdmin)).body.projects as { name: string }[]
    expect(projects.map((p) => p.name)).toEqual(['analytics', 'marketing'])
  })

  it('creates a key once, lists keys without secrets, and revokes one', async () => {
    const created = await api('POST', 'keys', acmeAdmin, {
      user: 'admin@acme.test',
      name: 'ci',
      projects: ['analytics'],
      permissions: 'data:read,sql:read',
    })
    expect(created.status).toBe(201)
    const key = created.body.key as string
    expect((await mcpStatus(key)).status).toBe(200)
    const listed = JSON.stringify((await api('GET', 'keys', acmeAdmin)).body)
    expect(listed).not.toContain(key.slice(16))
    expect((await api('DELETE', `keys/${created.body.prefix as string}`, acmeAdmin)).body.status).toBe('revoked')
    expect((await mcpStatus(key)).body).toEqual({
      error: 'invalid_token',
      error_description: 'Token is revoked or expired',
    })
  })

  it.each([
    ['POST', 'users', { email: 'not-an-email' }, 'Invalid user'],
    ['POST', 'users', { email: 'x@acme.test', admin: true }, 'Invalid user'],
    ['POST', 'tenants', { name: 'ten_fake' }, 'may not start with ten_'],
    ['POST', 'projects', { name: '' }, 'Invalid project'],
    ['POST', 'keys', { user: 'admin@acme.test', name: 'k', projects: [] }, 'expected at least one project'],
    [
      'POST',
      'keys',
      { user: 'admin@acme.test', name: 'k', projects: ['analytics'], permissions: 'admin' },
      'permissions',
    ],
    ['PATCH', 'users/usr_unknown', { status: 'deleted' }, 'Invalid user update'],
    ['GET', 'audit?decision=maybe', undefined, 'Invalid audit query'],
  ])('refuses %s /%s with %j, saying what is wrong', async (method, path, body, expected) => {
    const response = await api(method, path, acmeAdmin, body)
    expect(response.status).toBe(400)
    expect(response.body.error_description).toContain(expected)
  })

  it('never reaches another organization: its ids answer like unknown ones', async () => {
    const acmeUser = ((await api('GET', 'users', acmeAdmin)).body.users as { user_id: string }[])[0]?.user_id ?? ''
    const acmeKeys = (await api('GET', 'keys', acmeAdmin)).body.keys as { prefix: string }[]
    const target = acmeKeys.find((k) => k.prefix !== undefined)?.prefix ?? ''
    for (const [method, path, body] of [
      ['PATCH', `users/${acmeUser}`, { status: 'inactive' }],
      ['DELETE', `users/${acmeUser}`, undefined],
      ['DELETE', `keys/${target}`, undefined],
    ] as const) {
      const fromGlobex = await api(method, path, globexAdmin, body)
      const unknown = await api(method, path.replace(/\/.*/, '/usr_doesnotexist1'), globexAdmin, body)
      expect(fromGlobex.status).toBe(404)
      expect(unknown.status).toBe(404)
    }
    const globexView = JSON.stringify([
      (await api('GET', 'users', globexAdmin)).body,
      (await api('GET', 'tenants', globexAdmin)).body,
      (await api('GET', 'projects', globexAdmin)).body,
      (await api('GET', 'keys', globexAdmin)).body,
      (await api('GET', 'audit', globexAdmin)).body,
    ])
    expect(globexView).not.toContain('acme')
    expect(globexView).not.toContain(acme.orgId)
    expect((await mcpStatus(acmeReader)).status).toBe(200)
  })
})
