import type { ConnectionRestrictions, RowAlternative } from '../../../src/data/sql/restrictions.js'

/**
 * A small warehouse shared by three tenants, for the RLS corpus (issue 6):
 * every engine loads it, applies each principal's restrictions, and compares
 * its answers with an oracle database that holds only what that principal may
 * see. Values are chosen so that error-based probes fail on the rows of
 * tenant 3, which neither tenant principal may see: `orders.note` is a number
 * except for tenant 3 (`'x…'`), and `2.5 - tenant_id` is negative only there.
 */
export const RLS_WAREHOUSE_SQL = `
CREATE TABLE tenants (id INTEGER, name VARCHAR, plan VARCHAR);
INSERT INTO tenants VALUES (1, 'Acme', 'pro'), (2, 'Globex', 'free'), (3, 'Initech', 'pro');

CREATE TABLE customers (id INTEGER, tenant_id INTEGER, name VARCHAR, email VARCHAR, region VARCHAR, referred_by INTEGER);
INSERT INTO customers
SELECT i, 1 + i % 3, 'customer ' || i,
       CASE WHEN i % 11 = 0 THEN NULL ELSE 'c' || i || '@t' || (1 + i % 3) || '.example' END,
       CASE i % 4 WHEN 0 THEN 'EMEA' WHEN 1 THEN 'NA' WHEN 2 THEN 'APAC' ELSE 'EMEA' END,
       CASE WHEN i > 3 THEN i - 3 END
  FROM range(1, 31) t(i);

CREATE TABLE products (id INTEGER, tenant_id INTEGER, name VARCHAR, price DECIMAL(10, 2), category VARCHAR);
INSERT INTO products
SELECT i, CASE WHEN i <= 3 THEN NULL ELSE 1 + i % 3 END, 'product ' || i, (i * 2.5)::DECIMAL(10, 2),
       CASE i % 3 WHEN 0 THEN 'tools' WHEN 1 THEN 'toys' ELSE 'food' END
  FROM range(1, 13) t(i);

CREATE TABLE orders (
  id INTEGER, tenant_id INTEGER, customer_id INTEGER, product_id INTEGER, amount DECIMAL(10, 2),
  quantity INTEGER, region VARCHAR, status VARCHAR, ordered_at DATE, note VARCHAR);
INSERT INTO orders
SELECT i, 1 + i % 3,
       CASE WHEN i % 17 = 0 THEN NULL WHEN i % 25 = 0 THEN 1
            ELSE 3 * ((i * 7) % 10) + i % 3 + CASE WHEN i % 3 = 0 THEN 3 ELSE 0 END END,
       1 + i % 12, ((i * 37) % 500 + 10)::DECIMAL(10, 2), 1 + i % 5,
       CASE i % 4 WHEN 0 THEN 'EMEA' WHEN 1 THEN 'NA' WHEN 2 THEN 'APAC' ELSE 'EMEA' END,
       CASE (i // 2) % 4 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' WHEN 2 THEN 'shipped' ELSE 'cancelled' END,
       DATE '2025-01-01' + (i * 3)::INTEGER,
       CASE WHEN 1 + i % 3 = 3 THEN 'x' || i ELSE CAST(i AS VARCHAR) END
  FROM range(1, 151) t(i);

CREATE TABLE audit_trail (id INTEGER, tenant_id INTEGER, action VARCHAR);
INSERT INTO audit_trail SELECT i, 1 + i % 3, 'action ' || i FROM range(1, 21) t(i);

CREATE TABLE secrets (id INTEGER, value VARCHAR);
INSERT INTO secrets VALUES (1, 'root password'), (2, 'api key'), (3, 'signing key');

CREATE SCHEMA sales;
CREATE TABLE sales.targets (id INTEGER, tenant_id INTEGER, region VARCHAR, target DECIMAL(10, 2));
INSERT INTO sales.targets
SELECT i, 1 + (i - 1) // 3, CASE (i - 1) % 3 WHEN 0 THEN 'EMEA' WHEN 1 THEN 'NA' ELSE 'APAC' END, (i * 1000)::DECIMAL(10, 2)
  FROM range(1, 10) t(i);
CREATE TABLE sales.orders (id INTEGER, tenant_id INTEGER, amount DECIMAL(10, 2));
INSERT INTO sales.orders SELECT i, 1 + i % 3, (i * 11)::DECIMAL(10, 2) FROM range(1, 31) t(i);

CREATE SCHEMA hr;
CREATE TABLE hr.salaries (id INTEGER, tenant_id INTEGER, amount DECIMAL(10, 2));
INSERT INTO hr.salaries SELECT i, 1 + i % 3, (i * 1000)::DECIMAL(10, 2) FROM range(1, 7) t(i);
`

/** A row of a warehouse table, as JSON (integers are numbers). */
export type RlsRow = Readonly<Record<string, unknown>>

/** What the oracle needs beyond the restrictions: each alternative's rule as a function of a row. */
export interface OracleAlternative extends RowAlternative {
  readonly admits: (row: RlsRow) => boolean
}

