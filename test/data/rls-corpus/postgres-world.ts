import type { ConnectionRestrictions, RowAlternative, TableRestriction } from '../../../src/data/sql/restrictions.js'

/**
 * The multi-tenant warehouse the PostgreSQL RLS corpus runs on, and the
 * principals it runs as. Each principal is described once, and both sides are
 * built from that description: Gatehouse's `ConnectionRestrictions`, and the
 * oracle, which is PostgreSQL's own row-level security (one permissive policy
 * per alternative, `USING (… current_setting('app.tenant') …)`) behind
 * `security_invoker` views that leave hidden columns out.
 */

export interface WorldTable {
  readonly schema: 'public' | 'sales'
  readonly name: string
  /** Column name and PostgreSQL type, in table order. */
  readonly columns: readonly (readonly [string, string])[]
  readonly rows: readonly (readonly unknown[])[]
}

export type RlsProfile = 'tenant' | 'tenant_email' | 'two_policies'
export const RLS_PROFILES: readonly RlsProfile[] = ['tenant', 'tenant_email', 'two_policies']
/** Tenant 2 is the one the error-based probes aim at: it is never the principal. */
export const RLS_TENANTS: readonly number[] = [1, 3]

interface Alternative {
  readonly policy: string
  readonly rules: readonly string[]
  /** Visible columns; every column when absent. */
  readonly columns?: readonly string[]
  /** Gatehouse's predicate, with the tenant's values. */
  readonly predicate: { readonly sql: string; readonly values: (tenant: number) => readonly (string | number)[] } | null
  /** The same rule for PostgreSQL's RLS, over `current_setting('app.tenant')`. */
  readonly using: string
}

const TENANT = `current_setting('app.tenant')::int`
const byTenant = (policy: string, columns?: readonly string[]): Alternative => ({
  policy,
  rules: ['by_tenant'],
  ...(columns === undefined ? {} : { columns }),
  predicate: { sql: 'tenant_id = $1', values: (t) => [t] },
  using: `tenant_id = ${TENANT}`,
})
const shared = (policy: string): Alternative => ({ policy, rules: [], predicate: null, using: 'true' })
const byId = (policy: string): Alternative => ({
  policy,
  rules: ['own_tenant'],
  predicate: { sql: 'id = $1', values: (t) => [t] },
  using: `id = ${TENANT}`,
})

const TENANT_TABLES = ['public.products', 'public.orders', 'public.subscribers', 'public.Notes', 'sales.targets']

/** Which alternatives each principal has, per `schema.table`; a table not listed is hidden. */
export const PROFILE_GRANTS: Readonly<Record<RlsProfile, Readonly<Record<string, readonly Alternative[]>>>> = {
  // email and the whole audit_log are hidden
  tenant: {
    'public.tenants': [byId('tenant_scoped')],
    'public.customers': [byTenant('tenant_scoped', ['id', 'tenant_id', 'name', 'country'])],
    'public.currencies': [shared('tenant_scoped')],
    'sales.orders': [byTenant('tenant_scoped')],
    ...Object.fromEntries(TENANT_TABLES.map((t) => [t, [byTenant('tenant_scoped')]])),
  },
  tenant_email: {
    'public.tenants': [byId('tenant_full')],
    'public.customers': [byTenant('tenant_full')],
    'public.currencies': [shared('tenant_full')],
    'public.audit_log': [byTenant('tenant_full')],
    'sales.orders': [byTenant('tenant_full')],
    ...Object.fromEntries(TENANT_TABLES.map((t) => [t, [byTenant('tenant_full')]])),
  },
  // A second policy admits French customers and books/tools of every tenant, without email and price.
  two_policies: {
    'public.tenants': [byId('tenant_full')],
    'public.customers': [
      byTenant('tenant_full'),
      {
        policy: 'fr_partners',
        rules: ['french'],
        columns: ['id', 'tenant_id', 'name', 'country'],
        predicate: { sql: 'country = $1', values: () => ['FR'] },
        using: `country = 'FR'`,
      },
    ],
    'public.products': [
      byTenant('tenant_full'),
      {
        policy: 'fr_partners',
        rules: ['catalogue'],
        columns: ['id', 'tenant_id', 'name', 'category'],
        predicate: { sql: 'category IN ($1, $2)', values: () => ['books', 'tools'] },
        using: `category IN ('books', 'tools')`,
      },
    ],
    'public.orders': [
      {
        policy: 'tenant_full',
        rules: ['by_tenant', 'not_cancelled'],
        predicate: { sql: 'tenant_id = $1 AND status <> $2', values: (t) => [t, 'cancelled'] },
        using: `tenant_id = ${TENANT} AND status <> 'cancelled'`,
      },
    ],
    'public.currencies': [shared('tenant_full')],
    'sales.orders': [byTenant('tenant_full')],
    ...Object.fromEntries(
      TENANT_TABLES.filter((t) => t !== 'public.products' && t !== 'public.orders').map((t) => [
        t,
        [byTenant('tenant_full')],
      ]),
    ),
  },
}

