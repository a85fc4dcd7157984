import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import pg from 'pg'
import { parse } from 'yaml'
import { freshStoreUrl } from '../../../test/support/test-stores.js'
import { projectFileSchema } from '../../config/project-file-schema.js'
import type { Engine } from '../engine.js'
import { DuckDbEngine } from '../engines/duckdb/duckdb-engine.js'
import { PostgresEngine } from '../engines/postgres/postgres-engine.js'
import { guardPostgresSelect } from '../sql/postgres/postgres-guard.js'
import { parsePostgres } from '../sql/postgres/postgres-parser.js'
import { compileSemanticQuery } from './compile-semantic-query.js'
import type { SqlDialect } from './field-sql.js'
import { semanticQuerySchema } from './semantic-query.js'

const fixture = readFileSync(new URL('./sales-project.fixture.yaml', import.meta.url), 'utf8')
const sales = projectFileSchema.parse(parse(fixture)).domains[0]!

/** The fixture's tables, in SQL both engines run alike. */
const TABLES = [
  'CREATE TABLE main.customers (id INTEGER, name VARCHAR, segment VARCHAR, country_code VARCHAR)',
  `INSERT INTO main.customers VALUES
     (1, 'Ada', 'enterprise', 'FR'), (2, 'Bob', 'smb', 'DE'), (3, 'Cyd', 'smb', 'FR'), (4, 'Dee', NULL, 'US')`,
  'CREATE TABLE main.countries (code VARCHAR, name VARCHAR)',
  `INSERT INTO main.countries VALUES ('FR', 'France'), ('DE', 'Germany'), ('US', 'United States'), ('JP', 'Japan')`,
  `CREATE TABLE main.orders (id INTEGER, customer_id INTEGER, region VARCHAR, status VARCHAR, ordered_on DATE,
     is_gift BOOLEAN, amount DECIMAL(10,2), quantity INTEGER)`,
  `INSERT INTO main.orders VALUES
     (1, 1, 'EMEA', 'shipped', '2026-01-05', false, 10.00, 2),
     (2, 1, 'EMEA', 'shipped', '2026-01-20', true, 5.50, 1),
     (3, 2, 'EMEA', 'returned', '2026-02-03', false, 20.00, 1),
     (4, 3, 'APAC', 'shipped', '2026-02-14', false, 7.25, 4),
     (5, 4, 'AMER', 'pending', '2026-03-01', NULL, 100.00, 1),
     (6, NULL, NULL, 'shipped', '2026-03-15', false, 3.00, 3)`,
]

interface Target {
  readonly engine: Engine
  /** The dev-mode guard of the engine, with the parameters compiled SQL carries. */
  guard(sql: string): Promise<unknown>
  close(): Promise<void>
}

