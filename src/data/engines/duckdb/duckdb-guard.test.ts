import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DuckDBInstance } from '@duckdb/node-api'
import { DuckDbEngine } from './duckdb-engine.js'

const nest = (depth: number, open: string, inner: string, close: string) =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`

describe('the DuckDB dev-mode guard (SPEC §5)', () => {
  let dir: string
  let engine: DuckDbEngine

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-guard-'))
    const path = join(dir, 'warehouse.duckdb')
    const writer = await DuckDBInstance.create(path)
    const c = await writer.connect()
    await c.run(`CREATE TABLE orders (id INT, tenant_id INT, customer_id INT, amount DECIMAL(10,2), region VARCHAR);
      CREATE TABLE customers (id INT, tenant_id INT, email VARCHAR);
      CREATE SCHEMA sales; CREATE TABLE sales.targets (region VARCHAR, target INT);
      CREATE VIEW big_orders AS SELECT * FROM orders WHERE amount > 100; CREATE TABLE "åb" (id INT)`)
    c.closeSync()
    writer.closeSync()
    engine = await DuckDbEngine.open(path)
  })
  afterAll(async () => {
    await engine.close()
    rmSync(dir, { recursive: true, force: true })
  })

  const strict = { allowParameters: false }

  it.each([
    ['a plain select', 'SELECT id, amount FROM orders', ['main.orders']],
    [
      'a join with qualified names',
      'SELECT o.id, c.email FROM main.orders o JOIN customers c ON c.id = o.customer_id',
      ['main.orders', 'main.customers'],
    ],
    ['the database name as catalog', 'SELECT count(*) FROM warehouse.main.orders', ['main.orders']],
    ['another schema', 'SELECT * FROM sales.targets', ['sales.targets']],
    ['a view', 'SELECT * FROM big_orders', ['main.big_orders']],
    ['names in any case', 'SELECT * FROM ORDERS', ['main.orders']],
    [
      'aggregates and windows',
      'SELECT region, sum(amount), row_number() OVER (ORDER BY sum(amount) DESC) FROM orders GROUP BY region',
      ['main.orders'],
    ],
    ['a CTE, which is not a table', 'WITH t AS (SELECT * FROM orders) SELECT count(*) FROM t', ['main.orders']],
    [
      'a CTE named like a table: its body is what is read',
      'WITH customers AS (SELECT * FROM orders) SELECT * FROM customers',
      ['main.orders'],
    ],
    ['set operations', 'SELECT id FROM orders UNION ALL SELECT id FROM customers', ['main.orders', 'main.customers']],
    [
      'subqueries everywhere',
      'SELECT (SELECT max(id) FROM customers), * FROM orders WHERE EXISTS (SELECT 1 FROM sales.targets)',
      ['main.customers', 'main.orders', 'sales.targets'],
    ],
    [
      'a recursive CTE',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM r',
      [],
    ],
    [
      'a lateral join',
      'SELECT * FROM orders o, LATERAL (SELECT * FROM customers c WHERE c.id = o.customer_id)',
      ['main.orders', 'main.customers'],
    ],
    ['a select without tables', 'SELECT 1 + 1', []],
    [
      'a CTE that reads the table it is named after: in its own body the name is the table',
      'WITH orders AS (SELECT * FROM orders WHERE id > 1) SELECT * FROM orders',
      ['main.orders'],
    ],
    [
      'a materialized CTE, scoped the same way',
      'WITH orders AS MATERIALIZED (SELECT * FROM orders) SELECT * FROM orders',
      ['main.orders'],
    ],
    [
      'a CTE body, which sees only the CTEs before it',
      'WITH a AS (SELECT * FROM customers), customers AS (SELECT 1 AS id) SELECT * FROM a, customers',
      ['main.customers'],
    ],
    [
      'WITH RECURSIVE, which changes neither: DuckDB still reads the table',
      'WITH RECURSIVE a AS (SELECT * FROM customers), customers AS (SELECT * FROM customers) SELECT * FROM a',
      ['main.customers'],
    ],
    [
      'a recursive CTE named like a table: its anchor reads the table, its recursive arm the CTE',
      'WITH RECURSIVE orders AS (SELECT id FROM orders UNION ALL SELECT id + 1 FROM orders WHERE id < 0) SELECT * FROM orders',
      ['main.orders'],
    ],
    [
      'a UNION BY NAME, which is not recursive',
      'WITH RECURSIVE orders AS (SELECT 1 AS id UNION ALL BY NAME SELECT id FROM orders) SELECT * FROM orders',
      ['main.orders'],
    ],
    [
      'the recurring table of a recursive CTE, which is the CTE',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM recurring.r WHERE n < 3) SELECT * FROM r',
      [],
    ],
    [
      'a table whose name differs from a CTE only outside ASCII, which DuckDB does not fold',
      'WITH ÅB AS (SELECT 1 AS id) SELECT * FROM åb',
      ['main.åb'],
    ],
    [
      'a schema-qualified name, which is never a CTE',
      'WITH orders AS (SELECT 1 AS id) SELECT * FROM main.orders',
      ['main.orders'],
    ],
    [
      'a WITH inside one arm of a UNION, scoped to that arm',
      '(WITH secrets AS (SELECT 1 AS id) SELECT id FROM secrets) UNION ALL SELECT id FROM customers',
      ['main.customers'],
    ],
    [
      'casts to scalar, list and struct types',
      `SELECT id::VARCHAR, amount::DOUBLE, CAST(id AS BIGINT), TRY_CAST(region AS INTEGER), amount::DECIMAL(12, 2),
              '2024-01-01'::DATE, DATE '2024-01-01', TIMESTAMP '2024-01-01 00:00', INTERVAL 1 DAY, now()::TIMESTAMPTZ,
              NULL::INTEGER[], NULL::STRUCT(a BIGINT, b VARCHAR[]), '{}'::JSON, id::TEXT, true::BOOLEAN, id::HUGEINT
         FROM orders`,
      ['main.orders'],
    ],
    [
      'an expression 500 operators deep',
      `SELECT count(*) FROM orders WHERE id ${'+ 1 '.repeat(500)}> 100`,
      ['main.orders'],
    ],
    ['200 nested parentheses', `SELECT sum(${nest(200, '(', 'id', ')')}) FROM orders`, ['main.orders']],
    [
      '40 nested subqueries',
      `SELECT count(*) FROM ${nest(40, '(SELECT * FROM ', 'orders', ') AS n')}`,
      ['main.orders'],
    ],
  ])('accepts %s', async (_, sql, tables) => {
    const refs = await engine.guard(sql, strict)
    expect(refs.map((r) => `${r.schema}.${r.table}`).sort()).toEqual([...tables].sort())
  })

  it.each([
    ['two statements', 'SELECT 1; SELECT 2', 'Exactly one SQL statement is accepted'],
    ['a write', 'INSERT INTO orders (id) VALUES (1)', 'Only a single read-only SELECT statement is accepted'],
    ['DDL', 'CREATE TABLE x (a INT)', 'Only a single read-only SELECT statement is accepted'],
    // DuckDB's grammar has no data-modifying CTEs: its parser refuses them before the guard runs.
    [
      'a DELETE in WITH',
      'WITH x AS (DELETE FROM orders RETURNING *) SELECT * FROM x',
      'The query could not be parsed: Failed to extract statements: Parser Error: A CTE needs a SELECT',
    ],
    [
      'an UPDATE in the WITH of a subquery',
      'SELECT * FROM (WITH x AS (UPDATE orders SET id = 0 RETURNING id) SELECT * FROM x)',
      'The query could not be parsed: Failed to extract statements: Parser Error: A CTE needs a SELECT',
    ],
    ['COPY', "COPY orders TO '/tmp/x.csv'", 'Only a single read-only SELECT statement is accepted'],
    ['ATTACH', "ATTACH '/tmp/other.duckdb'", 'Only a single read-only SELECT statement is accepted'],
    ['PRAGMA', 'PRAGMA table_info(orders)', 'Only a single read-only SELECT statement is accepted'],
    ['SET', 'SET threads = 1', 'Only a single read-only SELECT statement is accepted'],
    ['INSTALL', 'INSTALL httpfs', 'Only a single read-only SELECT statement is accepted'],
    ['LOAD', 'LOAD httpfs', 'Only a single read-only SELECT statement is accepted'],
    ['CALL', 'CALL pragma_version()', 'Only a single read-only SELECT statement is accepted'],
    ['EXPLAIN', 'EXPLAIN SELECT 1', 'Only a single read-only SELECT statement is accepted'],
    ['DESCRIBE', 'DESCRIBE orders', 'SHOW, DESCRIBE and SUMMARIZE are not allowed: use list_tables and describe_table'],
    [
      'SUMMARIZE',
      'SUMMARIZE orders',
      'SHOW, DESCRIBE and SUMMARIZE are not allowed: use list_tables and describe_table',
    ],
    [
      'a table function',
      "SELECT * FROM read_csv('/etc/passwd')",
      "Table functions are not allowed (read_csv): query the connection's tables",
    ],
    [
      'a replacement scan of a file',
      "SELECT * FROM '/etc/passwd'",
      "Reading files is not allowed ('/etc/passwd'): query the connection's tables",
    ],
    [
      'a file with an extension',
      "SELECT * FROM 'data.parquet'",
      "Reading files is not allowed ('data.parquet'): query the connection's tables",
    ],
    [
      'information_schema',
      'SELECT * FROM information_schema.tables',
      'System catalogs are not available (information_schema.tables): use list_tables and describe_table',
    ],
    [
      'pg_catalog',
      'SELECT * FROM pg_catalog.pg_class',
      'System catalogs are not available (pg_catalog.pg_class): use list_tables and describe_table',
    ],
    [
      'a duckdb_ view',
      'SELECT * FROM duckdb_tables',
      'System catalogs are not available (duckdb_tables): use list_tables and describe_table',
    ],
    [
      'a duckdb_ table function',
      'SELECT * FROM duckdb_settings()',
      "Table functions are not allowed (duckdb_settings): query the connection's tables",
    ],
    ['an unknown table', 'SELECT * FROM secrets', 'Table secrets does not exist'],
    ['another database', 'SELECT * FROM other.main.orders', 'Table other.main.orders does not exist'],
    [
      'a table hidden in a subquery',
      'SELECT * FROM orders WHERE id IN (SELECT id FROM secrets)',
      'Table secrets does not exist',
    ],
    ['a table hidden in a CTE', 'WITH x AS (SELECT * FROM secrets) SELECT * FROM x', 'Table secrets does not exist'],
    [
      'a hidden table read by a CTE of its own name',
      'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets',
      'Table secrets does not exist',
    ],
    [
      'a hidden table read before a CTE of its name is defined',
      'WITH a AS (SELECT * FROM secrets), secrets AS (SELECT 1 AS id) SELECT * FROM a',
      'Table secrets does not exist',
    ],
    [
      'a hidden table read by the anchor of a recursive CTE of its name',
      'WITH RECURSIVE secrets AS (SELECT * FROM secrets UNION ALL SELECT * FROM secrets) SELECT * FROM secrets',
      'Table secrets does not exist',
    ],
    [
      'a hidden table named like a CTE but for non-ASCII case',
      'WITH ÅUDIT AS (SELECT 1 AS id) SELECT * FROM åudit',
      'Table åudit does not exist',
    ],
    [
      'a hidden table that a CTE named with the Kelvin sign would hide if folded as Unicode',
      'WITH \u212Aey AS (SELECT 1 AS id) SELECT * FROM key',
      'Table key does not exist',
    ],
    [
      'a recurring table outside the recursive arm',
      'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT * FROM recurring.r',
      'Table recurring.r does not exist',
    ],
    ['a cast to a table name', 'SELECT NULL::secrets', 'Type secrets is not allowed in dev-mode SQL'],
    [
      'a cast to a visible table name, answered alike',
      'SELECT to_json(NULL::main.orders)',
      'Type main.orders is not allowed in dev-mode SQL',
    ],
    ['a regclass lookup', "SELECT 'orders'::regclass", 'Type regclass is not allowed in dev-mode SQL'],
    [
      'a struct with a named type',
      'SELECT NULL::STRUCT(a INT, b secrets)',
      'Type secrets is not allowed in dev-mode SQL',
    ],
    ['a list of a named type', 'SELECT NULL::secrets[]', 'Type secrets is not allowed in dev-mode SQL'],
    ['a map of a named type', 'SELECT NULL::MAP(VARCHAR, mood)', 'Type mood is not allowed in dev-mode SQL'],
    ['a TRY_CAST to a named type', "SELECT TRY_CAST('a' AS mood)", 'Type mood is not allowed in dev-mode SQL'],
    [
      'a qualified named type',
      'SELECT NULL::warehouse.main.mood',
      'Type warehouse.main.mood is not allowed in dev-mode SQL',
    ],
    ['pg_typeof', 'SELECT pg_typeof(id) FROM orders', 'Function pg_typeof is not allowed in dev-mode SQL'],
    [
      'a function that reads settings',
      "SELECT current_setting('threads')",
      'Function current_setting is not allowed in dev-mode SQL',
    ],
    [
      'a function that reads the environment',
      "SELECT getenv('HOME')",
      'Function getenv is not allowed in dev-mode SQL',
    ],
    [
      'a function that runs SQL',
      "SELECT * FROM orders WHERE id = (SELECT query('SELECT 1'))",
      'Function query is not allowed in dev-mode SQL',
    ],
    ['a qualified function', 'SELECT main.abs(-1)', 'Function abs is not allowed in dev-mode SQL'],
    [
      'a ? placeholder',
      'SELECT * FROM orders WHERE id = ?',
      'Placeholders ($1, ?) are not allowed in SQL: write the values into the query',
    ],
    [
      'a $1 placeholder',
      'SELECT * FROM orders WHERE id = $1',
      'Placeholders ($1, ?) are not allowed in SQL: write the values into the query',
    ],
  ])('refuses %s, saying what and why', async (_, sql, message) => {
    await expect(engine.guard(sql, strict)).rejects.toMatchObject({ code: 'SQL_REFUSED', message })
  })

  it.each([
    ['scalar subqueries', `SELECT ${nest(1500, '(SELECT ', '1', ')')}`],
    ['subqueries in FROM', `SELECT * FROM ${nest(1200, '(SELECT * FROM ', 'orders', ') AS n')}`],
    ['function calls', `SELECT ${nest(1500, 'abs(', '1', ')')}`],
    ['CASE expressions', `SELECT ${nest(1500, 'CASE WHEN true THEN ', '1', ' END')}`],
    ['an operator chain', `SELECT 1 ${'+ 1 '.repeat(3000)}`],
    ['CTEs', nest(1200, 'WITH a AS (', 'SELECT 1', ') SELECT * FROM a')],
    ['scalar subqueries the parser takes but the binder does not', `SELECT ${nest(300, '(SELECT ', '1', ')')}`],
    ["parentheses past the parser's own stack", `SELECT ${nest(20000, '(', '1', ')')}`],
  ])('refuses %s nested too deeply, before any stack overflows', async (_, sql) => {
    await expect(engine.guard(sql, strict)).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: 'The query is nested too deeply',
    })
  })

  it("gives a hidden table and a missing one the same answer, and never the binder's suggestions", async () => {
    const error = await engine.guard('SELECT * FROM orderz', strict).catch((e: Error) => e)
    expect(error).toMatchObject({ code: 'SQL_REFUSED', message: 'Table orderz does not exist' })
    expect((error as Error).message).not.toContain('orders')
  })

  it('passes declared parameters in SQL that Gatehouse compiles', async () => {
    const refs = await engine.guard('SELECT * FROM orders WHERE tenant_id = $1', { allowParameters: true })
    expect(refs).toEqual([{ schema: 'main', table: 'orders' }])
  })

  it('keeps a syntax error a syntax error', async () => {
    await expect(engine.guard('SELEC 1', strict)).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: expect.stringContaining('The query could not be parsed'),
    })
  })
})
