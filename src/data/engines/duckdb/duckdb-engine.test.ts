import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { DuckDbEngine } from './duckdb-engine.js'
import { openEngine } from '../../open-engine.js'

describe('DuckDbEngine', () => {
  let dir: string
  let path: string
  let engine: DuckDbEngine

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-duckdb-'))
    path = join(dir, 'warehouse.duckdb')
    const writer = await DuckDBInstance.create(path)
    const c = await writer.connect()
    await c.run(`CREATE TABLE orders AS SELECT i AS id, i % 3 AS tenant_id, (i * 1.5)::DECIMAL(10,2) AS amount,
      (9007199254740993 + i)::BIGINT AS big, DATE '2026-01-01' + i::INTEGER AS ordered_at FROM range(1, 101) t(i)`)
    await c.run('CREATE SCHEMA sales; CREATE TABLE sales.regions (code VARCHAR NOT NULL, name VARCHAR)')
    c.closeSync()
    writer.closeSync()
    engine = await DuckDbEngine.open(path)
  })
  afterAll(async () => {
    await engine.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('answers a query with columns, JSON-safe rows and a row count', async () => {
    const result = await engine.query('SELECT id, amount, big, ordered_at FROM orders WHERE id = 1', { maxRows: 10 })
    expect(result.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: 'big', type: 'BIGINT' },
      { name: 'ordered_at', type: 'DATE' },
    ])
    // Integers that fit a double are numbers; 2^53 + 2 cannot be one and arrives as exact text, like decimals.
    expect(result.rows).toEqual([[1, '1.50', '9007199254740994', '2026-01-02']])
    expect(result).toMatchObject({ row_count: 1, truncated: false })
  })

  it('stops at the row limit and says the result was truncated', async () => {
    const result = await engine.query('SELECT id FROM orders ORDER BY id', { maxRows: 5 })
    expect(result.rows).toHaveLength(5)
    expect(result).toMatchObject({ row_count: 5, truncated: true })
    expect((await engine.query('SELECT id FROM orders', { maxRows: 100 })).truncated).toBe(false)
  })

  it('binds parameters instead of splicing them', async () => {
    const result = await engine.query('SELECT count(*) AS n FROM orders WHERE tenant_id = $1', {
      maxRows: 1,
      params: [2],
    })
    expect(result.rows).toEqual([[33]])
    const injected = await engine.query('SELECT count(*) AS n FROM orders WHERE CAST(tenant_id AS VARCHAR) = $1', {
      maxRows: 1,
      params: ["2' OR '1'='1"],
    })
    expect(injected.rows).toEqual([[0]])
  })

  it('lists user tables and their columns, without system schemas', async () => {
    const tables = await engine.tables()
    expect(tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['main.orders', 'sales.regions'])
    expect(tables[1]?.columns).toEqual([
      { name: 'code', type: 'VARCHAR', nullable: false },
      { name: 'name', type: 'VARCHAR', nullable: true },
    ])
  })

  it.each([
    ['a write', 'INSERT INTO orders (id) VALUES (1000)'],
    ['DDL', 'CREATE TABLE x (a INT)'],
    ['reading a file', "SELECT * FROM read_csv('/etc/passwd')"],
    ['a replacement scan of a file', "SELECT * FROM '/etc/hostname'"],
    ['writing a file', `COPY (SELECT 1) TO '${join(tmpdir(), 'gatehouse-should-not-exist.csv')}'`],
    ['attaching another database', `ATTACH '${join(tmpdir(), 'gatehouse-other.duckdb')}' AS other`],
    ['turning external access back on', 'SET enable_external_access = true'],
    ['unlocking the configuration', 'SET lock_configuration = false'],
    ['installing an extension', 'INSTALL httpfs'],
  ])('refuses %s at the engine, whatever the guard let through', async (_, sql) => {
    await expect(engine.query(sql, { maxRows: 10 })).rejects.toThrow()
    expect(existsSync(join(tmpdir(), 'gatehouse-should-not-exist.csv'))).toBe(false)
  })

  it('interrupts a running statement when the signal aborts', async () => {
    const controller = new AbortController()
    const running = engine.query('SELECT count(*) FROM range(10000000000) a', {
      maxRows: 1,
      signal: controller.signal,
    })
    setTimeout(() => controller.abort(), 50)
    await expect(running).rejects.toThrow(/stopped/)
  })

  it('refuses to open a file that does not exist rather than creating an empty database', async () => {
    const missing = join(dir, 'missing.duckdb')
    await expect(DuckDbEngine.open(missing)).rejects.toMatchObject({ code: 'INPUT_INVALID' })
    expect(existsSync(missing)).toBe(false)
  })

  it('is refused when its file defines a macro named like an allowed built-in, which would run in its place', async () => {
    const shadowed = join(dir, 'shadowed.duckdb')
    const writer = await DuckDBInstance.create(shadowed)
    const c = await writer.connect()
    await c.run('CREATE TABLE secrets AS SELECT 1 AS tenant_id, 42 AS secret')
    // Its body reads a table directly: a call to lower() would leave the row-level rewrite behind.
    await c.run('CREATE MACRO lower(x) AS (SELECT max(secret) FROM secrets)')
    await c.run('CREATE MACRO my_own_helper(x) AS x + 1')
    c.closeSync()
    writer.closeSync()
    const unsafe = await DuckDbEngine.open(shadowed)
    try {
      expect(await unsafe.check()).toEqual([
        'the database defines functions named like built-ins (lower), which would run in their place',
      ])
    } finally {
      await unsafe.close()
    }
    await expect(
      openEngine({ name: 'w', engine: 'duckdb', path: shadowed }, { env: {}, statementTimeoutMs: 1000 }),
    ).rejects.toMatchObject({
      reason:
        'unsafe database: the database defines functions named like built-ins (lower), which would run in their place',
    })
    expect(await engine.check()).toEqual([])
  })
})
