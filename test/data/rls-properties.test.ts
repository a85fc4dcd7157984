import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'
import { DEMO_TABLES } from '../../src/data/engines/duckdb/demo-warehouse-tables.js'
import { DuckDbRewriter } from '../../src/data/engines/duckdb/duckdb-rewriter.js'
import { guardPostgresSelect } from '../../src/data/sql/postgres/postgres-guard.js'
import { parsePostgres } from '../../src/data/sql/postgres/postgres-parser.js'
import { rewriteParsedPostgres } from '../../src/data/sql/postgres/postgres-rewriter.js'
import { SqlRefusedError } from '../../src/data/sql/sql-refused-error.js'
import { GatehouseError } from '../../src/domain/errors.js'
import { randomBase62 } from '../../src/domain/ids.js'
import { connect, createOracleObjects, dropOracleObjects, urlFor, withClient } from '../support/postgres-rls-oracle.js'
import {
  DEMO_COLUMNS,
  DEMO_PRINCIPALS,
  demoGrants,
  demoRestrictions,
  demoTablesDdl,
  oracleCells,
  oracleRows,
  postgresOracleDdl,
  visibleColumns,
} from './rls-corpus/demo-principals.js'
import type { DemoPrincipalName } from './rls-corpus/demo-principals.js'
import { DEMO_SCHEMA_PLACEHOLDER, demoQuery } from './rls-corpus/demo-query-arbitrary.js'
import type { DemoQuery } from './rls-corpus/demo-query-arbitrary.js'

/**
 * Issue 6's property: for any query over the demo warehouse and any
 * principal, Gatehouse's answer (the rewritten query on the whole warehouse)
 * equals, as a multiset with the same column names, the answer of the same
 * query on a database holding only what the principal may see, or both sides
 * refuse, or both fail the same way. `FC_SEED` replays a run; a failure
 * prints its seed and the smallest query fast-check shrank it to.
 */

const SEED = Number(process.env.FC_SEED ?? 6_2025)
const DUCKDB_RUNS = Number(process.env.FC_RUNS ?? 500)
const POSTGRES_RUNS = Number(process.env.FC_RUNS ?? 500)

type Outcome =
  | { readonly kind: 'answer'; readonly columns: readonly string[]; readonly rows: readonly string[] }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'failed'; readonly error: string; readonly message: string }

/**
 * Equal answers, both refused, or both failed with the same class of error.
 * SQL leaves open which rows an expression is evaluated on beyond those the
 * answer needs (DuckDB runs a decorrelated subquery over all of a table's
 * rows, and filters a scan by what a join will keep): where the query can
 * raise on visible rows, one plan may meet such a row and the other not, so a
 * failure on one side and an answer on the other says nothing. Elsewhere the
 * only rows that raise are ones no principal sees, and a failure is a leak.
 */
function sameOutcome(query: DemoQuery, ours: Outcome, theirs: Outcome): boolean {
  const failedOnce = (ours.kind === 'failed') !== (theirs.kind === 'failed')
  if (query.mayFailOnVisibleRows && failedOnce && ours.kind !== 'refused' && theirs.kind !== 'refused') return true
  if (ours.kind !== theirs.kind) return false
  if (ours.kind === 'answer' && theirs.kind === 'answer') {
    return JSON.stringify([ours.columns, ours.rows]) === JSON.stringify([theirs.columns, theirs.rows])
  }
  if (ours.kind === 'failed' && theirs.kind === 'failed') return ours.error === theirs.error
  return true
}

let dir: string
let fullPath: string

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-rls-properties-'))
  mkdirSync(join(dir, 'full'))
  fullPath = join(dir, 'full', 'warehouse.duckdb')
  await createSmallDemoWarehouse(fullPath)
}, 60_000)

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

/**
 * Runs the property: every generated query, for every principal, through
 * Gatehouse and through the principal's own database (`both`), in the
 * engine's `schema`.
 */
async function holds(
  runs: number,
  schema: string,
  both: (name: DemoPrincipalName, sql: string) => Promise<readonly [ours: Outcome, theirs: Outcome]>,
): Promise<void> {
  const tally = { answer: 0, refused: 0, failed: 0 }
  await fc.assert(
    fc.asyncProperty(demoQuery, async (query) => {
      const sql = query.sql.replaceAll(DEMO_SCHEMA_PLACEHOLDER, schema)
      for (const name of DEMO_PRINCIPALS) {
        const [ours, theirs] = await both(name, sql)
        tally[theirs.kind]++
        if (!sameOutcome(query, ours, theirs)) {
          throw new Error(`${name}: Gatehouse ${JSON.stringify(ours)}\nits own database ${JSON.stringify(theirs)}`)
        }
      }
    }),
    { seed: SEED, numRuns: runs },
  )
  // Most generated queries must be answered, or the property says little.
  expect(tally.answer).toBeGreaterThan((tally.refused + tally.failed) * 2)
}

