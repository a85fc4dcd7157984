import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { DuckDBInstance, DuckDBPreparedStatement } from '@duckdb/node-api'
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api'
import { DuckDbRewriter } from '../../src/data/engines/duckdb/duckdb-rewriter.js'
import { guardPostgresSelect } from '../../src/data/sql/postgres/postgres-guard.js'
import { parsePostgres } from '../../src/data/sql/postgres/postgres-parser.js'
import { rewriteParsedPostgres } from '../../src/data/sql/postgres/postgres-rewriter.js'
import type { ConnectionRestrictions, RewrittenQuery, SessionValues } from '../../src/data/sql/restrictions.js'
import { SqlRefusedError } from '../../src/data/sql/sql-refused-error.js'
import { loadWarehouseIntoPostgres } from '../support/postgres-warehouse.js'
import type { PostgresWarehouse } from '../support/postgres-warehouse.js'
import { PG_ADMIN_URL } from '../support/test-stores.js'

/**
 * SPEC §5's SQL functions end to end on both engines: the guard, the RLS
 * rewrite that replaces each call by a bound parameter, and the rewritten SQL
 * run on a real DuckDB and a real PostgreSQL (as a role that is not superuser).
 */

type Outcome =
  | { readonly kind: 'rows'; readonly columns: readonly string[]; readonly rows: readonly (readonly unknown[])[] }
  | { readonly kind: 'refused'; readonly message: string }

interface Engine {
  readonly kind: 'duckdb' | 'postgres'
  rewrite(sql: string, restrictions: ConnectionRestrictions, params?: readonly unknown[]): Promise<RewrittenQuery>
  execute(sql: string, params?: readonly unknown[]): Promise<Outcome>
}

const ADA: SessionValues = {
  username: 'ada',
  userEmail: 'ada@example.com',
  userId: 'u_ada',
  orgId: 'org_1',
  tenantId: 't_1',
  // As if the allowlist were misconfigured: credentials and proxy headers are refused all the same.
  headers: new Map([
    ['x-region', 'EMEA'],
    ['authorization', 'Bearer secret'],
    ['cookie', 'sid=secret'],
    ['proxy-authorization', 'Basic secret'],
    ['forwarded', 'for=10.0.0.1'],
    ['x-forwarded-for', '10.0.0.1'],
    ['x-real-ip', '10.0.0.1'],
  ]),
}
const BOB: SessionValues = {
  username: 'bob',
  userEmail: 'bob@example.com',
  userId: 'u_bob',
  orgId: 'org_2',
  tenantId: null,
  headers: new Map([['x-region', 'APAC']]),
}
const QUOTES: SessionValues = {
  ...BOB,
  username: "O'Brien",
  userEmail: "'; DROP TABLE x; --",
}

const NOTES_SQL = [
  "(1, 'ada@example.com', 'a1', 1)",
  "(2, 'bob@example.com', 'b1', 1)",
  "(3, 'ada@example.com', 'a2', 2)",
  "(4, 'O''Brien', 'o1', 1)",
  "(5, '''; DROP TABLE x; --', 'd1', 1)",
].join(', ')

/** `notes` under a row rule with a value of its own (tenant 1), so rule and session values share the numbering. */
function restrictions(session: SessionValues | undefined): ConnectionRestrictions {
  const notes = {
    schema: 'main',
    table: 'notes',
    alternatives: [
      {
        policy: 'tenant_scoped',
        rules: ['by_tenant'],
        columns: ['id', 'owner', 'body', 'tenant'],
        predicate: { sql: 'tenant = $1', values: [1] },
      },
    ],
  }
  return { tables: new Map([['main.notes', notes]]), ...(session !== undefined && { session }) }
}

async function refusal<T>(work: Promise<T>): Promise<T | Outcome> {
  return work.catch((error: unknown) => {
    if (error instanceof SqlRefusedError) return { kind: 'refused', message: error.message } as const
    throw error
  })
}

// One DuckDB file, copied into PostgreSQL (schema main) for a role that can only read it.
let dir: string
let duckdb: DuckDBInstance
let duck: DuckDBConnection
let warehouse: PostgresWarehouse
let reader: pg.Client
const duckRewriter = new DuckDbRewriter()

