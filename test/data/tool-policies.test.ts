import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { TestServer } from '../support/test-server.js'
import { DATA_ENGINES, applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

type Project = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

interface ToolAnswer {
  readonly isError?: boolean
  readonly content: { text: string }[]
  readonly structuredContent?: { columns: { name: string; type: string }[]; rows: unknown[][]; row_count: number }
}

/** SPEC §3.2's example policies on the demo's `top_customers`, and a directory that drops sensitive fields. */
function withPolicies(project: Project): void {
  const customers = project.domains[0].datasets.find((d: Project) => d.name === 'customers')
  customers.dimensions = [{ name: 'customer', column: 'name', type: 'string', sensitive: true }]
  project.tools[0].policies = {
    input: [
      { condition: "user.role != 'admin' && limit > 50", action: 'deny', reason: 'Only admins may list more than 50' },
    ],
    output: [{ condition: "user.role != 'admin'", action: 'mask_fields', fields: ['customer_id'] }],
  }
  project.tools.push({
    name: 'customer_directory',
    description: 'Customers by id',
    connection: 'warehouse',
    parameters: [{ name: 'limit', type: 'integer', default: 5, maximum: 50 }],
    sql: 'SELECT id, name, region FROM main.customers ORDER BY id LIMIT $limit',
    policies: { output: [{ action: 'filter_sensitive_fields' }] },
  })
}

/** Custom tool policies (SPEC §6) through the whole path: HTTP, authentication, the tool, the engine, the audit log. */
describe.each(DATA_ENGINES)('tool policies on %s', (engine) => {
  let warehouse: Warehouse
  let server: TestServer
  let admin: string
  let member: string
  let memberPrefix: string

  const call = async (bearer: string, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const response = await mcpPost(server.url, callTool(name, args), { authorization: `Bearer ${bearer}` })
    expect(response.status).toBe(200)
    return ((await response.json()) as { result: ToolAnswer }).result
  }
  const auditOf = async (prefix: string) => {
    await server.server.audit.flush()
    const calls = await server.server.store.audit.query({ type: 'mcp.call' })
    return calls
      .map((c) => JSON.parse(c.data) as Record<string, unknown>)
      .filter((d) => JSON.stringify(d).includes(prefix))
  }

  beforeAll(async () => {
    warehouse = await demoWarehouse(engine)
    withPolicies(warehouse.project)
    server = await startTestServer({ audit: { flush_interval_ms: 10 } }, { env: warehouse.env })
    const fixture = await seedOrg(server.server.store)
    await applyDemoProject(server.server.store, fixture, warehouse)
    admin = (await createKey(server.server.store, fixture, { permissions: 'data:read' })).key
    const memberEmail = 'mia@acme.test'
    await server.server.store.users.createMember(fixture.orgId, { email: memberEmail, role: 'member', groups: [] })
    const created = await createKey(
      server.server.store,
      { ...fixture, adminEmail: memberEmail },
      { permissions: 'data:read' },
    )
    member = created.key
    memberPrefix = created.prefix
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  it('refuses a member asking for more than 50 rows with the policy reason, as a tool error', async () => {
    const answer = await call(member, 'top_customers', { limit: 60 })
    expect(answer).toEqual({ content: [{ type: 'text', text: 'Only admins may list more than 50' }], isError: true })
  })

  it('lets an admin ask for more than 50 and shows customer_id unmasked', async () => {
    const answer = await call(admin, 'top_customers', { limit: 60 })
    expect(answer.isError).toBeUndefined()
    expect(answer.structuredContent?.row_count).toBe(60)
    expect(answer.structuredContent?.rows.every((r) => typeof r[0] === 'number')).toBe(true)
  })

  it('masks customer_id for a member, in the structured content and the text alike', async () => {
    const answer = await call(member, 'top_customers', { limit: 3 })
    expect(answer.isError).toBeUndefined()
    const content = answer.structuredContent
    expect(content?.columns.map((c) => c.name)).toEqual(['customer_id', 'name', 'region', 'revenue', 'orders'])
    expect(content?.columns[0]?.type).toBe('VARCHAR')
    expect(content?.rows.map((r) => r[0])).toEqual(['****', '****', '****'])
    expect(content?.rows.every((r) => typeof r[1] === 'string' && r[1] !== '****')).toBe(true)
    expect(JSON.parse(answer.content[0]?.text ?? '')).toEqual(content)
  })

  it('removes the fields declared sensitive from columns and rows, for everyone', async () => {
    for (const bearer of [admin, member]) {
      const answer = await call(bearer, 'customer_directory', { limit: 2 })
      expect(answer.structuredContent?.columns.map((c) => c.name)).toEqual(['id', 'region'])
      expect(answer.structuredContent?.rows.every((r) => r.length === 2)).toBe(true)
    }
  })

  it('refuses the same way through the official MCP client at every protocol revision', async () => {
    for (const version of ['2025-06-18', '2026-07-28']) {
      const modern = version >= '2026-07-28'
      const client = new Client(
        { name: 'policies', version: '1.0.0' },
        { supportedProtocolVersions: [version], ...(modern && { versionNegotiation: { mode: 'auto' as const } }) },
      )
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${member}` } },
        }),
      )
      try {
        const denied = await client.callTool({ name: 'top_customers', arguments: { limit: 99 } })
        expect(denied).toMatchObject({
          isError: true,
          content: [{ type: 'text', text: 'Only admins may list more than 50' }],
        })
        const masked = await client.callTool({ name: 'top_customers', arguments: { limit: 1 } })
        expect((masked.structuredContent as { rows: unknown[][] }).rows[0]?.[0]).toBe('****')
      } finally {
        await client.close()
      }
    }
  })

  it('audits a denial with the policy and its reason, and an allowed call with the policies that shaped it', async () => {
    await call(member, 'top_customers', { limit: 51 })
    await call(member, 'top_customers', { limit: 2 })
    await call(member, 'customer_directory', {})
    const records = await auditOf(memberPrefix)
    expect(records.find((r) => (r.arguments as { limit?: number }).limit === 51)).toMatchObject({
      tool: 'top_customers',
      decision: 'deny',
      policy: 'top_customers.input[0]',
      reason: 'Only admins may list more than 50',
    })
    const masked = records.find((r) => (r.arguments as { limit?: number }).limit === 2)
    expect(masked).toMatchObject({
      tool: 'top_customers',
      decision: 'allow',
      policies: ['top_customers.output[0]'],
      rows: 2,
    })
    expect(masked).not.toHaveProperty('policy')
    expect(records.find((r) => r.tool === 'customer_directory')).toMatchObject({
      decision: 'allow',
      policies: ['customer_directory.output[0]'],
    })
  })
})
