import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse, stringify } from 'yaml'
import { beforeAll, describe, expect, it } from 'vitest'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'
import { DEMO_PROJECT_FILE } from '../support/data-fixture.js'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'

interface Explained {
  readonly principal: string
  readonly policies: string[]
  readonly connection: string
  readonly sql: string
  readonly params: unknown[]
  readonly rules: string[]
}

/** `gatehouse explain` and `run tool --user-context` for policy authors (issue: data security, 6). */
describe('gatehouse explain', () => {
  let ws: Workspace
  const EXPLAIN = ['explain', '--org', 'acme', '--project', 'analytics', '--connection', 'warehouse']
  const explain = (args: readonly string[]) => ws.cli([...EXPLAIN, ...args])

  beforeAll(async () => {
    ws = workspace()
    await createDemoWarehouse(join(ws.dir, 'warehouse.duckdb'), { orders: 300 })
    copyFileSync(DEMO_PROJECT_FILE, join(ws.dir, 'project.yaml'))
    const project = parse(readFileSync(join(ws.dir, 'project.yaml'), 'utf8')) as {
      security: {
        assignments: { to: Record<string, string>; params?: Record<string, unknown> }[]
        policies: { name: string; rows?: unknown[] }[]
      }
    }
    project.security.policies
      .find((p) => p.name === 'tenant_scoped')
      ?.rows?.push({ name: 'by_region', tables: ['main.orders'], expression: 'region IN ({{ regions }})' })
    const tenants = project.security.assignments.find((a) => a.to.tenant === '*')
    if (tenants !== undefined) {
      tenants.params = {
        ...tenants.params,
        regions: { from: 'token.securityParams.regions', within: ['EMEA', 'NA'], default: ['NA'] },
      }
    }
    writeFileSync(join(ws.dir, 'project.yaml'), stringify(project))
    for (const args of [
      ['orgs', 'create', 'acme'],
      ['users', 'create', '--org', 'acme', '--email', 'ada@acme.test', '--role', 'admin'],
      ['users', 'create', '--org', 'acme', '--email', 'max@acme.test', '--role', 'member'],
      ['tenants', 'create', '--org', 'acme', '--name', 'globex', '--attr', 'tenant_id=t_globex'],
      ['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'acme'],
    ]) {
      const result = await ws.cli(args)
      expect(result.code, result.err).toBe(0)
    }
  }, 60_000)

  it("prints a tenant's query as it runs: the rewritten SQL, its bound values and the rules that applied", async () => {
    const result = await explain(['--tenant', 'globex', '--sql', 'SELECT region, count(*) FROM orders GROUP BY 1'])
    expect(result.code, result.err).toBe(0)
    expect(result.out).toContain('Policies    tenant_scoped')
    expect(result.out).toContain('Rules       tenant_scoped.own_tenant, tenant_scoped.by_region')
    expect(result.out).toContain('$1 = "t_globex"')
    expect(result.out).toContain('$2 = "NA"')
    expect(result.out).not.toMatch(/'t_globex'/)
  })

  it('narrows by a token parameter given with --param, and denies a value outside the declared ones', async () => {
    const json = await ws.json<Explained>([
      ...EXPLAIN,
      '--tenant',
      'globex',
      '--param',
      'regions=["EMEA","NA"]',
      '--sql',
      'SELECT * FROM orders',
    ])
    expect(json).toMatchObject({ policies: ['tenant_scoped'], params: ['t_globex', 'EMEA', 'NA'] })
    expect(json.sql).toMatch(/tenant_id = \$1/)
    const denied = await explain(['--tenant', 'globex', '--param', 'regions=["MARS"]', '--sql', 'SELECT 1'])
    expect(denied.code).not.toBe(0)
    expect(denied.err).toContain('Access is denied by the data security policies')
  })

  it("shows an admin's query unfiltered and a member's without the hidden columns", async () => {
    const admin = await ws.json<Explained>([...EXPLAIN, '--user', 'ada@acme.test', '--sql', 'SELECT * FROM customers'])
    expect(admin).toMatchObject({ policies: ['full_access'], rules: [], params: [] })
    expect(admin.sql).toContain('email')
    const member = await ws.json<Explained>([...EXPLAIN, '--user', 'max@acme.test', '--sql', 'SELECT * FROM customers'])
    expect(member.policies).toEqual(['analyst'])
    expect(member.sql).not.toContain('email')
    expect(member.sql).not.toContain('phone')
  })

  it('refuses what run_sql would refuse, with the same message', async () => {
    const hidden = await explain(['--user', 'max@acme.test', '--sql', 'SELECT * FROM audit_trail'])
    const unknown = await explain(['--user', 'max@acme.test', '--sql', 'SELECT * FROM no_such_table'])
    expect(hidden.code).not.toBe(0)
    expect(hidden.err.replace('audit_trail', 'X')).toBe(unknown.err.replace('no_such_table', 'X'))
  })

  it('asks for exactly one of --user and --tenant', async () => {
    const neither = await explain(['--sql', 'SELECT 1'])
    expect(neither.code).not.toBe(0)
    expect(neither.err).toContain('expected --user or --tenant (one of them)')
  })

  it('runs a tool as a tenant user with run tool --user-context', async () => {
    const result = await ws.cli([
      'run',
      'tool',
      'run_sql',
      '--json',
      '--param',
      'connection=warehouse',
      '--param',
      'sql=SELECT DISTINCT tenant_id FROM orders',
      '--user-context',
      JSON.stringify({ org: 'acme', tenant: 'globex', permissions: 'data:read,domains:read,sql:read' }),
    ])
    expect(result.code, result.err).toBe(0)
    expect((JSON.parse(result.out) as { rows: unknown[][] }).rows).toEqual([['t_globex']])
  })
})
