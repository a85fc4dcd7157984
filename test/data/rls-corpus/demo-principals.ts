import { DEMO_TABLES } from '../../../src/data/engines/duckdb/demo-warehouse-tables.js'
import type { ConnectionRestrictions, TableRestriction } from '../../../src/data/sql/restrictions.js'

/**
 * Principals over the "acme" demo warehouse (`gatehouse demo`), for the RLS
 * property tests: each is described once, and both sides are built from that
 * description. Gatehouse gets `ConnectionRestrictions` with bound values; the
 * oracles get the same rule with its values written in (`literal`), which
 * DuckDB and PostgreSQL both read alike.
 */

/** The demo tables (schema `main` in DuckDB, `public` in PostgreSQL) and their columns, in table order. */
export const DEMO_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  tenants: ['tenant_id', 'name', 'plan', 'created_at'],
  regions: ['code', 'name'],
  customers: ['id', 'tenant_id', 'name', 'email', 'phone', 'region', 'created_at'],
  products: ['id', 'name', 'category', 'price'],
  orders: ['id', 'tenant_id', 'customer_id', 'product_id', 'region', 'status', 'quantity', 'amount', 'ordered_at'],
  audit_trail: ['id', 'tenant_id', 'actor', 'action', 'at'],
}

export type DemoPrincipalName = 'globex' | 'initech' | 'hooli_support'
export const DEMO_PRINCIPALS: readonly DemoPrincipalName[] = ['globex', 'initech', 'hooli_support']

export interface DemoAlternative {
  readonly policy: string
  readonly rules: readonly string[]
  /** Visible columns; every column of the table when absent. */
  readonly columns?: readonly string[]
  /** Gatehouse's predicate; null admits every row. */
  readonly predicate: { readonly sql: string; readonly values: readonly (string | number)[] } | null
  /** The same rule with its values written in, for the oracles. */
  readonly literal: string
}

/**
 * `tenant_scoped`: the tenant's rows of every table with a `tenant_id`, the
 * shared tables whole, `customers.phone` hidden and `audit_trail` absent.
 */
function tenantScoped(tenant: string): Record<string, DemoAlternative[]> {
  const byTenant = (columns?: readonly string[]): DemoAlternative[] => [
    {
      policy: 'tenant_scoped',
      rules: ['by_tenant'],
      ...(columns === undefined ? {} : { columns }),
      predicate: { sql: 'tenant_id = $1', values: [tenant] },
      literal: `tenant_id = '${tenant}'`,
    },
  ]
  const shared: DemoAlternative[] = [{ policy: 'tenant_scoped', rules: [], predicate: null, literal: 'true' }]
  return {
    tenants: byTenant(),
    regions: shared,
    customers: byTenant(['id', 'tenant_id', 'name', 'email', 'region', 'created_at']),
    products: shared,
    orders: byTenant(),
  }
}

/**
 * `emea_support`, the second policy of `hooli_support`: EMEA customers of
 * every tenant with their phone but not their name, refunded and cancelled
 * EMEA orders without who bought what, and the login events of the audit trail.
 */
const EMEA_SUPPORT: Record<string, DemoAlternative> = {
  customers: {
    policy: 'emea_support',
    rules: ['emea_customers'],
    columns: ['id', 'tenant_id', 'email', 'phone', 'region'],
    predicate: { sql: 'region = $1', values: ['EMEA'] },
    literal: `region = 'EMEA'`,
  },
  orders: {
    policy: 'emea_support',
    rules: ['emea_returns'],
    columns: ['id', 'tenant_id', 'region', 'status', 'amount'],
    predicate: { sql: 'region = $1 AND status IN ($2, $3)', values: ['EMEA', 'refunded', 'cancelled'] },
    literal: `region = 'EMEA' AND status IN ('refunded', 'cancelled')`,
  },
  audit_trail: {
    policy: 'emea_support',
    rules: ['logins'],
    columns: ['id', 'tenant_id', 'action', 'at'],
    predicate: { sql: 'action LIKE $1', values: ['user.%'] },
    literal: `action LIKE 'user.%'`,
  },
}

