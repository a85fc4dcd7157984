import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parse, stringify } from 'yaml'
import { workspace } from '../support/cli-workspace.js'
import type { Workspace } from '../support/cli-workspace.js'
import { DEMO_PROJECT_FILE } from '../support/data-fixture.js'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'
import { Store } from '../../src/store/store.js'
import { PG_ADMIN_URL } from '../support/test-stores.js'

type Project = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

interface ApplyJson {
  project: { id: string; name: string }
  created_project: boolean
  changed: boolean
  digest: string
}

/** Each row breaks the demo project in one way; apply names the place and what is expected, and stores nothing. */
const BAD_FILES: readonly { what: string; edit: (p: Project) => void; expected: string }[] = [
  { what: 'an unknown key', edit: (p) => (p.colour = 'red'), expected: 'colour' },
  {
    what: 'a security policy on a column the table does not have',
    edit: (p) => (p.security.policies[1].columns = { 'main.customers': { exclude: ['emial'] } }),
    expected: 'security.policies[1].columns.main.customers.exclude[0]: table main.customers has no column "emial"',
  },
  {
    what: 'a row rule that the engine cannot bind',
    edit: (p) => (p.security.policies[2].rows[0].expression = 'tenant_idd = {{ tenant_id }}'),
    expected: 'security.policies[2].rows[0]',
  },
  {
    what: 'an assignment that leaves a rule parameter unset',
    edit: (p) => delete p.security.assignments[3].params,
    expected: 'security.assignments[3]',
  },
  {
    what: 'a tool policy condition with a syntax error',
    edit: (p) =>
      (p.tools[0].policies = { input: [{ condition: "user.role != 'admin' &&", action: 'deny', reason: 'r' }] }),
    expected: 'tools[0].policies.input[0].condition: syntax error: Unexpected token: EOF',
  },
  {
    what: 'a tool policy condition with a type error',
    edit: (p) =>
      (p.tools[0].policies = { output: [{ condition: "limit > '50'", action: 'filter_fields', fields: ['name'] }] }),
    expected: 'tools[0].policies.output[0].condition: type error: no such overload: int > string',
  },
  {
    what: 'an output policy naming a column the tool does not return',
    edit: (p) => (p.tools[0].policies = { output: [{ action: 'mask_fields', fields: ['customer_name'] }] }),
    expected:
      'tools[0].policies.output[0].fields[0]: the tool returns no column "customer_name" (it returns customer_id, ' +
      'name, region, revenue, orders), and no field of connection "warehouse" by that name is declared sensitive: true',
  },
  {
    what: 'an unknown table',
    edit: (p) => (p.domains[0].datasets[0].table = 'main.nope'),
    expected: 'domains[0].datasets[0].table: table main.nope does not exist',
  },
  {
    what: 'an unknown dimension column',
    edit: (p) => (p.domains[0].datasets[0].dimensions[0].column = 'regio'),
    expected: 'domains[0].datasets[0].dimensions[0].column: table main.orders has no column "regio"',
  },
  {
    what: 'a measure expression over an unknown column',
    edit: (p) => (p.domains[0].datasets[0].measures[0].expression = 'amont'),
    expected: 'domains[0].datasets[0].measures[0].expression: amont:',
  },
  {
    what: 'a measure expression with a function outside the allowlist',
    edit: (p) => (p.domains[0].datasets[0].measures[0].expression = "length(current_setting('threads'))"),
    expected: 'is not allowed',
  },
  {
    what: 'a join on an unknown column',
    edit: (p) => (p.domains[0].joins[0].to = 'products.ident'),
    expected: 'domains[0].joins[0].to: dataset "products" has no column "ident"',
  },
  {
    what: 'a join to an unknown dataset',
    edit: (p) => (p.domains[0].joins[0].to = 'items.id'),
    expected: 'domains[0].joins[0].to: unknown dataset "items"',
  },
  {
    what: 'an unknown connection',
    edit: (p) => (p.domains[1].datasets[0].connection = 'lake'),
    expected: 'domains[1].datasets[0].connection: unknown connection "lake"; expected one of warehouse',
  },
  {
    what: 'a missing DuckDB file',
    edit: (p) => (p.connections[0].path = './missing.duckdb'),
    expected: 'connections[0]: cannot open duckdb connection "warehouse"',
  },
  {
    what: 'twice the same dataset name',
    edit: (p) => (p.domains[1].datasets[1].name = 'customers'),
    expected: 'the dataset name "customers" is used twice',
  },
  {
    what: 'a tool parameter the SQL does not declare',
    edit: (p) => (p.tools[0].sql = 'SELECT * FROM main.orders WHERE region = $region LIMIT $limit'),
    expected: 'tools[0].sql: sql uses $region, which is not a declared parameter',
  },
  {
    what: 'a tool that writes',
    edit: (p) => {
      p.tools[0].parameters = []
      p.tools[0].sql = "DELETE FROM main.orders WHERE region = 'EMEA'"
    },
    expected: 'tools[0].sql: Only a single read-only SELECT',
  },
  {
    what: 'a tool named like a built-in tool',
    edit: (p) => (p.tools[0].name = 'run_sql'),
    expected: 'tools[0].name: "run_sql" is the name of a built-in tool',
  },
  {
    what: 'a reserved parameter name',
    edit: (p) => (p.tools[0].parameters[0].name = 'project'),
    expected: '"project" is reserved',
  },
  {
    what: 'a PostgreSQL URL whose variable is not set',
    edit: (p) => p.connections.push({ name: 'pg', engine: 'postgres', url: '${GATEHOUSE_TEST_UNSET_URL}' }),
    expected:
      'connections[1]: cannot open postgres connection "pg": url: environment variable GATEHOUSE_TEST_UNSET_URL is not set',
  },
  {
    what: 'a PostgreSQL role that is a superuser',
    edit: (p) => p.connections.push({ name: 'pg', engine: 'postgres', url: PG_ADMIN_URL }),
    expected: 'unsafe role: the connection role is a superuser',
  },
]