const DUCKDB: Engine = {
  kind: 'duckdb',
  rewrite: (sql, r, params = []) =>
    duckRewriter.rewrite(duck, { sql, params, restrictions: r, guard: { allowParameters: params.length > 0 } }),
  async execute(sql, params = []) {
    const prepared = await duck.prepare(sql)
    try {
      if (params.length > 0) prepared.bind(params as DuckDBValue[])
      const result = await prepared.runAndReadAll()
      return { kind: 'rows', columns: result.columnNames(), rows: result.getRowsJson() }
    } finally {
      prepared.destroySync()
    }
  },
}

const POSTGRES: Engine = {
  kind: 'postgres',
  async rewrite(sql, r, params = []) {
    const ast = await parsePostgres(sql)
    const options = { database: warehouse.database, defaultSchema: 'main' }
    guardPostgresSelect(
      ast,
      { ...options, tables: new Set(r.tables.keys()) },
      {
        allowParameters: params.length > 0,
        sessionFunctions: true,
      },
    )
    return rewriteParsedPostgres(ast, r, { ...options, params })
  },
  async execute(sql, params = []) {
    await reader.query('BEGIN READ ONLY')
    try {
      const result = await reader.query({ text: sql, values: [...params], rowMode: 'array' })
      return { kind: 'rows', columns: result.fields.map((f) => f.name), rows: result.rows as unknown[][] }
    } finally {
      await reader.query('ROLLBACK')
    }
  },
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-session-'))
  const path = join(dir, 'notes.duckdb')
  const writer = await DuckDBInstance.create(path)
  const w = await writer.connect()
  await w.run('CREATE TABLE notes (id INTEGER, owner VARCHAR, body VARCHAR, tenant INTEGER)')
  await w.run(`INSERT INTO notes VALUES ${NOTES_SQL}`)
  await w.run('CREATE TABLE x (id INTEGER)')
  // A macro of the same name, which the rewrite must keep from ever answering.
  await w.run("CREATE MACRO get_username() AS 'shadow'")
  w.closeSync()
  writer.closeSync()
  duckdb = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY', enable_external_access: 'false' })
  duck = await duckdb.connect()

  warehouse = await loadWarehouseIntoPostgres(path)
  const admin = new URL(PG_ADMIN_URL)
  admin.pathname = `/${warehouse.database}`
  const owner = new pg.Client({ connectionString: admin.toString() })
  await owner.connect()
  try {
    // A function of the same name on the reader's search path, which the rewrite must keep from ever answering.
    await owner.query("CREATE FUNCTION public.get_username() RETURNS text LANGUAGE sql AS $$ SELECT 'shadow' $$")
  } finally {
    await owner.end()
  }
  reader = new pg.Client({ connectionString: warehouse.url })
  await reader.connect()
})