/** Each principal's alternatives by table; a table not listed does not exist for it. */
export function demoGrants(name: DemoPrincipalName): Readonly<Record<string, readonly DemoAlternative[]>> {
  switch (name) {
    case 'globex':
      return tenantScoped('t_globex')
    case 'initech':
      return tenantScoped('t_initech')
    case 'hooli_support': {
      const grants = tenantScoped('t_hooli')
      for (const [table, alternative] of Object.entries(EMEA_SUPPORT)) {
        grants[table] = [...(grants[table] ?? []), alternative]
      }
      return grants
    }
  }
}

export function demoRestrictions(name: DemoPrincipalName, schema: string): ConnectionRestrictions {
  const tables = new Map<string, TableRestriction>()
  for (const [table, alternatives] of Object.entries(demoGrants(name))) {
    tables.set(`${schema}.${table}`, {
      schema,
      table,
      alternatives: alternatives.map((a) => ({
        policy: a.policy,
        rules: a.rules,
        columns: a.columns ?? columnsOf(table),
        predicate: a.predicate,
      })),
    })
  }
  return { tables }
}

/** The columns of a table some alternative shows, in table order. */
export function visibleColumns(alternatives: readonly DemoAlternative[], table: string): string[] {
  return columnsOf(table).filter((c) => alternatives.some((a) => a.columns === undefined || a.columns.includes(c)))
}

/**
 * The select list of a table as the principal sees it, over the whole table:
 * its visible columns in table order, each NULL unless some alternative that
 * lists it admits the row (the cell rule). Rows are the caller's to filter
 * with `oracleRows`.
 */
export function oracleCells(alternatives: readonly DemoAlternative[], table: string): string[] {
  return visibleColumns(alternatives, table).map((column) => {
    const name = `"${column}"`
    const showing = alternatives.filter((a) => a.columns === undefined || a.columns.includes(column))
    if (showing.length === alternatives.length) return name
    return `CASE WHEN ${showing.map((a) => `(${a.literal})`).join(' OR ')} THEN ${name} END AS ${name}`
  })
}

/** The rows some alternative admits. */
export function oracleRows(alternatives: readonly DemoAlternative[]): string {
  return alternatives.map((a) => `(${a.literal})`).join(' OR ')
}

/** The demo tables in `schema`: the generator's own DDL, which PostgreSQL reads as DuckDB does. */
export function demoTablesDdl(schema: string): string[] {
  return DEMO_TABLES.map((t) => t.create.replace(/^CREATE TABLE main\./, `CREATE TABLE ${schema}.`))
}

/**
 * The principal's own PostgreSQL database, after `demoTablesDdl('base')` and
 * the rows: PostgreSQL's row-level security on the tables of `base` (one
 * permissive policy per alternative, for `role`, which owns nothing), and in
 * `public` a `security_invoker` view of each visible table, of its visible
 * columns, so that the same SQL names the same things as on the warehouse.
 */
export function postgresOracleDdl(name: DemoPrincipalName, role: string): string[] {
  const ddl = [`GRANT USAGE ON SCHEMA base, public TO ${role}`]
  for (const [table, alternatives] of Object.entries(demoGrants(name))) {
    ddl.push(`ALTER TABLE base.${table} ENABLE ROW LEVEL SECURITY`)
    alternatives.forEach((a, i) =>
      ddl.push(`CREATE POLICY p${i} ON base.${table} FOR SELECT TO ${role} USING (${a.literal})`),
    )
    const cells = oracleCells(alternatives, table).join(', ')
    ddl.push(`CREATE VIEW public.${table} WITH (security_invoker = true) AS SELECT ${cells} FROM base.${table}`)
    ddl.push(`GRANT SELECT ON base.${table}, public.${table} TO ${role}`)
  }
  return ddl
}

function columnsOf(table: string): readonly string[] {
  const columns = DEMO_COLUMNS[table]
  if (columns === undefined) throw new Error(`No table ${table} in the demo warehouse`)
  return columns
}