describe('DuckDB: any query over the demo warehouse answers what the principal’s own database answers', () => {
  let instance: DuckDBInstance
  let connection: DuckDBConnection
  const rewriter = new DuckDbRewriter()
  const oracles = new Map<DemoPrincipalName, { instance: DuckDBInstance; connection: DuckDBConnection }>()

  beforeAll(async () => {
    for (const name of DEMO_PRINCIPALS) {
      const path = await buildDuckDbOracle(dir, fullPath, name)
      const oracle = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', enable_external_access: 'false' })
      oracles.set(name, { instance: oracle, connection: await oracle.connect() })
    }
    instance = await DuckDBInstance.create(fullPath, { access_mode: 'READ_ONLY', enable_external_access: 'false' })
    connection = await instance.connect()
  }, 60_000)

  afterAll(() => {
    connection?.closeSync()
    instance?.closeSync()
    for (const oracle of oracles.values()) {
      oracle.connection.closeSync()
      oracle.instance.closeSync()
    }
  })

  async function gatehouse(name: DemoPrincipalName, sql: string): Promise<Outcome> {
    let rewritten
    try {
      rewritten = await rewriter.rewrite(connection, {
        sql,
        restrictions: demoRestrictions(name, 'main'),
        guard: { allowParameters: false },
      })
    } catch (error) {
      if (error instanceof GatehouseError && error.code === 'SQL_REFUSED') {
        return { kind: 'refused', message: error.message }
      }
      throw error
    }
    return execute(connection, rewritten.sql, rewritten.params)
  }

  it(`holds for ${DUCKDB_RUNS} random queries and every principal (seed ${SEED}, FC_SEED replays)`, async () => {
    await holds(DUCKDB_RUNS, 'main', async (name, sql) => {
      const oracle = (oracles.get(name) as { connection: DuckDBConnection }).connection
      return Promise.all([gatehouse(name, sql), execute(oracle, sql)])
    })
  }, 300_000)
})

