import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { GatehouseError } from '../../src/domain/errors.js'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { DuckDbRewriter } from '../../src/data/engines/duckdb/duckdb-rewriter.js'
import { readDuckDbAstJson } from '../../src/data/sql/duckdb-ast-json.js'
import { guardDuckDbSelect } from '../../src/data/sql/duckdb-guard.js'
import type { ConnectionRestrictions, RewrittenQuery } from '../../src/data/sql/restrictions.js'
import { RLS_CORPUS } from './rls-corpus/queries.js'
import type { RlsCorpusQuery } from './rls-corpus/queries.js'
import { RLS_PRINCIPALS, RLS_WAREHOUSE_SQL } from './rls-corpus/warehouse.js'
import type { RlsPrincipal, RlsPrincipalName, RlsRow } from './rls-corpus/warehouse.js'

type Outcome =
  | { readonly kind: 'answer'; readonly columns: readonly string[]; readonly rows: readonly string[] }
  | { readonly kind: 'refused' | 'failed'; readonly message: string }

const MAX_ROWS = 100_000

/** Rows as a sorted list of their JSON: equal lists are equal multisets. */
function answer(columns: readonly string[], rows: readonly (readonly unknown[])[]): Outcome {
  return { kind: 'answer', columns, rows: rows.map((r) => JSON.stringify(r)).sort() }
}

function failure(error: unknown): Outcome {
  if (error instanceof GatehouseError && error.code === 'SQL_REFUSED')
    return { kind: 'refused', message: error.message }
  throw error
}

/**
 * Prepares, then runs: an error while preparing (the binder's: a name that
 * does not exist) is a refusal, as it is where the engine prepares guarded
 * SQL; an error while running is a failure. Only the first line of DuckDB's
 * message is kept, as the engine keeps it.
 */
async function execute(c: DuckDBConnection, sql: string, params: readonly unknown[] = []): Promise<Outcome> {
  const firstLine = (error: unknown) => String((error as Error).message).split('\n')[0] ?? ''
  let prepared
  try {
    prepared = await c.prepare(sql)
  } catch (error) {
    return { kind: 'refused', message: firstLine(error) }
  }
  try {
    if (params.length > 0) prepared.bind(params as DuckDBValue[])
    const reader = await prepared.runAndReadAll()
    return answer(reader.columnNames(), reader.getRowsJson())
  } catch (error) {
    return { kind: 'failed', message: firstLine(error) }
  } finally {
    prepared.destroySync()
  }
}

/**
 * The oracle for one principal: a database file of the same name (so that
 * `warehouse.main.orders` still means something) holding only the tables the
 * principal sees, with only its columns, its rows, and NULL in every cell no
 * single policy admits both the row and the column of. Which rows and cells
 * those are is decided here, in JavaScript, from each rule's own reading.
 */
async function buildOracle(dir: string, fullPath: string, principal: RlsPrincipal): Promise<string> {
  const oracleDir = join(dir, principal.name)
  mkdirSync(oracleDir)
  const path = join(oracleDir, 'warehouse.duckdb')
  const instance = await DuckDBInstance.create(path)
  const c = await instance.connect()
  try {
    await c.run(`ATTACH '${fullPath}' AS full_copy (READ_ONLY)`)
    for (const [key, alternatives] of principal.oracle) {
      const [schema, table] = key.split('.') as [string, string]
      const reader = await c.runAndReadAll(`SELECT * FROM full_copy.${schema}.${table} ORDER BY id`)
      const rows = reader.getRowObjectsJson() as RlsRow[]
      const ids = (keep: (row: RlsRow) => boolean) => {
        const list = rows.filter(keep).map((row) => Number(row.id))
        return list.length === 0 ? 'false' : `id IN (${list.join(', ')})`
      }
      const visible = reader.columnNames().filter((column) => alternatives.some((a) => a.columns.includes(column)))
      const cells = visible.map((column) => {
        const cellVisible = (row: RlsRow) => alternatives.some((a) => a.admits(row) && a.columns.includes(column))
        return `CASE WHEN ${ids(cellVisible)} THEN ${column} END AS ${column}`
      })
      const admitted = ids((row) => alternatives.some((a) => a.admits(row)))
      await c.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
      await c.run(
        `CREATE TABLE ${schema}.${table} AS SELECT ${cells.join(', ')} FROM full_copy.${key} WHERE ${admitted}`,
      )
    }
  } finally {
    c.closeSync()
    instance.closeSync()
  }
  return path
}

