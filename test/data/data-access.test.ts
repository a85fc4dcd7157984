import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

/**
 * Who may use which data tool (SPEC §4.2, §5): the permission is decided before
 * any tool runs (HTTP 403 naming the scope); projects, domains and organizations
 * bound what a permitted call can see, and what is out of bounds answers like
 * what does not exist.
 */
describe('data access', () => {
  let warehouse: Warehouse
  let server: TestServer
  let acme: Fixture
  const keys: Record<string, string> = {}

  const post = (key: string, body: unknown) => mcpPost(server.url, body, { authorization: `Bearer ${key}` })
  const call = async (key: string, name: string, args: Record<string, unknown> = {}) => {
    const response = await post(key, callTool(name, args))
    expect(response.status).toBe(200)
    return (
      (await response.json()) as {
        result: { isError?: boolean; content: { text: string }[]; structuredContent?: Record<string, unknown> }
      }
    ).result
  }
  const toolNames = async (key: string) => {
    const response = await post(key, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
    return ((await response.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)
  }

  beforeAll(async () => {
    warehouse = await demoWarehouse('duckdb', 500)
    server = await startTestServer()
    const store = server.server.store
    acme = await seedOrg(store)
    await applyDemoProject(store, acme, warehouse)
    keys.sqlOnly = (await createKey(store, acme, { permissions: 'sql:read' })).key
    keys.read = (await createKey(store, acme, { permissions: 'read' })).key
    keys.customersDomain = (await createKey(store, acme, { permissions: 'read', domains: ['customers'] })).key
    const other = await store.projects.create(acme.orgId, 'marketing')
    keys.otherProject = (
      await createKey(store, acme, { permissions: 'data:read,domains:read,sql:read', projects: [other.id] })
    ).key
    const globex = await seedOrg(store, 'globex')
    keys.otherOrg = (await createKey(store, globex, { permissions: 'data:read,domains:read,sql:read' })).key
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  it.each([
    ['sqlOnly', 'query', { domain: 'sales', measures: ['revenue'] }, 'mcp:read'],
    ['sqlOnly', 'list_domains', {}, 'mcp:read'],
    ['sqlOnly', 'describe_domain', { domain: 'sales' }, 'mcp:read'],
    ['sqlOnly', 'top_customers', {}, 'mcp:read'],
    ['read', 'run_sql', { connection: 'warehouse', sql: 'SELECT 1' }, 'mcp:sql'],
    ['read', 'list_connections', {}, 'mcp:sql'],
    ['read', 'list_tables', { connection: 'warehouse' }, 'mcp:sql'],
    ['read', 'describe_table', { connection: 'warehouse', table: 'orders' }, 'mcp:sql'],
  ])('a %s key calling %s gets 403 naming the %s scope, before the tool runs', async (key, tool, args, scope) => {
    const response = await post(keys[key] as string, callTool(tool, args))
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain(`scope="${scope}"`)
  })

  it('lets a read key query the domains and a sql:read key run SQL', async () => {
    expect(
      (await call(keys.read as string, 'query', { domain: 'sales', measures: ['order_count'] })).structuredContent,
    ).toMatchObject({ rows: [[500]] })
    expect(
      (await call(keys.sqlOnly as string, 'run_sql', { connection: 'warehouse', sql: 'SELECT 1 AS one' }))
        .structuredContent,
    ).toMatchObject({ rows: [[1]] })
  })

  it('shows a domain-narrowed key only its domains; the others answer like unknown ones', async () => {
    const key = keys.customersDomain as string
    const listed = await call(key, 'list_domains')
    expect((listed.structuredContent?.domains as { name: string }[]).map((d) => d.name)).toEqual(['customers'])
    for (const [tool, args] of [
      ['describe_domain', { domain: 'sales' }],
      ['query', { domain: 'sales', measures: ['revenue'] }],
    ] as const) {
      const hidden = await call(key, tool, args)
      const unknown = await call(key, tool, { ...args, domain: 'nonexistent' })
      expect(hidden.isError).toBe(true)
      expect(hidden.content[0]?.text).toBe('Domain "sales" not found; list_domains shows the ones you can use')
      expect(unknown.content[0]?.text).toBe('Domain "nonexistent" not found; list_domains shows the ones you can use')
    }
    expect((await call(key, 'query', { domain: 'customers', measures: ['customer_count'] })).isError).toBeUndefined()
  })

  it.each(['otherProject', 'otherOrg'])(
    'gives a %s key none of the project’s connections, domains or tools',
    async (name) => {
      const key = keys[name] as string
      expect((await call(key, 'list_connections')).structuredContent).toEqual({ connections: [] })
      expect((await call(key, 'list_domains')).structuredContent).toEqual({ domains: [] })
      const sql = await call(key, 'run_sql', { connection: 'warehouse', sql: 'SELECT 1' })
      expect(sql.content[0]?.text).toBe('Connection "warehouse" not found; list_connections shows the ones you can use')
      expect(await toolNames(key)).not.toContain('top_customers')
      // Unknown to this credential: the same JSON-RPC answer as a tool that exists nowhere.
      const custom = (await (await post(key, callTool('top_customers'))).json()) as { error?: { message: string } }
      const nowhere = (await (await post(key, callTool('no_such_tool'))).json()) as { error?: { message: string } }
      expect(custom.error?.message).toBe(nowhere.error?.message.replace('no_such_tool', 'top_customers'))
      expect(custom.error?.message).toContain('not found')
    },
  )

  it('refuses a project the key is not scoped to, like an unknown one', async () => {
    const answer = await call(keys.otherProject as string, 'list_connections', { project: 'analytics' })
    expect(answer.content[0]?.text).toBe('Project "analytics" not found; list_projects shows the ones you can use')
  })
})

describe('a re-applied project', () => {
  it('changes what a running server offers at once: tools, domains and connections', async () => {
    await using warehouse = await demoWarehouse('duckdb', 200)
    await using server = await startTestServer()
    const store = server.server.store
    const fixture = await seedOrg(store)
    await applyDemoProject(store, fixture, warehouse)
    const { key } = await createKey(store, fixture, { permissions: 'data:read,domains:read,sql:read' })
    const post = (body: unknown) => mcpPost(server.url, body, { authorization: `Bearer ${key}` })
    const tools = async () =>
      (
        (await (await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).json()) as {
          result: { tools: { name: string }[] }
        }
      ).result.tools.map((t) => t.name)
    expect(await tools()).toContain('top_customers')

    const project = warehouse.project as { tools: { name: string }[]; domains: { name: string }[] }
    project.tools[0] = { ...project.tools[0], name: 'best_customers' } as never
    project.domains = project.domains.filter((d) => d.name !== 'customers')
    await applyDemoProject(store, fixture, warehouse)

    const names = await tools()
    expect(names).toContain('best_customers')
    expect(names).not.toContain('top_customers')
    const domains = (await (await post(callTool('list_domains'))).json()) as {
      result: { structuredContent: { domains: { name: string }[] } }
    }
    expect(domains.result.structuredContent.domains.map((d) => d.name)).toEqual(['sales'])
  })
})
