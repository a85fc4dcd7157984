import { describe, expect, it } from 'vitest'
import {
  as,
  col,
  cte,
  derived,
  eq,
  int,
  join,
  select,
  statement,
  sub,
  table,
  union,
  window,
} from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import { C, O, OPTIONS, PREDICATES, RESTRICTIONS, rewritten } from '../../../test/support/duckdb-rewrite-fixture.js'
import { rewriteDuckDbSelect } from './duckdb-rewrite.js'

const C1 = '(SELECT id, name FROM main.customers WHERE tenant_id = $1)'

describe('rewriteDuckDbSelect', () => {
  it.each<[string, N, string]>([
    ['a table in FROM', select({ from: table('orders') }), `SELECT * FROM ${O} AS orders`],
    ['a table under an alias', select({ from: table('orders', { alias: 'o' }) }), `SELECT * FROM ${O} AS o`],
    ['a schema-qualified table', select({ from: table('orders', { schema: 'main' }) }), `SELECT * FROM ${O} AS orders`],
    [
      'a table qualified by the database',
      select({ from: table('orders', { schema: 'main', catalog: 'warehouse' }) }),
      `SELECT * FROM ${O} AS orders`,
    ],
    ['names in any case', select({ from: table('ORDERS', { schema: 'MAIN' }) }), `SELECT * FROM ${O} AS ORDERS`],
    [
      'both sides of a join',
      select({
        from: join(
          table('orders', { alias: 'o' }),
          table('customers', { alias: 'c' }),
          eq(col('c', 'id'), col('o', 'id')),
        ),
      }),
      `SELECT * FROM ${O} AS o JOIN ${C} AS c ON c.id = o.id`,
    ],
    [
      'a derived table',
      select({ from: derived(select({ from: table('orders') }), 'x') }),
      `SELECT * FROM (SELECT * FROM ${O} AS orders) AS x`,
    ],
    [
      'a lateral subquery',
      select({
        from: join(
          table('customers', { alias: 'c' }),
          derived(select({ from: table('orders'), where: eq(col('orders', 'id'), col('c', 'id')) }), 'l'),
        ),
      }),
      `SELECT * FROM ${C1} AS c JOIN (SELECT * FROM (SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $2) AS orders WHERE orders.id = c.id) AS l`,
    ],
    [
      'a scalar subquery in the select list',
      select({ list: [as(sub(select({ list: [col('id')], from: table('orders') })), 'x')] }),
      `SELECT (SELECT id FROM ${O} AS orders) AS x`,
    ],
    [
      'EXISTS in WHERE',
      select({ from: table('customers', { alias: 'c' }), where: sub(select({ from: table('orders') }), 'EXISTS') }),
      `SELECT * FROM ${C1} AS c WHERE EXISTS (SELECT * FROM (SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $2) AS orders)`,
    ],
    [
      'IN in HAVING',
      select({
        from: table('customers'),
        having: sub(select({ list: [col('id')], from: table('orders') }), 'ANY', col('id')),
      }),
      `SELECT * FROM ${C1} AS customers HAVING id IN (SELECT id FROM (SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $2) AS orders)`,
    ],
    [
      'a subquery in a window',
      select({ list: [window('sum', [sub(select({ list: [col('id')], from: table('orders') }))])] }),
      `SELECT sum() OVER (PARTITION BY (SELECT id FROM ${O} AS orders))`,
    ],
    [
      'both arms of a set operation',
      union(select({ from: table('orders') }), select({ from: table('customers') })),
      `SELECT * FROM ${O} AS orders UNION ALL SELECT * FROM ${C} AS customers`,
    ],
    [
      'another schema, and a policy without row rules',
      select({ from: table('orders', { schema: 'sales' }) }),
      'SELECT * FROM (SELECT id, total FROM sales.orders) AS orders',
    ],
  ])('rewrites %s', (_, node, sql) => {
    expect(rewritten(node)).toBe(sql)
  })

  it('never modifies the tree it is given', () => {
    const node = select({
      ctes: [cte('x', select({ from: table('orders') }))],
      list: [col('main', 'customers', 'id'), sub(select({ from: table('x') }))],
      from: table('customers', { schema: 'main' }),
    })
    const input = statement(node)
    const before = structuredClone(input)
    rewriteDuckDbSelect(deepFreeze(input), RESTRICTIONS, PREDICATES, OPTIONS)
    expect(input).toEqual(before)
  })

  it.each<[string, N, string]>([
    ['a table that is not visible', select({ from: table('secrets') }), 'Table secrets does not exist'],
    [
      'a table in a hidden schema',
      select({ from: table('salaries', { schema: 'hr' }) }),
      'Table hr.salaries does not exist',
    ],
    [
      'a table of another database',
      select({ from: table('orders', { schema: 'main', catalog: 'other' }) }),
      'Table other.main.orders does not exist',
    ],
    [
      'a hidden table deep in a subquery',
      select({
        from: table('orders'),
        where: sub(select({ from: derived(select({ from: table('secrets') }), 's') }), 'EXISTS'),
      }),
      'Table secrets does not exist',
    ],
    [
      'a table function',
      select({
        from: { type: 'TABLE_FUNCTION', alias: '', function: { class: 'FUNCTION', function_name: 'read_csv' } },
      }),
      "Table functions are not allowed (read_csv): query the connection's tables",
    ],
    [
      'DESCRIBE',
      select({ from: { type: 'SHOW_REF', alias: '' } }),
      'SHOW, DESCRIBE and SUMMARIZE are not allowed: use list_tables and describe_table',
    ],
    [
      'time travel',
      select({ from: { ...table('orders'), at_clause: { unit: 'VERSION', expr: int(1) } } }),
      'Time travel (AT) is not allowed on orders',
    ],
    [
      'a query node it does not know',
      { type: 'CTE_NODE', cte_map: { map: [] } },
      'Only a single read-only SELECT statement is accepted',
    ],
  ])('refuses %s', (_, node, message) => {
    expect(() => rewriteDuckDbSelect(statement(node), RESTRICTIONS, PREDICATES, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED', message }),
    )
  })

  it('refuses anything but exactly one statement', () => {
    const two = { error: false, statements: [{ node: select() }, { node: select() }] }
    expect(() => rewriteDuckDbSelect(two, RESTRICTIONS, PREDICATES, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED' }),
    )
    expect(() => rewriteDuckDbSelect({ error: true }, RESTRICTIONS, PREDICATES, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'SQL_REFUSED' }),
    )
  })
})

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
