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

  it('denies a project token every connection and domain until a policy assigns some (default deny)', () => {
    const token = principal({ kind: 'project_token', role: 'tenant_user' })
    expect(visibleConnections(token, project)).toEqual([])
    expect(visibleDomains(token, project)).toEqual([])
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
