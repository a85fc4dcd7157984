import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'
import { ProjectSecretService } from '../../src/auth/project-tokens/project-secret-service.js'
import { permissionsToObject, parsePermissions } from '../../src/domain/permissions.js'
import type { Store } from '../../src/store/store.js'

const PERMISSIONS_A = 'data:read,domains:read,sql:read,saved_queries:read+write+delete'

function permissionSet(list: string) {
  const parsed = parsePermissions(list)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}

const permissionObject = (list: string) => permissionsToObject(permissionSet(list))

/** An org-user project token of org A, minted over HTTP as an embedding backend would. */
async function mintOrgUserToken(
  url: string,
  store: Store,
  fixture: Fixture,
): Promise<{ token: string; secret: string }> {
  const { secret } = await new ProjectSecretService(store, { record() {} }).create({
    orgId: fixture.orgId,
    project: fixture.projectId,
    maxPermissions: permissionSet(PERMISSIONS_A),
    allowOrgUsers: true,
    createdBy: 'test',
  })
  const response = await fetch(`${url}/api/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'project',
      projectId: fixture.projectId,
      projectSecret: secret,
      orgUserId: fixture.adminEmail,
      permissions: permissionObject(PERMISSIONS_A),
    }),
  })
  const body = (await response.json()) as { accessToken: string }
  expect(response.status, JSON.stringify(body)).toBe(200)
  return { token: body.accessToken, secret }
}

interface Answer {
  readonly isError?: boolean
  readonly content: { text: string }[]
  readonly structuredContent?: Record<string, unknown>
}

/**
 * Organization isolation (SPEC §2): two organizations with the same project,
 * connection, domain and tool names over different data. Every tool is called
 * with org A's credential against org B's resources, by id, by name and by
 * guess: A only ever sees A's data or "not found", and every call is audited
 * in A's organization.
 */
describe.each(['api_key', 'project_token'] as const)(
  'organization isolation across every tool, with %s credentials',
  (kind) => {
    let server: TestServer
    const warehouses: Warehouse[] = []
    let a: Fixture
    let b: Fixture
    let keyA: string
    /** What identifies A's credential in audit records: the key prefix, or the token's jti. */
    let prefixA: string
    let secretA: string | undefined
    const ORDERS_A = 300
    const ORDERS_B = 700

    const call = async (name: string, args: Record<string, unknown> = {}) => {
      const response = await mcpPost(server.url, callTool(name, args), { authorization: `Bearer ${keyA}` })
      expect(response.status).toBe(200)
      return ((await response.json()) as { result: Answer }).result
    }
    const orderCount = async (args: Record<string, unknown> = {}) =>
      (await call('run_sql', { connection: 'warehouse', sql: 'SELECT count(*) FROM main.orders', ...args }))
        .structuredContent?.rows

    beforeAll(async () => {
      server = await startTestServer()
      const store = server.server.store
      a = await seedOrg(store, 'acme')
      b = await seedOrg(store, 'globex')
      for (const [fixture, orders] of [
        [a, ORDERS_A],
        [b, ORDERS_B],
      ] as const) {
        const warehouse = await demoWarehouse('duckdb', orders)
        warehouses.push(warehouse)
        await applyDemoProject(store, fixture, warehouse)
      }
      if (kind === 'api_key') {
        const createdA = await createKey(store, a, { permissions: PERMISSIONS_A })
        keyA = createdA.key
        prefixA = createdA.prefix
      } else {
        const minted = await mintOrgUserToken(server.url, store, a)
        keyA = minted.token
        secretA = minted.secret
        const [, payload = ''] = keyA.split('.')
        prefixA = (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { jti: string }).jti
      }
      const keyB = (await createKey(store, b, { permissions: 'data:read,domains:read,saved_queries:read+write' })).key
      const saved = await mcpPost(
        server.url,
        callTool('save_query', { name: 'b_revenue', standard: { domain: 'sales', measures: ['revenue'] } }),
        { authorization: `Bearer ${keyB}` },
      )
      expect(((await saved.json()) as { result: Answer }).result.isError).toBeUndefined()
    }, 60_000)
    afterAll(async () => {
      await server?.close()
      for (const warehouse of warehouses) await warehouse.close()
    })

    it('resolves shared names (project, connection, domain, tool) inside the caller’s organization only', async () => {
      expect(await orderCount()).toEqual([[ORDERS_A]])
      expect(await orderCount({ project: 'analytics' })).toEqual([[ORDERS_A]])
      const query = await call('query', { domain: 'sales', measures: ['order_count'] })
      expect(query.structuredContent?.rows).toEqual([[ORDERS_A]])
      const projects = (await call('list_projects')).structuredContent?.projects as { id: string }[]
      expect(projects.map((p) => p.id)).toEqual([a.projectId])
    })

    const otherProjectCalls: readonly [string, Record<string, unknown>][] = [
      ['list_connections', {}],
      ['list_tables', { connection: 'warehouse' }],
      ['describe_table', { connection: 'warehouse', table: 'main.orders' }],
      ['run_sql', { connection: 'warehouse', sql: 'SELECT 1' }],
      ['list_domains', {}],
      ['describe_domain', { domain: 'sales' }],
      ['query', { domain: 'sales', measures: ['order_count'] }],
    ]

    it.each(otherProjectCalls)(
      'answers %s on the other organization’s project id with "not found"',
      async (tool, args) => {
        for (const project of [b.projectId, 'prj_0000000000000000', 'prj_guessed']) {
          const answer = await call(tool, { ...args, project })
          expect(answer.isError).toBe(true)
          expect(answer.content[0]?.text).toBe(
            `Project "${project}" not found; list_projects shows the ones you can use`,
          )
        }
      },
    )

    it('never reaches the other organization’s saved queries, by name or through its project id', async () => {
      expect((await call('list_saved_queries')).structuredContent).toEqual({ saved_queries: [] })
      for (const tool of ['run_saved_query', 'delete_saved_query']) {
        const byName = await call(tool, { name: 'b_revenue' })
        expect(byName.content[0]?.text).toBe(
          'Saved query "b_revenue" not found; list_saved_queries shows the ones you can use',
        )
        const byProject = await call(tool, { name: 'b_revenue', project: b.projectId })
        expect(byProject.content[0]?.text).toContain('not found')
      }
    })

    it('refuses to mint with the caller’s secret for the other organization’s project or tenant, revealing nothing', async () => {
      // With an API key as the credential, that key is offered as the secret: it must fail the same way.
      const secret = secretA ?? keyA
      const tenantB = await server.server.store.tenants.create(b.orgId, { name: `b-tenant-${kind}` })
      const mint = async (fields: Record<string, unknown>) => {
        const response = await fetch(`${server.url}/api/v1/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ type: 'project', projectSecret: secret, ...fields }),
        })
        return { status: response.status, body: (await response.json()) as Record<string, unknown> }
      }
      const otherProject = await mint({ projectId: b.projectId })
      const guessed = await mint({ projectId: 'prj_0000000000000000' })
      expect(otherProject).toEqual(guessed)
      expect(otherProject.status).toBe(401)
      const otherTenant = await mint({ projectId: a.projectId, tenantId: tenantB.id })
      const unknownTenant = await mint({ projectId: a.projectId, tenantId: 'ten_0000000000000000' })
      expect(otherTenant).toEqual(unknownTenant)
      expect(otherTenant.status).toBe(secretA === undefined ? 401 : 400)
    })

    it('never shows the other organization’s data or names in any listing', async () => {
      const listings = JSON.stringify(
        await Promise.all([
          call('get_access_context'),
          call('list_projects'),
          call('list_connections'),
          call('list_domains'),
        ]),
      )
      expect(listings).not.toContain(b.orgId)
      expect(listings).not.toContain(b.projectId)
      expect(listings).not.toContain('globex')
    })

    it('audits every call in the caller’s organization, none in the other', async () => {
      await call('list_projects')
      await server.server.audit.flush()
      const calls = await server.server.store.audit.query({ type: 'mcp.call' })
      const ofA = calls.filter((c) => c.data.includes(prefixA))
      expect(ofA.length).toBeGreaterThan(otherProjectCalls.length * 3)
      expect(new Set(ofA.map((c) => c.org_id))).toEqual(new Set([a.orgId]))
      expect(calls.filter((c) => c.org_id === b.orgId).every((c) => !c.data.includes(prefixA))).toBe(true)
    })
  },
)