afterAll(async () => {
  duck?.closeSync()
  duckdb?.closeSync()
  await reader?.end()
  await warehouse?.drop()
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe.each([DUCKDB, POSTGRES])('SPEC §5 SQL functions on $kind', (engine) => {
  const as = restrictions

  /** The principal's query as Gatehouse runs it: guarded, rewritten, and only the rewritten SQL runs. */
  async function run(sql: string, session: SessionValues | undefined, params: readonly unknown[] = []) {
    const rewritten = await refusal(engine.rewrite(sql, as(session), params))
    return 'kind' in rewritten ? rewritten : engine.execute(rewritten.sql, rewritten.params)
  }

  it('filters rows by the caller: WHERE owner = get_user_email(), under the row rule', async () => {
    const sql = 'SELECT id FROM notes WHERE owner = get_user_email() ORDER BY id'
    // Note 3 is Ada's too, but of tenant 2, which the rule hides.
    expect(await run(sql, ADA)).toMatchObject({ kind: 'rows', rows: [[1]] })
    expect(await run(sql, BOB)).toMatchObject({ kind: 'rows', rows: [[2]] })
  })

  it('answers a query that reads no table, under the names the calls give their columns', async () => {
    const columns = engine.kind === 'duckdb' ? ['get_tenant_id()', 'get_org_id()'] : ['get_tenant_id', 'get_org_id']
    expect(await run('SELECT get_tenant_id(), get_org_id()', ADA)).toEqual({
      kind: 'rows',
      columns,
      rows: [['t_1', 'org_1']],
    })
    expect(await run('SELECT get_tenant_id(), get_org_id()', BOB)).toMatchObject({ rows: [[null, 'org_2']] })
  })

  it('returns an allowlisted header by case-insensitive name, and NULL for a header the request lacks', async () => {
    const sql = "SELECT get_request_header('X-Region') AS region, get_request_header('x-team') AS team"
    expect(await run(sql, ADA)).toEqual({ kind: 'rows', columns: ['region', 'team'], rows: [['EMEA', null]] })
    expect(await run(sql, BOB)).toMatchObject({ rows: [['APAC', null]] })
  })

  it('returns the external token in custom tools only (NULL when the caller has none)', async () => {
    const sql = 'SELECT get_user_external_token() AS token'
    expect(await run(sql, { ...ADA, externalToken: 'tok-123' })).toMatchObject({ rows: [['tok-123']] })
    expect(await run(sql, { ...ADA, externalToken: null })).toMatchObject({ rows: [[null]] })
    expect(await run(sql, ADA)).toEqual({ kind: 'refused', message: 'get_user_external_token() is not available here' })
  })

  it('binds the values, never writes them into the SQL: quotes and SQL in a value come back verbatim', async () => {
    const sql =
      'SELECT get_username() AS u, get_user_email() AS e, id FROM notes ' +
      'WHERE owner IN (get_username(), get_user_email()) ORDER BY id'
    const rewritten = await engine.rewrite(sql, as(QUOTES))
    expect(rewritten.sql).not.toContain('Brien')
    expect(rewritten.sql).not.toContain('DROP')
    expect(await engine.execute(rewritten.sql, rewritten.params)).toMatchObject({
      rows: [
        ["O'Brien", "'; DROP TABLE x; --", 4],
        ["O'Brien", "'; DROP TABLE x; --", 5],
      ],
    })
    expect(await engine.execute('SELECT count(*) AS n FROM main.x')).toMatchObject({ kind: 'rows' })
  })

  it('replaces calls at any depth: CTE, subquery, inside other calls, HAVING and ORDER BY', async () => {
    const sql = `
      WITH mine AS (SELECT id FROM notes WHERE owner = get_user_email())
      SELECT upper(get_username()) AS who, count(*) AS n
        FROM notes
       WHERE id IN (SELECT id FROM mine WHERE get_request_header('x-region') = 'EMEA')
       GROUP BY owner
      HAVING owner = lower(get_user_email())
       ORDER BY coalesce(get_tenant_id(), 'none')`
    expect(await run(sql, ADA)).toMatchObject({ kind: 'rows', rows: [['ADA', '1']] })
    expect(await run(sql, BOB)).toMatchObject({ kind: 'rows', rows: [] })
  })

  it('numbers the values after the query’s own parameters, with the rules’, and shares one per distinct call', async () => {
    const sql =
      'SELECT id, get_username() AS u FROM notes WHERE id >= $1 AND owner = get_user_email() AND get_username() = get_username()'
    const rewritten = await engine.rewrite(sql, as(ADA), [1])
    // The query's $1, then in order of first use: get_username(), the rule on notes, get_user_email().
    expect(rewritten.params).toEqual([1, 'ada', 1, 'ada@example.com'])
    expect(await engine.execute(rewritten.sql, rewritten.params)).toMatchObject({ rows: [[1, 'ada']] })
  })

  it('never lets a function of the same name in the database answer', async () => {
    // The shadow is live: as written, the query reaches it.
    expect(await engine.execute('SELECT get_username()')).toMatchObject({ rows: [['shadow']] })
    expect(await run('SELECT get_username() AS u', ADA)).toMatchObject({ rows: [['ada']] })
  })

  it('leaves a CTE or a column named like a function alone: only calls are replaced', async () => {
    const sql = "WITH get_username AS (SELECT 'cte' AS get_username) SELECT get_username FROM get_username"
    expect(await run(sql, ADA)).toMatchObject({ kind: 'rows', rows: [['cte']] })
  })

  it('writes the same SQL for principals whose values differ, and each gets its own', async () => {
    const sql = "SELECT get_username() AS u, get_request_header('x-region') AS r"
    const [a, b] = [await engine.rewrite(sql, as(ADA)), await engine.rewrite(sql, as(BOB))]
    expect(a.sql).toBe(b.sql)
    expect(await engine.execute(a.sql, a.params)).toMatchObject({ rows: [['ada', 'EMEA']] })
    expect(await engine.execute(b.sql, b.params)).toMatchObject({ rows: [['bob', 'APAC']] })
  })

  it.each<[string, string, SessionValues | undefined, string]>([
    [
      'Authorization',
      "SELECT get_request_header('Authorization')",
      ADA,
      'The header Authorization is never available to SQL',
    ],
    ['Cookie', "SELECT get_request_header('cookie')", ADA, 'The header cookie is never available to SQL'],
    [
      'Proxy-Authorization',
      "SELECT get_request_header('Proxy-Authorization')",
      ADA,
      'The header Proxy-Authorization is never available to SQL',
    ],
    ['Forwarded', "SELECT get_request_header('Forwarded')", ADA, 'The header Forwarded is never available to SQL'],
    [
      'X-Forwarded-For',
      "SELECT get_request_header('X-Forwarded-For')",
      ADA,
      'The header X-Forwarded-For is never available to SQL',
    ],
    ['X-Real-IP', "SELECT get_request_header('x-real-ip')", ADA, 'The header x-real-ip is never available to SQL'],
    [
      'a column as header name',
      'SELECT get_request_header(owner) FROM notes',
      ADA,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'an expression as header name',
      "SELECT get_request_header('x-' || 'region')",
      ADA,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'NULL as header name',
      'SELECT get_request_header(NULL)',
      ADA,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'a qualified name',
      'SELECT main.get_username()',
      ADA,
      'get_username() cannot be qualified (main.get_username): call it as get_username()',
    ],
    [
      'a call on a column',
      'SELECT n.get_username() FROM notes n',
      ADA,
      'get_username() cannot be qualified (n.get_username): call it as get_username()',
    ],
    [
      'an argument where none is taken',
      "SELECT get_username('x')",
      ADA,
      'get_username() takes no arguments: get_username()',
    ],
    [
      'a header call without a name',
      'SELECT get_request_header()',
      ADA,
      "get_request_header() takes one argument: get_request_header('<header name>')",
    ],
    [
      'a window call',
      'SELECT get_username() OVER () FROM notes',
      ADA,
      'get_username() is not an aggregate or window function: call it plainly',
    ],
    [
      'the external token outside custom tools',
      'SELECT get_user_external_token()',
      ADA,
      'get_user_external_token() is not available here',
    ],
    [
      'any call without a session',
      'SELECT id FROM notes WHERE owner = get_user_email()',
      undefined,
      'get_user_email() is not available here',
    ],
  ])('refuses %s', async (_, sql, session, message) => {
    expect(await run(sql, session)).toEqual({ kind: 'refused', message })
  })

  if (engine.kind === 'duckdb') {
    it('binds each principal’s values to one cached plan, planned once', async () => {
      const sql =
        "SELECT id, get_username() AS u FROM notes WHERE owner = get_user_email() OR get_request_header('x-region') = 'APAC' ORDER BY id"
      const rewriter = new DuckDbRewriter()
      const input = (session: SessionValues) => ({ sql, restrictions: as(session), guard: { allowParameters: false } })
      const planned = await rewriter.rewrite(duck, input(ADA))
      // Planning parses and writes SQL through prepared statements; a plan from the cache runs none.
      const statements = vi.spyOn(DuckDBPreparedStatement.prototype, 'runAndReadAll')
      const cached = await rewriter.rewrite(duck, input(BOB))
      expect(statements).not.toHaveBeenCalled()
      statements.mockRestore()
      expect(cached.sql).toBe(planned.sql)
      expect(await engine.execute(planned.sql, planned.params)).toMatchObject({ rows: [[1, 'ada']] })
      expect(await engine.execute(cached.sql, cached.params)).toMatchObject({
        rows: [
          [1, 'bob'],
          [2, 'bob'],
          [4, 'bob'],
          [5, 'bob'],
        ],
      })
      // A cached plan is no way around availability: without a session the same query is refused.
      await expect(rewriter.rewrite(duck, { ...input(ADA), restrictions: as(undefined) })).rejects.toMatchObject({
        code: 'SQL_REFUSED',
        message: 'get_username() is not available here',
      })
    })
  }
})
