import { describe, expect, it } from 'vitest'
import {
  RESOURCE_ACTIONS,
  RESOURCES,
  SCOPE_FOR_PERMISSION,
  formatPermissions,
  parsePermissions,
  permissionsForScopes,
  permissionsFromObject,
  permissionsToObject,
} from './permissions.js'
import type { Action, Permission, PermissionSet, Resource } from './permissions.js'

const LIST_EXAMPLE = 'read, write, or a list like data:read,sql:read,saved_queries:read+write+delete'
const SIMPLE_READ: Permission[] = ['data:read', 'domains:read', 'saved_queries:read']
const SIMPLE_WRITE: Permission[] = [...SIMPLE_READ, 'saved_queries:write', 'saved_queries:delete']

function parsed(text: string): Permission[] {
  const result = parsePermissions(text)
  if (!result.ok) throw new Error(`expected "${text}" to parse, got: ${result.error}`)
  return [...result.value].sort()
}

function refusal(text: string): string {
  const result = parsePermissions(text)
  if (result.ok) throw new Error(`expected "${text}" to be refused, got ${[...result.value].join(',')}`)
  return result.error
}

/** Every permission a key can be granted by parsing, i.e. every resource:action of SPEC §4.2. */
const GRANTABLE: Permission[] = RESOURCES.flatMap((r) =>
  (RESOURCE_ACTIONS[r] as readonly Action[]).map((a): Permission => `${r}:${a}`),
)

describe('parsePermissions', () => {
  it('reads simple "read" as data, domains and saved queries read (SPEC §4.2)', () => {
    expect(parsed('read')).toEqual([...SIMPLE_READ].sort())
  })

  it('reads simple "write" as read plus saving and deleting saved queries', () => {
    expect(parsed('write')).toEqual([...SIMPLE_WRITE].sort())
  })

  it('reads a granular list of resource:action items', () => {
    expect(parsed('data:read,sql:read')).toEqual(['data:read', 'sql:read'])
  })

  it('reads several actions of one resource joined by "+"', () => {
    expect(parsed('saved_queries:read+write+delete')).toEqual([
      'saved_queries:delete',
      'saved_queries:read',
      'saved_queries:write',
    ])
  })

  it('reads the granular example of SPEC §4.2', () => {
    expect(parsed('data:read,sql:read,saved_queries:read+write+delete,domains:read')).toEqual(
      [...SIMPLE_WRITE, 'sql:read'].sort(),
    )
  })

  it('ignores whitespace around the whole text and around each item', () => {
    expect(parsed('  read \n')).toEqual([...SIMPLE_READ].sort())
    expect(parsed('\twrite ')).toEqual([...SIMPLE_WRITE].sort())
    expect(parsed(' data:read ,  sql:read ')).toEqual(['data:read', 'sql:read'])
  })

  it('collapses a permission named twice into one', () => {
    expect(parsed('data:read,data:read,saved_queries:read+read')).toEqual(['data:read', 'saved_queries:read'])
  })

  it('never implies dev-mode SQL by read or write: it is granted only as sql:read', () => {
    expect(parsed('read')).not.toContain('sql:read')
    expect(parsed('write')).not.toContain('sql:read')
    expect(parsed('sql:read')).toEqual(['sql:read'])
  })

  it.each(['read', 'write', 'data:read,sql:read,domains:read,saved_queries:read+write+delete'])(
    'never produces the org-wide admin permission, even from %j',
    (text) => {
      expect(parsed(text)).not.toContain('admin')
    },
  )

  it.each([
    ['empty text', '', `permissions are empty; expected ${LIST_EXAMPLE}`],
    ['only whitespace', '   ', `permissions are empty; expected ${LIST_EXAMPLE}`],
    ['an item without a colon', 'data', `"data" is not resource:action; expected ${LIST_EXAMPLE}`],
    ['an item with no resource', ':read', `":read" is not resource:action; expected ${LIST_EXAMPLE}`],
    ['an empty item after a comma', 'data:read,', `"" is not resource:action; expected ${LIST_EXAMPLE}`],
    ['admin, which parsing never grants', 'admin', `"admin" is not resource:action; expected ${LIST_EXAMPLE}`],
    ['simple read inside a list', 'read,sql:read', `"read" is not resource:action; expected ${LIST_EXAMPLE}`],
    [
      'an unknown resource',
      'tables:read',
      'unknown resource "tables"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'admin as a resource',
      'admin:read',
      'unknown resource "admin"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'a resource name that is an Object.prototype member',
      'constructor:read',
      'unknown resource "constructor"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'the __proto__ resource',
      '__proto__:read',
      'unknown resource "__proto__"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'toString as a resource',
      'toString:read',
      'unknown resource "toString"; expected one of data, sql, domains, saved_queries',
    ],
    [
      'a resource in another case',
      'DATA:read',
      'unknown resource "DATA"; expected one of data, sql, domains, saved_queries',
    ],
    ['an unknown action', 'data:write', '"write" is not an action of data; expected read'],
    ['dev-mode SQL asked for write', 'sql:write', '"write" is not an action of sql; expected read'],
    [
      'an unknown action among known ones',
      'saved_queries:read+own',
      '"own" is not an action of saved_queries; expected read or write or delete',
    ],
    ['an empty action', 'data:', '"" is not an action of data; expected read'],
    ['a trailing "+"', 'saved_queries:read+', '"" is not an action of saved_queries; expected read or write or delete'],
    ['an action in another case', 'data:READ', '"READ" is not an action of data; expected read'],
  ])('refuses %s with a message that says what is expected', (_case, text, message) => {
    expect(refusal(text)).toBe(message)
  })
})