describe('gatehouse apply', () => {
  let ws: Workspace
  let template: Project
  const write = (project: Project, name = 'project.yaml') => {
    const path = join(ws.dir, name)
    writeFileSync(path, stringify(project))
    return path
  }
  const storedDefinitions = async () => {
    const store = Store.open(ws.url)
    try {
      return await store.db.selectFrom('project_definitions').select(['project_id', 'digest']).execute()
    } finally {
      await store.close()
    }
  }

  beforeAll(async () => {
    ws = workspace()
    await createDemoWarehouse(join(ws.dir, 'warehouse.duckdb'), { orders: 500 })
    copyFileSync(DEMO_PROJECT_FILE, join(ws.dir, 'project.yaml'))
    template = parse(readFileSync(join(ws.dir, 'project.yaml'), 'utf8')) as Project
    expect((await ws.cli(['orgs', 'create', 'acme'])).code).toBe(0)
  })

  it('applies a project file, creating the project, and says what it holds', async () => {
    const first = await ws.cli(['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'acme'])
    expect(first).toMatchObject({ code: 0, err: '' })
    expect(first.out).toMatch(/^Applied project analytics \(prj_\w+\) to acme: 1 connections, 2 domains, 1 tools$/)
    expect(await storedDefinitions()).toHaveLength(1)
  })

  it('is idempotent: the same file again changes nothing', async () => {
    const before = await storedDefinitions()
    const again = await ws.json<ApplyJson>(['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'acme'])
    expect(again).toMatchObject({ changed: false, created_project: false, project: { name: 'analytics' } })
    expect(await storedDefinitions()).toEqual(before)
  })

  it('replaces the definition when the file changes', async () => {
    const before = await storedDefinitions()
    const path = write({ ...template, description: 'changed' }, 'changed.yaml')
    const applied = await ws.json<ApplyJson>(['apply', '-f', path, '--org', 'acme'])
    expect(applied.changed).toBe(true)
    const after = await storedDefinitions()
    expect(after).toHaveLength(1)
    expect(after[0]?.digest).not.toBe(before[0]?.digest)
  })

  it.each(BAD_FILES)('refuses $what, naming where and why, and stores nothing', async ({ edit, expected }) => {
    const before = await storedDefinitions()
    const project = structuredClone(template)
    edit(project)
    const path = write(project, 'bad.yaml')
    const result = await ws.cli(['apply', '-f', path, '--org', 'acme'])
    expect(result.code).toBe(1)
    expect(result.err).toContain('bad.yaml: ')
    expect(result.err).toContain(expected)
    expect(await storedDefinitions()).toEqual(before)
  })

  it('refuses a file that does not exist or is not YAML', async () => {
    const missing = await ws.cli(['apply', '-f', join(ws.dir, 'nope.yaml'), '--org', 'acme'])
    expect(missing).toMatchObject({ code: 1 })
    expect(missing.err).toContain('file not found')
    writeFileSync(join(ws.dir, 'broken.yaml'), 'project: [unclosed\n')
    const broken = await ws.cli(['apply', '-f', join(ws.dir, 'broken.yaml'), '--org', 'acme'])
    expect(broken.code).toBe(1)
    expect(broken.err).toContain('invalid YAML')
  })

  it('refuses an unknown organization', async () => {
    const result = await ws.cli(['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'globex'])
    expect(result).toMatchObject({ code: 1, err: 'error: Organization globex not found' })
  })
})

describe('gatehouse run tool', () => {
  let ws: Workspace
  const context = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ org: 'acme', user: 'ana@acme.test', ...extra })

  beforeAll(async () => {
    ws = workspace()
    await createDemoWarehouse(join(ws.dir, 'warehouse.duckdb'), { orders: 500 })
    copyFileSync(DEMO_PROJECT_FILE, join(ws.dir, 'project.yaml'))
    await ws.cli(['orgs', 'create', 'acme'])
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test', '--role', 'member'])
    expect((await ws.cli(['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'acme'])).code).toBe(0)
  })

  it('calls a dev-mode tool as the given user and prints the result', async () => {
    const result = await ws.json<{ rows: unknown[][] }>([
      'run',
      'tool',
      'run_sql',
      '--param',
      'connection=warehouse',
      '--param',
      'sql=SELECT count(*) AS n FROM main.orders',
      '--user-context',
      context({ permissions: 'sql:read' }),
    ])
    expect(result.rows).toEqual([[500]])
  })

  it('calls a custom tool with typed parameters', async () => {
    const result = await ws.json<{ row_count: number }>([
      'run',
      'tool',
      'top_customers',
      '--param',
      'limit=2',
      '--user-context',
      context(),
    ])
    expect(result.row_count).toBe(2)
  })

  it.each([
    [
      'a permission the context lacks',
      ['run_sql', '--param', 'connection=warehouse', '--param', 'sql=SELECT 1'],
      context(),
      'This call needs the mcp:sql scope',
    ],
    [
      'arguments outside the declared constraints',
      ['top_customers', '--param', 'limit=500'],
      context(),
      'Invalid arguments for tool top_customers',
    ],
    ['an unknown tool', ['drop_everything'], context(), 'Tool drop_everything not found'],
    ['a context that is not JSON', ['list_projects'], '{org:', '--user-context: expected a JSON object'],
    ['an unknown user', ['list_projects'], context({ user: 'bob@acme.test' }), 'User bob@acme.test in acme not found'],
    [
      'a refused query',
      ['run_sql', '--param', 'connection=warehouse', '--param', 'sql=DROP TABLE main.orders'],
      context({ permissions: 'sql:read' }),
      'Only a single read-only SELECT',
    ],
  ])('refuses %s', async (_what, args, userContext, expected) => {
    const result = await ws.cli(['run', 'tool', ...args, '--user-context', userContext])
    expect(result.code).toBe(1)
    expect(result.err).toContain(expected)
  })
})

describe('gatehouse run tool with tool policies (SPEC §6)', () => {
  let ws: Workspace
  const run = (limit: number, role: string) =>
    ws.cli([
      'run',
      'tool',
      'top_customers',
      '--param',
      `limit=${limit}`,
      '--json',
      '--user-context',
      JSON.stringify({ org: 'acme', user: 'ana@acme.test', role }),
    ])

  beforeAll(async () => {
    ws = workspace()
    await createDemoWarehouse(join(ws.dir, 'warehouse.duckdb'), { orders: 500 })
    const project = parse(readFileSync(DEMO_PROJECT_FILE, 'utf8')) as Project
    project.tools[0].policies = {
      input: [
        {
          condition: "user.role != 'admin' && limit > 50",
          action: 'deny',
          reason: 'Only admins may list more than 50',
        },
      ],
      output: [{ condition: "user.role != 'admin'", action: 'mask_fields', fields: ['customer_id'] }],
    }
    writeFileSync(join(ws.dir, 'project.yaml'), stringify(project))
    await ws.cli(['orgs', 'create', 'acme'])
    await ws.cli(['users', 'create', '--org', 'acme', '--email', 'ana@acme.test', '--role', 'member'])
    expect((await ws.cli(['apply', '-f', join(ws.dir, 'project.yaml'), '--org', 'acme'])).code).toBe(0)
  })

  it('refuses a member asking for more than 50 with the policy reason', async () => {
    expect(await run(60, 'member')).toMatchObject({ code: 1, err: 'error: Only admins may list more than 50' })
  })

  it('masks customer_id for a member and not for an admin', async () => {
    const member = await run(3, 'member')
    expect(member.code).toBe(0)
    expect((JSON.parse(member.out) as { rows: unknown[][] }).rows.map((r) => r[0])).toEqual(['****', '****', '****'])
    const admin = await run(60, 'admin')
    expect(admin.code).toBe(0)
    const rows = (JSON.parse(admin.out) as { rows: unknown[][] }).rows
    expect(rows).toHaveLength(60)
    expect(rows.every((r) => typeof r[0] === 'number')).toBe(true)
  })
})
