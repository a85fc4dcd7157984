import type { Principal } from '../../src/domain/principal.js'
import { parsePermissions } from '../../src/domain/permissions.js'

export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  const parsed = parsePermissions('read')
  if (!parsed.ok) throw new Error(parsed.error)
  return {
    kind: 'api_key',
    orgId: 'org_test',
    userId: 'usr_test',
    keyId: 'abcdefghijkl',
    keyPrefix: 'gk_abcdefghijkl',
    projectIds: [],
    scopes: ['mcp:read'],
    permissions: parsed.value,
    domainAccess: { mode: 'all' },
    attributes: {},
    role: 'member',
    groups: [],
    tokenId: 'abcdefghijkl',
    expiresAt: null,
    ...overrides,
  }
}
