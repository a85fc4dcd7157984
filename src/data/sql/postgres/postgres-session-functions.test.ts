import { parse } from 'libpg-query'
import type { ParseResult } from 'libpg-query'
import { deparseSync } from 'pgsql-deparser'
import { beforeAll, describe, expect, it } from 'vitest'
import { SESSION, ordersTable } from '../../../../test/support/session-functions-fixture.js'
import type { SessionValues } from '../restrictions.js'
import { parsePostgres } from './postgres-parser.js'
import { guardPostgresSelect } from './postgres-guard.js'
import { rewritePostgresSelect } from './postgres-rewrite.js'
import type { PredicateAsts } from './postgres-rewrite.js'

const TABLES = ordersTable('public')
const ORDERS = (n: number) =>
  `(SELECT orders.id, orders.owner FROM public.orders WHERE orders.tenant_id = $${n} OFFSET 0) AS orders`

let predicates: PredicateAsts
beforeAll(async () => {
  const where = await parse('SELECT 1 FROM t WHERE tenant_id = $1')
  const select = where.stmts?.[0]?.stmt as { SelectStmt: { whereClause: unknown } }
  predicates = new Map([['tenant_id = $1', select.SelectStmt.whereClause]])
})

const rewrite = async (sql: string, session: SessionValues | undefined, parameters = 0) =>
  rewritePostgresSelect(await parse(sql), { tables: TABLES, ...(session !== undefined && { session }) }, predicates, {
    database: 'analytics',
    defaultSchema: 'public',
    parameters,
  })

/** SQL as pgsql-deparser writes it: the rewrite and the expected query compare in one spelling. */
const written = (ast: ParseResult) => deparseSync(ast, { pretty: false })

