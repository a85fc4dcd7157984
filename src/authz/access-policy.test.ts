import { describe, expect, it } from 'vitest'
import { securitySchema } from '../config/security-schema.js'
import type { Principal } from '../domain/principal.js'
import { appliedPolicies, grantedAccess } from './access-policy.js'
import { bindTemplate } from '../data/sql/row-predicate.js'
import type { CatalogView } from './access-policy.js'

const security = securitySchema.parse({
  policies: [
    {
      name: 'tenant_scoped',
      connections: ['warehouse'],
      schemas: ['main'],
      tables: { exclude: ['main.audit_trail'] },
      columns: { 'main.customers': { exclude: ['email', 'phone'] } },
      rows: [
        { name: 'by_tenant', match: { column: 'tenant_id' }, expression: 'tenant_id = {{ tenant_id }}' },
        { name: 'by_region', tables: ['main.orders'], expression: 'region IN ({{ regions }})' },
      ],
    },
    { name: 'analyst_full', connections: ['warehouse', 'pg'] },
  ],
  assignments: [
    { to: { role: 'admin' }, policy: 'analyst_full' },
    {
      to: { group: 'emea-sales' },
      policy: 'tenant_scoped',
      params: { tenant_id: '{{ user.attributes.tenant_id }}', regions: ['EMEA'] },
    },
    {
      to: { tenant: '*' },
      policy: 'tenant_scoped',
      params: {
        tenant_id: '{{ tenant.attributes.tenant_id }}',
        regions: {
          from: 'token.securityParams.regions',
          within: ['EMEA', 'NA', 'APAC'],
          default: ['EMEA', 'NA', 'APAC'],
        },
      },
    },
  ],
})

const catalogs = new Map<string, CatalogView>([
  [
    'warehouse',
    {
      defaultSchema: 'main',
      tables: [
        { schema: 'main', name: 'orders', columns: ['id', 'tenant_id', 'region', 'amount'] },
        { schema: 'main', name: 'customers', columns: ['id', 'tenant_id', 'name', 'email', 'phone'] },
        { schema: 'main', name: 'regions', columns: ['name'] },
        { schema: 'main', name: 'audit_trail', columns: ['id', 'tenant_id', 'what'] },
        { schema: 'staging', name: 'raw', columns: ['id', 'tenant_id'] },
      ],
    },
  ],
  ['pg', { defaultSchema: 'public', tables: [{ schema: 'public', name: 'events', columns: ['id'] }] }],
])

const principal = (p: Partial<Principal>): Principal => ({
  kind: 'api_key',
  orgId: 'org_1',
  projectIds: ['prj_1'],
  scopes: [],
  permissions: new Set(),
  domainAccess: { mode: 'all' },
  attributes: {},
  role: 'member',
  groups: [],
  tokenId: 't',
  expiresAt: null,
  ...p,
})

const grant = (p: Principal) => grantedAccess(appliedPolicies(p, security), catalogs)

