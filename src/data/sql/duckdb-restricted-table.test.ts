import { describe, expect, it } from 'vitest'
import { col, eq, join, param, render, select, statement, table } from '../../../test/support/duckdb-ast.js'
import type { N } from '../../../test/support/duckdb-ast.js'
import { duckDbRestrictedTable } from './duckdb-restricted-table.js'
import { rewriteDuckDbSelect } from './duckdb-rewrite.js'
import type { DuckDbRewriteOptions } from './duckdb-rewrite-options.js'
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
const RESTRICTIONS: ConnectionRestrictions = { tables: new Map([ORDERS]) }
const PREDICATES = new Map<string, unknown>([
  ['tenant_id = $1', eq(col('tenant_id'), param(1))],
  ['region = $1', eq(col('region'), param(1))],
])
const OPTIONS: DuckDbRewriteOptions = { database: 'warehouse', parameterCount: 0 }

describe('rewriteDuckDbSelect: restricted tables', () => {
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
