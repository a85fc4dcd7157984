import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { QUERY_DATA_ERROR } from '../../src/data/query-failed-error.js'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { TestServer } from '../support/test-server.js'
import { DATA_ENGINES, applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

interface ToolAnswer {
  readonly isError?: boolean
  readonly content: { text: string }[]
  readonly structuredContent?: Record<string, unknown>
}

describe.each(DATA_ENGINES)('data tools on %s', (engine) => {
  let warehouse: Warehouse
  let server: TestServer
  let reference: DuckDbEngine
  let key: string

  const call = async (name: string, args: Record<string, unknown> = {}, bearer = key): Promise<ToolAnswer> => {
    const response = await mcpPost(server.url, callTool(name, args), { authorization: `Bearer ${bearer}` })
    expect(response.status).toBe(200)
    return ((await response.json()) as { result: ToolAnswer }).result
  }
  /** The same SQL read straight from the generated DuckDB file. */
  const direct = async (sql: string) => (await reference.query(sql, { maxRows: 100_000 })).rows

  beforeAll(async () => {
    warehouse = await demoWarehouse(engine)
    reference = await DuckDbEngine.open(warehouse.duckdbPath)
    server = await startTestServer({}, { env: warehouse.env })
    const fixture = await seedOrg(server.server.store)
    await applyDemoProject(server.server.store, fixture, warehouse)
    key = (await createKey(server.server.store, fixture, { permissions: 'data:read,domains:read,sql:read' })).key
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await reference?.close()
    await warehouse?.close()
  })

  it('lists the connections of the key’s project', async () => {
    const answer = await call('list_connections')
    expect(answer.structuredContent).toEqual({
      connections: [{ name: 'warehouse', engine, project: 'analytics', description: expect.stringContaining('Acme') }],
    })
  })

  it('lists the user tables of a connection, never a system schema', async () => {
    const answer = await call('list_tables', { connection: 'warehouse' })
    const tables = (answer.structuredContent?.tables as { qualified_name: string }[]).map((t) => t.qualified_name)
    expect(tables.sort()).toEqual(
      ['main.audit_trail', 'main.customers', 'main.orders', 'main.products', 'main.regions', 'main.tenants'].sort(),
    )
  })

  it('describes a table with its columns', async () => {
    const answer = await call('describe_table', { connection: 'warehouse', table: 'orders' })
    const columns = (answer.structuredContent?.columns as { name: string }[]).map((c) => c.name)
    expect(columns).toEqual([
      'id',
      'tenant_id',
      'customer_id',
      'product_id',
      'region',
      'status',
      'quantity',
      'amount',
      'ordered_at',
    ])
  })

  it('runs a SELECT and returns what the warehouse holds', async () => {
    const sql = 'SELECT region, count(*) AS orders FROM main.orders GROUP BY region ORDER BY region'
    const answer = await call('run_sql', { connection: 'warehouse', sql })
    expect(answer.isError).toBeUndefined()
    expect(answer.structuredContent).toMatchObject({ row_count: 4, truncated: false })
    expect(answer.structuredContent?.rows).toEqual(await direct(sql))
    expect(JSON.parse(answer.content[0]?.text ?? '')).toEqual(answer.structuredContent)
  })

  it('cuts a result at limit and says so', async () => {
    const answer = await call('run_sql', { connection: 'warehouse', sql: 'SELECT id FROM main.orders', limit: 5 })
    expect(answer.structuredContent).toMatchObject({ row_count: 5, truncated: true })
  })

  it('renders a result as a Markdown table on request', async () => {
    const sql = "SELECT code, name FROM main.regions WHERE code = 'EMEA'"
    const answer = await call('run_sql', { connection: 'warehouse', sql, response_format: 'markdown' })
    expect(answer.content[0]?.text).toContain('| code | name |')
    expect(answer.content[0]?.text).toContain('| EMEA |')
  })

  it('answers an unknown connection like a hidden one', async () => {
    const answer = await call('run_sql', { connection: 'nope', sql: 'SELECT 1' })
    expect(answer).toMatchObject({ isError: true })
    expect(answer.content[0]?.text).toBe('Connection "nope" not found; list_connections shows the ones you can use')
  })

  it('reports an engine failure in a generic form that quotes no value', async () => {
    const answer = await call('run_sql', {
      connection: 'warehouse',
      sql: 'SELECT CAST(name AS INTEGER) FROM main.customers',
    })
    expect(answer.isError).toBe(true)
    expect(answer.content[0]?.text).toBe(QUERY_DATA_ERROR)
  })

  it('runs a custom tool with its declared parameters bound', async () => {
    const answer = await call('top_customers', { limit: 3, since: '2025-01-01' })
    expect(answer.isError).toBeUndefined()
    const expected = await direct(
      `SELECT c.id AS customer_id, c.name, c.region, sum(o.amount) AS revenue, count(*) AS orders
         FROM main.orders o JOIN main.customers c ON c.id = o.customer_id
        WHERE o.ordered_at >= DATE '2025-01-01'
        GROUP BY c.id, c.name, c.region ORDER BY revenue DESC, c.id LIMIT 3`,
    )
    const rows = answer.structuredContent?.rows as unknown[][]
    expect(rows.map((r) => [r[0], r[1], r[2], String(r[3])])).toEqual(
      expected.map((r) => [r[0], r[1], r[2], String(r[3])]),
    )
  })

  it('refuses custom-tool arguments outside the declared constraints', async () => {
    const answer = await call('top_customers', { limit: 1000 })
    expect(answer.isError).toBe(true)
    expect(answer.content[0]?.text).toContain('Invalid arguments for tool top_customers')
    expect(answer.content[0]?.text).toContain('limit')
  })

  it('lists the custom tool with a JSON schema of its parameters', async () => {
    const response = await mcpPost(
      server.url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { authorization: `Bearer ${key}` },
    )
    const tools = ((await response.json()) as { result: { tools: { name: string; inputSchema: never }[] } }).result
      .tools
    const custom = tools.find((t) => t.name === 'top_customers')
    expect(custom?.inputSchema).toMatchObject({
      type: 'object',
      properties: { limit: { type: 'integer', maximum: 100, default: 10 }, since: { type: 'string' } },
    })
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['run_sql', 'list_tables', 'top_customers']))
  })

  it('lists the domains and describes one', async () => {
    const domains = await call('list_domains')
    expect((domains.structuredContent?.domains as { name: string }[]).map((d) => d.name)).toEqual([
      'sales',
      'customers',
    ])
    const sales = await call('describe_domain', { domain: 'sales' })
    expect(sales.structuredContent).toMatchObject({ project: 'analytics', name: 'sales' })
    expect(JSON.stringify(sales.structuredContent)).toContain('"qualified_name":"orders.revenue"')
  })

  it('answers a standard-mode query like the SQL it stands for', async () => {
    const answer = await call('query', {
      domain: 'sales',
      dimensions: ['region'],
      measures: ['revenue', 'order_count'],
    })
    expect(answer.isError).toBeUndefined()
    expect((answer.structuredContent?.columns as { name: string }[]).map((c) => c.name)).toEqual([
      'region',
      'revenue',
      'order_count',
    ])
    const expected = await direct(
      'SELECT region, sum(amount) AS revenue, count(*) AS order_count FROM main.orders GROUP BY region ORDER BY revenue DESC',
    )
    expect(normalise(answer.structuredContent?.rows)).toEqual(normalise(expected))
  })

  it('joins datasets, filters with bound values and buckets time', async () => {
    const answer = await call('query', {
      domain: 'sales',
      dimensions: ['order_date:quarter', 'category'],
      measures: ['units'],
      filters: [
        { field: 'region', op: 'in', value: ['EMEA', 'NA'] },
        { field: 'order_date', op: 'between', value: ['2025-01-01', '2025-12-31 23:59:59'] },
      ],
      order_by: ['order_date_quarter', 'category'],
    })
    expect(answer.isError).toBeUndefined()
    const expected = await direct(
      `SELECT CAST(date_trunc('quarter', o.ordered_at) AS DATE) AS q, p.category, sum(o.quantity)
         FROM main.orders o LEFT JOIN main.products p ON p.id = o.product_id
        WHERE o.region IN ('EMEA', 'NA') AND o.ordered_at BETWEEN '2025-01-01' AND '2025-12-31 23:59:59'
        GROUP BY 1, 2 ORDER BY 1, 2`,
    )
    expect(normalise(answer.structuredContent?.rows)).toEqual(normalise(expected))
  })

  it('names an unknown measure and the ones that exist', async () => {
    const answer = await call('query', { domain: 'sales', measures: ['revnue'] })
    expect(answer.isError).toBe(true)
    expect(answer.content[0]?.text).toContain('revnue')
    expect(answer.content[0]?.text).toContain('revenue')
  })

  it('shows what the credential can see in get_access_context', async () => {
    const answer = await call('get_access_context')
    expect(answer.structuredContent).toMatchObject({
      visible_domains: [
        { project: 'analytics', name: 'sales' },
        { project: 'analytics', name: 'customers' },
      ],
      visible_connections: [{ project: 'analytics', name: 'warehouse', engine }],
      query_modes: { standard: true, dev: true },
    })
  })
})

/** Values as text, so that a decimal from one engine and a number from another compare equal. */
function normalise(rows: unknown): string[][] {
  return (rows as unknown[][]).map((row) =>
    row.map((v) =>
      typeof v === 'number' || typeof v === 'string' ? String(Number.isNaN(Number(v)) ? v : Number(v)) : String(v),
    ),
  )
}
