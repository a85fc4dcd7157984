import { describe, expect, it } from 'vitest'
import { claimAt, mapClaims } from './claim-mapping.js'
import type { ClaimsConfig } from './claim-mapping.js'

const KEYCLOAK_CLAIMS = {
  sub: 'f2a7',
  email: 'ada@example.com',
  groups: ['/engineering', '/analytics'],
  department: 'R&D',
  employee_number: 1042,
  realm_access: { roles: ['offline_access', 'gatehouse-admin', 'gatehouse-member'] },
  'https://example.com/tenant': 'acme',
}

describe('claimAt', () => {
  it.each([
    ['a top-level claim', 'email', 'ada@example.com'],
    ['a nested claim by dotted path', 'realm_access.roles', KEYCLOAK_CLAIMS.realm_access.roles],
    ['a claim whose own name holds dots', 'https://example.com/tenant', 'acme'],
    ['a missing claim', 'realm_access.missing', undefined],
    ['a path through a non-object', 'email.domain', undefined],
    ['a path through an array', 'groups.0', undefined],
    ['an inherited property', '__proto__', undefined],
    ['a path into the prototype chain', 'realm_access.constructor.name', undefined],
    ['toString', 'toString', undefined],
  ])('reads %s', (_name, path, expected) => {
    expect(claimAt(KEYCLOAK_CLAIMS, path)).toEqual(expected)
  })
})

describe('mapClaims', () => {
  const config: ClaimsConfig = {
    groups: 'groups',
    attributes: { department: 'department', employee: 'employee_number', tenant: 'https://example.com/tenant' },
    role: { from: 'realm_access.roles', map: { 'gatehouse-admin': 'admin', 'gatehouse-member': 'member' } },
  }

  it('maps groups, attributes and the role from nested claims (SPEC §3.1)', () => {
    expect(mapClaims(KEYCLOAK_CLAIMS, config)).toEqual({
      groups: ['/engineering', '/analytics'],
      attributes: { department: 'R&D', employee: '1042', tenant: 'acme' },
      role: 'admin',
    })
  })

  it('gives the role of the first value, in the provider order, that the map names', () => {
    const claims = { realm_access: { roles: ['gatehouse-member', 'gatehouse-admin'] } }
    expect(mapClaims(claims, config).role).toBe('member')
  })

  it('gives member to a user with no mapped value, or without the claim at all', () => {
    expect(mapClaims({ realm_access: { roles: ['offline_access'] } }, config).role).toBe('member')
    expect(mapClaims({}, config).role).toBe('member')
    expect(mapClaims(KEYCLOAK_CLAIMS, undefined)).toEqual({ groups: [], attributes: {}, role: 'member' })
  })

  it('reads a lone string as one value', () => {
    const claims = { groups: 'analysts', role: 'gatehouse-admin' }
    const mapped = mapClaims(claims, { groups: 'groups', role: { from: 'role', map: { 'gatehouse-admin': 'admin' } } })
    expect(mapped.groups).toEqual(['analysts'])
    expect(mapped.role).toBe('admin')
  })

  it('never maps owner, even if a map that bypassed the config schema says so', () => {
    const map = { boss: 'owner', 'gatehouse-admin': 'admin' } as unknown as Record<string, 'admin'>
    expect(mapClaims({ roles: ['boss'] }, { role: { from: 'roles', map } }).role).toBe('member')
    expect(mapClaims({ roles: ['boss', 'gatehouse-admin'] }, { role: { from: 'roles', map } }).role).toBe('admin')
  })

  it('does not let a claim value reach the prototype of the role map', () => {
    const claims = { roles: ['constructor', '__proto__', 'toString'] }
    expect(mapClaims(claims, { role: { from: 'roles', map: { admins: 'admin' } } }).role).toBe('member')
  })

  it('keeps scalar attributes only and drops duplicate or empty groups', () => {
    const claims = { groups: ['a', 'a', '', 7, { x: 1 }, null], nested: { list: ['x'] }, flag: true }
    const mapped = mapClaims(claims, { groups: 'groups', attributes: { list: 'nested.list', flag: 'flag' } })
    expect(mapped.groups).toEqual(['a', '7'])
    expect(mapped.attributes).toEqual({ flag: 'true' })
  })
})
