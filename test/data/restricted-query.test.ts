import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import pg from 'pg'
import type { Engine } from '../../src/data/engine.js'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { PostgresEngine } from '../../src/data/engines/postgres/postgres-engine.js'
import { QUERY_STOPPED } from '../../src/data/query-failed-error.js'
import { parsePostgres } from '../../src/data/sql/postgres/postgres-parser.js'
import type { ConnectionRestrictions, RowAlternative, SessionValues } from '../../src/data/sql/restrictions.js'
import { GatehouseError } from '../../src/domain/errors.js'
import { randomBase62 } from '../../src/domain/ids.js'
import { freshStoreUrl } from '../support/test-stores.js'
import type { TestStoreUrl } from '../support/test-stores.js'

// Each PostgreSQL plan starts with a parse: counting parses counts plans.
vi.mock('../../src/data/sql/postgres/postgres-parser.js', async (original) => {
  const actual = await original<{ parsePostgres: typeof parsePostgres }>()
  return { parsePostgres: vi.fn(actual.parsePostgres) }
})
const postgresParses = vi.mocked(parsePostgres)

/**
 * `Engine.restrictedQuery` and `Engine.rewrite` on both engines, over the same
 * small warehouse: `orders` and `customers` share a hidden column `ssn`,
 * `salaries` is a hidden table, and `numbers` is large enough to cross-join
 * into a query that runs until it is stopped.
 */

const TABLES_SQL = [
  'CREATE TABLE orders (id INTEGER, region VARCHAR, amount INTEGER, ssn VARCHAR)',
  `INSERT INTO orders VALUES (1, 'EU', 10, 's1'), (2, 'EU', 20, 's2'), (3, 'US', 30, 's3'), (4, 'APAC', 40, 's4'),
    (5, 'EU', 50, 's5')`,
  'CREATE TABLE customers (id INTEGER, region VARCHAR, name VARCHAR, ssn VARCHAR)',
  "INSERT INTO customers VALUES (1, 'EU', 'Ann', 'x'), (2, 'US', 'Bob', 'y'), (3, 'APAC', 'Cy', 'z')",
  'CREATE TABLE salaries (id INTEGER, amount INTEGER)',
  'INSERT INTO salaries VALUES (1, 100)',
]
const NUMBERS_SQL = {
  duckdb: 'CREATE TABLE numbers AS SELECT i::INTEGER AS n FROM range(1, 3001) t(i)',
  postgres: 'CREATE TABLE numbers AS SELECT i::integer AS n FROM generate_series(1, 3000) AS i',
}

function alternative(columns: string[], predicate: RowAlternative['predicate'], rules: string[]): RowAlternative {
  return { policy: 'sales', rules, columns, predicate }
}

/** EU orders, EU and APAC customers, every number; `ssn` and `salaries` do not exist. */
function restrictionsIn(schema: string, orderRegion = 'EU', session?: SessionValues): ConnectionRestrictions {
  const table = (name: string, alternatives: RowAlternative[]) =>
    [`${schema}.${name}`, { schema, table: name, alternatives }] as const
  return {
    ...(session === undefined ? {} : { session }),
    tables: new Map([
      table('orders', [
        alternative(['id', 'region', 'amount'], { sql: 'region = $1', values: [orderRegion] }, ['eu_only']),
      ]),
      table('customers', [
        alternative(['id', 'region', 'name'], { sql: 'region = $1 OR region = $2', values: ['EU', 'APAC'] }, [
          'eu_apac',
        ]),
      ]),
      table('numbers', [alternative(['n'], null, [])]),
    ]),
  }
}

interface Setup {
  readonly engine: Engine
  readonly restrictions: ConnectionRestrictions
  close(): Promise<void>
}

async function duckdbSetup(): Promise<Setup> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-restricted-'))
  const path = join(dir, 'warehouse.duckdb')
  const writer = await DuckDBInstance.create(path)
  const c = await writer.connect()
  for (const statement of [...TABLES_SQL, NUMBERS_SQL.duckdb]) await c.run(statement)
  c.closeSync()
  writer.closeSync()
  const engine = await DuckDbEngine.open(path)
  const close = async () => {
    await engine.close()
    rmSync(dir, { recursive: true, force: true })
  }
  return { engine, restrictions: restrictionsIn('main'), close }
}