describe('PostgreSQL: any query over the demo warehouse answers what PostgreSQL’s own RLS answers', () => {
  const suffix = randomBase62(8).toLowerCase()
  const reader = `gh_props_reader_${suffix}`
  const oracleRole = `gh_props_oracle_${suffix}`
  const warehouse = `gh_props_${suffix}`
  const oracleDatabase = (name: DemoPrincipalName) => `gh_props_${name}_${suffix}`
  const scratch = { roles: [reader, oracleRole], databases: [warehouse, ...DEMO_PRINCIPALS.map(oracleDatabase)] }
  let gatehouseClient: pg.Client | undefined
  const oracles = new Map<DemoPrincipalName, pg.Client>()

  beforeAll(async () => {
    const rows = await demoRows(fullPath)
    await createOracleObjects(scratch)
    await withClient(urlFor(undefined, warehouse), async (db) => {
      for (const statement of demoTablesDdl('public')) await db.query(statement)
      await insertRows(db, 'public', rows)
      await db.query(`GRANT USAGE ON SCHEMA public TO ${reader}`)
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${reader}`)
    })
    for (const name of DEMO_PRINCIPALS) {
      await withClient(urlFor(undefined, oracleDatabase(name)), async (db) => {
        await db.query('CREATE SCHEMA base')
        for (const statement of demoTablesDdl('base')) await db.query(statement)
        await insertRows(db, 'base', rows)
        for (const statement of postgresOracleDdl(name, oracleRole)) await db.query(statement)
      })
    }
    const options = { statementTimeoutMs: 20_000 }
    gatehouseClient = await connect(urlFor(reader, warehouse), options)
    for (const name of DEMO_PRINCIPALS) {
      oracles.set(name, await connect(urlFor(oracleRole, oracleDatabase(name)), options))
    }
  }, 120_000)

  afterAll(async () => {
    await gatehouseClient?.end()
    for (const client of oracles.values()) await client.end()
    await dropOracleObjects(scratch)
  })

  async function gatehouse(name: DemoPrincipalName, sql: string): Promise<Outcome> {
    const restrictions = demoRestrictions(name, 'public')
    let rewritten
    try {
      const ast = await parsePostgres(sql)
      const catalog = { database: warehouse, defaultSchema: 'public', tables: new Set(restrictions.tables.keys()) }
      guardPostgresSelect(ast, catalog, { allowParameters: false })
      rewritten = await rewriteParsedPostgres(ast, restrictions, { database: warehouse, defaultSchema: 'public' })
    } catch (error) {
      if (error instanceof SqlRefusedError) return { kind: 'refused', message: error.message }
      throw error
    }
    return query(gatehouseClient as pg.Client, rewritten.sql, rewritten.params)
  }

  it(`holds for ${POSTGRES_RUNS} random queries and every principal (seed ${SEED}, FC_SEED replays)`, async () => {
    await holds(POSTGRES_RUNS, 'public', async (name, sql) =>
      Promise.all([gatehouse(name, sql), query(oracles.get(name) as pg.Client, sql)]),
    )
  }, 300_000)
})

/**
 * The demo warehouse (`gatehouse demo`'s own generator, seed 42) cut down to
 * run fast: 600 orders, the customers they name and 200 more, 150 audit
 * events. Orders naming a customer that is not there stay: outer joins meet them.
 */
async function createSmallDemoWarehouse(path: string): Promise<void> {
  await createDemoWarehouse(path, { orders: 600, seed: 42 })
  const writer = await DuckDBInstance.create(path)
  const c = await writer.connect()
  try {
    await c.run('DELETE FROM main.customers WHERE id > 200 AND id NOT IN (SELECT customer_id FROM main.orders)')
    await c.run('DELETE FROM main.audit_trail WHERE id > 150')
    await c.run('CHECKPOINT')
  } finally {
    c.closeSync()
    writer.closeSync()
  }
}

/**
 * The principal's own database: a file of the same name holding only the
 * tables it sees, with only their visible columns and admitted rows, and NULL
 * in every cell no single policy admits both the row and the column of.
 */
async function buildDuckDbOracle(dir: string, fullPath: string, name: DemoPrincipalName): Promise<string> {
  mkdirSync(join(dir, name))
  const path = join(dir, name, 'warehouse.duckdb')
  const instance = await DuckDBInstance.create(path)
  const c = await instance.connect()
  try {
    await c.run(`ATTACH '${fullPath}' AS full_copy (READ_ONLY)`)
    const grants = demoGrants(name)
    for (const statement of demoTablesDdl('main')) {
      const table = /^CREATE TABLE main\.(\w+)/.exec(statement)?.[1] ?? ''
      const alternatives = grants[table]
      if (alternatives === undefined) continue
      // The warehouse's keys too, so that a plan that differs with them differs alike on both sides;
      // NOT NULL goes, since a hidden cell is NULL.
      await c.run(statement.replaceAll(' NOT NULL', ''))
      const visible = visibleColumns(alternatives, table)
      const cells = oracleCells(alternatives, table).join(', ')
      await c.run(
        `INSERT INTO main.${table} (${visible.map((v) => `"${v}"`).join(', ')})
           SELECT ${cells} FROM full_copy.main.${table} WHERE ${oracleRows(alternatives)}`,
      )
      const hidden = DEMO_COLUMNS[table]?.filter((column) => !visible.includes(column)) ?? []
      for (const column of hidden) await c.run(`ALTER TABLE main.${table} DROP COLUMN "${column}"`)
    }
  } finally {
    c.closeSync()
    instance.closeSync()
  }
  return path
}

/**
 * Prepares, then runs: an error while preparing (the binder's: a name that
 * does not exist) is a refusal, as where the engine prepares guarded SQL; an
 * error while running is a failure, classed by DuckDB's error type.
 */
async function execute(c: DuckDBConnection, sql: string, params: readonly unknown[] = []): Promise<Outcome> {
  const message = (error: unknown) => String((error as Error).message).split('\n')[0] ?? ''
  let prepared
  try {
    prepared = await c.prepare(sql)
  } catch (error) {
    return { kind: 'refused', message: message(error) }
  }
  try {
    if (params.length > 0) prepared.bind(params as DuckDBValue[])
    const reader = await prepared.runAndReadAll()
    const rows = reader.getRowsJson().map((r) => JSON.stringify(r))
    return { kind: 'answer', columns: reader.columnNames(), rows: rows.sort() }
  } catch (error) {
    return { kind: 'failed', error: message(error).split(':')[0] ?? '', message: message(error) }
  } finally {
    prepared.destroySync()
  }
}

/**
 * One query on PostgreSQL, every value as its text. A name that does not
 * exist, like any error of class 42 (syntax, access, grouping), is a refusal:
 * PostgreSQL raises it before running anything; every other error is a
 * failure, classed by its SQLSTATE.
 */
async function query(client: pg.Client, sql: string, params: readonly unknown[] = []): Promise<Outcome> {
  try {
    const result = await client.query({ text: sql, values: [...params], rowMode: 'array' })
    const rows = (result.rows as unknown[][]).map((r) => JSON.stringify(r))
    return { kind: 'answer', columns: result.fields.map((f) => f.name), rows: rows.sort() }
  } catch (error) {
    const { code, message } = error as { code?: string; message: string }
    if (code === undefined) throw error
    return code.startsWith('42') ? { kind: 'refused', message } : { kind: 'failed', error: code, message }
  }
}

/** Every row of every demo table, as JSON objects, read from the DuckDB file. */
async function demoRows(path: string): Promise<ReadonlyMap<string, readonly Record<string, unknown>[]>> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' })
  const c = await instance.connect()
  try {
    const rows = new Map<string, Record<string, unknown>[]>()
    for (const { name } of DEMO_TABLES) {
      const reader = await c.runAndReadAll(`SELECT * FROM main.${name} ORDER BY 1`)
      rows.set(name, reader.getRowObjectsJson() as Record<string, unknown>[])
    }
    return rows
  } finally {
    c.closeSync()
    instance.closeSync()
  }
}

async function insertRows(
  db: pg.Client,
  schema: string,
  rows: ReadonlyMap<string, readonly Record<string, unknown>[]>,
): Promise<void> {
  for (const [table, list] of rows) {
    const target = `${schema}.${table}`
    await db.query(`INSERT INTO ${target} SELECT * FROM json_populate_recordset(NULL::${target}, $1::json)`, [
      JSON.stringify(list),
    ])
  }
}