export function restrictionsFor(profile: RlsProfile, tenant: number): ConnectionRestrictions {
  const tables = new Map<string, TableRestriction>()
  for (const [key, alternatives] of Object.entries(PROFILE_GRANTS[profile])) {
    const table = worldTable(key)
    tables.set(key, {
      schema: table.schema,
      table: table.name,
      alternatives: alternatives.map((a): RowAlternative => ({
        policy: a.policy,
        rules: a.rules,
        columns: a.columns ?? table.columns.map(([c]) => c),
        predicate: a.predicate === null ? null : { sql: a.predicate.sql, values: a.predicate.values(tenant) },
      })),
    })
  }
  return { tables }
}

/** The whole warehouse, as Gatehouse's connection sees it: every table, every row. */
export function warehouseDdl(): string[] {
  return ['CREATE SCHEMA sales', ...WORLD.map((t) => `CREATE TABLE ${t.schema}.${quote(t.name)} (${columnList(t)})`)]
}

/**
 * The oracle database of one principal: the rows live in `base_<schema>`
 * under RLS, and `<schema>.<table>` is a `security_invoker` view of the
 * visible columns, so the same SQL names the same things on both sides. A
 * column only some alternatives show is NULL unless one of those admits the row.
 */
export function oracleDdl(profile: RlsProfile, role: string): string[] {
  const grants = PROFILE_GRANTS[profile]
  const ddl = ['CREATE SCHEMA sales', 'CREATE SCHEMA base_public', 'CREATE SCHEMA base_sales']
  ddl.push(`GRANT USAGE ON SCHEMA public, sales, base_public, base_sales TO ${role}`)
  for (const t of WORLD) {
    const base = `base_${t.schema}.${quote(t.name)}`
    ddl.push(`CREATE TABLE ${base} (${columnList(t)})`)
    const alternatives = grants[`${t.schema}.${t.name}`]
    if (alternatives === undefined) continue
    ddl.push(`ALTER TABLE ${base} ENABLE ROW LEVEL SECURITY`)
    alternatives.forEach((a, i) => ddl.push(`CREATE POLICY p${i} ON ${base} FOR SELECT TO ${role} USING (${a.using})`))
    const cells = t.columns.flatMap(([c]) => {
      const showing = alternatives.filter((a) => a.columns === undefined || a.columns.includes(c))
      if (showing.length === 0) return []
      if (showing.length === alternatives.length) return [quote(c)]
      return [`CASE WHEN ${showing.map((a) => `(${a.using})`).join(' OR ')} THEN ${quote(c)} END AS ${quote(c)}`]
    })
    const view = `${t.schema}.${quote(t.name)}`
    ddl.push(`CREATE VIEW ${view} WITH (security_invoker = true) AS SELECT ${cells.join(', ')} FROM ${base}`)
    ddl.push(`GRANT SELECT ON ${base}, ${view} TO ${role}`)
  }
  return ddl
}

export function worldTable(key: string): WorldTable {
  const table = WORLD.find((t) => `${t.schema}.${t.name}` === key)
  if (table === undefined) throw new Error(`No table ${key} in the RLS world`)
  return table
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}

function columnList(table: WorldTable): string {
  return table.columns.map(([c, type]) => `${quote(c)} ${type}`).join(', ')
}

/** A small deterministic generator, so every run and both databases hold the same rows. */
function generator(seed: number): (n: number) => number {
  let state = seed
  return (n) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state % n
  }
}

