import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { callTool, createKey, mcpPost, seedOrg, startTestServer } from '../support/test-server.js'
import type { TestServer } from '../support/test-server.js'
import { DATA_ENGINES, applyDemoProject, demoWarehouse } from '../support/data-fixture.js'
import type { DataEngine, Warehouse } from '../support/data-fixture.js'

/**
 * SPEC §5's refusals, through run_sql end to end, on each engine: the message
 * names what was refused, and nothing was written (no file, no table changed).
 * `duckdb`/`postgres` give the expected message where the engines differ.
 */
const REFUSALS: readonly { what: string; sql: string; expected: string | Partial<Record<DataEngine, string>> }[] = [
  {
    what: 'DML (INSERT)',
    sql: "INSERT INTO main.regions VALUES ('XX', 'Nowhere')",
    expected: 'Only a single read-only SELECT',
  },
  { what: 'DML (UPDATE)', sql: 'UPDATE main.orders SET amount = 0', expected: 'Only a single read-only SELECT' },
  { what: 'DML (DELETE)', sql: 'DELETE FROM main.orders', expected: 'Only a single read-only SELECT' },
  {
    what: 'DML in WITH (DELETE)',
    sql: 'WITH x AS (DELETE FROM main.orders RETURNING *) SELECT count(*) FROM x',
    expected: {
      duckdb: 'A CTE needs a SELECT',
      postgres: 'Data-modifying statements in WITH are not allowed (DELETE)',
    },
  },
  {
    what: 'DML in WITH (INSERT)',
    sql: "WITH x AS (INSERT INTO main.regions VALUES ('XX', 'Nowhere') RETURNING *) SELECT * FROM x",
    expected: {
      duckdb: 'A CTE needs a SELECT',
      postgres: 'Data-modifying statements in WITH are not allowed (INSERT)',
    },
  },
  {
    what: 'DML in WITH (UPDATE)',
    sql: 'WITH x AS (UPDATE main.orders SET amount = 0 RETURNING id) SELECT count(*) FROM x',
    expected: {
      duckdb: 'A CTE needs a SELECT',
      postgres: 'Data-modifying statements in WITH are not allowed (UPDATE)',
    },
  },
  {
    what: 'DML in WITH (MERGE)',
    sql: `WITH x AS (MERGE INTO main.regions r USING main.regions s ON r.code = s.code
      WHEN MATCHED THEN DELETE RETURNING r.code) SELECT * FROM x`,
    expected: { duckdb: 'could not be parsed', postgres: 'Data-modifying statements in WITH are not allowed (MERGE)' },
  },
  { what: 'DDL (CREATE)', sql: 'CREATE TABLE main.x (a INTEGER)', expected: 'Only a single read-only SELECT' },
  { what: 'DDL (DROP)', sql: 'DROP TABLE main.orders', expected: 'Only a single read-only SELECT' },
  {
    what: 'ATTACH',
    sql: "ATTACH '/tmp/other.db' AS other",
    expected: { duckdb: 'Only a single read-only SELECT', postgres: 'could not be parsed' },
  },
  { what: 'COPY', sql: "COPY main.orders TO '/tmp/orders.csv'", expected: 'Only a single read-only SELECT' },
  {
    what: 'PRAGMA',
    sql: 'PRAGMA database_list',
    expected: { duckdb: 'Only a single read-only SELECT', postgres: 'could not be parsed' },
  },
  { what: 'SET', sql: 'SET enable_external_access = true', expected: 'Only a single read-only SELECT' },
  {
    what: 'INSTALL',
    sql: 'INSTALL httpfs',
    expected: { duckdb: 'Only a single read-only SELECT', postgres: 'could not be parsed' },
  },
  { what: 'LOAD', sql: "LOAD 'httpfs'", expected: 'Only a single read-only SELECT' },
  { what: 'CALL', sql: 'CALL pragma_version()', expected: 'Only a single read-only SELECT' },
  { what: 'EXPLAIN', sql: 'EXPLAIN SELECT 1', expected: 'Only a single read-only SELECT' },
  { what: 'SHOW', sql: 'SHOW TABLES', expected: { duckdb: 'SHOW', postgres: 'Only a single read-only SELECT' } },
  { what: 'DESCRIBE', sql: 'DESCRIBE main.orders', expected: { duckdb: 'DESCRIBE', postgres: 'could not be parsed' } },
  {
    what: 'SUMMARIZE',
    sql: 'SUMMARIZE main.orders',
    expected: { duckdb: 'SUMMARIZE', postgres: 'could not be parsed' },
  },
  { what: 'multiple statements', sql: 'SELECT 1; SELECT 2', expected: 'Exactly one SQL statement' },
  {
    what: 'a write hidden after a SELECT',
    sql: 'SELECT 1; DROP TABLE main.orders',
    expected: 'Exactly one SQL statement',
  },
  { what: 'a placeholder ($1)', sql: 'SELECT * FROM main.orders WHERE id = $1', expected: 'Placeholders' },
  {
    what: 'a placeholder (?)',
    sql: 'SELECT * FROM main.orders WHERE id = ?',
    expected: { duckdb: 'Placeholders', postgres: 'could not be parsed' },
  },
  {
    what: 'a table function',
    sql: "SELECT * FROM read_csv('/etc/passwd')",
    expected: 'Table functions are not allowed',
  },
  {
    what: 'a file path (replacement scan)',
    sql: "SELECT * FROM '/etc/passwd'",
    expected: { duckdb: 'Reading files is not allowed', postgres: 'could not be parsed' },
  },
  { what: 'a file-reading function', sql: "SELECT pg_read_file('/etc/passwd')", expected: 'is not allowed' },
  { what: 'a settings function', sql: "SELECT current_setting('data_directory')", expected: 'is not allowed' },
  {
    what: 'information_schema',
    sql: 'SELECT * FROM information_schema.tables',
    expected: 'System catalogs are not available',
  },
  { what: 'pg_catalog', sql: 'SELECT * FROM pg_catalog.pg_tables', expected: 'System catalogs are not available' },
  {
    what: 'a duckdb_* catalog view',
    sql: 'SELECT * FROM duckdb_tables()',
    expected: { duckdb: 'Table functions are not allowed', postgres: 'Table functions are not allowed' },
  },
  { what: 'a table outside the catalog', sql: 'SELECT * FROM main.secrets', expected: 'does not exist' },
  {
    what: "the fields of a table's row type",
    sql: 'SELECT (NULL::main.audit_trail).*',
    expected: { duckdb: 'could not be parsed', postgres: 'Type main.audit_trail is not allowed' },
  },
  {
    what: "a table's row type in a function",
    sql: 'SELECT to_json(NULL::main.orders)',
    expected: 'Type main.orders is not allowed',
  },
  { what: 'a regclass lookup', sql: "SELECT 'main.audit_trail'::regclass", expected: 'Type regclass is not allowed' },
  {
    what: 'an unknown type, answered like a table',
    sql: 'SELECT NULL::secrets',
    expected: 'Type secrets is not allowed',
  },
  {
    what: 'pg_typeof',
    sql: 'SELECT pg_typeof(amount) FROM main.orders',
    expected: 'Function pg_typeof is not allowed',
  },
  {
    what: 'a struct of a named type',
    sql: 'SELECT NULL::STRUCT(a main.orders)',
    expected: { duckdb: 'Type main.orders is not allowed', postgres: 'could not be parsed' },
  },
  {
    what: 'a system catalog in a subquery',
    sql: 'SELECT (SELECT count(*) FROM information_schema.columns)',
    expected: 'System catalogs are not available',
  },
  {
    what: 'a system catalog in a CTE',
    sql: 'WITH t AS (SELECT * FROM pg_catalog.pg_roles) SELECT * FROM t',
    expected: 'System catalogs are not available',
  },
  {
    what: 'a table outside the catalog, read by a CTE of its own name',
    sql: 'WITH secrets AS (SELECT * FROM secrets) SELECT * FROM secrets',
    expected: 'Table secrets does not exist',
  },
  {
    what: 'a table outside the catalog, read before a CTE of its name is defined',
    sql: 'WITH a AS (SELECT * FROM secrets), secrets AS (SELECT 1 AS id) SELECT * FROM a',
    expected: 'Table secrets does not exist',
  },
  {
    what: 'a table outside the catalog, named like a CTE but for non-ASCII case (which neither engine folds)',
    sql: 'WITH ÅUDIT AS (SELECT 1 AS id) SELECT * FROM åudit',
    expected: 'Table åudit does not exist',
  },
  {
    what: 'a table outside the catalog, read by a recursive CTE of its name',
    sql: 'WITH RECURSIVE secrets AS (SELECT * FROM secrets UNION ALL SELECT * FROM secrets) SELECT * FROM secrets',
    // DuckDB's anchor reads the table of that name; PostgreSQL refuses a self-reference in the anchor.
    expected: { duckdb: 'Table secrets does not exist', postgres: 'recursive reference to query "secrets"' },
  },
]