describe('DuckDB row- and column-level security by query rewriting (issue 6 corpus)', () => {
  let dir: string
  let full: DuckDbEngine
  let instance: DuckDBInstance
  let connection: DuckDBConnection
  const rewriter = new DuckDbRewriter()
  const oracles = new Map<RlsPrincipalName, { instance: DuckDBInstance; connection: DuckDBConnection }>()

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-rls-'))
    mkdirSync(join(dir, 'full'))
    const fullPath = join(dir, 'full', 'warehouse.duckdb')
    const writer = await DuckDBInstance.create(fullPath)
    const c = await writer.connect()
    await c.run(RLS_WAREHOUSE_SQL)
    c.closeSync()
    writer.closeSync()
    for (const principal of RLS_PRINCIPALS) {
      const path = await buildOracle(dir, fullPath, principal)
      const oracle = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', enable_external_access: 'false' })
      oracles.set(principal.name, { instance: oracle, connection: await oracle.connect() })
    }
    full = await DuckDbEngine.open(fullPath)
    // The engine will lend the rewriter a connection of its pool; here it has its own, read-only.
    instance = await DuckDBInstance.create(fullPath, { access_mode: 'READ_ONLY', enable_external_access: 'false' })
    connection = await instance.connect()
  })

  afterAll(async () => {
    connection?.closeSync()
    instance?.closeSync()
    await full?.close()
    for (const oracle of oracles.values()) {
      oracle.connection.closeSync()
      oracle.instance.closeSync()
    }
    rmSync(dir, { recursive: true, force: true })
  })

  function principal(name: RlsPrincipalName): RlsPrincipal {
    return RLS_PRINCIPALS.find((p) => p.name === name) as RlsPrincipal
  }

  function oracle(name: RlsPrincipalName): DuckDBConnection {
    return (oracles.get(name) as { connection: DuckDBConnection }).connection
  }

  async function rewrite(who: RlsPrincipal, sql: string, params: readonly unknown[] = []): Promise<RewrittenQuery> {
    return rewriter.rewrite(connection, { sql, params, restrictions: who.restrictions })
  }

  /**
   * Dev mode end to end: the guard and the rewrite on the principal's SQL,
   * then the rewritten SQL, which passes the guard too (its own placeholders
   * allowed): an engine may keep guarding what it runs.
   */
  async function gatehouse(who: RlsPrincipal, sql: string): Promise<Outcome> {
    let rewritten: RewrittenQuery
    try {
      rewritten = await rewriter.rewrite(connection, {
        sql,
        restrictions: who.restrictions,
        guard: { allowParameters: false },
      })
      const serialized = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [rewritten.sql])
      const visible = { database: 'warehouse', tables: new Set(who.restrictions.tables.keys()) }
      guardDuckDbSelect(readDuckDbAstJson(String(serialized.getRows()[0]?.[0])), visible, { allowParameters: true })
    } catch (error) {
      return failure(error)
    }
    return execute(connection, rewritten.sql, rewritten.params)
  }

  const cases = RLS_PRINCIPALS.flatMap((who) =>
    RLS_CORPUS.filter(
      (q) =>
        (q.engines === undefined || q.engines.includes('duckdb')) &&
        (q.principals === undefined || q.principals.includes(who.name)),
    ).map((q): [RlsPrincipalName, string, RlsCorpusQuery] => [who.name, q.id, q]),
  )

  it('holds a corpus of at least 150 labelled cases', () => {
    expect(RLS_CORPUS.length).toBeGreaterThanOrEqual(150)
    expect(new Set(RLS_CORPUS.map((q) => q.id)).size).toBe(RLS_CORPUS.length)
  })

  it.each(cases)('%s: %s', async (name, _, query) => {
    const who = principal(name)
    const label =
      query.except?.includes(name) === true ? (query.expect === 'answer' ? 'refuse' : 'answer') : query.expect
    const [mine, theirs] = await Promise.all([gatehouse(who, query.sql), execute(oracle(name), query.sql)])
    if (label === 'answer') {
      expect(theirs.kind, `the oracle answers: ${JSON.stringify(theirs)}`).toBe('answer')
      expect(mine).toEqual(theirs)
    } else {
      expect(mine.kind, JSON.stringify(mine)).toBe('refused')
      // Hidden looks like missing: the oracle, which lacks what the query names, cannot answer either.
      if (query.tags?.includes('missing') === true) expect(theirs.kind).not.toBe('answer')
    }
    if (query.tags?.includes('probe') === true) {
      // The probe is live: on every row it fails, so the answer above proves it never ran on a hidden one.
      await expect(full.query(query.sql, { maxRows: MAX_ROWS })).rejects.toMatchObject({ code: 'QUERY_FAILED' })
    }
  })

  const probes = RLS_PRINCIPALS.filter((p) => p.name !== 'analyst').flatMap((who) =>
    RLS_CORPUS.filter((q) => q.tags?.includes('probe') === true).map((q): [RlsPrincipalName, string] => [
      who.name,
      q.sql,
    ]),
  )

  it.each(probes)(
    '%s: no probe reaches a hidden row when the rule values are written into the SQL either: %s',
    async (name, sql) => {
      // Constants let DuckDB push a rule into the scan (table filters, zone maps), which parameters do not.
      const rewritten = await rewrite(principal(name), sql)
      const literal = rewritten.sql.replace(/\$(\d+)/g, (_, n: string) => {
        const value = rewritten.params[Number(n) - 1]
        return typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value)
      })
      expect(await execute(connection, literal)).toEqual(await execute(oracle(name), sql))
    },
  )

  it('shows a column of one policy only on the rows that policy admits (the cell rule)', async () => {
    const sql = 'SELECT id, tenant_id, name, email, region FROM customers ORDER BY id'
    const rewritten = await rewrite(principal('tenant2'), sql)
    const result = await execute(connection, rewritten.sql, rewritten.params)
    const rows = (result as unknown as { rows: string[] }).rows.map(
      (r) => JSON.parse(r) as [number, number, string | null, string | null, string],
    )
    // Rows admitted only by emea_support (other tenants' EMEA customers): its columns, never tenant_scoped's name.
    const otherEmea = rows.filter(([, tenant]) => tenant !== 2)
    expect(otherEmea.length).toBeGreaterThan(0)
    expect(otherEmea.every(([, , n, , region]) => n === null && region === 'EMEA')).toBe(true)
    expect(otherEmea.some(([, , , email]) => email !== null)).toBe(true)
    // Rows admitted only by tenant_scoped (tenant 2 outside EMEA): its columns, never emea_support's email.
    const tenant2Elsewhere = rows.filter(([, tenant, , , region]) => tenant === 2 && region !== 'EMEA')
    expect(tenant2Elsewhere.length).toBeGreaterThan(0)
    expect(tenant2Elsewhere.every(([, , n, email]) => n !== null && email === null)).toBe(true)
    // Rows both admit: every column.
    const both = rows.filter(([, tenant, , email, region]) => tenant === 2 && region === 'EMEA' && email !== null)
    expect(both.length).toBeGreaterThan(0)
    expect(both.every(([, , n]) => n !== null)).toBe(true)
  })

  it.each([
    ['a hidden column', 'SELECT email FROM customers', 'SELECT emial FROM customers', 'email', 'emial'],
    ['a hidden table', 'SELECT * FROM audit_trail', 'SELECT * FROM audit_trial', 'audit_trail', 'audit_trial'],
    ['a hidden schema', 'SELECT * FROM hr.salaries', 'SELECT * FROM hx.salaries', 'hr', 'hx'],
    [
      'a hidden column in EXCLUDE',
      'SELECT * EXCLUDE (email) FROM customers',
      'SELECT * EXCLUDE (emial) FROM customers',
      'email',
      'emial',
    ],
  ])('refuses %s with the words it uses for a name that does not exist', async (_, hidden, missing, a, b) => {
    const tenant1 = principal('tenant1')
    const [h, m] = await Promise.all([gatehouse(tenant1, hidden), gatehouse(tenant1, missing)])
    expect(h.kind).toBe('refused')
    expect(m.kind).toBe('refused')
    expect((h as { message: string }).message.replaceAll(a, b)).toBe((m as { message: string }).message)
  })

  it('binds the rules after the query’s own parameters and names the rules that applied', async () => {
    const tenant1 = principal('tenant1')
    const sql = 'SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.amount > $1'
    const rewritten = await rewrite(tenant1, sql, [100])
    expect(rewritten.params).toEqual([100, 1, 'EMEA', 'NA', 1])
    expect(rewritten.appliedRules).toEqual(['tenant_scoped.by_tenant', 'tenant_scoped.by_region'])
    expect(await execute(connection, rewritten.sql, rewritten.params)).toEqual(
      await execute(oracle('tenant1'), sql, [100]),
    )
    // The query's own placeholders never reach a rule's values.
    await expect(rewrite(tenant1, 'SELECT * FROM orders WHERE id = $2', [1])).rejects.toMatchObject({
      code: 'SQL_REFUSED',
    })
  })

  it('shares a rewrite between principals whose rules differ only in their values, never the values', async () => {
    const withTenant = (tenant: number): ConnectionRestrictions => ({
      tables: new Map(
        [...principal('tenant2').restrictions.tables].map(([key, table]) => [
          key,
          {
            ...table,
            alternatives: table.alternatives.map((a) =>
              a.predicate?.sql === 'tenant_id = $1' ? { ...a, predicate: { ...a.predicate, values: [tenant] } } : a,
            ),
          },
        ]),
      ),
    })
    const sql = 'SELECT DISTINCT tenant_id FROM orders'
    const seen = new Set<string>()
    for (const tenant of [2, 3, 1, 2]) {
      const rewritten = await rewriter.rewrite(connection, { sql, restrictions: withTenant(tenant) })
      seen.add(rewritten.sql)
      expect(await execute(connection, rewritten.sql, rewritten.params)).toMatchObject({ rows: [`[${tenant}]`] })
    }
    expect(seen.size).toBe(1)
  })

  it('answers from a cached plan exactly what planning afresh gives', async () => {
    const who = principal('tenant2')
    for (const query of RLS_CORPUS.filter((q) => q.expect === 'answer' && q.engines === undefined)) {
      const input = { sql: query.sql, restrictions: who.restrictions, guard: { allowParameters: false } }
      const fresh = await new DuckDbRewriter().rewrite(connection, input).catch((e: Error) => e.message)
      expect(await rewriter.rewrite(connection, input).catch((e: Error) => e.message)).toEqual(fresh)
    }
  })

  it('writes each table as a filtered, column-restricted subquery under the name the query used', async () => {
    const rewritten = await rewrite(principal('tenant2'), 'SELECT c.* FROM main.customers AS c')
    expect(rewritten.sql).toBe(
      'SELECT c.* FROM (SELECT id, tenant_id, ' +
        'CASE  WHEN ((tenant_id = $1)) THEN ("name") ELSE NULL END AS "name", ' +
        'CASE  WHEN ((region = $2)) THEN (email) ELSE NULL END AS email, region, ' +
        'CASE  WHEN ((tenant_id = $1)) THEN (referred_by) ELSE NULL END AS referred_by ' +
        'FROM main.customers WHERE ((tenant_id = $1) OR (region = $2))) AS c',
    )
    expect(rewritten.params).toEqual([2, 'EMEA'])
    expect(rewritten.appliedRules).toEqual(['tenant_scoped.by_tenant', 'emea_support.emea_customers'])
  })
})