describe('rewritePostgresSelect: SPEC §5 session functions', () => {
  it.each<[string, string, string, unknown[]]>([
    [
      'a call, keeping the column name PostgreSQL gives it',
      'SELECT get_username()',
      'SELECT $1::pg_catalog.text AS get_username',
      ['ada'],
    ],
    [
      'a call under the query’s own alias',
      'SELECT get_user_email() AS me',
      'SELECT $1::pg_catalog.text AS me',
      ['ada@example.com'],
    ],
    [
      'a call through a cast (still named after the function)',
      'SELECT get_tenant_id()::varchar',
      'SELECT $1::pg_catalog.text::varchar AS get_tenant_id',
      ['t_1'],
    ],
    [
      'a call inside another (the name is the outer function’s, unchanged)',
      "SELECT upper(get_request_header('X-Region'))",
      'SELECT upper($1::pg_catalog.text)',
      ['EMEA'],
    ],
    [
      'a row filter, numbered with the table’s rule',
      'SELECT id FROM orders WHERE owner = get_user_email()',
      `SELECT id FROM ${ORDERS(1)} WHERE owner = $2::pg_catalog.text`,
      [7, 'ada@example.com'],
    ],
    [
      'calls at any depth: CTE, subquery, HAVING, ORDER BY',
      `WITH me AS (SELECT get_user_id() AS id)
       SELECT owner, (SELECT get_org_id()) FROM orders
        WHERE EXISTS (SELECT 1 FROM me WHERE me.id = get_user_id())
        GROUP BY owner HAVING owner = get_user_email() ORDER BY coalesce(get_tenant_id(), 'x')`,
      // Numbered in the order of libpg-query's fields: the select list first, WITH last.
      `WITH me AS (SELECT $3::pg_catalog.text AS id)
       SELECT owner, (SELECT $1::pg_catalog.text AS get_org_id) FROM ${ORDERS(2)}
        WHERE EXISTS (SELECT 1 FROM me WHERE me.id = $3::pg_catalog.text)
        GROUP BY owner HAVING owner = $4::pg_catalog.text ORDER BY coalesce($5::pg_catalog.text, 'x')`,
      ['org_1', 7, 'u_1', 'ada@example.com', 't_1'],
    ],
    [
      'repeated calls, in any case, sharing one parameter after the query’s own',
      "SELECT id FROM orders WHERE id = $1 AND owner = \"GET_USERNAME\"() AND get_request_header('x-region') = get_request_header('X-REGION') AND get_username() <> ''",
      `SELECT id FROM ${ORDERS(2)} WHERE id = $1 AND owner = $3::pg_catalog.text AND $4::pg_catalog.text = $4::pg_catalog.text AND $3::pg_catalog.text <> ''`,
      [7, 'ada', 'EMEA'],
    ],
  ])('replaces %s', async (_, sql, expected, params) => {
    const parameters = sql.includes('$1') ? 1 : 0
    const out = await rewrite(sql, SESSION, parameters)
    expect(written(out.ast)).toBe(written(await parse(expected)))
    expect(out.params).toEqual(params)
  })

  it('leaves a column, a CTE or a table named like a function alone', async () => {
    const sql = "WITH get_username AS (SELECT 'x' AS get_username) SELECT get_username FROM get_username"
    const out = await rewrite(sql, SESSION)
    expect(written(out.ast)).toBe(written(await parse(sql)))
    expect(out.params).toEqual([])
  })

  it.each<[string, string, SessionValues | undefined, string]>([
    ['any call without a session', 'SELECT get_username()', undefined, 'get_username() is not available here'],
    [
      'the external token outside custom tools',
      'SELECT get_user_external_token()',
      SESSION,
      'get_user_external_token() is not available here',
    ],
    [
      'a schema-qualified call',
      'SELECT public.get_username()',
      SESSION,
      'get_username() cannot be qualified (public.get_username): call it as get_username()',
    ],
    [
      'a call in FROM',
      'SELECT * FROM get_username()',
      SESSION,
      "Table functions are not allowed (get_username): query the connection's tables",
    ],
    ...(
      [
        ['a window call', 'SELECT get_username() OVER ()'],
        ['DISTINCT', 'SELECT get_username(DISTINCT 1)'],
        ['a star', 'SELECT get_username(*)'],
        ['FILTER', 'SELECT get_username() FILTER (WHERE true)'],
        ['WITHIN GROUP', 'SELECT get_username() WITHIN GROUP (ORDER BY 1)'],
        ['VARIADIC', "SELECT get_request_header(VARIADIC ARRAY['x'])"],
      ] as const
    ).map(([label, sql]): [string, string, SessionValues, string] => [
      label,
      sql,
      SESSION,
      'get_username() is not an aggregate or window function: call it plainly'.replace(
        'get_username',
        sql.includes('header') ? 'get_request_header' : 'get_username',
      ),
    ]),
    ...(
      [
        ['a named argument', "SELECT get_request_header(name => 'x-region')"],
        ['a column', 'SELECT get_request_header(owner) FROM orders'],
        ['a concatenation', "SELECT get_request_header('x-' || 'region')"],
        ['a cast literal', "SELECT get_request_header('x-region'::text)"],
        ['NULL', 'SELECT get_request_header(NULL)'],
      ] as const
    ).map(([label, sql]): [string, string, SessionValues, string] => [
      `${label} as header name`,
      sql,
      SESSION,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ]),
    [
      'a forbidden header',
      "SELECT get_request_header('Cookie')",
      SESSION,
      'The header Cookie is never available to SQL',
    ],
  ])('refuses %s', async (_, sql, session, message) => {
    await expect(rewrite(sql, session)).rejects.toMatchObject({ code: 'SQL_REFUSED', message })
  })
})

describe('guardPostgresSelect: SPEC §5 session functions', () => {
  const catalog = { database: 'analytics', defaultSchema: 'public', tables: new Set(['public.orders']) }
  const guard = async (sql: string, sessionFunctions?: boolean) =>
    guardPostgresSelect(await parsePostgres(sql), catalog, {
      allowParameters: false,
      ...(sessionFunctions !== undefined && { sessionFunctions }),
    })

  it('lets unqualified calls through when the rewrite will replace them', async () => {
    expect(await guard('SELECT id FROM orders WHERE owner = get_user_email()', true)).toEqual([
      { schema: 'public', table: 'orders' },
    ])
    await expect(guard('SELECT pg_catalog.get_username()', true)).rejects.toThrow(
      'get_username() cannot be qualified (pg_catalog.get_username): call it as get_username()',
    )
  })

  it('refuses them when nothing will replace them, before PostgreSQL could run a function of that name', async () => {
    await expect(guard('SELECT get_username()')).rejects.toMatchObject({
      code: 'SQL_REFUSED',
      message: 'get_username() is not available here',
    })
  })
})
