import { describe, expect, it } from 'vitest'
import {
  as,
  col,
  cte,
  derived,
  eq,
  int,
  join,
  param,
  recursive,
  render,
  select,
  star,
  statement,
  sub,
  table,
  union,
  window,
} from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import { duckDbExpressionsToName } from './duckdb-expression-names.js'
import { duckDbRestrictedTable, rewriteDuckDbSelect } from './duckdb-rewrite.js'
import type { DuckDbRewriteOptions } from './duckdb-rewrite.js'
import type { ConnectionRestrictions, RowAlternative, TableRestriction } from './restrictions.js'

const alternative = (columns: string[], sql: string | null, values: (string | number)[] = []): RowAlternative => ({
  policy: 'tenant_scoped',
  rules: sql === null ? [] : ['by_tenant'],
  columns,
  predicate: sql === null ? null : { sql, values },
})
const restricted = (key: string, ...alternatives: RowAlternative[]): [string, TableRestriction] => {
  const [schema, name] = key.split('.') as [string, string]
  return [key, { schema, table: name, alternatives }]
}
const ORDERS = restricted('main.orders', alternative(['id', 'tenant_id', 'amount'], 'tenant_id = $1', [7]))
const CUSTOMERS = restricted('main.customers', alternative(['id', 'name'], 'tenant_id = $1', [7]))
const SALES_ORDERS = restricted('sales.orders', alternative(['id', 'total'], null))
const NON_ASCII = restricted('main.åb', alternative(['x'], null))
const RESTRICTIONS: ConnectionRestrictions = { tables: new Map([ORDERS, CUSTOMERS, SALES_ORDERS, NON_ASCII]) }
const PREDICATES = new Map<string, unknown>([
  ['tenant_id = $1', eq(col('tenant_id'), param(1))],
  ['region = $1', eq(col('region'), param(1))],
])
const OPTIONS: DuckDbRewriteOptions = { database: 'warehouse', parameterCount: 0 }

const O = '(SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $1)'
const C = '(SELECT id, name FROM main.customers WHERE tenant_id = $2)'
const C1 = '(SELECT id, name FROM main.customers WHERE tenant_id = $1)'

function rewritten(node: N, options: Partial<DuckDbRewriteOptions> = {}): string {
  return render(rewriteDuckDbSelect(statement(node), RESTRICTIONS, PREDICATES, { ...OPTIONS, ...options }).ast)
}

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

  it('shows a column that not every policy shows only on the rows of the policies that show it', () => {
    const restrictions: ConnectionRestrictions = {
      tables: new Map([
        restricted('main.customers', alternative(['id', 'name', 'region'], 'tenant_id = $1', [2]), {
          ...alternative(['id', 'email', 'region'], 'region = $1', ['EMEA']),
          policy: 'emea_support',
          rules: ['emea'],
        }),
      ]),
    }
    const out = rewriteDuckDbSelect(statement(select({ from: table('customers') })), restrictions, PREDICATES, {
      ...OPTIONS,
      tableColumns: new Map([['main.customers', ['id', 'tenant_id', 'name', 'email', 'region']]]),
    })
    expect(render(out.ast)).toBe(
      'SELECT * FROM (SELECT id, CASE WHEN tenant_id = $1 THEN name END AS name, ' +
        'CASE WHEN region = $2 THEN email END AS email, region ' +
        'FROM main.customers WHERE (tenant_id = $1 OR region = $2)) AS customers',
    )
    expect(out.values).toEqual([2, 'EMEA'])
    expect(out.appliedRules).toEqual(['tenant_scoped.by_tenant', 'emea_support.emea'])
  })

  it('shows every row, and a column of any policy without row rules, when one policy has none', () => {
    const restrictions: ConnectionRestrictions = {
      tables: new Map([
        restricted(
          'main.customers',
          alternative(['id', 'name'], null),
          alternative(['id', 'email'], 'region = $1', ['EMEA']),
        ),
      ]),
    }
    const out = rewriteDuckDbSelect(statement(select({ from: table('customers') })), restrictions, PREDICATES, OPTIONS)
    expect(render(out.ast)).toBe(
      'SELECT * FROM (SELECT id, name, CASE WHEN region = $1 THEN email END AS email FROM main.customers) AS customers',
    )
  })

  it("numbers the rules' values after the query's own parameters, once per alternative", () => {
    const node = select({
      from: join(table('orders', { alias: 'a' }), table('orders', { alias: 'b' }), eq(col('a', 'id'), param(1))),
    })
    const out = rewriteDuckDbSelect(statement(node), RESTRICTIONS, PREDICATES, { ...OPTIONS, parameterCount: 1 })
    expect(render(out.ast)).toBe(
      'SELECT * FROM (SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $2) AS a ' +
        'JOIN (SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $2) AS b ON a.id = $1',
    )
    expect(out.values).toEqual([7])
    const root = (out.ast as { statements: N[] }).statements[0] as N
    expect(root.named_param_map).toEqual([
      { key: '1', value: 1 },
      { key: '2', value: 2 },
    ])
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
      'recurring.<name> outside a recursive arm',
      select({ ctes: [cte('r', select({ list: [int(1)] }))], from: table('r', { schema: 'recurring' }) }),
      'Table recurring.r does not exist',
    ],
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

  it('fails closed when a rule has no parsed form', () => {
    const restrictions = { tables: new Map([restricted('main.orders', alternative(['id'], 'x = $1', [1]))]) }
    expect(() =>
      rewriteDuckDbSelect(statement(select({ from: table('orders') })), restrictions, PREDICATES, OPTIONS),
    ).toThrow(expect.objectContaining({ code: 'INTERNAL' }))
  })
})

describe('duckDbRestrictedTable', () => {
  it("is one table's subquery on its own, its values from $1", () => {
    const [, orders] = ORDERS
    const { ast, values } = duckDbRestrictedTable(orders, PREDICATES, OPTIONS)
    expect(render(ast)).toBe('SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $1')
    expect(values).toEqual([7])
  })
})

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
