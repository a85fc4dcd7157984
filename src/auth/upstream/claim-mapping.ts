import { MAPPED_ROLES } from '../../config/auth-config-schema.js'
import type { ProviderConfig } from '../../config/config-schema.js'

export type MappedRole = (typeof MAPPED_ROLES)[number]
export type ClaimsConfig = NonNullable<ProviderConfig['claims']>

/** What an identity provider's claims say about a member (SPEC §3.1 `claims`). */
export interface MappedClaims {
  readonly groups: readonly string[]
  readonly attributes: Readonly<Record<string, string>>
  readonly role: MappedRole
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * The value at a dotted path (`realm_access.roles`). A claim whose own name
 * holds dots (`https://example.com/groups`, Auth0's namespaced claims) is found
 * by its full name first. Only own properties are read, so a path such as
 * `__proto__.constructor` reaches nothing.
 */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path]
  let current: unknown = claims
  for (const key of path.split('.')) {
    if (!isRecord(current) || !Object.hasOwn(current, key)) return undefined
    current = current[key]
  }
  return current
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return undefined
}

/** A claim as a list of values: providers send a group list, or a lone string when there is one. */
function claimValues(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value]
  return [...new Set(items.map(scalarText).filter((v): v is string => v !== undefined && v !== ''))]
}

/**
 * Maps merged ID-token and userinfo claims to a membership. The role is the
 * mapping of the first value of `role.from`, in the provider's order, that
 * `role.map` names; a user with none is a `member`. The config schema already
 * refuses `owner`, and anything else that is not a mapped role is dropped here
 * too: no claim may mint an owner. Attributes take scalar values only.
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, config: ClaimsConfig | undefined): MappedClaims {
  const groups = config?.groups === undefined ? [] : claimValues(claimAt(claims, config.groups))
  const attributes: Record<string, string> = {}
  for (const [name, path] of Object.entries(config?.attributes ?? {})) {
    const value = scalarText(claimAt(claims, path))
    if (value !== undefined) attributes[name] = value
  }
  let role: MappedRole = 'member'
  if (config?.role !== undefined) {
    const { from, map } = config.role
    const mapped = claimValues(claimAt(claims, from))
      .filter((value) => Object.hasOwn(map, value))
      .map((value): unknown => map[value])
      .find((r): r is MappedRole => (MAPPED_ROLES as readonly unknown[]).includes(r))
    role = mapped ?? 'member'
  }
  return { groups, attributes, role }
}
