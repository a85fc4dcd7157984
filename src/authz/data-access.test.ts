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

describe('data access before security policies', () => {
  it('gives an org member’s credential every connection of its project', () => {
    expect(visibleConnections(principal({}), project).map((c) => c.name)).toEqual(['warehouse', 'pg'])
    expect(visibleConnections(principal({ kind: 'oauth' }), project).map((c) => c.name)).toEqual(['warehouse', 'pg'])
  })

  it.each([
    ['a tenant user', { tenantId: 'ten_a', role: 'tenant_user' as const }],
    ['a tenant (no end user named)', { tenantId: 'ten_a', role: 'tenant_user' as const, endUserId: undefined }],
    ['no user at all', { role: 'tenant_user' as const }],
  ])(
    'denies a project token of %s every connection and domain until a policy assigns some (default deny)',
    (_, overrides) => {
      const token = principal({ kind: 'project_token', ...overrides })
      expect(visibleConnections(token, project)).toEqual([])
      expect(visibleDomains(token, project)).toEqual([])
    },
  )

  it('gives an org user’s project token every connection of its project, like an API key', () => {
    const token = principal({ kind: 'project_token', userId: 'usr_a', role: 'member' })
    expect(visibleConnections(token, project).map((c) => c.name)).toEqual(['warehouse', 'pg'])
    expect(visibleDomains(token, project).map((d) => d.name)).toEqual(['sales', 'finance'])
  })

  it.each([
    [{ mode: 'all' } as const, ['sales', 'finance']],
    [{ mode: 'none' } as const, []],
    [{ mode: 'include', domains: ['finance'] } as const, ['finance']],
    [{ mode: 'exclude', domains: ['finance'] } as const, ['sales']],
  ])('narrows domains by the credential’s domain access %j', (domainAccess, expected) => {
    const p = principal({ domainAccess })
    expect(visibleDomains(p, project).map((d) => d.name)).toEqual(expected)
    expect(['sales', 'finance'].filter((d) => canSeeDomain(p, d))).toEqual(expected)
  })
})
