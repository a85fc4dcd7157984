import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { GATEHOUSE_BIN } from '../support/spawn-gatehouse.js'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { BUILTIN_TOOLS } from '../../src/mcp/tools/core-tools.js'

interface DemoSummary {
  mcp_url: string
  base_url: string
  config_path: string
  org: { id: string; name: string }
  project: { id: string; name: string }
  api_key: string
  users: { email: string; password: string; role: string }[]
  client_configs: Record<string, unknown>
}

interface DataResult {
  columns: { name: string }[]
  rows: unknown[][]
  row_count: number
  truncated: boolean
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number }
      probe.close(() => resolve(port))
    })
  })
}

/** Starts `gatehouse demo --json` and resolves with its first stdout line, parsed. */
function startDemo(
  dir: string,
  port: number,
): Promise<{ child: ChildProcess; summary: DemoSummary; stderr: () => string }> {
  const child = spawn(process.execPath, [GATEHOUSE_BIN, 'demo', '--json', '--dir', dir, '--port', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString()
      const newline = stdout.indexOf('\n')
      if (newline >= 0)
        resolve({ child, summary: JSON.parse(stdout.slice(0, newline)) as DemoSummary, stderr: () => stderr })
    })
    child.once('exit', (code) => reject(new Error(`gatehouse demo exited with ${code}: ${stderr}`)))
    setTimeout(() => reject(new Error(`gatehouse demo printed nothing in 60 s: ${stderr}`)), 60_000).unref()
  })
}

/**
 * The README's first command, end to end: `gatehouse demo` generates the warehouse and its world and
 * serves it; the official MCP client connects with the printed key, every tool answers, and the
 * answers match the generated DuckDB file read directly.
 */