export interface RlsPrincipal {
  readonly name: RlsPrincipalName
  readonly restrictions: ConnectionRestrictions
  /** The same alternatives, table by table, with the oracle's own reading of each rule. */
  readonly oracle: ReadonlyMap<string, readonly OracleAlternative[]>
}

export type RlsPrincipalName = 'tenant1' | 'tenant2' | 'analyst'

const CUSTOMER_COLUMNS = ['id', 'tenant_id', 'name', 'region', 'referred_by']
const ALL_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'main.tenants': ['id', 'name', 'plan'],
  'main.customers': ['id', 'tenant_id', 'name', 'email', 'region', 'referred_by'],
  'main.products': ['id', 'tenant_id', 'name', 'price', 'category'],
  'main.orders': [
    'id',
    'tenant_id',
    'customer_id',
    'product_id',
    'amount',
    'quantity',
    'region',
    'status',
    'ordered_at',
    'note',
  ],
  'main.audit_trail': ['id', 'tenant_id', 'action'],
  'main.secrets': ['id', 'value'],
  'sales.targets': ['id', 'tenant_id', 'region', 'target'],
  'sales.orders': ['id', 'tenant_id', 'amount'],
  'hr.salaries': ['id', 'tenant_id', 'amount'],
}

function columnsOf(key: string): readonly string[] {
  return ALL_COLUMNS[key] ?? []
}

/** `tenant_scoped` for one tenant: its rows everywhere, customers without `email`, orders of two regions for tenant 1. */
function tenantScoped(tenant: number): Map<string, OracleAlternative> {
  const byTenant = (table: string, columns = columnsOf(table)): [string, OracleAlternative] => [
    table,
    {
      policy: 'tenant_scoped',
      rules: ['by_tenant'],
      columns,
      predicate: { sql: 'tenant_id = $1', values: [tenant] },
      admits: (row) => row.tenant_id === tenant,
    },
  ]
  const orders: [string, OracleAlternative] =
    tenant === 1
      ? [
          'main.orders',
          {
            policy: 'tenant_scoped',
            rules: ['by_tenant', 'by_region'],
            columns: columnsOf('main.orders'),
            predicate: { sql: 'tenant_id = $1 AND region IN ($2, $3)', values: [tenant, 'EMEA', 'NA'] },
            admits: (row) => row.tenant_id === tenant && (row.region === 'EMEA' || row.region === 'NA'),
          },
        ]
      : byTenant('main.orders')
  return new Map([
    [
      'main.tenants',
      {
        policy: 'tenant_scoped',
        rules: ['own_tenant'],
        columns: columnsOf('main.tenants'),
        predicate: { sql: 'id = $1', values: [tenant] },
        admits: (row) => row.id === tenant,
      },
    ],
    byTenant('main.customers', CUSTOMER_COLUMNS),
    [
      'main.products',
      {
        policy: 'tenant_scoped',
        rules: ['own_or_shared'],
        columns: columnsOf('main.products'),
        predicate: { sql: 'tenant_id = $1 OR tenant_id IS NULL', values: [tenant] },
        admits: (row) => row.tenant_id === tenant || row.tenant_id === null,
      },
    ],
    orders,
    byTenant('sales.targets'),
    byTenant('sales.orders'),
  ])
}

/** `emea_support`: EMEA customers of every tenant, with `email` but without `name` and `referred_by`. */
const EMEA_SUPPORT: OracleAlternative = {
  policy: 'emea_support',
  rules: ['emea_customers'],
  columns: ['id', 'tenant_id', 'email', 'region'],
  predicate: { sql: 'region = $1', values: ['EMEA'] },
  admits: (row) => row.region === 'EMEA',
}

function principal(name: RlsPrincipalName, policies: readonly Map<string, OracleAlternative>[]): RlsPrincipal {
  const oracle = new Map<string, OracleAlternative[]>()
  for (const policy of policies) {
    for (const [table, alternative] of policy) oracle.set(table, [...(oracle.get(table) ?? []), alternative])
  }
  const tables = new Map(
    [...oracle].map(([key, alternatives]) => {
      const [schema, table] = key.split('.') as [string, string]
      // The restriction carries no oracle function: the rewriter must not depend on anything but the contract.
      const plain = alternatives.map(({ policy, rules, columns, predicate }) => ({ policy, rules, columns, predicate }))
      return [key, { schema, table, alternatives: plain }]
    }),
  )
  return { name, restrictions: { tables }, oracle }
}

export const RLS_PRINCIPALS: readonly RlsPrincipal[] = [
  principal('tenant1', [tenantScoped(1)]),
  principal('tenant2', [tenantScoped(2), new Map([['main.customers', EMEA_SUPPORT]])]),
  principal('analyst', [
    new Map(
      [
        'main.tenants',
        'main.customers',
        'main.products',
        'main.orders',
        'main.audit_trail',
        'sales.targets',
        'sales.orders',
      ].map((table) => [
        table,
        { policy: 'analyst_full', rules: [], columns: columnsOf(table), predicate: null, admits: () => true },
      ]),
    ),
  ]),
]
