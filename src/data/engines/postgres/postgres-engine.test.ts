import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { freshStoreUrl } from '../../../../test/support/test-stores.js'
import type { TestStoreUrl } from '../../../../test/support/test-stores.js'
import { randomBase62 } from '../../../domain/ids.js'
import { PostgresEngine } from './postgres-engine.js'

describe('PostgresEngine', () => {
  let database: TestStoreUrl
  let reader: string
  let writer: string
  let readerUrl: string
  let engine: PostgresEngine

  const urlAs = (role: string) => database.url.replace('postgres://postgres@', `postgres://${role}@`)

  beforeAll(async () => {
    database = await freshStoreUrl('postgres')
    reader = `gh_reader_${randomBase62(8).toLowerCase()}`
    writer = `gh_writer_${randomBase62(8).toLowerCase()}`
    const admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    await admin.query(`CREATE TABLE orders AS SELECT i AS id, i % 3 AS tenant_id, (i * 1.5)::numeric(10,2) AS amount,
      (9007199254740993 + i)::bigint AS big, timestamptz '2026-01-01 00:00:00+00' + i * interval '1 day' AS ordered_at
      FROM generate_series(1, 100) AS i`)
    await admin.query(`CREATE ROLE ${reader} LOGIN; GRANT SELECT ON orders TO ${reader}`)
    await admin.query(`CREATE ROLE ${writer} LOGIN; GRANT SELECT, INSERT ON orders TO ${writer}`)
    await admin.end()
    readerUrl = urlAs(reader)
    engine = PostgresEngine.open(readerUrl, { statementTimeoutMs: 500 })
  })
  afterAll(async () => {
    await engine?.close()
    await database.dispose()
    const admin = new pg.Client({ connectionString: database.url.replace(/\/[^/]*$/, '/postgres') })
    await admin.connect()
    await admin.query(`DROP ROLE IF EXISTS ${reader}; DROP ROLE IF EXISTS ${writer}`)
    await admin.end()
  })

  it('resolves bare table names in the role’s current schema, which its search_path decides', async () => {
    expect(await engine.defaultSchema()).toBe('public')
    const admin = new pg.Client({ connectionString: database.url })
    await admin.connect()
    await admin.query(`CREATE SCHEMA sales; GRANT USAGE ON SCHEMA sales TO ${reader}`)
    await admin.query(`ALTER ROLE ${reader} SET search_path = sales, public`)
    await admin.end()
    const scoped = PostgresEngine.open(readerUrl, { statementTimeoutMs: 500 })
    try {
      expect(await scoped.defaultSchema()).toBe('sales')
    } finally {
      await scoped.close()
      const reset = new pg.Client({ connectionString: database.url })
      await reset.connect()
      await reset.query(`ALTER ROLE ${reader} RESET search_path`)
      await reset.end()
    }
  })

  it('accepts a plain read-only role', async () => {
    expect(await engine.check()).toEqual([])
  })

  it.each([
    ['a superuser', () => database.url, 'the connection role is a superuser'],
    ['a role that can write', () => urlAs(writer), 'the connection role can write to 1 tables'],
  ])('reports %s as unsafe', async (_, url, problem) => {
    const unsafe = PostgresEngine.open(url(), { statementTimeoutMs: 500 })
    try {
      expect(await unsafe.check()).toContain(problem)
    } finally {
      await unsafe.close()
    }
  })

  it('reports an owner of tables as unsafe', async () => {
    const owner = PostgresEngine.open(database.url, { statementTimeoutMs: 500 })
    try {
      expect((await owner.check()).some((p) => p.startsWith('the connection role owns'))).toBe(true)
    } finally {
      await owner.close()
    }
  })

  it('answers with columns, JSON-safe rows and a row count', async () => {
    const result = await engine.query('SELECT id, amount, big, ordered_at FROM orders WHERE id = 1', { maxRows: 10 })
    expect(result.columns).toEqual([
      { name: 'id', type: 'integer' },
      { name: 'amount', type: 'numeric' },
      { name: 'big', type: 'bigint' },
      { name: 'ordered_at', type: 'timestamp with time zone' },
    ])
    expect(result.rows).toEqual([[1, '1.50', '9007199254740994', '2026-01-02T00:00:00.000Z']])
    expect(result).toMatchObject({ row_count: 1, truncated: false })
  })

  it('stops at the row limit and says the result was truncated', async () => {
    const result = await engine.query('SELECT id FROM orders ORDER BY id', { maxRows: 5 })
    expect(result.rows).toEqual([[1], [2], [3], [4], [5]])
    expect(result.truncated).toBe(true)
  })

  it('binds parameters instead of splicing them', async () => {
    const count = (params: unknown[]) =>
      engine.query('SELECT count(*) AS n FROM orders WHERE tenant_id::text = $1', { maxRows: 1, params })
    expect((await count(['2'])).rows).toEqual([[33]])
    expect((await count(["2' OR '1'='1"])).rows).toEqual([[0]])
  })

  it('runs every query in a READ ONLY transaction', async () => {
    await expect(engine.query('SELECT id FROM orders FOR UPDATE', { maxRows: 1 })).rejects.toThrow(/read-only/)
  })

  it('stops a statement at statement_timeout', async () => {
    await expect(engine.query('SELECT pg_sleep(5)', { maxRows: 1 })).rejects.toThrow(/statement timeout/)
  })

  it('cancels a running statement when the signal aborts, and the pool stays usable', async () => {
    const slow = PostgresEngine.open(readerUrl, { statementTimeoutMs: 10_000 })
    try {
      const controller = new AbortController()
      const running = slow.query('SELECT pg_sleep(5)', { maxRows: 1, signal: controller.signal })
      setTimeout(() => controller.abort(), 100)
      await expect(running).rejects.toThrow(/cancel/i)
      expect((await slow.query('SELECT 1 AS one', { maxRows: 1 })).rows).toEqual([[1]])
    } finally {
      await slow.close()
    }
  })

  it('lists the tables the role may read, with their columns', async () => {
    const tables = await engine.tables()
    expect(tables.map((t) => `${t.schema}.${t.name}`)).toEqual(['public.orders'])
    expect(tables[0]?.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'id integer',
      'tenant_id integer',
      'amount numeric(10,2)',
      'big bigint',
      'ordered_at timestamp with time zone',
    ])
  })
})
