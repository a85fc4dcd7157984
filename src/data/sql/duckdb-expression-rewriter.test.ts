import { describe, expect, it } from 'vitest'
import { col, eq, int, join, param, select, star, statement, sub, table } from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import { duckDbExpressionsToName } from './duckdb-expression-names.js'
import { C, O, OPTIONS, PREDICATES, RESTRICTIONS, rewritten } from '../../../test/support/duckdb-rewrite-fixture.js'
import { rewriteDuckDbSelect } from './duckdb-rewrite.js'

describe('rewriteDuckDbSelect: expressions', () => {
  it.each<[string, N, string]>([
    [
      'schema.table.column',
      select({ list: [col('main', 'orders', 'amount')], from: table('orders', { schema: 'main' }) }),
      `SELECT orders.amount FROM ${O} AS orders`,
    ],
    [
      'database.schema.table.column',
      select({ list: [col('warehouse', 'main', 'orders', 'amount')], from: table('orders') }),
      `SELECT orders.amount FROM ${O} AS orders`,
    ],
    [
      'a qualified column of an outer query',
      select({
        from: table('orders', { schema: 'main' }),
        where: sub(
          select({ from: table('customers', { alias: 'c' }), where: eq(col('c', 'id'), col('main', 'orders', 'id')) }),
          'EXISTS',
        ),
      }),
      `SELECT * FROM ${O} AS orders WHERE EXISTS (SELECT * FROM ${C} AS c WHERE c.id = orders.id)`,
    ],
    [
      'a qualified EXCLUDE',
      select({
        list: [star('', [{ catalog: '', schema: 'main', table: 'orders', column: 'amount' }])],
        from: table('orders'),
      }),
      `SELECT * EXCLUDE (orders.amount) FROM ${O} AS orders`,
    ],
    [
      'two tables of one name in one FROM, each under its qualified name',
      select({
        list: [col('main', 'orders', 'id'), col('sales', 'orders', 'id')],
        from: join(table('orders', { schema: 'main' }), table('orders', { schema: 'sales' })),
      }),
      `SELECT main.orders.id, sales.orders.id FROM ${O} AS main.orders JOIN (SELECT id, total FROM sales.orders) AS sales.orders`,
    ],
    [
      'a struct field that is not a table',
      select({ list: [col('s', 'a', 'b')], from: table('orders') }),
      `SELECT s.a.b FROM ${O} AS orders`,
    ],
  ])('keeps qualified names working: %s', (_, node, sql) => {
    expect(rewritten(node)).toBe(sql)
  })

  it('keeps the name DuckDB gives an unnamed expression that the rewrite changes', () => {
    const expression = sub(select({ list: [col('id')], from: table('orders') }))
    const node = select({ list: [expression, col('main', 'orders', 'id')], from: table('orders', { schema: 'main' }) })
    const names = new Map([[expression, '(SELECT id FROM orders)']])
    expect(rewritten(node, { expressionNames: names })).toBe(
      `SELECT (SELECT id FROM ${O} AS orders) AS (SELECT id FROM orders), orders.id FROM ${O} AS orders`,
    )
    expect(duckDbExpressionsToName(statement(node))).toEqual([expression])
  })

  it.each<[string, N, string]>([
    [
      'a placeholder the query has no value for',
      select({ from: table('orders'), where: eq(col('id'), param(1)) }),
      'The query uses a parameter that was not supplied ($1)',
    ],
    [
      'a qualified name an inner alias would capture once rewritten',
      select({
        from: table('orders', { schema: 'main' }),
        where: sub(
          select({ from: table('customers', { alias: 'orders' }), where: eq(col('main', 'orders', 'id'), int(1)) }),
          'EXISTS',
        ),
      }),
      'main.orders and another table are both named orders here: give the tables aliases',
    ],
  ])('refuses %s', (_, node, message) => {
    expect(() => rewriteDuckDbSelect(statement(node), RESTRICTIONS, PREDICATES, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message }),
    )
  })
})