/** A fresh database read through a role that is no superuser and may only SELECT (fails loudly without PostgreSQL). */
async function postgresSetup(): Promise<Setup> {
  const database: TestStoreUrl = await freshStoreUrl('postgres')
  const reader = `gh_restricted_${randomBase62(8).toLowerCase()}`
  const admin = new pg.Client({ connectionString: database.url })
  await admin.connect()
  try {
    for (const statement of [...TABLES_SQL, NUMBERS_SQL.postgres]) await admin.query(statement)
    await admin.query(`CREATE ROLE ${reader} LOGIN NOSUPERUSER NOBYPASSRLS`)
    await admin.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`)
  } finally {
    await admin.end()
  }
  const url = database.url.replace('postgres://postgres@', `postgres://${reader}@`)
  const engine = PostgresEngine.open(url, { statementTimeoutMs: 30_000 })
  const close = async () => {
    await engine.close()
    await database.dispose()
    const cleanup = new pg.Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') })
    await cleanup.connect()
    await cleanup.query(`DROP ROLE IF EXISTS ${reader}`)
    await cleanup.end()
  }
  return { engine, restrictions: restrictionsIn('public'), close }
}

const SETUPS = { duckdb: duckdbSetup, postgres: postgresSetup }
const GUARD = { allowParameters: false }

/** The error a promise rejects with, as code and message. */
async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof GatehouseError)) throw new Error(`expected a GatehouseError, got ${String(error)}`)
  return { code: error.code, message: error.message }
}

