/**
 * Permissions of SPEC §4.2: per resource, a set of actions. API keys, project
 * tokens and OAuth scopes all end up as one `PermissionSet`.
 */

export const RESOURCE_ACTIONS = {
  data: ['read'],
  sql: ['read'],
  domains: ['read'],
  saved_queries: ['read', 'write', 'delete'],
} as const

export type Resource = keyof typeof RESOURCE_ACTIONS
export type Action = 'read' | 'write' | 'delete'
/** `admin` is org-wide and never implied by `read`, `write` or any scope. */
export type Permission = `${Resource}:${Action}` | 'admin'
export type PermissionSet = ReadonlySet<Permission>

export const RESOURCES = Object.keys(RESOURCE_ACTIONS) as Resource[]

const SIMPLE_READ: readonly Permission[] = ['data:read', 'domains:read', 'saved_queries:read']
const SIMPLE_WRITE: readonly Permission[] = [...SIMPLE_READ, 'saved_queries:write', 'saved_queries:delete']

export type OAuthScope = 'mcp:read' | 'mcp:sql' | 'mcp:write'

/** OAuth scopes map onto the same table: the scope a client must ask for to get a permission. */
export const SCOPE_FOR_PERMISSION: Readonly<Record<Exclude<Permission, 'admin'>, OAuthScope>> = {
  'data:read': 'mcp:read',
  'data:write': 'mcp:write',
  'data:delete': 'mcp:write',
  'domains:read': 'mcp:read',
  'domains:write': 'mcp:write',
  'domains:delete': 'mcp:write',
  'saved_queries:read': 'mcp:read',
  'saved_queries:write': 'mcp:write',
  'saved_queries:delete': 'mcp:write',
  'sql:read': 'mcp:sql',
  'sql:write': 'mcp:sql',
  'sql:delete': 'mcp:sql',
}

export function permissionsForScopes(scopes: Iterable<string>): PermissionSet {
  const out = new Set<Permission>()
  for (const scope of scopes) {
    if (scope === 'mcp:read') SIMPLE_READ.forEach((p) => out.add(p))
    else if (scope === 'mcp:write') SIMPLE_WRITE.forEach((p) => out.add(p))
    else if (scope === 'mcp:sql') out.add('sql:read')
  }
  return out
}

export type PermissionParseResult = { ok: true; value: PermissionSet } | { ok: false; error: string }

const LIST_EXAMPLE = 'read, write, or a list like data:read,sql:read,saved_queries:read+write+delete'

/**
 * Parses the CLI/API form: `read`, `write`, or `resource:action[+action],…`.
 * The error says which part was wrong and what is expected.
 */
export function parsePermissions(text: string): PermissionParseResult {
  const trimmed = text.trim()
  if (trimmed === 'read') return { ok: true, value: new Set(SIMPLE_READ) }
  if (trimmed === 'write') return { ok: true, value: new Set(SIMPLE_WRITE) }
  if (trimmed === '') return { ok: false, error: `permissions are empty; expected ${LIST_EXAMPLE}` }
  const out = new Set<Permission>()
  for (const rawItem of trimmed.split(',')) {
    const item = rawItem.trim()
    const colon = item.indexOf(':')
    if (colon <= 0) return { ok: false, error: `"${item}" is not resource:action; expected ${LIST_EXAMPLE}` }
    const resource = item.slice(0, colon)
    // Own keys only: `in` would accept `constructor`, `__proto__` and `toString` from Object.prototype.
    if (!Object.hasOwn(RESOURCE_ACTIONS, resource)) {
      return { ok: false, error: `unknown resource "${resource}"; expected one of ${RESOURCES.join(', ')}` }
    }
    const allowed: readonly string[] = RESOURCE_ACTIONS[resource as Resource]
    for (const action of item.slice(colon + 1).split('+')) {
      if (!allowed.includes(action)) {
        return {
          ok: false,
          error: `"${action}" is not an action of ${resource}; expected ${allowed.join(' or ')}`,
        }
      }
      out.add(`${resource as Resource}:${action as Action}`)
    }
  }
  return { ok: true, value: out }
}

/** The stored and displayed form: `{ data: ['read'], saved_queries: ['read', 'write'] }`. */
export type PermissionObject = Partial<Record<Resource | 'admin', Action[] | true>>

export function permissionsToObject(set: PermissionSet): PermissionObject {
  const out: PermissionObject = {}
  for (const resource of RESOURCES) {
    const actions = (['read', 'write', 'delete'] as const).filter((a) => set.has(`${resource}:${a}`))
    if (actions.length > 0) out[resource] = actions
  }
  if (set.has('admin')) out.admin = true
  return out
}

export function permissionsFromObject(object: PermissionObject): PermissionSet {
  const out = new Set<Permission>()
  for (const resource of RESOURCES) {
    const actions = object[resource]
    if (Array.isArray(actions)) for (const a of actions) out.add(`${resource}:${a}`)
  }
  if (object.admin === true) out.add('admin')
  return out
}

/** `data:read,saved_queries:read+write` — the compact form used in listings. */
export function formatPermissions(set: PermissionSet): string {
  const object = permissionsToObject(set)
  const parts = RESOURCES.filter((r) => object[r] !== undefined).map((r) => `${r}:${(object[r] as Action[]).join('+')}`)
  if (object.admin === true) parts.push('admin')
  return parts.join(',')
}