async function openDuckDb(): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-semantic-'))
  const path = join(dir, 'warehouse.duckdb')
  const writer = await DuckDBInstance.create(path)
  const connection = await writer.connect()
  for (const statement of TABLES) await connection.run(statement)
  connection.closeSync()
  writer.closeSync()
  const engine = await DuckDbEngine.open(path)
  return {
    engine,
    guard: (sql) => engine.guard(sql, { allowParameters: true }),
    close: async () => {
      await engine.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgres(): Promise<Target> {
  const database = await freshStoreUrl('postgres')
  const admin = new pg.Client({ connectionString: database.url })
  await admin.connect()
  await admin.query('CREATE SCHEMA main')
  for (const statement of TABLES) await admin.query(statement)
  await admin.end()
  const engine = PostgresEngine.open(database.url, { statementTimeoutMs: 10_000 })
  const catalog = {
    database: new URL(database.url).pathname.slice(1),
    defaultSchema: 'public',
    tables: new Set(['main.orders', 'main.customers', 'main.countries']),
  }
  return {
    engine,
    guard: async (sql) => guardPostgresSelect(await parsePostgres(sql), catalog, { allowParameters: true }),
    close: async () => {
      await engine.close()
      await database.dispose()
    },
  }
}

const OPEN: Record<SqlDialect, () => Promise<Target>> = { duckdb: openDuckDb, postgres: openPostgres }

/**
 * The engines agree on values, not on how they are spelled: PostgreSQL gives
 * numerics as exact text and dates as midnight timestamps, DuckDB decimals as
 * text and averages as doubles.
 */
function normalise(value: unknown): unknown {
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return normalise(Number(value))
  if (typeof value === 'number') return Math.round(value * 1e6) / 1e6
  if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/.test(value)) return value.slice(0, 10)
  return value
}

const CASES: [string, Record<string, unknown>, unknown[][]][] = [
  [
    'sums and counts by a dimension, largest first',
    { dimensions: ['region'], measures: ['revenue', 'order_count'] },
    [
      ['AMER', 100, 1],
      ['EMEA', 45.5, 3],
      ['APAC', 29, 1],
      [null, 9, 1],
    ],
  ],
  [
    'buckets a time dimension by month, in time order',
    { dimensions: ['order_date:month'], measures: ['revenue'] },
    [
      ['2026-01-01', 25.5],
      ['2026-02-01', 49],
      ['2026-03-01', 109],
    ],
  ],
  [
    'starts weeks on Monday',
    {
      dimensions: ['order_date:week'],
      measures: ['order_count'],
      filters: [{ field: 'order_date', op: '<', value: '2026-02-01' }],
    },
    [
      ['2026-01-05', 1],
      ['2026-01-19', 1],
    ],
  ],
  [
    'joins across two datasets, keeping rows that match none',
    { dimensions: ['country'], measures: ['revenue'], order_by: ['country'] },
    [
      ['France', 54.5],
      ['Germany', 20],
      ['United States', 100],
      [null, 9],
    ],
  ],
  [
    'applies dimension filters of each kind to rows',
    {
      dimensions: ['customer_name'],
      measures: ['revenue'],
      filters: [
        { field: 'segment', op: '=', value: 'smb' },
        { field: 'order_date', op: 'between', value: ['2026-01-01', '2026-02-28'] },
        { field: 'status', op: 'in', value: ['shipped', 'returned'] },
      ],
    },
    [
      ['Cyd', 29],
      ['Bob', 20],
    ],
  ],
  [
    'applies a measure filter to groups, selected or not',
    { dimensions: ['region'], measures: ['order_count'], filters: [{ field: 'revenue', op: '>', value: 30 }] },
    [
      ['EMEA', 3],
      ['AMER', 1],
    ],
  ],
  [
    'matches contains without regard to case',
    { dimensions: ['customer_name'], filters: [{ field: 'customer_name', op: 'contains', value: 'D' }] },
    [['Ada'], ['Cyd'], ['Dee']],
  ],
  [
    'reads % in contains as a character, not a wildcard',
    { dimensions: ['customer_name'], filters: [{ field: 'customer_name', op: 'contains', value: '%' }] },
    [],
  ],
  ['tests for missing values', { measures: ['order_count'], filters: [{ field: 'region', op: 'is_null' }] }, [[1]]],
  [
    'tests for present values',
    { measures: ['order_count'], filters: [{ field: 'region', op: 'is_null', value: false }] },
    [[5]],
  ],
  [
    'excludes with not_in and !=',
    {
      dimensions: ['orders.id'],
      filters: [
        { field: 'status', op: 'not_in', value: ['shipped'] },
        { field: 'region', op: '!=', value: 'APAC' },
      ],
    },
    [[3], [5]],
  ],
  ['compares booleans', { dimensions: ['orders.id'], filters: [{ field: 'gift', op: '=', value: true }] }, [[2]]],
  [
    'counts distinct values across a join',
    { dimensions: ['segment'], measures: ['buyers'] },
    [
      ['smb', 2],
      ['enterprise', 1],
      [null, 1],
    ],
  ],
  [
    'counts the rows of the base dataset',
    { dimensions: ['segment'], measures: ['customer_count'] },
    [
      ['smb', 2],
      ['enterprise', 1],
      [null, 1],
    ],
  ],
  ['aggregates over all rows', { measures: ['first_order', 'average_amount'] }, [['2026-01-05', 24.291667]]],
  [
    'filters on a time bucket',
    {
      dimensions: ['status'],
      measures: ['order_count'],
      filters: [{ field: 'order_date:month', op: '=', value: '2026-02-01' }],
    },
    [
      ['returned', 1],
      ['shipped', 1],
    ],
  ],
  [
    'binds a hostile value as a value',
    { dimensions: ['region'], filters: [{ field: 'region', op: '=', value: "EMEA' OR '1'='1" }] },
    [],
  ],
]

describe.each(['duckdb', 'postgres'] as const)('a compiled standard-mode query on %s', (dialect) => {
  let target: Target
  const compile = (query: Record<string, unknown>) =>
    compileSemanticQuery(sales, semanticQuerySchema.parse({ domain: 'sales', ...query }), {
      dialect,
      maxLimit: 1000,
      defaultLimit: 100,
    })

  beforeAll(async () => {
    target = await OPEN[dialect]()
  })
  afterAll(async () => {
    await target?.close()
  })

  it.each(CASES)('%s, and passes the dev-mode guard', async (_, query, rows) => {
    const compiled = compile(query)
    await target.guard(compiled.sql)
    const result = await target.engine.query(compiled.sql, { maxRows: compiled.maxRows, params: compiled.params })
    expect(result.columns.map((c) => c.name)).toEqual(compiled.columns.map((c) => c.name))
    expect(result.rows.map((row) => row.map(normalise))).toEqual(rows)
  })

  it.each([
    [2, [[1], [2]], true],
    [6, [[1], [2], [3], [4], [5], [6]], false],
  ])('returns at most limit %i rows and says whether there were more', async (limit, rows, truncated) => {
    const compiled = compile({ dimensions: ['orders.id'], limit })
    const result = await target.engine.query(compiled.sql, { maxRows: compiled.maxRows, params: compiled.params })
    expect(result.rows).toEqual(rows)
    expect(result.truncated).toBe(truncated)
  })
})