describe.each(['duckdb', 'postgres'] as const)('a restricted query on %s', (kind) => {
  let setup: Setup
  let engine: Engine

  beforeAll(async () => {
    setup = await SETUPS[kind]()
    engine = setup.engine
  })
  afterAll(async () => {
    await setup?.close()
  })

  const run = (sql: string, options: { maxRows?: number; params?: unknown[]; signal?: AbortSignal } = {}) =>
    engine.restrictedQuery(sql, {
      restrictions: setup.restrictions,
      guard: { allowParameters: options.params !== undefined },
      maxRows: options.maxRows ?? 100,
      ...(options.params === undefined ? {} : { params: options.params }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })

  it('returns only the rows the row rule admits, with its value bound, and names the rules applied', async () => {
    const { result, appliedRules } = await run('SELECT id, region, amount FROM orders ORDER BY id')
    expect(result.rows).toEqual([
      [1, 'EU', 10],
      [2, 'EU', 20],
      [5, 'EU', 50],
    ])
    expect(result).toMatchObject({ row_count: 3, truncated: false })
    expect(appliedRules).toEqual(['sales.eu_only'])
  })

  it('applies each table’s rule in a join and names both rules', async () => {
    const { result, appliedRules } = await run(
      'SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.id ORDER BY o.id',
    )
    expect(result.rows).toEqual([[1, 'Ann']])
    expect([...appliedRules].sort()).toEqual(['sales.eu_apac', 'sales.eu_only'])
  })

  it('leaves hidden columns out of SELECT *', async () => {
    const { result } = await run('SELECT * FROM orders ORDER BY id LIMIT 1')
    expect(result.columns.map((c) => c.name)).toEqual(['id', 'region', 'amount'])
    expect(result.rows).toEqual([[1, 'EU', 10]])
  })

  it('joins NATURAL on the visible columns only', async () => {
    // With `ssn` joined too, no row would match (s1 is not x).
    const { result } = await run('SELECT id, region FROM orders NATURAL JOIN customers')
    expect(result.rows).toEqual([[1, 'EU']])
  })

  const hiddenColumnProbes: [where: string, sql: string][] = [
    ['the select list', 'SELECT ssn FROM orders'],
    ['a qualified select-list name', 'SELECT o.ssn FROM orders o'],
    ['WHERE', "SELECT id FROM orders WHERE ssn = 's1'"],
    ['ORDER BY', 'SELECT id FROM orders ORDER BY ssn'],
    ['USING', 'SELECT o.id FROM orders o JOIN customers c USING (ssn)'],
    ...(kind === 'duckdb' ? [['EXCLUDE', 'SELECT * EXCLUDE (ssn) FROM orders'] as [string, string]] : []),
  ]

  it.each(hiddenColumnProbes)('answers a hidden column in %s as it answers a missing one', async (_, sql) => {
    const hidden = await failure(run(sql))
    const missing = await failure(run(sql.replaceAll('ssn', 'no_such_column')))
    expect(hidden).toEqual({ code: missing.code, message: missing.message.replaceAll('no_such_column', 'ssn') })
    expect(hidden.message).toContain('ssn')
  })

  it('answers a hidden column that two joined tables share as missing, never as ambiguous', async () => {
    const sql = 'SELECT ssn FROM orders JOIN customers ON orders.id = customers.id'
    // Without restrictions the name is ambiguous: that answer would reveal that both tables have it.
    const unrestricted = await failure(engine.query(sql, { maxRows: 10, guard: GUARD }))
    expect(unrestricted.message).toMatch(/ambiguous/i)
    const hidden = await failure(run(sql))
    expect(hidden.message).not.toMatch(/ambiguous/i)
    expect(hidden.message).toMatch(kind === 'duckdb' ? /not found/ : /does not exist/)
    const missing = await failure(run(sql.replace('ssn', 'no_such_column')))
    expect(hidden).toEqual({ code: missing.code, message: missing.message.replace('no_such_column', 'ssn') })
  })

  it('answers a column visible in both joined tables as ambiguous', async () => {
    const probe = await failure(run('SELECT region FROM orders JOIN customers ON orders.id = customers.id'))
    expect(probe.message).toMatch(/ambiguous/i)
  })

  it.each([
    ['FROM', 'SELECT * FROM salaries'],
    ['a join', 'SELECT o.id FROM orders o JOIN salaries s ON s.id = o.id'],
    ['a subquery', 'SELECT id FROM orders WHERE amount < (SELECT max(amount) FROM salaries)'],
  ])('refuses a hidden table in %s exactly as an unknown one', async (_, sql) => {
    const hidden = await failure(run(sql))
    const unknown = await failure(run(sql.replaceAll('salaries', 'no_such_table')))
    expect(hidden).toEqual({ code: 'SQL_REFUSED', message: unknown.message.replaceAll('no_such_table', 'salaries') })
  })

  it('binds the query’s own parameters before the rules’ values', async () => {
    const { result } = await run('SELECT id FROM orders WHERE amount > $1 ORDER BY id', { params: [15] })
    expect(result.rows).toEqual([[2], [5]])
    const text = await run('SELECT name FROM customers WHERE name <> $1 ORDER BY name', { params: ['Ann'] })
    expect(text.result.rows).toEqual([['Cy']])
  })

  it('refuses placeholders when the guard does not allow them', async () => {
    const refused = await failure(
      engine.restrictedQuery('SELECT id FROM orders WHERE amount > $1', {
        restrictions: setup.restrictions,
        guard: GUARD,
        maxRows: 10,
        params: [15],
      }),
    )
    expect(refused.code).toBe('SQL_REFUSED')
  })

  it('stops at maxRows and says the result was truncated', async () => {
    const { result } = await run('SELECT id FROM orders ORDER BY id', { maxRows: 2 })
    expect(result).toMatchObject({ rows: [[1], [2]], row_count: 2, truncated: true })
    expect((await run('SELECT id FROM orders', { maxRows: 3 })).result.truncated).toBe(false)
  })

  it.each([
    ['two statements', 'SELECT 1; SELECT 2', 'Exactly one SQL statement is accepted'],
    ['a write after a SELECT', 'SELECT 1; DROP TABLE orders', 'Exactly one SQL statement is accepted'],
    ['a write', "UPDATE orders SET region = 'EU'", 'Only a single read-only SELECT statement is accepted'],
  ])('refuses %s as query does', async (_, sql, message) => {
    expect(await failure(run(sql))).toEqual({ code: 'SQL_REFUSED', message })
    expect(await failure(engine.query(sql, { maxRows: 10, guard: GUARD }))).toEqual({ code: 'SQL_REFUSED', message })
  })

  it('is stopped by its abort signal', async () => {
    const controller = new AbortController()
    const sql = 'SELECT sum(a.n * b.n + c.n) AS s FROM numbers a, numbers b, numbers c'
    const started = Date.now()
    setTimeout(() => controller.abort(), 300)
    const stopped = await failure(run(sql, { signal: controller.signal }))
    expect(stopped).toEqual({ code: 'QUERY_FAILED', message: QUERY_STOPPED })
    expect(Date.now() - started).toBeLessThan(10_000)
    // The connection it ran on is fit for the next query.
    expect((await run('SELECT count(*) AS n FROM orders')).result.rows).toEqual([[3]])
  })

  it('fails a runtime error in a generic form', async () => {
    const failed = await failure(run('SELECT CAST(region AS INTEGER) FROM orders'))
    expect(failed.code).toBe('QUERY_FAILED')
    expect(failed.message).not.toContain('EU')
  })

  describe('rewrite', () => {
    it('returns the restricted SQL, its parameters and the rules applied, without running it', async () => {
      // Running it would fail (EU is no integer): rewriting does not run it.
      const sql = 'SELECT CAST(region AS INTEGER) AS r FROM orders WHERE amount > $1'
      const rewritten = await engine.rewrite(sql, {
        restrictions: setup.restrictions,
        guard: { allowParameters: true },
        params: [15],
      })
      expect(rewritten.params).toEqual([15, 'EU'])
      expect(rewritten.appliedRules).toEqual(['sales.eu_only'])
      expect(rewritten.sql).toMatch(/FROM \(\s*SELECT /i)
      expect(rewritten.sql).toMatch(/region = \$2/i)
      expect(rewritten.sql).not.toContain('ssn')
    })

    it('refuses a hidden table as restrictedQuery does', async () => {
      const refused = await failure(
        engine.rewrite('SELECT * FROM salaries', { restrictions: setup.restrictions, guard: GUARD }),
      )
      expect(refused).toEqual(await failure(run('SELECT * FROM salaries')))
    })
  })
})

/**
 * `PostgresEngine` plans a query once per text and shape of restrictions
 * (`PostgresPlanCache`): principals whose restrictions differ only in values
 * share the plan, and each call binds its own.
 */
describe('a PostgreSQL query plan', () => {
  let setup: Setup
  beforeAll(async () => {
    setup = await postgresSetup()
  })
  afterAll(async () => {
    await setup?.close()
  })

  const run = (sql: string, restrictions: ConnectionRestrictions) =>
    setup.engine.restrictedQuery(sql, { restrictions, guard: GUARD, maxRows: 100 })
  const session = (tenantId: string): SessionValues => ({
    username: null,
    userEmail: null,
    userId: null,
    orgId: 'org',
    tenantId,
    headers: new Map(),
  })

  it('serves principals whose restrictions differ only in values, each with its own rows', async () => {
    const sql = 'SELECT o.id, o.region FROM orders o WHERE o.amount > 5 ORDER BY o.id'
    postgresParses.mockClear()
    const eu = await run(sql, restrictionsIn('public', 'EU'))
    const us = await run(sql, restrictionsIn('public', 'US'))
    const apac = await run(sql, restrictionsIn('public', 'APAC'))
    expect(postgresParses).toHaveBeenCalledTimes(1)
    expect(eu.result.rows).toEqual([
      [1, 'EU'],
      [2, 'EU'],
      [5, 'EU'],
    ])
    expect(us.result.rows).toEqual([[3, 'US']])
    expect(apac.result.rows).toEqual([[4, 'APAC']])
  })

  it('binds each call’s get_tenant_id() through the same plan', async () => {
    const sql = 'SELECT get_tenant_id() AS tenant, count(*) AS n FROM orders'
    postgresParses.mockClear()
    const globex = await run(sql, restrictionsIn('public', 'EU', session('globex')))
    const initech = await run(sql, restrictionsIn('public', 'US', session('initech')))
    expect(postgresParses).toHaveBeenCalledTimes(1)
    expect(globex.result.rows).toEqual([['globex', 3]])
    expect(initech.result.rows).toEqual([['initech', 1]])
  })

  it('plans a query anew under another shape of restrictions', async () => {
    const sql = 'SELECT count(*) AS n FROM orders'
    postgresParses.mockClear()
    expect((await run(sql, restrictionsIn('public', 'EU'))).result.rows).toEqual([[3]])
    const everyRow = new Map(restrictionsIn('public').tables)
    everyRow.set('public.orders', {
      schema: 'public',
      table: 'orders',
      alternatives: [alternative(['id', 'region', 'amount'], null, [])],
    })
    expect((await run(sql, { tables: everyRow })).result.rows).toEqual([[5]])
    expect(postgresParses).toHaveBeenCalledTimes(2)
  })

  it('plans a query longer than 20,000 characters on every call', async () => {
    const sql = `SELECT count(*) AS n FROM orders WHERE ${Array.from({ length: 2000 }, (_, i) => `id <> ${i + 10}`).join(' AND ')}`
    expect(sql.length).toBeGreaterThan(20_000)
    postgresParses.mockClear()
    expect((await run(sql, restrictionsIn('public', 'EU'))).result.rows).toEqual([[3]])
    expect((await run(sql, restrictionsIn('public', 'US'))).result.rows).toEqual([[1]])
    expect(postgresParses).toHaveBeenCalledTimes(2)
  })
})
