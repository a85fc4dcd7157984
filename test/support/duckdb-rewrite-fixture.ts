import { rewriteDuckDbSelect } from '../../src/data/sql/duckdb-rewrite.js'
import type { DuckDbRewriteOptions } from '../../src/data/sql/duckdb-rewrite-options.js'
import type { ConnectionRestrictions, TableRestriction } from '../../src/data/sql/restrictions.js'
import { col, eq, param, render, statement } from './duckdb-ast.js'
import type { N } from './duckdb-ast.js'

/**
 * The connection the DuckDB rewrite tests share: main.orders and main.customers
 * under a tenant rule, sales.orders under a policy without row rules, and the
 * subqueries the tenant-scoped tables become.
 */
const TENANT = { policy: 'tenant_scoped', rules: ['by_tenant'], predicate: { sql: 'tenant_id = $1', values: [7] } }
const OPEN = { ...TENANT, rules: [], predicate: null }

const tenantTable = (schema: string, table: string, columns: string[]): [string, TableRestriction] => [
  `${schema}.${table}`,
  { schema, table, alternatives: [{ ...TENANT, columns }] },
]

/** A table shown to the principal by a policy without row rules. */
export const openTable = (schema: string, table: string, columns: string[]): [string, TableRestriction] => [
  `${schema}.${table}`,
  { schema, table, alternatives: [{ ...OPEN, columns }] },
]

export const ORDERS = tenantTable('main', 'orders', ['id', 'tenant_id', 'amount'])
export const RESTRICTIONS: ConnectionRestrictions = {
  tables: new Map([
    ORDERS,
    tenantTable('main', 'customers', ['id', 'name']),
    openTable('sales', 'orders', ['id', 'total']),
  ]),
}
export const PREDICATES = new Map<string, unknown>([['tenant_id = $1', eq(col('tenant_id'), param(1))]])
export const OPTIONS: DuckDbRewriteOptions = { database: 'warehouse', parameterCount: 0 }

/** main.orders as the rewrite renders it, its tenant bound to the first parameter. */
export const O = '(SELECT id, tenant_id, amount FROM main.orders WHERE tenant_id = $1)'
/** main.customers as the rewrite renders it after main.orders, its tenant bound to the second parameter. */
export const C = '(SELECT id, name FROM main.customers WHERE tenant_id = $2)'

/** The SQL that `rewriteDuckDbSelect` makes of a query node. */
export function rewritten(
  node: N,
  options: Partial<DuckDbRewriteOptions> = {},
  restrictions: ConnectionRestrictions = RESTRICTIONS,
): string {
  return render(rewriteDuckDbSelect(statement(node), restrictions, PREDICATES, { ...OPTIONS, ...options }).ast)
}
