import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDemoWarehouse } from '../../src/data/engines/duckdb/demo-warehouse.js'
import { DuckDbEngine } from '../../src/data/engines/duckdb/duckdb-engine.js'
import { PostgresEngine } from '../../src/data/engines/postgres/postgres-engine.js'
import type { Engine } from '../../src/data/engine.js'
import { loadWarehouseIntoPostgres } from '../support/postgres-warehouse.js'
import type { PostgresWarehouse } from '../support/postgres-warehouse.js'
import { PG_ADMIN_URL } from '../support/test-stores.js'

const TABLES = ['tenants', 'regions', 'customers', 'products', 'orders', 'audit_trail']

async function first(engine: Engine, sql: string): Promise<readonly unknown[]> {
  return (await engine.query(sql, { maxRows: 1 })).rows[0] ?? []
}

async function adminQuery(sql: string, params: unknown[]): Promise<unknown[]> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL })
  await admin.connect()
  try {
    return (await admin.query(sql, params)).rows
  } finally {
    await admin.end()
  }
}

describe('loadWarehouseIntoPostgres', () => {
  let dir: string
  let path: string
  let warehouse: PostgresWarehouse
  let duckdb: DuckDbEngine
  let postgres: PostgresEngine

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-warehouse-'))
    path = join(dir, 'acme.duckdb')
    await createDemoWarehouse(path, { orders: 2_000 })
    warehouse = await loadWarehouseIntoPostgres(path)
    duckdb = await DuckDbEngine.open(path)
    postgres = PostgresEngine.open(warehouse.url, { statementTimeoutMs: 10_000 })
  })
  afterAll(async () => {
    await postgres?.close()
    await duckdb?.close()
    await warehouse?.drop()
    rmSync(dir, { recursive: true, force: true })
  })

  it.each(TABLES)('copies every row of %s', async (table) => {
    // Every column as text, rows in key order: equal digests mean equal contents, not just equal counts.
    const { columns } = (await duckdb.tables()).find((t) => t.name === table)!
    const text = columns.map((c) => `"${c.name}"::text`).join(', ')
    const sql = `SELECT count(*), md5(string_agg(concat_ws('|', ${text}), chr(10) ORDER BY "${columns[0]!.name}"))
                   FROM main.${table}`
    const expected = await first(duckdb, sql)
    expect(expected[0]).toBeGreaterThan(0)
    expect(await first(postgres, sql)).toEqual(expected)
  })

  it('gives both engines the same totals', async () => {
    const sql = `SELECT count(*), sum(amount), sum(quantity), count(DISTINCT customer_id), min(ordered_at)::text,
                        max(ordered_at)::text FROM main.orders`
    const expected = await first(duckdb, sql)
    expect(expected[0]).toBe(2_000)
    expect(await first(postgres, sql)).toEqual(expected)
  })

  it("maps each DuckDB column type to PostgreSQL's", async () => {
    const types: Record<string, string> = {
      VARCHAR: 'text',
      INTEGER: 'integer',
      BIGINT: 'bigint',
      TIMESTAMP: 'timestamp without time zone',
      'DECIMAL(10,2)': 'numeric(10,2)',
      'DECIMAL(12,2)': 'numeric(12,2)',
    }
    const shape = (tables: Awaited<ReturnType<Engine['tables']>>, type: (t: string) => string | undefined) =>
      tables.map((t) => ({
        table: `${t.schema}.${t.name}`,
        columns: t.columns.map((c) => ({ name: c.name, type: type(c.type), nullable: c.nullable })),
      }))
    expect(shape(await postgres.tables(), (t) => t)).toEqual(shape(await duckdb.tables(), (t) => types[t]))
  })

  it("connects as a role that PostgresEngine's check accepts", async () => {
    expect(await postgres.check()).toEqual([])
    const [role] = (await adminQuery(
      'SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolcanlogin FROM pg_roles WHERE rolname = $1',
      [warehouse.role],
    )) as Record<string, boolean>[]
    expect(role).toEqual({
      rolsuper: false,
      rolbypassrls: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolcanlogin: true,
    })
  })

  it.each([
    ['insert a row', 'INSERT INTO main.regions VALUES ($1, $2)', ['MARS', 'Mars']],
    ['create a table in main', 'CREATE TABLE main.notes (body text)', []],
    ['create a table in public', 'CREATE TABLE public.notes (body text)', []],
    ['create a temporary table', 'CREATE TEMPORARY TABLE notes (body text)', []],
  ])('refuses to let the role %s', async (_, sql, params) => {
    const client = new pg.Client({ connectionString: warehouse.url })
    await client.connect()
    try {
      await expect(client.query(sql, params)).rejects.toThrow(/permission denied/)
    } finally {
      await client.end()
    }
  })

  it('drops the database and the role, and dropping again does nothing', async () => {
    const extra = await loadWarehouseIntoPostgres(path)
    await extra.drop()
    await extra.drop()
    expect(await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [extra.database])).toEqual([])
    expect(await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [extra.role])).toEqual([])
  })

  it('fails loudly when PostgreSQL is not reachable', async () => {
    await expect(
      loadWarehouseIntoPostgres(path, { adminUrl: 'postgres://postgres@127.0.0.1:1/postgres' }),
    ).rejects.toThrow(/PostgreSQL is required/)
  })
})
