import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { parsePermissions } from '../../src/domain/permissions.js'
import { ProjectSecretService } from '../../src/auth/project-tokens/project-secret-service.js'
import { ExternalTokenVault } from '../../src/auth/upstream/external-token-vault.js'
import { TokenSealer } from '../../src/auth/upstream/token-sealer.js'
import type { Store } from '../../src/store/store.js'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { Fixture, TestServer } from '../support/test-server.js'
import { applyDemoProject, DATA_ENGINES, demoWarehouse } from '../support/data-fixture.js'
import type { Warehouse } from '../support/data-fixture.js'

/**
 * Data security through the tools (SPEC §3.2, §5): the demo project's
 * policies, over HTTP, for an admin (everything), a member (contact details
 * and the audit trail hidden) and two tenants' project tokens (their own rows).
 * Every answer is checked against the warehouse queried directly.
 */

interface ToolAnswer {
  readonly isError?: boolean
  readonly content: { readonly text: string }[]
  readonly structuredContent?: Record<string, unknown>
}

interface Rows {
  readonly columns: { name: string }[]
  readonly rows: unknown[][]
}

/** The demo project with two additions that exercise more of the policy language. */
function withSecurityExtras(project: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(project) as {
    domains: { name: string; datasets: { name: string; dimensions: unknown[] }[] }[]
    security: {
      policies: { name: string; rows?: unknown[] }[]
      assignments: { to: Record<string, string>; params?: Record<string, unknown> }[]
    }
  }
  // A dimension on a column the analyst policy hides.
  const customers = copy.domains.find((d) => d.name === 'customers')?.datasets.find((d) => d.name === 'customers')
  customers?.dimensions.push({ name: 'email', column: 'email', type: 'string' })
  // Tenants' orders narrowed further by a token parameter, within declared values.
  copy.security.policies
    .find((p) => p.name === 'tenant_scoped')
    ?.rows?.push({ name: 'by_region', tables: ['main.orders'], expression: 'region IN ({{ regions }})' })
  const tenants = copy.security.assignments.find((a) => a.to.tenant === '*')
  if (tenants !== undefined) {
    tenants.params = {
      ...tenants.params,
      regions: {
        from: 'token.securityParams.regions',
        within: ['EMEA', 'NA', 'APAC', 'LATAM'],
        default: ['EMEA', 'NA', 'APAC', 'LATAM'],
      },
    }
  }
  return copy
}