describe('data security policies (SPEC §3.2)', () => {
  it('denies by default: a principal no assignment names sees no connection', () => {
    expect(grant(principal({ role: 'member' })).size).toBe(0)
    expect(grant(principal({ role: 'tenant_user', tenantId: undefined })).size).toBe(0)
  })

  it('gives a whole-table policy every table and column of its connections, with no row filter', () => {
    const access = grant(principal({ role: 'admin' }))
    expect([...access.keys()].sort()).toEqual(['pg', 'warehouse'])
    const orders = access.get('warehouse')?.tables.get('main.orders')
    expect(orders?.alternatives).toEqual([
      { policy: 'analyst_full', rules: [], columns: ['id', 'tenant_id', 'region', 'amount'], predicate: null },
    ])
    expect(access.get('warehouse')?.tables.has('main.audit_trail')).toBe(true)
  })

  it('applies schemas, table and column exclusions, and hides the tables no row rule matches', () => {
    const access = grant(principal({ groups: ['emea-sales'], attributes: { tenant_id: 7 } })).get('warehouse')
    expect([...(access?.tables.keys() ?? [])].sort()).toEqual(['main.customers', 'main.orders'])
    const customers = access?.tables.get('main.customers')?.alternatives[0]
    expect(customers?.columns).toEqual(['id', 'tenant_id', 'name'])
    expect(customers?.predicate).toEqual({ sql: 'tenant_id = $1', values: [7] })
  })

  it('ANDs the rules that match one table and binds every value, expanding lists', () => {
    const orders = grant(principal({ groups: ['emea-sales'], attributes: { tenant_id: 7 } }))
      .get('warehouse')
      ?.tables.get('main.orders')?.alternatives[0]
    expect(orders?.rules).toEqual(['by_tenant', 'by_region'])
    expect(orders?.predicate).toEqual({ sql: '(tenant_id = $1) AND (region IN ($2))', values: [7, 'EMEA'] })
  })

  it('gives a tenant token the tenant attribute and narrows regions by its securityParams', () => {
    const tenant = principal({
      role: 'tenant_user',
      tenantId: 'ten_1',
      tenantAttributes: { tenant_id: 't1' },
      securityParams: { regions: ['NA'] },
    })
    const orders = grant(tenant).get('warehouse')?.tables.get('main.orders')?.alternatives[0]
    expect(orders?.predicate).toEqual({ sql: '(tenant_id = $1) AND (region IN ($2))', values: ['t1', 'NA'] })
    const withDefault = principal({ role: 'tenant_user', tenantId: 'ten_1', tenantAttributes: { tenant_id: 't1' } })
    expect(grant(withDefault).get('warehouse')?.tables.get('main.orders')?.alternatives[0]?.predicate?.values).toEqual([
      't1',
      'EMEA',
      'NA',
      'APAC',
    ])
  })

  it.each([
    ['a token value outside within', { tenantAttributes: { tenant_id: 't1' }, securityParams: { regions: ['MARS'] } }],
    [
      'a token value that widens with a non-list',
      { tenantAttributes: { tenant_id: 't1' }, securityParams: { regions: 'ANY' } },
    ],
    ['a tenant attribute that is not set', { tenantAttributes: {}, securityParams: { regions: ['NA'] } }],
  ])('denies (fail closed) %s', (_name, extra) => {
    const p = principal({ role: 'tenant_user', tenantId: 'ten_1', ...extra })
    expect(() => appliedPolicies(p, security)).toThrow(expect.objectContaining({ code: 'AUTHZ_DENIED' }))
  })

  it('does not treat a tenant token as an org role or group, nor an org user as a tenant', () => {
    expect(
      grant(
        principal({
          role: 'tenant_user',
          tenantId: 'ten_1',
          groups: ['emea-sales'],
          tenantAttributes: { tenant_id: 1 },
        }),
      ).get('pg'),
    ).toBeUndefined()
    expect(
      grant(principal({ role: 'admin', tenantId: undefined }))
        .get('warehouse')
        ?.tables.get('main.orders')?.alternatives,
    ).toHaveLength(1)
  })

  it('gives several policies as alternatives, each with its own columns (the cell rule)', () => {
    const both = grant(principal({ role: 'admin', groups: ['emea-sales'], attributes: { tenant_id: 7 } }))
    const customers = both.get('warehouse')?.tables.get('main.customers')?.alternatives
    expect(customers?.map((a) => [a.policy, a.columns.includes('email'), a.predicate?.sql ?? null])).toEqual([
      ['analyst_full', true, null],
      ['tenant_scoped', false, 'tenant_id = $1'],
    ])
  })

  it('binds a template as a parameter, never as SQL text, whatever the value holds', () => {
    expect(bindTemplate('name = {{ n }}', { n: "x' OR 1=1 --" }, 'p.r')).toEqual({
      sql: 'name = $1',
      values: ["x' OR 1=1 --"],
    })
    expect(bindTemplate('region IN ({{ r }})', { r: [] }, 'p.r')).toEqual({ sql: 'region IN ($1)', values: [null] })
    expect(() => bindTemplate('a = {{ missing }}', {}, 'p.r')).toThrow(
      expect.objectContaining({ code: 'AUTHZ_DENIED' }),
    )
  })
})

describe('the security section of a project file', () => {
  it.each([
    [{ policies: [{ name: 'p', connections: [] }] }, 'at least one connection'],
    [{ policies: [{ name: 'p', connections: ['w'], rows: [{ name: 'r', expression: 'true' }] }] }, 'exactly one'],
    [{ policies: [{ name: 'p', connections: ['w'], tables: { include: ['a'], exclude: ['b'] } }] }, 'not both'],
    [
      { policies: [{ name: 'p', connections: ['w'] }], assignments: [{ to: { role: 'admin' }, policy: 'q' }] },
      'unknown policy q',
    ],
    [
      {
        policies: [
          { name: 'p', connections: ['w'] },
          { name: 'p', connections: ['w'] },
        ],
      },
      'duplicate policy name p',
    ],
    [
      {
        policies: [{ name: 'p', connections: ['w'] }],
        assignments: [
          { to: { tenant: '*' }, policy: 'p', params: { r: { from: 'token.securityParams.r', within: [] } } },
        ],
      },
      'the values the parameter may take',
    ],
  ])('refuses %j with a clear message', (input, message) => {
    const parsed = securitySchema.safeParse(input)
    expect(parsed.success).toBe(false)
    expect(JSON.stringify(parsed.error?.issues)).toContain(message)
  })
})