const nest = (depth: number, open: string, inner: string, close: string) =>
  `${open.repeat(depth)}${inner}${close.repeat(depth)}`

/** Input nested past the guards' limit or the parsers' own stacks: refused, never a stack overflow. */
const TOO_DEEP: typeof REFUSALS = [
  { what: 'nested scalar subqueries', sql: `SELECT ${nest(1500, '(SELECT ', '1', ')')}` },
  { what: 'nested subqueries in FROM', sql: `SELECT * FROM ${nest(1200, '(SELECT * FROM ', 'main.orders', ') AS n')}` },
  { what: 'nested function calls', sql: `SELECT ${nest(1500, 'abs(', '1', ')')}` },
  { what: 'nested CTEs', sql: nest(1200, 'WITH a AS (', 'SELECT 1', ') SELECT * FROM a') },
  { what: "parentheses past the parser's stack", sql: `SELECT ${nest(20000, '(', '1', ')')}` },
].map((row) => ({ ...row, what: `${row.what} (too deep)`, expected: 'The query is nested too deeply' }))

function expectedFor(row: (typeof REFUSALS)[number], engine: DataEngine): string {
  return typeof row.expected === 'string' ? row.expected : (row.expected[engine] ?? '')
}

describe.each(DATA_ENGINES)('dev-mode refusals on %s', (engine) => {
  let warehouse: Warehouse
  let server: TestServer
  let key: string
  let before: { files: string[]; digest: string; counts: unknown }

  const runSql = async (sql: string) => {
    const response = await mcpPost(server.url, callTool('run_sql', { connection: 'warehouse', sql }), {
      authorization: `Bearer ${key}`,
    })
    const { result } = (await response.json()) as {
      result: { isError?: boolean; content: { text: string }[]; structuredContent?: { rows: unknown } }
    }
    return result
  }
  const counts = async () =>
    (
      await runSql(
        'SELECT (SELECT count(*) FROM main.orders), (SELECT count(*) FROM main.regions), (SELECT sum(amount) FROM main.orders)',
      )
    ).structuredContent?.rows
  const snapshot = async () => ({
    files: readdirSync(warehouse.dir).sort(),
    digest: createHash('sha256').update(readFileSync(warehouse.duckdbPath)).digest('hex'),
    counts: await counts(),
  })

  beforeAll(async () => {
    warehouse = await demoWarehouse(engine, 500)
    server = await startTestServer({}, { env: warehouse.env })
    const fixture = await seedOrg(server.server.store)
    await applyDemoProject(server.server.store, fixture, warehouse)
    key = (await createKey(server.server.store, fixture, { permissions: 'sql:read' })).key
    before = await snapshot()
  }, 60_000)
  afterAll(async () => {
    await server?.close()
    await warehouse?.close()
  })

  it.each([...REFUSALS, ...TOO_DEEP])('refuses $what', async (row) => {
    const answer = await runSql(row.sql)
    expect(answer.isError).toBe(true)
    expect(answer.content[0]?.text).toContain(expectedFor(row, engine))
  })

  it('has written nothing: no file created, the warehouse file and its tables unchanged', async () => {
    expect(await snapshot()).toEqual(before)
    expect(readdirSync('/tmp').filter((f) => f === 'orders.csv' || f === 'other.db')).toEqual([])
  })
})