function world(): WorldTable[] {
  const pick = generator(42)
  const tenants = [1, 2, 3]
  const countries = ['FR', 'DE', 'US', 'FR', 'ES']
  const categories = ['books', 'tools', 'games', 'food']
  const statuses = ['shipped', 'pending', 'cancelled', 'returned']
  const customers: unknown[][] = []
  const products: unknown[][] = []
  const orders: unknown[][] = []
  for (const t of tenants) {
    for (let i = 1; i <= 8; i++) {
      const id = t * 100 + i
      const email = i % 4 === 0 ? null : `c${id}@tenant${t}.example`
      customers.push([id, t, `Customer ${t}-${i}`, email, countries[pick(countries.length)]])
    }
    for (let i = 1; i <= 5; i++) {
      const id = t * 1000 + i
      products.push([id, t, `Product ${t}-${i}`, categories[pick(categories.length)], `${5 + pick(200)}.${pick(100)}`])
    }
  }
  let orderId = 1
  for (const t of tenants) {
    for (let i = 0; i < 30; i++) {
      // Two orders per tenant point at another tenant's customer: joins must not reveal that customer.
      const owner = i < 2 ? (t % 3) + 1 : t
      const customer = owner * 100 + 1 + pick(8)
      const product = t * 1000 + 1 + pick(5)
      const quantity = 1 + pick(5)
      const amount = `${quantity * (10 + pick(90))}.${pick(100)}`
      const day = `2024-${String(1 + pick(12)).padStart(2, '0')}-${String(1 + pick(28)).padStart(2, '0')}`
      orders.push([orderId++, t, customer, product, quantity, amount, statuses[pick(statuses.length)], day])
    }
  }
  const subscribers = customers
    .filter((_, i) => i % 3 !== 1)
    .map((c, i) => [c[1], i % 5 === 0 ? `other${i}@example.org` : c[3], i % 2 === 0 ? 'weekly' : 'monthly'])
  return [
    {
      schema: 'public',
      name: 'tenants',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['name', 'text NOT NULL'],
        ['plan', 'text NOT NULL'],
      ],
      rows: [
        [1, 'Acme', 'pro'],
        [2, 'Globex', 'free'],
        [3, 'Initech', 'pro'],
      ],
    },
    {
      schema: 'public',
      name: 'customers',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['name', 'text NOT NULL'],
        ['email', 'text'],
        ['country', 'text NOT NULL'],
      ],
      rows: customers,
    },
    {
      schema: 'public',
      name: 'products',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['name', 'text NOT NULL'],
        ['category', 'text NOT NULL'],
        ['price', 'numeric(10,2) NOT NULL'],
      ],
      rows: products,
    },
    {
      schema: 'public',
      name: 'orders',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['customer_id', 'int NOT NULL'],
        ['product_id', 'int NOT NULL'],
        ['quantity', 'int NOT NULL'],
        ['amount', 'numeric(12,2) NOT NULL'],
        ['status', 'text NOT NULL'],
        ['ordered_at', 'date NOT NULL'],
      ],
      rows: orders,
    },
    {
      schema: 'public',
      name: 'subscribers',
      columns: [
        ['tenant_id', 'int NOT NULL'],
        ['email', 'text'],
        ['newsletter', 'text NOT NULL'],
      ],
      rows: subscribers,
    },
    {
      schema: 'public',
      name: 'currencies',
      columns: [
        ['code', 'text PRIMARY KEY'],
        ['name', 'text NOT NULL'],
      ],
      rows: [
        ['EUR', 'Euro'],
        ['USD', 'US dollar'],
        ['GBP', 'Pound sterling'],
      ],
    },
    {
      schema: 'public',
      name: 'audit_log',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['message', 'text NOT NULL'],
      ],
      rows: tenants.flatMap((t) => [1, 2, 3].map((i) => [t * 10 + i, t, `event ${i} of tenant ${t}`])),
    },
    {
      schema: 'public',
      name: 'Notes',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['Body', 'text NOT NULL'],
      ],
      rows: tenants.flatMap((t) => [1, 2].map((i) => [t * 10 + i, t, `Note ${i} of tenant ${t}`])),
    },
    {
      schema: 'sales',
      name: 'targets',
      columns: [
        ['tenant_id', 'int NOT NULL'],
        ['year', 'int NOT NULL'],
        ['target', 'numeric(12,2) NOT NULL'],
      ],
      rows: tenants.flatMap((t) => [2024, 2025].map((y) => [t, y, `${t * 1000 + (y - 2000) * 10}.00`])),
    },
    {
      schema: 'sales',
      name: 'orders',
      columns: [
        ['id', 'int PRIMARY KEY'],
        ['tenant_id', 'int NOT NULL'],
        ['region', 'text NOT NULL'],
      ],
      rows: orders.filter((_, i) => i % 2 === 0).map((o, i) => [o[0], o[1], ['EMEA', 'NA', 'APAC'][i % 3]]),
    },
  ]
}

export const WORLD: readonly WorldTable[] = world()