describe('permission objects', () => {
  it('stores a set as resource → actions in a fixed order', () => {
    expect(
      permissionsToObject(new Set<Permission>(['saved_queries:delete', 'data:read', 'saved_queries:read'])),
    ).toEqual({ data: ['read'], saved_queries: ['read', 'delete'] })
  })

  it('stores admin as true, apart from the resources', () => {
    expect(permissionsToObject(new Set<Permission>(['admin']))).toEqual({ admin: true })
  })

  it('stores nothing for an empty set', () => {
    expect(permissionsToObject(new Set())).toEqual({})
  })

  it.each(['read', 'write', 'sql:read', 'data:read,sql:read,saved_queries:read+write+delete,domains:read'])(
    'round-trips %j through the stored object unchanged',
    (text) => {
      const result = parsePermissions(text)
      if (!result.ok) throw new Error(result.error)
      const object = permissionsToObject(result.value)
      expect(permissionsFromObject(JSON.parse(JSON.stringify(object)))).toEqual(result.value)
    },
  )

  it('round-trips every single grantable permission and admin', () => {
    for (const permission of [...GRANTABLE, 'admin'] as Permission[]) {
      const set: PermissionSet = new Set([permission])
      expect(permissionsFromObject(permissionsToObject(set))).toEqual(set)
    }
  })

  it('reads admin only from the value true', () => {
    expect(permissionsFromObject({ admin: true }).has('admin')).toBe(true)
    expect(permissionsFromObject({ admin: ['read'] }).has('admin')).toBe(false)
  })

  it('formats a set compactly, resources in a fixed order and admin last', () => {
    const set = new Set<Permission>(['admin', 'saved_queries:write', 'sql:read', 'saved_queries:read', 'data:read'])
    expect(formatPermissions(set)).toBe('data:read,sql:read,saved_queries:read+write,admin')
  })

  it('formats simple write in the granular form that parses back to the same set', () => {
    const write = parsePermissions('write')
    if (!write.ok) throw new Error(write.error)
    const text = formatPermissions(write.value)
    expect(text).toBe('data:read,domains:read,saved_queries:read+write+delete')
    expect(parsed(text)).toEqual([...write.value].sort())
  })
})

describe('permissionsForScopes', () => {
  it('maps mcp:read to simple read', () => {
    expect([...permissionsForScopes(['mcp:read'])].sort()).toEqual([...SIMPLE_READ].sort())
  })

  it('maps mcp:write to simple write', () => {
    expect([...permissionsForScopes(['mcp:write'])].sort()).toEqual([...SIMPLE_WRITE].sort())
  })

  it('maps mcp:sql to sql:read only', () => {
    expect([...permissionsForScopes(['mcp:sql'])]).toEqual(['sql:read'])
  })

  it('unites the permissions of several scopes', () => {
    expect([...permissionsForScopes(['mcp:read', 'mcp:sql'])].sort()).toEqual([...SIMPLE_READ, 'sql:read'].sort())
  })

  it('grants nothing for OpenID scopes or unknown scopes', () => {
    expect(permissionsForScopes(['openid', 'profile', 'email', 'offline_access', 'admin', 'mcp:admin']).size).toBe(0)
  })

  it('never implies admin, whatever the scopes', () => {
    expect(permissionsForScopes(['mcp:read', 'mcp:write', 'mcp:sql', 'admin']).has('admin')).toBe(false)
  })

  it('names for every grantable permission a scope that grants it, so a client can step up', () => {
    for (const permission of GRANTABLE) {
      const scope = SCOPE_FOR_PERMISSION[permission as Exclude<Permission, 'admin'>]
      expect(permissionsForScopes([scope]).has(permission), `${permission} via ${scope}`).toBe(true)
    }
  })

  it('names mcp:sql only for sql permissions', () => {
    const sqlScoped = (Object.keys(SCOPE_FOR_PERMISSION) as Exclude<Permission, 'admin'>[]).filter(
      (p) => SCOPE_FOR_PERMISSION[p] === 'mcp:sql',
    )
    expect(sqlScoped.every((p) => p.startsWith(`${'sql' satisfies Resource}:`))).toBe(true)
  })
})