describe.each(DATA_ENGINES)('data security through the tools on %s', (engine) => {
  let warehouse: Warehouse
  let reference: DuckDbEngine
  let server: TestServer
  let store: Store
  let acme: Fixture
  const tokens: Record<string, string> = {}

  const post = (token: string, body: unknown) => mcpPost(server.url, body, { authorization: `Bearer ${token}` })
  const call = async (who: string, name: string, args: Record<string, unknown> = {}): Promise<ToolAnswer> => {
    const response = await post(tokens[who] as string, callTool(name, args))
    expect(response.status).toBe(200)
    return ((await response.json()) as { result: ToolAnswer }).result
  }
  const rows = async (who: string, name: string, args: Record<string, unknown>): Promise<Rows> => {
    const answer = await call(who, name, args)
    expect(answer.isError, answer.content[0]?.text).toBeUndefined()
    return answer.structuredContent as unknown as Rows
  }
  const sql = (who: string, text: string) => rows(who, 'run_sql', { connection: 'warehouse', sql: text })
  const error = async (who: string, name: string, args: Record<string, unknown>) => {
    const answer = await call(who, name, args)
    expect(answer.isError).toBe(true)
    return answer.content[0]?.text ?? ''
  }
  const direct = async (text: string) => (await reference.query(text, { maxRows: 100_000 })).rows
  const sorted = (values: readonly (readonly unknown[])[]) => values.map((r) => JSON.stringify(r)).sort()

  const mint = async (tenant: string, securityParams?: Record<string, unknown>) => {
    const secret = (
      await new ProjectSecretService(store, { record() {} }).create({
        orgId: acme.orgId,
        project: acme.projectId,
        maxPermissions: permissions('data:read,domains:read,sql:read,saved_queries:read'),
        allowOrgUsers: false,
        createdBy: 'test',
      })
    ).secret
    const response = await fetch(`${server.url}/api/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        type: 'project',
        projectId: acme.projectId,
        projectSecret: secret,
        tenantId: tenant,
        endUserId: `${tenant}-user`,
        permissions: 'data:read,domains:read,sql:read,saved_queries:read',
        ...(securityParams !== undefined && { securityParams }),
      }),
    })
    const body = (await response.json()) as { accessToken: string }
    expect(response.status, JSON.stringify(body)).toBe(200)
    return body.accessToken
  }

  beforeAll(async () => {
    warehouse = await demoWarehouse(engine, 600)
    reference = await DuckDbEngine.open(warehouse.duckdbPath)
    server = await startTestServer({}, { env: warehouse.env })
    store = server.server.store
    acme = await seedOrg(store)
    await store.users.createMember(acme.orgId, { email: 'max@acme.test', role: 'member' })
    for (const [name, id] of [
      ['globex', 't_globex'],
      ['initech', 't_initech'],
    ]) {
      await store.tenants.create(acme.orgId, { name: name as string, attributes: { tenant_id: id } })
    }
    await applyDemoProject(store, acme, { ...warehouse, project: withSecurityExtras(warehouse.project) })
    tokens.admin = (await createKey(store, acme, { permissions: 'data:read,domains:read,sql:read' })).key
    tokens.member = (
      await createKey(store, acme, { permissions: 'data:read,domains:read,sql:read', user: 'max@acme.test' })
    ).key
    tokens.globex = await mint('globex')
    tokens.initech = await mint('initech')
    tokens.globexEmea = await mint('globex', { regions: ['EMEA'] })
    tokens.globexMars = await mint('globex', { regions: ['MARS'] })
  }, 120_000)
  afterAll(async () => {
    await reference?.close()
    await server?.close()
    await warehouse?.close()
  })

  it('lists the tables and columns each principal may see, and no other (SLS)', async () => {
    const listed = async (who: string) =>
      ((await call(who, 'list_tables', { connection: 'warehouse' })).structuredContent?.tables as { name: string }[])
        .map((t) => t.name)
        .sort()
    expect(await listed('admin')).toContain('audit_trail')
    expect(await listed('member')).not.toContain('audit_trail')
    expect(await listed('globex')).toEqual(['customers', 'orders', 'products', 'regions', 'tenants'])

    const columns = async (who: string) =>
      (
        (await call(who, 'describe_table', { connection: 'warehouse', table: 'main.customers' })).structuredContent
          ?.columns as { name: string }[]
      ).map((c) => c.name)
    expect(await columns('admin')).toEqual(['id', 'tenant_id', 'name', 'email', 'phone', 'region', 'created_at'])
    expect(await columns('member')).toEqual(['id', 'tenant_id', 'name', 'region', 'created_at'])
    expect(await columns('globex')).toEqual(['id', 'tenant_id', 'name', 'email', 'region', 'created_at'])
  })

  it('answers a hidden table and a hidden column exactly like ones that do not exist', async () => {
    const table = await error('member', 'describe_table', { connection: 'warehouse', table: 'audit_trail' })
    const missing = await error('member', 'describe_table', { connection: 'warehouse', table: 'no_such' })
    expect(table.replace('audit_trail', 'X')).toBe(missing.replace('no_such', 'X'))

    const hiddenTable = await error('member', 'run_sql', {
      connection: 'warehouse',
      sql: 'SELECT * FROM main.audit_trail',
    })
    const unknownTable = await error('member', 'run_sql', {
      connection: 'warehouse',
      sql: 'SELECT * FROM main.nosuch_tbl',
    })
    expect(hiddenTable.replace('audit_trail', 'X')).toBe(unknownTable.replace('nosuch_tbl', 'X'))

    const hidden = await error('member', 'run_sql', {
      connection: 'warehouse',
      sql: 'SELECT email FROM main.customers',
    })
    const unknown = await error('member', 'run_sql', {
      connection: 'warehouse',
      sql: 'SELECT emale FROM main.customers',
    })
    expect(hidden.replaceAll('email', 'X')).toBe(unknown.replaceAll('emale', 'X'))
  })

  it('leaves hidden columns out of SELECT *', async () => {
    const result = await sql('member', 'SELECT * FROM main.customers ORDER BY id LIMIT 3')
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'tenant_id', 'name', 'region', 'created_at'])
  })

  it.each(['globex', 'initech'])('shows the %s tenant its own rows only, in dev mode', async (tenant) => {
    const id = `t_${tenant}`
    const mine = await sql(tenant, 'SELECT id, amount FROM main.orders')
    expect(sorted(mine.rows)).toEqual(sorted(await direct(`SELECT id, amount FROM orders WHERE tenant_id = '${id}'`)))
    expect(mine.rows.length).toBeGreaterThan(0)
    // However the query is written: a join, an OR that tries to widen, a subquery.
    const joined = await sql(
      tenant,
      `SELECT c.tenant_id, count(*) AS n FROM main.orders o JOIN main.customers c ON c.id = o.customer_id
        WHERE o.tenant_id <> '${id}' OR 1 = 1 GROUP BY 1`,
    )
    expect(joined.rows.map((r) => r[0])).toEqual([id])
    const nested = await sql(
      tenant,
      `SELECT count(*) FROM (SELECT * FROM main.customers) c WHERE c.tenant_id <> '${id}'`,
    )
    expect(nested.rows).toEqual([[0]])
  })

  it('filters standard-mode queries and custom tools with the same rules', async () => {
    const byTenant = await rows('globex', 'query', {
      domain: 'sales',
      dimensions: ['tenant'],
      measures: ['order_count'],
    })
    expect(byTenant.rows).toEqual(
      await direct("SELECT tenant_id, count(*) FROM orders WHERE tenant_id = 't_globex' GROUP BY 1"),
    )

    const top = await rows('initech', 'top_customers', { limit: 100 })
    const ids = top.rows.map((r) => r[0])
    const theirs = (await direct("SELECT id FROM customers WHERE tenant_id = 't_initech'")).map((r) => r[0])
    expect(ids.length).toBeGreaterThan(0)
    expect(ids.every((id) => theirs.includes(id))).toBe(true)
  })

  it('hides a domain’s dimensions on hidden columns, and answers them like unknown ones', async () => {
    const dimensions = async (who: string) =>
      (
        (await call(who, 'describe_domain', { domain: 'customers' })).structuredContent?.datasets as {
          name: string
          dimensions: { name: string }[]
        }[]
      ).flatMap((d) => d.dimensions.map((x) => x.name))
    expect(await dimensions('admin')).toContain('email')
    expect(await dimensions('member')).not.toContain('email')
    // list_domains counts only what the principal sees.
    const counted = async (who: string) =>
      ((await call(who, 'list_domains')).structuredContent?.domains as { name: string; dimensions: number }[]).find(
        (d) => d.name === 'customers',
      )?.dimensions
    expect(await counted('member')).toBe(((await counted('admin')) as number) - 1)
    const hidden = await error('member', 'query', {
      domain: 'customers',
      dimensions: ['email'],
      measures: ['customer_count'],
    })
    const unknown = await error('member', 'query', {
      domain: 'customers',
      dimensions: ['emale'],
      measures: ['customer_count'],
    })
    expect(hidden.replaceAll('email', 'X')).toBe(unknown.replaceAll('emale', 'X'))
  })

  it('narrows a tenant by its token’s parameters within the declared values, and denies any other value', async () => {
    const emea = await sql('globexEmea', 'SELECT DISTINCT region FROM main.orders')
    expect(emea.rows).toEqual([['EMEA']])
    const denied = await call('globexMars', 'run_sql', { connection: 'warehouse', sql: 'SELECT 1' })
    expect(denied.isError).toBe(true)
    expect(denied.content[0]?.text).toBe('Access is denied by the data security policies')
    expect(denied.content[0]?.text).not.toContain('MARS')
    // tools/list still answers such a principal, with no custom tool it could not call.
    const listed = await post(tokens.globexMars as string, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
    const tools = ((await listed.json()) as { result: { tools: { name: string }[] } }).result.tools.map((t) => t.name)
    expect(tools).toContain('run_sql')
    expect(tools).not.toContain('top_customers')
    const listedOk = await post(tokens.globex as string, { jsonrpc: '2.0', id: 1, method: 'tools/list' })
    expect(JSON.stringify(await listedOk.json())).toContain('top_customers')
  })

  it('records the row rules that applied, and each denial, in the call’s audit record', async () => {
    await sql('globex', 'SELECT count(*) FROM main.orders')
    await call('globexMars', 'list_connections')
    await server.server.audit.flush()
    const calls = (await store.audit.query({ type: 'mcp.call' })).map(
      (r) => JSON.parse(r.data) as { tool: string; decision: string; rules?: string[]; error_detail?: string },
    )
    const filtered = calls.filter((c) => c.tool === 'run_sql' && c.rules !== undefined)
    expect(filtered.at(-1)?.rules).toEqual(['tenant_scoped.own_tenant', 'tenant_scoped.by_region'])
    const denial = calls.filter((c) => c.tool === 'list_connections').at(-1)
    expect(denial?.decision).toBe('deny')
    expect(denial?.error_detail).toContain('regions')
  })
})

describe('SQL functions of the caller (SPEC §5)', () => {
  let warehouse: Warehouse
  let server: TestServer
  let acme: Fixture
  let key: string
  const ask = async (name: string, args: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await mcpPost(server.url, callTool(name, args), { authorization: `Bearer ${key}`, ...headers })
    return ((await response.json()) as { result: ToolAnswer }).result
  }

  beforeAll(async () => {
    warehouse = await demoWarehouse('duckdb', 100)
    server = await startTestServer({ server: { sql_request_headers: ['X-Region'] } })
    const store = server.server.store
    acme = await seedOrg(store)
    const project = structuredClone(warehouse.project) as { tools: Record<string, unknown>[] }
    project.tools.push({
      name: 'whoami',
      description: 'Who the caller is, as SQL sees it',
      connection: 'warehouse',
      parameters: [],
      sql:
        'SELECT get_username() AS username, get_user_email() AS email, get_org_id() AS org, ' +
        "get_tenant_id() AS tenant, get_request_header('x-region') AS region, get_user_external_token() AS token",
    })
    await applyDemoProject(store, acme, { ...warehouse, project })
    const admin = await store.users.findMember(acme.orgId, acme.adminEmail)
    const vault = new ExternalTokenVault(
      store.userIdentities,
      new TokenSealer(await store.serverSecrets.get('upstream_token_key')),
    )
    await vault.save(admin?.userId as string, 'github', { accessToken: 'gho_upstream_token' })
    key = (await createKey(store, acme, { permissions: 'data:read,domains:read,sql:read' })).key
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  it('gives a custom tool the caller’s identity, an allowlisted header and the upstream token, as bound values', async () => {
    const answer = await ask('whoami', {}, { 'x-region': "EMEA'; DROP TABLE orders; --" })
    expect(answer.isError, answer.content[0]?.text).toBeUndefined()
    expect((answer.structuredContent as unknown as Rows).rows).toEqual([
      [acme.adminEmail, acme.adminEmail, acme.orgId, null, "EMEA'; DROP TABLE orders; --", 'gho_upstream_token'],
    ])
  })

  it('filters rows with them in dev mode, and keeps the upstream token to custom tools', async () => {
    const mine = await ask(
      'run_sql',
      {
        connection: 'warehouse',
        sql: "SELECT count(*) AS n FROM orders WHERE region = get_request_header('X-Region')",
      },
      { 'x-region': 'EMEA' },
    )
    expect(mine.isError, mine.content[0]?.text).toBeUndefined()
    const emea = (
      await ask('run_sql', { connection: 'warehouse', sql: "SELECT count(*) FROM orders WHERE region = 'EMEA'" })
    ).structuredContent as unknown as Rows
    expect((mine.structuredContent as unknown as Rows).rows).toEqual(emea.rows)
    const token = await ask('run_sql', { connection: 'warehouse', sql: 'SELECT get_user_external_token()' })
    expect(token.isError).toBe(true)
    expect(token.content[0]?.text).toContain('get_user_external_token')
  })

  it('never reads a credential header, and reads a header outside the allowlist as NULL', async () => {
    const auth = await ask('run_sql', { connection: 'warehouse', sql: "SELECT get_request_header('authorization')" })
    expect(auth.isError).toBe(true)
    expect(JSON.stringify(auth)).not.toContain(key)
    const other = await ask(
      'run_sql',
      { connection: 'warehouse', sql: "SELECT get_request_header('x-other') AS h" },
      {
        'x-other': 'visible?',
      },
    )
    expect((other.structuredContent as unknown as Rows).rows).toEqual([[null]])
  })
})

describe('default deny', () => {
  let warehouse: Warehouse
  let server: TestServer
  let key: string

  beforeAll(async () => {
    warehouse = await demoWarehouse('duckdb', 100)
    server = await startTestServer()
    const acme = await seedOrg(server.server.store)
    const { security: _, ...unsecured } = warehouse.project
    await applyDemoProject(server.server.store, acme, { ...warehouse, project: unsecured })
    key = (await createKey(server.server.store, acme, { permissions: 'data:read,domains:read,sql:read' })).key
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  it('gives even an admin no connection, domain or tool of a project without security policies', async () => {
    const list = async (tool: string) => {
      const response = await mcpPost(server.url, callTool(tool), { authorization: `Bearer ${key}` })
      return ((await response.json()) as { result: ToolAnswer }).result.structuredContent
    }
    expect(await list('list_connections')).toEqual({ connections: [] })
    expect(await list('list_domains')).toEqual({ domains: [] })
    const listed = await mcpPost(
      server.url,
      { jsonrpc: '2.0', id: 1, method: 'tools/list' },
      { authorization: `Bearer ${key}` },
    )
    const tools = ((await listed.json()) as { result: { tools: { name: string }[] } }).result.tools
    expect(tools.map((t) => t.name)).toContain('run_sql')
    expect(tools.map((t) => t.name)).not.toContain('top_customers')
  })
})

function permissions(list: string) {
  const parsed = parsePermissions(list)
  if (!parsed.ok) throw new Error(parsed.error)
  return parsed.value
}
