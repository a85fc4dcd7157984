import { describe, expect, it } from 'vitest'
import {
  as,
  col,
  cte,
  eq,
  int,
  param,
  select,
  statement,
  sub,
  table,
  window,
} from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import { SESSION, ordersTable } from '../../../test/support/session-functions-fixture.js'
import { guardDuckDbSelect } from './duckdb-guard.js'
import { rewriteDuckDbSelect } from './duckdb-rewrite.js'
import { duckDbSessionExpressions } from './duckdb-session-functions.js'
import type { SessionValues } from './restrictions.js'

const ORDERS = ordersTable('main')
const PREDICATES = new Map<string, unknown>([['tenant_id = $1', eq(col('tenant_id'), param(1))]])

/** A call as `json_serialize_sql` writes it (DuckDB 1.5). */
const fn = (name: string, children: N[] = [], more: Partial<N> = {}): N => ({
  class: 'FUNCTION',
  type: 'FUNCTION',
  alias: '',
  function_name: name,
  schema: '',
  children,
  filter: null,
  order_bys: { type: 'ORDER_MODIFIER', orders: [] },
  distinct: false,
  is_operator: false,
  export_state: false,
  catalog: '',
  ...more,
})
const str = (value: string): N => ({
  class: 'CONSTANT',
  type: 'VALUE_CONSTANT',
  alias: '',
  value: { type: { id: 'VARCHAR', type_info: null }, is_null: false, value },
})
const orderBy = (node: N, expression: N): N => ({
  ...node,
  modifiers: [
    { type: 'ORDER_MODIFIER', orders: [{ type: 'ORDER_DEFAULT', null_order: 'ORDER_DEFAULT_NULLS', expression }] },
  ],
})

function rewrite(node: N, session: SessionValues | undefined, parameterCount = 0) {
  const restrictions = { tables: ORDERS, ...(session !== undefined && { session }) }
  return rewriteDuckDbSelect(statement(node), restrictions, PREDICATES, { database: 'warehouse', parameterCount })
}

/** Every node of a tree that satisfies `test`. */
function find(value: unknown, test: (node: N) => boolean): N[] {
  if (Array.isArray(value)) return value.flatMap((v) => find(v, test))
  if (typeof value !== 'object' || value === null) return []
  const node = value as N
  return [...(test(node) ? [node] : []), ...Object.values(node).flatMap((v) => find(v, test))]
}
const sessionCalls = (ast: unknown) => find(ast, (n) => String(n.function_name ?? '').startsWith('get_'))
/** The identifiers of the `CAST($n AS VARCHAR)` the rewrite put in, in tree order. */
const castParameters = (ast: unknown) =>
  find(
    ast,
    (n) => n.class === 'CAST' && (n.cast_type as N).id === 'VARCHAR' && (n.child as N).class === 'PARAMETER',
  ).map((n) => String((n.child as N).identifier))

