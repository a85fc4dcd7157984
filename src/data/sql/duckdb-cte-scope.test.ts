import { describe, expect, it } from 'vitest'
import { cte, int, join, recursive, select, statement, sub, table } from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import {
  O,
  OPTIONS,
  ORDERS,
  PREDICATES,
  openTable,
  rewritten as rewrittenUnder,
} from '../../../test/support/duckdb-rewrite-fixture.js'
import { rewriteDuckDbSelect } from './duckdb-rewrite.js'
import type { ConnectionRestrictions } from './restrictions.js'

const RESTRICTIONS: ConnectionRestrictions = { tables: new Map([ORDERS, openTable('main', 'åb', ['x'])]) }
const rewritten = (node: N): string => rewrittenUnder(node, {}, RESTRICTIONS)

describe('rewriteDuckDbSelect: CTE scoping', () => {
  it.each<[string, N, string]>([
    [
      'a reference to a CTE is the CTE, a table in its body is the table',
      select({ ctes: [cte('x', select({ from: table('orders') }))], from: table('x') }),
      `WITH x AS (SELECT * FROM ${O} AS orders) SELECT * FROM x`,
    ],
    [
      'a CTE named like a table hides the table from the query that defines it',
      select({ ctes: [cte('orders', select({ list: [int(1)] }))], from: table('orders') }),
      'WITH orders AS (SELECT 1) SELECT * FROM orders',
    ],
    [
      "a CTE's own body reads the table of its name",
      select({ ctes: [cte('orders', select({ from: table('orders') }))], from: table('orders') }),
      `WITH orders AS (SELECT * FROM ${O} AS orders) SELECT * FROM orders`,
    ],
    [
      'a CTE is visible to the CTEs after it',
      select({
        ctes: [cte('customers', select({ list: [int(1)] })), cte('y', select({ from: table('customers') }))],
        from: table('y'),
      }),
      'WITH customers AS (SELECT 1), y AS (SELECT * FROM customers) SELECT * FROM y',
    ],
    [
      'a CTE is visible inside subqueries of its query',
      select({ ctes: [cte('orders', select({ list: [int(1)] }))], list: [sub(select({ from: table('orders') }))] }),
      'WITH orders AS (SELECT 1) SELECT (SELECT * FROM orders)',
    ],
    [
      'a CTE of a subquery is not visible outside it',
      select({
        list: [sub(select({ ctes: [cte('orders', select({ list: [int(1)] }))], from: table('orders') }))],
        from: table('orders'),
      }),
      `SELECT (WITH orders AS (SELECT 1) SELECT * FROM orders) FROM ${O} AS orders`,
    ],
    [
      'a schema-qualified name is never a CTE',
      select({ ctes: [cte('orders', select({ list: [int(1)] }))], from: table('orders', { schema: 'main' }) }),
      `WITH orders AS (SELECT 1) SELECT * FROM ${O} AS orders`,
    ],
    [
      'names match in any ASCII case',
      select({ ctes: [cte('ORDERS', select({ list: [int(1)] }))], from: table('Orders') }),
      'WITH ORDERS AS (SELECT 1) SELECT * FROM Orders',
    ],
    [
      'DuckDB folds no other letter: a CTE named ÅB does not hide the table åb',
      select({ ctes: [cte('ÅB', select({ list: [int(1)] }))], from: table('åb') }),
      'WITH ÅB AS (SELECT 1) SELECT * FROM (SELECT x FROM main.åb) AS åb',
    ],
    [
      'a recursive CTE sees itself in its recursive arm only',
      select({
        ctes: [
          cte('orders', recursive('orders', select({ from: table('orders') }), select({ from: table('orders') }))),
        ],
        from: table('orders'),
      }),
      `WITH orders AS (SELECT * FROM ${O} AS orders UNION ALL SELECT * FROM orders) SELECT * FROM orders`,
    ],
    [
      'recurring.<name>, in the recursive arm, is the CTE under any catalog',
      select({
        ctes: [
          cte(
            'r',
            recursive(
              'r',
              select({ from: table('orders') }),
              select({
                from: join(table('r', { schema: 'recurring', catalog: 'any' }), table('r', { schema: 'recurring' })),
              }),
            ),
          ),
        ],
        from: table('r'),
      }),
      `WITH r AS (SELECT * FROM ${O} AS orders UNION ALL SELECT * FROM any.recurring.r JOIN recurring.r) SELECT * FROM r`,
    ],
  ])('scopes CTE names as DuckDB binds them: %s', (_, node, sql) => {
    expect(rewritten(node)).toBe(sql)
  })

  it.each<[string, N, string]>([
    [
      'recurring.<name> outside a recursive arm',
      select({ ctes: [cte('r', select({ list: [int(1)] }))], from: table('r', { schema: 'recurring' }) }),
      'Table recurring.r does not exist',
    ],
    [
      'a hidden table read by the CTE of its name',
      select({ ctes: [cte('secrets', select({ from: table('secrets') }))], from: table('secrets') }),
      'Table secrets does not exist',
    ],
    [
      'a CTE read before it is defined',
      select({
        ctes: [cte('a', select({ from: table('b') })), cte('b', select({ list: [int(1)] }))],
        from: table('a'),
      }),
      'Table b does not exist',
    ],
    [
      'the base arm of a recursive CTE reading a hidden table of its name',
      select({
        ctes: [
          cte('secrets', recursive('secrets', select({ from: table('secrets') }), select({ from: table('secrets') }))),
        ],
        from: table('secrets'),
      }),
      'Table secrets does not exist',
    ],
  ])('refuses %s', (_, node, message) => {
    expect(() => rewriteDuckDbSelect(statement(node), RESTRICTIONS, PREDICATES, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message }),
    )
  })
})
