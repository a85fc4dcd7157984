import { describe, expect, it } from 'vitest'
import { canSeeDomain, visibleConnections, visibleDomains } from './data-access.js'
import { projectFileSchema } from '../config/project-file-schema.js'
import type { Principal } from '../domain/principal.js'
import { parsePermissions } from '../domain/permissions.js'

const project = projectFileSchema.parse({
  project: 'analytics',
  connections: [
    { name: 'warehouse', engine: 'duckdb', path: '/data/w.duckdb' },
    { name: 'pg', engine: 'postgres', url: '${PG_URL}' },
  ],
  domains: [
    { name: 'sales', datasets: [{ name: 'orders', connection: 'warehouse', table: 'main.orders' }] },
    { name: 'finance', datasets: [{ name: 'ledger', connection: 'pg', table: 'public.ledger' }] },
  ],
  security: {
    policies: [
      { name: 'everything', connections: ['warehouse', 'pg'] },
      { name: 'warehouse_only', connections: ['warehouse'] },
      {
        name: 'tenant_rows',
        connections: ['warehouse'],
        rows: [{ name: 'own', match: { column: 'tenant_id' }, expression: 'tenant_id = {{ tenant_id }}' }],
      },
    ],
    assignments: [
      { to: { role: 'admin' }, policy: 'everything' },
      { to: { role: 'member' }, policy: 'warehouse_only' },
      { to: { group: 'finance' }, policy: 'everything' },
      { to: { tenant: '*' }, policy: 'tenant_rows', params: { tenant_id: '{{ tenant.attributes.tenant_id }}' } },
    ],
  },
})

function principal(overrides: Partial<Principal>): Principal {
  const permissions = parsePermissions('data:read,domains:read,sql:read')
  if (!permissions.ok) throw new Error(permissions.error)
  return {
    kind: 'api_key',
    orgId: 'org_a',
    projectIds: ['prj_a'],
    scopes: [],
    permissions: permissions.value,
    domainAccess: { mode: 'all' },
    attributes: {},
    role: 'member',
    groups: [],
    tokenId: 't',
    expiresAt: null,
    ...overrides,
  }
}

describe('connection-level security (CLS)', () => {
  it('gives nobody any connection or domain of a project without a security section (default deny)', () => {
    const { security: _, ...unsecured } = project
    for (const p of [principal({ role: 'admin' }), principal({ kind: 'oauth' }), principal({ role: 'owner' })]) {
      expect(visibleConnections(p, unsecured)).toEqual([])
      expect(visibleDomains(p, unsecured)).toEqual([])
    }
  })

  it('gives a principal the connections of the policies assigned to it, and no other', () => {
    expect(visibleConnections(principal({ role: 'admin' }), project).map((c) => c.name)).toEqual(['warehouse', 'pg'])
    expect(visibleConnections(principal({ role: 'member' }), project).map((c) => c.name)).toEqual(['warehouse'])
    expect(visibleDomains(principal({ role: 'member' }), project).map((d) => d.name)).toEqual(['sales'])
    expect(visibleConnections(principal({ role: 'member', groups: ['finance'] }), project).map((c) => c.name)).toEqual([
      'warehouse',
      'pg',
    ])
  })

  it.each([
    ['a tenant user', { tenantId: 'ten_a', role: 'tenant_user' as const }],
    ['a tenant (no end user named)', { tenantId: 'ten_a', role: 'tenant_user' as const, endUserId: undefined }],
    ['no user at all', { role: 'tenant_user' as const }],
  ])('gives a project token of %s only what a tenant assignment grants', (_, overrides) => {
    const token = principal({ kind: 'project_token', tenantAttributes: { tenant_id: 't1' }, ...overrides })
    const expected = 'tenantId' in overrides ? ['warehouse'] : []
    expect(visibleConnections(token, project).map((c) => c.name)).toEqual(expected)
  })

  it('gives an org user’s project token what the user’s role and groups are assigned, like an API key', () => {
    const token = principal({ kind: 'project_token', userId: 'usr_a', role: 'admin' })
    expect(visibleConnections(token, project).map((c) => c.name)).toEqual(['warehouse', 'pg'])
    expect(visibleDomains(token, project).map((d) => d.name)).toEqual(['sales', 'finance'])
  })

  it('denies the call (fail closed) when an assignment’s parameter cannot be resolved', () => {
    const tenant = principal({ kind: 'project_token', tenantId: 'ten_a', role: 'tenant_user' })
    expect(() => visibleConnections(tenant, project)).toThrow('Access is denied by the data security policies')
  })

  it.each([
    [{ mode: 'all' } as const, ['sales', 'finance']],
    [{ mode: 'none' } as const, []],
    [{ mode: 'include', domains: ['finance'] } as const, ['finance']],
    [{ mode: 'exclude', domains: ['finance'] } as const, ['sales']],
  ])('narrows domains by the credential’s domain access %j', (domainAccess, expected) => {
    const p = principal({ domainAccess, role: 'admin' })
    expect(visibleDomains(p, project).map((d) => d.name)).toEqual(expected)
    expect(['sales', 'finance'].filter((d) => canSeeDomain(p, d))).toEqual(expected)
  })
})