describe('rewriteDuckDbSelect: SPEC §5 session functions', () => {
  it('replaces a call by CAST($n AS VARCHAR) and binds its value, without reading a table', () => {
    const out = rewrite(select({ list: [fn('get_username')] }), SESSION)
    expect(sessionCalls(out.ast)).toEqual([])
    expect(find(out.ast, (n) => n.class === 'CAST')).toEqual([
      {
        class: 'CAST',
        type: 'OPERATOR_CAST',
        alias: '',
        child: { class: 'PARAMETER', type: 'VALUE_PARAMETER', alias: '', identifier: '1' },
        cast_type: { id: 'VARCHAR', type_info: null },
        try_cast: false,
      },
    ])
    expect(out.values).toEqual(['ada'])
    expect(out.sources).toEqual([{ session: { fn: 'get_username' } }])
    expect(out.tables).toEqual([])
    // DuckDB derives the statement's parameter map from the placeholders it holds.
    expect((out.ast as { statements: N[] }).statements[0]?.named_param_map).toEqual([{ key: '1', value: 1 }])
  })

  it('keeps the alias the query gave the call', () => {
    const out = rewrite(select({ list: [as(fn('get_user_email'), 'me')] }), SESSION)
    expect(find(out.ast, (n) => n.class === 'CAST')[0]?.alias).toBe('me')
  })

  it('replaces calls at any depth: WHERE, CTE, subquery, HAVING, ORDER BY and inside other calls', () => {
    const body = select({
      list: [fn('upper', [fn('get_username')])],
      from: table('orders'),
      where: eq(col('owner'), fn('get_user_email')),
      having: eq(fn('get_tenant_id'), str('t_1')),
    })
    const query = orderBy(
      select({
        ctes: [cte('mine', select({ list: [as(fn('GET_ORG_ID'), 'org')] }))],
        list: [sub(select({ list: [fn('get_request_header', [str('X-Region')])] })), col('org')],
        from: table('mine'),
        where: sub(body, 'EXISTS'),
      }),
      fn('coalesce', [fn('get_user_id'), str('none')]),
    )
    const out = rewrite(query, SESSION)
    expect(sessionCalls(out.ast)).toEqual([])
    // In the order DuckDB's tree holds them: the CTE, ORDER BY (a modifier), the select list, the EXISTS (its rule too).
    expect(out.values).toEqual(['org_1', 'u_1', 'EMEA', 'ada', 7, 'ada@example.com', 't_1'])
    expect(castParameters(out.ast).sort()).toEqual(['1', '2', '3', '4', '6', '7'])
  })

  it('gives repeated calls one parameter, and numbers them after the query’s own and with the rules’', () => {
    const out = rewrite(
      select({
        list: [fn('get_username'), fn('get_request_header', [str('x-region')])],
        from: table('orders'),
        where: eq(fn('get_username'), fn('get_request_header', [str('X-REGION')])),
      }),
      SESSION,
      2,
    )
    expect(castParameters(out.ast)).toEqual(['3', '4', '3', '4'])
    expect(out.values).toEqual(['ada', 'EMEA', 7])
    expect(out.sources.map((s) => ('session' in s ? s.session.fn : s.alternative.policy))).toEqual([
      'get_username',
      'get_request_header',
      'p',
    ])
  })

  it('leaves a column, a CTE or a table named like a function alone', () => {
    const query = select({
      ctes: [cte('get_username', select({ list: [as(str('x'), 'get_username')] }))],
      list: [col('get_username')],
      from: table('get_username'),
    })
    const out = rewrite(query, SESSION)
    expect(out.values).toEqual([])
    expect(find(out.ast, (n) => n.class === 'COLUMN_REF').map((n) => n.column_names)).toEqual([['get_username']])
  })

  it.each<[string, N, SessionValues | undefined, string]>([
    ['any call without a session', fn('get_username'), undefined, 'get_username() is not available here'],
    [
      'the external token outside custom tools',
      fn('get_user_external_token'),
      SESSION,
      'get_user_external_token() is not available here',
    ],
    [
      'a qualified call',
      fn('get_username', [], { schema: 'main' }),
      SESSION,
      'get_username() cannot be qualified (main.get_username): call it as get_username()',
    ],
    [
      'a catalog-qualified call',
      fn('get_username', [], { catalog: 'warehouse', schema: 'main' }),
      SESSION,
      'get_username() cannot be qualified (warehouse.main.get_username): call it as get_username()',
    ],
    [
      'a window call',
      window('get_username', []),
      SESSION,
      'get_username() is not an aggregate or window function: call it plainly',
    ],
    [
      'DISTINCT',
      fn('get_username', [], { distinct: true }),
      SESSION,
      'get_username() is not an aggregate or window function: call it plainly',
    ],
    [
      'FILTER',
      fn('get_username', [], { filter: eq(int(1), int(1)) }),
      SESSION,
      'get_username() is not an aggregate or window function: call it plainly',
    ],
    [
      'a named argument',
      fn('get_request_header', [as(str('x-region'), 'name')]),
      SESSION,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'a column as header name',
      fn('get_request_header', [col('owner')]),
      SESSION,
      "get_request_header() takes one string literal, the header's name: get_request_header('x-region')",
    ],
    [
      'a forbidden header',
      fn('get_request_header', [str('X-Forwarded-For')]),
      SESSION,
      'The header X-Forwarded-For is never available to SQL',
    ],
  ])('refuses %s', (_, call, session, message) => {
    expect(() => rewrite(select({ list: [call] }), session)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message }),
    )
  })
})

describe('guardDuckDbSelect: SPEC §5 session functions', () => {
  const catalog = { database: 'warehouse', tables: new Set(['main.orders']) }
  const query = (call: N) => statement(select({ list: [call], from: table('orders') }))

  it('lets unqualified calls through when the rewrite will replace them', () => {
    const options = { allowParameters: false, sessionFunctions: true }
    expect(guardDuckDbSelect(query(fn('get_username')), catalog, options)).toEqual([
      { schema: 'main', table: 'orders' },
    ])
    expect(() => guardDuckDbSelect(query(fn('get_username', [], { schema: 'x' })), catalog, options)).toThrow(
      'get_username() cannot be qualified (x.get_username): call it as get_username()',
    )
  })

  it('refuses them when nothing will replace them, before the engine could look the name up', () => {
    expect(() => guardDuckDbSelect(query(fn('get_username')), catalog, { allowParameters: false })).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message: 'get_username() is not available here' }),
    )
  })
})

describe('duckDbSessionExpressions', () => {
  it('names the unnamed select-list expressions that call a session function, at any depth', () => {
    const inner = fn('upper', [fn('get_username')])
    const nested = fn('get_org_id')
    const ast = statement(
      select({
        list: [inner, as(fn('get_user_id'), 'named'), col('id'), sub(select({ list: [nested] }))],
        from: table('orders'),
      }),
    )
    const found = duckDbSessionExpressions(ast)
    expect(found).toContain(inner)
    expect(found).toContain(nested)
    expect(found).toHaveLength(3)
  })
})