describe('gatehouse demo with the official MCP client SDK', () => {
  let dir: string
  let demo: Awaited<ReturnType<typeof startDemo>>
  let client: Client
  let warehouse: DuckDbEngine

  const call = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args })
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy()
    return result.structuredContent as Record<string, unknown>
  }
  const direct = async (sql: string) => (await warehouse.query(sql, { maxRows: 100_000 })).rows

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'))
    demo = await startDemo(join(dir, 'demo'), await freePort())
    warehouse = await DuckDbEngine.open(join(dir, 'demo', 'warehouse.duckdb'))
    client = new Client({ name: 'demo-e2e', version: '1.0.0' })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(demo.summary.mcp_url), {
        requestInit: { headers: { authorization: `Bearer ${demo.summary.api_key}` } },
      }),
    )
  }, 90_000)
  afterAll(async () => {
    await client?.close()
    await warehouse?.close()
    if (demo !== undefined && demo.child.exitCode === null) {
      const exited = new Promise((resolve) => demo.child.once('exit', resolve))
      demo.child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })

  it('prints the summary SPEC §3.3 names as its first line, and progress on stderr', () => {
    const { summary } = demo
    expect(summary.mcp_url).toBe(`${summary.base_url}/mcp`)
    expect(summary.api_key).toMatch(/^gk_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/)
    expect(summary.org.name).toBe('acme')
    expect(summary.project.name).toBe('analytics')
    expect(summary.users.map((u) => [u.email, u.role])).toEqual([
      ['admin@acme.example', 'admin'],
      ['member@acme.example', 'member'],
    ])
    expect(Object.keys(summary.client_configs).sort()).toEqual([
      'claude_code',
      'claude_desktop',
      'cursor',
      'mcp_inspector',
      'vscode',
    ])
    expect(JSON.stringify(summary.client_configs)).toContain(summary.api_key)
    expect(existsSync(summary.config_path)).toBe(true)
    expect(demo.stderr()).toContain('orders: 120,000 rows')
  })

  it('lists every built-in tool and the demo’s custom tool', async () => {
    const { tools } = await client.listTools()
    expect(tools.map((t) => t.name)).toEqual([...BUILTIN_TOOLS.map((t) => t.name), 'top_customers'])
  })

  it('answers get_access_context and list_projects for the admin’s key', async () => {
    expect(await call('get_access_context')).toMatchObject({
      organization: { name: 'acme' },
      principal: { kind: 'api_key', email: 'admin@acme.example', role: 'admin' },
      query_modes: { standard: true, dev: true },
    })
    expect(await call('list_projects')).toEqual({ projects: [demo.summary.project] })
  })

  it('holds a warehouse of at least 100,000 orders over at least 3 tenants', async () => {
    const sql = 'SELECT (SELECT count(*) FROM main.orders), (SELECT count(DISTINCT tenant_id) FROM main.orders)'
    const result = (await call('run_sql', { connection: 'warehouse', sql })) as unknown as DataResult
    expect(result.rows).toEqual(await direct(sql))
    const [orders, tenants] = result.rows[0] as [number, number]
    expect(orders).toBeGreaterThanOrEqual(100_000)
    expect(tenants).toBeGreaterThanOrEqual(3)
  })

  it('answers the dev-mode catalog tools from the warehouse', async () => {
    expect(await call('list_connections')).toMatchObject({ connections: [{ name: 'warehouse', engine: 'duckdb' }] })
    const tables = (await call('list_tables', { connection: 'warehouse' })).tables as { qualified_name: string }[]
    const expected = (await warehouse.tables()).map((t) => `${t.schema}.${t.name}`)
    expect(tables.map((t) => t.qualified_name).sort()).toEqual(expected.sort())
    const customers = await call('describe_table', { connection: 'warehouse', table: 'main.customers' })
    expect((customers.columns as { name: string }[]).map((c) => c.name)).toEqual(
      (await warehouse.tables()).find((t) => t.name === 'customers')?.columns.map((c) => c.name),
    )
  })

  it('answers standard-mode questions like the SQL they stand for', async () => {
    const domains = (await call('list_domains')).domains as { name: string }[]
    expect(domains.map((d) => d.name)).toEqual(['sales', 'customers'])
    expect(await call('describe_domain', { domain: 'customers' })).toMatchObject({ name: 'customers' })
    const byTenant = (await call('query', {
      domain: 'sales',
      dimensions: ['tenant'],
      measures: ['revenue', 'order_count'],
      order_by: ['tenant'],
    })) as unknown as DataResult
    expect(byTenant.rows).toEqual(
      await direct('SELECT tenant_id, sum(amount), count(*) FROM main.orders GROUP BY 1 ORDER BY 1'),
    )
    const plans = (await call('query', {
      domain: 'customers',
      dimensions: ['plan'],
      measures: ['customer_count'],
      order_by: ['plan'],
    })) as unknown as DataResult
    expect(plans.rows).toEqual(
      await direct(
        'SELECT t.plan, count(*) FROM main.customers c LEFT JOIN main.tenants t ON t.tenant_id = c.tenant_id GROUP BY 1 ORDER BY 1',
      ),
    )
  })

  it('runs the custom tool with its parameters', async () => {
    const result = (await call('top_customers', { limit: 5, since: '2025-06-01' })) as unknown as DataResult
    expect(result.rows).toEqual(
      await direct(
        `SELECT c.id, c.name, c.region, sum(o.amount) AS revenue, count(*)
           FROM main.orders o JOIN main.customers c ON c.id = o.customer_id
          WHERE o.ordered_at >= DATE '2025-06-01'
          GROUP BY c.id, c.name, c.region ORDER BY revenue DESC, c.id LIMIT 5`,
      ),
    )
  })

  it('explains a refusal', async () => {
    const result = await client.callTool({
      name: 'run_sql',
      arguments: { connection: 'warehouse', sql: "SELECT * FROM read_csv('/etc/passwd')" },
    })
    expect(result.isError).toBe(true)
    expect((result.content as { text: string }[])[0]?.text).toContain('Table functions are not allowed (read_csv)')
  })
})
