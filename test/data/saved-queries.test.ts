import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

interface ToolAnswer {
  readonly isError?: boolean
  readonly content: { text: string }[]
  readonly structuredContent?: Record<string, unknown>
}

interface SavedQuerySummary {
  readonly name: string
  readonly project: string
  readonly mode: string
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

const SALES_BY_REGION = { domain: 'sales', dimensions: ['region'], measures: ['revenue'], order_by: ['region'] }
const CUSTOMERS_BY_REGION = { domain: 'customers', dimensions: ['region'], measures: ['customer_count'] }
const ORDERS_SQL = {
  connection: 'warehouse',
  sql: 'SELECT region, count(*) AS orders FROM main.orders GROUP BY region ORDER BY region',
}

const notFound = (name: string) => `Saved query "${name}" not found; list_saved_queries shows the ones you can use`

/**
 * Saved queries (SPEC §2, §4.2, §5): saved by name in a project, listed and
 * run only by who could run the query itself, through the same path as
 * `query` and `run_sql`; everything out of bounds answers like what does not exist.
 */
describe('saved queries', () => {
  let warehouse: Warehouse
  let server: TestServer
  let acme: Fixture
  const keys: Record<string, string> = {}

  const post = (key: string, body: unknown) => mcpPost(server.url, body, { authorization: `Bearer ${key}` })
  const call = async (key: string, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const response = await post(key, callTool(name, args))
    expect(response.status).toBe(200)
    return ((await response.json()) as { result: ToolAnswer }).result
  }
  const ok = async (key: string, name: string, args: Record<string, unknown> = {}) => {
    const answer = await call(key, name, args)
    expect(answer.isError, answer.content[0]?.text).toBeUndefined()
    return answer.structuredContent as Record<string, unknown>
  }
  const listed = async (key: string, args: Record<string, unknown> = {}) =>
    ((await ok(key, 'list_saved_queries', args)).saved_queries as SavedQuerySummary[]).map(
      (q) => `${q.project}/${q.name}`,
    )

  beforeAll(async () => {
    warehouse = await demoWarehouse('duckdb', 500)
    server = await startTestServer()
    const store = server.server.store
    acme = await seedOrg(store)
    await applyDemoProject(store, acme, warehouse)
    // A second project of the same org, with a definition of its own.
    await applyDemoProject(store, acme, { ...warehouse, project: { ...warehouse.project, project: 'marketing' } })
    const marketing = await store.projects.findByRef(acme.orgId, 'marketing')
    const all = 'data:read,domains:read,sql:read,saved_queries:read+write+delete'
    keys.writer = (await createKey(store, acme, { permissions: all })).key
    keys.read = (await createKey(store, acme, { permissions: 'read' })).key
    keys.write = (await createKey(store, acme, { permissions: 'write' })).key
    keys.sqlOnly = (await createKey(store, acme, { permissions: 'sql:read' })).key
    keys.savedOnly = (await createKey(store, acme, { permissions: 'saved_queries:read' })).key
    keys.noDelete = (await createKey(store, acme, { permissions: 'saved_queries:read+write' })).key
    keys.customersDomain = (await createKey(store, acme, { permissions: all, domains: ['customers'] })).key
    keys.marketing = (await createKey(store, acme, { permissions: all, projects: [marketing?.id ?? ''] })).key
    keys.both = (
      await createKey(store, acme, { permissions: all, projects: [acme.projectId, marketing?.id ?? ''] })
    ).key
    const globex = await seedOrg(store, 'globex')
    await applyDemoProject(store, globex, warehouse)
    keys.otherOrg = (await createKey(store, globex, { permissions: all })).key

    await ok(keys.writer, 'save_query', { name: 'sales_by_region', standard: SALES_BY_REGION })
    await ok(keys.writer, 'save_query', { name: 'customers_by_region', standard: CUSTOMERS_BY_REGION })
    await ok(keys.writer, 'save_query', { name: 'orders_sql', dev: ORDERS_SQL })
    await ok(keys.marketing, 'save_query', { name: 'sales_by_region', standard: SALES_BY_REGION })
    await ok(keys.marketing, 'save_query', { name: 'marketing_only', dev: ORDERS_SQL })
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  describe.each([
    {
      mode: 'standard',
      saved: { standard: SALES_BY_REGION },
      direct: ['query', SALES_BY_REGION],
      replacement: { standard: { ...SALES_BY_REGION, measures: ['order_count'] } },
      replacementDirect: ['query', { ...SALES_BY_REGION, measures: ['order_count'] }],
      reads: { domain: 'sales' },
    },
    {
      mode: 'dev',
      saved: { dev: ORDERS_SQL },
      direct: ['run_sql', ORDERS_SQL],
      replacement: { dev: { ...ORDERS_SQL, sql: 'SELECT code, name FROM main.regions ORDER BY code' } },
      replacementDirect: ['run_sql', { ...ORDERS_SQL, sql: 'SELECT code, name FROM main.regions ORDER BY code' }],
      reads: { connection: 'warehouse' },
    },
  ] as const)('a $mode-mode saved query', ({ mode, saved, direct, replacement, replacementDirect, reads }) => {
    const name = `flow_${mode}`

    it('is saved, listed, run like the same query asked directly, replaced and deleted', async () => {
      const key = keys.writer as string
      const created = await ok(key, 'save_query', { name, description: 'By region', ...saved })
      expect(created).toEqual({
        saved_query: {
          name,
          project: 'analytics',
          description: 'By region',
          mode,
          ...reads,
          created_at: expect.stringMatching(ISO_TIME),
          updated_at: expect.stringMatching(ISO_TIME),
        },
        replaced: false,
      })
      const entries = (await ok(key, 'list_saved_queries')).saved_queries as SavedQuerySummary[]
      expect(entries.find((q) => q.name === name)).toEqual(created.saved_query)

      const ran = await call(key, 'run_saved_query', { name })
      const asked = await call(key, direct[0], direct[1])
      expect(ran.structuredContent).toEqual(asked.structuredContent)
      expect(ran.content[0]?.text).toBe(asked.content[0]?.text)
      expect(ran.structuredContent).toMatchObject({ row_count: 4, truncated: false })
      expect((await ok(key, 'run_saved_query', { name, limit: 2 })).rows).toEqual(
        (asked.structuredContent?.rows as unknown[]).slice(0, 2),
      )

      const refused = await call(key, 'save_query', { name, ...replacement })
      expect(refused.isError).toBe(true)
      expect(refused.content[0]?.text).toBe(
        `Saved query "${name}" already exists in project "analytics"; pass replace: true to replace it, ` +
          'or choose another name',
      )
      const replaced = await ok(key, 'save_query', { name, replace: true, ...replacement })
      expect(replaced).toMatchObject({ replaced: true, saved_query: { name, description: null } })
      expect((await ok(key, 'run_saved_query', { name })).rows).toEqual(
        (await ok(key, replacementDirect[0], replacementDirect[1])).rows,
      )

      expect(await ok(key, 'delete_saved_query', { name })).toEqual({ deleted: { name, project: 'analytics' } })
      expect(await listed(key)).not.toContain(`analytics/${name}`)
      for (const tool of ['run_saved_query', 'delete_saved_query']) {
        const gone = await call(key, tool, { name })
        expect(gone.isError).toBe(true)
        expect(gone.content[0]?.text).toBe(notFound(name))
      }
    })
  })

  it('renders a saved query’s result as a Markdown table on request', async () => {
    const answer = await call(keys.writer as string, 'run_saved_query', {
      name: 'orders_sql',
      response_format: 'markdown',
    })
    expect(answer.content[0]?.text).toContain('| region | orders |')
  })

  it.each([
    ['writer', ['analytics/customers_by_region', 'analytics/orders_sql', 'analytics/sales_by_region']],
    // Dev-mode SQL is listed only to who has dev mode.
    ['read', ['analytics/customers_by_region', 'analytics/sales_by_region']],
    // Domain narrowing hides the saved queries over the other domains.
    ['customersDomain', ['analytics/customers_by_region', 'analytics/orders_sql']],
    ['marketing', ['marketing/marketing_only', 'marketing/sales_by_region']],
    ['otherOrg', []],
  ])('lists to a %s key only the saved queries it could run', async (key, expected) => {
    expect((await listed(keys[key] as string)).filter((q) => !q.includes('/flow_'))).toEqual(expected)
  })

  it('lists one project on request, and refuses a project the key is not scoped to like an unknown one', async () => {
    expect(await listed(keys.both as string, { project: 'marketing' })).toEqual([
      'marketing/marketing_only',
      'marketing/sales_by_region',
    ])
    const answer = await call(keys.marketing as string, 'list_saved_queries', { project: 'analytics' })
    expect(answer.content[0]?.text).toBe('Project "analytics" not found; list_projects shows the ones you can use')
  })

  it('runs a name found in one project of several, and asks for project when it is in several', async () => {
    const key = keys.both as string
    expect(await ok(key, 'run_saved_query', { name: 'marketing_only' })).toMatchObject({ row_count: 4 })
    const ambiguous = await call(key, 'run_saved_query', { name: 'sales_by_region' })
    expect(ambiguous.isError).toBe(true)
    expect(ambiguous.content[0]?.text).toBe(
      'Saved query "sales_by_region" exists in several of your projects (analytics, marketing); ' +
        'pass project to choose one',
    )
    expect(await ok(key, 'run_saved_query', { name: 'sales_by_region', project: 'marketing' })).toMatchObject({
      row_count: 4,
    })
  })

  it.each([
    ['sqlOnly', 'list_saved_queries', {}, 'mcp:read'],
    ['sqlOnly', 'run_saved_query', { name: 'orders_sql' }, 'mcp:read'],
    ['read', 'save_query', { name: 'x', standard: SALES_BY_REGION }, 'mcp:write'],
    ['read', 'delete_saved_query', { name: 'sales_by_region' }, 'mcp:write'],
    ['noDelete', 'delete_saved_query', { name: 'sales_by_region' }, 'mcp:write'],
  ])('a %s key calling %s gets 403 naming the %s scope, before the tool runs', async (key, tool, args, scope) => {
    const response = await post(keys[key] as string, callTool(tool, args))
    expect(response.status).toBe(403)
    expect(response.headers.get('www-authenticate')).toContain(`scope="${scope}"`)
  })

  it.each([
    // Running a saved query needs what running its query needs.
    ['savedOnly', 'run_saved_query', { name: 'sales_by_region' }, 'This call needs the mcp:read scope'],
    ['savedOnly', 'run_saved_query', { name: 'orders_sql' }, 'This call needs the mcp:sql scope'],
    ['read', 'run_saved_query', { name: 'orders_sql' }, 'This call needs the mcp:sql scope'],
    ['write', 'save_query', { name: 'x', dev: ORDERS_SQL }, 'This call needs the mcp:sql scope'],
    // Out of bounds answers like unknown: a hidden domain, another project, another org.
    ['customersDomain', 'run_saved_query', { name: 'sales_by_region' }, notFound('sales_by_region')],
    ['customersDomain', 'run_saved_query', { name: 'no_such_query' }, notFound('no_such_query')],
    ['customersDomain', 'delete_saved_query', { name: 'sales_by_region' }, notFound('sales_by_region')],
    ['marketing', 'run_saved_query', { name: 'customers_by_region' }, notFound('customers_by_region')],
    ['marketing', 'delete_saved_query', { name: 'orders_sql' }, notFound('orders_sql')],
    ['otherOrg', 'run_saved_query', { name: 'sales_by_region' }, notFound('sales_by_region')],
    ['otherOrg', 'delete_saved_query', { name: 'orders_sql' }, notFound('orders_sql')],
    [
      'customersDomain',
      'save_query',
      { name: 'sneaky', standard: SALES_BY_REGION },
      'Domain "sales" not found; list_domains shows the ones you can use',
    ],
    // A name is unique in its project; one the key cannot see is never overwritten by it.
    [
      'writer',
      'save_query',
      { name: 'orders_sql', dev: ORDERS_SQL },
      'Saved query "orders_sql" already exists in project "analytics"; pass replace: true to replace it, ' +
        'or choose another name',
    ],
    [
      'customersDomain',
      'save_query',
      { name: 'sales_by_region', replace: true, standard: CUSTOMERS_BY_REGION },
      'Saved query "sales_by_region" already exists in project "analytics"; choose another name',
    ],
    [
      'both',
      'save_query',
      { name: 'x', standard: SALES_BY_REGION },
      'You have several projects (analytics, marketing); pass project to choose where to save',
    ],
    // Checked before it is stored: a saved query always compiles and passes the guard.
    [
      'writer',
      'save_query',
      { name: 'x', standard: { ...SALES_BY_REGION, domain: 'nope' } },
      'Domain "nope" not found; list_domains shows the ones you can use',
    ],
    [
      'writer',
      'save_query',
      { name: 'x', standard: { ...SALES_BY_REGION, measures: ['nope'] } },
      'Unknown measure "nope" in domain "sales"',
    ],
    [
      'writer',
      'save_query',
      { name: 'x', dev: { ...ORDERS_SQL, connection: 'nope' } },
      'Connection "nope" not found; list_connections shows the ones you can use',
    ],
    ['writer', 'save_query', { name: 'x', dev: { ...ORDERS_SQL, sql: 'DELETE FROM main.orders' } }, 'Only a single'],
    [
      'writer',
      'save_query',
      { name: 'x', dev: { ...ORDERS_SQL, sql: 'SELECT * FROM main.orders WHERE id = $1' } },
      'Placeholders',
    ],
    [
      'writer',
      'save_query',
      { name: 'x', dev: { ...ORDERS_SQL, sql: 'SELECT * FROM information_schema.tables' } },
      'System catalogs are not available',
    ],
    ['writer', 'save_query', { name: 'x' }, 'Pass exactly one of standard'],
    ['writer', 'save_query', { name: 'x', standard: SALES_BY_REGION, dev: ORDERS_SQL }, 'Pass exactly one of standard'],
    ['writer', 'save_query', { name: '1st', standard: SALES_BY_REGION }, 'saved query name of letters, digits'],
    ['writer', 'save_query', { name: 'a-b', standard: SALES_BY_REGION }, 'saved query name of letters, digits'],
    ['writer', 'save_query', { name: "x'; --", dev: ORDERS_SQL }, 'saved query name of letters, digits'],
  ])('refuses a %s key calling %s with %j: %s', async (key, tool, args, expected) => {
    const answer = await call(keys[key] as string, tool, args)
    expect(answer.isError).toBe(true)
    if (expected.endsWith('scope') || expected.includes('not found') || expected.startsWith('Saved query')) {
      expect(answer.content[0]?.text).toBe(expected)
    } else {
      expect(answer.content[0]?.text).toContain(expected)
    }
  })

  it('stores nothing that was refused', async () => {
    expect((await listed(keys.both as string)).filter((q) => !q.includes('/flow_'))).toEqual([
      'analytics/customers_by_region',
      'analytics/orders_sql',
      'analytics/sales_by_region',
      'marketing/marketing_only',
      'marketing/sales_by_region',
    ])
    const kept = await call(keys.writer as string, 'run_saved_query', { name: 'sales_by_region' })
    expect(kept.structuredContent).toEqual(
      (await call(keys.writer as string, 'query', SALES_BY_REGION)).structuredContent,
    )
  })
})
